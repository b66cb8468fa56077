"""Spectral warm starts: target features ``sqrt(λ_i) e_i`` from a Nyström quadrature (ours).

For a kernel ``r`` on ``X × Y`` with the uniform measure, Gauss–Legendre nodes ``x_a`` (weights
``w_a``, tensor products in d > 1) discretise the integral operator; the SVD
``W_x^{1/2} K W_y^{1/2} = U Σ Vᵀ`` gives singular triples, extended off the nodes by the Nyström
formula ``u_i(x) = σ_i^{-1} Σ_b w_b r(x, y_b) v_i(y_b)``. Then
``r(x, y) ≈ Σ_i σ_i u_i(x) v_i(y) = <f_x(x), f_y(y)>``
with ``f_x = sqrt(σ) u``, ``f_y = sqrt(σ) v``.
For a symmetric PSD kernel the SVD is the eigendecomposition and ``f_x = f_y``. The quadrature is
math-notes' "Uniform measure on a box: Nyström quadrature"; this module is a self-contained copy so
the trainer does not depend on verify/spectra.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from verify.certify.sampled import box_bounds

FeatureFn = Callable[[np.ndarray], np.ndarray]


def gauss_legendre_box(box: Any, n_per_axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss–Legendre nodes ``(N, d)`` and weights ``(N,)`` on a box."""
    lo, hi = box_bounds(box)
    t, w = np.polynomial.legendre.leggauss(n_per_axis)
    axes = [
        (lo[i] + (t + 1) * (hi[i] - lo[i]) / 2, w * (hi[i] - lo[i]) / 2) for i in range(lo.size)
    ]
    nodes = np.stack([m.reshape(-1) for m in np.meshgrid(*[a[0] for a in axes], indexing="ij")], 1)
    weights = np.prod(
        np.stack([m.reshape(-1) for m in np.meshgrid(*[a[1] for a in axes], indexing="ij")], 1),
        axis=1,
    )
    return nodes, weights


def _gram(fn: Callable, X: np.ndarray, Y: np.ndarray, device: Any = "cpu") -> np.ndarray:
    """``r(X_i, Y_j)`` evaluated on ``device`` (the training device), returned as numpy."""
    Xt = torch.as_tensor(X, dtype=torch.float64, device=device)
    Yt = torch.as_tensor(Y, dtype=torch.float64, device=device)
    n, m = Xt.shape[0], Yt.shape[0]
    with torch.no_grad():
        out = fn(Xt.repeat_interleave(m, 0), Yt.repeat(n, 1))
    return out.reshape(n, m).cpu().numpy()


def spectral_features(
    relation_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x_box: Any,
    y_box: Any,
    rank: int,
    *,
    n_per_axis: int = 64,
    symmetric: bool = False,
    device: Any = "cpu",
) -> tuple[FeatureFn, FeatureFn | None, np.ndarray]:
    """``(features_x, features_y or None, singular values)`` of rank ``rank``.

    ``symmetric=True`` uses the eigendecomposition and keeps only positive eigenvalues (a PSD
    model cannot represent the others), returning ``features_y = None``.
    """
    Xn, wx = gauss_legendre_box(x_box, n_per_axis)
    Yn, wy = (Xn, wx) if symmetric else gauss_legendre_box(y_box, n_per_axis)
    K = _gram(relation_fn, Xn, Yn, device)
    sx, sy = np.sqrt(wx), np.sqrt(wy)
    M = sx[:, None] * K * sy[None, :]
    if symmetric:
        lam, V = np.linalg.eigh(0.5 * (M + M.T))
        order = np.argsort(lam)[::-1]
        lam, V = lam[order], V[:, order]
        keep = [i for i in range(min(rank, lam.size)) if lam[i] > 0]
        s, U, Vr = lam[keep], V[:, keep], V[:, keep]
    else:
        U, s, Vt = np.linalg.svd(M)
        s, U, Vr = s[:rank], U[:, :rank], Vt[:rank].T
    # node values of the (L2-normalised) singular functions: u(x_a) = U_a / sqrt(w_a)
    v_nodes = Vr / sy[:, None]
    u_nodes = U / sx[:, None]

    def features_x(x: np.ndarray) -> np.ndarray:
        # Nyström extension u_i(x) = σ_i^{-1} Σ_b w_b r(x, y_b) v_i(y_b), times sqrt(σ_i)
        Kx = _gram(relation_fn, np.asarray(x, dtype=np.float64).reshape(-1, Xn.shape[1]), Yn,
                   device)
        return (Kx * wy[None, :]) @ v_nodes / np.sqrt(s)[None, :]

    if symmetric:
        return features_x, None, s

    def features_y(y: np.ndarray) -> np.ndarray:
        Ky = _gram(relation_fn, Xn, np.asarray(y, dtype=np.float64).reshape(-1, Yn.shape[1]),
                   device)
        return (Ky * wx[:, None]).T @ u_nodes / np.sqrt(s)[None, :]

    return features_x, features_y, s
