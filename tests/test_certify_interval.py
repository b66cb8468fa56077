"""Interval arithmetic and sympy enclosures versus python-flint arb (rigorous balls)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from flint import arb, ctx

from verify.certify.interval import Interval, isum, matvec
from verify.certify.sym_interval import UnsupportedNode, compile_gradient, compile_interval


@pytest.fixture(autouse=True)
def _prec():
    old = ctx.prec
    ctx.prec = 200
    yield
    ctx.prec = old


def _inside(iv_lo: float, iv_hi: float, ball: arb) -> bool:
    """The arb ball lies inside [lo, hi] (rigorous comparisons)."""
    return bool(arb(iv_lo) <= ball) and bool(ball <= arb(iv_hi))


def _sigmoid(a: arb) -> arb:
    return 1 / (1 + (-a).exp())


def _softplus(a: arb) -> arb:
    return (1 + a.exp()).log()


UNARY = {
    "exp": (Interval.exp, lambda a: a.exp(), (-30, 30)),
    "log": (Interval.log, lambda a: a.log(), (1e-3, 50)),
    "tanh": (Interval.tanh, lambda a: a.tanh(), (-20, 20)),
    "sigmoid": (Interval.sigmoid, _sigmoid, (-40, 40)),
    "softplus": (Interval.softplus, _softplus, (-40, 40)),
    "sqrt": (Interval.sqrt, lambda a: a.sqrt(), (0, 100)),
    "sin": (Interval.sin, lambda a: a.sin(), (-20, 20)),
    "cos": (Interval.cos, lambda a: a.cos(), (-20, 20)),
    "square": (Interval.square, lambda a: a * a, (-5, 5)),
    "cube": (lambda v: v.ipow(3), lambda a: a * a * a, (-5, 5)),
    "pow4": (lambda v: v.ipow(4), lambda a: a**4, (-5, 5)),
    "pow-2": (lambda v: v.ipow(-2), lambda a: 1 / (a * a), (0.1, 5)),
    "abs": (Interval.abs, lambda a: abs(a), (-5, 5)),
    "relu": (Interval.relu, lambda a: a if a > 0 else arb(0), (-5, 5)),
    "rpow1.5": (lambda v: v.rpow(1.5), lambda a: a ** arb(1.5), (0, 10)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_enclose_arb_values(name):
    f_iv, f_arb, (a, b) = UNARY[name]
    rng = np.random.default_rng(hash(name) % 2**32)
    n = 300
    lo = rng.uniform(a, b, n)
    hi = np.minimum(lo + rng.exponential(0.5, n) * rng.integers(0, 2, n), b)  # some point intervals
    out = f_iv(Interval(lo, hi))
    for i in range(n):
        for t in (0.0, 1.0, rng.uniform()):
            x = lo[i] + t * (hi[i] - lo[i])
            x = min(max(x, lo[i]), hi[i])
            assert _inside(out.lo[i], out.hi[i], f_arb(arb(float(x)))), (name, lo[i], hi[i], x)


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_binary_ops_enclose_arb_values(op):
    rng = np.random.default_rng(1)
    n = 300
    alo = rng.normal(size=n) * 3
    ahi = alo + rng.exponential(size=n)
    blo = rng.normal(size=n) * 3
    bhi = blo + rng.exponential(size=n)
    if op == "/":
        blo = np.abs(blo) + 0.1
        bhi = blo + rng.exponential(size=n)
    A, B = Interval(alo, ahi), Interval(blo, bhi)
    out = {"+": A + B, "-": A - B, "*": A * B, "/": A / B}[op]
    for i in range(n):
        for s, t in ((0, 0), (1, 1), (0, 1), (rng.uniform(), rng.uniform())):
            x = arb(float(alo[i] + s * (ahi[i] - alo[i])))
            y = arb(float(blo[i] + t * (bhi[i] - blo[i])))
            if not (alo[i] <= float(x.mid()) <= ahi[i] and blo[i] <= float(y.mid()) <= bhi[i]):
                continue
            v = {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op]
            assert _inside(out.lo[i], out.hi[i], v)


def test_square_is_computed_from_endpoints():
    sq = Interval(np.array([0.25, -0.5, -3.0]), np.array([0.75, 0.5, -2.0])).square()
    np.testing.assert_allclose(sq.lo, [0.0625, 0.0, 4.0], rtol=1e-15)
    np.testing.assert_allclose(sq.hi, [0.5625, 0.25, 9.0], rtol=1e-15)
    assert sq.lo[1] == 0.0


def test_sin_cos_extrema_inside_interval():
    s = Interval(np.array([1.0, 4.0, 0.1]), np.array([2.0, 5.0, 0.2])).sin()
    assert s.hi[0] == 1.0 and s.lo[0] > 0.84  # pi/2 inside
    assert s.lo[1] == -1.0  # 3pi/2 inside
    assert s.hi[2] < 0.2 and s.lo[2] > 0.09
    c = Interval(np.array([-0.1, 3.0]), np.array([0.1, 3.2])).cos()
    assert c.hi[0] == 1.0 and c.lo[1] == -1.0


def test_matvec_and_sum_enclose_exact_products():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(5, 7))
    b = rng.normal(size=5)
    lo = rng.normal(size=(20, 7))
    hi = lo + rng.exponential(size=(20, 7)) * 0.1
    Y = matvec(W, Interval(lo, hi), b)
    for k in range(20):
        x = lo[k] + rng.uniform(size=7) * (hi[k] - lo[k])
        x = np.clip(x, lo[k], hi[k])
        for j in range(5):
            v = arb(float(b[j]))
            for i in range(7):
                v += arb(float(W[j, i])) * arb(float(x[i]))
            assert _inside(Y.lo[k, j], Y.hi[k, j], v)
    S = isum(Interval(lo, hi), axis=-1)
    for k in range(20):
        assert _inside(S.lo[k], S.hi[k], sum((arb(float(v)) for v in lo[k]), arb(0)))


X0, Y0, X1 = sp.symbols("x0 y0 x1", real=True)
EXPRS = [
    sp.exp(-((X0 - Y0) ** 2) / (2 * sp.Rational(1, 4))),
    sp.tanh(5 * (X0 - Y0)),
    sp.sqrt(1 + X0**2) * sp.cos(Y0) - sp.sin(X0 * Y0) / 3,
    sp.Abs(X0 - Y0) + sp.Min(X0, Y0) * sp.Max(X0, X1),
    sp.log(2 + X0 * Y0) + X1 ** sp.Rational(3, 2) / 7 + sp.pi * X0,
    sp.Piecewise((X0 * Y0, X0 < Y0), (Y0**2, True)),
]


def _arb_eval(expr, vals):
    f = sp.lambdify(
        list(vals),
        expr,
        modules=[
            {
                "exp": lambda a: a.exp(),
                "tanh": lambda a: a.tanh(),
                "sqrt": lambda a: a.sqrt(),
                "cos": lambda a: a.cos(),
                "sin": lambda a: a.sin(),
                "log": lambda a: a.log(),
                "Abs": abs,
                "Min": min,
                "Max": max,
                "pi": arb.pi(),
                "select": None,
            },
            "math",
        ],
    )
    return f(*[arb(float(v)) for v in vals.values()])


def test_the_fractional_power_term_survives_sympy():
    """EXPRS[4] exercises the x^(3/2) path: sympy must not have simplified the term away."""
    assert any(isinstance(a, sp.Pow) and a.exp == sp.Rational(3, 2)
               for a in sp.preorder_traversal(EXPRS[4]))


@pytest.mark.parametrize("k", range(len(EXPRS) - 1))
def test_sympy_enclosure_contains_arb_values(k):
    expr = EXPRS[k]
    syms = [X0, Y0, X1]
    f = compile_interval(expr, syms)
    rng = np.random.default_rng(k)
    lo = rng.uniform(-0.9, 0.9, size=(100, 3))
    lo[:, 2] = np.abs(lo[:, 2])
    hi = lo + rng.exponential(0.2, size=(100, 3))
    out = f(Interval(lo, hi))
    for i in range(100):
        p = lo[i] + rng.uniform(size=3) * (hi[i] - lo[i])
        v = _arb_eval(expr, dict(zip(syms, p)))
        assert _inside(out.lo[i], out.hi[i], v), (expr, p)


def test_piecewise_and_gradient_strictness():
    expr = EXPRS[-1]
    f = compile_interval(expr, [X0, Y0])
    out = f(
        Interval(
            np.array([[0.1, 0.5], [0.5, 0.1], [0.2, 0.2]]),
            np.array([[0.2, 0.6], [0.6, 0.2], [0.3, 0.3]]),
        )
    )
    assert out.lo[0] >= 0.05 - 1e-12 and out.hi[0] <= 0.12 + 1e-12  # branch x*y
    assert out.lo[1] >= 0.01 - 1e-12 and out.hi[1] <= 0.04 + 1e-12  # branch y^2
    g = compile_gradient(expr, [X0, Y0])(Interval(np.array([[0.2, 0.2]]), np.array([[0.3, 0.3]])))
    assert np.isinf(g.lo).all() and np.isinf(g.hi).all()  # possible jump: no finite gradient


def test_gradient_of_gaussian_encloses_sympy_derivative():
    expr = EXPRS[0]
    g = compile_gradient(expr, [X0, Y0])
    rng = np.random.default_rng(5)
    lo = rng.uniform(-1, 1, size=(50, 2))
    hi = lo + 0.05
    G = g(Interval(lo, hi))
    d0 = sp.lambdify([X0, Y0], sp.diff(expr, X0))
    for i in range(50):
        p = lo[i] + rng.uniform(size=2) * 0.05
        v = d0(*p)
        assert G.lo[i, 0] - 1e-12 <= v <= G.hi[i, 0] + 1e-12


def test_unsupported_nodes_are_named():
    with pytest.raises(UnsupportedNode, match="floor"):
        compile_interval(sp.floor(X0), [X0])
    with pytest.raises(UnsupportedNode, match="DiracDelta"):
        compile_gradient(sp.Heaviside(X0 - Y0), [X0, Y0])
