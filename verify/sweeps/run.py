"""Run a sweep: resume from the cache, fan out to an executor, stream and cache each result."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, as_completed
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from verify.sweeps.cache import SweepCache
from verify.sweeps.executors import make_executor
from verify.sweeps.tasks import Task, execute_task

Status = Literal["computed", "cached", "failed"]


@dataclass
class Outcome:
    """What happened to one task of a sweep."""

    task: Task
    status: Status
    result: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    elapsed_s: float | None = None
    host: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass
class SweepResult:
    """Outcomes in task order, plus counts; ``computed + from_cache + failed == len(tasks)``."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def tasks(self) -> list[Task]:
        return [o.task for o in self.outcomes]

    @property
    def results(self) -> list[dict[str, Any] | None]:
        """Result dicts in task order (None for failed tasks)."""
        return [o.result for o in self.outcomes]

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def _count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def computed(self) -> int:
        return self._count("computed")

    @property
    def from_cache(self) -> int:
        return self._count("cached")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def table(self) -> list[dict[str, Any]]:
        """One flat row per successful task: ``fn``, params, ``seed``, then the result's fields."""
        return [{"fn": o.task.fn, **o.task.params, "seed": o.task.seed, **o.result}
                for o in self.outcomes if o.result is not None]

    def __repr__(self) -> str:
        return (f"SweepResult(tasks={len(self.outcomes)}, computed={self.computed}, "
                f"from_cache={self.from_cache}, failed={self.failed})")


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), disable=not enabled, transient=False,
    )


def run_sweep(
    tasks: Iterable[Task],
    *,
    executor: str | Executor | None = None,
    cache_dir: str | os.PathLike[str],
    max_workers: int | None = None,
    on_result: Callable[[Task, dict[str, Any]], None] | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run every task not yet in ``cache_dir``; return all outcomes in task order.

    ``executor`` is a spec for :func:`~verify.sweeps.executors.make_executor` (``None`` means a
    local process pool of ``max_workers``) or an executor you own (it is not shut down here).
    Cached tasks are not resubmitted (resume); each fresh result is written to the cache and
    passed to ``on_result(task, result)`` as soon as it finishes, in completion order; cached
    results are passed to ``on_result`` first, so the callback sees every successful task once.
    A task that raises is recorded as failed with its message and traceback; it is not cached,
    so the next run retries it, and it does not stop the other tasks. Duplicate tasks (same
    key) run once.
    """
    tasks = list(tasks)
    cache = SweepCache(cache_dir)
    outcomes: list[Outcome | None] = [None] * len(tasks)
    positions: dict[str, list[int]] = {}
    for i, task in enumerate(tasks):
        positions.setdefault(task.key, []).append(i)

    def record(key: str, outcome: Outcome) -> None:
        for i in positions[key]:
            outcomes[i] = Outcome(**{**outcome.__dict__, "task": tasks[i]})

    todo: list[Task] = []
    for key, idx in positions.items():
        entry = cache.get(key)
        if entry is None:
            todo.append(tasks[idx[0]])
            continue
        record(key, Outcome(tasks[idx[0]], "cached", result=entry["result"],
                            elapsed_s=entry.get("timing", {}).get("elapsed_s"),
                            host=entry.get("host")))
        if on_result is not None:
            on_result(tasks[idx[0]], entry["result"])

    n_failed = 0
    with ExitStack() as stack:
        bar = stack.enter_context(_progress(progress))
        n_cached = len(positions) - len(todo)
        bar_id = bar.add_task("sweep", total=len(positions), completed=n_cached,
                              status=f"{n_cached} cached")
        if todo:
            if isinstance(executor, Executor):
                pool = stack.enter_context(nullcontext(executor))
            else:
                pool = stack.enter_context(make_executor(executor, max_workers))
            futures: dict[Future, Task] = {pool.submit(execute_task, t): t for t in todo}
            try:
                for future in as_completed(futures):
                    n_failed += _collect(futures[future], future, cache, record, on_result)
                    bar.update(bar_id, advance=1, status=f"{n_cached} cached, {n_failed} failed")
            except BaseException:
                # Ctrl-C, or on_result raised: drop queued tasks so that leaving the executor
                # waits only for the running ones (finished results are already cached).
                for future in futures:
                    future.cancel()
                raise
    cache.tidy()
    assert all(o is not None for o in outcomes)
    return SweepResult(outcomes)  # type: ignore[arg-type]


def _collect(task: Task, future: Future, cache: SweepCache,
             record: Callable[[str, Outcome], None],
             on_result: Callable[[Task, dict[str, Any]], None] | None) -> int:
    """Cache/record one finished future; return 1 if the task failed, else 0."""
    try:
        report = future.result()
    except Exception as exc:  # noqa: BLE001 - e.g. a worker process died
        report = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if not report["ok"]:
        record(task.key, Outcome(task, "failed", error=report["error"],
                                 traceback=report.get("traceback"),
                                 elapsed_s=report.get("elapsed_s"), host=report.get("host")))
        return 1
    cache.put(task, report["result"], elapsed_s=report["elapsed_s"], host=report["host"],
              pid=report["pid"])
    record(task.key, Outcome(task, "computed", result=report["result"],
                             elapsed_s=report["elapsed_s"], host=report["host"]))
    if on_result is not None:
        on_result(task, report["result"])
    return 0
