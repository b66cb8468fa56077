"""Sweeps that scale out: hashable tasks, a crash-safe result cache, pluggable executors.

A sweep is a list of :class:`Task` (an importable function, JSON parameters and a seed).
:func:`run_sweep` skips tasks whose result is already cached, runs the rest on an executor
(serial, a local process pool, or Dask) and caches each result the moment it arrives, so a
killed sweep resumes where it stopped.
"""

from verify.sweeps.cache import SweepCache
from verify.sweeps.executors import SerialExecutor, make_executor
from verify.sweeps.run import Outcome, SweepResult, run_sweep
from verify.sweeps.tasks import SWEEP_VERSION, Task, code_version, execute_task, run_task

__all__ = [
    "SWEEP_VERSION",
    "Outcome",
    "SerialExecutor",
    "SweepCache",
    "SweepResult",
    "Task",
    "code_version",
    "execute_task",
    "make_executor",
    "run_sweep",
    "run_task",
]
