"""The Taylor-model enclosure (verify/certify/taylor_model.py): its pieces against sympy and
arb, box-level soundness on networks with large cancelling output weights (the case it is
for), tightness against the interval forms, and planted bad witnesses in 4-D."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from arb_reference import arb_mlp as _arb_mlp
from arb_reference import arb_precision  # noqa: F401
from flint import arb

from verify.certify import activation_taylor as act
from verify.certify import certify_sup, forward_float
from verify.certify.bnb import CERTIFIED
from verify.certify.enclosure import ErrorEnclosure
from verify.certify.interval import Interval
from verify.certify.multiindex import monomial_bounds, multi_indices
from verify.certify.relation_taylor import RelationTaylor
from verify.certify.taylor_model import TaylorErrorEnclosure, try_taylor

X0, X1, Y0, Y1 = sp.symbols("x0 x1 y0 y1", real=True)
Z = sp.Symbol("z", real=True)
SMOOTH = ("tanh", "sigmoid", "softplus")
SYM_ACT = {
    "tanh": sp.tanh(Z),
    "sigmoid": 1 / (1 + sp.exp(-Z)),
    "softplus": sp.log(1 + sp.exp(Z)),
}


def test_multi_indices_and_monomial_bounds():
    idx = multi_indices(2, 3)
    assert len(idx) == 10 and idx[0] == (0, 0) and set(idx[1:3]) == {(1, 0), (0, 1)}
    h = np.array([[0.5, 2.0]])
    hp = monomial_bounds(h, idx)
    for k, g in enumerate(idx):
        assert hp[0, k] >= 0.5 ** g[0] * 2.0 ** g[1]
        assert hp[0, k] <= 0.5 ** g[0] * 2.0 ** g[1] * (1 + 1e-12)


@pytest.mark.parametrize("name", SMOOTH)
def test_derivative_polynomials_match_sympy(name):
    z = np.linspace(-4, 4, 17)
    vals = act.derivatives_at(name, Interval.point(z), 6)
    for k in range(1, 7):
        f = sp.lambdify(Z, sp.diff(SYM_ACT[name], Z, k), "mpmath")
        exact = np.array([float(f(v)) for v in z])
        assert np.all(vals[k].lo <= exact + 1e-12) and np.all(exact - 1e-12 <= vals[k].hi)
        assert np.max(vals[k].width) < 1e-7
        # the global bound dominates the derivative everywhere
        grid = np.linspace(-12, 12, 4001)
        samp = np.array([abs(float(f(v))) for v in grid[::20]])
        assert samp.max() <= act.global_bound(name, k)


def test_relation_taylor_coefficients_match_sympy():
    expr = sp.exp(-2 * ((X0 - Y0) ** 2 + (X1 - Y1) ** 2)) + X0 * Y1**3
    syms = [X0, X1, Y0, Y1]
    kept = list(multi_indices(4, 3))
    rem = [g for g in multi_indices(4, 4) if sum(g) == 4]
    rt = RelationTaylor(expr, syms, kept, rem)
    c = np.array([[0.1, -0.3, 0.4, 0.2]])
    co = rt.coefficients(c)
    for k, g in enumerate(kept):
        d = expr
        for s, v in zip(syms, g):
            d = sp.diff(d, s, v) if v else d
        val = float(d.subs(dict(zip(syms, c[0])))) / float(
            np.prod([sp.factorial(v) for v in g])
        )
        assert co.lo[0, k] - 1e-12 <= val <= co.hi[0, k] + 1e-12


def _net(rng, d, width, m, out_scale):
    W = rng.normal(size=(width, d)) * 1.5
    b = rng.normal(size=width) * 0.5
    A = rng.normal(size=(m, width)) * out_scale / np.sqrt(width)
    return [(W, b), (A, rng.normal(size=m) * 0.3)]


def _deep_net(rng, d, width, depth, m, out_scale):
    layers = [(rng.normal(size=(width, d)) * 1.5, rng.normal(size=width) * 0.5)]
    for _ in range(depth - 1):
        layers.append((rng.normal(size=(width, width)) * 1.2 / np.sqrt(width),
                       rng.normal(size=width) * 0.3))
    layers.append((rng.normal(size=(m, width)) * out_scale / np.sqrt(width),
                   rng.normal(size=m) * 0.3))
    return layers


DIMS = ((1, 1), (2, 1), (2, 2))
CASES = [(name, dims, seed, 1) for name in SMOOTH for dims in DIMS for seed in (0, 1)]
CASES += [(name, (2, 2), 0, depth) for name in SMOOTH for depth in (2, 3)]
CASES += [("tanh", (1, 2), 1, 2)]


@pytest.mark.parametrize("name,dims,seed,depth", CASES)
def test_taylor_enclosure_contains_true_error(name, dims, seed, depth):
    """Random boxes, networks with output weights ×50 (heavy cancellation), one to three
    hidden layers, Taylor orders 2–5: every enclosure contains e at dense float samples
    (tolerance 1e-9 for float error) and at arb-evaluated points (no tolerance)."""
    rng = np.random.default_rng(1000 * seed + 10 * SMOOTH.index(name) + sum(dims) + depth)
    dx, dy = dims
    xs, ys = [X0, X1][:dx], [Y0, Y1][:dy]
    expr = sp.exp(-sum((a - b) ** 2 for a, b in zip(xs, ys))) + sp.Rational(1, 3) * xs[0] * ys[-1]
    m = 3
    phi = _deep_net(rng, dx, 6, depth, m, 50.0)
    psi = None if (dx == dy and seed == 0) else _deep_net(rng, dy, 6, depth, m, 50.0)
    D = dx + dy
    f_np = sp.lambdify(xs + ys, expr, "numpy")
    f_arb = sp.lambdify(xs + ys, expr, modules=[{"exp": lambda v: v.exp()}])
    for order in (2, 3, 5):
        enc = TaylorErrorEnclosure(expr, xs, ys, phi, psi, name, order=order)
        lo = rng.uniform(-1, 0.8, size=(40, D))
        hi = lo + rng.uniform(0.001, 0.2, size=(40, D))
        ev = enc(lo, hi)
        assert np.all(np.isfinite(ev.enclosure.width))
        pts = lo[:, None, :] + rng.uniform(size=(40, 200, D)) * (hi - lo)[:, None, :]
        P = pts.reshape(-1, D)
        F = forward_float(phi, name, P[:, :dx])
        G = forward_float(phi if psi is None else psi, name, P[:, dx:])
        e = (f_np(*P.T) - np.sum(F * G, 1)).reshape(40, 200)
        assert np.all(ev.enclosure.lo[:, None] <= e + 1e-9)
        assert np.all(e - 1e-9 <= ev.enclosure.hi[:, None])
        for i in range(0, 40, 8):  # a few rigorous checks
            p = [float(v) for v in pts[i, 0]]
            fx = _arb_mlp(phi, name, p[:dx])
            gy = _arb_mlp(phi if psi is None else psi, name, p[dx:])
            v = f_arb(*[arb(t) for t in p]) - sum((s * t for s, t in zip(fx, gy)), arb(0))
            assert arb(ev.enclosure.lo[i]) <= v <= arb(ev.enclosure.hi[i])


def test_taylor_is_tighter_than_interval_forms_on_small_boxes():
    """On a fitted witness (e small, r and ⟨φ,φ⟩ nearly cancelling) the Taylor model's
    overestimate is a fraction of the interval forms'."""
    from verify.certify.witness import fit_witness

    grid = np.linspace(-1, 1, 40)[:, None]
    phi, _, _ = fit_witness(
        lambda X, Y: np.exp(-2.0 * (X - Y.T) ** 2), grid, feature_dim=6, width=16, iters=150
    )
    expr = sp.exp(-2 * (X0 - Y0) ** 2)
    rng = np.random.default_rng(3)
    lo = rng.uniform(-1, 0.9, size=(300, 2))
    hi = lo + 0.05
    tm = TaylorErrorEnclosure(expr, [X0], [Y0], phi, None, "tanh", order=4)(lo, hi)
    iv = ErrorEnclosure(expr, [X0], [Y0], phi, None, "tanh")(lo, hi)
    pts = lo[:, None, :] + rng.uniform(size=(300, 100, 2)) * 0.05
    P = pts.reshape(-1, 2)
    e = (np.exp(-2 * (P[:, 0] - P[:, 1]) ** 2) - np.sum(
        forward_float(phi, "tanh", P[:, :1]) * forward_float(phi, "tanh", P[:, 1:]), 1
    )).reshape(300, 100)
    true_max = np.abs(e).max(1)
    over_tm = np.median(tm.enclosure.mag() - true_max)
    over_iv = np.median(iv.enclosure.mag() - true_max)
    assert over_tm >= 0 and over_tm < 0.2 * over_iv


