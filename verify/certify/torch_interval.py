"""Interval arithmetic and sympy-expression enclosures on torch tensors, on any device (ours).

The torch twin of :mod:`.interval` and :mod:`.sym_interval`, for the torch enclosure backend
(:mod:`.torch_taylor`). :class:`TInterval` holds float64 tensors ``lo``, ``hi`` on one device.
Rounding policy, the same as :mod:`.interval`:

* ``+, -, *, /, sqrt`` are correctly rounded in IEEE 754 (CPU and CUDA double precision alike,
  CUDA C Programming Guide, "Floating-Point Standard"), so moving each bound one ulp outward
  (``torch.nextafter``) encloses the exact result;
* ``exp, log, tanh`` are not correctly rounded; their documented errors are a few ulp
  (CUDA Math API: 1–2 ulp in double; SLEEF on the CPU: 1 ulp), far below the relative margin
  :data:`~verify.certify.interval.TRANSCENDENTAL_REL` (2^-40, 4096 ulp) plus
  :data:`~verify.certify.interval.TRANSCENDENTAL_ABS` that every such result is widened by.

:func:`compile_torch_many` evaluates a list of sympy expressions (derivatives of one relation,
sharing sub-expressions) over boxes; the nodes are numbers, symbols, Add, Mul, Pow (integer
exponents, ±1/2, base e), exp, log, tanh, Abs. Anything else raises
:class:`~verify.certify.sym_interval.UnsupportedNode` at compile time (the caller then keeps
the numpy evaluator, which knows more nodes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import sympy as sp
import torch

from .interval import TRANSCENDENTAL_ABS, TRANSCENDENTAL_REL
from .sym_interval import UnsupportedNode, realify

INF = math.inf


_INFS: dict[tuple[torch.device, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}


def _infs(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """0-dim ``(-inf, inf)`` on ``a``'s device (cached: one kernel launch less per rounding)."""
    key = (a.device, a.dtype)
    if key not in _INFS:
        _INFS[key] = (a.new_full((), -INF), a.new_full((), INF))
    return _INFS[key]


def down(a: torch.Tensor) -> torch.Tensor:
    """The next float below ``a`` (so the exact result of one correctly rounded op is above)."""
    return torch.nextafter(a, _infs(a)[0])


def up(a: torch.Tensor) -> torch.Tensor:
    return torch.nextafter(a, _infs(a)[1])


def _wlo(a: torch.Tensor) -> torch.Tensor:
    return down(a - a.abs() * TRANSCENDENTAL_REL - TRANSCENDENTAL_ABS)


def _whi(a: torch.Tensor) -> torch.Tensor:
    return up(a + a.abs() * TRANSCENDENTAL_REL + TRANSCENDENTAL_ABS)


