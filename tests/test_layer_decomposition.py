"""The `layer-decomposition` theorem module: every control refuted for its declared reason, and
the numbers behind its verdicts. (The pytest plugin runs every quick case of the theorem in the
default `pytest`; here only the controls and the instances whose numbers we assert run.)"""

from __future__ import annotations

import pytest
import torch

from verify.core.profiles import get_profile
from verify.core.registry import get_theorem
from verify.core.runner import run_case

torch.set_num_threads(1)
THEOREM_ID = "layer-decomposition"
NUMBERS = ("compressed-gaussian-1d", "encoding-sine-1d", "subspace-gd-rotated")


@pytest.fixture(scope="module")
def report():
    th = get_theorem(THEOREM_ID)

    class Report:
        outcomes = [run_case(th, inst, check, expected, profile=get_profile("quick"), run_seed=0)
                    for inst, check, expected in th.cases("quick")
                    if inst.control or inst.id in NUMBERS]

    return Report


def test_every_check_has_a_control_and_hypotheses_are_known():
    th = get_theorem(THEOREM_ID)
    controlled = {c.name for i, c, _ in th.cases("quick") if i.control}
    assert controlled == set(th.checks)
    cover = th.hypothesis_coverage()
    assert all(cover.values()), cover  # every hypothesis is tested by some check


def test_cases_match(report):
    bad = [(o.case_id, o.result.status, o.result.summary) for o in report.outcomes
           if o.verdict != "match"]
    assert not bad


def test_controls_refuted_for_their_declared_reason(report):
    seen = set()
    for o in report.outcomes:
        if o.instance.control:
            want = o.instance.reasons[o.check.name]
            assert o.result.reason == want, (o.case_id, o.result.reason, want)
            assert o.result.reason in o.check.reasons
            assert o.result.strength_kind is not None
            seen.add(o.check.name)
    assert seen == set(get_theorem(THEOREM_ID).checks)


def test_outcome_mix(report):
    statuses = {o.result.status.value for o in report.outcomes}
    assert {"confirmed", "refuted", "not-applicable"} <= statuses


def _evidence(report, instance_id):
    return next(o.result for o in report.outcomes if o.instance.id == instance_id)


def test_compressed_gaussian_1d_needs_full_rank(report):
    r = _evidence(report, "compressed-gaussian-1d")
    scan = r.evidence["scan"]
    assert scan["smallest_certified_rank"] == scan["full_rank"] == 8
    assert all(row["status"] == "refuted" for row in scan["rows"][:-1])
    assert scan["rows"][-1]["upper"] <= 1e-3
    assert "| smallest certified rank r* |" in r.evidence["table"]


def test_encoding_margin_numbers(report):
    ev = _evidence(report, "encoding-sine-1d").evidence
    L = ev["certified_lipschitz"]["L"]
    # the pair is a rigorous lower bound, the interval Jacobian an upper bound
    assert ev["steepest_pair"]["quotient_lower"] <= L <= ev["spectral_norm_product"]
    assert L < 1.1 * ev["steepest_pair"]["quotient_lower"]  # tight on 1-D
    assert ev["margin"] == pytest.approx(ev["eps_train"] + L * ev["covering_radius"])
    assert ev["sampled_margin_check"]["max_excess"] <= 0


def test_step_control_shows_the_jump(report):
    jump = _evidence(report, "encoding-step").evidence["jump"]
    assert min(jump["jumps"]) > 0.1
    q = jump["difference_quotients"]
    assert all(b > 50 * a for a, b in zip(q, q[1:]))


def test_subspace_factor_exact_and_adam_not(report):
    gd = _evidence(report, "subspace-gd-rotated").evidence["run"]
    assert gd["max_factor_deviation_rel_W"] < 1e-14
    assert gd["perp_norm_final"] == pytest.approx(gd["perp_norm_predicted"], rel=1e-8)
    adam = _evidence(report, "subspace-adam-rotated").evidence["run"]
    assert adam["max_factor_deviation_rel_W"] > 1e-4


def test_standard_profile_lists_the_three_witnesses():
    th = get_theorem(THEOREM_ID)
    ids = {i.id for i, c, _ in th.cases("standard") if c.name == "compressed-witness"
           and not i.control}
    assert ids == {"compressed-gaussian-1d", "compressed-gaussian-2d",
                   "compressed-attention-kernel"}
    quick = {i.id for i, c, _ in th.cases("quick") if c.name == "compressed-witness"}
    assert quick == {"compressed-gaussian-1d", "compressed-rank-7"}


def test_single_case_replays_with_the_same_seed():
    th = get_theorem(THEOREM_ID)
    inst = next(i for i in th.instances if i.id == "hopfield-beta-small")
    a, b = (run_case(th, inst, th.checks["hopfield-attention"], "refuted",
                     profile=get_profile("quick"), run_seed=3).result for _ in range(2))
    assert a.evidence["counterexample"]["error"] == b.evidence["counterexample"]["error"]