def test_scope_falls_back():
    rng = np.random.default_rng(0)
    deep = _deep_net(rng, 1, 4, 2, 2, 1.0)
    gauss = sp.exp(-((X0 - Y0) ** 2))
    assert try_taylor(gauss, [X0], [Y0], deep, None, "tanh") is not None  # any depth
    assert try_taylor(gauss, [X0], [Y0], deep, None, "relu") is None  # not smooth
    shallow = _net(rng, 1, 4, 2, 1.0)
    assert try_taylor(sp.exp(-((X0 - Y0) ** 2)), [X0], [Y0], shallow, None, "relu") is None
    # |x - y| is not C^2: its derivatives contain DiracDelta, so no Taylor model
    assert try_taylor(sp.Abs(X0 - Y0), [X0], [Y0], shallow, None, "tanh") is None
    rel = SimpleNamespace(expr=sp.Abs(X0 - Y0), x_syms=(X0,), y_syms=(Y0,))
    with pytest.raises(ValueError, match="taylor"):
        certify_sup(rel, shallow, None, "tanh", ((-1.0,), (1.0,)), ((-1.0,), (1.0,)), form="taylor")


def test_planted_bad_witness_in_4d_is_never_certified():
    """A 2-D-input network whose sup error is known from dense sampling (and re-checked at
    its worst point in arb): claiming slightly less than that must never be certified."""
    rng = np.random.default_rng(5)
    expr = sp.exp(-2 * ((X0 - Y0) ** 2 + (X1 - Y1) ** 2))
    phi = _net(rng, 2, 8, 4, 3.0)
    box = ((-1.0, -1.0), (1.0, 1.0))
    pts = rng.uniform(-1, 1, size=(200_000, 4))
    e = np.exp(-2 * ((pts[:, 0] - pts[:, 2]) ** 2 + (pts[:, 1] - pts[:, 3]) ** 2)) - np.sum(
        forward_float(phi, "tanh", pts[:, :2]) * forward_float(phi, "tanh", pts[:, 2:]), 1
    )
    i = int(np.argmax(np.abs(e)))
    p = [float(v) for v in pts[i]]
    fx, gy = _arb_mlp(phi, "tanh", p[:2]), _arb_mlp(phi, "tanh", p[2:])
    v = (-2 * ((arb(p[0]) - arb(p[2])) ** 2 + (arb(p[1]) - arb(p[3])) ** 2)).exp() - sum(
        (s * t for s, t in zip(fx, gy)), arb(0)
    )
    true_lo = float(abs(v).lower().mid())
    rel = SimpleNamespace(expr=expr, x_syms=(X0, X1), y_syms=(Y0, Y1))
    for factor in (0.9, 1 - 1e-9):
        cert = certify_sup(rel, phi, None, "tanh", box, box, eps=true_lo * factor,
                           symmetric=True, time_budget_s=10, form="taylor")
        assert cert.status != CERTIFIED
        assert cert.upper >= true_lo
    good = certify_sup(rel, phi, None, "tanh", box, box, eps=true_lo * 1.5, symmetric=True,
                       time_budget_s=30, form="taylor")
    assert good.status == CERTIFIED and good.upper >= true_lo
