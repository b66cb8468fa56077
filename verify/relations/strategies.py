"""Hypothesis strategies for point sets in a box (used by PD / soundness property checks)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from verify.relations.domain import Box


@st.composite
def point_sets(draw, box: Box, min_n: int = 1, max_n: int = 8) -> np.ndarray:
    """A float64 array of ``n`` points of ``box``, shape ``(n, box.dim)``, ``min_n <= n <= max_n``.

    Coordinates are finite floats in the closed box (corners included, so shrinking finds them).
    """
    if min_n < 1 or max_n < min_n:
        raise ValueError(f"need 1 <= min_n <= max_n, got {min_n}, {max_n}")
    n = draw(st.integers(min_value=min_n, max_value=max_n))
    coords = [
        draw(
            st.lists(
                st.floats(lo, hi, allow_nan=False, allow_infinity=False),
                min_size=n,
                max_size=n,
            )
        )
        for lo, hi in zip(box.lo, box.hi)
    ]
    return np.asarray(coords, dtype=np.float64).T.reshape(n, box.dim)


__all__ = ["point_sets"]
