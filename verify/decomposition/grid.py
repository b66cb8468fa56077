"""Uniform cell grids of a box (shared by the Lipschitz bound and the covering radius)."""

from __future__ import annotations

import numpy as np


def grid_cells(lo: np.ndarray, hi: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k^d`` equal cells of ``[lo, hi]`` as arrays ``(lo, hi)`` of shape (k^d, d); the
    outer faces are exactly ``lo`` and ``hi``."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    d = lo.size
    edges = [np.concatenate([[lo[i]], np.linspace(lo[i], hi[i], k + 1)[1:-1], [hi[i]]])
             for i in range(d)]
    idx = np.stack(np.meshgrid(*[np.arange(k)] * d, indexing="ij"), -1).reshape(-1, d)
    return (np.stack([edges[i][idx[:, i]] for i in range(d)], -1),
            np.stack([edges[i][idx[:, i] + 1] for i in range(d)], -1))
