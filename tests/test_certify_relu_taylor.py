"""Second-order Taylor form for ReLU networks on boxes where no unit crosses 0 (the
network is affine there): mask correctness, per-box soundness, and the x − y witness."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

from verify.certify import certify_sup, enclose_mlp, forward_float
from verify.certify.bnb import CERTIFIED
from verify.certify.enclosure import ErrorEnclosure
from verify.certify.interval import Interval

X0, Y0, X1, Y1 = sp.symbols("x0 y0 x1 y1", real=True)


def _rel(expr, xs=(X0,), ys=(Y0,)):
    return SimpleNamespace(expr=expr, x_syms=xs, y_syms=ys)


def _xy_exact(delta: float = 0.0, kink_w: float = 0.0):
    """Exact ReLU witness of x − y on [0, 1]²: φ(x) = (relu(x + 1) − 1, 1),
    ψ(y) = (1, 1 − relu(y + 1)); a third hidden unit relu(x − 0.5) enters φ_0 with weight
    ``kink_w`` (error kink_w·relu(x − 0.5)), ``delta`` perturbs a first-layer weight."""
    phi = [
        (np.array([[1.0 + delta], [0.0], [1.0], [0.0]]), np.array([1.0, 1.0, -0.5, 0.0])),
        (np.array([[1.0, 0.0, kink_w, 0.0], [0.0, 1.0, 0.0, 0.0]]), np.array([-1.0, 0.0])),
    ]
    psi = [
        (np.array([[1.0], [0.0], [0.0], [0.0]]), np.array([1.0, 1.0, 0.0, 0.0])),
        (np.array([[0.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0]]), np.array([0.0, 1.0])),
    ]
    return phi, psi


def _relu_net(rng, din, width, dout, depth):
    dims = [din] + [width] * depth + [dout]
    return [
        (rng.normal(size=(dims[i + 1], dims[i])), rng.normal(size=dims[i + 1]) * 0.7)
        for i in range(len(dims) - 1)
    ]


def test_smooth_mask_is_strict_at_zero():
    layers = [(np.array([[1.0]]), np.array([0.0])), (np.array([[2.0]]), np.array([0.0]))]
    lo = np.array([[0.0], [0.5], [-1.0], [-1.0], [-0.25]])
    hi = np.array([[1.0], [1.0], [-0.5], [0.0], [0.25]])
    m = enclose_mlp(layers, "relu", Interval(lo, hi), second_order=True)
    # [0,1] touches 0 -> crossing; [-1,0] touches 0 -> crossing
    assert m.smooth.tolist() == [False, True, True, False, False]
    assert np.all(m.hess.lo[m.smooth] == 0) and np.all(m.hess.hi[m.smooth] == 0)
    assert np.all(np.isinf(m.hess.lo[~m.smooth])) and np.all(np.isinf(m.hess.hi[~m.smooth]))


def test_smooth_mask_matches_brute_force_signs():
    rng = np.random.default_rng(3)
    layers = _relu_net(rng, 2, 5, 2, 2)
    c = rng.uniform(-1, 1, size=(400, 2))
    w = rng.uniform(1e-3, 0.5, size=(400, 1))
    lo, hi = c - w, c + w
    m = enclose_mlp(layers, "relu", Interval(lo, hi), second_order=True)
    # smooth must imply: every pre-activation has one strict sign at sampled points
    for b in np.flatnonzero(m.smooth):
        pts = lo[b] + (hi[b] - lo[b]) * np.vstack([rng.uniform(size=(64, 2)), [[0, 0], [1, 1]]])
        h = pts
        for W, bb in layers[:-1]:
            z = h @ W.T + bb
            assert np.all((z > 0).all(0) | (z < 0).all(0))
            h = np.maximum(z, 0)
    assert m.smooth.any() and (~m.smooth).any()


CASES = [
    ("gauss", sp.exp(-2 * (X0 - Y0) ** 2), lambda x, y: np.exp(-2 * (x[:, 0] - y[:, 0]) ** 2)),
    ("xy", X0 * Y0 - Y0, lambda x, y: x[:, 0] * y[:, 0] - y[:, 0]),
    ("sin", sp.sin(X0 + 2 * Y0), lambda x, y: np.sin(x[:, 0] + 2 * y[:, 0])),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_relu_taylor_enclosure_contains_sampled_errors(seed, case):
    _, expr, f = case
    rng = np.random.default_rng(seed)
    depth = 1 + seed % 2
    phi, psi = _relu_net(rng, 1, 4, 3, depth), _relu_net(rng, 1, 4, 3, depth)
    enc = ErrorEnclosure(expr, (X0,), (Y0,), phi, psi, "relu")
    mv = ErrorEnclosure(expr, (X0,), (Y0,), phi, psi, "relu", form="mean-value")
    assert enc.hess_r is not None
    n = 600
    c = rng.uniform(-1.5, 1.5, size=(n, 2))
    w = np.exp(rng.uniform(np.log(1e-3), np.log(0.6), size=(n, 2)))
    lo, hi = c - w, c + w
    ev, ev_mv = enc(lo, hi), mv(lo, hi)
    ex = enclose_mlp(phi, "relu", Interval(lo[:, :1], hi[:, :1]), second_order=True)
    ey = enclose_mlp(psi, "relu", Interval(lo[:, 1:], hi[:, 1:]), second_order=True)
    ok = ex.smooth & ey.smooth
    assert ok.any() and (~ok).any()
    # where a unit may cross 0 the Taylor form is not used at all
    assert np.array_equal(ev.enclosure.lo[~ok], ev_mv.enclosure.lo[~ok])
    assert np.array_equal(ev.enclosure.hi[~ok], ev_mv.enclosure.hi[~ok])
    # where it is used it is never worse, and narrower somewhere
    assert np.all(ev.enclosure.width[ok] <= ev_mv.enclosure.width[ok])
    assert np.any(ev.enclosure.width[ok] < ev_mv.enclosure.width[ok])
    t = np.vstack([rng.uniform(size=(48, 2)), [[0, 0], [0, 1], [1, 0], [1, 1]]])
    for b in range(n):
        pts = lo[b] + (hi[b] - lo[b]) * t
        e = f(pts[:, :1], pts[:, 1:]) - np.sum(
            forward_float(phi, "relu", pts[:, :1]) * forward_float(psi, "relu", pts[:, 1:]), -1
        )
        tol = 1e-12 * (1 + np.abs(e).max())
        assert np.all(e >= ev.enclosure.lo[b] - tol), (b, ok[b])
        assert np.all(e <= ev.enclosure.hi[b] + tol), (b, ok[b])


@pytest.mark.parametrize("seed", range(3))
def test_relu_certified_upper_dominates_dense_sup(seed):
    rng = np.random.default_rng(10 + seed)
    phi, psi = _relu_net(rng, 2, 3, 2, 1), _relu_net(rng, 2, 3, 2, 1)
    for W, _ in (phi[-1], psi[-1]):
        W *= 0.2
    expr = sp.exp(-((X0 - Y0) ** 2) - (X1 - Y1) ** 2)
    rel = _rel(expr, (X0, X1), (Y0, Y1))
    box = [(-1.0, -1.0), (1.0, 1.0)]
    cert = certify_sup(
        rel, phi, psi, "relu", eps=1e-12, x_box=box, y_box=box, time_budget_s=3.0, rel_gap=1e-3
    )
    g = np.linspace(-1, 1, 13)
    P = np.stack(np.meshgrid(g, g, g, g, indexing="ij"), -1).reshape(-1, 4)
    e = np.exp(-((P[:, 0] - P[:, 2]) ** 2) - (P[:, 1] - P[:, 3]) ** 2) - np.sum(
        forward_float(phi, "relu", P[:, :2]) * forward_float(psi, "relu", P[:, 2:]), -1
    )
    true_lb = np.abs(e).max()
    assert cert.upper >= true_lb * (1 - 1e-12)
    assert cert.lower <= cert.upper


def test_exact_relu_witness_of_difference_certifies_fast():
    phi, psi = _xy_exact()
    rel = _rel(X0 - Y0)
    t0 = time.perf_counter()
    cert = certify_sup(
        rel,
        phi,
        psi,
        "relu",
        eps=1e-8,
        x_box=[(0.0,), (1.0,)],
        y_box=[(0.0,), (1.0,)],
        time_budget_s=60,
    )
    assert cert.status == CERTIFIED, cert
    assert cert.upper <= 1e-8
    assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize("delta,kink_w", [(1e-6, 0.0), (0.0, 1e-6), (-3e-8, 0.0), (0.0, -5e-8)])
def test_planted_bad_relu_witness_never_certified(delta, kink_w):
    phi, psi = _xy_exact(delta, kink_w)
    g = np.linspace(0, 1, 401)
    X, Y = np.meshgrid(g, g, indexing="ij")
    x, y = X.reshape(-1, 1), Y.reshape(-1, 1)
    e = (x - y)[:, 0] - np.sum(forward_float(phi, "relu", x) * forward_float(psi, "relu", y), -1)
    assert np.abs(e).max() > 1e-8  # really bad
    cert = certify_sup(
        _rel(X0 - Y0),
        phi,
        psi,
        "relu",
        eps=1e-8,
        x_box=[(0.0,), (1.0,)],
        y_box=[(0.0,), (1.0,)],
        time_budget_s=10,
    )
    assert cert.status != CERTIFIED
    assert cert.upper >= np.abs(e).max() * (1 - 1e-9)


def _exact_difference_witness(seed: int = 0):
    """φ(x) = (x, 1), ψ(y) = (1, −y) as width-4 ReLU nets on [0, 1] (exact: relu(t) = t there):
    <φ, ψ> = x − y. Three more hidden neurons get random weights and output weights of 1e-10
    (kinks and an error of about 1e-9, as a trained witness has), so the certifier sees a
    generic network; the result is deterministic (no training)."""
    rng = np.random.default_rng(seed)

    def net(first_out: np.ndarray, bias_out: np.ndarray):
        W1 = np.vstack([[1.0], rng.normal(size=(3, 1))])
        b1 = np.concatenate([[0.0], rng.normal(size=3)])
        W2 = 1e-10 * rng.normal(size=(2, 4))
        W2[:, 0] = first_out
        return [(W1, b1), (W2, np.asarray(bias_out, dtype=float))]

    return SimpleNamespace(phi=net(np.array([1.0, 0.0]), [0.0, 1.0]),
                           psi=net(np.array([0.0, -1.0]), [1.0, 0.0]))


def test_exact_relu_witness_of_difference_certifies():
    from verify.relations import library as L

    rel = L.difference()
    w = _exact_difference_witness()
    X = np.linspace(0, 1, 11)[:, None]
    G = forward_float(w.phi, "relu", X) @ forward_float(w.psi, "relu", X).T
    assert 0 < np.abs(G - (X - X.T)).max() <= 1e-9  # nearly exact, like a trained witness
    t0 = time.perf_counter()
    cert = certify_sup(
        rel, w.phi, w.psi, "relu", eps=1e-8, time_budget_s=60)
    assert cert.status == CERTIFIED, cert
    assert cert.upper <= 1e-8 and time.perf_counter() - t0 < 30
