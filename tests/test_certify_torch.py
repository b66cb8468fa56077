"""Soundness of the torch enclosure backend (verify/certify/torch_*.py) against python-flint
arb and against the numpy path; CUDA variants run only where torch sees a GPU."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
import torch

pytest.importorskip("flint")  # noqa: E402 - a GPU image may lack python-flint (then: skipped)
from arb_reference import (
    arb_mlp,  # noqa: E402
    arb_precision,  # noqa: F401
)
from device_audit import devices  # noqa: E402
from flint import arb  # noqa: E402

from verify.certify import certify_sup, forward_float
from verify.certify.bnb import CERTIFIED
from verify.certify.taylor_model import TaylorErrorEnclosure
from verify.certify.torch_interval import TInterval, compile_torch_many
from verify.certify.torch_taylor import TorchTaylorEnclosure, on_device

X0, X1, Y0, Y1 = sp.symbols("x0 x1 y0 y1", real=True)
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _net(rng, d, width, m, scale, depth=1):
    layers = [(rng.normal(size=(width, d)) * 1.5, rng.normal(size=width) * 0.5)]
    for _ in range(depth - 1):
        layers.append((rng.normal(size=(width, width)) / np.sqrt(width), rng.normal(size=width)))
    layers.append((rng.normal(size=(m, width)) * scale / np.sqrt(width), rng.normal(size=m)))
    return layers


@pytest.mark.parametrize("device", devices())
def test_torch_interval_ops_contain_arb_values(device):
    """Every operation's interval contains the arb value at random points of its inputs."""
    rng = np.random.default_rng(0)
    lo = rng.uniform(-3, 2, 64)
    hi = lo + rng.uniform(0, 1.5, 64)
    lo2 = rng.uniform(0.1, 2, 64)
    hi2 = lo2 + rng.uniform(0, 1, 64)
    t = lambda a: torch.as_tensor(a, device=device)  # noqa: E731
    A, P = TInterval(t(lo), t(hi)), TInterval(t(lo2), t(hi2))
    ops = {
        "add": (lambda a, p: a + p, lambda a, p: a + p),
        "sub": (lambda a, p: a - p, lambda a, p: a - p),
        "mul": (lambda a, p: a * p, lambda a, p: a * p),
        "recip": (lambda a, p: p.reciprocal(), lambda a, p: 1 / p),
        "pow3": (lambda a, p: a.ipow(3), lambda a, p: a**3),
        "pow4": (lambda a, p: a.ipow(4), lambda a, p: a**4),
        "pow-2": (lambda a, p: p.ipow(-2), lambda a, p: p**-2),
        "exp": (lambda a, p: a.exp(), lambda a, p: a.exp()),
        "log": (lambda a, p: p.log(), lambda a, p: p.log()),
        "sqrt": (lambda a, p: p.sqrt(), lambda a, p: p.sqrt()),
        "tanh": (lambda a, p: a.tanh(), lambda a, p: a.tanh()),
        "abs": (lambda a, p: a.abs(), lambda a, p: abs(a)),
    }
    for name, (f_iv, f_arb) in ops.items():
        out = f_iv(A, P)
        olo, ohi = out.lo.cpu().numpy(), out.hi.cpu().numpy()
        for i in range(0, 64, 3):
            for s in (0.0, rng.uniform(), 1.0):
                a = arb(float(lo[i] + s * (hi[i] - lo[i])))
                p = arb(float(lo2[i] + s * (hi2[i] - lo2[i])))
                v = f_arb(a, p)
                assert arb(olo[i]) <= v <= arb(ohi[i]), (name, i, s)


def test_compiled_derivatives_contain_arb_values():
    expr = sp.exp(-2 * (X0 - Y0) ** 2) / (1 + X0**2) + sp.sqrt(2 + sp.tanh(Y0))
    exprs = [expr, sp.diff(expr, X0), sp.diff(expr, X0, Y0, Y0)]
    f = compile_torch_many(exprs, [X0, Y0])
    rng = np.random.default_rng(1)
    pts = rng.uniform(-1, 1, (20, 2))
    out = f(TInterval.point(torch.as_tensor(pts)))
    arb_fns = [sp.lambdify([X0, Y0], e, modules=[{"exp": lambda v: v.exp(),
               "tanh": lambda v: v.tanh(), "sqrt": lambda v: v.sqrt()}]) for e in exprs]
    for i, p in enumerate(pts):
        for k, g in enumerate(arb_fns):
            v = g(arb(float(p[0])), arb(float(p[1])))
            assert arb(float(out.lo[i, k])) <= v <= arb(float(out.hi[i, k]))


CASES = [("tanh", (1, 1), True, 1), ("tanh", (2, 2), True, 1), ("sigmoid", (2, 1), False, 1),
         ("tanh", (1, 2), False, 1), ("tanh", (2, 2), True, 2), ("sigmoid", (1, 1), False, 3)]


