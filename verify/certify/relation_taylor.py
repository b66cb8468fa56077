"""Taylor coefficients of a relation r(x, y) with a rigorous remainder (ours).

On a box Q = c + [-h, h] of the joint space z = (x, y) ∈ R^D, Taylor's theorem with the
Lagrange remainder gives, for r of class C^{K+1} on Q,

.. math::
    r(c + \\delta) = \\sum_{|\\gamma| \\le K} \\frac{\\partial^\\gamma r(c)}{\\gamma!}
    \\delta^\\gamma + R, \\qquad
    |R| \\le \\sum_{|\\gamma| = K+1} \\frac{\\max_Q |\\partial^\\gamma r|}{\\gamma!} h^\\gamma .

The partial derivatives come from ``sympy.diff`` and are enclosed by
:func:`~verify.certify.sym_interval.compile_interval_many`: at the centre (thin
intervals, the coefficients) and over the whole box (the remainder).  A Piecewise whose
condition is undecided on a box gives [-inf, inf] there, so a relation that is not
C^{K+1} on a box gets no finite bound on it (sound, never wrong).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from .interval import Interval
from .multiindex import factorial_of
from .sym_interval import compile_interval_many, realify


class RelationTaylor:
    """Compiled Taylor data of ``expr`` in ``syms`` (D of them) for the multi-indices
    ``kept`` (coefficients) and ``rem`` (the order-(K+1) remainder)."""

    def __init__(
        self,
        expr: sp.Expr,
        syms: Sequence[sp.Symbol],
        kept: Sequence[tuple[int, ...]],
        rem: Sequence[tuple[int, ...]],
    ):
        rexpr, m = realify(sp.sympify(expr))
        rsyms = [m.get(s, s) for s in syms]
        cache: dict[tuple[int, ...], sp.Expr] = {(0,) * len(rsyms): rexpr}

        def deriv(g: tuple[int, ...]) -> sp.Expr:
            if g not in cache:
                j = next(i for i, v in enumerate(g) if v)
                lower = tuple(v - (i == j) for i, v in enumerate(g))
                cache[g] = sp.diff(deriv(lower), rsyms[j])
            return cache[g]

        self.kept, self.rem = list(kept), list(rem)
        self._coef = compile_interval_many([deriv(g) for g in self.kept], rsyms)
        self._rem = compile_interval_many([deriv(g) for g in self.rem], rsyms)
        self._inv_fact_kept = Interval(
            *_inv_factorials([factorial_of(g) for g in self.kept])
        )
        self._inv_fact_rem = Interval(*_inv_factorials([factorial_of(g) for g in self.rem]))

    def coefficients(self, centres: np.ndarray) -> Interval:
        """Enclosures (B, len(kept)) of ∂^γ r(c) / γ! at float points ``centres`` (B, D)."""
        return self._coef(Interval.point(centres)) * self._inv_fact_kept

    def remainder(self, box: Interval, h_pow_rem: np.ndarray) -> np.ndarray:
        """Upper bound (B,) on the Lagrange remainder over boxes ``box`` (B, D), given
        upper bounds ``h_pow_rem`` (B, len(rem)) on h^γ for the remainder indices."""
        d = self._rem(box)
        terms = Interval.point(d.mag()) * self._inv_fact_rem * Interval.point(h_pow_rem)
        out = terms.hi.sum(-1)
        # nonnegative float sum: inflate for rounding (n terms, relative n*u each side)
        n = terms.hi.shape[-1]
        out = np.nextafter(out * (1.0 + 2.0 * (n + 2) * 2.0**-53), np.inf)
        return np.where(np.isnan(out), np.inf, out)


def _inv_factorials(facts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    v = np.array([1.0 / f for f in facts])
    return np.nextafter(v, -np.inf), np.nextafter(v, np.inf)
