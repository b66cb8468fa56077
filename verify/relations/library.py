"""A library of relation functions: symmetric kernels (PD and not), asymmetric relations.

Every factory returns a symbolic :class:`~verify.relations.base.Relation`; parameters are baked
into the expression and recorded in ``params``. :data:`RELATIONS` maps short names to factories.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy

from verify.relations.base import Relation, dot, sq_dist, vector_symbols
from verify.relations.domain import Box


def _box(box: Box | tuple | list | None, default: Box) -> Box:
    """Accept a Box, ``(lo, hi)`` for a 1-D interval, or None (the default)."""
    if box is None:
        return default
    if isinstance(box, Box):
        return box
    lo, hi = box
    return Box(tuple(np.atleast_1d(lo)), tuple(np.atleast_1d(hi)))


def _syms(dx: int, dy: int) -> tuple[tuple[sympy.Symbol, ...], tuple[sympy.Symbol, ...]]:
    return vector_symbols("x", dx), vector_symbols("y", dy)


def _distance(xs, ys) -> sympy.Expr:
    """``|x - y|``: ``Abs`` in 1-D, the square root of the squared distance otherwise.

    In d > 1 the torch gradient at ``x == y`` is NaN (sqrt'(0) = inf times 0); in 1-D ``Abs``
    gives the subgradient 0 there.
    """
    if len(xs) == 1:
        return sympy.Abs(xs[0] - ys[0])
    return sympy.sqrt(sq_dist(xs, ys))


def _symmetric(name: str, expr_of, box: Box, params: dict) -> Relation:
    xs, ys = _syms(box.dim, box.dim)
    return Relation.from_sympy(name, expr_of(xs, ys), xs, ys, box, box, params=params)


def gaussian(lengthscale: float = 0.5, box: Box | None = None) -> Relation:
    r"""Gaussian (RBF) kernel :math:`\exp(-|x-y|^2 / (2\ell^2))`, positive definite."""
    box = _box(box, Box.cube(-1, 1, 1))
    ell = sympy.Float(lengthscale)
    return _symmetric(
        "gaussian",
        lambda xs, ys: sympy.exp(-sq_dist(xs, ys) / (2 * ell**2)),
        box,
        {"lengthscale": lengthscale},
    )


def laplace(lengthscale: float = 1.0, box: Box | None = None) -> Relation:
    r"""Laplace (exponential) kernel :math:`\exp(-|x-y| / \ell)`, positive definite."""
    box = _box(box, Box.cube(-1, 1, 1))
    ell = sympy.Float(lengthscale)
    return _symmetric(
        "laplace",
        lambda xs, ys: sympy.exp(-_distance(xs, ys) / ell),
        box,
        {"lengthscale": lengthscale},
    )


def brownian(box: Box | None = None) -> Relation:
    r"""Brownian-motion covariance :math:`\min(x, y)` on [0, 1] (PSD for x, y >= 0)."""
    box = _box(box, Box.interval(0, 1))
    if box.dim != 1:
        raise ValueError("brownian is 1-D")
    return _symmetric("brownian", lambda xs, ys: sympy.Min(xs[0], ys[0]), box, {})


def polynomial(c: float = 1.0, p: int = 2, box: Box | None = None) -> Relation:
    r"""Polynomial kernel :math:`(c + \langle x, y\rangle)^p` (PSD for :math:`c \ge 0`)."""
    box = _box(box, Box.cube(-1, 1, 1))
    return _symmetric(
        "polynomial",
        lambda xs, ys: (sympy.Float(c) + dot(xs, ys)) ** int(p),
        box,
        {"c": c, "p": int(p)},
    )


def neg_distance(box: Box | None = None) -> Relation:
    r""":math:`-|x - y|`: symmetric but not PSD.

    At the points {0, 1} of [0, 1] the Gram matrix [[0, -1], [-1, 0]] has eigenvalue -1.
    """
    box = _box(box, Box.interval(0, 1))
    return _symmetric("neg_distance", lambda xs, ys: -_distance(xs, ys), box, {})


def sigmoid_kernel(a: float = 1.0, c: float = 0.0, box: Box | None = None) -> Relation:
    r"""Sigmoid kernel :math:`\tanh(a\langle x, y\rangle + c)`; symmetric, not PSD in general.

    With the defaults (a = 1, c = 0, on [-1, 1]) it is not PSD: at the points {1, t} the 2x2
    Gram determinant is tanh(1) tanh(t^2) - tanh(t)^2 = (tanh(1) - 1) t^2 + O(t^4) < 0 for
    small t (ours; -0.027 at t = 0.5, checked numerically in the tests).
    """
    box = _box(box, Box.cube(-1, 1, 1))
    return _symmetric(
        "sigmoid_kernel",
        lambda xs, ys: sympy.tanh(sympy.Float(a) * dot(xs, ys) + sympy.Float(c)),
        box,
        {"a": a, "c": c},
    )


def difference(box: Box | None = None) -> Relation:
    """``x - y`` on [0, 1]^2 (dx = dy = 1): antisymmetric, exact rank 2."""
    box = _box(box, Box.interval(0, 1))
    xs, ys = _syms(1, 1)
    return Relation.from_sympy("difference", xs[0] - ys[0], xs, ys, box, box)


def tanh_difference(k: float = 5.0, box: Box | None = None) -> Relation:
    r""":math:`\tanh(k (x - y))` on [0, 1]^2: asymmetric (odd under swap), smooth."""
    box = _box(box, Box.interval(0, 1))
    xs, ys = _syms(1, 1)
    expr = sympy.tanh(sympy.Float(k) * (xs[0] - ys[0]))
    return Relation.from_sympy("tanh_difference", expr, xs, ys, box, box, params={"k": k})


def attention_kernel(d: int = 2, seed: int = 0, box: Box | None = None) -> Relation:
    r"""Attention score :math:`\exp(\langle W_q x, W_k y\rangle / \sqrt{d})`, asymmetric.

    :math:`W_q, W_k` are fixed ``d x d`` standard normal matrices drawn from ``seed``; their
    numbers are baked into the expression (and recorded in ``params``).
    """
    box = _box(box, Box.cube(-1, 1, d))
    if box.dim != d:
        raise ValueError(f"attention_kernel box has dim {box.dim}, expected {d}")
    rng = np.random.default_rng(seed)
    Wq = rng.standard_normal((d, d))
    Wk = rng.standard_normal((d, d))
    xs, ys = _syms(d, d)
    q = sympy.Matrix(Wq.tolist()).applyfunc(sympy.Float) * sympy.Matrix(xs)
    k = sympy.Matrix(Wk.tolist()).applyfunc(sympy.Float) * sympy.Matrix(ys)
    expr = sympy.exp((q.T * k)[0, 0] / sympy.sqrt(d))
    params = {"d": d, "seed": seed, "Wq": Wq.tolist(), "Wk": Wk.tolist()}
    return Relation.from_sympy("attention_kernel", expr, xs, ys, box, box, params=params)


def step(box: Box | None = None) -> Relation:
    r"""The indicator :math:`1[x < y]` on [0, 1]^2 (discontinuous on the diagonal)."""
    box = _box(box, Box.interval(0, 1))
    xs, ys = _syms(1, 1)
    expr = sympy.Piecewise((sympy.Integer(1), xs[0] < ys[0]), (sympy.Integer(0), True))
    return Relation.from_sympy("step", expr, xs, ys, box, box)


def mixed_dims(x_box: Box | None = None, y_box: Box | None = None) -> Relation:
    r""":math:`\sin(x_0 + 2 x_1 - y_0)`, x in [0, 1]^2, y in [0, 1] (dx = 2, dy = 1)."""
    x_box = _box(x_box, Box.cube(0, 1, 2))
    y_box = _box(y_box, Box.interval(0, 1))
    xs, ys = _syms(2, 1)
    expr = sympy.sin(xs[0] + 2 * xs[1] - ys[0])
    return Relation.from_sympy("mixed_dims", expr, xs, ys, x_box, y_box)


#: Factories by short name.
RELATIONS: dict[str, Callable[..., Relation]] = {
    "gaussian": gaussian,
    "laplace": laplace,
    "brownian": brownian,
    "polynomial": polynomial,
    "neg_distance": neg_distance,
    "sigmoid": sigmoid_kernel,
    "difference": difference,
    "tanh_difference": tanh_difference,
    "attention": attention_kernel,
    "step": step,
    "mixed_dims": mixed_dims,
}

#: Names of the symmetric kernels that are positive semi-definite on their default boxes.
PSD_KERNELS: tuple[str, ...] = ("gaussian", "laplace", "brownian", "polynomial")


def get_relation(name: str, **kwargs) -> Relation:
    """``RELATIONS[name](**kwargs)`` with a clear error for unknown names."""
    try:
        factory = RELATIONS[name]
    except KeyError:
        raise KeyError(f"unknown relation {name!r}; known: {sorted(RELATIONS)}") from None
    return factory(**kwargs)
