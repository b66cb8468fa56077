"""Cheap deterministic sweep task, importable by every worker (used by tests and examples)."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np


def demo_task(n: int, scale: float, *, seed: int, sleep_s: float = 0.0,
              fail_unless_exists: str | None = None, log_dir: str | None = None) -> dict[str, Any]:
    """Statistics of ``scale * N(0, I_n)`` drawn with ``seed``; a pure function of its arguments.

    ``sleep_s`` makes the task slow (for kill-and-resume tests); ``fail_unless_exists`` makes it
    raise until that file exists (for failure-then-rerun tests); ``log_dir`` gets one file per
    started call (to count how many calls really ran).
    """
    if log_dir is not None:
        with open(os.path.join(log_dir, f"{os.getpid()}-{time.time_ns()}"), "w"):
            pass
    if fail_unless_exists is not None and not os.path.exists(fail_unless_exists):
        raise RuntimeError(f"demo failure: {fail_unless_exists} does not exist")
    if sleep_s:
        time.sleep(sleep_s)
    x = scale * np.random.default_rng(seed).standard_normal(n)
    return {"mean": float(x.mean()), "norm": float(np.linalg.norm(x)),
            "argmax": int(np.argmax(x)), "head": x[:3]}


def thread_settings(*, seed: int, with_torch: bool = False) -> dict[str, Any]:
    """Thread settings seen inside a worker (to test the executors' per-worker thread limit)."""
    out: dict[str, Any] = {"omp": os.environ.get("OMP_NUM_THREADS"),
                           "mkl": os.environ.get("MKL_NUM_THREADS")}
    if with_torch:
        import torch

        out["torch"] = torch.get_num_threads()
    return out
