"""MLP / InnerProductModel: config validation, export, rank bound, persistence, PSD converse."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.models import MLP, InnerProductModel, MLPConfig, gram_is_psd

torch.set_num_threads(1)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(in_dim=0, width=3, depth=1, out_dim=2), "in_dim"),
        (dict(in_dim=1, width=-1, depth=1, out_dim=2), "width"),
        (dict(in_dim=1, width=3, depth=1.5, out_dim=2), "depth"),
        (dict(in_dim=1, width=3, depth=1, out_dim=True), "out_dim"),
        (dict(in_dim=1, width=3, depth=1, out_dim=2, activation="gelu"), "activation"),
    ],
)
def test_config_rejects_bad_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        MLPConfig(**kwargs)


def _numpy_forward(layers, act, x):
    for i, (w, b) in enumerate(layers):
        x = x @ w.T + b
        if i < len(layers) - 1:
            x = act(x)
    return x


@pytest.mark.parametrize(
    "activation, act",
    [
        ("tanh", np.tanh),
        ("relu", lambda z: np.maximum(z, 0)),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("softplus", lambda z: np.log1p(np.exp(z))),
    ],
)
def test_layers_export_reproduces_forward(activation, act):
    net = MLP(MLPConfig(2, 5, 3, 4, activation), seed=3)
    assert net.hidden_neurons == 15
    layers = net.layers()
    assert [w.shape for w, _ in layers] == [(5, 2), (5, 5), (5, 5), (4, 5)]
    assert all(w.dtype == np.float64 and b.dtype == np.float64 for w, b in layers)
    x = np.random.default_rng(0).uniform(-1, 1, (11, 2))
    want = net(torch.as_tensor(x)).detach().numpy()
    np.testing.assert_allclose(_numpy_forward(layers, act, x), want, rtol=1e-13, atol=1e-14)


def test_seed_determines_weights():
    a, b, c = (MLP(MLPConfig(1, 4, 1, 2), seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a.layers(), b.layers()))
    assert not np.array_equal(a.layers()[0][0], c.layers()[0][0])


def test_symmetric_and_asymmetric_models():
    sym = InnerProductModel.build(dx=2, width=6, depth=2, feature_dim=5, seed=0)
    assert sym.symmetric and sym.psi is None and sym.hidden_neurons == 12
    asym = InnerProductModel.build(
        dx=1, dy=3, width=4, depth=1, feature_dim=5, symmetric=False, seed=0
    )
    assert not asym.symmetric and asym.hidden_neurons == 8 and asym.dy == 3
    X = torch.rand(7, 2, dtype=torch.float64)
    G = sym.gram(X, X)
    assert G.dtype == torch.float64
    torch.testing.assert_close(G, G.T)
    torch.testing.assert_close(sym(X, X), torch.diagonal(G))
    Xa, Ya = torch.rand(6, 1, dtype=torch.float64), torch.rand(6, 3, dtype=torch.float64)
    torch.testing.assert_close(asym(Xa, Ya), torch.diagonal(asym.gram(Xa, Ya)))
    with pytest.raises(ValueError, match="dx == dy"):
        InnerProductModel.build(dx=1, dy=2, width=3, depth=1, feature_dim=2)
    with pytest.raises(ValueError, match="feature dimension"):
        InnerProductModel(MLPConfig(1, 3, 1, 2), MLPConfig(1, 3, 1, 3))


@settings(max_examples=25, deadline=None)
@given(
    w_phi=st.integers(1, 6), w_psi=st.integers(1, 6), m=st.integers(1, 9), seed=st.integers(0, 1000)
)
def test_gram_rank_never_exceeds_rank_bound(w_phi, w_psi, m, seed):
    model = InnerProductModel(MLPConfig(1, w_phi, 1, m), MLPConfig(2, w_psi, 2, m), seed=seed)
    assert model.rank_bound == min(m, w_phi + 1, w_psi + 1)
    rng = np.random.default_rng(seed)
    X = torch.as_tensor(rng.uniform(-2, 2, (25, 1)))
    Y = torch.as_tensor(rng.uniform(-2, 2, (25, 2)))
    G = model.gram(X, Y).detach().numpy()
    assert np.linalg.matrix_rank(G, tol=1e-9 * max(1.0, abs(G).max())) <= model.rank_bound


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("symmetric", [True, False])
def test_save_load_roundtrip_is_exact(tmp_path, suffix, symmetric):
    model = InnerProductModel.build(
        dx=2, width=5, depth=2, feature_dim=3, activation="softplus", symmetric=symmetric, seed=4
    )
    path = model.save(tmp_path / f"m{suffix}")
    if suffix == ".npz":
        np.load(path, allow_pickle=False).close()  # no pickle needed
    else:
        assert json.loads(path.read_text())["symmetric"] is symmetric
    back = InnerProductModel.load(path)
    assert back.symmetric is symmetric and back.phi.config == model.phi.config
    X = torch.rand(9, 2, dtype=torch.float64)
    assert torch.equal(back.gram(X, X), model.gram(X, X))


def test_load_rejects_foreign_file(tmp_path):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"format": "other", "phi": {}, "psi": None, "weights": {}}))
    with pytest.raises(ValueError, match="not a relverify"):
        InnerProductModel.load(p)


def test_gram_is_psd_for_symmetric_model():
    model = InnerProductModel.build(dx=1, width=3, depth=1, feature_dim=8, seed=2)
    X = np.linspace(-3, 3, 40)[:, None]
    ok, lam_min, rank = gram_is_psd(model, X, tol=1e-10)
    assert ok and lam_min > -1e-10
    assert 1 <= rank <= model.rank_bound == 4
    asym = InnerProductModel.build(dx=1, width=3, depth=1, feature_dim=2, symmetric=False)
    with pytest.raises(ValueError, match="symmetric"):
        gram_is_psd(asym, X)
