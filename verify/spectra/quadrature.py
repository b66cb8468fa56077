r"""Quadrature rules for Nyström discretisation of integral operators.

* :func:`gauss_legendre`: tensor-product Gauss–Legendre rule for the *uniform probability*
  measure on a box (weights sum to 1), from ``numpy.polynomial.legendre.leggauss``.
* :func:`gauss_hermite`: Gauss–Hermite rule for the Gaussian measure :math:`N(0, s^2)` (weights
  sum to 1), from ``numpy.polynomial.hermite_e.hermegauss``.

The measure matters: eigenvalues of :math:`(T f)(x) = \int r(x, t) f(t)\, d\mu(t)` scale with
the total mass of :math:`\mu`. We use probability measures throughout, so the Brownian kernel on
[0, 1] (volume 1) matches its closed form directly.
"""

from __future__ import annotations

import numpy as np

from verify.relations.domain import Box

Quadrature = tuple[np.ndarray, np.ndarray]
"""``(nodes (N, d), weights (N,))``."""

MAX_DIM = 3


def gauss_legendre(box: Box, n_per_dim: int) -> Quadrature:
    """Tensor-product Gauss–Legendre nodes and weights for the uniform probability measure.

    Returns ``nodes (n_per_dim**d, d)`` and ``weights (n_per_dim**d,)`` summing to 1; exact for
    polynomials of degree ``<= 2 n_per_dim - 1`` in each coordinate. Only ``d <= 3``.
    """
    if box.dim > MAX_DIM:
        raise ValueError(f"tensor Gauss-Legendre supports d <= {MAX_DIM}, got {box.dim}")
    if n_per_dim < 1:
        raise ValueError(f"n_per_dim must be >= 1, got {n_per_dim}")
    t, w = np.polynomial.legendre.leggauss(n_per_dim)  # on [-1, 1], weights sum to 2
    axes = [lo + (t + 1.0) * (hi - lo) / 2.0 for lo, hi in zip(box.lo, box.hi)]
    mesh = np.meshgrid(*axes, indexing="ij")
    nodes = np.stack([m.ravel() for m in mesh], axis=1)
    wmesh = np.meshgrid(*([w / 2.0] * box.dim), indexing="ij")
    weights = np.prod(np.stack([m.ravel() for m in wmesh], axis=1), axis=1)
    return nodes, weights


def gauss_hermite(s: float, n: int, dim: int = 1) -> Quadrature:
    r"""Gauss–Hermite nodes/weights for :math:`N(0, s^2 I_d)`, ``d = dim <= 3`` (weights sum to 1).

    ``hermegauss`` integrates against :math:`e^{-x^2/2}`; nodes are scaled by ``s`` and weights
    divided by :math:`\sqrt{2\pi}`.
    """
    if s <= 0:
        raise ValueError(f"s must be > 0, got {s}")
    if not 1 <= dim <= MAX_DIM:
        raise ValueError(f"dim must be in 1..{MAX_DIM}, got {dim}")
    t, w = np.polynomial.hermite_e.hermegauss(n)
    t, w = s * t, w / np.sqrt(2.0 * np.pi)
    mesh = np.meshgrid(*([t] * dim), indexing="ij")
    nodes = np.stack([m.ravel() for m in mesh], axis=1)
    wmesh = np.meshgrid(*([w] * dim), indexing="ij")
    weights = np.prod(np.stack([m.ravel() for m in wmesh], axis=1), axis=1)
    return nodes, weights
