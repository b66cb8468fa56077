"""Is r(x, y) = r(y, x)? Symbolically with sympy, numerically for torch-only relations."""

from __future__ import annotations

import numpy as np
import sympy

from verify.core.context import Context
from verify.core.result import Result
from verify.core.status import Strength

#: reason codes of a refutation: X ≠ Y, or an explicit pair with r(x,y) ≠ r(y,x)
REASONS = ("domains-differ", "counterexample")


def check_symmetry(relation, ctx: Context) -> Result:
    """``confirmed`` when sympy simplifies r(x,y) − r(y,x) to 0; ``refuted`` with a point pair."""
    if relation.x_box != relation.y_box:
        return Result.refuted(
            "X and Y differ, so r(x, y) = r(y, x) is not even defined on X×X",
            "domains compared", x_box=relation.x_box.to_dict(), y_box=relation.y_box.to_dict(),
        ).because("domains-differ", Strength.SYMBOLIC)
    pts = np.vstack([relation.x_box.grid(4), relation.x_box.sample(512, ctx.rng)])
    K = relation.gram(pts, pts)
    gap = np.abs(K - K.T)
    i, j = np.unravel_index(int(np.argmax(gap)), gap.shape)
    worst = {"x": pts[i].tolist(), "y": pts[j].tolist(), "r(x,y)": float(K[i, j]),
             "r(y,x)": float(K[j, i])}
    scale = max(1.0, float(np.abs(K).max()))
    if relation.expr is not None:
        swap = {**dict(zip(relation.x_syms, relation.y_syms)),
                **dict(zip(relation.y_syms, relation.x_syms))}
        diff = sympy.simplify(relation.expr - relation.expr.xreplace(swap))
        if diff == 0:
            return Result.confirmed(
                "sympy simplifies r(x,y) − r(y,x) to 0",
                "symbolic proof (sympy.simplify)", expression=str(relation.expr),
            ).because(None, Strength.SYMBOLIC)
        if gap[i, j] > 1e-9 * scale:
            return Result.refuted(
                f"r(x,y) ≠ r(y,x) at x = {worst['x']}, y = {worst['y']}: "
                f"{worst['r(x,y)']:.6g} vs {worst['r(y,x)']:.6g}",
                "explicit counterexample pair (float64, gap far above rounding)",
                difference=str(diff), pair=worst, gap=float(gap[i, j]),
            ).because("counterexample", Strength.COUNTEREXAMPLE)
        return Result.inconclusive(
            f"sympy leaves r(x,y) − r(y,x) = {diff} unsimplified, but it vanishes on "
            f"{len(pts)}² sampled pairs", "sampled", difference=str(diff), max_gap=float(gap.max()),
        ).because("unsimplified")
    if gap[i, j] > 1e-9 * scale:
        return Result.refuted(
            f"r(x,y) ≠ r(y,x) at x = {worst['x']}, y = {worst['y']}",
            "explicit counterexample pair", pair=worst, gap=float(gap[i, j]),
        ).because("counterexample", Strength.COUNTEREXAMPLE)
    return Result.confirmed(
        f"torch-only relation: symmetric on {len(pts)}² sampled pairs (max gap {gap.max():.2e}); "
        "symbolic check skipped (no expression)",
        "sampled (not a proof): no sympy expression to simplify",
        max_gap=float(gap.max()), pairs=len(pts) ** 2,
    ).because(None, Strength.SAMPLED).counted(len(pts) ** 2)

