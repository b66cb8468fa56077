"""Probing a preorder on a box in R^d for a failure of continuity (closed contour sets).

A witness is a point c, a point a with a ≺ c, and a direction d such that a + t·d ≻ c for every
tested t = 1/n: a sequence in the upper contour set of c whose limit a lies outside it. The
probe is a search, not a proof: finding no witness is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from itertools import product
from typing import Any

import numpy as np

Leq = Callable[[tuple, tuple], bool]


def _strictly(leq: Leq, a: tuple, b: tuple) -> bool:
    return leq(a, b) and not leq(b, a)


def find_discontinuity(
    leq: Leq,
    lo: tuple[float, ...],
    hi: tuple[float, ...],
    *,
    grid: int = 3,
    n_terms: int = 2000,
) -> dict[str, Any] | None:
    """Search grid points a, c and axis directions d for a + d/n ≻ c ≻ a for n = 1..n_terms.

    Points are exact rationals (``Fraction``) so the comparison is not blurred by rounding.
    """
    dim = len(lo)
    axes = [
        [Fraction(lo[k]) + (Fraction(hi[k]) - Fraction(lo[k])) * i / (grid - 1)
         for i in range(grid)]
        for k in range(dim)
    ]
    points = list(product(*axes))
    directions = []
    for k in range(dim):
        for sign in (1, -1):
            d = [Fraction(0)] * dim
            d[k] = Fraction(sign) * (Fraction(hi[k]) - Fraction(lo[k]))
            directions.append(tuple(d))
    for a in points:
        for c in points:
            if not _strictly(leq, a, c):
                continue
            for d in directions:
                first = tuple(ai + di for ai, di in zip(a, d))  # n = 1 is the farthest term
                if not all(lo[k] <= first[k] <= hi[k] for k in range(dim)):
                    continue
                seq = (tuple(ai + di / n for ai, di in zip(a, d)) for n in range(1, n_terms + 1))
                if all(_strictly(leq, c, p) for p in seq):
                    return {
                        "limit_point": [str(v) for v in a],
                        "reference": [str(v) for v in c],
                        "direction": [str(v) for v in d],
                        "sequence": "a + d/n",
                        "checked_n": n_terms,
                        "statement": f"a + d/n ≻ c for n = 1..{n_terms} (exact rationals), "
                        "but the limit a ≺ c: the upper contour set of c is not closed",
                    }
    return None


def utility_order(u: Callable[[np.ndarray], float]) -> Leq:
    """The preorder x ≼ y ⇔ u(x) ≤ u(y) of a utility (continuous u gives a continuous order)."""

    def leq(a: tuple, b: tuple) -> bool:
        return float(u(np.array(a, dtype=float))) <= float(u(np.array(b, dtype=float)))

    return leq


def lexicographic(a: tuple, b: tuple) -> bool:
    """The lexicographic order on R^d: complete and transitive, not continuous (no utility)."""
    return tuple(a) <= tuple(b)
