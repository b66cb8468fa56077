"""The attention checks' own branches: nothing tested → inconclusive, ties, top-class selection,
the margin-lemma properties with planted false claims, and the seed reaching the trainer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from verify.attention.lemma_checks import alpha_to_one_result, margin_bound_result
from verify.attention.margin import (
    beta_for,
    check_alpha_tends_to_one,
    check_tie_caps_half,
    class_beta_for,
    one_minus_class_alpha,
)
from verify.attention.selection import debreu_select_result, tie_result
from verify.attention.utilities import nearest_key, plateau
from verify.core.context import Context
from verify.core.profiles import get_profile
from verify.orders.checks import weak_order_graph

torch.set_num_threads(1)


def _ctx(seed: int = 0, profile: str = "quick") -> Context:
    return Context(get_profile(profile), seed)


def test_tie_without_ties_refuses_to_confirm():
    r = tie_result({"utility": nearest_key(2), "n_keys": 16}, _ctx())
    assert r.status == "inconclusive" and r.reason == "nothing-tested"


def test_tie_on_plateau_confirms_and_a_score_error_refutes():
    ok = tie_result({"utility": plateau(2, c=0.1), "n_keys": 16}, _ctx(3))
    assert ok.status == "confirmed" and ok.evidence["tied_draws"] > 10
    bad = tie_result({"utilities": [1.0, 1.0, 0.0], "score_error": 1e-3}, _ctx())
    assert bad.status == "refuted" and bad.reason == "counterexample"
    # replay: scores 1e4·(1 + 1e-3, 1 − 1e-3, 0 − 1e-3) put ≈ 1 on the first tied key
    assert bad.evidence["max_alpha_on_tied_keys"][4] == pytest.approx(1.0)


def test_generated_ties_property_reaches_the_report_and_can_fail():
    assert tie_result({}, _ctx()).status == "confirmed"
    r = tie_result({"score_error": 1e-2}, _ctx())
    assert r.status == "refuted" and r.reason == "counterexample"
    assert r.evidence["counterexample"]["max_alpha_tied"] > r.evidence["counterexample"]["cap"]
    ok, cx = check_tie_caps_half(max_examples=30, seed=0, score_error=1e-2)
    assert not ok and cx["max_alpha_tied"] > 0.5


def test_debreu_select_with_one_class_per_query_is_inconclusive():
    graphs = {f"q{j}": weak_order_graph([0] * 6) for j in range(3)}
    r = debreu_select_result({"graphs": graphs}, _ctx())
    assert r.status == "inconclusive" and r.reason == "nothing-tested"


def test_debreu_select_claimed_beta_is_refuted_on_a_tied_top_class():
    graphs = {"q": weak_order_graph([0, 1, 2, 2])}  # top class {2, 3} of two tied keys
    ok = debreu_select_result({"graphs": graphs}, _ctx())
    assert ok.status == "confirmed" and ok.evidence["tested"] == 1
    bad = debreu_select_result({"graphs": graphs, "beta": 0.5}, _ctx())
    assert bad.status == "refuted" and bad.reason == "counterexample"


def test_class_beta_formula():
    # n = 4, top class of k = 2, gap 1: log((4 − 2)/(2·1e-3)) = log(1000)
    assert class_beta_for(4, 2, 1e-3, 1.0) == pytest.approx(math.log(1000))
    assert class_beta_for(16, 1, 1e-3, 0.05) == pytest.approx(beta_for(16, 1e-3, 0.05))
    assert class_beta_for(3, 3, 1e-3, 1.0) == 0.0
    vals = np.array([0.0, 1.0, 2.0, 2.0])
    b = class_beta_for(4, 2, 1e-3, 1.0)
    assert one_minus_class_alpha(b * vals, np.array([2, 3])) <= 1e-3
    with pytest.raises(ValueError, match="gap"):
        class_beta_for(4, 2, 1e-3, 0.0)


def test_margin_properties_as_results():
    assert margin_bound_result(_ctx()).status == "confirmed"
    assert alpha_to_one_result(_ctx()).strength_kind == "sampled"
    wrong = alpha_to_one_result(_ctx(), lambda n, e, eta, d: beta_for(n, e, eta, 0.0), "no 2δ")
    assert wrong.status == "refuted" and wrong.reason == "counterexample"
    ok, cx = check_alpha_tends_to_one(max_examples=40, seed=0,
                                      beta_rule=lambda n, e, eta, d: beta_for(n, e, eta, 0.0))
    assert not ok and not cx["final_below_eps"]


def test_the_check_seed_reaches_the_trainer_and_the_certifier(monkeypatch):
    """No hard-coded seed: the pipeline call passes ``ctx.seed`` to the trainer and certifier."""
    import verify.certify
    import verify.trainers
    from verify.attention.witness import WitnessSpec, train_and_certify
    from verify.certify.sampled import SampledSup
    from verify.claims import clear_cache
    from verify.models import InnerProductModel
    from verify.trainers.config import FitResult

    seen: dict[str, list] = {"fit": [], "cert": []}

    def fake_fit(relation, *, seed, eps, **kw):
        seen["fit"].append((seed, eps))
        model = InnerProductModel.build(dx=2, dy=2, width=4, depth=1, feature_dim=4,
                                        symmetric=False, seed=seed)
        sup = SampledSup(0.01, np.zeros(2), np.zeros(2), 10, "fake")
        return FitResult("reached", model, sup, neurons=8, feature_dim=4, seed=seed)

    def fake_certify(*args, seed, **kw):
        seen["cert"].append(seed)
        raise NotImplementedError("not needed here")

    monkeypatch.setattr(verify.trainers, "fit_inner_product", fake_fit)
    monkeypatch.setattr(verify.certify, "certify_sup", fake_certify)
    clear_cache()
    spec = WitnessSpec(width=4, depth=1, feature_dim=4, train_eps=2e-3)
    a, b = (train_and_certify(nearest_key(2), spec, 0.02, _ctx(s, "standard")) for s in (11, 12))
    clear_cache()
    assert seen == {"fit": [(11, 2e-3), (12, 2e-3)], "cert": [11, 12]}
    assert (a.seed, b.seed) == (11, 12) and a.certificate["status"] == "not-attempted"
    assert a.verdict.status == "inconclusive" and a.verdict.reason == "not-certifiable"
    wa, wb = (next(w.model.parameters()).detach() for w in (a, b))
    assert not torch.equal(wa, wb)


def test_a_budget_the_rank_bound_rules_out_is_not_trained_and_confirms_nothing():
    from verify.attention.end_to_end import retrieval_result
    from verify.attention.features import nearest_key_features

    params = {"utility": nearest_key(2), "exact_features": nearest_key_features(2),
              "train": {"width": 4, "depth": 1, "feature_dim": 3}, "eta": 0.05, "eps1": 1e-3}
    r = retrieval_result(params, _ctx(0, "standard"), "softmax")
    assert r.status == "inconclusive" and r.reason == "rank-lower-bound"
    assert r.evidence["trainer_status"] == "not trained"
