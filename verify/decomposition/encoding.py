r"""The encoding theorem in our operational form (ours; Ng, Luo & Qiu, arXiv 2309.05968, read
from the abstract only: their definitions of "stably converged" and "margin" are not available).

**Stably converged (ours).** After training, ``K`` further full-batch gradient steps of size
``η`` on the training loss leave :math:`\|\nabla \mathcal L(\theta_t)\| \le g_{tol}` and
:math:`\|\theta_{t+1} - \theta_t\| / \|\theta_t\| \le w_{tol}` at every step.

**Certified Lipschitz bound.** For :math:`f: B \to \mathbb R` on a box :math:`B`, cut into cells
:math:`Q_i`, the interval Jacobian enclosure of :func:`verify.certify.enclose_mlp` gives
:math:`G_i \ge \sup_{Q_i} \|\nabla f\|_2`; the box is convex, so by the mean-value theorem
:math:`L = \max_i G_i` is a Lipschitz constant of f on B (rounded upward). The classical bound
:math:`\prod_l \|W_l\|_2 \cdot L_\sigma^{\text{depth}}` is reported next to it (float64 SVD).

**Margin (ours).** With :math:`\varepsilon_{train} = \max_i |f(x_i) - y_i|` (rigorous point
enclosures),

.. math::

    |f(x) - y_i| \le \varepsilon_{train} + L\,\|x - x_i\| \quad \forall x \in B,\ \forall i,
    \qquad \sup_{x \in B} \min_i |f(x) - y_i| \le \varepsilon_{train} + L\,h,

:math:`h \ge \sup_{x\in B} \min_i \|x - x_i\|` the covering radius of the data (per cell:
distance of the centre to the nearest x_i plus the half-diagonal). This is the "finite margin of
error over a bounded domain" of the abstract, in a form we can certify.
"""

from __future__ import annotations

import numpy as np

from verify.certify.interval import Interval, isum
from verify.certify.mlp_bounds import enclose_mlp, ibp
from verify.decomposition.activations import evaluate, facts
from verify.decomposition.grid import grid_cells
from verify.decomposition.svd import Layers, singular_values


