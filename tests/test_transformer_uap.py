"""verify.transformers: the numbers behind the transformer-uap verdicts, and conformance."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

from verify.certify.interval import Interval
from verify.transformers import distinguish as D
from verify.transformers import hard_limit as H
from verify.transformers import sparse as S
from verify.transformers.enclose import ErrorBound, model_dual
from verify.transformers.layers import (
    KINDS,
    AttentionParams,
    random_params,
    residual_layer,
    softmax_attention,
    softmax_explicit,
)
from verify.transformers.model import Target, TokenTransformer, train
from verify.transformers.uap import tokenwise_floor

torch.set_num_threads(1)
X1 = np.array([[0.0], [0.5], [1.0]])
X2 = np.array([[0.0], [0.5], [1.5]])
_x = sp.symbols("x0:3", real=True)
MEAN_PRODUCT = Target("x_i·mean", _x[0] * (_x[0] + _x[1] + _x[2]) / 3)


def test_sdpa_agrees_with_the_explicit_formula():
    rng = np.random.default_rng(0)
    p = random_params(64, 3, 2, rng)
    X = torch.as_tensor(rng.standard_normal((5, 4, 3)))
    bias = torch.as_tensor(rng.standard_normal((4, 4)))
    for b in (None, bias):
        gap = (softmax_attention(X, p, b) - softmax_explicit(X, p, b)).abs().max()
        assert float(gap) < 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_permutation_equivariant(kind):
    rng = np.random.default_rng(1)
    p = random_params(8, 2, 2, rng)
    X = torch.as_tensor(rng.standard_normal((4, 2)))
    s = [2, 0, 3, 1]
    gap = (residual_layer(kind, X[s], p) - residual_layer(kind, X, p)[:, s]).abs().max()
    assert float(gap) < 1e-12


def test_coincidences_are_decided_exactly():
    p = random_params(1, 1, 1, np.random.default_rng(2))
    zero = AttentionParams(p.wq, p.wk, torch.zeros_like(p.wv))
    assert all(g == 0 for g in D.exact_token_gap("softmax", X1, X2, zero, 0, 3))
    perm = X1[[2, 0, 1]]
    # token 0 of X1 is token 1 of the permuted input: equal exactly (equivariance)
    assert all(g == 0 for g in D.exact_token_gap("softmax", X1, perm, p, 0, 4))
    assert any(g != 0 for g in D.exact_token_gap("softmax", X1, X2, p, 0, 3))


def test_generic_draws_distinguish_and_zero_values_do_not():
    rng = np.random.default_rng(3)
    p = random_params(2000, 1, 1, rng, scale=0.5)
    assert D.distinguish_pair("softmax", X1, X2, p)["min_distance"] > 1e-12
    zero = AttentionParams(p.wq, p.wk, torch.zeros_like(p.wv))
    assert D.distinguish_pair("softmax", X1, X2, zero)["min_distance"] == 0.0


def test_relu_box_is_proven_only_when_keys_are_negative():
    tokens = 0.5 + np.abs(np.random.default_rng(4).standard_normal((10, 3, 2)))
    assert D.relu_box_certificate(tokens, -2.0, -1.0, 2)["proven"]
    assert not D.relu_box_certificate(tokens, -2.0, 0.1, 2)["proven"]


def test_hard_limit_exceptional_sets():
    s = H.Symbols(2)
    exc = H.exceptional_set(H.log_ratio_polynomial(H.softmax_kernel, s))
    assert len(exc) == 1 and H.same_up_to_constant(exc[0], (s.x.T * s.W * (s.y1 - s.y2))[0])
    assert H.exceptional_set(H.log_ratio_polynomial(H.constant_kernel, s)) == []
    assert H.log_ratio_polynomial(H.bounded_sigmoid_kernel, s) is None


@pytest.mark.parametrize("n, w, diameter, radius", [(10, 2, 5, 3), (9, 1, 8, 4)])
def test_sliding_window_distances_match_the_math_notes(n, w, diameter, radius):
    h = S.hop_distances(S.sliding_window(n, w))
    assert (h["diameter"], h["radius"]) == (diameter, radius)


def test_unreachable_pairs_are_exactly_independent_in_masked_attention():
    G = S.sliding_window(10, 2)
    D_ = S.hop_distances(G)["matrix"]
    C = S.dependency_gaps(G, 3, np.random.default_rng(5))
    assert np.all(C[D_ > 3] == 0.0)
    assert C[0, 0] > 0


@pytest.mark.parametrize("kind", ["softmax", "rbf"])
def test_interval_forward_encloses_values_and_jacobians(kind):
    torch.manual_seed(0)
    model = TokenTransformer(4, 2, kind).double()
    w = model.weights()
    rng = np.random.default_rng(6)
    lo = rng.uniform(-1, 0.8, (16, 3))
    hi = lo + 0.2
    box = model_dual(w, Interval(lo, hi))
    pts = lo + (hi - lo) * rng.uniform(size=(16, 3))
    X = torch.as_tensor(pts, dtype=torch.float64)
    with torch.no_grad():
        y = model(X).numpy()
    J = torch.func.vmap(torch.func.jacrev(lambda x: model(x[None])[0]))(X).detach().numpy()
    assert np.all(box.val.lo <= y) and np.all(y <= box.val.hi)
    assert np.all(box.der.lo <= J + 1e-12) and np.all(J - 1e-12 <= box.der.hi)
    # the error bound of a box is at least the error at any of its points
    U, _ = ErrorBound(w, MEAN_PRODUCT)(lo, hi)
    assert np.all(U >= np.abs(y - MEAN_PRODUCT.numpy(pts)).max(-1))


def test_tokenwise_floor_is_exact():
    f = tokenwise_floor(MEAN_PRODUCT, -1.0, 1.0, grid=5)
    assert f["floor_exact"] == "2/3"  # t(−1,−1,−1)_0 = 1, t(−1,1,1)_0 = −1/3


def test_trainer_is_deterministic():
    a, b = TokenTransformer(4, 1), TokenTransformer(4, 1)
    ha = train(a, MEAN_PRODUCT, -1.0, 1.0, steps=5, seed=7, batch=32)
    hb = train(b, MEAN_PRODUCT, -1.0, 1.0, steps=5, seed=7, batch=32)
    assert ha == hb
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_training_does_not_depend_on_torchs_default_dtype():
    """Same seed, same model: another test (or a user) setting float64 as torch's default must
    not change the initial draws (it once turned a quick witness into an xfail)."""
    histories = []
    for dtype in (torch.float32, torch.float64):
        old = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        try:
            histories.append(train(TokenTransformer(3, 1, "rbf"), MEAN_PRODUCT, -1.0, 1.0,
                                   steps=20, seed=4))
        finally:
            torch.set_default_dtype(old)
    assert histories[0] == histories[1]
