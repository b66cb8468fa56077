"""Soundness of the certifier's fast paths against python-flint arb: the float first layer
with its Higham bound, the per-degree feature products of one-hidden-layer Taylor models (in
input dimension 3, so 6-D boxes), the rigorous centre values taken only where the float
estimate is largest, and the float-preselected vertex values of branch and bound."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from arb_reference import (
    arb_mlp,
    arb_precision,  # noqa: F401
)
from flint import arb

from verify.certify import certify_sup
from verify.certify.multiindex import monomial_bounds
from verify.certify.taylor_branch import BranchTaylor, _affine_float
from verify.certify.taylor_model import TaylorErrorEnclosure

XS = sp.symbols("x0 x1 x2", real=True)
YS = sp.symbols("y0 y1 y2", real=True)


def _net(rng, d, width, m, out_scale):
    return [(rng.normal(size=(width, d)) * 1.5, rng.normal(size=width) * 0.5),
            (rng.normal(size=(m, width)) * out_scale / np.sqrt(width), rng.normal(size=m) * 0.3)]


def test_affine_float_bound_contains_exact_value():
    """ẑ ± η contains the exact W c + b (arb at 120 bits), with entries of mixed magnitude."""
    rng = np.random.default_rng(0)
    W = rng.normal(size=(30, 3)) * 10.0 ** rng.integers(-3, 4, size=(30, 3))
    b = rng.normal(size=30) * 100
    c = rng.uniform(-1, 1, size=(5, 3)) * 10.0 ** rng.integers(-5, 2, size=(5, 3))
    zh, eta = _affine_float(W, np.abs(W), b, c)
    for p in range(5):
        for i in range(30):
            exact = sum((arb(float(W[i, j])) * arb(float(c[p, j])) for j in range(3)),
                        arb(float(b[i])))
            assert abs(exact - arb(float(zh[p, i]))) <= arb(float(eta[p, i]))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus"])
def test_branch_taylor_model_contains_features_in_3d(activation):
    """|φ_k(c + δ) − Σ_α F_kα δ^α| ≤ R_k at arb-evaluated points of random 3-D boxes (output
    weights ×50: heavy cancellation), and |Σ_α F_kα δ^α| ≤ Bd_k."""
    rng = np.random.default_rng(["tanh", "sigmoid", "softplus"].index(activation))
    layers = _net(rng, 3, 12, 4, 50.0)
    bt = BranchTaylor(layers, activation, 4)
    lo = rng.uniform(-1, 0.7, size=(6, 3))
    hi = lo + rng.uniform(0.01, 0.3, size=(6, 3))
    c = 0.5 * lo + 0.5 * hi
    h = np.maximum(np.nextafter(hi - c, np.inf), np.nextafter(c - lo, np.inf))
    hp = monomial_bounds(h, bt.mono)
    F, R, Bd = bt(c, h, hp)
    for b in range(6):
        for _ in range(3):
            x = lo[b] + rng.uniform(size=3) * (hi[b] - lo[b])
            feats = arb_mlp(layers, activation, x)
            dl = [arb(float(x[j])) - arb(float(c[b, j])) for j in range(3)]
            for k in range(4):
                poly = arb(0)
                for a_i, g in enumerate(bt.mono):
                    term = arb(float(F[b, a_i, k]))
                    for j, v in enumerate(g):
                        term *= dl[j] ** v
                    poly += term
                assert abs(feats[k] - poly) <= arb(float(R[b, k]))
                assert abs(poly) <= arb(float(Bd[b, k]))


def _arb_error(expr_arb, layers, activation, p):
    fx = arb_mlp(layers, activation, p[:3])
    fy = arb_mlp(layers, activation, p[3:])
    return expr_arb(*[arb(float(t)) for t in p]) - sum((s * t for s, t in zip(fx, fy)), arb(0))


def test_taylor_enclosure_6d_and_partial_centre_values():
    """6-D boxes: the enclosure contains the arb-evaluated error at random points; centre
    values are thin (and contain the arb value) at the n_rigorous largest estimates, the
    whole line elsewhere."""
    rng = np.random.default_rng(7)
    expr = sp.exp(-sum((a - b) ** 2 for a, b in zip(XS, YS)))
    f_arb = sp.lambdify(XS + YS, expr, modules=[{"exp": lambda v: v.exp()}])
    layers = _net(rng, 3, 10, 5, 30.0)
    enc = TaylorErrorEnclosure(expr, XS, YS, layers, None, "tanh", order=3)
    enc.n_rigorous = 4
    lo = rng.uniform(-1, 0.8, size=(12, 6))
    hi = lo + rng.uniform(0.01, 0.2, size=(12, 6))
    ev = enc(lo, hi)
    thin = np.isfinite(ev.centre_value.lo)
    assert thin.sum() == 4 and np.all(np.isinf(ev.centre_value.hi[~thin]))
    for b in range(12):
        p = lo[b] + rng.uniform(size=6) * (hi[b] - lo[b])
        v = _arb_error(f_arb, layers, "tanh", p)
        assert arb(float(ev.enclosure.lo[b])) <= v <= arb(float(ev.enclosure.hi[b]))
        if thin[b]:
            vc = _arb_error(f_arb, layers, "tanh", ev.centre[b])
            assert arb(float(ev.centre_value.lo[b])) <= vc <= arb(float(ev.centre_value.hi[b]))
    est = enc.estimate(ev.centre)
    mid = 0.5 * (ev.centre_value.lo[thin] + ev.centre_value.hi[thin])
    assert np.allclose(est[thin], mid, atol=1e-9)
    assert np.abs(est[thin]).min() >= np.sort(np.abs(est))[-4] - 1e-9


def test_bnb_lower_bound_is_a_true_value_in_6d():
    """certify_sup in 6-D on a small net: L is |e| at lower_point (arb, up to rounding against
    us), and U is at least the float error at dense random points."""
    rng = np.random.default_rng(3)
    expr = sp.exp(-sum((a - b) ** 2 for a, b in zip(XS, YS)))
    f_arb = sp.lambdify(XS + YS, expr, modules=[{"exp": lambda v: v.exp()}])
    f_np = sp.lambdify(XS + YS, expr, "numpy")
    layers = _net(rng, 3, 8, 3, 3.0)
    rel = SimpleNamespace(expr=expr, x_syms=XS, y_syms=YS)
    box = ((-1.0,) * 3, (1.0,) * 3)
    cert = certify_sup(rel, layers, None, "tanh", box, box, eps=1e-3, symmetric=True,
                       max_leaves=3000, batch=256, n_samples=512, taylor_order=3)
    v = _arb_error(f_arb, layers, "tanh", np.array(cert.lower_point))
    assert arb(cert.lower) <= abs(v)
    P = rng.uniform(-1, 1, size=(20000, 6))
    from verify.certify import forward_float

    e = f_np(*P.T) - np.sum(forward_float(layers, "tanh", P[:, :3])
                            * forward_float(layers, "tanh", P[:, 3:]), 1)
    assert cert.upper >= np.abs(e).max()
