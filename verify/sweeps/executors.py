"""Executors for sweeps, chosen by a short spec string.

=====================  ==========================================================================
spec                   executor
=====================  ==========================================================================
``None``, ``"local"``  :class:`~concurrent.futures.ProcessPoolExecutor`, *spawn* context, every
                       worker limited to one BLAS/OpenMP/torch thread (workers = processes)
``"serial"``           :class:`SerialExecutor`: runs each call in-process at submit (debugging)
``"dask://HOST:PORT"`` a Dask cluster's executor (``distributed.Client(address).get_executor()``)
``"dask-local"``       a fresh :class:`distributed.LocalCluster` (``max_workers`` processes of one
                       thread each) and its executor
=====================  ==========================================================================

Every executor returned is a context manager; leaving it also closes what it opened (the Dask
client, the local cluster).

Spawned workers re-import the caller's ``__main__``: run sweeps from a module, a script with an
``if __name__ == "__main__":`` guard, or ``python -c`` -- not from a script piped on stdin.
Task functions must be importable by the workers (top level of an installed package).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from verify.sweeps.threads import THREAD_ENV_VARS, limit_threads

__all__ = ["THREAD_ENV_VARS", "SerialExecutor", "limit_threads", "make_executor"]

SPECS_HELP = "None, 'local', 'serial', 'dask-local' or 'dask://HOST:PORT'"


class SerialExecutor(Executor):
    """Runs every submitted call immediately, in the calling process (for debugging, tests)."""

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - delivered through the future, like a pool
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


class DaskExecutor(Executor):
    """A Dask ``ClientExecutor`` that also closes its client (and cluster, if it owns one)."""

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client = client
        self.cluster = cluster
        # pure=False: a task retried in the same session must really run again.
        self._inner = client.get_executor(pure=False)

    @property
    def address(self) -> str:
        return self.client.scheduler.address

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            if cancel_futures:
                for fut in list(self._inner._futures):
                    fut.cancel()
            self._inner.shutdown(wait=wait)
        finally:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


def _dask_client(address: str | None, n_workers: int | None, limit: bool, **cluster_kwargs: Any):
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise ImportError("Dask executors need the 'distributed' package") from exc
    cluster = None
    if address is None:
        kwargs: dict[str, Any] = {
            "n_workers": n_workers or os.cpu_count() or 1,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": ":0",  # random free port (None still binds 8787)
            "silence_logs": logging.ERROR,
        }
        kwargs.update(cluster_kwargs)
        cluster = LocalCluster(**kwargs)
        client = Client(cluster)
    else:
        client = Client(address)
    if limit and (address is not None or cluster_kwargs.get("processes", True)):
        # Not for an in-process (threads) local cluster: that would change the caller's threads.
        from verify.sweeps._dask_plugin import ThreadLimitPlugin

        client.register_plugin(ThreadLimitPlugin())
    return DaskExecutor(client, cluster)


def make_executor(spec: str | None = None, max_workers: int | None = None, *,
                  limit_worker_threads: bool = True, **cluster_kwargs: Any) -> Executor:
    """Build the executor named by ``spec`` (see the module docstring); use it in a ``with``.

    ``max_workers`` is the number of worker processes for ``"local"`` and ``"dask-local"``
    (default: the CPU count); it is ignored by ``"serial"`` and by a remote ``"dask://"``
    cluster, whose size is its own. ``cluster_kwargs`` go to :class:`distributed.LocalCluster`
    for ``"dask-local"`` (e.g. ``processes=False`` for a fast in-process cluster).
    ``limit_worker_threads`` applies :func:`limit_threads` in each worker process.
    """
    if spec is None or spec == "local":
        return ProcessPoolExecutor(
            max_workers=max_workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=limit_threads if limit_worker_threads else None,
        )
    if spec == "serial":
        return SerialExecutor()
    if spec == "dask-local":
        return _dask_client(None, max_workers, limit_worker_threads, **cluster_kwargs)
    if isinstance(spec, str) and spec.startswith("dask://"):
        hostport = spec[len("dask://"):]
        if not hostport:
            raise ValueError(f"executor spec {spec!r} has no HOST:PORT after 'dask://'")
        address = hostport if "://" in hostport else f"tcp://{hostport}"
        return _dask_client(address, None, limit_worker_threads)
    raise ValueError(f"unknown executor spec {spec!r}; expected {SPECS_HELP}")
