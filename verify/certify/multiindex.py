"""Multi-indices and monomial bounds for Taylor models (ours).

A multi-index γ ∈ N^d names the monomial δ^γ = Π_j δ_j^{γ_j}; on a box |δ_j| ≤ h_j its
absolute value is at most h^γ, and its range is [0, h^γ] when every exponent is even
(else [-h^γ, h^γ]).
"""

from __future__ import annotations

import itertools
from functools import cache
from math import factorial

import numpy as np

from .interval import Interval


@cache
def multi_indices(d: int, max_degree: int) -> tuple[tuple[int, ...], ...]:
    """All γ ∈ N^d with |γ| ≤ max_degree, sorted by degree then lexicographically
    (descending), so index 0 is the constant monomial and 1..d are δ_1..δ_d."""
    out = [
        g for g in itertools.product(range(max_degree + 1), repeat=d) if sum(g) <= max_degree
    ]
    return tuple(sorted(out, key=lambda g: (sum(g), tuple(-v for v in g))))


def degrees(indices: tuple[tuple[int, ...], ...]) -> np.ndarray:
    return np.array([sum(g) for g in indices], dtype=int)


def factorial_of(g: tuple[int, ...]) -> int:
    """γ! = Π_j γ_j!."""
    out = 1
    for v in g:
        out *= factorial(v)
    return out


def all_even(indices: tuple[tuple[int, ...], ...]) -> np.ndarray:
    return np.array([all(v % 2 == 0 for v in g) for g in indices], dtype=bool)


def monomial_bounds(h: np.ndarray, indices: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """Upper bounds (B, M) on h^γ for half-widths h (B, d) ≥ 0, rounded upwards."""
    B = h.shape[0]
    H = Interval.point(h)
    out = np.empty((B, len(indices)))
    for k, g in enumerate(indices):
        acc = Interval.point(np.ones(B))
        for j, v in enumerate(g):
            if v:
                acc = acc * H[:, j].ipow(v)
        out[:, k] = acc.hi
    return out


def monomial_ranges(h: np.ndarray, indices: tuple[tuple[int, ...], ...]) -> Interval:
    """Enclosure (B, M) of δ^γ over |δ_j| ≤ h_j."""
    hp = monomial_bounds(h, indices)
    even = all_even(indices)
    return Interval(np.where(even[None, :], 0.0, -hp), hp)