@pytest.mark.parametrize("name,dims,sym,depth", CASES)
def test_torch_enclosure_contains_true_error_and_matches_numpy(name, dims, sym, depth):
    """Output weights ×50 (heavy cancellation), one to three hidden layers, orders 2 and 5
    (4 in 4-D): the torch
    enclosure contains e at dense float samples (tolerance 1e-9) and at arb points (none),
    and equals the numpy enclosure up to rounding-level differences."""
    rng = np.random.default_rng(7 + sum(dims))
    dx, dy = dims
    xs, ys = [X0, X1][:dx], [Y0, Y1][:dy]
    expr = sp.exp(-sum((a - b) ** 2 for a, b in zip(xs, ys))) + sp.Rational(1, 3) * xs[0] * ys[-1]
    phi = _net(rng, dx, 6, 3, 50.0, depth)
    psi = None if sym else _net(rng, dy, 6, 3, 50.0, depth)
    D = dx + dy
    f_np = sp.lambdify(xs + ys, expr, "numpy")
    f_arb = sp.lambdify(xs + ys, expr, modules=[{"exp": lambda v: v.exp()}])
    for order in (2, 5 if D < 4 else 4):
        base = TaylorErrorEnclosure(expr, xs, ys, phi, psi, name, order=order)
        enc = TorchTaylorEnclosure(base, expr, xs + ys, "cpu")
        assert enc.relation_on_device
        lo = rng.uniform(-1, 0.8, size=(40, D))
        hi = lo + rng.uniform(0.001, 0.2, size=(40, D))
        ev, ref = enc(lo, hi), base(lo, hi)
        assert np.all(np.isfinite(ev.enclosure.width))
        w, w_ref = ev.enclosure.width, ref.enclosure.width
        assert np.allclose(w, w_ref, rtol=1e-6, atol=1e-12)
        pts = lo[:, None, :] + rng.uniform(size=(40, 100, D)) * (hi - lo)[:, None, :]
        P = pts.reshape(-1, D)
        F = forward_float(phi, name, P[:, :dx])
        G = forward_float(phi if psi is None else psi, name, P[:, dx:])
        e = (f_np(*P.T) - np.sum(F * G, 1)).reshape(40, 100)
        assert np.all(ev.enclosure.lo[:, None] <= e + 1e-9)
        assert np.all(e - 1e-9 <= ev.enclosure.hi[:, None])
        for i in range(0, 40, 8):
            for p in (pts[i, 0], ev.centre[i]):
                p = [float(v) for v in p]
                fx = arb_mlp(phi, name, p[:dx])
                gy = arb_mlp(phi if psi is None else psi, name, p[dx:])
                v = f_arb(*[arb(t) for t in p]) - sum((s * t for s, t in zip(fx, gy)), arb(0))
                assert arb(ev.enclosure.lo[i]) <= v <= arb(ev.enclosure.hi[i])
            cv = ev.centre_value
            assert arb(cv.lo[i]) <= v <= arb(cv.hi[i])  # v is e at the centre here
            assert cv.hi[i] - cv.lo[i] < 1e-9 * (1 + abs(cv.hi[i]))


def test_relation_the_torch_intervals_lack_stays_on_the_host_and_is_sound():
    """sin is not a torch-interval node: the relation's Taylor data come from numpy."""
    rng = np.random.default_rng(3)
    expr = sp.sin(X0 - Y0) + sp.exp(-(X0 - Y0) ** 2)
    phi = _net(rng, 1, 5, 2, 20.0)
    base = TaylorErrorEnclosure(expr, [X0], [Y0], phi, None, "tanh", order=4)
    enc, note = on_device(base, expr, (X0, Y0), "cpu")
    assert isinstance(enc, TorchTaylorEnclosure) and not enc.relation_on_device
    assert "host" in note
    lo = rng.uniform(-1, 0.8, (30, 2))
    hi = lo + 0.1
    ev, ref = enc(lo, hi), base(lo, hi)
    assert np.allclose(ev.enclosure.width, ref.enclosure.width, rtol=1e-6)
    P = (lo + rng.uniform(size=lo.shape) * (hi - lo))
    F = forward_float(phi, "tanh", P[:, :1])
    G = forward_float(phi, "tanh", P[:, 1:])
    e = np.sin(P[:, 0] - P[:, 1]) + np.exp(-(P[:, 0] - P[:, 1]) ** 2) - np.sum(F * G, 1)
    assert np.all((ev.enclosure.lo <= e + 1e-9) & (e - 1e-9 <= ev.enclosure.hi))


def test_out_of_scope_enclosures_stay_on_numpy():
    """softplus Taylor models and the interval forms (e.g. ReLU networks) keep numpy."""
    from verify.certify.enclosure import ErrorEnclosure

    rng = np.random.default_rng(4)
    expr = sp.exp(-(X0 - Y0) ** 2)
    net = _net(rng, 1, 4, 2, 1.0)
    for base in (TaylorErrorEnclosure(expr, [X0], [Y0], net, None, "softplus", order=3),
                 ErrorEnclosure(expr, [X0], [Y0], net, None, "relu")):
        enc, note = on_device(base, expr, (X0, Y0), "cpu")
        assert enc is base and note.startswith("numpy")