def _nan_inf(lo: torch.Tensor, hi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """nan bounds (inf - inf, 0·inf) become infinite bounds: always sound."""
    return torch.nan_to_num(lo, nan=-INF, posinf=INF, neginf=-INF), torch.nan_to_num(
        hi, nan=INF, posinf=INF, neginf=-INF)


class TInterval:
    """A batch of closed intervals ``[lo, hi]`` (float64 tensors of one shape and device)."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo: torch.Tensor, hi: torch.Tensor):
        self.lo, self.hi = torch.broadcast_tensors(lo, hi)

    @staticmethod
    def point(x: torch.Tensor) -> TInterval:
        return TInterval(x, x)

    @staticmethod
    def const(value: float, like: torch.Tensor) -> TInterval:
        """Enclosure of a real constant held as a possibly inexact float."""
        a = like.new_full((), float(value))
        return TInterval(down(a), up(a))

    @staticmethod
    def rational(p: int, q: int, like: torch.Tensor) -> TInterval:
        a = like.new_full((), p / q if q != 1 else float(p))
        if q == 1 and float(p) == p:
            return TInterval(a, a)
        return TInterval(down(a), up(a))

    @property
    def shape(self) -> torch.Size:
        return self.lo.shape

    def __getitem__(self, idx) -> TInterval:
        return TInterval(self.lo[idx], self.hi[idx])

    def mag(self) -> torch.Tensor:
        return torch.maximum(self.lo.abs(), self.hi.abs())

    def __neg__(self) -> TInterval:
        return TInterval(-self.hi, -self.lo)

    def __add__(self, o: TInterval) -> TInterval:
        return TInterval(*_nan_inf(down(self.lo + o.lo), up(self.hi + o.hi)))

    def __sub__(self, o: TInterval) -> TInterval:
        return TInterval(*_nan_inf(down(self.lo - o.hi), up(self.hi - o.lo)))

    def __mul__(self, o: TInterval) -> TInterval:
        p1, p2, p3, p4 = self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi
        # minimum/maximum propagate nan (0·inf: the product set is unbounded or {0}): then
        # the bound becomes infinite, as in the numpy Interval
        lo = torch.minimum(torch.minimum(p1, p2), torch.minimum(p3, p4))
        hi = torch.maximum(torch.maximum(p1, p2), torch.maximum(p3, p4))
        return TInterval(down(torch.nan_to_num(lo, nan=-INF, posinf=INF, neginf=-INF)),
                         up(torch.nan_to_num(hi, nan=INF, posinf=INF, neginf=-INF)))

    def reciprocal(self) -> TInterval:
        zero = (self.lo <= 0) & (self.hi >= 0)
        return TInterval(torch.where(zero, -INF, down(1.0 / self.hi)),
                         torch.where(zero, INF, up(1.0 / self.lo)))

    def square(self) -> TInterval:
        a, b = self.lo * self.lo, self.hi * self.hi
        lo = torch.where(self.lo >= 0, a, torch.where(self.hi <= 0, b, torch.zeros_like(a)))
        lo = torch.where(lo > 0, down(lo), lo)
        return TInterval(*_nan_inf(lo, up(torch.maximum(a, b))))

    def ipow(self, n: int) -> TInterval:
        """Integer power by repeated outward-rounded products of magnitudes (no libm pow)."""
        if n == 0:
            return TInterval.point(torch.ones_like(self.lo))
        if n < 0:
            return self.ipow(-n).reciprocal()
        if n == 1:
            return self
        if n == 2:
            return self.square()
        if n % 2 == 0:
            return self.square().ipow(n // 2)
        # odd n: monotone increasing; x^n = sign(x) |x|^n
        def pw(a: torch.Tensor, upward: bool) -> torch.Tensor:
            acc = a
            for _ in range(n - 1):
                acc = up(acc * a) if upward else torch.clamp_min(down(acc * a), 0.0)
            return acc

        alo, ahi = self.lo.abs(), self.hi.abs()
        lo = torch.where(self.lo >= 0, pw(alo, False), -pw(alo, True))
        hi = torch.where(self.hi >= 0, pw(ahi, True), -pw(ahi, False))
        return TInterval(*_nan_inf(lo, hi))

    def sqrt(self) -> TInterval:
        lo = torch.clamp_min(down(torch.sqrt(torch.clamp_min(self.lo, 0.0))), 0.0)
        hi = up(torch.sqrt(self.hi))
        bad = self.hi < 0
        return TInterval(torch.where(bad, torch.nan, lo), torch.where(bad, torch.nan, hi))

    def exp(self) -> TInterval:
        return TInterval(torch.clamp_min(_wlo(torch.exp(self.lo)), 0.0), _whi(torch.exp(self.hi)))

    def log(self) -> TInterval:
        pos = self.lo > 0
        lo = torch.where(pos, _wlo(torch.log(torch.where(pos, self.lo, 1.0))), -INF)
        hi = _whi(torch.log(self.hi))
        bad = self.hi <= 0
        return TInterval(torch.where(bad, torch.nan, lo), torch.where(bad, torch.nan, hi))

    def tanh(self) -> TInterval:
        return TInterval(torch.clamp_min(_wlo(torch.tanh(self.lo)), -1.0),
                         torch.clamp_max(_whi(torch.tanh(self.hi)), 1.0))

    def abs(self) -> TInterval:
        zero = (self.lo <= 0) & (self.hi >= 0)
        mig = torch.where(zero, torch.zeros_like(self.lo),
                          torch.minimum(self.lo.abs(), self.hi.abs()))
        return TInterval(mig, self.mag())


_UNARY = {sp.exp: TInterval.exp, sp.log: TInterval.log, sp.tanh: TInterval.tanh,
          sp.Abs: TInterval.abs}


def _eval(e: sp.Basic, env: dict, cache: dict, like: torch.Tensor) -> TInterval:
    hit = cache.get(e)
    if hit is None:
        hit = cache[e] = _eval_uncached(e, env, cache, like)
    return hit


def _eval_uncached(e: sp.Basic, env: dict, cache: dict, like: torch.Tensor) -> TInterval:
    if isinstance(e, sp.Symbol):
        return env[e]
    if isinstance(e, sp.Integer):
        return TInterval.rational(int(e.p), 1, like)
    if isinstance(e, sp.Rational):
        return TInterval.rational(int(e.p), int(e.q), like)
    if isinstance(e, (sp.Float, sp.NumberSymbol)) or e in (sp.pi, sp.E):
        return TInterval.const(float(e), like)
    if isinstance(e, (sp.Add, sp.Mul)):
        acc = _eval(e.args[0], env, cache, like)
        for a in e.args[1:]:
            v = _eval(a, env, cache, like)
            acc = acc + v if isinstance(e, sp.Add) else acc * v
        return acc
    if isinstance(e, sp.Pow):
        base, ex = e.args
        if base is sp.E:
            return _eval(ex, env, cache, like).exp()
        b = _eval(base, env, cache, like)
        if isinstance(ex, sp.Integer):
            return b.ipow(int(ex))
        if ex == sp.Rational(1, 2):
            return b.sqrt()
        if ex == sp.Rational(-1, 2):
            return b.sqrt().reciprocal()
        raise UnsupportedNode(f"torch intervals: unsupported power {e}")
    f = next((fn for cls, fn in _UNARY.items() if isinstance(e, cls)), None)
    if f is not None and len(e.args) == 1:
        return f(_eval(e.args[0], env, cache, like))
    raise UnsupportedNode(f"torch intervals: unsupported sympy node {type(e).__name__}: {e}")


def compile_torch_many(
    exprs: Sequence[sp.Expr], syms: Sequence[sp.Symbol]
) -> Callable[[TInterval], TInterval]:
    """``f(Z) -> TInterval (B, len(exprs))`` for ``Z`` of shape (B, len(syms)), one shared
    cache of common sub-expressions; raises :class:`UnsupportedNode` at compile time."""
    exprs = [sp.sympify(e) for e in exprs]
    names = {s.name: i for i, s in enumerate(syms)}
    free = set().union(*(e.free_symbols for e in exprs)) if exprs else set()
    by_name = {s: names[s.name] for s in free}

    def f(Z: TInterval) -> TInterval:
        env = {s: Z[..., i] for s, i in by_name.items()}
        cache: dict = {}
        B = Z.shape[:-1]
        outs = [_eval(e, env, cache, Z.lo) for e in exprs]
        return TInterval(torch.stack([o.lo.expand(B) for o in outs], -1),
                         torch.stack([o.hi.expand(B) for o in outs], -1))

    f(TInterval.point(torch.zeros((1, len(syms)), dtype=torch.float64)))  # fail early
    return f


def taylor_exprs(expr: sp.Expr, syms: Sequence[sp.Symbol],
                 gammas: Sequence[tuple[int, ...]]) -> tuple[list[sp.Expr], list[sp.Symbol]]:
    """``∂^γ r`` for each multi-index γ (sympy, one shared cache), in real symbols."""
    rexpr, m = realify(sp.sympify(expr))
    rsyms = [m.get(s, s) for s in syms]
    cache: dict[tuple[int, ...], sp.Expr] = {(0,) * len(rsyms): rexpr}

    def deriv(g: tuple[int, ...]) -> sp.Expr:
        if g not in cache:
            j = next(i for i, v in enumerate(g) if v)
            cache[g] = sp.diff(deriv(tuple(v - (i == j) for i, v in enumerate(g))), rsyms[j])
        return cache[g]

    return [deriv(tuple(g)) for g in gammas], rsyms
