r"""Truncated separable expansions :math:`\sum_{i<m} c_i\, a_i(x)\, b_i(y)` (shared by spectra)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FeatureMap = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class TruncatedExpansion:
    r"""The rank-``m`` evaluator :math:`(x, y) \mapsto \sum_{i<m} c_i a_i(x) b_i(y)`.

    ``left(X) -> (n, k)`` and ``right(Y) -> (n', k)`` give the functions at points; ``coeffs``
    are the ``k`` coefficients (eigenvalues or singular values).
    """

    left: FeatureMap
    coeffs: np.ndarray
    right: FeatureMap
    m: int

    def __post_init__(self) -> None:
        if not 0 <= self.m <= len(self.coeffs):
            raise ValueError(f"rank m={self.m} outside 0..{len(self.coeffs)}")

    def __call__(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Paired values, ``(n,)``."""
        a = self.left(X)[:, : self.m]
        b = self.right(Y)[:, : self.m]
        if len(a) != len(b):
            raise ValueError(f"paired evaluation needs as many x as y, got {len(a)}, {len(b)}")
        return np.einsum("ni,i,ni->n", a, self.coeffs[: self.m], b)

    def gram(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """All pairs, ``(n, n')``."""
        a = self.left(X)[:, : self.m]
        b = self.right(Y)[:, : self.m]
        return (a * self.coeffs[: self.m]) @ b.T


def fix_signs(values: np.ndarray) -> np.ndarray:
    """Signs (+-1 per column) that make each column's largest-magnitude entry positive."""
    idx = np.argmax(np.abs(values), axis=0)
    s = np.sign(values[idx, np.arange(values.shape[1])])
    s[s == 0] = 1.0
    return s
