"""Run one check on one instance, turning every failure mode into a :class:`Result`.

Failure modes: an exception or any ``BaseException`` but ``KeyboardInterrupt`` (``SystemExit``
from a check included), a run past the check's time limit (:mod:`verify.core.limits`), a return
value that is not a :class:`Result`, and NaN/inf evidence.
"""

from __future__ import annotations

import time
import traceback
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from verify.core.context import Context, derive_seed
from verify.core.limits import CheckTimeout, call_with_limit
from verify.core.profiles import Profile
from verify.core.result import Result
from verify.core.status import Status
from verify.core.theorem import Check, Instance, Theorem


@dataclass
class CaseOutcome:
    """A check's result together with what was expected of it."""

    theorem: Theorem
    instance: Instance
    check: Check
    expected: Status
    result: Result
    seed: int
    duration_s: float
    started_at: str

    @property
    def case_id(self) -> str:
        return f"{self.theorem.id}::{self.instance.id}::{self.check.name}"

    @property
    def matches(self) -> bool:
        return self.result.status == self.expected and self.result.status != Status.ERROR

    @property
    def verdict(self) -> str:
        """``match``, ``mismatch``, ``inconclusive`` (expected confirmed) or ``error``."""
        status = self.result.status
        if status == Status.ERROR:
            return "error"
        if status == self.expected:
            return "match"
        if status == Status.INCONCLUSIVE and self.expected == Status.CONFIRMED:
            return "inconclusive"
        return "mismatch"


def run_case(
    theorem: Theorem,
    instance: Instance,
    check: Check,
    expected: Status,
    *,
    profile: Profile,
    run_seed: int,
    device: str = "cpu",
    artifact_root: Path | None = None,
    progress=None,
    options: dict[str, str] | None = None,
    time_limit_s: float | None = None,
) -> CaseOutcome:
    """Run ``check`` on ``instance``. Exceptions, NaN evidence and wrong return types are errors.

    ``time_limit_s`` (default: the profile's ``check_timeout_s``; 0 = none) bounds the check's
    wall-clock time: past it the check is interrupted and reported as ``error``.
    """
    limit = profile.check_timeout_s if time_limit_s is None else time_limit_s
    seed = derive_seed(run_seed, theorem.id, instance.id, check.name)
    artifact_dir = None
    if artifact_root is not None:
        artifact_dir = artifact_root / theorem.id / instance.id / check.name
    ctx = Context(
        profile=profile,
        seed=seed,
        device=device,
        artifact_dir=artifact_dir,
        progress=progress or (lambda message: None),
        options=dict(options or {}),
    )
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call_with_limit(lambda: check.fn(instance, ctx), limit)
        if not isinstance(result, Result):
            result = Result.error(
                f"check returned {type(result).__name__}, not a Result", returned=repr(result)
            )
        else:
            bad = result.find_nonfinite()
            if bad is not None and result.status != Status.ERROR:
                result = Result.error(
                    f"non-finite number in {bad}: NaN or divergence is never a pass",
                    original_status=result.status.value,
                    original_summary=result.summary,
                )
    except CheckTimeout as exc:
        result = Result.error(
            f"check exceeded {exc.limit_s:g} s (its time limit) and was stopped",
            time_limit_s=exc.limit_s, traceback=traceback.format_exc(limit=8),
        )
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a broken check (even sys.exit) is reported
        result = Result.error(
            f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=8),
        )
    duration = time.perf_counter() - t0
    return CaseOutcome(theorem, instance, check, expected, result, seed, duration, started)
