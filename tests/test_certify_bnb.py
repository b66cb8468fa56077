"""Branch and bound: statuses, certificate fields, symmetry guard, relation objects."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

from verify.certify import certify_sup
from verify.certify.bnb import CERTIFIED, REFUTED, UNDECIDED, is_symmetric_expr
from verify.certify.mlp_bounds import forward_float

X0, Y0 = sp.symbols("x0 y0", real=True)
BOX = ((-1.0,), (1.0,))


def _net(seed: int, scale: float = 0.3):
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(size=(6, 1)), rng.normal(size=6)),
        (rng.normal(size=(3, 6)) * scale, rng.normal(size=3) * 0.1),
    ]


def _rel(expr):
    return SimpleNamespace(expr=expr, x_syms=(X0,), y_syms=(Y0,))


def test_exact_model_certifies_tiny_eps():
    """r := <phi(x), phi(y)> written symbolically: the error is only rounding."""
    (W1, b1), (W2, b2) = _net(0)
    h = [sp.tanh(float(W1[j, 0]) * X0 + float(b1[j])) for j in range(6)]
    F = [sum(float(W2[k, j]) * h[j] for j in range(6)) + float(b2[k]) for k in range(3)]
    expr = sum(f * f.xreplace({X0: Y0}) for f in F)
    cert = certify_sup(_rel(expr), _net(0), None, "tanh", BOX, BOX, eps=1e-3, time_budget_s=10)
    assert cert.status == CERTIFIED
    assert cert.upper < 1e-3


def test_refuted_with_point_and_json():
    phi = _net(1)
    cert = certify_sup(_rel(sp.exp(-2 * (X0 - Y0) ** 2)), phi, None, "tanh", BOX, BOX, eps=1e-3)
    assert cert.status == REFUTED
    x, y = cert.lower_point
    e = np.exp(-2 * (x - y) ** 2) - np.sum(
        forward_float(phi, "tanh", np.array([[x]])) * forward_float(phi, "tanh", np.array([[y]]))
    )
    assert abs(e) >= cert.lower * (1 - 1e-12) > 1e-3
    d = json.loads(json.dumps(cert.to_dict()))
    assert d["status"] == "refuted" and "branch and bound" in d["method"]


def test_undecided_when_budget_is_tiny():
    phi = _net(2)
    rel = _rel(sp.exp(-2 * (X0 - Y0) ** 2))
    ref = certify_sup(rel, phi, None, "tanh", BOX, BOX, eps=100.0, rel_gap=0.001, time_budget_s=10)
    eps = ref.lower * 1.0005  # between L and U: undecidable with 300 leaves
    cert = certify_sup(rel, phi, None, "tanh", BOX, BOX, eps=eps, max_leaves=300)
    assert cert.status == UNDECIDED, cert  # 300 leaves cannot close a gap of 0.05 %
    assert cert.lower <= eps < cert.upper  # undecided means exactly this: eps is in [L, U]
    assert cert.upper >= ref.lower
    assert cert.lower <= ref.upper


def test_symmetry_guard_and_equivalence():
    assert is_symmetric_expr(sp.exp(-((X0 - Y0) ** 2)), (X0,), (Y0,))
    assert not is_symmetric_expr(sp.tanh(X0 - Y0), (X0,), (Y0,))
    with pytest.raises(ValueError, match="cannot prove"):
        certify_sup(_rel(sp.tanh(X0 - Y0)), _net(3), None, "tanh", BOX, BOX, symmetric=True)
    with pytest.raises(ValueError, match="psi_layers=None"):
        certify_sup(_rel(X0 * Y0), _net(3), _net(4), "tanh", BOX, BOX, symmetric=True)
    rel = _rel(X0 * Y0 + sp.cos(X0 - Y0))
    a = certify_sup(rel, _net(5), None, "relu", BOX, BOX, eps=100.0, rel_gap=0.01, symmetric=True)
    b = certify_sup(rel, _net(5), None, "relu", BOX, BOX, eps=100.0, rel_gap=0.01)
    # both are valid bounds of the same sup: each lower is below the other's upper
    assert a.lower <= b.upper and b.lower <= a.upper
    assert a.leaves < b.leaves


def test_works_with_library_relation():
    from verify.relations.library import tanh_difference

    rel = tanh_difference(5.0)
    rng = np.random.default_rng(0)
    phi = [
        (rng.normal(size=(4, 1)), rng.normal(size=4)),
        (rng.normal(size=(2, 4)), rng.normal(size=2)),
    ]
    psi = [
        (rng.normal(size=(4, 1)), rng.normal(size=4)),
        (rng.normal(size=(2, 4)), rng.normal(size=2)),
    ]
    cert = certify_sup(rel, phi, psi, "sigmoid", eps=100.0, rel_gap=0.5, time_budget_s=10)
    x = np.linspace(0, 1, 301)
    X, Y = np.meshgrid(x, x, indexing="ij")
    F = forward_float(phi, "sigmoid", x[:, None])
    G = forward_float(psi, "sigmoid", x[:, None])
    E = np.tanh(5 * (X - Y)) - F @ G.T
    assert cert.status == CERTIFIED
    assert np.abs(E).max() <= cert.upper and cert.upper <= 1.5 * cert.lower * (1 + 1e-9)
