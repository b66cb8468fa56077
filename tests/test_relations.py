"""Tests for verify.relations: Box, Relation evaluators, the library, point-set strategies."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy
import torch
from hypothesis import given, settings

from verify.relations import (
    RELATIONS,
    Box,
    Relation,
    attention_kernel,
    brownian,
    difference,
    dot,
    gaussian,
    get_relation,
    laplace,
    mixed_dims,
    neg_distance,
    polynomial,
    sigmoid_kernel,
    sq_dist,
    step,
    tanh_difference,
    vector_symbols,
)
from verify.relations.strategies import point_sets

torch.set_num_threads(1)

X1, Y1 = vector_symbols("x", 1), vector_symbols("y", 1)
UNIT = Box.interval(0, 1)


# ------------------------------------------------------------------------------- Box
def test_box_validation():
    with pytest.raises(ValueError, match="lo < hi"):
        Box((0.0, 1.0), (1.0, 1.0))
    with pytest.raises(ValueError, match="differ in length"):
        Box((0.0,), (1.0, 2.0))
    with pytest.raises(ValueError):
        Box.cube(0, 1, 0)
    with pytest.raises(ValueError):
        Box((0.0,), (np.inf,))


def test_box_basics():
    b = Box.cube(-1, 1, 2)
    assert b.dim == 2 and b.lo == (-1.0, -1.0)
    np.testing.assert_array_equal(b.width, [2.0, 2.0])
    np.testing.assert_array_equal(b.center, [0.0, 0.0])
    g = b.grid(3)
    assert g.shape == (9, 2)
    assert {tuple(p) for p in g} >= {(-1.0, -1.0), (1.0, 1.0), (0.0, 0.0)}
    s1, s2 = b.sample(100, np.random.default_rng(3)), b.sample(100, 3)
    np.testing.assert_array_equal(s1, s2)  # seeded
    assert s1.shape == (100, 2) and b.contains(s1).all()
    assert not b.contains(np.array([[1.5, 0.0]]))[0]
    assert Box((0, 1), (2, 3)) == Box((0.0, 1.0), (2.0, 3.0))  # normalised to float tuples
    assert b.corners().shape == (4, 2)


# ------------------------------------------------------------------------ Relation
def test_from_sympy_params_and_describe():
    (x,), (y,) = X1, Y1
    a = sympy.Symbol("a")
    r = Relation.from_sympy(
        "g", sympy.exp(-a * (x - y) ** 2), X1, Y1, UNIT, UNIT, params={"a": 2.0}
    )
    assert r.is_symbolic and r.dx == 1 and r.dy == 1
    assert a not in r.expr.free_symbols
    val = r(np.array([[0.2]]), np.array([[0.7]]))
    np.testing.assert_allclose(val, [np.exp(-2.0 * 0.25)], rtol=1e-15)
    d = r.describe()
    json.dumps(d)
    assert d["params"] == {"a": 2.0} and "exp" in d["expression"] and "e^{" in d["latex"]
    assert d["x_box"] == {"lo": [0.0], "hi": [1.0]}


def test_from_sympy_rejects_stray_symbols_and_bad_dims():
    (x,), (y,) = X1, Y1
    with pytest.raises(ValueError, match="unsubstituted"):
        Relation.from_sympy("bad", x * sympy.Symbol("b"), X1, Y1, UNIT, UNIT)
    with pytest.raises(ValueError):
        Relation.from_sympy("bad", x - y, X1, Y1, Box.cube(0, 1, 2), UNIT)


@pytest.mark.parametrize(
    "expr_of, expected",
    [
        (lambda x, y: sympy.Min(x, y), lambda x, y: np.minimum(x, y)),
        (lambda x, y: sympy.Abs(x - y), lambda x, y: np.abs(x - y)),
        (lambda x, y: sympy.Heaviside(y - x), lambda x, y: np.heaviside(y - x, 0.5)),
        (
            lambda x, y: sympy.Piecewise((x, x < y), (sympy.Rational(3, 10), True)),
            lambda x, y: np.where(x < y, x, 0.3),
        ),
        (lambda x, y: sympy.Integer(3), lambda x, y: np.full_like(x, 3.0)),
        (lambda x, y: sympy.sqrt(2) * x + sympy.pi, lambda x, y: np.sqrt(2) * x + np.pi),
        (lambda x, y: sympy.Max(x, y, 0), lambda x, y: np.maximum(np.maximum(x, y), 0)),
    ],
)
def test_torch_evaluator_special_functions(expr_of, expected):
    (x,), (y,) = X1, Y1
    r = Relation.from_sympy("t", expr_of(x, y), X1, Y1, UNIT, UNIT)
    xs = np.array([0.1, 0.5, 0.9, 0.3])
    ys = np.array([0.5, 0.5, 0.2, 0.3])
    want = expected(xs, ys)
    np.testing.assert_allclose(r(xs[:, None], ys[:, None]), want, rtol=1e-15)
    for dtype in (torch.float64, torch.float32):
        xt = torch.tensor(xs[:, None], dtype=dtype, requires_grad=True)
        out = r.torch(xt, torch.tensor(ys[:, None], dtype=dtype))
        assert out.dtype == dtype and out.shape == (4,)
        np.testing.assert_allclose(
            out.detach().numpy(), want, rtol=1e-6 if dtype == torch.float32 else 1e-15
        )
        (g,) = torch.autograd.grad(out.sum(), xt)  # never "unused tensor", even for constants
        assert torch.isfinite(g).all()


def test_torch_gradient_matches_sympy_derivative():
    r = gaussian(0.5, Box.cube(-1, 1, 2))
    X, Y = r.x_box.sample(7, 0), r.y_box.sample(7, 1)
    xt = torch.tensor(X, requires_grad=True)
    (g,) = torch.autograd.grad(r.torch(xt, torch.tensor(Y)).sum(), xt)
    for i, s in enumerate(r.x_syms):
        dfun = sympy.lambdify((*r.x_syms, *r.y_syms), sympy.diff(r.expr, s), "numpy")
        np.testing.assert_allclose(g[:, i].numpy(), dfun(*X.T, *Y.T), rtol=1e-12)


def test_torch_batched_broadcasting_and_gram():
    r = mixed_dims()
    X, Y = r.x_box.sample(5, 0), r.y_box.sample(3, 1)
    G = r.gram(X, Y)
    assert G.shape == (5, 3)
    want = np.sin(X[:, 0:1] + 2 * X[:, 1:2] - Y[:, 0][None, :])
    np.testing.assert_allclose(G, want, rtol=1e-14)
    Gt = r.torch(torch.tensor(X)[:, None, :], torch.tensor(Y)[None, :, :])  # (5,1,2) x (1,3,1)
    assert Gt.shape == (5, 3)
    np.testing.assert_allclose(Gt.numpy(), want, rtol=1e-14)
    np.testing.assert_allclose(r.gram_torch(torch.tensor(X), torch.tensor(Y)).numpy(), want)
    np.testing.assert_allclose(r(X[:3], Y), np.diag(want[:3]), rtol=1e-14)
    with pytest.raises(ValueError):
        r(X, Y)  # paired needs equal n


def test_from_torch_relation():
    r = Relation.from_torch(
        "prod", lambda x, y: (x * y).sum(-1), Box.cube(0, 1, 2), Box.cube(0, 1, 2)
    )
    assert not r.is_symbolic and r.expr is None
    X = r.x_box.grid(3)
    np.testing.assert_allclose(r.gram(X, X), X @ X.T, rtol=1e-15)
    assert r.describe()["expression"] is None
    assert r.symmetric


@pytest.mark.parametrize("name", sorted(RELATIONS))
def test_library_numpy_torch_agree(name):
    r = get_relation(name)
    X, Y = r.x_box.sample(6, 0), r.y_box.sample(4, 1)
    G = r.gram(X, Y)
    Gt = r.gram_torch(torch.tensor(X), torch.tensor(Y)).numpy()
    assert G.shape == (6, 4) and G.dtype == np.float64
    np.testing.assert_allclose(G, Gt, rtol=1e-13, atol=1e-15)
    json.dumps(r.describe())


def test_library_values():
    a, b = np.array([[0.2]]), np.array([[0.7]])
    assert gaussian(0.5)(a, b)[0] == pytest.approx(np.exp(-0.25 / 0.5))
    assert laplace(2.0)(a, b)[0] == pytest.approx(np.exp(-0.25))
    assert brownian()(a, b)[0] == pytest.approx(0.2)
    assert polynomial(1.0, 3)(a, b)[0] == pytest.approx(1.14**3)
    assert neg_distance()(a, b)[0] == pytest.approx(-0.5)
    assert sigmoid_kernel(2.0, 0.5)(a, b)[0] == pytest.approx(np.tanh(0.78))
    assert difference()(a, b)[0] == pytest.approx(-0.5)
    assert tanh_difference(5.0)(a, b)[0] == pytest.approx(np.tanh(-2.5))
    np.testing.assert_array_equal(
        step()(np.array([[0.2], [0.7], [0.5]]), np.array([[0.7], [0.2], [0.5]])), [1, 0, 0]
    )
    r2 = laplace(1.0, Box.cube(0, 1, 2))
    assert r2(np.array([[0.0, 0.0]]), np.array([[0.3, 0.4]]))[0] == pytest.approx(np.exp(-0.5))
    md = mixed_dims()
    assert (md.dx, md.dy) == (2, 1)
    assert (difference().dx, difference().dy) == (1, 1)


def test_attention_kernel_uses_seeded_weights():
    r = attention_kernel(d=2, seed=0)
    Wq, Wk = np.array(r.params["Wq"]), np.array(r.params["Wk"])
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(Wq, rng.standard_normal((2, 2)))
    X, Y = r.x_box.sample(5, 2), r.y_box.sample(5, 3)
    want = np.exp(np.einsum("ni,ni->n", X @ Wq.T, Y @ Wk.T) / np.sqrt(2))
    np.testing.assert_allclose(r(X, Y), want, rtol=1e-13)
    assert attention_kernel(seed=1).params["Wq"] != r.params["Wq"]
    assert not r.symmetric


def test_symmetry_flags():
    for f in (gaussian, laplace, brownian, polynomial, neg_distance, sigmoid_kernel):
        assert f().symmetric, f.__name__
    for f in (difference, tanh_difference, step, mixed_dims, attention_kernel):
        assert not f().symmetric, f.__name__


def test_sigmoid_default_is_not_psd():
    # tanh(x y) on [-1, 1] at {1, 1/2}: det = tanh(1) tanh(1/4) - tanh(1/2)^2 < 0 (see docstring)
    r = sigmoid_kernel()
    P = np.array([[1.0], [0.5]])
    K = r.gram(P, P)
    assert np.linalg.det(K) == pytest.approx(np.tanh(1) * np.tanh(0.25) - np.tanh(0.5) ** 2)
    assert np.linalg.det(K) < -0.02


def test_vector_helpers():
    xs, ys = vector_symbols("x", 3), vector_symbols("y", 3)
    assert [str(s) for s in xs] == ["x0", "x1", "x2"] and xs[0].is_real
    assert sympy.expand(sq_dist(xs, ys) - (dot(xs, xs) - 2 * dot(xs, ys) + dot(ys, ys))) == 0
    with pytest.raises(ValueError):
        dot(xs, ys[:2])


def test_get_relation_unknown():
    with pytest.raises(KeyError, match="unknown relation"):
        get_relation("nope")


@settings(max_examples=30, deadline=None)
@given(point_sets(Box((-1.0, 0.0), (1.0, 2.0)), min_n=2, max_n=6))
def test_point_sets_strategy(P):
    assert P.ndim == 2 and P.shape[1] == 2 and 2 <= len(P) <= 6
    assert P.dtype == np.float64
    assert Box((-1.0, 0.0), (1.0, 2.0)).contains(P).all()


@pytest.mark.parametrize("name", ["gaussian", "step", "brownian", "laplace", "sigmoid"])
def test_torch_evaluator_follows_device(name):
    # the CPU build has no CUDA; the "meta" device still proves constants follow the input device
    r = get_relation(name)
    x = torch.empty(5, 1, device="meta", dtype=torch.float32)
    out = r.torch(x, x)
    assert out.device.type == "meta" and out.dtype == torch.float32 and out.shape == (5,)


def test_describe_numpy_params_json():
    (x,), (y,) = X1, Y1
    r = Relation.from_sympy(
        "p", x * y, X1, Y1, UNIT, UNIT, params={"W": np.eye(2), "k": np.int64(3)}
    )
    assert json.loads(json.dumps(r.describe()))["params"] == {"W": [[1.0, 0.0], [0.0, 1.0]], "k": 3}
