"""The `attention-retrieval` theorem module: conformance, and the numbers behind its verdicts."""

from __future__ import annotations

import pytest
import torch

from verify.core.profiles import get_profile
from verify.core.registry import get_theorem
from verify.core.runner import run_case
from verify.testing import check_theorem

torch.set_num_threads(1)

THEOREM_ID = "attention-retrieval"


def _run(instance_id: str, check_name: str, profile: str = "quick"):
    th = get_theorem(THEOREM_ID)
    for inst, check, expected in th.cases(profile):
        if inst.id == instance_id and check.name == check_name:
            return run_case(th, inst, check, expected, profile=get_profile(profile),
                            run_seed=0).result
    raise KeyError((instance_id, check_name))


def test_every_check_has_a_failing_control():
    th = get_theorem(THEOREM_ID)
    controlled = {name for inst in th.instances if inst.control for name in inst.expect}
    assert controlled == set(th.checks)


def test_nearest_key_quick_numbers_within_bounds():
    r = _run("nearest-key-d2", "end-to-end")
    ev = r.evidence
    assert r.status == "confirmed", r.summary
    assert ev["n_draws"] == 2000 and ev["n_keys"] == 16
    assert ev["accuracy"] >= 0.999
    assert ev["delta"] == pytest.approx(2e-3)  # planted in quick, labelled so
    assert "planted" in ev["delta_kind"]
    assert ev["max_one_minus_alpha"] <= ev["bounds"]["one_minus_alpha"] <= 1e-3
    assert ev["max_value_error"] <= ev["bounds"]["value_error"]
    # β from the formula (ours): log(15 / 1e-3) / (0.05 - 2 * 2e-3)
    assert ev["beta"] == pytest.approx(9.6158 / 0.046, rel=1e-3)


def test_sdpa_agrees_with_softmax():
    r = _run("nearest-key-d2", "sdpa")
    assert r.status == "confirmed", r.summary
    assert r.evidence["sdpa_vs_softmax"]["max_abs_weight_diff"] < 1e-12


def test_beta_one_refuted_with_a_counterexample_draw():
    r = _run("beta-one-suffices", "end-to-end")
    assert r.status == "refuted"
    draw = r.evidence["counterexample_draw"]
    assert len(draw["keys"]) == 16 and draw["one_minus_alpha_best"] > 1e-3
    assert draw["margin"] >= 0.05


def test_xy_over_r2_witness_sequence():
    r = _run("xy-over-r2", "joint-continuity")
    assert r.status == "not-applicable"
    w = r.evidence["evidence"]["witness"]
    assert w["limit_along_path"] == "1/2" and w["value_at_point"] == "0"


def test_tie_caps_alpha_at_half():
    r = _run("tie-two-keys", "tie")
    assert r.status == "confirmed" and r.evidence["tied_draws"] == 1
    assert r.evidence["symbolic"]["two_keys_alpha"] == "1/2"
    bad = _run("plateau-perturbed-tie", "tie")
    assert bad.status == "refuted" and bad.reason == "counterexample"
    assert max(bad.evidence["max_alpha_on_tied_keys"]) > 1 / len(bad.evidence["tied_keys"])


def test_intransitive_triple_is_reported():
    r = _run("intransitive-comparison", "transitive")
    assert r.status == "not-applicable" and r.reason == "hypothesis:transitive"
    assert set(r.evidence["witness"]) == {"a", "b", "c"}
    assert len(r.evidence["witness_values"]["a"]) == 2  # the keys themselves, not only indices


def test_reversed_preference_reports_the_failed_score_error_hypothesis():
    r = _run("reversed-preference", "end-to-end")
    assert r.status == "not-applicable" and r.reason == "hypothesis:score-error"
    assert "exact factorisation (δ = 0)" not in r.evidence["delta_kind"]
    draw = r.evidence["counterexample_draw"]
    assert draw["score_error"] > 0.05 / 2 > r.evidence["delta"] == 0.0
    assert r.evidence["delta_measured_on_draws"] == pytest.approx(0.3, abs=0.02)


def test_debreu_select_tests_tied_top_classes():
    r = _run("preorder-graphs", "debreu-select")
    assert r.status == "confirmed" and r.evidence["tested"] == 5  # every top class is a tie
    assert r.evidence["max_one_minus_class_alpha"] <= 1e-3


def test_controls_give_their_declared_reasons_and_reach_every_code():
    th = get_theorem(THEOREM_ID)
    report = check_theorem(th)
    assert report.ok, report.problems
    reached: dict[str, set] = {}
    for o in report.outcomes:
        r, check = o.result, th.checks[o.case_id.split("::")[2]]
        if r.status in ("refuted", "not-applicable"):
            assert r.reason in check.reasons, (o.case_id, r.reason)
        if o.instance.control:
            assert r.reason == o.instance.reasons[check.name], o.case_id
            reached.setdefault(check.name, set()).add(r.reason)
        assert r.strength_kind is not None, o.case_id
    for name, check in th.checks.items():
        assert set(check.reasons) <= reached.get(name, set()), name
