"""Hard-attention limits of kernel attention, with sympy (ours, after /work/shared/math-notes.md).

For a kernel k(x, y) on R^d and distinct keys y₁ ≠ y₂, the ratio of attention weights under a
scaled key map t·W is

.. math::

    R(t) = \\frac{k(x, tWy_1)}{k(x, tWy_2)}, \\qquad
    \\log R(t) = c_0 + c_1 t + \\dots + c_p t^p \\text{ (when polynomial in } t).

If log R is a polynomial in t, R → 0 or ∞ as t → ∞ unless every c_m with m ≥ 1 vanishes, so
the exceptional set is {c_1 = … = c_p = 0}: for softmax k = exp(xᵀy) it is
xᵀW(y₁ − y₂) = 0; for RBF exp(−γ‖x − y‖²) it is ‖Wy₁‖² = ‖Wy₂‖² and xᵀW(y₁ − y₂) = 0
(docs/math.md). A kernel whose log-ratio has no positive-degree term (a constant kernel) has the
finite non-zero limit e^{c_0} everywhere. Otherwise (log R not polynomial, e.g.
1 + sigmoid(xᵀy)) :func:`point_limits` takes ``sympy.limit`` at random rational points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

Kernel = Callable[[sp.Matrix, sp.Matrix], sp.Expr]


def softmax_kernel(x: sp.Matrix, y: sp.Matrix) -> sp.Expr:
    return sp.exp((x.T * y)[0])


def rbf_kernel(gamma: sp.Expr = sp.Rational(1, 2)) -> Kernel:
    return lambda x, y: sp.exp(-gamma * ((x - y).T * (x - y))[0])


def constant_kernel(x: sp.Matrix, y: sp.Matrix) -> sp.Expr:
    return sp.Integer(1)


def bounded_sigmoid_kernel(x: sp.Matrix, y: sp.Matrix) -> sp.Expr:
    return 1 + 1 / (1 + sp.exp(-(x.T * y)[0]))


KERNELS: dict[str, Kernel] = {"softmax": softmax_kernel, "rbf": rbf_kernel(),
                              "constant": constant_kernel, "1+sigmoid": bounded_sigmoid_kernel}


@dataclass
class Symbols:
    d: int
    t: sp.Symbol = field(default_factory=lambda: sp.Symbol("t", positive=True))

    def __post_init__(self) -> None:
        r = dict(real=True)
        self.x = sp.Matrix(sp.symbols(f"x0:{self.d}", **r))
        self.y1 = sp.Matrix(sp.symbols(f"a0:{self.d}", **r))
        self.y2 = sp.Matrix(sp.symbols(f"b0:{self.d}", **r))
        self.W = sp.Matrix(self.d, self.d, sp.symbols(f"w0:{self.d * self.d}", **r))

    def free(self) -> list[sp.Symbol]:
        return [*self.x, *self.y1, *self.y2, *self.W]


def ratio(kernel: Kernel, s: Symbols) -> sp.Expr:
    """R(t) = k(x, tWy₁) / k(x, tWy₂)."""
    return kernel(s.x, s.t * s.W * s.y1) / kernel(s.x, s.t * s.W * s.y2)


def log_ratio_polynomial(kernel: Kernel, s: Symbols) -> sp.Poly | None:
    """log R(t) as a polynomial in t (coefficients in x, W, y₁, y₂), or None if it is not."""
    k1 = kernel(s.x, s.t * s.W * s.y1)
    k2 = kernel(s.x, s.t * s.W * s.y2)
    expr = sp.expand(sp.expand_log(sp.log(k1), force=True)
                     - sp.expand_log(sp.log(k2), force=True))
    try:
        poly = sp.Poly(expr, s.t)
    except sp.PolynomialError:
        return None
    if any(c.has(sp.log, sp.exp) for c in poly.coeffs()):
        return None
    return poly


def exceptional_set(poly: sp.Poly) -> list[sp.Expr]:
    """The coefficients c_m (m ≥ 1) whose joint vanishing is the exceptional set;
    empty when every positive-degree coefficient is identically 0."""
    top = max(int(poly.degree()), 0) if poly.degree() != -sp.oo else 0
    coeffs = [sp.factor(poly.coeff_monomial(poly.gen ** m)) for m in range(1, top + 1)]
    return [c for c in coeffs if c != 0]


def same_up_to_constant(c: sp.Expr, e: sp.Expr) -> bool:
    """True when c = λ·e for a non-zero constant λ (sympy)."""
    q = sp.simplify(c / e)
    return q != 0 and not q.free_symbols


def _rational_point(s: Symbols, rng: np.random.Generator) -> dict:
    vals = rng.integers(-9, 10, size=len(s.free()))
    vals = np.where(vals == 0, 1, vals)
    dens = rng.integers(1, 8, size=len(s.free()))
    return {sym: sp.Rational(int(v), int(q)) for sym, v, q in zip(s.free(), vals, dens)}


def point_limits(kernel: Kernel, s: Symbols, rng: np.random.Generator, points: int) -> list:
    """lim_{t→∞} R(t) at ``points`` random rational (x, W, y₁, y₂) with y₁ ≠ y₂."""
    R = ratio(kernel, s)
    out = []
    while len(out) < points:
        at = _rational_point(s, rng)
        if s.y1.subs(at) == s.y2.subs(at):
            continue
        lim = sp.limit(sp.simplify(R.subs(at)), s.t, sp.oo)
        out.append({"point": {str(k): str(v) for k, v in at.items()}, "limit": lim})
    return out


def is_hard(limit: sp.Expr) -> bool:
    """True for 0 or ±∞ (the hard-attention limits)."""
    return limit == 0 or limit in (sp.oo, -sp.oo, sp.zoo)
