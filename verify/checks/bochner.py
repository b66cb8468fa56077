"""Bochner's criterion for a shift-invariant kernel k(x − y) in one dimension.

A continuous k(τ) on R is positive-definite iff its Fourier transform is a nonnegative measure
(Bochner; docs/math.md). The profile k is *derived from the relation*: k(τ) = r(τ, 0), and
sympy must show r(x, y) = k(x − y) (shift invariance), else the criterion says nothing about r.
sympy computes the transform where it can; nonnegativity is then proved by sympy's assumptions,
or refuted by a frequency where the transform is negative.
"""

from __future__ import annotations

import numpy as np
import sympy

from verify.core.context import Context
from verify.core.result import Result
from verify.core.status import Strength

#: a frequency where the Fourier transform of k is negative: k is not positive-definite on R
REASONS = ("hypothesis:positive-definite",)


def shift_invariant_profile(relation, tau: sympy.Symbol) -> sympy.Expr | None:
    """k(τ) = r(τ, 0) when sympy proves r(x, y) = k(x − y) (1-D x and y), else ``None``."""
    if relation.expr is None or relation.dx != 1 or relation.dy != 1:
        return None
    (x,), (y,) = relation.x_syms, relation.y_syms
    expr = sympy.nsimplify(relation.expr, rational=True)
    k = expr.xreplace({x: tau, y: sympy.Integer(0)})
    if sympy.simplify(expr - k.xreplace({tau: x - y})) != 0:
        return None
    return k


def check_bochner(relation, ctx: Context, stated: sympy.Expr | None = None) -> Result:
    """Bochner's criterion for ``relation``; ``stated`` (optional) must agree with its profile."""
    tau = sympy.Symbol("tau", real=True)
    profile = shift_invariant_profile(relation, tau)
    if profile is None:
        return Result.inconclusive(
            f"{relation.name}: sympy does not show r(x, y) = k(x − y) (1-D, shift-invariant), so "
            "Bochner's criterion does not apply", "symbolic attempt failed",
            expression=str(relation.expr)).because("not-shift-invariant")
    if stated is not None:
        free = sorted(stated.free_symbols, key=str)
        given = stated.xreplace({free[0]: tau}) if len(free) == 1 else stated
        if sympy.simplify(sympy.nsimplify(given, rational=True) - profile) != 0:
            return Result.error(
                f"the instance's stated profile {stated} is not the relation's k(τ) = {profile}",
                stated=str(stated), derived=str(profile))
    return _criterion(profile, tau, ctx)


def _criterion(profile: sympy.Expr, tau: sympy.Symbol, ctx: Context) -> Result:
    omega = sympy.Symbol("omega", real=True)
    try:
        transform = sympy.fourier_transform(profile, tau, omega)
    except Exception as exc:  # noqa: BLE001 - sympy raises many kinds when it cannot integrate
        return Result.inconclusive(f"sympy could not compute the Fourier transform: {exc}",
                                   "symbolic attempt failed", profile=str(profile)
                                   ).because("transform-failed")
    if transform.has(sympy.FourierTransform):
        return Result.inconclusive("sympy left the Fourier transform unevaluated",
                                   "symbolic attempt failed", profile=str(profile)
                                   ).because("transform-failed")
    transform = sympy.simplify(transform)
    if transform.is_nonnegative:
        return Result.confirmed(
            f"the Fourier transform {transform} of k(τ) = {profile} is nonnegative for every "
            "real ω (sympy), so k is positive-definite by Bochner's theorem",
            "symbolic proof (sympy fourier_transform + assumptions)",
            profile=str(profile), transform=str(transform),
        ).because(None, Strength.SYMBOLIC)
    f = sympy.lambdify(omega, transform, "numpy")
    grid = np.linspace(0.0, ctx.profile.pick(5.0, 10.0, 20.0), 2001)
    with np.errstate(all="ignore"):  # overflow far out is irrelevant: we look for a sign
        values = np.asarray(f(grid), dtype=float) * np.ones_like(grid)
    values = np.where(np.isfinite(values), values, np.inf)
    i = int(np.argmin(values))
    if values[i] < 0:
        exact = transform.subs(omega, sympy.nsimplify(grid[i]))
        return Result.not_applicable(
            f"not positive-definite (Bochner): the Fourier transform of k(τ) = {profile} is "
            f"{float(exact):.6g} < 0 at ω = {grid[i]:.4g}",
            "explicit frequency; transform by sympy, evaluated at a rational ω",
            profile=str(profile), transform=str(transform), omega=float(grid[i]),
            value=float(exact),
        ).because(REASONS[0], Strength.COUNTEREXAMPLE)
    return Result.inconclusive(
        f"sympy could not prove {transform} ≥ 0; no negative value on a grid of ω",
        "sampled", profile=str(profile), transform=str(transform), min_sampled=float(values[i]),
    ).because("sign-unproven")
