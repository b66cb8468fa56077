r"""The named quantities of a relation instance that neuron-count bounds are stated in.

From the spectra layer (Nyström Mercer expansion for symmetric relations, Schmidt/SVD
otherwise): the coefficients :math:`\lambda_i` (eigenvalues or singular values), the truncation
rank :math:`r^*(\varepsilon/2)` (a *sampled* sup, :func:`verify.spectra.truncation_rank`), the
spectral tail, sup norms of the (Nyström-extended) eigenfunctions on a grid, the rank lower bound
``m_min`` (:func:`verify.spectra.min_rank_for`, rigorous on its point set) and a Barron-norm
estimate of each feature :math:`f_i = \sqrt{\lambda_i} e_i`.

Barron-norm estimate (ours, an *estimate*, not a certified value). Barron's norm of
:math:`f(x) = \int e^{i\omega\cdot x}\, \tilde F(d\omega)` is
:math:`C_f = \int |\omega|\, |\tilde F|(d\omega)`; a function on a box has the Barron norm of any
extension to :math:`\mathbb R^d`, and the smallest such is what matters. We build one extension:
sample :math:`f` on a uniform grid of the box, subtract its mean (a constant is free: the
output bias), continue it past each face along each axis by its
first-order Taylor polynomial times a :math:`C^\infty` cut-off that falls from 1 to 0 over half
the box width (so the extension is :math:`C^1` at the faces and vanishes at the far ends), treat
the result as periodic, and sum :math:`|\omega_k|\,|c_k|` over its discrete Fourier coefficients
:math:`c_k` (FFT). For a periodic extension this sum *is* the Barron norm of that extension, up to
sampling error; it upper-estimates the infimum over extensions. Kinks of ``f`` itself (none for
eigenfunctions of continuous kernels under Nyström) would make the sum grow with the grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verify.relations.base import Relation
from verify.relations.domain import Box
from verify.spectra import RankBound, mercer, min_rank_for, schmidt, truncation_rank

DEFAULT_GRID = {1: 1025, 2: 65, 3: 17}


def _cutoff(t: np.ndarray) -> np.ndarray:
    """:math:`C^\\infty` step: 1 at t <= 0, 0 at t >= 1 (ratio of exp(-1/s) bumps)."""
    t = np.clip(t, 0.0, 1.0)

    def psi(s):
        out = np.zeros_like(s)
        pos = s > 0
        out[pos] = np.exp(-1.0 / s[pos])
        return out

    a, b = psi(1.0 - t), psi(t)
    return a / (a + b)


def _extend_axis(values: np.ndarray, h: float, axis: int) -> np.ndarray:
    """Continue ``values`` past both ends of ``axis`` (C^1 Taylor x cut-off), length ~2x."""
    v = np.moveaxis(values, axis, -1)
    n = v.shape[-1]
    n_ext = max(n // 2, 4)
    s = h * np.arange(1, n_ext + 1)
    w = _cutoff(s / (h * n_ext))
    # second-order one-sided differences for the end slopes
    right_d = (3 * v[..., -1] - 4 * v[..., -2] + v[..., -3]) / (2 * h)
    left_d = (-3 * v[..., 0] + 4 * v[..., 1] - v[..., 2]) / (2 * h)
    right = (v[..., -1:] + right_d[..., None] * s) * w
    left = ((v[..., :1] - left_d[..., None] * s) * w)[..., ::-1]
    out = np.concatenate([left, v, right], axis=-1)
    return np.moveaxis(out, -1, axis)


def barron_norm_estimate(values: np.ndarray, box: Box) -> float:
    r"""Estimate :math:`\int |\omega| |\hat f(\omega)| d\omega` of ``f`` from its values on
    ``box.grid(k)`` (reshaped to ``(k,)*d``); see the module docstring (ours)."""
    d = box.dim
    k = round(values.size ** (1.0 / d))
    if k**d != values.size or k < 4:
        raise ValueError(f"values must be a k^d grid with k >= 4, got {values.size} for d = {d}")
    # a constant has Barron norm 0 (omega = 0) and costs a network only its output bias:
    # subtract the mean so the taper does not charge for it
    f = values.reshape((k,) * d) - float(np.mean(values))
    hs = np.asarray(box.width, dtype=float) / (k - 1)
    for ax in range(d):
        f = _extend_axis(f, float(hs[ax]), ax)
    c = np.fft.fftn(f) / f.size  # Fourier-series coefficients of the periodic extension
    omegas = [2 * np.pi * np.fft.fftfreq(f.shape[ax], d=float(hs[ax])) for ax in range(d)]
    mesh = np.meshgrid(*omegas, indexing="ij")
    wnorm = np.sqrt(sum(m**2 for m in mesh))
    return float(np.sum(wnorm * np.abs(c)))


@dataclass
class InstanceQuantities:
    """Everything a bound may name, for one relation and one ``eps`` (see ``values()``)."""

    relation: str
    eps: float
    symmetric: bool
    d: int
    radius: float
    coeffs: np.ndarray  # eigenvalues (signed) or singular values, decreasing |.|
    r_star: int | None
    truncation_errors: np.ndarray  # sampled sup error by rank 0..k
    sup_x: np.ndarray  # sup |e_i| (or |u_i|) on the grid
    sup_y: np.ndarray  # sup |e_i| (or |v_i|)
    barron_x: np.ndarray  # Barron estimate of sqrt|c_i| e_i (or u_i)
    barron_y: np.ndarray
    rank_bound: RankBound
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def m_min(self) -> int:
        return self.rank_bound.m_min

    @property
    def sup_f(self) -> np.ndarray:
        """sup norms of the features :math:`\\sqrt{|c_i|} e_i` (max over the two sides)."""
        return np.sqrt(np.abs(self.coeffs)) * np.maximum(self.sup_x, self.sup_y)

    @property
    def barron(self) -> np.ndarray:
        return np.maximum(self.barron_x, self.barron_y)

    def values(self) -> dict[str, float]:
        """The named quantities of :mod:`verify.bounds.statement` as floats."""
        r = self.r_star if self.r_star is not None else len(self.coeffs)
        out: dict[str, float] = {
            "eps": self.eps,
            "d": float(self.d),
            "radius": self.radius,
            "m_min": float(self.m_min),
            "r_star": float(r),
            "tail": float(np.sum(np.abs(self.coeffs[r:]))),
            "tail_sup": float(self.truncation_errors[min(r, len(self.truncation_errors) - 1)]),
            "barron_sum": float(np.sum(self.barron[:r])),
            "barron_max": float(np.max(self.barron[:r])) if r else 0.0,
            "sup_f_max": float(np.max(self.sup_f[:r])) if r else 0.0,
        }
        sup_e = np.maximum(self.sup_x, self.sup_y)
        for i in range(len(self.coeffs)):
            out[f"lambda_{i + 1}"] = float(self.coeffs[i])
            out[f"sup_e_{i + 1}"] = float(sup_e[i])
            out[f"sup_f_{i + 1}"] = float(self.sup_f[i])
            out[f"barron_{i + 1}"] = float(self.barron[i])
        return out

    def to_dict(self, head: int = 12) -> dict[str, Any]:
        v = self.values()
        return {
            "relation": self.relation,
            "eps": self.eps,
            "symmetric": self.symmetric,
            **{k: v[k] for k in ("d", "radius", "m_min", "r_star", "tail", "tail_sup",
                                 "barron_sum", "barron_max", "sup_f_max")},
            "r_star_reached": self.r_star is not None,
            "coeffs_head": self.coeffs[:head].tolist(),
            "sup_f_head": self.sup_f[:head].tolist(),
            "barron_head": self.barron[:head].tolist(),
            "spectrum_terms": len(self.coeffs),
            "rank_bound": {k: val for k, val in self.rank_bound.to_dict().items()
                           if k not in ("X", "Y")},
            "notes": [
                "r_star and tail_sup use a sampled sup (grid), not a certified one",
                "barron_i is an FFT estimate of a C^1 extension's Barron norm (ours)",
                "m_min is rigorous on its point set (Eckart-Young-Mirsky, with float margins)",
            ],
            **self.info,
        }


def _radius(rel: Relation) -> float:
    return float(max(np.linalg.norm(np.asarray(b.width, dtype=float)) / 2.0
                     for b in (rel.x_box, rel.y_box)))


def _feature_stats(fn, coeffs: np.ndarray, box: Box, k: int) -> tuple[np.ndarray, np.ndarray]:
    G = box.grid(k)
    E = fn(G)  # (k^d, m)
    sup = np.abs(E).max(axis=0)
    scale = np.sqrt(np.abs(coeffs))
    barron = np.array([barron_norm_estimate(E[:, i] * scale[i], box) for i in range(E.shape[1])])
    return sup, barron


def compute_quantities(
    relation: Relation,
    eps: float,
    *,
    n_per_dim: int | None = None,
    grid_k: int | None = None,
    rank_optimise: bool = False,
    max_terms: int = 64,
    seed: int = 0,
) -> InstanceQuantities:
    """Compute the named quantities of ``relation`` at accuracy ``eps``.

    Symmetric relations use the Mercer expansion (signed eigenvalues), others the Schmidt one.
    At most ``max_terms`` leading terms are kept for sup norms and Barron estimates.
    ``rank_optimise`` lets :func:`~verify.spectra.min_rank_for` move points (stronger, slower).
    """
    if eps <= 0:
        raise ValueError(f"eps must be positive, got {eps}")
    sym = relation.symmetric
    spec = mercer(relation, n_per_dim) if sym else schmidt(relation, n_per_dim)
    coeffs = np.asarray(spec.eigenvalues if sym else spec.singular_values, dtype=float)
    r_star, errors = truncation_rank(relation, spec, eps / 2.0)
    m = min(len(coeffs), max_terms)
    coeffs = coeffs[:m]
    gx = grid_k or DEFAULT_GRID.get(relation.dx, 9)
    gy = grid_k or DEFAULT_GRID.get(relation.dy, 9)
    if sym:
        sup_x, barron_x = _feature_stats(lambda X: spec.eigenfunctions(X)[:, :m], coeffs,
                                         relation.x_box, gx)
        sup_y, barron_y = sup_x, barron_x
    else:
        sup_x, barron_x = _feature_stats(lambda X: spec.left_functions(X)[:, :m], coeffs,
                                         relation.x_box, gx)
        sup_y, barron_y = _feature_stats(lambda Y: spec.right_functions(Y)[:, :m], coeffs,
                                         relation.y_box, gy)
    rb = min_rank_for(relation, eps, seed=seed, optimise=rank_optimise)
    if r_star is not None and r_star > m:
        r_star = None
    return InstanceQuantities(
        relation=relation.name, eps=float(eps), symmetric=sym, d=max(relation.dx, relation.dy),
        radius=_radius(relation), coeffs=coeffs, r_star=r_star, truncation_errors=errors,
        sup_x=sup_x, sup_y=sup_y, barron_x=barron_x, barron_y=barron_y, rank_bound=rb,
        info={"spectrum": spec.info.get("method"), "grid_k": [gx, gy]},
    )


__all__ = ["InstanceQuantities", "barron_norm_estimate", "compute_quantities"]
