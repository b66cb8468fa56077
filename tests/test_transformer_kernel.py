"""The transformer-kernel engine (verify/kernels) against independent references, and the
theorem's cheap negative controls with the reasons they must give."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from controls import assert_control_reasons
from flint import arb
from hypothesis import given, settings
from hypothesis import strategies as st

from verify import Result, Status, get_profile, get_theorem
from verify.core.context import Context
from verify.kernels import binary_krr, exp_features, exp_transfer, rank_growth
from verify.kernels.attention import AttentionKernel, definiteness, symmetry
from verify.kernels.checks import exp_form
from verify.relations import Box
from verify.relations import library as L

SQ = Box.cube(-1, 1, 2)
ASYM = AttentionKernel((("1/2", "1/4"), ("-1/4", "1/2")), (("1/2", "0"), ("1/4", "-1/2")))


def test_expansion_coefficients_true_and_planted():
    assert exp_features.coefficient_check(2, 6)["mismatches"] == []
    bad = exp_features.coefficient_check(2, 3, d_power=sympy.Rational(1, 2))
    assert bad["mismatches"] and bad["mismatches"][0]["degree"] == 1


def test_truncated_features_give_the_taylor_polynomial_and_meet_the_certified_tail():
    rng = np.random.default_rng(0)
    T, S = SQ.sample(300, rng), SQ.sample(300, rng)
    kappa = ASYM.relation(SQ, SQ)(T, S)
    M = np.array(ASYM.M.tolist(), dtype=float)
    z = np.einsum("ij,jk,ik->i", T, M, S) / np.sqrt(2)
    for N in (1, 3, 6):
        F, G = ASYM.features(N)
        approx = np.einsum("ij,ij->i", F(T), G(S))
        taylor = sum(z**n / float(sympy.factorial(n)) for n in range(N + 1))
        assert np.allclose(approx, taylor, rtol=1e-12, atol=1e-14)
        tail = exp_features.certified_tail(ASYM.M, 2, SQ, SQ, N)["tail_upper"]
        assert np.abs(kappa - approx).max() <= tail
    # Z is the exact max of |t^T M s|/√2: attained at a vertex pair
    corners = SQ.corners()
    exact = max(abs(t @ M @ s) for t in corners for s in corners) / np.sqrt(2)
    assert exp_features.certified_tail(ASYM.M, 2, SQ, SQ, 3)["Z_upper"] == pytest.approx(exact)


def test_point_error_lower_is_a_lower_bound():
    t, s = np.array([0.9, -0.7]), np.array([-0.8, 0.95])
    F, G = ASYM.features(1)
    err = abs(ASYM.relation(SQ, SQ)(t[None], s[None])[0] - float((F(t) @ G(s).T)[0, 0]))
    low = exp_features.point_error_lower(ASYM.M, 2, t, s, 1)
    assert 0 < low <= err * (1 + 1e-12)


def test_symmetry_iff_M_symmetric_with_exact_witness():
    psd = AttentionKernel(((1, "1/2"), (0, 1)), ((2, 1), (0, 2)))  # W_k = 2 W_q
    assert symmetry(psd, SQ, SQ).symmetric
    v = symmetry(ASYM, SQ, SQ)
    assert not v.symmetric
    t, s = (np.array(v.witness[k]) for k in ("t", "s"))
    rel = ASYM.relation(SQ, SQ)
    assert abs(rel(t[None], s[None])[0] - rel(s[None], t[None])[0]) > 1e-3
    with pytest.raises(ValueError, match="d_t"):
        symmetry(AttentionKernel(((1, 0, 0),), ((1, 0),)), Box.cube(-1, 1, 3), SQ)


def test_definiteness_psd_proof_and_weyl_bound_against_the_best_psd_fit():
    psd = AttentionKernel(((1, "1/2"), (0, 1)), ((2, 1), (0, 2)))
    assert definiteness(psd, SQ, 0).kind == "psd"
    for k in (AttentionKernel(((1, 0), (0, 1)), ((1, 0), (0, -1))), ASYM):
        v = definiteness(k, SQ, 0)
        assert v.kind == "indefinite"
        w = v.evidence["witness"]
        P = np.array(w["points"])
        K = k.relation(SQ, SQ).gram(P, P)
        lam, U = np.linalg.eigh((K + K.T) / 2)
        G = (U * np.clip(lam, 0, None)) @ U.T  # a PSD matrix: must stay ≥ the bound away
        assert np.abs(K - G).max() >= w["certified_bound"]


def test_rank_ladder_grows_for_exp_and_the_polynomial_has_exact_rank_6():
    # the saturation of the polynomial's ladder is run by the control polynomial-infinite
    assert rank_growth.exact_polynomial_rank(L.polynomial(1.0, 2, SQ)) == 6
    assert rank_growth.exact_polynomial_rank(ASYM.relation(SQ, SQ)) is None
    grow = rank_growth.rank_ladder(ASYM.relation(SQ, SQ), [1e-1, 1e-6], 0, 10, 11)
    assert grow.non_decreasing() and grow.eym_floor[-1] > 6
    assert grow.schmidt_rank[-1] >= grow.eym_floor[-1]  # the floor never exceeds a real rank


@settings(max_examples=15, deadline=None, database=None)
@given(st.integers(1, 5), st.integers(1, 5), st.floats(1e-3, 10.0), st.integers(0, 2**31 - 1))
def test_binary_krr_solvers_agree_with_lstsq(n, n2, lam, seed):
    rng = np.random.default_rng(seed)
    F, G = ASYM.features(2)
    Phi, Psi = F(SQ.sample(n, rng)), G(SQ.sample(n2, rng))
    Z = rng.standard_normal((n, n2))
    W = binary_krr.solve_full(Phi, Psi, Z, lam)
    # independent: ridge as an augmented least-squares problem over vec(W) (row-major kron)
    A = np.vstack([np.kron(Phi, Psi), np.sqrt(lam) * np.eye(W.size)])
    b = np.concatenate([Z.ravel(), np.zeros(W.size)])
    W_ls = np.linalg.lstsq(A, b, rcond=None)[0].reshape(W.shape)
    assert np.allclose(W, W_ls, atol=1e-9 * max(1.0, np.abs(W).max()))
    rep = binary_krr.representer_report(Phi, Psi, Z, lam, Phi, Psi)
    assert rep["weights_rel_diff"] < 1e-9 and rep["span_residual"] < 1e-9


def test_transfer_and_converse_bounds_hold():
    rng = np.random.default_rng(1)
    r = rng.uniform(0.5, 3.0, 1000)
    delta = 0.05
    g = np.log(r) + rng.uniform(-delta, delta, 1000)
    assert np.abs(r - np.exp(g)).max() <= exp_transfer.transfer_bound(3.0, delta)
    g2 = np.log(r) + rng.choice([-1, 1], 1000) * 0.2  # |log r − g| = b everywhere
    assert np.abs(r - np.exp(g2)).min() >= exp_transfer.converse_bound(0.5, 0.2)
    rel = L.tanh_difference(5.0)
    enc = exp_transfer.range_enclosure(rel, leaves=256)
    vals = rel.gram(np.linspace(0, 1, 50)[:, None], np.linspace(0, 1, 50)[:, None])
    assert enc["lower"] <= vals.min() and vals.max() <= enc["upper"]


def _ctx(profile="standard"):
    return Context(get_profile(profile), seed=3)


def test_exp_form_uses_the_certificate_and_transfers_it():
    calls = []

    def fake_pipeline(rel, eps, budget, ctx):
        calls.append((rel.name, eps))
        return Result.confirmed("ok", "certified bound", certificate={"upper": 0.01})

    rel = next(i for i in get_theorem("transformer-kernel").instances
               if i.id == "exp-asymmetric")["relation"]
    res = exp_form(rel, 0.05, None, _ctx(), fake_pipeline)
    assert calls == [(f"log({rel.name})", 0.05)]
    assert res.status == Status.CONFIRMED and res.strength_kind.value == "certified"
    assert res.evidence["eps_r"] >= res.evidence["r_range"]["upper"] * (np.exp(0.01) - 1)
    na = exp_form(L.difference(), 0.05, None, _ctx(), fake_pipeline)
    assert na.status == Status.NOT_APPLICABLE and na.reason == "hypothesis:positive"
    assert na.evidence["min"] == -1.0 and len(calls) == 1


CHEAP_CONTROLS = ["symmetric-although-wq-ne-wk", "wk-twice-wq-indefinite",
                  "asymmetric-head-mercer", "features-d-to-the-half", "degree-one-within-1e-3",
                  "polynomial-infinite", "exp-of-difference", "exp-one-feature"]


@pytest.mark.parametrize("control", CHEAP_CONTROLS)
def test_controls_refuted_for_their_declared_reason(control):
    assert_control_reasons("transformer-kernel", control)


def test_theorem_shape():
    thm = get_theorem("transformer-kernel")
    statuses = {e for i in thm.instances for e in i.expect.values()}
    assert {Status.CONFIRMED, Status.REFUTED, Status.NOT_APPLICABLE} <= statuses
    quick_controls = {c.name for i, c, _ in thm.cases("quick") if i.control}
    assert quick_controls == set(thm.checks)
    assert Fraction(1, 2) == Fraction(str(sympy.Rational("1/2")))
    assert float(arb(2).sqrt().upper()) >= 2**0.5
