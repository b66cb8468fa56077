r"""Sweep tasks: an importable function, JSON parameters and a seed, named by a content hash.

A task is data, not a closure, so it pickles to any worker (process pool, Dask) and its
:attr:`Task.key` is stable across processes, machines and Python versions:

.. math::

    \mathrm{key} = \mathrm{sha256}\big(\mathrm{canonical\_json}(fn, params, seed, version)\big)

Running a task means ``import fn; fn(**params, seed=seed)``, which must return a JSON-able dict.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Part of every key: bump it to invalidate every cached result (e.g. a change of result schema).
SWEEP_VERSION = "relverify-sweep-1"


def code_version(*modules: str) -> str:
    """A task version that changes whenever the code it depends on changes (no hand bumping).

    sha256 over the source of every ``.py`` file of the named modules or packages (a package
    counts with all its submodules), in sorted order, prefixed by :data:`SWEEP_VERSION`.
    """
    from importlib.util import find_spec
    from pathlib import Path

    digest = hashlib.sha256(SWEEP_VERSION.encode())
    for name in sorted(set(modules)):
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"code_version: no module named {name!r}")
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        for path in files:
            digest.update(f"{name}:{path.relative_to(origin.parent)}".encode())
            digest.update(path.read_bytes())
    return f"{SWEEP_VERSION}+code-{digest.hexdigest()[:16]}"


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, ASCII only, NaN/inf refused."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def _json_default(obj: Any) -> Any:
    """Let task results contain numpy scalars and arrays (converted to Python numbers/lists)."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        np = None
    if np is not None:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serializable")


def to_json_value(obj: Any) -> Any:
    """Round-trip ``obj`` through JSON so every executor and the cache return the same value.

    Tuples become lists, numpy scalars become Python numbers; NaN and inf are kept (a diverged
    training loss is a legitimate result), using Python's JSON extension for them.
    """
    return json.loads(json.dumps(obj, default=_json_default))


@dataclass(frozen=True)
class Task:
    """One run of a sweep: ``fn(**params, seed=seed)``.

    ``fn`` is an import path ``"package.module:function"`` of a top-level function; ``params``
    must be JSON-able (it is hashed canonically, and stored in the cache); ``version`` lets one
    function's results be invalidated without touching the others.
    """

    fn: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    version: str = SWEEP_VERSION

    def __post_init__(self) -> None:
        module, sep, name = self.fn.partition(":")
        if not (sep and module and name):
            raise ValueError(f"Task.fn must look like 'package.module:function', got {self.fn!r}")
        if "seed" in self.params:
            raise ValueError("pass the seed as Task.seed, not inside params")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"Task.seed must be an int, got {self.seed!r}")
        canonical_json(self.params)  # fail now, not on a worker, if params are not JSON-able

    def to_dict(self) -> dict[str, Any]:
        return {"fn": self.fn, "params": self.params, "seed": self.seed, "version": self.version}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Task:
        return cls(fn=d["fn"], params=dict(d["params"]), seed=int(d["seed"]),
                   version=d.get("version", SWEEP_VERSION))

    @property
    def key(self) -> str:
        """sha256 hex digest of the canonical JSON of (fn, params, seed, version)."""
        return hashlib.sha256(canonical_json(self.to_dict()).encode("ascii")).hexdigest()

    def __hash__(self) -> int:  # params is a dict, so the generated hash would fail
        return hash(self.key)

    def resolve(self) -> Callable[..., Any]:
        module, _, name = self.fn.partition(":")
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj


def run_task(task: Task) -> dict[str, Any]:
    """Import and call the task's function; check and normalise its result (a JSON-able dict)."""
    result = task.resolve()(**task.params, seed=task.seed)
    if not isinstance(result, dict):
        raise TypeError(f"{task.fn} returned {type(result).__name__}, expected a dict")
    return to_json_value(result)


def execute_task(task: Task) -> dict[str, Any]:
    """Worker entry point: run the task and report success or failure as plain data.

    Exceptions are caught here and returned as text, so that any executor (process pool, Dask)
    can ship them back without pickling user exception types; ``host`` and ``pid`` say where
    the task ran and ``elapsed_s`` how long it took (wall clock, on the worker).
    """
    start = time.perf_counter()
    where = {"host": socket.gethostname(), "pid": os.getpid()}
    try:
        result = run_task(task)
    except Exception as exc:  # noqa: BLE001 - a failing task must not kill the sweep
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
                "elapsed_s": time.perf_counter() - start, **where}
    return {"ok": True, "result": result, "elapsed_s": time.perf_counter() - start, **where}
