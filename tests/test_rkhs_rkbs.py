"""The RKHS/RKBS engine (verify/kernels/rkhs.py) and the rkhs-rkbs theorem's controls."""

from __future__ import annotations

import numpy as np
import pytest
from controls import assert_control_reasons
from hypothesis import given, settings
from hypothesis import strategies as st

from verify import Status, get_theorem
from verify.kernels import rkhs as R
from verify.kernels.attention import AttentionKernel
from verify.relations import Box
from verify.relations import library as L

SQ = Box.cube(-1, 1, 2)
HEAD = AttentionKernel((("1/2", "1/4"), ("-1/4", "1/2")), (("1/2", "0"), ("1/4", "-1/2")))


@settings(max_examples=20, deadline=None, database=None)
@given(st.integers(1, 10), st.integers(0, 2**31 - 1))
def test_rkhs_norm_equals_minimal_coefficient_norm(n, seed):
    """‖f‖²_H = αᵀKα is the smallest ‖w‖² over all w with <w, φ(·)> = f (checked by lstsq on a
    large sample: the minimal-norm w representing f's values)."""
    rng = np.random.default_rng(seed)
    phi = R.random_tanh_features(2, 5, rng)
    X, alpha = SQ.sample(n, rng), rng.standard_normal(n)
    out = R.rkhs_identities(phi, X, alpha, SQ.sample(1, rng)[0])
    assert out["norm_rel"] < 1e-10 and out["repro_rel"] < 1e-10
    sample = SQ.sample(400, rng)
    f_vals = (phi(sample) @ phi(X).T) @ alpha
    w_min = np.linalg.lstsq(phi(sample), f_vals, rcond=None)[0]
    assert w_min @ w_min == pytest.approx(out["norm_gram"], rel=1e-8, abs=1e-10)


def test_moore_aronszajn_and_negative_norm():
    P = SQ.sample(40, np.random.default_rng(0))
    ok = R.moore_aronszajn(L.gaussian(0.5, SQ).gram(P, P))
    assert ok["residual_rel"] < 1e-12 and ok["lambda_min"] > -1e-12
    pts = np.array([[1.0], [0.5]])
    bad = R.moore_aronszajn(L.sigmoid_kernel().gram(pts, pts))
    assert bad["lambda_min"] < -0.02  # tanh(<x,y>) at {1, 1/2} (library docstring: −0.027)


def test_rkbs_pair_nondegenerate_and_reproducing_for_attention_features():
    rng = np.random.default_rng(1)
    F, G = HEAD.features(3)
    pair = R.RKBSPair(F, G, SQ.sample(300, rng), SQ.sample(300, rng))
    assert pair.nondegeneracy()["nondegenerate"] and pair.rank_x == 10
    for _ in range(5):
        out = pair.reproducing(rng.standard_normal(10), rng.standard_normal(10),
                               SQ.sample(1, rng)[0], SQ.sample(1, rng)[0])
        assert out["f_rel"] < 1e-9 and out["g_rel"] < 1e-9


def test_degenerate_pair_breaks_the_reproducing_identity_as_the_docstring_says():
    rng = np.random.default_rng(2)
    F, G = HEAD.features(3)
    G0 = lambda S: G(S) * (np.arange(10) != 9)  # noqa: E731
    pair = R.RKBSPair(F, G0, SQ.sample(300, rng), SQ.sample(300, rng))
    nd = pair.nondegeneracy()
    assert not nd["nondegenerate"] and (nd["dim_BX"], nd["dim_BY"]) == (10, 9)
    v = np.array(nd["degenerate_f"]["v"])
    assert nd["degenerate_f"]["max |<f, g_j>| over a basis of B_Y"] < 1e-12
    x = SQ.sample(1, rng)[0]
    out = pair.reproducing(v, rng.standard_normal(10), x, SQ.sample(1, rng)[0])
    assert abs(out["<f,k(x,.)>"]) < 1e-12 and abs(out["f(x)"]) > 1e-6  # f(x) ≠ <f, κ(x,·)> = 0


def test_mismatched_feature_dims_raise():
    F, _ = HEAD.features(3)
    _, G = HEAD.features(2)
    with pytest.raises(ValueError, match="one feature space"):
        R.RKBSPair(F, G, SQ.sample(20, 0), SQ.sample(20, 1))


def test_feature_kernel_symmetry():
    rng = np.random.default_rng(3)
    phi, psi = R.random_tanh_features(2, 4, rng), R.random_tanh_features(2, 4, rng)
    P = SQ.sample(10, rng)
    K = R.FeatureKernel("k", phi, None, SQ, SQ).gram(P, P)
    assert np.allclose(K, K.T) and np.linalg.eigvalsh(K).min() > -1e-12
    K2 = R.FeatureKernel("k", phi, psi, SQ, SQ).gram(P, P)
    assert not np.allclose(K2, K2.T)


@pytest.mark.parametrize("control", ["indefinite-sigmoid", "asymmetric-as-rkhs",
                                     "repeated-coordinate", "zero-psi-coordinate"])
def test_controls_refuted_for_their_declared_reason(control):
    assert_control_reasons("rkhs-rkbs", control)


def test_theorem_shape():
    thm = get_theorem("rkhs-rkbs")
    statuses = {e for i in thm.instances for e in i.expect.values()}
    assert {Status.CONFIRMED, Status.REFUTED, Status.NOT_APPLICABLE} <= statuses
    assert {c.name for i, c, _ in thm.cases("quick") if i.control} == set(thm.checks)
