r"""Truncation rank: how many expansion terms reach a target sup error (a sampled sup)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from verify.relations.base import Relation

DEFAULT_GRID_K = {1: 801, 2: 41, 3: 13}


class Expansion(Protocol):
    """Anything with separable factors: MercerSpectrum, SchmidtSpectrum."""

    def factors(
        self, X: np.ndarray, Y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


def truncation_errors(
    relation: Relation, spectrum: Expansion, grid_k: int | None = None
) -> np.ndarray:
    r"""``errors[m]`` = max over the grid of :math:`|r(x,y) - \sum_{i<m} c_i a_i(x) b_i(y)|`.

    ``m = 0 .. k``; the grid is ``grid_k`` equispaced points per axis of each box (all pairs
    X x Y). This is a *sampled* sup: the true sup over the boxes can be larger between grid
    points.
    """
    kx = grid_k or DEFAULT_GRID_K.get(relation.dx, 7)
    ky = grid_k or DEFAULT_GRID_K.get(relation.dy, 7)
    X, Y = relation.x_box.grid(kx), relation.y_box.grid(ky)
    A, c, B = spectrum.factors(X, Y)
    R = relation.gram(X, Y)
    errors = np.empty(len(c) + 1)
    errors[0] = np.abs(R).max()
    for i in range(len(c)):
        R -= np.outer(c[i] * A[:, i], B[:, i])
        errors[i + 1] = np.abs(R).max()
    return errors


def truncation_rank(
    relation: Relation, spectrum: Expansion, eps: float, grid_k: int | None = None
) -> tuple[int | None, np.ndarray]:
    """Smallest rank ``m`` whose truncated expansion has sampled sup error ``<= eps``.

    Returns ``(r_star, errors_by_rank)`` with ``errors_by_rank`` from :func:`truncation_errors`;
    ``r_star`` is ``None`` when no kept rank reaches ``eps``. The sup is sampled on a dense grid
    (see :func:`truncation_errors`), so ``r_star`` is an empirical, not a certified, rank.
    """
    errors = truncation_errors(relation, spectrum, grid_k)
    hits = np.nonzero(errors <= eps)[0]
    return (int(hits[0]) if len(hits) else None), errors
