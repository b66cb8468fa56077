"""Conformance suite for theorem modules, in the spirit of scikit-learn's ``check_estimator``.

Any theorem (built-in or third-party) can run it on itself::

    from verify.testing import assert_conforms
    assert_conforms("my-theorem")          # or a Theorem object

or subclass :class:`TheoremConformance` in a pytest file and set ``theorem_id``.

Every problem carries a rule code (:attr:`Problem.rule`); the rules:

``identity``
    an id, a title, a source naming a paper, a statement.
``invalid``
    an instance expects a check the theorem does not have.
``unused-check``
    every check is used by at least one instance under the profile.
``no-control``
    every check has a negative control (expected ``refuted`` / ``not-applicable``).
``mismatch``
    every case matches its expectation. ``inconclusive`` is tolerated only for an
    expected-confirmed training/certificate check under ``quick``
    (:func:`verify.core.status.tolerates_inconclusive`).
``reason-missing``
    every ``refuted`` / ``not-applicable`` result carries a reason code (``Result.because``).
``check-reasons-undeclared``
    every check declares the reason codes it can give (``Theorem.check(reasons=...)``).
``reason-not-declared``
    a result's reason is one its check declares.
``control-reason-undeclared``
    a negative control names the reason it must be refuted for (``control(reasons=...)``).
``control-wrong-reason``
    a control reaches its status for the reason it declares, not another.
``refuting-branch-unreached``
    at least one of a check's declared reasons is produced by one of its controls: some planted
    claim reaches the branch that refutes (declared reasons no control reaches are listed as
    warnings, not problems).
``tested-nothing``
    a ``confirmed`` result that tested nothing (``Result.tested == 0``).
``strength-missing``
    a ``confirmed`` result states its structured strength (``Result.strength_kind``).
``sampled-where-certificate-required``
    under a profile with ``certify=True`` a confirmed training/certificate check rests on a
    certificate (or a symbolic / exhaustive argument), never on a sampled sup.
``measurement-as-verdict``
    a result whose strength is ``measurement`` is neither confirmed nor refuted: a number
    reported is not a claim tested.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from verify.core.profiles import get_profile
from verify.core.registry import get_theorem
from verify.core.runner import CaseOutcome, run_case
from verify.core.status import CheckKind, Status, Strength, tolerates_inconclusive
from verify.core.theorem import Theorem

_FAILING = (Status.REFUTED, Status.NOT_APPLICABLE)
#: strengths that may carry a confirmed ε claim where the profile demands a certificate
_CERTIFYING = {Strength.CERTIFIED, Strength.SYMBOLIC, Strength.EXHAUSTIVE}
#: strengths that count things, so a confirmation should say how many (else: a warning)
_COUNTING = {Strength.SAMPLED, Strength.EXHAUSTIVE}


class Problem(str):
    """A conformance problem: its message (the string) and the :attr:`rule` it breaks."""

    rule: str

    def __new__(cls, rule: str, message: str) -> "Problem":
        obj = super().__new__(cls, message)
        obj.rule = rule
        return obj


@dataclass
class ConformanceReport:
    theorem_id: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    outcomes: list[CaseOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, rule: str, message: str) -> None:
        self.problems.append(Problem(rule, message))

    def warn(self, rule: str, message: str) -> None:
        self.warnings.append(Problem(rule, message))

    def rules(self) -> set[str]:
        """The rule codes of every problem found."""
        return {p.rule for p in self.problems}


def check_theorem(
    theorem: Theorem | str, profile: str = "quick", seed: int = 0
) -> ConformanceReport:
    """Run the conformance suite; return every problem found (empty = conforms)."""
    if isinstance(theorem, str):
        theorem = get_theorem(theorem)
    report = ConformanceReport(theorem.id)
    if not theorem.id or not theorem.title or not theorem.statement:
        report.add("identity", "missing id, title or statement")
    if not theorem.source or not theorem.source.paper:
        report.add("identity", "missing source paper")
    try:
        theorem.validate()
    except ValueError as exc:
        report.add("invalid", str(exc))
        return report
    cases = theorem.cases(profile)
    _static_rules(theorem, cases, profile, report)
    prof = get_profile(profile)
    for inst, check, expected in cases:
        outcome = run_case(theorem, inst, check, expected, profile=prof, run_seed=seed)
        report.outcomes.append(outcome)
        _outcome_rules(outcome, prof.certify, profile, report)
    _reachability_rules(theorem, report)
    return report


def _static_rules(theorem: Theorem, cases, profile: str, report: ConformanceReport) -> None:
    used = {check.name for _, check, _ in cases}
    controlled = {check.name for inst, check, expected in cases
                  if inst.control and expected in _FAILING}
    for name, check in theorem.checks.items():
        if name not in used:
            report.add("unused-check",
                       f"check {name!r} is used by no instance under profile {profile!r}")
        if name not in controlled:
            report.add("no-control", f"check {name!r} has no negative control under profile "
                       f"{profile!r}: nothing shows it can fail")
        if not check.reasons:
            report.add("check-reasons-undeclared",
                       f"check {name!r} declares no reason codes (Theorem.check(reasons=...)): "
                       "what its refutations mean cannot be compared with its controls")
    for inst, check, expected in cases:
        if not (inst.control and expected in _FAILING):
            continue
        declared = inst.reasons.get(check.name)
        if declared is None:
            report.add("control-reason-undeclared",
                       f"negative control {theorem.id}::{inst.id} declares no reason for check "
                       f"{check.name!r} (Theorem.control(reasons={{...}}))")
        elif check.reasons and declared not in check.reasons:
            report.add("reason-not-declared",
                       f"negative control {theorem.id}::{inst.id} expects reason {declared!r}, "
                       f"which check {check.name!r} does not declare {list(check.reasons)}")


def _outcome_rules(outcome: CaseOutcome, certify: bool, profile: str,
                   report: ConformanceReport) -> None:
    inst, check, expected, result = (outcome.instance, outcome.check, outcome.expected,
                                     outcome.result)
    status, case = result.status, outcome.case_id
    what = "negative control" if inst.control else "instance"
    if outcome.verdict != "match" and not tolerates_inconclusive(check.kind, expected, status,
                                                                  profile):
        report.add("mismatch", f"{what} {case}: expected {expected}, got {status}: "
                   f"{result.summary}")
    if status in _FAILING:
        if not result.reason:
            report.add("reason-missing", f"{case}: {status} without a reason code "
                       "(Result.because(...))")
        elif check.reasons and result.reason not in check.reasons:
            report.add("reason-not-declared", f"{case}: reason {result.reason!r} is not among "
                       f"the reasons check {check.name!r} declares {list(check.reasons)}")
        declared = inst.reasons.get(check.name)
        if inst.control and declared and result.reason != declared:
            report.add("control-wrong-reason", f"negative control {case} reached {status} for "
                       f"reason {result.reason!r}, but it declares {declared!r}: the planted "
                       "claim fell through another branch than the one it plants")
    if result.strength_kind == Strength.MEASUREMENT and status in (Status.CONFIRMED,
                                                                   Status.REFUTED):
        report.add("measurement-as-verdict", f"{case}: a measurement (no claim tested) "
                   f"reported as {status}")
    if status != Status.CONFIRMED:
        return
    if result.tested == 0:
        report.add("tested-nothing", f"{case}: confirmed, but it tested nothing "
                   f"(tested = 0): {result.summary}")
    if result.strength_kind in (None, Strength.NONE):
        report.add("strength-missing", f"{case}: confirmed without a structured strength "
                   "(Result.because(..., Strength.X))")
    elif result.strength_kind in _COUNTING and result.tested is None:
        report.warn("tested-unstated", f"{case}: a {result.strength_kind} confirmation does "
                    "not say how many things it tested (Result.tested)")
    if (certify and check.kind in (CheckKind.TRAINING, CheckKind.CERTIFICATE)
            and result.strength_kind not in _CERTIFYING):
        report.add("sampled-where-certificate-required",
                   f"{case}: confirmed under a profile that demands a certificate, on strength "
                   f"{result.strength_kind}: {result.strength}")


def _reachability_rules(theorem: Theorem, report: ConformanceReport) -> None:
    reached: dict[str, set[str]] = defaultdict(set)
    ran: set[str] = set()
    for o in report.outcomes:
        if o.instance.control and o.expected in _FAILING:
            ran.add(o.check.name)
            if o.result.status in _FAILING and o.result.reason:
                reached[o.check.name].add(o.result.reason)
    for name in sorted(ran):
        declared = set(theorem.checks[name].reasons)
        if not declared:
            continue  # already a problem: check-reasons-undeclared
        hit = declared & reached[name]
        if not hit:
            report.add("refuting-branch-unreached",
                       f"check {name!r}: none of its controls reaches a refuting branch it "
                       f"declares {sorted(declared)} (controls gave {sorted(reached[name])})")
        for code in sorted(declared - hit):
            report.warn("reason-unreached", f"check {name!r}: no control reaches reason "
                        f"{code!r}")


def assert_conforms(theorem: Theorem | str, profile: str = "quick", seed: int = 0) -> None:
    """Raise AssertionError listing every conformance problem."""
    report = check_theorem(theorem, profile, seed)
    if not report.ok:
        raise AssertionError(
            f"theorem {report.theorem_id!r} does not conform:\n- "
            + "\n- ".join(f"[{p.rule}] {p}" for p in report.problems)
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
