"""Result-producing check bodies shared by the kernel theorems (the mathematics lives in the
sibling modules: :mod:`.rank_growth`, :mod:`.binary_krr`, :mod:`.exp_transfer`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from verify.core.context import Context
from verify.core.properties import Counterexample, run_property
from verify.core.result import Result
from verify.core.status import Status, Strength
from verify.kernels import binary_krr, exp_transfer, graded
from verify.kernels import rank_growth as RG


def rank_growth(relation, eps_ladder: list[float], ctx: Context,
                finite_ranks: tuple[int, ...] = ()) -> Result:
    """Growing ranks (confirmed, EYM lower bounds) or an exact finite rank (refuted, sympy)."""
    lad = RG.rank_ladder(relation, eps_ladder, ctx.seed, ctx.profile.pick(16, None),
                         ctx.profile.pick(21, None))
    ev, exact = lad.to_dict(), RG.exact_polynomial_rank(relation)
    ev["exact_rank"] = exact
    if exact is not None:
        if max(lad.eym_floor) > exact:
            return Result.error("EYM floor above the exact rank: a bug", **ev)
        return Result.refuted(
            f"{relation.name} is a polynomial of exact separation rank {exact} (sympy): finite-"
            f"dimensional; the ranks saturate (Schmidt {lad.schmidt_rank}, EYM {lad.eym_floor})",
            "symbolic proof (rank of the coefficient matrix)", **ev
        ).because("finite-exact-rank", Strength.SYMBOLIC)
    grows = lad.non_decreasing() and lad.eym_floor[-1] > max([*lad.eym_floor[:-1],
                                                              *finite_ranks])
    if not grows:
        return Result.inconclusive(f"the EYM floor stops growing: {lad.eym_floor}", "sampled",
                                   **ev)
    fit = lad.growth_fit()
    return graded(Result.confirmed(
        f"ranks keep growing as ε falls: EYM floor {lad.eym_floor}, Schmidt {lad.schmidt_rank}; "
        f"no feature map with < {lad.eym_floor[-1]} features reaches {eps_ladder[-1]:g}; fit "
        f"m_min ≈ {fit['a']:.3g}·log(1/ε)^{fit['c']:.3g}", "rigorous lower bound (EYM) at each "
        "ε; growth is evidence of infinite rank (finitely many ε), the fit a measurement", **ev
    ), Strength.LOWER_BOUND)


def representer(features: tuple, dims: tuple[int, int], lam_fixed: float | None, drop: int,
                ctx: Context, tol: float = 1e-9) -> Result:
    """Both solvers agree, λW* = Φᵀ ρ Ψ, and W* lies in the span of the (claimed) data features,
    on hypothesis-drawn data in [−1, 1]^d (n, n' ∈ 2..6, λ ∈ [1e-3, 1] unless fixed)."""
    if lam_fixed is not None and lam_fixed <= 0:
        return Result.not_applicable(
            f"λ = {lam_fixed} ≤ 0: the minimiser is not unique and the problem need not be "
            "strictly convex", "exact", lam=lam_fixed).because("hypothesis:ridge",
                                                               Strength.SYMBOLIC)
    F, G = features
    dt, ds = dims

    def prop(ex):
        n, n2, log_lam, seed = ex
        rng = np.random.default_rng(seed)
        X, Y = rng.uniform(-1, 1, (n, dt)), rng.uniform(-1, 1, (n2, ds))
        Z, lam = rng.standard_normal((n, n2)), lam_fixed or 10.0**log_lam
        sub = (list(range(n - drop)), list(range(n2)))
        rep = binary_krr.representer_report(F(X), G(Y), Z, lam, F(rng.uniform(-1, 1, (5, dt))),
                                            G(rng.uniform(-1, 1, (5, ds))), sub)
        bad = [key for key in ("weights_rel_diff", "prediction_rel_diff", "optimality_rel",
                               "span_residual") if rep[key] > tol]
        if bad:
            raise Counterexample(f"{', '.join(bad)} > {tol:g} for n = {n}, n' = {n2}, λ = "
                                 f"{lam:.3g} (span residual {rep['span_residual']:.3g})", **rep)

    strat = st.tuples(st.integers(2 + drop, 6), st.integers(2, 6), st.floats(-3, 0),
                      st.integers(0, 2**31 - 1))
    with threadpool_limits(1):  # small dense solves: BLAS threads only contend
        res = run_property(strat, prop, ctx, claim=f"W* = Φᵀ A Ψ, K_X A K_Y + λA = Z, both "
                           f"solvers agree to {tol:g}" + (f" and W* lies in the span without "
                                                          f"{drop} x-point(s)" if drop else ""))
    if res.status == Status.REFUTED:
        return res.because("counterexample", Strength.LOWER_BOUND)
    return graded(res, Strength.SAMPLED)


def exp_form(r, eps: float, budget, ctx: Context, pipeline: Callable[..., Result]) -> Result:
    """exp⟨φ,ψ⟩ ≈ r > 0 from ``pipeline(log r, eps, budget, ctx)`` and the proven transfer."""
    low = exp_transfer.sampled_min(r, ctx.rng)
    if low["min"] <= 0:
        return Result.not_applicable(
            f"r({low['x']}, {low['y']}) = {low['min']:.4g} ≤ 0; exp > 0, so every exp<φ,ψ> errs "
            f"there by > |r| = {abs(low['min']):.4g}", "rigorous lower bound (one point)", **low
        ).because("hypothesis:positive", Strength.LOWER_BOUND)
    enc = exp_transfer.range_enclosure(r)
    if enc["lower"] <= 0:
        return Result.inconclusive("r > 0 not proven by the interval enclosure", "not decided",
                                   enclosure=enc)
    res = pipeline(exp_transfer.log_relation(r), eps, budget, ctx)
    ev = {"log_scale": {"status": str(res.status), "summary": res.summary, **res.evidence},
          "r_range": enc}
    if res.status == Status.REFUTED:
        b = float(res.evidence.get("bound", 0.0))
        conv = exp_transfer.converse_bound(enc["lower"], b)
        return Result.refuted(
            f"on the log scale: {res.summary}; so every exp<φ,ψ> of this budget errs by ≥ min r·"
            f"(1 − e^-b) = {conv:.4g} somewhere (ours)", res.strength, r_scale_lower=conv, **ev
        ).because(res.reason or "rank-lower-bound", Strength.LOWER_BOUND)
    if res.status != Status.CONFIRMED:
        out = Result(res.status, f"log scale: {res.summary}", ev, res.strength)
        out.reason = res.reason
        return out
    cert = res.evidence.get("certificate")
    delta = cert["upper"] if cert else res.evidence["fit"]["sampled_sup"]["value"]
    eps_r = exp_transfer.transfer_bound(enc["upper"], delta)
    how = "certified" if cert else "sampled (quick profile: not certified)"
    result = graded(Result.confirmed(
        f"sup|log r − <φ,ψ>| ≤ {delta:.3e} ({how}); hence sup|r − exp<φ,ψ>| ≤ max r·(e^δ − 1) "
        f"≤ {enc['upper']:.4g}·(e^δ − 1) = {eps_r:.3e}", f"{res.strength}; transfer: interval "
        "bound on max r, arb", delta=delta, eps_r=eps_r, **ev
    ), Strength.CERTIFIED if cert else Strength.SAMPLED)
    result.artifacts, result.figures = res.artifacts, res.figures
    return result
