"""End-to-end attention retrieval with exact / planted feature maps, SDPA agreement, controls."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from verify.attention.features import (
    FeaturePair,
    bilinear_features,
    from_model,
    nearest_key_features,
    planted,
)
from verify.attention.margin import beta_for
from verify.attention.retrieval import (
    attention_weights,
    evaluate_retrieval,
    sample_margin_draws,
    sdpa_agreement,
    sdpa_weights,
)
from verify.attention.utilities import (
    axis_reversed,
    bilinear,
    bilinear_matrix,
    bump_reversed,
    nearest_key,
)

torch.set_num_threads(1)


def test_exact_features_reproduce_utilities():
    rng = np.random.default_rng(0)
    for pair, u, d in [(nearest_key_features(3), nearest_key(3), 3),
                       (bilinear_features(bilinear_matrix(4, 2)), bilinear(4, 2), 4)]:
        X = rng.uniform(-1, 1, (50, d))
        keys = rng.uniform(-1, 1, (50, 5, d))
        s = pair.scores(torch.as_tensor(X), torch.as_tensor(keys)).numpy()
        want = u(np.repeat(X, 5, 0), keys.reshape(-1, d)).reshape(50, 5)
        np.testing.assert_allclose(s, want, atol=1e-13)


def test_planted_perturbation_is_bounded_by_delta():
    rng = np.random.default_rng(1)
    pair = planted(nearest_key_features(2), 0.02, seed=3)
    assert pair.delta == pytest.approx(0.02)
    X = torch.as_tensor(rng.uniform(-1, 1, (400, 2)))
    keys = torch.as_tensor(rng.uniform(-1, 1, (400, 4, 2)))
    err = pair.scores(X, keys) - nearest_key_features(2).scores(X, keys)
    assert 0.005 < float(err.abs().max()) <= 0.02


def test_margin_sampler_respects_eta_both_methods():
    u = nearest_key(2)
    for method in ("rejection", "constructive"):
        dr = sample_margin_draws(u, 8, 0.2, 500, seed=0, method=method, batch=512)
        assert len(dr) == 500 and dr.margin.min() >= 0.2
        assert 0 < dr.acceptance_rate <= 1
        np.testing.assert_array_equal(dr.best, dr.u.argmax(1))
    rej = sample_margin_draws(u, 8, 0.2, 500, seed=0, batch=512)
    con = sample_margin_draws(u, 8, 0.2, 500, seed=0, method="constructive", batch=512)
    assert con.acceptance_rate > rej.acceptance_rate


def test_nearest_key_target_retrieval_meets_bound():
    n, eta, eps1 = 16, 0.05, 1e-3
    beta = beta_for(n, eps1, eta)
    res = evaluate_retrieval(nearest_key_features(2), nearest_key(2), beta=beta, eta=eta,
                             n_keys=n, num_draws=10_000, eps1=eps1, seed=0)
    assert res.ok, res.violations
    assert res.accuracy == 1.0 and res.lemma_applicable
    assert res.max_one_minus_alpha <= res.bounds["one_minus_alpha"] <= eps1
    assert res.max_value_error <= res.bounds["value_error"]
    assert res.n_draws == 10_000 and 0.3 < res.acceptance_rate < 0.7
    json.dumps(res.to_dict())


def test_planted_perturbation_bilinear_meets_bound():
    eta, delta, n = 0.05, 0.01, 16
    A = bilinear_matrix(4, 0)
    pair = planted(bilinear_features(A), delta, seed=1)
    res = evaluate_retrieval(pair, bilinear(4, 0), beta=beta_for(n, 1e-3, eta, delta), eta=eta,
                             n_keys=n, num_draws=2000, eps1=1e-3, seed=1)
    assert res.ok, res.violations
    assert res.delta == delta and res.delta_measured <= delta


def test_negative_control_beta_one_is_refuted():
    res = evaluate_retrieval(nearest_key_features(2), nearest_key(2), beta=1.0, eta=0.05,
                             n_keys=16, num_draws=2000, eps1=1e-3, seed=0)
    assert not res.ok
    eps_v = [v for v in res.violations if v["check"] == "eps1"][0]
    draw = eps_v["draw"]
    assert draw["one_minus_alpha_best"] > 0.5  # nowhere near 1e-3
    # the counterexample is concrete: recompute alpha from the reported draw
    s = np.asarray(draw["scores"])
    a = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    assert 1 - a[draw["best"]] == pytest.approx(draw["one_minus_alpha_best"], rel=1e-9)
    # the lemma's own bound at beta = 1 is not violated: only the eps1 claim is false
    assert {v["check"] for v in res.violations} == {"eps1", "eps1_value"}


@pytest.mark.parametrize("control", [axis_reversed(2), bump_reversed(2)])
def test_negative_control_reversed_preference_is_refuted(control):
    res = evaluate_retrieval(nearest_key_features(2), control, beta=beta_for(16, 1e-3, 0.05),
                             eta=0.05, n_keys=16, num_draws=1000, seed=0)
    checks = {v["check"] for v in res.violations}
    assert {"delta", "selection"} <= checks
    sel = [v for v in res.violations if v["check"] == "selection"][0]["draw"]
    assert sel["selected"] != sel["best"]
    # the concrete draw: the control utility prefers `best`, nearest-key prefers `selected`
    x, keys = np.asarray(sel["x"]), np.asarray(sel["keys"])
    u_ctrl = control(np.repeat(x[None], 16, 0), keys)
    u_near = nearest_key(2)(np.repeat(x[None], 16, 0), keys)
    assert u_ctrl.argmax() == sel["best"] and u_near.argmax() == sel["selected"]


def test_unknown_delta_is_measured_and_flagged():
    pair = FeaturePair("anon", nearest_key_features(2).query, nearest_key_features(2).key)
    res = evaluate_retrieval(pair, nearest_key(2), beta=50.0, eta=0.1, n_keys=4, num_draws=500)
    assert res.delta_source.startswith("measured") and res.delta < 1e-12 and res.ok


def test_sdpa_agrees_with_softmax():
    u = nearest_key(2)
    dr = sample_margin_draws(u, 16, 0.05, 1000, seed=2)
    beta = beta_for(16, 1e-3, 0.05)
    agree = sdpa_agreement(planted(nearest_key_features(2), 0.01), dr, beta)
    assert agree["max_abs_weight_diff"] <= 1e-12 and agree["max_abs_value_diff"] <= 1e-12
    via_sdpa = evaluate_retrieval(nearest_key_features(2), u, beta=beta, eta=0.05, draws=dr,
                                  eps1=1e-3, backend="sdpa")
    via_own = evaluate_retrieval(nearest_key_features(2), u, beta=beta, eta=0.05, draws=dr,
                                 eps1=1e-3)
    assert via_sdpa.ok and via_own.ok
    assert via_sdpa.max_one_minus_alpha == pytest.approx(via_own.max_one_minus_alpha, rel=1e-9)
    # SDPA's default scale 1/sqrt(m) would differ: the explicit scale matters
    q = torch.randn(3, 4, dtype=torch.float64)
    k = torch.randn(3, 5, 4, dtype=torch.float64)
    assert torch.allclose(sdpa_weights(q, k, 0.5), attention_weights(q, k, 0.5), atol=1e-14)
    assert not torch.allclose(sdpa_weights(q, k, 2.0), attention_weights(q, k, 0.5))


def test_model_duck_type_is_accepted():
    class Lin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.phi = lambda x: x
            self.psi = None

    pair = from_model(Lin())
    x = torch.ones(2, 3, dtype=torch.float64)
    assert torch.equal(pair.query(x), pair.key(x))


def test_inner_product_model_wiring():
    models = pytest.importorskip("verify.models")
    model = models.InnerProductModel.build(dx=2, dy=2, width=8, depth=1, feature_dim=4,
                                           symmetric=False, seed=0)
    pair = from_model(model)
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.uniform(-1, 1, (6, 2)))
    keys = torch.as_tensor(rng.uniform(-1, 1, (6, 3, 2)))
    with torch.no_grad():
        s = pair.scores(X, keys)
        want = torch.stack([model.gram(X[b : b + 1], keys[b])[0] for b in range(6)])
    torch.testing.assert_close(s, want, rtol=1e-12, atol=1e-12)
    # the evaluator scores with the model's own gram: its accuracy and δ are those of the gram
    u = nearest_key(2)
    draws = sample_margin_draws(u, 3, 0.1, 200, seed=0)
    res = evaluate_retrieval(model, u, beta=10.0, eta=0.1, draws=draws)
    with torch.no_grad():
        s = torch.stack([model.gram(torch.as_tensor(draws.x[b : b + 1]),
                                    torch.as_tensor(draws.keys[b]))[0] for b in range(200)])
    s = s.numpy()
    assert res.delta_source.startswith("measured")
    assert res.accuracy == pytest.approx(np.mean(s.argmax(1) == draws.best), abs=1e-12)
    assert res.delta_measured == pytest.approx(np.abs(s - draws.u).max(), rel=1e-9)
    # an untrained model is far from u: the measured δ exceeds η/2, so the lemma is silent
    assert not res.lemma_applicable and res.bounds["one_minus_alpha"] is None


def test_two_equidistant_keys_split_attention_exactly():
    # eta = 0 (a tie): keys at equal distance from the query get alpha = 1/2 each at any beta
    pair = nearest_key_features(2)
    x = torch.tensor([[0.25, -0.5]], dtype=torch.float64)
    keys = torch.tensor([[[0.5, -0.5], [0.0, -0.5], [1.0, 1.0]]], dtype=torch.float64)
    for beta in (1.0, 1e2, 1e4):
        a = torch.softmax(beta * pair.scores(x, keys), dim=-1)[0]
        # the features reproduce the tie only up to float64 rounding of the scores (~1e-16)
        assert float(a[0]) == pytest.approx(float(a[1]), rel=1e-9) and float(a[0]) <= 0.5 + 1e-9
    assert float(torch.softmax(1e4 * pair.scores(x, keys), dim=-1)[0, 0]) == pytest.approx(0.5)
