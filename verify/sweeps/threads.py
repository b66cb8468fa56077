"""One thread per sweep worker (shared by the process-pool executor and the Dask plugin)."""

from __future__ import annotations

import os
import sys

#: Environment variables read by OpenMP, MKL, OpenBLAS, numexpr, Accelerate at start-up.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                   "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def limit_threads() -> None:
    """Worker initializer: one thread per worker, so N workers use N cores, not N x cores.

    The environment variables take effect for libraries imported later in the worker (a spawned
    worker starts fresh, and torch reads ``OMP_NUM_THREADS`` on import); torch, if already
    imported (e.g. by the parent's main module re-imported under spawn), is set directly.
    """
    for var in THREAD_ENV_VARS:
        os.environ[var] = "1"
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
