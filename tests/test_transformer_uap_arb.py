"""Soundness of the transformer enclosure against an independent rigorous evaluation (python-flint
arb ball arithmetic): the certifier must never claim a bound below the true error."""

import math

import numpy as np
import pytest
import sympy as sp
import torch
from flint import arb

from verify.certify.interval import Interval
from verify.transformers.enclose import ErrorBound, certify_box, model_dual
from verify.transformers.model import Target, TokenTransformer

_x = sp.symbols("x0:3", real=True)
TARGET = Target("x_i·mean", _x[0] * (_x[0] + _x[1] + _x[2]) / 3)


def _lin(W, b, h):
    return [sum((arb(float(W[j, k])) * h[k] for k in range(W.shape[1])),
                arb(0.0) if b is None else arb(float(b[j]))) for j in range(W.shape[0])]


def arb_model(w: dict, x) -> list[arb]:
    """The real-number function of the float64 weights ``w`` at the float point ``x``, in arb."""
    h = [_lin(*w["embed"], [arb(float(v))]) for v in x]
    for blk in w["blocks"]:
        q = [_lin(blk["q"], None, t) for t in h]
        k = [_lin(blk["k"], None, t) for t in h]
        v = [_lin(blk["v"], None, t) for t in h]
        m = len(q[0])
        new = []
        for i in range(len(h)):
            if w["kind"] == "softmax":
                s = [sum((a * b for a, b in zip(q[i], k[j])), arb(0)) / arb(m).sqrt()
                     for j in range(len(h))]
            else:
                s = [-arb(float(w["gamma"])) * sum(((a - b) ** 2 for a, b in zip(q[i], k[j])),
                                                   arb(0)) for j in range(len(h))]
            e = [t.exp() for t in s]
            z = sum(e, arb(0))
            att = [sum((e[j] / z * v[j][c] for j in range(len(h))), arb(0)) for c in range(m)]
            new.append([a + b for a, b in zip(h[i], att)])
        h = new
        h = [[a + b for a, b in zip(t, _lin(*blk["ff2"], [u.tanh() for u in
                                                          _lin(*blk["ff1"], t)]))] for t in h]
    return [_lin(*w["out"], t)[0] for t in h]


def arb_error(w, x) -> list[arb]:
    y = arb_model(w, x)
    xs = [arb(float(v)) for v in x]
    mean = (xs[0] + xs[1] + xs[2]) / 3
    return [y[i] - xs[i] * mean for i in range(3)]


@pytest.mark.parametrize("kind", ["softmax", "rbf"])
def test_box_bounds_contain_the_arb_error(kind):
    torch.manual_seed(3)
    w = TokenTransformer(3, 1, kind).double().weights()
    rng = np.random.default_rng(11)
    lo = rng.uniform(-1, 0.7, (12, 3))
    hi = lo + rng.uniform(0.05, 0.3, (12, 1))
    U, _ = ErrorBound(w, TARGET)(lo, hi)
    box = model_dual(w, Interval(lo, hi)).val
    for b in range(len(lo)):
        for _ in range(4):
            x = lo[b] + (hi[b] - lo[b]) * rng.uniform(size=3)
            y = arb_model(w, x)
            for i, yi in enumerate(y):  # the interval forward encloses the true value
                assert float(yi.lower()) <= box.hi[b, i] and box.lo[b, i] <= float(yi.upper())
            worst = max(float(abs(e).lower()) for e in arb_error(w, x))
            assert U[b] >= worst


@pytest.mark.parametrize("kind", ["softmax", "rbf"])
def test_certificate_is_never_below_the_arb_error(kind):
    torch.manual_seed(5)
    w = TokenTransformer(2, 1, kind).double().weights()
    cert = certify_box(ErrorBound(w, TARGET), -1.0, 1.0, 3, eps=50.0, max_leaves=2000)
    assert cert.status == "certified"
    rng = np.random.default_rng(2)
    pts = np.vstack([rng.uniform(-1, 1, (60, 3)), [[-1, -1, -1], [1, 1, 1], [1, -1, -1]]])
    worst = max(max(float(abs(e).lower()) for e in arb_error(w, x)) for x in pts)
    assert cert.upper >= worst
    # and a claim just below that rigorous value is never certified
    low = certify_box(ErrorBound(w, TARGET), -1.0, 1.0, 3, eps=worst * (1 - 1e-9),
                      max_leaves=500)
    assert low.status != "certified" and math.isfinite(worst)
