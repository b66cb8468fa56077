"""The claim pipeline: lower-bound refutations, witnesses, certificates, wall clock, cache."""

from __future__ import annotations

import pytest
import torch

from verify import Status, Strength, get_profile
from verify.claims import (
    WALL_CLOCK_NOTE,
    Claim,
    Policy,
    certify_model,
    check_claim,
    clear_cache,
    run_claim,
    train_witness,
)
from verify.core.context import Context
from verify.relations import library as L

torch.set_num_threads(1)


def _ctx(profile: str = "quick", seed: int = 0) -> Context:
    return Context(profile=get_profile(profile), seed=seed)


def test_claim_budget_and_rank():
    rel = L.brownian()
    with pytest.raises(ValueError, match="either"):
        Claim(rel, 0.1, True)
    with pytest.raises(ValueError, match="eps"):
        Claim(rel, 0.0, True, neurons=3)
    assert Claim(rel, 0.1, True, width=4, feature_dim=8).max_rank == 5
    assert Claim(rel, 0.1, True, width=9, feature_dim=3).max_rank == 3
    assert Claim(rel, 0.1, True, neurons=6).max_rank == 7
    assert Claim(rel, 0.1, False, neurons=6).max_rank == 4  # two branches share the 6


def test_policy_from_profile():
    quick, std = Policy.from_context(_ctx("quick", 7)), Policy.from_context(_ctx("standard", 7))
    assert not quick.certify and quick.train_margin == 1.0 and quick.seed == 7
    assert std.certify and std.train_margin == 0.7
    assert std.with_(train_rounds=5, certify_leaves=None).train_rounds == 5
    assert Policy.from_dict(std.to_dict()) == std
    assert std.with_(n_seeds=3).seeds() == [7, 8, 9]


def test_lower_bounds_refute_before_training():
    res = check_claim(Claim(L.neg_distance(), 1e-3, True, width=8, feature_dim=4), _ctx())
    assert res.status == Status.REFUTED and res.reason == "weyl-lower-bound"
    assert res.strength_kind == Strength.LOWER_BOUND
    res = check_claim(Claim(L.difference(), 1e-3, False, width=4, feature_dim=1,
                            activation="relu"), _ctx())
    assert res.status == Status.REFUTED and res.reason == "rank-lower-bound"
    assert res.evidence["max_rank"] == 1 < res.evidence["m_min"]


def test_witness_sampled_in_quick_certified_in_standard():
    claim = Claim(L.brownian(), 0.1, True, width=3, feature_dim=3)
    quick = check_claim(claim, _ctx("quick"))
    assert quick.status == Status.CONFIRMED and quick.strength_kind == Strength.SAMPLED
    assert "not certified" in quick.summary
    std = check_claim(claim, _ctx("standard"))
    assert std.status == Status.CONFIRMED, std.summary
    assert std.reason == "certified" and std.strength_kind == Strength.CERTIFIED
    assert std.evidence["train_eps"] == pytest.approx(0.07)


def test_wall_clock_stop_is_never_confirmed_on_samples():
    clear_cache()
    claim = Claim(L.gaussian(0.5), 1e-2, True, width=8, feature_dim=8)
    pol = Policy.from_context(_ctx()).with_(wall_clock_s=1e-9)
    out = run_claim(claim, _ctx(), policy=pol)
    assert out.fit.wall_clock_hit and WALL_CLOCK_NOTE in out.fit.message
    assert out.result.status == Status.INCONCLUSIVE
    assert out.result.reason == "wall-clock-limit" and "not reproducible" in out.result.summary


def test_one_cache_per_claim_and_seed():
    clear_cache()
    claim = Claim(L.brownian(), 0.1, True, width=3, feature_dim=3)
    pol = Policy.from_context(_ctx())
    first = train_witness(claim, pol)
    assert train_witness(claim, pol) is first
    assert train_witness(claim, pol.with_(seed=1)) is not first


def test_certify_model_needs_an_expression():
    class TorchOnly:  # a relation with no sympy expression cannot be enclosed
        expr = None
        x_box = y_box = L.brownian().x_box

        @staticmethod
        def torch(x, y):
            return torch.minimum(x[..., 0], y[..., 0])

    fit = train_witness(Claim(L.brownian(), 0.1, True, width=3, feature_dim=3),
                        Policy.from_context(_ctx()))
    out = certify_model(TorchOnly(), fit.model, 0.1, _ctx())
    assert out.status == "not-attempted" and "expr" in out.reason
    ok = certify_model(L.brownian(), fit.model, 0.1, _ctx("standard"))
    assert ok.status == "certified" and ok.certificate.upper <= 0.1