def _planted():
    rng = np.random.default_rng(5)
    expr = sp.exp(-2 * ((X0 - Y0) ** 2 + (X1 - Y1) ** 2))
    phi = [(rng.normal(size=(8, 2)) * 1.5, rng.normal(size=8) * 0.5),
           (rng.normal(size=(4, 8)) * 3.0 / np.sqrt(8), rng.normal(size=4) * 0.3)]
    pts = rng.uniform(-1, 1, size=(100_000, 4))
    e = np.exp(-2 * ((pts[:, 0] - pts[:, 2]) ** 2 + (pts[:, 1] - pts[:, 3]) ** 2)) - np.sum(
        forward_float(phi, "tanh", pts[:, :2]) * forward_float(phi, "tanh", pts[:, 2:]), 1)
    p = [float(v) for v in pts[int(np.argmax(np.abs(e)))]]
    fx, gy = arb_mlp(phi, "tanh", p[:2]), arb_mlp(phi, "tanh", p[2:])
    v = (-2 * ((arb(p[0]) - arb(p[2])) ** 2 + (arb(p[1]) - arb(p[3])) ** 2)).exp() - sum(
        (s * t for s, t in zip(fx, gy)), arb(0))
    rel = SimpleNamespace(expr=expr, x_syms=(X0, X1), y_syms=(Y0, Y1))
    return rel, phi, float(abs(v).lower().mid())


@pytest.mark.parametrize("device", devices())
def test_planted_bad_witness_is_never_certified_on_torch(device):
    rel, phi, true_lo = _planted()
    box = ((-1.0, -1.0), (1.0, 1.0))
    cert = certify_sup(rel, phi, None, "tanh", box, box, eps=true_lo * (1 - 1e-9),
                       symmetric=True, max_leaves=4000, time_budget_s=60, form="taylor",
                       taylor_order=3, device=device)
    assert cert.status != CERTIFIED and cert.upper >= true_lo
    assert cert.extra["backend"].startswith("torch")


def test_certificate_on_torch_cpu_equals_numpy():
    """Same leaves, same bounds (to rounding) as the numpy path: the B&B is unchanged."""
    rng = np.random.default_rng(6)
    expr = sp.exp(-2 * (X0 - Y0) ** 2)
    phi = _net(rng, 1, 8, 4, 1.0)
    rel = SimpleNamespace(expr=expr, x_syms=(X0,), y_syms=(Y0,))
    box = ((-1.0,), (1.0,))
    kw = dict(eps=1e-9, symmetric=True, max_leaves=3000, time_budget_s=60, rel_gap=0.05)
    a = certify_sup(rel, phi, None, "tanh", box, box, **kw)
    b = certify_sup(rel, phi, None, "tanh", box, box, device="cpu", **kw)
    assert a.leaves == b.leaves and a.status == b.status
    assert b.upper == pytest.approx(a.upper, rel=1e-9)
    assert b.lower == pytest.approx(a.lower, rel=1e-9)
    assert "backend" not in a.extra and b.extra["backend"].startswith("torch on cpu")


def test_graph_bucketing_pads_and_returns_the_eager_rows():
    """The CUDA-graph runner's bookkeeping (buckets, padding with row 0, slicing, self-check),
    run eagerly: the enclosure rows of the unpadded batch, for several batch sizes."""
    from verify.certify.torch_graphs import GraphedBatches

    rng = np.random.default_rng(9)
    expr = sp.exp(-(X0 - Y0) ** 2)
    base = TaylorErrorEnclosure(expr, [X0], [Y0], _net(rng, 1, 5, 2, 5.0), None, "tanh", 4)
    enc = TorchTaylorEnclosure(base, expr, (X0, Y0), "cpu")
    assert enc.graphs is None  # never on the CPU by default
    runner = GraphedBatches(enc._compute, capture=False, min_size=64, eager_uses=0)
    for n in (1, 64, 65, 200):
        lo = rng.uniform(-1, 0.8, (n, 2))
        hi = lo + rng.uniform(0.01, 0.2, (n, 2))
        ref = enc(lo, hi)
        enc._run = runner
        got = enc(lo, hi)
        enc._run = enc._compute
        # padded batches may round differently in the last bits (BLAS picks kernels by shape)
        for a, b in ((got.enclosure, ref.enclosure), (got.centre_value, ref.centre_value)):
            assert np.allclose(a.lo, b.lo, rtol=1e-12, atol=1e-13)
            assert np.allclose(a.hi, b.hi, rtol=1e-12, atol=1e-13)
    assert sorted(runner.graphs) == [64, 128, 256] and runner.disabled is None
    calls = iter(range(10**6))
    flaky = GraphedBatches(lambda a, b: (a + next(calls),), capture=False, eager_uses=1)
    x = torch.zeros((3, 1), dtype=torch.float64)
    flaky(x, x)  # eager, no capture yet
    assert flaky.disabled is None and not flaky.graphs
    flaky(x, x)
    assert flaky.disabled is not None  # a replay that differs turns the graphs off
