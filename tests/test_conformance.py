"""The conformance suite passes on real theorems and fails on a theorem whose check cannot fail."""

from __future__ import annotations

import pytest

from verify import CheckKind, Result, Source, Theorem
from verify.testing import TheoremConformance, check_theorem


class TestDebreuConforms(TheoremConformance):
    theorem_id = "debreu-utility"


def _always_confirms() -> Theorem:
    t = Theorem(id="broken", title="A check that cannot fail", source=Source(paper="none"),
                statement="every number is small")

    @t.check("small", CheckKind.NUMERIC)
    def small(instance, ctx):
        return Result.confirmed("it is small")  # ignores the instance: cannot fail

    t.instance("one", x=1, expect={"small": "confirmed"})
    t.control("huge", x=10**9, expect={"small": "refuted"}, description="planted: 1e9 is small")
    return t


def test_conformance_rejects_a_check_that_cannot_fail():
    report = check_theorem(_always_confirms())
    assert not report.ok
    assert any("negative control broken::huge::small" in p for p in report.problems)


def test_conformance_rejects_a_check_without_any_control():
    t = _always_confirms()
    t.instances = [i for i in t.instances if not i.control]
    report = check_theorem(t)
    assert any("has no negative control" in p for p in report.problems)


def test_conformance_runs_on_debreu_and_reports_outcomes():
    report = check_theorem("debreu-utility")
    assert report.ok, report.problems
    assert any(o.instance.control for o in report.outcomes)


@pytest.mark.parametrize("profile", ["quick"])
def test_every_registered_theorem_has_controls_for_every_check(profile):
    from verify import all_theorems

    for theorem in all_theorems():
        cases = theorem.cases(profile)
        controlled = {c.name for i, c, _ in cases if i.control}
        assert controlled == set(theorem.checks), (theorem.id, set(theorem.checks) - controlled)
