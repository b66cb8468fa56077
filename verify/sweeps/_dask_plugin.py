"""Dask worker plugin limiting each worker to one thread (imports ``distributed``, so kept apart
from :mod:`verify.sweeps.executors`, which must import without it)."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from verify.sweeps.threads import limit_threads


class ThreadLimitPlugin(WorkerPlugin):
    """Runs :func:`~verify.sweeps.threads.limit_threads` on every worker, late joiners too."""

    name = "relverify-limit-threads"

    def setup(self, worker: Any) -> None:
        limit_threads()
