r"""Explicit features of :math:`\exp(\langle q, k\rangle/\sqrt d)` and a certified truncation bound.

**Expansion** (ours, checked by sympy coefficient by coefficient; docs/math.md). For
:math:`q, k \in \mathbb R^d` and multi-indices :math:`p \in \mathbb N^d`

.. math::
    \exp(\langle q,k\rangle/\sqrt d) = \sum_p \phi_p(q)\,\phi_p(k), \qquad
    \phi_p(v) = \frac{v^p}{\sqrt{p!}\; d^{|p|/4}},

with :math:`p! = \prod_i p_i!`, :math:`v^p = \prod_i v_i^{p_i}`: the degree-n part of the series
is :math:`(\langle q,k\rangle/\sqrt d)^n/n! = \sum_{|p|=n} \binom{n}{p} q^p k^p/(n!\,d^{n/2})`
(multinomial theorem) and :math:`\binom{n}{p}/n! = 1/p!`. Infinitely many linearly independent
monomials: an infinite-dimensional feature space.

**Truncation** (ours). The features with :math:`|p| \le N` give exactly the Taylor polynomial
:math:`\sum_{n \le N} z^n/n!` of :math:`e^z`, :math:`z = \langle q,k\rangle/\sqrt d`; Lagrange's
remainder gives

.. math::
    \Big|e^z - \sum_{n\le N} \frac{z^n}{n!}\Big| \le \frac{|z|^{N+1} e^{|z|}}{(N+1)!}
    \le \frac{Z^{N+1} e^{Z}}{(N+1)!}, \qquad Z \ge \max_{\text{box}} |z|.

For :math:`z = t^\top M s/\sqrt d` bilinear in (t, s), :math:`\max |z|` over a box × box is
attained at a pair of vertices (a bilinear function is affine in each argument); we evaluate it
exactly in rationals and the bound in python-flint ``arb`` ball arithmetic (rigorous).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product
from math import factorial

import numpy as np
import sympy

from verify.certify.multiindex import factorial_of, multi_indices


def exp_features(V: np.ndarray, N: int, d: int, d_power: float = 0.25,
                 fact_power: float = 0.5) -> np.ndarray:
    """φ_p(v) for |p| ≤ N, ``(n, C(N + dim, dim))``, columns in :func:`multi_indices` order.

    ``d_power`` / ``fact_power`` are the exponents of d^{|p|} and p! in the denominator (1/4 and
    1/2 are the true normalisation; others are there to plant a false claim).
    """
    V = np.atleast_2d(np.asarray(V, dtype=np.float64))
    idx = multi_indices(V.shape[1], N)
    P = np.array(idx, dtype=np.float64)  # (C, dim)
    mono = np.prod(V[:, None, :] ** P[None, :, :], axis=2)
    scale = np.array([factorial_of(p) ** fact_power * d ** (sum(p) * d_power) for p in idx])
    return mono / scale


def coefficient_check(d: int, order: int, d_power=sympy.Rational(1, 4),
                      fact_power=sympy.Rational(1, 2)) -> dict:
    """Compare, coefficient by coefficient up to total degree ``order`` in q (and in k), the
    Taylor series of exp(s⟨q,k⟩/√d) in s (sympy's ``series``) with Σ_{|p|≤order} φ_p(q)φ_p(k).

    Returns ``{"compared": n, "mismatches": [...]}`` (exact sympy arithmetic).
    """
    q, k = sympy.symbols(f"q0:{d}", real=True), sympy.symbols(f"k0:{d}", real=True)
    s = sympy.Symbol("s")
    dot = sum(a * b for a, b in zip(q, k))
    series = sympy.series(sympy.exp(s * dot / sympy.sqrt(d)), s, 0, order + 1).removeO()
    compared, mismatches = 0, []
    for n in range(order + 1):
        lhs = sympy.Poly(sympy.expand(series.coeff(s, n)), *q, *k)
        rhs = sum(
            sympy.Mul(*[qi**pi * ki**pi for qi, ki, pi in zip(q, k, p)])
            / (sympy.Integer(factorial_of(p)) ** (2 * fact_power) * sympy.Integer(d)
               ** (2 * sum(p) * d_power))
            for p in multi_indices(d, n) if sum(p) == n)
        rhs = sympy.Poly(sympy.expand(rhs), *q, *k)
        monos = set(lhs.as_dict()) | set(rhs.as_dict())
        for m in sorted(monos):
            compared += 1
            a, b = lhs.as_dict().get(m, 0), rhs.as_dict().get(m, 0)
            if sympy.simplify(a - b) != 0:
                mismatches.append({"degree": n, "monomial": str(sympy.Mul(*[
                    v**e for v, e in zip((*q, *k), m)])), "series": str(a), "features": str(b)})
    return {"compared": compared, "order": order, "d": d, "mismatches": mismatches}


def max_abs_bilinear(M: sympy.Matrix, d: int, t_box, s_box) -> Fraction:
    """max |tᵀ M s| over box × box, exact (vertex pairs), *before* the division by √d."""
    best = Fraction(0)
    Mq = [[Fraction(str(sympy.Rational(M[i, j]))) for j in range(M.shape[1])]
          for i in range(M.shape[0])]
    for t in t_box.corners():
        for s in s_box.corners():
            val = sum(Mq[i][j] * Fraction(t[i]) * Fraction(s[j])
                      for i, j in product(range(M.shape[0]), range(M.shape[1])))
            best = max(best, abs(val))
    return best


def certified_tail(M: sympy.Matrix, d: int, t_box, s_box, N: int) -> dict:
    """Rigorous upper bound on sup |κ − ⟨Φ_N, Ψ_N⟩| over the boxes (arb, outward rounded)."""
    from flint import arb

    A = max_abs_bilinear(M, d, t_box, s_box)
    Z = arb(A.numerator) / arb(A.denominator) / arb(d).sqrt()
    tail = Z ** (N + 1) * Z.exp() / arb(factorial(N + 1))
    upper = float(tail.upper() if hasattr(tail, "upper") else tail.mid() + tail.rad())
    if not np.isfinite(upper):
        raise ArithmeticError("tail bound overflowed")
    z_up = float(Z.upper() if hasattr(Z, "upper") else Z.mid() + Z.rad())
    return {"N": N, "Z_upper": z_up, "tail_upper": float(np.nextafter(upper, np.inf)),
            "method": "max |t^T M s| exact at box vertex pairs (rationals); "
                      "Z^(N+1) e^Z/(N+1)! in arb ball arithmetic"}


def point_error_lower(M: sympy.Matrix, d: int, t: np.ndarray, s: np.ndarray, N: int) -> float:
    """Rigorous lower bound on |κ(t,s) − Σ_{n≤N} z^n/n!| at one point pair (arb)."""
    from flint import arb

    z = sum(arb(Fraction(str(sympy.Rational(M[i, j]))).numerator)
            / arb(Fraction(str(sympy.Rational(M[i, j]))).denominator) * arb(float(t[i]))
            * arb(float(s[j])) for i in range(M.shape[0]) for j in range(M.shape[1]))
    z = z / arb(d).sqrt()
    poly = sum((z**n / arb(factorial(n)) for n in range(N + 1)), arb(0))
    err = abs(z.exp() - poly)
    return float(err.lower() if hasattr(err, "lower") else err.mid() - err.rad())