def stability_steps(layers: Layers, activation: str, x: np.ndarray, y: np.ndarray, *,
                    steps: int, lr: float) -> tuple[Layers, dict]:
    """Run ``steps`` plain gradient steps on the mean squared error; per-step gradient norms
    and relative weight changes, and the final layers."""
    import torch

    from verify.models.mlp import ACTIVATIONS

    ps = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for Wb in layers for a in Wb]
    X, Y = torch.as_tensor(np.asarray(x, float)), torch.as_tensor(np.asarray(y, float))
    act = ACTIVATIONS[activation]
    grads, changes = [], []
    for _ in range(steps):
        h = X
        for i in range(len(ps) // 2):
            h = h @ ps[2 * i].T + ps[2 * i + 1]
            if i < len(ps) // 2 - 1:
                h = act(h)
        loss = ((h.reshape(-1) - Y) ** 2).mean()
        g = torch.autograd.grad(loss, ps)
        gn = float(torch.sqrt(sum((gi * gi).sum() for gi in g)))
        with torch.no_grad():
            norm = float(torch.sqrt(sum((p * p).sum() for p in ps)))
            for p, gi in zip(ps, g):
                p -= lr * gi
        grads.append(gn)
        changes.append(lr * gn / norm)
    out = [(ps[2 * i].detach().numpy().copy(), ps[2 * i + 1].detach().numpy().copy())
           for i in range(len(ps) // 2)]
    return out, {"grad_norms": grads, "relative_changes": changes,
                 "max_grad_norm": max(grads), "max_relative_change": max(changes)}


def certified_lipschitz(layers: Layers, activation: str, lo: np.ndarray, hi: np.ndarray,
                        cells_per_dim: int) -> dict:
    """``L ≥ sup_B ‖∇f‖₂`` from interval Jacobians on ``cells_per_dim^d`` cells (rigorous)."""
    blo, bhi = grid_cells(lo, hi, cells_per_dim)
    enc = enclose_mlp(layers, activation, Interval(blo, bhi))
    J = enc.jac  # (B, 1, d)
    G = isum(Interval.point(J.mag()[:, 0, :]).square(), axis=-1).sqrt().hi
    G = np.where(np.isnan(G), np.inf, G)
    i = int(np.argmax(G))
    return {"L": float(G[i]), "cells": len(blo), "worst_cell": [blo[i].tolist(), bhi[i].tolist()],
            "method": f"interval Jacobian enclosure (enclose_mlp) on {len(blo)} cells, "
                      "L = max over cells of an upward-rounded bound on ||grad f||_2"}


def spectral_product(layers: Layers, activation: str) -> float:
    """``Π ‖W_l‖₂ · Lip(σ)^{#hidden}`` (classical, float64 SVD)."""
    lip = facts(activation).lipschitz
    return float(np.prod([singular_values(W)[0] for W, _ in layers]) * lip ** (len(layers) - 1))


def _rigorous_values(layers: Layers, activation: str, pts: np.ndarray) -> Interval:
    return ibp(layers, activation, Interval.point(np.asarray(pts, float)))


def train_error(layers: Layers, activation: str, x: np.ndarray, y: np.ndarray) -> float:
    """``max_i |f(x_i) − y_i|``, an upward-rounded bound from point enclosures."""
    v = _rigorous_values(layers, activation, x)
    return float(np.max((v - Interval.point(np.asarray(y, float)[:, None])).mag()))


def steepest_pair(layers: Layers, activation: str, lo: np.ndarray, hi: np.ndarray,
                  rng: np.random.Generator, n: int = 2048, h: float = 1e-4) -> dict:
    """A pair of points with a large difference quotient (ours): ``a`` the sampled point of
    largest ``‖∇f‖``, ``b = a + h·∇f/‖∇f‖`` (kept in the box). The quotient
    ``|f(a) − f(b)| / ‖a − b‖`` is a rigorous lower bound on every Lipschitz constant of f on
    the box (point enclosures, distance rounded up)."""
    pts = lo + rng.uniform(size=(n, lo.size)) * (hi - lo)
    enc = enclose_mlp(layers, activation, Interval.point(pts))
    g = enc.jac.mid[:, 0, :]
    j = int(np.argmax(np.linalg.norm(g, axis=1)))
    a = pts[j]
    u = g[j] / np.linalg.norm(g[j])
    b = np.clip(a + h * u, lo, hi)
    if np.allclose(a, b):
        b = np.clip(a - h * u, lo, hi)
    v = _rigorous_values(layers, activation, np.stack([a, b]))
    diff = (Interval(v.lo[0:1, 0], v.hi[0:1, 0]) - Interval(v.lo[1:2, 0], v.hi[1:2, 0])).mig()
    dist = isum(Interval.point(a - b).square()).sqrt().hi
    return {"a": a, "b": b, "quotient_lower": float(diff[0] / np.nextafter(dist, np.inf)),
            "gradient_norm_at_a": float(np.linalg.norm(g[j]))}


def covering_radius(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, cells_per_dim: int) -> float:
    """``h ≥ sup_{z ∈ B} min_i ‖z − x_i‖``: per cell, centre distance plus half-diagonal."""
    blo, bhi = grid_cells(lo, hi, cells_per_dim)
    c = 0.5 * (blo + bhi)
    half = 0.5 * np.linalg.norm(bhi - blo, axis=1)
    d = np.sqrt(((c[:, None, :] - x[None, :, :]) ** 2).sum(-1)).min(1)
    return float(np.max(d + half) * (1 + 1e-12))


def sampled_margin_check(layers: Layers, activation: str, x: np.ndarray, y: np.ndarray,
                         eps_train: float, L: float, lo: np.ndarray, hi: np.ndarray,
                         rng: np.random.Generator, n: int = 4096) -> dict:
    """On sampled z: the worst ``|f(z) − y_i| − (ε_train + L‖z − x_i‖)`` over all i
    (≤ 0 when L is a Lipschitz constant)."""
    z = lo + rng.uniform(size=(n, lo.size)) * (hi - lo)
    fz = _forward(layers, activation, z)
    dist = np.sqrt(((z[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    excess = np.abs(fz[:, None] - y[None, :]) - (eps_train + L * dist)
    k = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return {"max_excess": float(excess[k]), "z": z[k[0]], "i": int(k[1]), "samples": n}


def _forward(layers: Layers, activation: str, X: np.ndarray) -> np.ndarray:
    h = np.asarray(X, float)
    for i, (W, b) in enumerate(layers):
        h = h @ np.asarray(W).T + b
        if i < len(layers) - 1:
            h = evaluate(h, activation)
    return h[:, 0]


def fit_step_network(x: np.ndarray, y: np.ndarray, width: int, lo: np.ndarray,
                     hi: np.ndarray, rng: np.random.Generator) -> Layers:
    """A step-activation network fitted to data (ours): random hyperplanes through random points
    of the box, output layer by least squares (gradient descent cannot train a step)."""
    d = x.shape[1]
    W = rng.standard_normal((width, d))
    p = lo + rng.uniform(size=(width, d)) * (hi - lo)
    b = -(W * p).sum(1)
    H = np.hstack([evaluate(x @ W.T + b, "step"), np.ones((len(x), 1))])
    coef = np.linalg.lstsq(H, y, rcond=None)[0]
    return [(W, b), (coef[None, :-1], coef[-1:])]


def show_jump(layers: Layers, activation: str, lo: np.ndarray, hi: np.ndarray,
              deltas: tuple[float, ...] = (1e-2, 1e-4, 1e-6, 1e-8)) -> dict | None:
    """Where a first-layer unit switches inside the box, ``|f(x_0 + δu) − f(x_0 − δu)|`` for
    shrinking δ: a jump that does not shrink gives difference quotients ``≥ jump/(2δ) → ∞``."""
    W, b = layers[0]
    best = None
    for j in range(W.shape[0]):
        u = W[j] / np.linalg.norm(W[j])
        x0 = -b[j] * W[j] / float(W[j] @ W[j])
        if np.any(x0 - deltas[0] < lo) or np.any(x0 + deltas[0] > hi):
            continue
        jumps = [float(abs(_forward(layers, activation, np.stack([x0 + dl * u]))[0]
                           - _forward(layers, activation, np.stack([x0 - dl * u]))[0]))
                 for dl in deltas]
        if best is None or jumps[-1] > best["jumps"][-1]:
            best = {"unit": j, "x0": x0, "direction": u, "deltas": list(deltas), "jumps": jumps,
                    "difference_quotients": [jp / (2 * dl) for jp, dl in zip(jumps, deltas)]}
    return best
