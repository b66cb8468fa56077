"""Axis-aligned boxes: the domains on which relation functions are studied."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """The closed box ``[lo_0, hi_0] x ... x [lo_{d-1}, hi_{d-1}]`` (float64 corners)."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]

    def __post_init__(self) -> None:
        lo = tuple(float(v) for v in np.atleast_1d(np.asarray(self.lo, dtype=float)))
        hi = tuple(float(v) for v in np.atleast_1d(np.asarray(self.hi, dtype=float)))
        if len(lo) == 0:
            raise ValueError("Box needs at least one dimension")
        if len(lo) != len(hi):
            raise ValueError(f"Box lo and hi differ in length: {len(lo)} != {len(hi)}")
        if not all(np.isfinite(lo + hi)):
            raise ValueError(f"Box corners must be finite, got lo={lo}, hi={hi}")
        bad = [i for i, (a, b) in enumerate(zip(lo, hi)) if not a < b]
        if bad:
            raise ValueError(
                f"Box needs lo < hi in every coordinate; fails at {bad}: lo={lo}, hi={hi}"
            )
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    @classmethod
    def cube(cls, lo: float, hi: float, dim: int) -> Box:
        """The cube ``[lo, hi]^dim``."""
        if dim < 1:
            raise ValueError(f"cube dimension must be >= 1, got {dim}")
        return cls((lo,) * dim, (hi,) * dim)

    @classmethod
    def interval(cls, lo: float, hi: float) -> Box:
        """The 1-D box ``[lo, hi]``."""
        return cls((lo,), (hi,))

    @property
    def dim(self) -> int:
        return len(self.lo)

    @property
    def lo_array(self) -> np.ndarray:
        return np.asarray(self.lo, dtype=np.float64)

    @property
    def hi_array(self) -> np.ndarray:
        return np.asarray(self.hi, dtype=np.float64)

    @property
    def width(self) -> np.ndarray:
        return self.hi_array - self.lo_array

    @property
    def center(self) -> np.ndarray:
        return (self.lo_array + self.hi_array) / 2.0

    @property
    def volume(self) -> float:
        return float(np.prod(self.width))

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """``n`` uniform points, shape ``(n, dim)``; ``rng`` a Generator or a seed."""
        rng = np.random.default_rng(rng)
        return self.lo_array + rng.random((n, self.dim)) * self.width

    def grid(self, k: int) -> np.ndarray:
        """Tensor grid with ``k`` equispaced points per axis (ends included), ``(k**dim, dim)``.

        ``k == 1`` gives the centre.
        """
        if k < 1:
            raise ValueError(f"grid needs k >= 1, got {k}")
        axes = [
            np.array([c]) if k == 1 else np.linspace(a, b, k)
            for a, b, c in zip(self.lo, self.hi, self.center)
        ]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def corners(self) -> np.ndarray:
        """The ``2**dim`` vertices, ``(2**dim, dim)``."""
        return self.grid(2)

    def contains(self, points: np.ndarray, atol: float = 0.0) -> np.ndarray:
        """Boolean mask of the rows of ``points`` (``(n, dim)``) lying in the box."""
        p = np.atleast_2d(np.asarray(points, dtype=np.float64))
        return np.all((p >= self.lo_array - atol) & (p <= self.hi_array + atol), axis=1)

    def to_dict(self) -> dict:
        return {"lo": list(self.lo), "hi": list(self.hi)}
