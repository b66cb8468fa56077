"""Shared pieces of the benchmarks: instances, the dense grid, feature-count search, row cache.

Everything here is plumbing (ours); the methods compared live in :mod:`bench.features_to_eps`.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from verify.relations import Box, Relation, gaussian, laplace
from verify.reports import atomic_write

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "reports" / "benchmarks"
CACHE_DIR = OUT_DIR / ".cache"


@dataclass(frozen=True)
class Instance:
    """A kernel on a box, with the dense grid on which every method's sup error is measured."""

    name: str
    kernel: str  # "gaussian" | "laplace"
    lengthscale: float
    dim: int
    grid_k: int  # points per axis of the uniform evaluation grid (ends included)
    lo: float = -1.0
    hi: float = 1.0

    @property
    def box(self) -> Box:
        return Box.cube(self.lo, self.hi, self.dim)

    def relation(self) -> Relation:
        factory = {"gaussian": gaussian, "laplace": laplace}[self.kernel]
        return factory(self.lengthscale, self.box)

    def grid(self) -> np.ndarray:
        """Uniform tensor grid ``(grid_k**dim, dim)``: the same points for every method."""
        return self.box.grid(self.grid_k)

    def k(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Kernel Gram matrix in numpy (closed form, faster than the sympy-compiled relation)."""
        X, Y = np.atleast_2d(X), np.atleast_2d(Y)
        if self.kernel == "gaussian":
            sq = (X**2).sum(1)[:, None] + (Y**2).sum(1)[None, :] - 2.0 * X @ Y.T
            return np.exp(-np.maximum(sq, 0.0) / (2.0 * self.lengthscale**2))
        d = np.sqrt(((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1))
        return np.exp(-d / self.lengthscale)

    def label(self) -> str:
        box = "[-1,1]" if self.dim == 1 else f"[-1,1]^{self.dim}"
        return f"{self.kernel} l={self.lengthscale:g} on {box}"

    def with_grid(self, grid_k: int) -> Instance:
        return Instance(self.name, self.kernel, self.lengthscale, self.dim, grid_k, self.lo,
                        self.hi)


INSTANCES: dict[str, Instance] = {
    "gauss1d": Instance("gauss1d", "gaussian", 0.5, 1, 801),
    "gauss2d": Instance("gauss2d", "gaussian", 0.5, 2, 41),
    "laplace1d": Instance("laplace1d", "laplace", 1.0, 1, 801),
}
EPSILONS: tuple[float, ...] = (1e-1, 1e-2, 1e-3)


def sup_error(K: np.ndarray, G: np.ndarray) -> float:
    """``max |K - G|`` over the grid pairs."""
    return float(np.max(np.abs(K - G)))


def gram_of_features(Z: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """``Z Zᵀ`` accumulated over feature chunks (keeps memory at ``n²`` for huge ``D``)."""
    n, D = Z.shape
    G = np.zeros((n, n))
    for s in range(0, D, chunk):
        Zc = Z[:, s:s + chunk]
        G += Zc @ Zc.T
    return G


@dataclass
class SearchResult:
    """Smallest feature count with error ≤ eps, or ``None`` when the cap was hit (``> cap``)."""

    features: int | None
    cap: int
    evaluations: dict[int, float] = field(default_factory=dict)

    @property
    def reached(self) -> bool:
        return self.features is not None

    def display(self) -> str:
        return str(self.features) if self.reached else f"> {self.cap}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evaluations"] = {str(k): v for k, v in sorted(self.evaluations.items())}
        d["display"] = self.display()
        return d


def search_features(err: Callable[[int], float], eps: float, *, cap: int, start: int = 1,
                    step: Callable[[int], int] | None = None, guess: int | None = None,
                    ) -> SearchResult:
    """Doubling from ``start`` until ``err(n) ≤ eps`` (``cap`` tried last), then bisection.

    ``guess`` (an index ≥ ``start``, e.g. a reference method's count) is tried first: on success
    the bisection runs between ``start`` and it, on failure the doubling continues from it.

    ``step`` maps a search index to a feature count (e.g. ``k -> k**d`` for grid landmarks);
    by default the index *is* the feature count. Bisection assumes ``err`` decreases with ``n``;
    for random methods ``err`` should already be a median over seeds. A method that does not
    reach ``eps`` at the cap is reported as ``> cap``, not dropped.
    """
    size = step or (lambda i: i)
    evals: dict[int, float] = {}

    def ok(i: int) -> bool:
        n = size(i)
        if n not in evals:
            evals[n] = float(err(n))
        return evals[n] <= eps

    lo, i = start - 1, start  # invariant: index lo fails (or is below start), hi succeeds
    hi = None
    if guess is not None and guess > start and size(guess) <= cap:
        if ok(guess):
            hi = guess
        else:
            lo, i = guess, guess * 2
    while hi is None:
        if size(i) > cap:
            i_cap = i
            while i_cap > lo + 1 and size(i_cap) > cap:
                i_cap -= 1
            if i_cap > lo and size(i_cap) <= cap and ok(i_cap):
                hi = i_cap
            break
        if ok(i):
            hi = i
            break
        lo, i = i, i * 2
    if hi is None:
        return SearchResult(None, cap, evals)
    while hi - lo > 1 and hi > start:
        mid = (lo + hi) // 2
        if mid < start:
            break
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return SearchResult(size(hi), cap, evals)


class RowCache:
    """Finished benchmark rows in one JSON file, rewritten atomically after every row."""

    def __init__(self, path: Path, resume: bool):
        self.path = Path(path)
        self.rows: dict[str, Any] = {}
        if resume and self.path.exists():
            try:
                self.rows = json.loads(self.path.read_text())
            except (OSError, json.JSONDecodeError):
                self.rows = {}

    def get(self, key: str) -> Any | None:
        return self.rows.get(key)

    def put(self, key: str, row: Any) -> None:
        self.rows[key] = row
        atomic_write(self.path, json.dumps(self.rows, indent=1, sort_keys=True))


def machine_info() -> dict[str, Any]:
    """Where the numbers were measured."""
    import torch

    return {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "numpy": np.__version__,
        # 1-minute load average when measured (> CPUs: other jobs shared the machine)
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
