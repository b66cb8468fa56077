"""The matrix-free Gauss–Newton/CG optimiser and the variable-projection warm start (fast)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from verify.models import InnerProductModel
from verify.trainers import fit_inner_product
from verify.trainers.config import WallClock
from verify.trainers.gncg import _feats_fn, _Linearised, gncg_round
from verify.trainers.optim import _apply, _varpro_fit
from verify.trainers.problem import Pool, Problem, chebyshev_lobatto_grid

torch.set_num_threads(1)
I1 = ((-1.0,), (1.0,))


def gauss(x, y):
    return torch.exp(-((x - y) ** 2).sum(-1) / (2 * 0.5**2))


def _problem(sym: bool, seed: int = 0):
    model = InnerProductModel.build(dx=1, dy=1, width=8, depth=1, feature_dim=3,
                                    activation="tanh", symmetric=sym, seed=seed, device="cpu")
    lo, hi = np.array([-1.0]), np.array([1.0])
    prob = Problem(gauss, model, lo, hi, lo, hi, torch.device("cpu"), torch.float64)
    g = chebyshev_lobatto_grid(lo, hi, 12)
    return prob, Pool(prob, g, g[::2] if not sym else g, 64)


@pytest.mark.parametrize("sym", [True, False])
def test_gncg_products_match_dense_jacobian(sym):
    # J v and Jᵀ u of the linearisation agree with autograd's dense Jacobian of the Gram
    prob, pool = _problem(sym)
    th = prob.theta()
    G = torch.func.jacrev(lambda t: prob.gram(t, pool.X, pool.Y))(th).reshape(-1, th.numel())
    lin = _Linearised(_feats_fn(prob, pool.X, pool.Y), th, sym, None)
    v = torch.randn(th.numel(), dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(lin.jv(v).reshape(-1), G @ v)
    U = torch.randn(pool.X.shape[0], pool.Y.shape[0], dtype=torch.float64)
    torch.testing.assert_close(lin.jt(U), G.T @ U.reshape(-1))


def test_gncg_round_lowers_loss_deterministically_and_counts_work():
    outs = []
    for _ in range(2):
        for sym in (True, False):
            prob, pool = _problem(sym)
            th0 = prob.theta()
            clock = WallClock(60)
            loss0 = float(((prob.gram(th0, pool.X, pool.Y) - pool.K) ** 2).mean().sqrt())
            th, loss = gncg_round(prob, pool, th0, 2.0, 5, {}, clock)
            assert loss < 0.5 * loss0
            assert clock.work["gn_iters"] == 5 and clock.work["cg_iters"] >= 5
            th4, loss4 = gncg_round(prob, pool, th, 8.0, 3, {}, clock)  # IRLS weights, p > 2
            assert np.isfinite(loss4)
            outs.append((th4, loss4))
    for a, b in zip(outs[:2], outs[2:]):  # same seed -> same numbers
        assert torch.equal(a[0], b[0]) and a[1] == b[1]


def test_fit_with_gncg_reaches_eps():
    fit = fit_inner_product(gauss, x_box=I1, symmetric=True, width=16, depth=1, feature_dim=6,
                            eps=1e-2, optimizer="gncg", warm_start="spectral", max_rounds=40)
    assert fit.status == "reached" and fit.sampled_sup.value <= 1e-2
    assert fit.work.get("gn_iters", 0) > 0


def test_varpro_warm_start_fits_features():
    # target features that a tanh net represents exactly: the envelope gradient finds them
    net = InnerProductModel.build(dx=1, dy=1, width=6, depth=1, feature_dim=2,
                                  activation="tanh", symmetric=True, seed=3, device="cpu").phi
    teacher = InnerProductModel.build(dx=1, dy=1, width=3, depth=1, feature_dim=2,
                                      activation="tanh", symmetric=True, seed=4, device="cpu").phi
    X = torch.linspace(-1, 1, 60, dtype=torch.float64)[:, None]
    with torch.no_grad():
        F = teacher.double()(X)
    th0 = torch.cat([q.detach().reshape(-1) for q in net.double().parameters()])
    before = float((_apply(net, th0, X) - F).abs().max())
    th = _varpro_fit(net, th0, X, F, WallClock(60), iters=200)
    after = float((_apply(net, th, X) - F).abs().max())
    assert after < 1e-2 * before
