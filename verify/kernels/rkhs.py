r"""RKHS of :math:`\langle\phi,\phi\rangle` and the RKBS pair of :math:`\langle\phi,\psi\rangle`,
in finite form (Altabaa & Lafferty's identification, arXiv 2402.08856 abstract; the precise
finite-dimensional statements below are ours).

**RKHS** (classical: the Moore–Aronszajn theorem, in finite form). For
:math:`\phi: X \to \mathbb R^m` and
:math:`k(x, y) = \langle\phi(x), \phi(y)\rangle`,
:math:`H = \{f_w = \langle w, \phi(\cdot)\rangle\}` with
:math:`\|f_w\|_H = \min\{\|w'\| : f_{w'} = f_w\}`. For
:math:`f = \sum_i \alpha_i k(\cdot, x_i)`
(so :math:`w = \sum_i \alpha_i \phi(x_i)`, already of minimal norm since it lies in the span of
φ's values)

.. math::
    \|f\|_H^2 = \alpha^\top K \alpha = \Big\|\sum_i \alpha_i \phi(x_i)\Big\|^2,\qquad
    f(x) = \langle f, k(\cdot, x)\rangle_H = \sum_i \alpha_i k(x_i, x),

and :math:`\dim H` is the rank of φ's coordinate functions (here: the numerical rank of
:math:`\phi(X_{\text{sample}})` with relative tolerance :data:`RANK_RTOL`). Moore–Aronszajn,
finite form: a PSD Gram matrix :math:`K = U \Lambda U^\top` is the Gram matrix of the explicit
features :math:`F = U \Lambda^{1/2}`. A symmetric kernel with :math:`\alpha^\top K\alpha < 0` for
some α has no RKHS (that number would be :math:`\|f\|^2`); an asymmetric one is no RKHS kernel
because :math:`k(x, y) = \langle k_x, k_y\rangle_H` is symmetric.

**RKBS pair** (ours, finite form). For :math:`\Phi: X \to \mathbb R^m`, :math:`\Psi: Y \to
\mathbb R^m`, :math:`B_X = \{f_v = \langle\Phi(\cdot), v\rangle\}`,
:math:`B_Y = \{g_u = \langle u, \Psi(\cdot)\rangle\}` and the bilinear form
:math:`\langle f_v, g_u\rangle = \langle u, v\rangle`, taking for v, u the minimal-norm
coefficients (those in :math:`V_\Phi`, :math:`V_\Psi`, the row spaces of the coordinate
functions). With :math:`\kappa = \langle\Phi, \Psi\rangle`,
:math:`\kappa(x, \cdot) = g_{\Phi(x)}` and
:math:`\kappa(\cdot, y) = f_{\Psi(y)}`, and the reproducing identities

.. math::
    f(x) = \langle f, \kappa(x, \cdot)\rangle, \qquad g(y) = \langle \kappa(\cdot, y), g\rangle

hold for all f, g iff :math:`V_\Phi = V_\Psi` (then the form is non-degenerate: the matrix
:math:`Q_\Phi^\top Q_\Psi` of orthonormal bases is square and invertible). If, e.g., Ψ has a zero
coordinate and Φ does not, some :math:`f \ne 0` in :math:`B_X` pairs to 0 with every g: the form is
degenerate and the first identity fails for that f. Functions are handled through their values on
a sample, coefficients recovered by least squares, so nothing here is true by construction.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FeatureMap = Callable[[np.ndarray], np.ndarray]

#: relative singular-value tolerance for the rank of coordinate functions (ours)
RANK_RTOL = 1e-10


def numerical_rank(F: np.ndarray, rtol: float = RANK_RTOL) -> tuple[int, np.ndarray]:
    s = np.linalg.svd(F, compute_uv=False)
    return int(np.sum(s > rtol * max(s[0], 1e-300))), s


def random_tanh_features(dx: int, m: int, rng: np.random.Generator, width: int = 16,
                         repeat_first: bool = False) -> FeatureMap:
    """A random one-hidden-layer tanh map R^dx → R^m (``repeat_first``: last coordinate = first)."""
    A, b = rng.standard_normal((dx, width)), rng.standard_normal(width)
    C = rng.standard_normal((width, m)) / np.sqrt(width)
    if repeat_first:
        C[:, -1] = C[:, 0]
    return lambda X: np.tanh(np.atleast_2d(X) @ A + b) @ C


def rkhs_identities(phi: FeatureMap, X: np.ndarray, alpha: np.ndarray, x: np.ndarray) -> dict:
    """Norm and reproducing identities for f = Σ α_i k(·, x_i) at the point ``x``."""
    P, px = phi(X), phi(x[None, :])[0]
    K = P @ P.T
    w = alpha @ P
    norm_gram, norm_feat = float(alpha @ K @ alpha), float(w @ w)
    f_x, repro = float(w @ px), float(alpha @ (P @ px))
    scale_n = max(abs(norm_feat), float(np.abs(alpha).sum() ** 2 * np.abs(K).max()), 1e-300)
    scale_f = max(float(np.abs(alpha) @ np.abs(P @ px)), 1e-300)
    return {"norm_gram": norm_gram, "norm_features": norm_feat,
            "norm_rel": abs(norm_gram - norm_feat) / scale_n,
            "f_x": f_x, "inner_f_kx": repro, "repro_rel": abs(f_x - repro) / scale_f}


def moore_aronszajn(K: np.ndarray) -> dict:
    """Explicit features F = U Λ^½ of a PSD Gram matrix and the residual ‖FFᵀ − K‖/‖K‖."""
    lam, U = np.linalg.eigh((K + K.T) / 2)
    F = U * np.sqrt(np.clip(lam, 0.0, None))
    return {"lambda_min": float(lam[0]), "features": F.shape[1],
            "residual_rel": float(np.linalg.norm(F @ F.T - K) / max(np.linalg.norm(K), 1e-300))}


class RKBSPair:
    """Φ, Ψ through their values on samples ``X`` (of X) and ``Y`` (of Y)."""

    def __init__(self, Phi: FeatureMap, Psi: FeatureMap, X: np.ndarray, Y: np.ndarray,
                 rtol: float = RANK_RTOL) -> None:
        self.Phi, self.Psi = Phi, Psi
        self.FX, self.FY = Phi(X), Psi(Y)
        if self.FX.shape[1] != self.FY.shape[1]:
            raise ValueError(f"Φ has {self.FX.shape[1]} features, Ψ {self.FY.shape[1]}: the form "
                             "⟨u, v⟩ needs one feature space")
        self.rank_x, self.sx = numerical_rank(self.FX, rtol)
        self.rank_y, self.sy = numerical_rank(self.FY, rtol)
        self.QX = np.linalg.svd(self.FX, full_matrices=False)[2][: self.rank_x].T
        self.QY = np.linalg.svd(self.FY, full_matrices=False)[2][: self.rank_y].T
        self._pinv_x = np.linalg.pinv(self.FX, rcond=rtol)
        self._pinv_y = np.linalg.pinv(self.FY, rcond=rtol)

    def coef_x(self, values: np.ndarray) -> np.ndarray:
        """Minimal-norm v with Φ(X) v = values (least squares: truncated-SVD pseudo-inverse)."""
        return self._pinv_x @ values

    def coef_y(self, values: np.ndarray) -> np.ndarray:
        return self._pinv_y @ values

    def form(self, f_values: np.ndarray, g_values: np.ndarray) -> float:
        """⟨f, g⟩ = ⟨u(g), v(f)⟩ for f ∈ B_X, g ∈ B_Y given by their sample values."""
        return float(self.coef_y(g_values) @ self.coef_x(f_values))

    def nondegeneracy(self) -> dict:
        """σ_min of Q_Φᵀ Q_Ψ, and a function f ≠ 0 of B_X orthogonal to all of B_Y if any."""
        S = np.linalg.svd(self.QX.T @ self.QY, compute_uv=False) if self.rank_y else np.zeros(0)
        out = {"dim_BX": self.rank_x, "dim_BY": self.rank_y,
               "sigma_min_QxQy": float(S.min()) if len(S) == min(self.rank_x, self.rank_y) and
               len(S) else 0.0}
        out["nondegenerate"] = (self.rank_x == self.rank_y
                                and out["sigma_min_QxQy"] > 1e-8)
        if not out["nondegenerate"]:
            # v in V_Φ with Q_Ψᵀ v = 0: the last right singular vector of Q_Ψᵀ Q_Φ
            _, s, Vt = np.linalg.svd(self.QY.T @ self.QX)
            v = self.QX @ Vt[-1]
            f_vals = self.FX @ v
            g_probe = self.FY @ self.QY  # a basis of B_Y, by values
            pair = [self.form(f_vals, g_probe[:, j]) for j in range(g_probe.shape[1])]
            out["degenerate_f"] = {"v": v.tolist(), "max|f| on sample": float(np.abs(f_vals).max()),
                                   "max |<f, g_j>| over a basis of B_Y":
                                   float(np.max(np.abs(pair))) if pair else 0.0}
        return out

    def reproducing(self, v: np.ndarray, u: np.ndarray, x: np.ndarray, y: np.ndarray) -> dict:
        """Both identities for f = f_v, g = g_u at (x, y), through sample values only."""
        f_vals, g_vals = self.FX @ v, self.FY @ u
        px, py = self.Phi(x[None, :])[0], self.Psi(y[None, :])[0]
        kx_vals = self.FY @ px  # κ(x, ·) on the Y sample
        ky_vals = self.FX @ py  # κ(·, y) on the X sample
        f_x, g_y = float(px @ v), float(u @ py)
        lhs_f, lhs_g = self.form(f_vals, kx_vals), self.form(ky_vals, g_vals)
        sf = max(float(np.abs(px) @ np.abs(v)), 1e-300)
        sg = max(float(np.abs(u) @ np.abs(py)), 1e-300)
        return {"f(x)": f_x, "<f,k(x,.)>": lhs_f, "f_rel": abs(f_x - lhs_f) / sf,
                "g(y)": g_y, "<k(.,y),g>": lhs_g, "g_rel": abs(g_y - lhs_g) / sg}


class FeatureKernel:
    """k(x, y) = <φ(x), ψ(y)> (ψ = φ when ``psi`` is None) on ``x_box`` × ``y_box``."""

    def __init__(self, name: str, phi: FeatureMap, psi: FeatureMap | None, x_box, y_box) -> None:
        self.name, self.phi, self.psi, self.x_box, self.y_box = name, phi, psi, x_box, y_box

    @property
    def symmetric(self) -> bool:
        return self.psi is None

    def gram(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return self.phi(X) @ (self.psi or self.phi)(Y).T
