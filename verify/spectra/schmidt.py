r"""Schmidt (singular-value) expansions of asymmetric relations by Nyström quadrature.

For :math:`r: X \times Y \to \mathbb R` and quadratures :math:`(t_j, w^x_j)` on the x-box,
:math:`(s_l, w^y_l)` on the y-box (uniform probability measures by default), the operator
:math:`(Tf)(x) = \int r(x, s) f(s)\,d\mu_y(s)` is discretised by
:math:`M = (W^x)^{1/2} K (W^y)^{1/2}` with :math:`K_{jl} = r(t_j, s_l)`. With the SVD
:math:`M = U \Sigma V^\top` the singular functions at the nodes are
:math:`u_i(t_j) = U_{ji}/\sqrt{w^x_j}`, :math:`v_i(s_l) = V_{li}/\sqrt{w^y_l}`, extended by

.. math::
    u_i(x) = \frac{1}{\sigma_i}\sum_l w^y_l\, r(x, s_l)\, v_i(s_l), \qquad
    v_i(y) = \frac{1}{\sigma_i}\sum_j w^x_j\, r(t_j, y)\, u_i(t_j),

and :math:`r(x, y) \approx \sum_i \sigma_i u_i(x) v_i(y)`. This is the asymmetric analogue of
:mod:`verify.spectra.mercer` (standard; the construction is ours, not a paper's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from verify.relations.base import Relation
from verify.spectra.expansion import TruncatedExpansion, fix_signs
from verify.spectra.mercer import default_n_per_dim, noise_floor
from verify.spectra.quadrature import Quadrature, gauss_legendre


@dataclass
class SchmidtSpectrum:
    """Singular triples of a relation's integral operator, with Nyström-extended functions."""

    relation: Relation
    x_nodes: np.ndarray  # (Nx, dx)
    x_weights: np.ndarray  # (Nx,)
    y_nodes: np.ndarray  # (Ny, dy)
    y_weights: np.ndarray  # (Ny,)
    singular_values: np.ndarray  # (k,), decreasing
    u_nodes: np.ndarray  # (Nx, k): u_i(t_j)
    v_nodes: np.ndarray  # (Ny, k): v_i(s_l)
    info: dict = field(default_factory=dict)

    @property
    def k(self) -> int:
        return len(self.singular_values)

    def left_functions(self, X: np.ndarray) -> np.ndarray:
        """:math:`u_i(X)`, ``(n, k)``."""
        R = self.relation.gram(X, self.y_nodes)
        return (R * self.y_weights) @ self.v_nodes / self.singular_values

    def right_functions(self, Y: np.ndarray) -> np.ndarray:
        """:math:`v_i(Y)`, ``(n, k)``."""
        R = self.relation.gram(self.x_nodes, Y)  # (Nx, n)
        return (R.T * self.x_weights) @ self.u_nodes / self.singular_values

    def features_x(self, X: np.ndarray) -> np.ndarray:
        r""":math:`\sqrt{\sigma_i}\, u_i(X)`, ``(n, k)`` (target for the x-side MLP)."""
        return self.left_functions(X) * np.sqrt(self.singular_values)

    def features_y(self, Y: np.ndarray) -> np.ndarray:
        r""":math:`\sqrt{\sigma_i}\, v_i(Y)`, ``(n, k)`` (target for the y-side MLP)."""
        return self.right_functions(Y) * np.sqrt(self.singular_values)

    def truncated(self, m: int) -> TruncatedExpansion:
        r"""Evaluator of :math:`\sum_{i \le m} \sigma_i u_i(x) v_i(y)`."""
        return TruncatedExpansion(
            self.left_functions, self.singular_values, self.right_functions, m
        )

    def factors(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(u(X) (n,k), singular values (k,), v(Y) (n',k))``."""
        return self.left_functions(X), self.singular_values, self.right_functions(Y)


def schmidt(
    relation: Relation,
    n_per_dim: int | None = None,
    k: int | None = None,
    *,
    n_per_dim_y: int | None = None,
    quadrature_x: Quadrature | None = None,
    quadrature_y: Quadrature | None = None,
) -> SchmidtSpectrum:
    """Nyström Schmidt expansion of ``relation`` (any relation; symmetric ones work too).

    Gauss–Legendre rules on ``x_box`` / ``y_box`` (``n_per_dim`` / ``n_per_dim_y`` nodes per
    axis) unless explicit ``(nodes, weights)`` are given. ``k`` keeps the ``k`` largest singular
    values; by default every one above the rounding floor ``10 max(Nx, Ny) eps sigma_1``.
    """
    if quadrature_x is None:
        quadrature_x = gauss_legendre(relation.x_box, n_per_dim or default_n_per_dim(relation.dx))
    if quadrature_y is None:
        ny = n_per_dim_y or (n_per_dim if relation.dy == relation.dx else None)
        quadrature_y = gauss_legendre(relation.y_box, ny or default_n_per_dim(relation.dy))
    xn, xw = (np.asarray(a, dtype=np.float64) for a in quadrature_x)
    yn, yw = (np.asarray(a, dtype=np.float64) for a in quadrature_y)
    xn, yn = xn.reshape(len(xw), -1), yn.reshape(len(yw), -1)
    if np.any(xw <= 0) or np.any(yw <= 0):
        raise ValueError("quadrature weights must be positive")
    K = relation.gram(xn, yn)
    sx, sy = np.sqrt(xw), np.sqrt(yw)
    U, sig, Vt = scipy.linalg.svd(sx[:, None] * K * sy[None, :], full_matrices=False)
    floor = noise_floor(max(len(xw), len(yw)), sig[0] if len(sig) else 0.0)
    keep = int(np.sum(sig > floor)) if k is None else min(int(k), len(sig))
    keep = max(keep, 1) if len(sig) and sig[0] > 0 else 0
    u = U[:, :keep] / sx[:, None]
    v = Vt[:keep].T / sy[:, None]
    signs = fix_signs(u)
    info = {"method": "nystrom-svd", "Nx": len(xw), "Ny": len(yw), "noise_floor": floor}
    return SchmidtSpectrum(relation, xn, xw, yn, yw, sig[:keep], u * signs, v * signs, info)
