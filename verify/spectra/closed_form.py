r"""Closed-form Mercer spectra used to validate the Nyström quadrature.

* Brownian-motion kernel :math:`\min(x, y)` on [0, 1], Lebesgue measure (docs/math.md):
  :math:`\lambda_k = ((k - \tfrac12)\pi)^{-2}`, :math:`e_k(x) = \sqrt2 \sin((k - \tfrac12)\pi x)`,
  :math:`k = 1, 2, \dots`
* Gaussian kernel :math:`\exp(-(x - x')^2 / (2\ell^2))` under :math:`\mu = N(0, s^2)` (Rasmussen &
  Williams, GPML §4.3.1, as quoted in docs/math.md): :math:`a = 1/(4s^2)`,
  :math:`b = 1/(2\ell^2)`, :math:`c = \sqrt{a^2 + 2ab}`, :math:`A = a + b + c`, :math:`B = b/A`,
  :math:`\lambda_k = \sqrt{2a/A}\, B^k` (:math:`k \ge 0`),
  :math:`e_k(x) \propto \exp(-(c - a)x^2) H_k(\sqrt{2c}\, x)`.

The normalising constant of :math:`e_k` in :math:`L^2(\mu)` is ours (see
:func:`gaussian_eigenfunctions`).
"""

from __future__ import annotations

import numpy as np


def brownian_eigenvalues(k: int) -> np.ndarray:
    r"""The ``k`` largest eigenvalues :math:`((j - \tfrac12)\pi)^{-2}`, ``j = 1..k``."""
    j = np.arange(1, k + 1, dtype=np.float64)
    return ((j - 0.5) * np.pi) ** -2


def brownian_eigenfunctions(X: np.ndarray, k: int) -> np.ndarray:
    r""":math:`\sqrt2 \sin((j - \tfrac12)\pi x)` at ``X (n,) or (n, 1)``, ``(n, k)``."""
    x = np.asarray(X, dtype=np.float64).reshape(-1, 1)
    j = np.arange(1, k + 1, dtype=np.float64)
    return np.sqrt(2.0) * np.sin((j - 0.5) * np.pi * x)


def _gaussian_constants(lengthscale: float, s: float) -> tuple[float, float, float, float, float]:
    a = 1.0 / (4.0 * s**2)
    b = 1.0 / (2.0 * lengthscale**2)
    c = np.sqrt(a**2 + 2.0 * a * b)
    A = a + b + c
    return a, b, c, A, b / A


def gaussian_eigenvalues(lengthscale: float, s: float, k: int) -> np.ndarray:
    r""":math:`\lambda_j = \sqrt{2a/A} B^j`, ``j = 0..k-1`` (GPML §4.3.1 via docs/math.md)."""
    a, _, _, A, B = _gaussian_constants(lengthscale, s)
    return np.sqrt(2.0 * a / A) * B ** np.arange(k, dtype=np.float64)


def gaussian_eigenfunctions(X: np.ndarray, lengthscale: float, s: float, k: int) -> np.ndarray:
    r"""Eigenfunctions ``j = 0..k-1`` at ``X``, normalised in :math:`L^2(N(0, s^2))`, ``(n, k)``.

    Normalisation (ours): with :math:`u = \sqrt{2c}\,x` and :math:`1/(2s^2) = 2a`,

    .. math::
        \int e^{-2(c-a)x^2} H_j(\sqrt{2c}x)^2 \frac{e^{-x^2/(2s^2)}}{\sqrt{2\pi s^2}} dx
        = \frac{1}{\sqrt{2\pi s^2}} \int e^{-u^2} H_j(u)^2 \frac{du}{\sqrt{2c}}
        = \frac{2^j j!}{2 s \sqrt{c}},

    so :math:`e_j(x) = \sqrt{2 s\sqrt c}\, e^{-(c-a)x^2}\, \psi_j(\sqrt{2c}x)` with
    :math:`\psi_j = H_j / \sqrt{2^j j!}`, computed by the stable recurrence
    :math:`\psi_{j+1} = (\sqrt2 u \psi_j - \sqrt j \psi_{j-1}) / \sqrt{j+1}` (from
    :math:`H_{j+1} = 2uH_j - 2jH_{j-1}`). Signs follow :math:`H_j` (positive leading coefficient).
    """
    a, _, c, _, _ = _gaussian_constants(lengthscale, s)
    x = np.asarray(X, dtype=np.float64).reshape(-1)
    u = np.sqrt(2.0 * c) * x
    psi = np.empty((len(x), k))
    if k > 0:
        psi[:, 0] = 1.0
    if k > 1:
        psi[:, 1] = np.sqrt(2.0) * u
    for j in range(1, k - 1):
        psi[:, j + 1] = (np.sqrt(2.0) * u * psi[:, j] - np.sqrt(j) * psi[:, j - 1]) / np.sqrt(j + 1)
    return np.sqrt(2.0 * s * np.sqrt(c)) * np.exp(-(c - a) * x**2)[:, None] * psi


def gaussian_eigenvalues_nd(lengthscale: float, s: float, dim: int, k: int) -> np.ndarray:
    r"""The ``k`` largest eigenvalues of the isotropic Gaussian kernel under :math:`N(0, s^2 I_d)`.

    The kernel and the measure factor over coordinates, so the eigenvalues are the products
    :math:`\lambda_{j_1} \cdots \lambda_{j_d}` of the 1-D ones (docs/math.md), sorted decreasing.
    """
    lam1 = gaussian_eigenvalues(lengthscale, s, k)
    prods = lam1
    for _ in range(dim - 1):
        prods = np.sort(np.multiply.outer(prods, lam1).ravel())[::-1][:k]
    return np.sort(prods)[::-1][:k]
