"""Positive-definiteness of a symmetric kernel on generated point sets, and Weyl's lower bound.

If a Gram matrix K = [r(x_i, x_j)] has λ_min < 0, every PSD matrix G (every <φ(x_i), φ(x_j)>)
satisfies max_ij |K − G|_ij ≥ |λ_min| / n (docs/math.md, "Non-PD symmetric kernels (Weyl)"), so no
symmetric inner-product model reaches a sup error below that.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from hypothesis import strategies as st
from hypothesis import target

from verify.core.context import Context
from verify.core.properties import Counterexample, run_property
from verify.core.result import Result
from verify.core.status import Strength

#: a point set whose Gram matrix has a negative eigenvalue: the hypothesis fails
REASONS = ("hypothesis:positive-definite",)

REL_TOL = 1e-10  # eigenvalues above -REL_TOL * n * max|K| are rounding, not indefiniteness


def min_eigenvalue(relation, points: np.ndarray) -> tuple[float, float]:
    """(λ_min of the symmetrised Gram matrix, the rounding tolerance used for it)."""
    K = relation.gram(points, points)
    K = 0.5 * (K + K.T)
    lam = float(scipy.linalg.eigvalsh(K, subset_by_index=[0, 0])[0])
    tol = REL_TOL * len(points) * max(1.0, float(np.abs(K).max()))
    return lam, tol


def weyl_witness(relation, points: np.ndarray) -> dict | None:
    lam, tol = min_eigenvalue(relation, points)
    if lam >= -tol:
        return None
    n = len(points)
    return {"points": points.tolist(), "n": n, "lambda_min": lam, "tolerance": tol,
            "weyl_lower_bound": abs(lam) / n}


def _point_sets(box, max_n: int):
    lo, hi = box.lo, box.hi
    coord = [st.floats(min_value=a, max_value=b, allow_nan=False) for a, b in zip(lo, hi)]
    point = st.tuples(*coord)
    return st.lists(point, min_size=2, max_size=max_n, unique=True)


def check_positive_definite(relation, ctx: Context) -> Result:
    """Search (hypothesis, driven by ``target``) for a point set with a negative eigenvalue."""
    box = relation.x_box
    # deterministic candidates first: box corners, then small grids (the bound divides by n)
    candidates = [box.corners()] + [box.grid(k) for k in (2, 3, 5)]
    best = None
    for pts in candidates:
        w = weyl_witness(relation, np.asarray(pts, dtype=float))
        if w and (best is None or w["weyl_lower_bound"] > best["weyl_lower_bound"]):
            best = w
    if best is None:
        def prop(points) -> None:
            pts = np.asarray(points, dtype=float)
            lam, tol = min_eigenvalue(relation, pts)
            target(-lam / len(pts), label="-lambda_min/n")
            if lam < -tol:
                raise Counterexample(
                    f"Gram matrix on {len(pts)} points has eigenvalue {lam:.6g} < 0",
                    points=pts.tolist(), lambda_min=lam, tolerance=tol,
                    weyl_lower_bound=abs(lam) / len(pts),
                )

        result = run_property(
            _point_sets(box, ctx.profile.pick(12, 40, 80)), prop, ctx,
            claim="Gram matrices are PSD", on_counterexample="not-applicable",
            reason=REASONS[0],
        )
        if result.status.value != "not-applicable":
            result.summary = (f"every Gram matrix was PSD within tolerance "
                              f"{REL_TOL:g}·n·max|K| ({result.evidence['examples_tried']} "
                              "hypothesis point sets, smallest eigenvalue driven down by target)")
            return result
        best = result.evidence["counterexample"]
    return Result.not_applicable(
        f"not positive-definite: {best['n']} points give λ_min = {best['lambda_min']:.6g}, so "
        f"every <φ(x),φ(y)> model has sup error ≥ |λ|/n = {best['weyl_lower_bound']:.6g}",
        "explicit point set; eigenvalue by LAPACK in float64, far below the rounding tolerance; "
        "the lower bound is rigorous (Weyl)",
        **best,
    ).because(REASONS[0], Strength.COUNTEREXAMPLE)
