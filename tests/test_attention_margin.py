"""Tests for the softmax margin lemma (ours) and its property checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verify.attention.margin import (
    alpha_lower_bound,
    beta_for,
    check_alpha_tends_to_one,
    check_bound_holds,
    check_tie_caps_half,
    one_minus_alpha,
    one_minus_bound,
    tie_alpha_exact,
    value_error_bound,
)


def test_formulas_match_hand_values():
    # 1/(1 + 15 e^{-1 * 0.05}) and log(15 / 1e-3) / 0.05
    assert alpha_lower_bound(16, 1.0, 0.05) == pytest.approx(1 / (1 + 15 * math.exp(-0.05)))
    assert beta_for(16, 1e-3, 0.05) == pytest.approx(math.log(15_000) / 0.05)
    assert beta_for(16, 1e-3, 0.05) == pytest.approx(192.3161096, rel=1e-9)
    assert value_error_bound(1e-3, 2.0) == pytest.approx(4e-3)
    # beta_for is the inverse: the bound at that beta is exactly 1 - eps1 (up to 1/(1+eps1) form)
    b = beta_for(10, 1e-4, 0.3, 0.05)
    assert one_minus_bound(10, b, 0.3, 0.05) == pytest.approx(1e-4 / (1 + 1e-4), rel=1e-12)
    assert alpha_lower_bound(1, 5.0, 0.1) == 1.0


def test_margin_precondition_names_values():
    with pytest.raises(ValueError, match=r"eta=0.1, delta=0.05"):
        alpha_lower_bound(4, 1.0, 0.1, 0.05)
    with pytest.raises(ValueError, match="eta > 2\\*delta"):
        beta_for(4, 1e-3, 0.1, 0.2)
    with pytest.raises(ValueError, match="eps1"):
        beta_for(4, 1.5, 0.1)


def test_bound_is_attained_by_adversarial_perturbation():
    n, beta, eta, delta = 7, 3.0, 0.4, 0.1
    u = np.array([1.0] + [1.0 - eta] * (n - 1))
    e = np.array([-delta] + [delta] * (n - 1))
    gap = one_minus_alpha(beta * (u + e), 0)
    assert gap == pytest.approx(one_minus_bound(n, beta, eta, delta), rel=1e-12)


def test_bound_holds_on_generated_cases():
    ok, cx = check_bound_holds(max_examples=300, seed=1)
    assert ok, cx


def test_bound_without_two_delta_is_refuted():
    def forgets_delta(n, beta, eta, delta):
        return one_minus_bound(n, beta, eta, 0.0)

    ok, cx = check_bound_holds(max_examples=300, seed=0, bound=forgets_delta)
    assert not ok
    assert cx["case"]["perturbation"] in {"adversarial", "random"}
    assert cx["case"]["delta"] > 0
    assert cx["one_minus_alpha"] > cx["bound"]


def test_alpha_tends_to_one():
    ok, cx = check_alpha_tends_to_one(max_examples=80, seed=0)
    assert ok, cx


def test_tie_caps_alpha_at_half():
    ok, cx = check_tie_caps_half(max_examples=100, seed=0)
    assert ok, cx
    exact = tie_alpha_exact()
    assert exact["ok"]
    assert exact["two_keys_alpha"] == "1/2"
    # numerically: two tied keys at any beta give exactly 1/2
    for beta in (1.0, 1e3, 1e8):
        assert one_minus_alpha(beta * np.array([0.3, 0.3]), 0) == 0.5


def test_perturbed_tie_can_exceed_half():
    # the cap needs exact scores: perturbing one tied key upward by beta*delta lifts it above 1/2
    s = 50.0 * (np.array([0.0, 0.0, -1.0]) + np.array([0.01, -0.01, 0.0]))
    assert 1.0 - one_minus_alpha(s, 0) > 0.5
