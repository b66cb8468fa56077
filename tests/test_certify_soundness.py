"""Soundness of the certificates: certified bounds dominate the true error (checked with
python-flint arb at densely sampled points), and planted bad witnesses are never certified."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from arb_reference import arb_mlp as _arb_mlp
from arb_reference import arb_precision  # noqa: F401
from flint import arb

from verify.certify import certify_psd_residual_sup, certify_sup, enclose_mlp, forward_float, ibp
from verify.certify.bnb import CERTIFIED
from verify.certify.interval import Interval
from verify.certify.lipschitz import certify_lipschitz_grid

X0, Y0, X1, Y1 = sp.symbols("x0 y0 x1 y1", real=True)
ACTS = ("tanh", "relu", "softplus", "sigmoid")


RELS = {
    "gauss": (
        sp.exp(-2 * (X0 - Y0) ** 2),
        lambda x, y: (-2 * (x - y) ** 2).exp(),
        lambda x, y: np.exp(-2 * (x - y) ** 2),
    ),
    "tanh5": (
        sp.tanh(5 * (X0 - Y0)),
        lambda x, y: (5 * (x - y)).tanh(),
        lambda x, y: np.tanh(5 * (x - y)),
    ),
    "prod": (
        X0 * Y0 + sp.sin(X0 + Y0) / 2,
        lambda x, y: x * y + (x + y).sin() / 2,
        lambda x, y: x * y + np.sin(x + y) / 2,
    ),
}


def _random_mlp(rng, in_dim, width, depth, out_dim, scale=1.0):
    dims = [in_dim] + [width] * depth + [out_dim]
    return [
        (rng.normal(size=(b, a)) * scale / np.sqrt(a) * 2, rng.normal(size=b) * 0.5)
        for a, b in zip(dims[:-1], dims[1:])
    ]


def _true_sup_lower(rel_key, phi, psi, act, xb, yb, rng, n=4000, top=6):
    """Dense float sampling, then the top points re-evaluated rigorously in arb: a value
    that the true sup provably reaches (lower end of the arb ball)."""
    _, r_arb, r_np = RELS[rel_key]
    x = rng.uniform(xb[0], xb[1], n)
    y = rng.uniform(yb[0], yb[1], n)
    x = np.concatenate([x, [xb[0], xb[1], xb[0], xb[1]]])
    y = np.concatenate([y, [yb[0], yb[1], yb[1], yb[0]]])
    F = forward_float(phi, act, x[:, None])
    G = forward_float(psi if psi is not None else phi, act, y[:, None])
    e = r_np(x, y) - np.sum(F * G, 1)
    best = arb(0)
    for i in np.argsort(-np.abs(e))[:top]:
        f = _arb_mlp(phi, act, [x[i]])
        g = _arb_mlp(psi if psi is not None else phi, act, [y[i]])
        v = r_arb(arb(float(x[i])), arb(float(y[i]))) - sum((a * b for a, b in zip(f, g)), arb(0))
        lo = abs(v).lower()
        if lo > best:
            best = lo
    return float(best.lower().mid()) if best > 0 else 0.0, float(np.max(np.abs(e)))


CASES = [(act, seed) for act in ACTS for seed in range(3)]


@pytest.mark.parametrize("act,seed", CASES)
def test_certified_upper_dominates_true_error(act, seed):
    rng = np.random.default_rng(100 + seed + 10 * ACTS.index(act))
    rel_key = list(RELS)[seed % len(RELS)]
    width = int(rng.integers(2, 9))
    depth = int(rng.integers(1, 3))
    m = int(rng.integers(1, 5))
    phi = _random_mlp(rng, 1, width, depth, m)
    psi = None if seed % 2 == 0 else _random_mlp(rng, 1, width, depth, m)
    a = rng.uniform(-1, 0.5)
    xb = (a, a + rng.uniform(0.1, 0.8))
    b = rng.uniform(-1, 0.5)
    yb = (b, b + rng.uniform(0.1, 0.8))
    rel = SimpleNamespace(expr=RELS[rel_key][0], x_syms=(X0,), y_syms=(Y0,))
    cert = certify_sup(
        rel,
        phi,
        psi,
        act,
        ((xb[0],), (xb[1],)),
        ((yb[0],), (yb[1],)),
        eps=100.0,
        rel_gap=0.02,
        time_budget_s=20,
        max_leaves=40_000,
        n_samples=512,
        seed=seed,
    )
    true_lo, sampled = _true_sup_lower(rel_key, phi, psi, act, xb, yb, rng)
    assert cert.status == CERTIFIED
    assert cert.upper >= true_lo, (cert.upper, true_lo)
    assert cert.upper >= sampled * (1 - 1e-12)
    assert cert.lower <= cert.upper
    # lower bound is a real value of |e|: it cannot exceed the sampled sup by more than rounding
    # plus what sampling missed, and is itself re-checked in arb at its point
    p = cert.lower_point
    f = _arb_mlp(phi, act, [p[0]])
    g = _arb_mlp(psi if psi is not None else phi, act, [p[1]])
    v = RELS[rel_key][1](arb(p[0]), arb(p[1])) - sum((s * t for s, t in zip(f, g)), arb(0))
    assert bool(abs(v) >= arb(cert.lower)) or abs(float(abs(v).mid()) - cert.lower) < 1e-13


@pytest.mark.parametrize("act", ACTS)
def test_planted_bad_witness_is_never_certified(act):
    rng = np.random.default_rng(7 + ACTS.index(act))
    phi = _random_mlp(rng, 1, 6, 2, 3)
    rel = SimpleNamespace(expr=RELS["gauss"][0], x_syms=(X0,), y_syms=(Y0,))
    xb, yb = (-1.0, 1.0), (-1.0, 1.0)
    true_lo, _ = _true_sup_lower("gauss", phi, None, act, xb, yb, rng)
    assert true_lo > 0
    for factor in (0.5, 0.999, 1 - 1e-9):
        eps = true_lo * factor
        cert = certify_sup(
            rel,
            phi,
            None,
            act,
            ((-1.0,), (1.0,)),
            ((-1.0,), (1.0,)),
            eps=eps,
            time_budget_s=10,
            max_leaves=20_000,
            symmetric=True,
        )
        assert cert.status != CERTIFIED
        assert cert.upper >= true_lo


def test_mlp_enclosures_contain_arb_values():
    rng = np.random.default_rng(3)
    for act in ACTS:
        layers = _random_mlp(rng, 2, 5, 2, 3)
        lo = rng.uniform(-1, 1, size=(30, 2))
        hi = lo + rng.exponential(0.2, size=(30, 2))
        X = Interval(lo, hi)
        enc = enclose_mlp(layers, act, X)
        V = ibp(layers, act, X)
        for i in range(30):
            p = lo[i] + rng.uniform(size=2) * (hi[i] - lo[i])
            vals = _arb_mlp(layers, act, p)
            for j, v in enumerate(vals):
                assert arb(enc.value.lo[i, j]) <= v <= arb(enc.value.hi[i, j])
                assert arb(V.lo[i, j]) <= v <= arb(V.hi[i, j])
            # Jacobian: finite differences within the box stay within the enclosure (+ tolerance)
            h = 1e-6
            for k in range(2):
                q = p.copy()
                q[k] = min(p[k] + h, hi[i, k])
                if q[k] == p[k]:
                    continue
                fd = (forward_float(layers, act, q[None]) - forward_float(layers, act, p[None]))[
                    0
                ] / (q[k] - p[k])
                assert np.all(fd >= enc.jac.lo[i, :, k] - 1e-5) and np.all(
                    fd <= enc.jac.hi[i, :, k] + 1e-5
                )


def _symbolic_inner(layers, xs, ys):
    """sympy expression of <f(x), f(y)> for a one-hidden-layer tanh network f."""
    (W1, b1), (W2, b2) = layers
    h = [sp.tanh(float(W1[j, 0]) * xs + float(b1[j])) for j in range(W1.shape[0])]
    hy = [e.xreplace({xs: ys}) for e in h]
    F = [
        sum(float(W2[k, j]) * h[j] for j in range(len(h))) + float(b2[k])
        for k in range(W2.shape[0])
    ]
    G = [
        sum(float(W2[k, j]) * hy[j] for j in range(len(h))) + float(b2[k])
        for k in range(W2.shape[0])
    ]
    return sum(F[k] * G[k] for k in range(len(F)))


def test_mean_value_form_is_tighter_than_naive():
    from verify.certify.enclosure import ErrorEnclosure

    rng = np.random.default_rng(4)
    phi = _random_mlp(rng, 1, 8, 1, 4)
    # r = <phi(x), phi(y)> + 0.01 * gaussian, so e = 0.01 * gaussian is small: cancellation matters
    expr = _symbolic_inner(phi, X0, Y0) + RELS["gauss"][0] / 100
    enc = ErrorEnclosure(expr, [X0], [Y0], phi, None, "tanh", form="mean-value")
    lo = rng.uniform(-1, 1, size=(200, 2))
    ev = enc(lo, lo + 0.01)
    assert np.median(ev.enclosure.width) < 0.1 * np.median(ev.naive.width)
    e_true = np.exp(-2 * (lo[:, 0] - lo[:, 1]) ** 2) / 100
    assert np.all(ev.enclosure.lo <= e_true) and np.all(e_true <= ev.enclosure.hi)


def test_two_dimensional_inputs_sound():
    rng = np.random.default_rng(11)
    phi = _random_mlp(rng, 2, 4, 1, 3)
    rel = SimpleNamespace(
        expr=sp.exp(-((X0 - Y0) ** 2) - (X1 - Y1) ** 2), x_syms=(X0, X1), y_syms=(Y0, Y1)
    )
    box = ((-0.5, -0.5), (0.5, 0.5))
    cert = certify_sup(
        rel,
        phi,
        None,
        "tanh",
        box,
        box,
        eps=100.0,
        rel_gap=0.05,
        time_budget_s=20,
        max_leaves=60_000,
        symmetric=True,
        n_samples=256,
    )
    pts = rng.uniform(-0.5, 0.5, size=(20000, 4))
    e = np.exp(-((pts[:, 0] - pts[:, 2]) ** 2) - (pts[:, 1] - pts[:, 3]) ** 2) - np.sum(
        forward_float(phi, "tanh", pts[:, :2]) * forward_float(phi, "tanh", pts[:, 2:]), 1
    )
    assert cert.upper >= np.abs(e).max() * (1 - 1e-12)
    assert cert.status == CERTIFIED


def test_psd_shortcut_and_lipschitz_cross_check():
    # truncated Mercer-like residual: r = <F(x), F(y)> with F = (phi, extra); model uses phi only
    rng = np.random.default_rng(12)
    full = _random_mlp(rng, 1, 6, 1, 4)
    W2, b2 = full[1]
    phi = [full[0], (W2[:3], b2[:3])]
    # r(x,y) = sum_k F_k(x) F_k(y) written symbolically from the network
    h = [sp.tanh(float(full[0][0][j, 0]) * X0 + float(full[0][1][j])) for j in range(6)]
    hy = [e.xreplace({X0: Y0}) for e in h]
    F = [sum(float(W2[k, j]) * h[j] for j in range(6)) + float(b2[k]) for k in range(4)]
    Fy = [sum(float(W2[k, j]) * hy[j] for j in range(6)) + float(b2[k]) for k in range(4)]
    expr = sum(F[k] * Fy[k] for k in range(4))
    rel = SimpleNamespace(expr=expr, x_syms=(X0,), y_syms=(Y0,))
    box = ((-1.0,), (1.0,))
    psd = certify_psd_residual_sup(rel, phi, "tanh", box, eps=100.0, rel_gap=0.01, time_budget_s=10)
    full_c = certify_sup(
        rel,
        phi,
        None,
        "tanh",
        box,
        box,
        eps=100.0,
        rel_gap=0.01,
        time_budget_s=20,
        symmetric=True,
        n_samples=256,
    )
    # the residual is F_3(x) F_3(y): both bounds bracket sup F_3^2
    xs = np.linspace(-1, 1, 4001)[:, None]
    f3 = np.tanh(xs @ full[0][0].T + full[0][1]) @ W2[3] + b2[3]
    true = np.max(f3**2)
    assert psd.upper >= true * (1 - 1e-12) and full_c.upper >= true * (1 - 1e-12)
    assert psd.upper <= true * 1.02 and full_c.lower <= true * (1 + 1e-9)
    lip = certify_lipschitz_grid(rel, phi, None, "tanh", box, box, eps=100.0, cells_per_dim=40)
    assert lip.upper >= true * (1 - 1e-12)
    assert lip.upper >= full_c.lower


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "softplus"])
def test_mlp_hessian_enclosure_contains_autograd_hessian(act):
    import torch

    rng = np.random.default_rng(21)
    layers = _random_mlp(rng, 2, 5, 2, 2)
    lo = rng.uniform(-1, 1, size=(4, 2))
    hi = lo + 0.3
    enc = enclose_mlp(layers, act, Interval(lo, hi), second_order=True)
    fn = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": torch.nn.functional.softplus}[
        act
    ]
    Wt = [(torch.tensor(W), torch.tensor(b)) for W, b in layers]

    def f(x, k):
        h = x
        for i, (W, b) in enumerate(Wt):
            h = h @ W.T + b
            if i < len(Wt) - 1:
                h = fn(h)
        return h[k]

    for i in range(4):
        for _ in range(3):
            p = torch.tensor(lo[i] + rng.uniform(size=2) * 0.3)
            for k in range(2):
                Hk = torch.autograd.functional.hessian(lambda x, k=k: f(x, k), p).numpy()
                assert np.all(enc.hess.lo[i, k] - 1e-9 <= Hk) and np.all(
                    Hk <= enc.hess.hi[i, k] + 1e-9
                )
        c = enc.centre[i]
        Jc = torch.autograd.functional.jacobian(
            lambda x: torch.stack([f(x, 0), f(x, 1)]), torch.tensor(c)
        )
        assert np.all(enc.centre_jac.lo[i] - 1e-12 <= Jc.numpy()) and np.all(
            Jc.numpy() <= enc.centre_jac.hi[i] + 1e-12
        )


def test_second_order_form_only_when_c2():
    from verify.certify.enclosure import ErrorEnclosure

    phi = _random_mlp(np.random.default_rng(0), 1, 3, 1, 2)
    assert ErrorEnclosure(RELS["gauss"][0], [X0], [Y0], phi, None, "tanh").hess_r is not None
    # ReLU: compiled, but used only on boxes where no unit crosses 0 (per-box mask, see
    # tests/test_certify_relu_taylor.py)
    assert ErrorEnclosure(RELS["gauss"][0], [X0], [Y0], phi, None, "relu").hess_r is not None
    assert (
        ErrorEnclosure(RELS["gauss"][0], [X0], [Y0], phi, None, "relu", "mean-value").hess_r is None
    )
    assert ErrorEnclosure(sp.Abs(X0 - Y0), [X0], [Y0], phi, None, "tanh").hess_r is None
    assert ErrorEnclosure(sp.Max(X0, Y0), [X0], [Y0], phi, None, "tanh").hess_r is None
