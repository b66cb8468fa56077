"""Checks on a truncated expansion (Mercer or Schmidt) and the feature-rank lower bound.

Shared by the symmetric and asymmetric theorems: the expansion's truncation rank r*(ε) (a
sampled sup over a dense grid) and the Eckart–Young–Mirsky bound (rigorous) on the rank any
model needs.
"""

from __future__ import annotations

import numpy as np

from verify.core.context import Context
from verify.core.result import Figure, Result
from verify.core.status import Strength

#: reason codes: a claimed rank whose truncation errs by more than ε on the grid; a claimed
#: feature count below the Eckart–Young–Mirsky bound
TRUNCATION_REASONS = ("truncation-error",)
RANK_REASONS = ("rank-lower-bound",)
#: the reason of a result that measured a number but had no claim to test (status
#: ``inconclusive``, strength ``measurement``: never counted as confirmed)
MEASUREMENT = "measurement"


def check_truncation_rank(relation, spectrum, values: np.ndarray, eps: float,
                          claimed: int | None, label: str) -> Result:
    """r*(ε) of ``spectrum``; ``refuted`` when a ``claimed`` rank is below it (with the error).

    Without a claim there is nothing to test: r*(ε) is reported as a measurement
    (``inconclusive``, strength ``measurement``).
    """
    from verify.reports.figures import lines_png
    from verify.spectra import truncation_rank

    r_star, errors = truncation_rank(relation, spectrum, eps)
    mags = np.maximum(np.abs(values), 1e-300)
    evidence = {"eps": eps, "r_star": r_star, "errors_by_rank": errors[:20],
                "spectrum": values[:20], "claimed_rank": claimed}
    fig = Figure("spectrum-decay", lines_png(
        {f"|{label}_i| (quadrature)": (np.arange(1, len(mags) + 1), mags),
         "sup error of rank-m truncation (sampled)": (np.arange(len(errors)), errors)},
        xlabel="i / rank m", ylabel="value", logy=True, hlines={f"ε = {eps:g}": eps},
        title=f"{relation.name}: spectrum decay"), f"{label}_i and the truncation error by rank")
    if claimed is not None and (r_star is None or claimed < r_star):
        result = Result.refuted(
            f"the rank-{claimed} truncation has sampled sup error {errors[claimed]:.3e} > ε = "
            f"{eps:g} (r*(ε) = {r_star})",
            "a grid point where the truncated expansion errs by more than ε", **evidence,
        ).because(TRUNCATION_REASONS[0], Strength.COUNTEREXAMPLE)
    elif r_star is None:
        result = Result.inconclusive(f"no rank up to {len(errors) - 1} reaches ε = {eps:g}",
                                     "sampled", **evidence).because("no-rank-reached")
    elif claimed is None:
        result = Result.inconclusive(
            f"measurement: r*({eps:g}) = {r_star} (the rank-{r_star} truncated expansion has "
            f"sampled sup error {errors[r_star]:.3e}); no rank was claimed, so nothing was "
            "tested", "measurement: sampled sup of the truncated quadrature expansion on a "
            "dense grid", **evidence).because(MEASUREMENT, Strength.MEASUREMENT)
    else:
        result = Result.confirmed(
            f"the claimed rank {claimed} ≥ r*({eps:g}) = {r_star}: the rank-{claimed} truncated "
            f"expansion reaches sampled sup error {errors[claimed]:.3e} ≤ ε",
            "sampled sup of the truncated quadrature expansion on a dense grid", **evidence,
        ).because(None, Strength.SAMPLED).counted(1)  # one claimed rank, on the whole grid
    result.figures.append(fig)
    return result


def check_rank_lower_bound(relation, eps: float, claimed: int | None, ctx: Context) -> Result:
    """The smallest feature rank any model needs for ε; ``refuted`` if ``claimed`` is below it.

    Without a claim the bound m_min is reported as a measurement (``inconclusive``, strength
    ``measurement``); with one that the bound does not rule out, ``confirmed`` means only
    "consistent with the rigorous lower bound" (it does not show the claim achievable).
    """
    from verify.spectra import min_rank_for

    bound = min_rank_for(relation, eps, seed=ctx.seed, optimise=ctx.profile.name != "quick")
    evidence = {"eps": eps, "m_min": bound.m_min, "points": bound.to_dict(),
                "claimed_features": claimed}
    if claimed is not None and claimed < bound.m_min:
        return _refute_rank(relation, eps, claimed, bound, evidence)
    if claimed is None:
        return Result.inconclusive(
            f"measurement: every model needs feature rank ≥ {bound.m_min} for ε = {eps:g} "
            "(no feature count was claimed, so nothing was tested)",
            f"measurement: Eckart–Young–Mirsky lower bound, {bound.margin_label}",
            **evidence).because(MEASUREMENT, Strength.MEASUREMENT)
    return Result.confirmed(
        f"the claim of {claimed} features is consistent with the lower bound: every model needs "
        f"feature rank ≥ {bound.m_min} for ε = {eps:g} (the claim is not shown achievable)",
        f"rigorous lower bound (Eckart–Young–Mirsky), {bound.margin_label}",
        **evidence).because(None, Strength.LOWER_BOUND).counted(1)


def _refute_rank(relation, eps: float, claimed: int, bound, evidence: dict) -> Result:
    """The float bound says no rank-``claimed`` model reaches ε; prove it on the same points
    with an arb enclosure of the SVD (:mod:`verify.spectra.rigorous_rank`) where r has a sympy
    expression, else keep the float bound and say what its margin assumes."""
    from verify.spectra.rigorous_rank import rigorous_rank_bound

    proven = rigorous_rank_bound(relation, bound.X, bound.Y, claimed)
    evidence = {**evidence, "bound_at_claim": bound.bound_for(claimed),
                "proven_bound_at_claim": proven}
    if proven is not None and not proven > eps:
        return Result.inconclusive(
            f"the float bound {bound.bound_for(claimed):.4g} rules out {claimed} features for "
            f"ε = {eps:g}, but the enclosed bound is only {proven:.4g}: not proven",
            "enclosure did not confirm the float bound", **evidence).because("bound-unproven")
    how = ("SVD error enclosed with python-flint arb, entries by outward-rounded interval "
           "evaluation of r" if proven is not None else bound.margin_label)
    shown = proven if proven is not None else bound.bound_for(claimed)
    return Result.refuted(
        f"{claimed} features cannot reach ε = {eps:g}: every rank-{claimed} matrix errs by ≥ "
        f"{shown:.4g} on {bound.n}×{bound.n_prime} points (m_min = {bound.m_min})",
        f"rigorous lower bound (Eckart–Young–Mirsky) on an explicit point set, {how}",
        **evidence,
    ).because(RANK_REASONS[0], Strength.LOWER_BOUND)
