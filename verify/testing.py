"""Conformance suite for theorem modules, in the spirit of scikit-learn's ``check_estimator``.

Any theorem (built-in or third-party) can run it on itself::

    from verify.testing import assert_conforms
    assert_conforms("my-theorem")          # or a Theorem object

or subclass :class:`TheoremConformance` in a pytest file and set ``theorem_id``.

What it demands:

1. identity: an id, a title, a source naming a paper, a statement;
2. every check is used by at least one instance;
3. every check can fail: at least one negative control (expected ``refuted`` or
   ``not-applicable``) uses it under the profile, and running it does give that outcome;
4. every case runs under the profile and matches its expectation (``inconclusive`` is tolerated
   only for training/certificate checks expected to confirm: a missed epsilon is not a failure
   of the theorem module).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verify.core.profiles import get_profile
from verify.core.registry import get_theorem
from verify.core.runner import CaseOutcome, run_case
from verify.core.status import CheckKind, Status
from verify.core.theorem import Theorem

_TOLERATE_INCONCLUSIVE = {CheckKind.TRAINING, CheckKind.CERTIFICATE}


@dataclass
class ConformanceReport:
    theorem_id: str
    problems: list[str] = field(default_factory=list)
    outcomes: list[CaseOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_theorem(
    theorem: Theorem | str, profile: str = "quick", seed: int = 0
) -> ConformanceReport:
    """Run the conformance suite; return every problem found (empty = conforms)."""
    if isinstance(theorem, str):
        theorem = get_theorem(theorem)
    report = ConformanceReport(theorem.id)
    problems = report.problems
    if not theorem.id or not theorem.title or not theorem.statement:
        problems.append("missing id, title or statement")
    if not theorem.source or not theorem.source.paper:
        problems.append("missing source paper")
    try:
        theorem.validate()
    except ValueError as exc:
        problems.append(str(exc))
        return report
    cases = theorem.cases(profile)
    used = {check.name for _, check, _ in cases}
    for name in theorem.checks:
        if name not in used:
            problems.append(f"check {name!r} is used by no instance under profile {profile!r}")
    controls = {
        check.name
        for inst, check, expected in cases
        if inst.control and expected in (Status.REFUTED, Status.NOT_APPLICABLE)
    }
    for name in theorem.checks:
        if name not in controls:
            problems.append(
                f"check {name!r} has no negative control under profile {profile!r}: nothing "
                "shows it can fail"
            )
    prof = get_profile(profile)
    for inst, check, expected in cases:
        outcome = run_case(theorem, inst, check, expected, profile=prof, run_seed=seed)
        report.outcomes.append(outcome)
        status = outcome.result.status
        if outcome.verdict == "match":
            continue
        if outcome.verdict == "inconclusive" and check.kind in _TOLERATE_INCONCLUSIVE:
            continue
        what = "negative control" if inst.control else "instance"
        problems.append(
            f"{what} {outcome.case_id}: expected {expected}, got {status}: "
            f"{outcome.result.summary}"
        )
    return report


def assert_conforms(theorem: Theorem | str, profile: str = "quick", seed: int = 0) -> None:
    """Raise AssertionError listing every conformance problem."""
    report = check_theorem(theorem, profile, seed)
    if not report.ok:
        raise AssertionError(
            f"theorem {report.theorem_id!r} does not conform:\n- " + "\n- ".join(report.problems)
        )


class TheoremConformance:
    """Base class for pytest: subclass it, set ``theorem_id``, and the test runs the suite."""

    theorem_id: str = ""
    profile: str = "quick"

    def test_conforms(self) -> None:
        if not self.theorem_id:
            import pytest

            pytest.skip("set theorem_id on the subclass")
        assert_conforms(self.theorem_id, self.profile)
