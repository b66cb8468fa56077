r"""Modern Hopfield retrieval as one attention read-out (Ramsauer et al. 2020; docs/math.md).

The update :math:`\xi \leftarrow X\,\mathrm{softmax}(\beta X^\top \xi)` (stored patterns the
columns of X) is ``scaled_dot_product_attention`` with query ξ, keys and values the patterns and
scale β. With utilities :math:`u_i = x_i^\top \xi` and gap
:math:`\eta = u_{i^*} - \max_{j \ne i^*} u_j > 0`, the attention margin lemma (ours,
:mod:`verify.attention.margin`, δ = 0) gives
:math:`1 - \alpha_{i^*} \le 1/(1 + e^{\beta\eta - \log(n-1)})` and

.. math::

    \|\xi_{new} - x_{i^*}\| = \Big\|\sum_{j\ne i^*}\alpha_j (x_j - x_{i^*})\Big\|
    \le 2 (1 - \alpha_{i^*}) \max_i \|x_i\| ,

so :math:`\beta \ge \log((n-1)/\varepsilon_1)/\Delta` (Δ ≤ η) retrieves within
:math:`2\varepsilon_1 \max_i\|x_i\|` in one update.
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from verify.attention.margin import beta_for, one_minus_bound, value_error_bound


def hopfield_update(X: np.ndarray, xi: np.ndarray, beta: float) -> np.ndarray:
    """``X softmax(β Xᵀ ξ)`` (X of shape (d, n))."""
    return X @ softmax(beta * (X.T @ xi))


def sdpa_update(X: np.ndarray, xi: np.ndarray, beta: float) -> np.ndarray:
    """The same read-out through ``torch.nn.functional.scaled_dot_product_attention``."""
    import torch

    q = torch.as_tensor(xi, dtype=torch.float64)[None, None, :]
    kv = torch.as_tensor(X.T, dtype=torch.float64)[None]
    out = torch.nn.functional.scaled_dot_product_attention(q, kv, kv, scale=float(beta))
    return out[0, 0].numpy()


def separated_patterns(n: int, d: int, delta: float, radius: float, noise: float,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Patterns (d, n) of norm ≤ about ``radius`` and a query near pattern 0 whose gap η to the
    others is ≥ ``delta`` (others pushed back along ξ where needed)."""
    X = rng.standard_normal((d, n))
    X *= radius * rng.uniform(0.5, 1.0, size=n) / np.linalg.norm(X, axis=0)
    xi = X[:, 0] + noise * rng.standard_normal(d) / np.sqrt(d)
    for _ in range(3):  # rounding can shave an ulp off the gap: push again
        u = X.T @ xi
        over = u[1:] - (u[0] - delta)
        push = np.maximum(over, 0.0) * (1 + 1e-9) / float(xi @ xi)
        X[:, 1:] -= np.outer(xi, push)
    return X, xi


def retrieval_case(X: np.ndarray, xi: np.ndarray, delta: float, eps1: float,
                   beta_factor: float) -> dict:
    """One update at ``β = beta_factor · log((n−1)/ε₁)/Δ``: measured error, the lemma's bound
    at the measured gap, the claimed ``2ε₁ max‖x‖`` and the SDPA agreement."""
    n = X.shape[1]
    u = X.T @ xi
    eta = float(u[0] - np.max(u[1:]))
    beta = beta_factor * beta_for(n, eps1, delta)
    h = hopfield_update(X, xi, beta)
    a = sdpa_update(X, xi, beta)
    vmax = float(np.linalg.norm(X, axis=0).max())
    err = float(np.linalg.norm(h - X[:, 0]))
    return {"n": n, "d": X.shape[0], "beta": beta, "eta": eta, "delta": delta,
            "error": err, "vmax": vmax,
            "lemma_bound": value_error_bound(one_minus_bound(n, beta, eta), vmax)
            if eta > 0 else float("inf"),
            "claimed": value_error_bound(eps1, vmax),
            "sdpa_max_abs_diff": float(np.max(np.abs(h - a))),
            "sdpa_scale": float(np.max(np.abs(h)) + 1e-300)}
