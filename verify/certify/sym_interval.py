"""Interval enclosures of sympy expressions over batches of boxes (ours).

:func:`compile_interval` walks a sympy expression tree once and returns a callable that,
given a dict ``{symbol: Interval}`` (each a batch of intervals), returns an
:class:`~verify.certify.interval.Interval` enclosing the expression's value over every
box of the batch.  Supported nodes: numbers (Integer, Rational, Float, pi, E), symbols,
Add, Mul, Pow (integer, rational, real exponents; sqrt), exp, log, tanh, sin, cos, Abs,
Min, Max, sign, Heaviside, Piecewise (relational conditions <, <=, >, >=, And/Or of them,
True).  Anything else raises :class:`UnsupportedNode` naming the node.

Derivatives: :func:`compile_gradient` differentiates with ``sympy.diff`` and encloses each
partial.  ``sympy.diff`` silently drops jumps of ``Piecewise`` (it differentiates branch by
branch), so in gradient mode a Piecewise whose condition is undecided on a box returns
``[-inf, inf]`` there, which keeps mean-value forms sound across possible discontinuities.
Heaviside/sign in a relation differentiate to DiracDelta, which is unsupported and raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp

from .interval import Interval

Env = dict[sp.Symbol, Interval]
Evaluator = Callable[[Env], Interval]


class UnsupportedNode(NotImplementedError):
    """A sympy node that the interval evaluator does not know."""


_UNARY: dict[type, Callable[[Interval], Interval]] = {
    sp.exp: Interval.exp,
    sp.log: Interval.log,
    sp.tanh: Interval.tanh,
    sp.sin: Interval.sin,
    sp.cos: Interval.cos,
    sp.Abs: Interval.abs,
    sp.sign: Interval.sign,
    sp.Heaviside: Interval.heaviside,
}


def _truth(cond: sp.Basic, env: Env, cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """(definitely true, definitely false) masks of a condition over each box."""
    if cond is sp.true or cond == True:  # noqa: E712 - sympy BooleanTrue
        return np.array(True), np.array(False)
    if cond is sp.false or cond == False:  # noqa: E712
        return np.array(False), np.array(True)
    if isinstance(cond, sp.And):
        parts = [_truth(a, env, cache) for a in cond.args]
        return np.logical_and.reduce([p[0] for p in parts]), np.logical_or.reduce(
            [p[1] for p in parts]
        )
    if isinstance(cond, sp.Or):
        parts = [_truth(a, env, cache) for a in cond.args]
        return np.logical_or.reduce([p[0] for p in parts]), np.logical_and.reduce(
            [p[1] for p in parts]
        )
    if isinstance(cond, sp.Not):
        t, f = _truth(cond.args[0], env, cache)
        return f, t
    if isinstance(cond, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)):
        d = _eval(cond.rhs - cond.lhs, env, cache, False)  # rhs - lhs
        if isinstance(cond, sp.StrictLessThan):  # lhs < rhs  <=> d > 0
            return d.lo > 0, d.hi <= 0
        if isinstance(cond, sp.LessThan):  # d >= 0
            return d.lo >= 0, d.hi < 0
        if isinstance(cond, sp.StrictGreaterThan):  # d < 0
            return d.hi < 0, d.lo >= 0
        return d.hi <= 0, d.lo > 0  # GreaterThan: d <= 0
    raise UnsupportedNode(f"unsupported Piecewise condition {type(cond).__name__}: {cond}")


def _eval(e: sp.Basic, env: Env, cache: dict, strict_piecewise: bool) -> Interval:
    hit = cache.get(e)
    if hit is not None:
        return hit
    out = _eval_uncached(e, env, cache, strict_piecewise)
    cache[e] = out
    return out


def _eval_uncached(e: sp.Basic, env: Env, cache: dict, strict: bool) -> Interval:
    if isinstance(e, sp.Symbol):
        if e not in env:
            raise KeyError(f"no interval given for symbol {e}")
        return env[e]
    if isinstance(e, sp.Integer):
        return Interval.rational(int(e.p), 1)
    if isinstance(e, sp.Rational):
        return Interval.rational(int(e.p), int(e.q))
    if isinstance(e, sp.Float):
        return Interval.const(float(e))
    if e in (sp.pi, sp.E) or isinstance(e, sp.NumberSymbol):
        return Interval.const(float(e))
    if isinstance(e, sp.Add):
        acc = _eval(e.args[0], env, cache, strict)
        for a in e.args[1:]:
            acc = acc + _eval(a, env, cache, strict)
        return acc
    if isinstance(e, sp.Mul):
        acc = _eval(e.args[0], env, cache, strict)
        for a in e.args[1:]:
            acc = acc * _eval(a, env, cache, strict)
        return acc
    if isinstance(e, sp.Pow):
        base, ex = e.args
        if base is sp.E:
            return _eval(ex, env, cache, strict).exp()
        b = _eval(base, env, cache, strict)
        if isinstance(ex, sp.Integer):
            return b.ipow(int(ex))
        if ex == sp.Rational(1, 2):
            return b.sqrt()
        if ex == sp.Rational(-1, 2):
            return b.sqrt().reciprocal()
        if ex.is_number and ex.is_real:
            # real exponent: principal branch is real only for x >= 0; negative parts of
            # the base are cut off (nan where the whole interval is negative).
            if isinstance(ex, sp.Rational) and _float_exact(ex):
                return b.rpow(float(ex))
            return _real_pow(b, ex)
        # general x**y = exp(y log x)
        return (_eval(ex, env, cache, strict) * b.log()).exp()
    if isinstance(e, (sp.Min, sp.Max)):
        vals = [_eval(a, env, cache, strict) for a in e.args]
        acc = vals[0]
        for v in vals[1:]:
            acc = acc.minimum(v) if isinstance(e, sp.Min) else acc.maximum(v)
        return acc
    if isinstance(e, sp.Piecewise):
        return _piecewise(e, env, cache, strict)
    f = _UNARY.get(type(e)) or next((fn for cls, fn in _UNARY.items() if isinstance(e, cls)), None)
    if f is not None and (len(e.args) == 1 or isinstance(e, sp.Heaviside)):
        return f(_eval(e.args[0], env, cache, strict))
    raise UnsupportedNode(f"unsupported sympy node {type(e).__name__}: {e}")


def _float_exact(ex: sp.Rational) -> bool:
    return sp.Rational(float(ex)) == ex


def _real_pow(b: Interval, ex) -> Interval:
    """x**p for an exponent p that floats cannot hold exactly: enclose p and use
    exp(p log x) on the x > 0 part (ours)."""
    p = Interval.const(float(ex))
    if np.all(b.lo > 0):
        return (p * b.log()).exp()
    raise UnsupportedNode(f"power with inexact exponent {ex} on a base reaching 0")


def _piecewise(e: sp.Piecewise, env: Env, cache: dict, strict: bool) -> Interval:
    """Walk the (expr, cond) pairs: a box takes the first branch whose condition is
    definitely true; undecided boxes take the hull of every branch that may apply
    (or [-inf, inf] in strict/gradient mode, see module docstring)."""
    shape = np.broadcast_shapes(*[v.shape for v in env.values()]) if env else ()
    lo = np.full(shape, np.nan)
    hi = np.full(shape, np.nan)
    settled = np.zeros(shape, dtype=bool)
    undecided_seen = np.zeros(shape, dtype=bool)
    for expr, cond in e.args:
        t, f = _truth(cond, env, cache)
        t = np.broadcast_to(t, shape)
        f = np.broadcast_to(f, shape)
        maybe = ~settled & ~f
        if np.any(maybe):
            v = _eval(expr, env, cache, strict)
            vlo = np.broadcast_to(v.lo, shape)
            vhi = np.broadcast_to(v.hi, shape)
            # nan (branch undefined on the box) where the branch may apply: no information
            vlo = np.where(np.isnan(vlo), -np.inf, vlo)
            vhi = np.where(np.isnan(vhi), np.inf, vhi)
            lo = np.where(maybe, np.fmin(lo, vlo), lo)
            hi = np.where(maybe, np.fmax(hi, vhi), hi)
        undecided_seen |= maybe & ~t
        settled |= t
    if strict:
        lo = np.where(undecided_seen, -np.inf, lo)
        hi = np.where(undecided_seen, np.inf, hi)
    # boxes never settled may fall outside every branch (sympy: undefined) -> nan
    lo = np.where(settled | undecided_seen, lo, np.nan)
    hi = np.where(settled | undecided_seen, hi, np.nan)
    return Interval(lo, hi)


def realify(expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Symbol, sp.Symbol]]:
    """Replace free symbols by real symbols of the same name (so that diff of Abs gives
    sign, not re/im); returns the new expression and the old->new map."""
    m = {s: sp.Symbol(s.name, real=True) for s in expr.free_symbols if not s.is_real}
    return (expr.xreplace(m) if m else expr), m


def compile_interval(
    expr: sp.Expr, syms: Sequence[sp.Symbol], *, strict_piecewise: bool = False
) -> Callable[[Interval], Interval]:
    """Return ``f(Z) -> Interval`` where ``Z`` is an Interval of shape (B, len(syms)):
    column i is the interval of ``syms[i]``; the result has shape (B,).

    Raises :class:`UnsupportedNode` at compile time if a node is unsupported (checked by
    a trial evaluation on a point box)."""
    expr = sp.sympify(expr)
    names = {s.name: i for i, s in enumerate(syms)}
    extra = [s for s in expr.free_symbols if s.name not in names]
    if extra:
        raise ValueError(f"expression has free symbols {extra} not among {list(syms)}")
    by_name = {s: names[s.name] for s in expr.free_symbols}

    def f(Z: Interval) -> Interval:
        env = {s: Z[..., i] for s, i in by_name.items()}
        B = Z.shape[:-1]
        out = _eval(expr, env, {}, strict_piecewise)
        return Interval(np.broadcast_to(out.lo, B).copy(), np.broadcast_to(out.hi, B).copy())

    f(Interval.point(np.zeros((1, len(syms)))))  # fail early on unsupported nodes
    return f


def compile_interval_many(
    exprs: Sequence[sp.Expr], syms: Sequence[sp.Symbol], *, strict_piecewise: bool = True
) -> Callable[[Interval], Interval]:
    """Like :func:`compile_interval` for a list of expressions sharing one cache of common
    subexpressions (derivatives of one relation share most of their tree); the result
    has shape (B, len(exprs))."""
    exprs = [sp.sympify(e) for e in exprs]
    names = {s.name: i for i, s in enumerate(syms)}
    free = set().union(*(e.free_symbols for e in exprs)) if exprs else set()
    extra = [s for s in free if s.name not in names]
    if extra:
        raise ValueError(f"expression has free symbols {extra} not among {list(syms)}")
    by_name = {s: names[s.name] for s in free}

    def f(Z: Interval) -> Interval:
        env = {s: Z[..., i] for s, i in by_name.items()}
        B = Z.shape[:-1]
        cache: dict = {}
        outs = [_eval(e, env, cache, strict_piecewise) for e in exprs]
        lo = np.stack([np.broadcast_to(o.lo, B) for o in outs], -1)
        hi = np.stack([np.broadcast_to(o.hi, B) for o in outs], -1)
        return Interval(lo, hi)

    f(Interval.point(np.zeros((1, len(syms)))))  # fail early on unsupported nodes
    return f


def compile_gradient(expr: sp.Expr, syms: Sequence[sp.Symbol]) -> Callable[[Interval], Interval]:
    """Enclosure of the gradient (B, len(syms)) of ``expr`` over each box (strict Piecewise)."""
    rexpr, m = realify(sp.sympify(expr))
    rsyms = [m.get(s, s) for s in syms]
    parts = [compile_interval(sp.diff(rexpr, s), rsyms, strict_piecewise=True) for s in rsyms]

    def g(Z: Interval) -> Interval:
        vals = [p(Z) for p in parts]
        return Interval(np.stack([v.lo for v in vals], -1), np.stack([v.hi for v in vals], -1))

    return g


def compile_hessian(expr: sp.Expr, syms: Sequence[sp.Symbol]) -> Callable[[Interval], Interval]:
    """Enclosure of the Hessian (B, D, D) of ``expr`` over each box (strict Piecewise).
    Raises :class:`UnsupportedNode` if a second derivative has an unsupported node (e.g.
    DiracDelta from Abs, Min, Max, sign), i.e. when r may not be C^2."""
    rexpr, m = realify(sp.sympify(expr))
    rsyms = [m.get(s, s) for s in syms]
    D = len(rsyms)
    first = [sp.diff(rexpr, s) for s in rsyms]
    parts = {
        (i, j): compile_interval(sp.diff(first[i], rsyms[j]), rsyms, strict_piecewise=True)
        for i in range(D)
        for j in range(i, D)
    }

    def h(Z: Interval) -> Interval:
        B = Z.shape[:-1]
        lo = np.empty(B + (D, D))
        hi = np.empty(B + (D, D))
        for (i, j), p in parts.items():
            v = p(Z)
            lo[..., i, j] = lo[..., j, i] = v.lo
            hi[..., i, j] = hi[..., j, i] = v.hi
        return Interval(lo, hi)

    return h
