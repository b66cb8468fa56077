"""A wall-clock limit for one check, so a hanging or CPU-bound check ends as ``error``.

Mechanism (chosen for :func:`verify.core.runner.run_case`):

* **In the main thread** (the CLI, ``pytest -n 0`` and every pytest-xdist worker run checks
  there): ``signal.setitimer(ITIMER_REAL)`` delivers ``SIGALRM`` after ``limit_s``; the handler
  raises :class:`CheckTimeout`, a ``BaseException`` so that a check's own ``except Exception``
  cannot swallow it. The timer then repeats every second until the check has unwound, so even a
  check that catches ``BaseException`` is interrupted again, and whatever it returns after the
  limit is discarded: the case is an ``error``. A previously armed timer and
  handler (e.g. pytest-timeout's) are restored afterwards, with the time it had left.
* **In any other thread** (signals reach only the main thread): the check runs in a daemon
  worker thread and the caller waits at most ``limit_s``; on expiry the worker is abandoned (it
  cannot be killed in-process) and the case is reported as ``error``.

Why not a forked subprocess per check: it is the only way to stop a long C call, but it loses
the in-process caches that later checks reuse (the claim pipeline keeps one cache across checks,
compiled relations, torch state), costs an interpreter start plus imports (seconds) per case,
and breaks checks whose instances hold unpicklable objects (lambdas, closures). The signal
mechanism interrupts Python code, ``time.sleep``, lock waits and I/O; what it cannot interrupt
is a single long C call, which is why user expressions are guarded before they reach one (see
:mod:`verify.bounds.statement`): the alarm then fires as soon as control returns to Python.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class CheckTimeout(BaseException):
    """Raised inside a check that ran past its limit (a ``BaseException``: not swallowed by
    ``except Exception``)."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"check exceeded its time limit of {limit_s:g} s")
        self.limit_s = limit_s


def call_with_limit(fn: Callable[[], T], limit_s: float | None) -> T:
    """Call ``fn()``; raise :class:`CheckTimeout` if it runs longer than ``limit_s`` seconds.

    ``limit_s`` None or <= 0 means no limit.
    """
    if limit_s is None or limit_s <= 0:
        return fn()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _with_alarm(fn, float(limit_s))
    return _with_thread(fn, float(limit_s))


def _with_alarm(fn: Callable[[], T], limit_s: float) -> T:
    state = {"armed": True, "fired": False}

    def on_alarm(signum, frame):  # noqa: ARG001 - signal handler signature
        if state["armed"]:
            state["fired"] = True
            raise CheckTimeout(limit_s)

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, limit_s, 1.0)
    import time

    t0 = time.monotonic()

    def disarm() -> None:
        state["armed"] = False  # first: a late SIGALRM is now a no-op
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, old_handler if old_handler is not None else signal.SIG_DFL)
        if old_delay > 0:  # give the outer timer back what it had left (at least a tick)
            left = max(old_delay - (time.monotonic() - t0), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)

    try:
        try:
            value = fn()
        finally:
            disarm()
    except CheckTimeout:
        disarm()  # idempotent; covers an alarm that landed inside the first disarm
        raise
    if state["fired"]:  # the check swallowed the interruption: its result does not count
        raise CheckTimeout(limit_s)
    return value


def _with_thread(fn: Callable[[], T], limit_s: float) -> T:
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, name="relverify-check", daemon=True)
    worker.start()
    worker.join(limit_s)
    if worker.is_alive():
        raise CheckTimeout(limit_s)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


__all__ = ["CheckTimeout", "call_with_limit"]
