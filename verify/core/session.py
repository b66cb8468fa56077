"""Run a set of theorems under one profile and seed, streaming outcomes into a report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from verify.core.profiles import get_profile
from verify.core.runner import CaseOutcome, run_case
from verify.core.theorem import Theorem


def report_dir_name(seed: int, when: datetime | None = None) -> str:
    when = when or datetime.now(timezone.utc)
    return f"{when.strftime('%Y%m%dT%H%M%SZ')}-{seed}"


def run_theorems(
    theorems: Sequence[Theorem],
    *,
    profile: str = "standard",
    seed: int = 0,
    device: str = "cpu",
    report_dir: Path | None = None,
    on_start: Callable[[Theorem, str, str], None] | None = None,
    on_outcome: Callable[[CaseOutcome], None] | None = None,
    progress: Callable[[str], None] | None = None,
    options: dict[str, str] | None = None,
    check_timeout_s: float | None = None,
):
    """Run every case of ``theorems``; return ``(outcomes, writer)``.

    ``check_timeout_s`` overrides the profile's per-check time limit (0: none).

    With ``report_dir`` the report files are rewritten atomically after each case, so an
    interrupted run leaves a complete report of what finished (marked incomplete).
    """
    from verify.reports.provenance import provenance
    from verify.reports.record import ReportWriter, now_iso

    prof = get_profile(profile)
    for theorem in theorems:
        theorem.with_options(options)
    writer = None
    if report_dir is not None:
        prov = provenance(seed=seed, profile=profile, device=device, started_at=now_iso())
        prov["options"] = dict(options or {})
        writer = ReportWriter(report_dir, prov)
        for theorem in theorems:
            writer.add_theorem(theorem, profile)
        writer.write(render=True)
    artifact_root = report_dir / "artifacts" if report_dir is not None else None
    outcomes: list[CaseOutcome] = []
    for theorem in theorems:
        for instance, check, expected in theorem.cases(profile):
            if on_start:
                on_start(theorem, instance.id, check.name)
            outcome = run_case(
                theorem, instance, check, expected,
                profile=prof, run_seed=seed, device=device,
                artifact_root=artifact_root, progress=progress, options=options,
                time_limit_s=check_timeout_s,
            )
            outcomes.append(outcome)
            if writer is not None:
                writer.add(outcome)
                writer.write(render=False)  # json after every case; renderings per theorem
            if on_outcome:
                on_outcome(outcome)
        if writer is not None:
            writer.write(render=True)
    if writer is not None:
        writer.write(final=True)
    return outcomes, writer
