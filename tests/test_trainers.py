"""fit_inner_product: statuses, targets on small problems, warm starts, progress, devices."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from verify.models import InnerProductModel, gram_is_psd
from verify.trainers import STATUSES, fit_inner_product, resolve_device, spectral_features
from verify.trainers.warm import gauss_legendre_box

torch.set_num_threads(1)
I1 = ((-1.0,), (1.0,))
U1 = ((0.0,), (1.0,))


def gauss(x, y):
    return torch.exp(-((x - y) ** 2).sum(-1) / (2 * 0.5**2))


def diff(x, y):
    return (x - y)[..., 0]


def _gram_np(f, X, Y):
    n, m = len(X), len(Y)
    return (
        f(torch.as_tensor(np.repeat(X, m, 0)), torch.as_tensor(np.tile(Y, (n, 1))))
        .reshape(n, m)
        .numpy()
    )


def _eigh_features(f, rank, n=48):
    """Spectral features built by hand: eigh of W^½ K W^½ on Gauss–Legendre nodes + Nyström."""
    t, w = np.polynomial.legendre.leggauss(n)
    X = t[:, None]
    lam, V = np.linalg.eigh(np.sqrt(w)[:, None] * _gram_np(f, X, X) * np.sqrt(w)[None, :])
    lam, V = lam[::-1][:rank], V[:, ::-1][:, :rank]
    E = V / np.sqrt(w)[:, None]

    def fx(x):
        return (_gram_np(f, np.asarray(x).reshape(-1, 1), X) * w) @ E / np.sqrt(lam)

    return fx


def test_brownian_spectrum_of_warm_features():
    # docs/math.md: min(x, y) on [0, 1] has λ_k = ((k - 1/2) π)^-2
    _, _, s = spectral_features(
        lambda x, y: torch.minimum(x, y)[..., 0], U1, U1, 4, symmetric=True, n_per_axis=200
    )
    want = ((np.arange(1, 5) - 0.5) * np.pi) ** -2.0
    np.testing.assert_allclose(s, want, rtol=2e-3)
    nodes, weights = gauss_legendre_box(((0.0, -1.0), (2.0, 1.0)), 5)
    assert nodes.shape == (25, 2) and weights.sum() == pytest.approx(4.0)


def test_linear_relation_reaches_1e8_with_relu():
    # x - y = <(x, 1), (1, -y)>: a ReLU net is affine on [0, 1] with kinks outside, so it is exact
    res = fit_inner_product(
        diff,
        x_box=U1,
        y_box=U1,
        symmetric=False,
        width=4,
        depth=1,
        feature_dim=2,
        activation="relu",
        eps=1e-8,
        time_budget_s=60,
        seed=0,
    )
    assert res.status == "reached", res.message
    assert res.sampled_sup.value <= 1e-8
    assert "LOWER bound" in res.sampled_sup.method
    assert res.neurons == 8 and res.feature_dim == 2 and res.device == "cpu"
    X = torch.rand(50, 1, dtype=torch.float64)
    Y = torch.rand(50, 1, dtype=torch.float64)
    assert (res.model(X, Y) - diff(X, Y)).abs().max() <= 1e-8


def test_gaussian_with_hand_built_warm_start_and_progress():
    seen = []
    fx = _eigh_features(gauss, 6)
    res = fit_inner_product(
        gauss,
        x_box=I1,
        y_box=I1,
        symmetric=True,
        width=16,
        depth=1,
        feature_dim=6,
        eps=1e-2,
        time_budget_s=60,
        seed=1,
        warm_start=(fx, None),
        progress=seen.append,
    )
    assert res.status == "reached", res.message
    assert res.sampled_sup.value <= 1e-2
    assert seen and {"sup_check", "best_sup", "loss", "p", "time_s"} <= set(seen[-1])
    assert res.history and all(len(h) == 3 for h in res.history)
    ok, lam_min, rank = gram_is_psd(res.model, np.linspace(-1, 1, 60)[:, None], tol=1e-9)
    assert ok and rank <= res.model.rank_bound
    # the sampled sup really is the error at the reported point
    s = res.sampled_sup
    xs, ys = torch.as_tensor(s.argmax_x[None]), torch.as_tensor(s.argmax_y[None])
    with torch.no_grad():
        at = abs(res.model(xs, ys) - gauss(xs, ys))
    assert float(at) == pytest.approx(s.value, rel=1e-9)


def test_nan_relation_diverges_never_reaches():
    def bad(x, y):
        return torch.where(x[..., 0] > 0.3, torch.nan, gauss(x, y))

    res = fit_inner_product(
        bad,
        x_box=I1,
        y_box=I1,
        symmetric=True,
        width=4,
        depth=1,
        feature_dim=2,
        eps=1.0,
        time_budget_s=20,
        seed=0,
    )
    assert res.status == "diverged"
    assert res.status in STATUSES


def test_too_small_model_does_not_reach():
    res = fit_inner_product(
        gauss,
        x_box=I1,
        y_box=I1,
        symmetric=True,
        width=1,
        depth=1,
        feature_dim=1,
        eps=1e-6,
        time_budget_s=30,
        seed=0,
        restarts=1,
    )
    # stalls quickly (~1 s), restarts once from fresh weights, stalls again
    assert res.status == "stalled" and "(1 restarts)" in res.message
    # one PSD rank-1 feature cannot fit this Gaussian to 1e-2 (EY: rank-1 residual is large)
    assert res.sampled_sup.value > 1e-2 and math.isfinite(res.sampled_sup.value)


def test_relation_object_and_lbfgs_path(tmp_path):
    class Rel:  # duck-typed Relation: torch + boxes
        x_box = I1
        y_box = I1

        @staticmethod
        def torch(x, y):
            return gauss(x, y)

    res = fit_inner_product(
        Rel(),
        symmetric=True,
        width=8,
        depth=2,
        feature_dim=4,
        eps=5e-2,
        time_budget_s=60,
        seed=0,
        optimizer="lbfgs",
        warm_start="spectral",
    )
    assert res.status == "reached", res.message
    back = InnerProductModel.load(res.model.save(tmp_path / "m.json"))
    X = torch.linspace(-1, 1, 7, dtype=torch.float64)[:, None]
    assert torch.equal(back.gram(X, X), res.model.gram(X, X))


def test_argument_validation_and_device():
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="boxes"):
        fit_inner_product(
            gauss, symmetric=True, width=2, depth=1, feature_dim=1, eps=1e-2, time_budget_s=1
        )
    with pytest.raises(ValueError, match="x_box == y_box"):
        fit_inner_product(
            gauss,
            x_box=I1,
            y_box=U1,
            symmetric=True,
            width=2,
            depth=1,
            feature_dim=1,
            eps=1e-2,
            time_budget_s=1,
        )
    with pytest.raises(ValueError, match="optimizer"):
        fit_inner_product(
            gauss,
            x_box=I1,
            y_box=I1,
            symmetric=True,
            width=2,
            depth=1,
            feature_dim=1,
            eps=1e-2,
            time_budget_s=1,
            optimizer="adam",
        )


def test_asymmetric_with_different_input_dims():
    def bil(x, y):  # rank 2 on [0,1] x [0,1]^2
        return x[..., 0] * (y[..., 0] + y[..., 1]) + 0.5 * y[..., 1]

    res = fit_inner_product(
        bil,
        x_box=U1,
        y_box=((0.0, 0.0), (1.0, 1.0)),
        symmetric=False,
        width=6,
        depth=1,
        feature_dim=3,
        eps=1e-3,
        time_budget_s=60,
        seed=0,
        warm_start="spectral",
    )
    assert res.status == "reached", res.message
    assert res.model.dx == 1 and res.model.dy == 2 and res.sampled_sup.value <= 1e-3
