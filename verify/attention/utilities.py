"""Query-dependent utility families ``u(x, y) = u_x(y)`` for attention-as-retrieval.

In the attention theorem of Altabaa & Lafferty (arXiv 2402.08856; cited as Theorem 5.1 in
arXiv 2405.16727) each query ``x`` carries a preorder ``≼_x`` on keys, represented (Debreu) by a
utility ``u_x``; the theorem assumes ``u(x, y) = u_x(y)`` jointly continuous. Every family here is
a symbolic :class:`~verify.relations.Relation` (x = query, y = key), so the numpy, torch and
sympy evaluators of the contract (docs/CONTRACTS.md) come for free.

* :func:`nearest_key`: ``-|x - y|^2`` (select the nearest key), jointly continuous.
* :func:`bilinear`: ``x^T A y`` with a fixed random ``A`` from a seed, jointly continuous.
* :func:`plateau`: ``-max(|x - y|^2 - c, 0)``, continuous with indifference regions (all keys
  within distance ``sqrt(c)`` of the query tie), to exercise ties.
* :func:`separately_continuous`: ``xy / (x^2 + y^2)`` (0 at the origin), continuous in each
  variable separately but not jointly (the classical counterexample), violating the hypothesis.
* :func:`axis_reversed`: nearest key with the preference along one key axis reversed (a
  negative control for retrieval checks: exact nearest-key features must disagree with it).
* :func:`bump_reversed`: nearest key plus a bump preferring keys near a centre (a milder
  control that reverses only some preferences).
* :func:`jump_in_y`: nearest key plus a step in ``y_0`` (not continuous in ``y``; control).
* comparison functions ``prefers(x, a, b)`` (``a ≼_x b``): :func:`manhattan_prefers` (a complete
  preorder), :func:`pareto_prefers` (not complete), :func:`cyclic_prefers` (not transitive).
"""

from __future__ import annotations

import math

import numpy as np
import sympy

from verify.relations import Box, Relation, dot, sq_dist, vector_symbols

__all__ = [
    "UTILITIES",
    "axis_reversed",
    "bilinear",
    "bilinear_matrix",
    "bump_reversed",
    "cyclic_prefers",
    "get_utility",
    "jump_in_y",
    "manhattan_prefers",
    "nearest_key",
    "pareto_prefers",
    "plateau",
    "separately_continuous",
]


def _cube(d: int, box: Box | None) -> Box:
    box = Box.cube(-1.0, 1.0, d) if box is None else box
    if box.dim != d:
        raise ValueError(f"box has dimension {box.dim}, expected {d}")
    return box


def nearest_key(d: int = 2, box: Box | None = None) -> Relation:
    r"""Nearest-key utility :math:`u(x, y) = -\|x - y\|^2` on ``box`` (default :math:`[-1,1]^d`).

    It is an exact inner product (ours, elementary): :math:`-\|x-y\|^2 = \langle \phi(x),
    \psi(y)\rangle` with :math:`\phi(x) = (\sqrt2 x, -\|x\|^2, 1)`, :math:`\psi(y) = (\sqrt2 y,
    1, -\|y\|^2)`; see :func:`verify.attention.features.nearest_key_features`.
    """
    box = _cube(d, box)
    xs, ys = vector_symbols("x", d), vector_symbols("y", d)
    return Relation.from_sympy("nearest_key", -sq_dist(xs, ys), xs, ys, box, box, params={"d": d})


def bilinear_matrix(d: int = 4, seed: int = 0) -> np.ndarray:
    """The fixed ``d x d`` matrix of :func:`bilinear`: standard normal entries / ``sqrt(d)``."""
    return np.random.default_rng(seed).standard_normal((d, d)) / np.sqrt(d)


def bilinear(d: int = 4, seed: int = 0, box: Box | None = None) -> Relation:
    r"""Bilinear utility :math:`u(x, y) = x^\top A y`, ``A = bilinear_matrix(d, seed)``.

    Exact inner product :math:`\langle A^\top x, y\rangle`. The numbers of ``A`` are baked into the
    expression (as sympy Floats) and recorded in ``params``.
    """
    box = _cube(d, box)
    A = bilinear_matrix(d, seed)
    xs, ys = vector_symbols("x", d), vector_symbols("y", d)
    Ax = sympy.Matrix(A.T.tolist()).applyfunc(sympy.Float) * sympy.Matrix(xs)
    expr = dot(list(Ax), ys)
    params = {"d": d, "seed": seed, "A": A.tolist()}
    return Relation.from_sympy("bilinear", expr, xs, ys, box, box, params=params)


def plateau(d: int = 2, c: float = 0.1, box: Box | None = None) -> Relation:
    r"""Plateau utility :math:`u(x, y) = -\max(\|x - y\|^2 - c, 0)`: continuous, with ties.

    Every key within distance :math:`\sqrt c` of the query has the maximal utility 0, so the
    preorder ``≼_x`` has a non-trivial top indifference class and the margin ``η`` is 0 whenever
    two keys fall into it.
    """
    if c < 0:
        raise ValueError(f"plateau needs c >= 0, got c={c}")
    box = _cube(d, box)
    xs, ys = vector_symbols("x", d), vector_symbols("y", d)
    expr = -sympy.Max(sq_dist(xs, ys) - sympy.Float(c), 0)
    return Relation.from_sympy("plateau", expr, xs, ys, box, box, params={"d": d, "c": c})


