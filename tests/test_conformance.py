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

    @t.check("small", CheckKind.NUMERIC, reasons=("too-big",))
    def small(instance, ctx):
        return Result.confirmed("it is small")  # ignores the instance: cannot fail

    t.instance("one", x=1, expect={"small": "confirmed"})
    t.control("huge", x=10**9, expect={"small": "refuted"}, description="planted: 1e9 is small",
              reasons={"small": "too-big"})
    return t


def _small_numbers(check_fn, *, control_x=10**9, control_reason="too-big") -> Theorem:
    """A theorem "every x of an instance is < 100" with one check ``small`` (``check_fn``)."""
    t = Theorem(id="small-numbers", title="Small numbers", source=Source(paper="none"),
                statement="every listed x is below 100")
    t.check("small", CheckKind.NUMERIC, reasons=("too-big", "not-a-number"))(check_fn)
    t.instance("few", xs=[1, 2, 3], expect={"small": "confirmed"})
    t.control("huge", xs=[control_x], expect={"small": "refuted"},
              description="planted: a huge number is small", reasons={"small": control_reason})
    return t


def _honest(instance, ctx):
    xs = instance["xs"]
    if any(not isinstance(x, (int, float)) for x in xs):
        return Result.refuted("not a number", "explicit").because("not-a-number",
                                                                  "explicit counterexample")
    big = [x for x in xs if x >= 100]
    if big:
        return Result.refuted(f"{big[0]} >= 100", "explicit").because(
            "too-big", "explicit counterexample")
    return Result.confirmed(f"all {len(xs)} below 100", "exhaustive").because(
        None, "exhaustive").counted(len(xs))


def test_conformance_accepts_an_honest_check():
    report = check_theorem(_small_numbers(_honest))
    assert report.ok, report.problems


def test_conformance_rejects_a_check_with_no_reachable_refuting_branch():
    """(a) The control is refuted, but through a branch the check does not declare (here: a
    type check the control's data never meant to plant), so no declared refuting branch is
    reached."""
    def fn(instance, ctx):
        if any(x >= 100 for x in instance["xs"]):
            return Result.refuted("something is off", "explicit").because("malformed")
        return _honest(instance, ctx)

    report = check_theorem(_small_numbers(fn))
    assert "refuting-branch-unreached" in report.rules(), report.problems
    assert "reason-not-declared" in report.rules()


def test_conformance_rejects_a_control_refuted_for_the_wrong_reason():
    """(b) The control plants a huge number but is refuted because its data is not a number."""
    report = check_theorem(_small_numbers(_honest, control_x="1e9"))
    assert "control-wrong-reason" in report.rules(), report.problems
    (p,) = [p for p in report.problems if p.rule == "control-wrong-reason"]
    assert "'not-a-number'" in p and "'too-big'" in p


def test_conformance_rejects_a_check_that_confirms_having_tested_nothing():
    """(c) A check that skips every item and still confirms."""
    def fn(instance, ctx):
        kept = [x for x in instance["xs"] if x >= 100]  # skips the small ones, tests the rest
        if kept:
            return Result.refuted(f"{kept[0]} >= 100", "explicit").because("too-big")
        return Result.confirmed("no big number among the tested ones", "exhaustive").because(
            None, "exhaustive").counted(len(kept))

    report = check_theorem(_small_numbers(fn))
    assert report.rules() == {"tested-nothing"}, report.problems


def test_conformance_rejects_missing_reasons_and_strengths():
    def fn(instance, ctx):
        if any(x >= 100 for x in instance["xs"]):
            return Result.refuted("too big")  # no reason
        return Result.confirmed("fine")  # no structured strength

    t = _small_numbers(fn)
    report = check_theorem(t)
    assert {"reason-missing", "strength-missing", "refuting-branch-unreached"} <= report.rules()
    t.instances[-1].reasons.clear()
    assert "control-reason-undeclared" in check_theorem(t).rules()


def test_conformance_rejects_a_sampled_confirmation_where_a_certificate_is_required():
    t = Theorem(id="eps-claim", title="An eps claim", source=Source(paper="none"),
                statement="a witness reaches eps")

    @t.check("witness", CheckKind.TRAINING, reasons=("rank-lower-bound",))
    def witness(instance, ctx):
        if instance["features"] < 2:
            return Result.refuted("rank", "rigorous").because("rank-lower-bound",
                                                              "rigorous lower bound")
        return Result.confirmed("sampled sup <= eps", "sampled").because(None, "sampled")

    t.instance("ok", features=4, expect={"witness": "confirmed"})
    t.control("one", features=1, expect={"witness": "refuted"}, description="planted",
              reasons={"witness": "rank-lower-bound"})
    assert check_theorem(t, "quick").ok
    assert check_theorem(t, "standard").rules() == {"sampled-where-certificate-required"}


def test_conformance_rejects_a_measurement_reported_as_confirmed():
    def fn(instance, ctx):
        if any(x >= 100 for x in instance["xs"]):
            return Result.refuted("too big", "explicit").because("too-big")
        return Result.confirmed("max is 3", "measured").because(None, "measurement")

    assert "measurement-as-verdict" in check_theorem(_small_numbers(fn)).rules()


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


def _without_checks(theorem_id: str, drop: set[str]) -> Theorem:
    """A copy of a registered theorem whose instances no longer expect the ``drop`` checks."""
    import copy

    from verify import get_theorem

    t = copy.copy(get_theorem(theorem_id))
    t.checks = {k: v for k, v in t.checks.items() if k not in drop}
    t.instances = []
    for inst in get_theorem(theorem_id).instances:
        inst = copy.copy(inst)
        inst.expect = {k: v for k, v in inst.expect.items() if k not in drop}
        inst.reasons = {k: v for k, v in inst.reasons.items() if k not in drop}
        if inst.expect:
            t.instances.append(inst)
    return t


@pytest.mark.parametrize("theorem_id", ["symmetric-pd", "asymmetric"])
def test_builtin_theorems_conform_on_their_non_training_checks(theorem_id):
    """Every rule, strictly, on everything but the trained witness (cheap; the witness goes
    through the claim pipeline and is covered by the slow test below)."""
    report = check_theorem(_without_checks(theorem_id, {"witness"}))
    assert report.ok, report.problems


@pytest.mark.slow
@pytest.mark.parametrize("theorem_id", ["symmetric-pd", "asymmetric", "neuron-bounds",
                                        "attention-retrieval"])
def test_builtin_theorem_conforms(theorem_id):
    from verify.testing import assert_conforms

    assert_conforms(theorem_id)
