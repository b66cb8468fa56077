r"""Universal approximation in the Transformer's form exp⟨φ(x), ψ(y)⟩, by transfer from log r.

**Transfer** (ours; docs/math.md). If r > 0 on X×Y and :math:`|\log r - \langle\phi,\psi\rangle|
\le \delta` everywhere, then with :math:`u = \langle\phi,\psi\rangle - \log r`,
:math:`|r - e^{\langle\phi,\psi\rangle}| = r\,|1 - e^{u}| \le r\,(e^{|u|} - 1)`, so

.. math::
    \sup |r - \exp\langle\phi,\psi\rangle| \le \max r \cdot (e^\delta - 1).

**Converse bounds** (ours). (i) If :math:`r(p) \le 0` at some point p, every
:math:`e^{g} > 0` has :math:`|r(p) - e^{g(p)}| > |r(p)|`: no exp-form model gets within
:math:`|\min r|`. (ii) If no model of a budget gets within b of log r at some point of a finite set
(Eckart–Young–Mirsky on the log scale), then at that point
:math:`|r - e^g| = r|1 - e^{u}| \ge r(1 - e^{-b}) \ge \min r\,(1 - e^{-b})`.

max r and min r are enclosed by outward-rounded interval arithmetic
(:mod:`verify.certify.sym_interval`) over a uniform subdivision of X×Y; the products above are
evaluated in python-flint ``arb`` and rounded outward.
"""

from __future__ import annotations

import numpy as np
import sympy

from verify.relations.base import Relation


def log_relation(relation: Relation) -> Relation:
    """log r as a symbolic relation on the same boxes."""
    if relation.expr is None:
        raise ValueError(f"{relation.name} has no sympy expression")
    return Relation.from_sympy(f"log({relation.name})", sympy.log(relation.expr),
                               relation.x_syms, relation.y_syms, relation.x_box,
                               relation.y_box)


def range_enclosure(relation: Relation, leaves: int = 4096) -> dict:
    """Rigorous [lower, upper] ⊇ r(X×Y) from ≤ ``leaves`` interval cells (uniform split)."""
    from verify.certify.interval import Interval
    from verify.certify.sym_interval import compile_interval

    lo = np.concatenate([relation.x_box.lo_array, relation.y_box.lo_array])
    hi = np.concatenate([relation.x_box.hi_array, relation.y_box.hi_array])
    dim = len(lo)
    k = max(1, int(np.floor(leaves ** (1.0 / dim) + 1e-9)))
    edges = [np.linspace(a, b, k + 1) for a, b in zip(lo, hi)]
    idx = np.stack(np.meshgrid(*[np.arange(k)] * dim, indexing="ij"), -1).reshape(-1, dim)
    clo = np.stack([edges[j][idx[:, j]] for j in range(dim)], 1)
    chi = np.stack([edges[j][idx[:, j] + 1] for j in range(dim)], 1)
    chi[:, :] = np.where(idx == k - 1, hi, chi)  # the last edge is exactly the box face
    f = compile_interval(relation.expr, (*relation.x_syms, *relation.y_syms))
    enc = f(Interval(clo, chi))
    return {"lower": float(np.min(enc.lo)), "upper": float(np.max(enc.hi)), "cells": len(clo),
            "per_axis": k, "method": "interval enclosure (outward rounding) on a uniform grid "
            "of cells"}


def sampled_min(relation: Relation, rng: np.random.Generator, n: int = 4096) -> dict:
    """The smallest r found on a grid plus random points, with its point."""
    k = {1: 41, 2: 9, 3: 5}.get(max(relation.dx, relation.dy), 3)
    X = np.vstack([relation.x_box.grid(k), relation.x_box.sample(n, rng)])
    Y = np.vstack([relation.y_box.grid(k), relation.y_box.sample(n, rng)])
    ix, iy = np.meshgrid(np.arange(len(relation.x_box.grid(k))),
                         np.arange(len(relation.y_box.grid(k))), indexing="ij")
    Xp = np.vstack([X[ix.ravel()], X[-n:]])
    Yp = np.vstack([Y[iy.ravel()], Y[-n:]])
    vals = relation(Xp, Yp)
    i = int(np.argmin(vals))
    return {"min": float(vals[i]), "x": Xp[i].tolist(), "y": Yp[i].tolist(), "points": len(vals)}


def transfer_bound(max_r_upper: float, delta: float) -> float:
    """Upper bound on max r · (e^δ − 1) (arb, outward)."""
    from flint import arb

    val = arb(max_r_upper) * (arb(delta).exp() - 1)
    return float(np.nextafter(float(val.upper()), np.inf))


def converse_bound(min_r_lower: float, b: float) -> float:
    """Lower bound on min r · (1 − e^{−b}) (arb, outward), for min r > 0."""
    from flint import arb

    val = arb(min_r_lower) * (1 - (-arb(b)).exp())
    return max(0.0, float(np.nextafter(float(val.lower()), -np.inf)))
