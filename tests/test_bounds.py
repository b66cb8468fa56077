"""Tests for verify.bounds: statements, quantities, derived bound (ours), verdicts, scaling."""

import math

import numpy as np
import pytest
import torch

from verify.bounds import (
    barron_norm_estimate,
    candidate_widths,
    compute_quantities,
    derived_bound,
    feature_accuracies,
    judge_bound,
    parse_bound,
    product_error,
    refutes,
)
from verify.bounds.derived import derived_refutation
from verify.bounds.scaling import fit_rates
from verify.relations import Box, brownian, gaussian
from verify.spectra import min_rank_for

torch.set_num_threads(1)


# ------------------------------------------------------------------ statements
def test_parse_and_evaluate():
    b = parse_bound("r_star * (2*radius*barron_max/eps)^2 + log(1/eps)")
    assert b.names == ["barron_max", "eps", "r_star", "radius"]
    v = b.evaluate({"r_star": 3, "radius": 1.0, "barron_max": 2.0, "eps": 0.1})
    assert v == pytest.approx(3 * 40.0**2 + math.log(10))
    assert parse_bound("10**4").neurons({}) == 10_000
    assert parse_bound("2.0000000001").neurons({}) == 2  # rounding noise is not a neuron
    assert parse_bound("2.5").neurons({}) == 3
    assert parse_bound("lambda_1 + sup_f_12").neurons({"lambda_1": 0.5, "sup_f_12": 0.2}) == 1


def test_unknown_symbols_are_named():
    with pytest.raises(ValueError, match="foo, bar"):
        parse_bound("foo + eps*bar")
    for bad in ('__import__("os")', "eps.real", "lambda_0", "x[0]", "", "eps = 1"):
        with pytest.raises(ValueError):
            parse_bound(bad)


def test_missing_or_negative_quantities():
    with pytest.raises(ValueError, match="lambda_40"):
        parse_bound("lambda_40").evaluate({"lambda_1": 1.0})
    with pytest.raises(ValueError, match="negative"):
        parse_bound("m_min - 10").neurons({"m_min": 3})


# ------------------------------------------------------------------ Barron estimate (ours)
def test_barron_estimate_close_to_exact_for_smooth_functions():
    box = Box.interval(-1, 1)
    x = box.grid(1025)[:, 0]
    # exact Barron norm of cos(3x) as a function on R is 3; ours is an upper-type estimate
    est = barron_norm_estimate(np.cos(3 * x), box)
    assert 3.0 <= est <= 5.0
    # scaling: linear in f, and a constant costs nothing (omega = 0)
    assert barron_norm_estimate(2 * np.cos(3 * x), box) == pytest.approx(2 * est)
    assert barron_norm_estimate(np.ones_like(x), box) == pytest.approx(0.0, abs=1e-9)


def test_quantities_brownian_match_closed_form():
    q = compute_quantities(brownian(), 1e-1)
    k = np.arange(1, 6)
    lam = 1.0 / ((k - 0.5) * np.pi) ** 2
    assert np.allclose(q.coeffs[:5], lam, rtol=0, atol=2e-5)  # Nystrom: O(n^-2) error
    # sup |sqrt(2) sin((k-1/2) pi x)| = sqrt(2); Barron of sqrt(lam) e_k is about sqrt(2)..5
    assert np.allclose(q.sup_x[:5], np.sqrt(2), rtol=1e-2)
    assert np.all((q.barron[:5] > 1.0) & (q.barron[:5] < 6.0))
    v = q.values()
    assert v["r_star"] >= 1 and v["tail_sup"] <= 0.05
    assert v["m_min"] == q.rank_bound.m_min >= 1


# ------------------------------------------------------------------ derived bound (ours)
def test_feature_accuracies_split_the_budget():
    s = np.array([0.9, 0.5, 0.1, 0.01])
    eps = 1e-3
    d = feature_accuracies(s, eps)
    assert np.allclose(d * (2 * s + d), eps / (2 * len(s)))
    assert product_error(s, d) == pytest.approx(eps / 2)


@pytest.fixture(scope="module")
def gauss_q():
    return compute_quantities(gaussian(0.5), 1e-3)


def test_derived_bound_above_rank_bound_and_control_below(gauss_q):
    db = derived_bound(gauss_q)
    assert db.r == gauss_q.r_star == 8
    assert db.neurons >= gauss_q.m_min
    assert db.neurons == int(np.sum(np.ceil(db.n_x)))
    assert derived_refutation(db, gauss_q) is None
    # a planted small constant goes through the same per-feature rounding: N >= r, never
    # below the rank bound (so it is no control at all)
    tiny = derived_bound(gauss_q, scale=1e-10)
    assert tiny.neurons >= tiny.r == 8 and not refutes(tiny.neurons, gauss_q.rank_bound)
    # a planted truncation that keeps too few terms is refuted, through the same code
    planted = derived_bound(gauss_q, keep_terms=2)
    res = derived_refutation(planted, gauss_q)
    assert res.status == "refuted" and res.reason == "construction-rank"
    assert res.evidence["error_lower_bound"] > 1e-3


# ------------------------------------------------------------------ verdicts
def test_planted_bound_refuted_with_evidence(gauss_q):
    res = judge_bound(gaussian(0.5), 1e-3, 2, gauss_q.rank_bound)
    assert res.status == "refuted"
    assert res.evidence["error_lower_bound"] > 1e-3
    assert res.evidence["max_rank"] == 3 < res.evidence["m_min"]


def test_witness_confirms_small_problem():
    rel = brownian()
    rb = min_rank_for(rel, 0.1, optimise=False)
    res = judge_bound(rel, 0.1, 50, rb, widths=[3], time_budget_s=8, total_budget_s=10)
    assert res.status == "confirmed"
    assert res.evidence["witness"]["sampled_sup"] <= 0.1
    assert res.evidence["witness"]["neurons"] <= 50


def test_candidate_widths():
    assert candidate_widths(6, 24) == [5, 6, 7, 9, 13]
    assert candidate_widths(1, 3, n=10) == [1, 2, 3]
    assert candidate_widths(6, 24, n=2, offset=1) == [6, 7]


def test_fit_rates():
    eps = [1e-1, 1e-2, 1e-3]
    loglog, semilog = fit_rates(eps, [2, 20, 200])  # w ~ 1/eps... in log(1/eps) terms
    assert semilog == pytest.approx((200 - 2) / (2 * math.log(10)), rel=0.2)
    assert loglog > 1
    assert fit_rates(eps, [3, None, None]) == (None, None)
