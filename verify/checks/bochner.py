"""Bochner's criterion for a shift-invariant kernel k(x − y) in one dimension.

A continuous k(τ) is positive-definite iff its Fourier transform is a nonnegative measure. sympy
computes the transform where it can; nonnegativity is then proved by sympy's assumptions, or
refuted by a frequency where the transform is negative.
"""

from __future__ import annotations

import numpy as np
import sympy

from verify.core.context import Context
from verify.core.result import Result


def check_bochner(profile: sympy.Expr, tau: sympy.Symbol, ctx: Context) -> Result:
    omega = sympy.Symbol("omega", real=True)
    try:
        transform = sympy.fourier_transform(profile, tau, omega)
    except Exception as exc:  # noqa: BLE001 - sympy raises many kinds when it cannot integrate
        return Result.inconclusive(f"sympy could not compute the Fourier transform: {exc}",
                                   "symbolic attempt failed", profile=str(profile))
    if transform.has(sympy.FourierTransform):
        return Result.inconclusive("sympy left the Fourier transform unevaluated",
                                   "symbolic attempt failed", profile=str(profile))
    transform = sympy.simplify(transform)
    if transform.is_nonnegative:
        return Result.confirmed(
            f"the Fourier transform {transform} is nonnegative for every real ω (sympy), so k is "
            "positive-definite by Bochner's theorem",
            "symbolic proof (sympy fourier_transform + assumptions)",
            profile=str(profile), transform=str(transform),
        )
    f = sympy.lambdify(omega, transform, "numpy")
    grid = np.linspace(0.0, ctx.profile.pick(5.0, 10.0, 20.0), 2001)
    with np.errstate(all="ignore"):  # overflow far out is irrelevant: we look for a sign
        values = np.asarray(f(grid), dtype=float) * np.ones_like(grid)
    values = np.where(np.isfinite(values), values, np.inf)
    i = int(np.argmin(values))
    if values[i] < 0:
        exact = transform.subs(omega, sympy.nsimplify(grid[i]))
        return Result.not_applicable(
            f"not positive-definite (Bochner): the Fourier transform is {float(exact):.6g} < 0 "
            f"at ω = {grid[i]:.4g}",
            "explicit frequency; transform by sympy, evaluated at a rational ω",
            profile=str(profile), transform=str(transform), omega=float(grid[i]),
            value=float(exact),
        )
    return Result.inconclusive(
        f"sympy could not prove {transform} ≥ 0; no negative value on a grid of ω",
        "sampled", profile=str(profile), transform=str(transform), min_sampled=float(values[i]),
    )