def separately_continuous(box: Box | None = None) -> Relation:
    r""":math:`u(x, y) = xy/(x^2 + y^2)`, :math:`u(0, 0) = 0`, on :math:`[-1, 1]^2` (1-D x and y).

    For each fixed ``x`` the map ``y -> u(x, y)`` is continuous (and symmetrically), but
    ``u(1/n, 1/n) = 1/2`` does not tend to ``u(0, 0) = 0``: the joint-continuity hypothesis of the
    attention theorem fails. See :func:`verify.attention.hypotheses.path_discontinuity`.
    """
    box = Box.cube(-1.0, 1.0, 1) if box is None else box
    if box.dim != 1:
        raise ValueError(f"separately_continuous is defined for 1-D x and y, got dim {box.dim}")
    (x,), (y,) = vector_symbols("x", 1), vector_symbols("y", 1)
    r2 = x**2 + y**2
    expr = sympy.Piecewise((x * y / r2, sympy.Ne(r2, 0)), (sympy.Integer(0), True))
    return Relation.from_sympy("separately_continuous", expr, (x,), (y,), box, box)


def axis_reversed(d: int = 2, axis: int = 0, box: Box | None = None) -> Relation:
    r"""Nearest key with the preference along key axis ``axis`` reversed (negative control).

    :math:`u(x, y) = +(x_a - y_a)^2 - \sum_{i \ne a} (x_i - y_i)^2`: keys far from the query along
    axis ``a`` are now preferred. Exact nearest-key features select differently on some draws.
    """
    if not 0 <= axis < d:
        raise ValueError(f"axis must be in [0, {d}), got {axis}")
    box = _cube(d, box)
    xs, ys = vector_symbols("x", d), vector_symbols("y", d)
    expr = -sq_dist(xs, ys) + 2 * (xs[axis] - ys[axis]) ** 2
    params = {"d": d, "axis": axis}
    return Relation.from_sympy("axis_reversed", expr, xs, ys, box, box, params=params)


def bump_reversed(
    d: int = 2,
    center: tuple[float, ...] | None = None,
    radius: float = 0.25,
    height: float = 0.3,
    box: Box | None = None,
) -> Relation:
    r"""Nearest key plus a continuous bump that makes keys near ``center`` preferred (control).

    :math:`u(x, y) = -\|x - y\|^2 + h \max(0, 1 - \|y - c\|^2/\rho^2)`: jointly continuous,
    but it reverses the nearest-key preference between a key inside the bump and some nearer key
    outside it, so exact nearest-key features select differently on some margin draws.
    """
    box = _cube(d, box)
    c = (0.0,) * d if center is None else tuple(center)
    if len(c) != d:
        raise ValueError(f"center has {len(c)} coordinates, expected {d}")
    xs, ys = vector_symbols("x", d), vector_symbols("y", d)
    cs = [sympy.Float(v) for v in c]
    bump = sympy.Max(0, 1 - sq_dist(ys, cs) / sympy.Float(radius) ** 2)
    expr = -sq_dist(xs, ys) + sympy.Float(height) * bump
    params = {"d": d, "center": list(c), "radius": radius, "height": height}
    return Relation.from_sympy("bump_reversed", expr, xs, ys, box, box, params=params)


def jump_in_y(d: int = 2, box: Box | None = None) -> Relation:
    """``−|x − y|² + [y_0 > 0]``: a preference that jumps across ``y_0 = 0`` (not continuous in
    ``y``; negative control)."""
    box = _cube(d, box)
    xs, ys = vector_symbols("x", d), vector_symbols("y", d)
    expr = -sq_dist(xs, ys) + sympy.Piecewise((1, ys[0] > 0), (0, True))
    return Relation.from_sympy("jump_in_y", expr, xs, ys, box, box, params={"d": d})


# -- comparison functions prefers(x, a, b) = "a ≼_x b" ----------------------------------------
def manhattan_prefers(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """``a ≼_x b`` ⇔ ``b`` is at least as close to ``x`` as ``a`` in ℓ1 (a complete preorder)."""
    return float(np.abs(b - x).sum()) <= float(np.abs(a - x).sum())


def pareto_prefers(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """``a ≼_x b`` ⇔ ``b`` is at least as close to ``x`` in *every* coordinate (a partial order:
    not complete)."""
    return bool(np.all(np.abs(b - x) <= np.abs(a - x)))


def cyclic_prefers(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Rock–paper–scissors by 30° angle slices around the query (the slices cycle rock, paper,
    scissors, so every 90° wedge holds all three): complete but not transitive."""

    def sector(k: np.ndarray) -> int:
        angle = math.atan2(k[1] - x[1], k[0] - x[0]) + math.pi  # in [0, 2π]
        return int(np.floor(6 * angle / math.pi)) % 3

    return (sector(b) - sector(a)) % 3 in (0, 1)


#: short name -> factory (keyword arguments pass through).
UTILITIES = {
    "nearest_key": nearest_key,
    "bilinear": bilinear,
    "plateau": plateau,
    "separately_continuous": separately_continuous,
    "axis_reversed": axis_reversed,
    "bump_reversed": bump_reversed,
    "jump_in_y": jump_in_y,
}


def get_utility(name: str, **kwargs) -> Relation:
    """Build a utility family by short name (see :data:`UTILITIES`)."""
    try:
        factory = UTILITIES[name]
    except KeyError:
        raise KeyError(f"unknown utility {name!r}; known: {sorted(UTILITIES)}") from None
    return factory(**kwargs)
