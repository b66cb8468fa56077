"""The margin lemma's property checks (:mod:`verify.attention.margin`) as theorem checks.

Each property of :mod:`~verify.attention.margin` (``prop(case) -> (ok, evidence)``) is run on
hypothesis-generated cases with the check's profile and seed (:func:`verify.run_property`); a
failing case, shrunk, is the counterexample (reason ``counterexample``). The lemma (ours, math
notes "Attention margin lemma"): with ``|s_i - β u_i| ≤ βδ`` and margin ``η > 2δ``

.. math::

    1 - \\alpha_{i^*} \\le \\frac{(n-1)e^{-\\beta(\\eta-2\\delta)}}
    {1 + (n-1)e^{-\\beta(\\eta-2\\delta)}},
    \\qquad 1 - \\alpha_{i^*} \\to 0 \\ (\\beta \\to \\infty),

and with a tied top class of ``k`` keys and exact scores every tied key has ``α ≤ 1/k``.
"""

from __future__ import annotations

from typing import Any

from verify.attention.margin import (
    ALPHA_CASES,
    BetaRule,
    Property,
    alpha_to_one_property,
    beta_for,
    bound_property,
    case_strategy,
    one_minus_bound,
    tie_alpha_exact,
    tie_cap_property,
    tie_strategy,
)
from verify.core.context import Context
from verify.core.properties import Counterexample, run_property
from verify.core.result import Result
from verify.core.status import Status, Strength

__all__ = ["alpha_to_one_result", "margin_bound_result", "property_result", "tie_cap_result"]

BASIS = "Ours (docs/math.md, attention margin lemma): not the paper's constants."


def property_result(strategy: Any, prop: Property, ctx: Context, claim: str,
                    describe: Any) -> Result:
    """Run ``prop`` on ``strategy``; refuted (``counterexample``) with ``describe(case, ev)`` as
    the summary of the shrunk failing case, else confirmed (sampled: a property test)."""

    def raising(case: dict[str, Any]) -> None:
        ok, ev = prop(case)
        if not ok:
            data = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in case.items()}
            raise Counterexample(describe(case, ev), case=data, **ev)

    result = run_property(strategy, raising, ctx, claim=claim)
    result.evidence["basis"] = BASIS
    if result.status == Status.REFUTED:
        return result.because("counterexample", Strength.SAMPLED)
    if result.status == Status.CONFIRMED:
        result.strength_kind = Strength.SAMPLED
    return result


def margin_bound_result(ctx: Context, bound: Any = one_minus_bound,
                        label: str = "1/(1 + (n−1)e^{−β(η−2δ)}) (ours)") -> Result:
    """``1 - α_{i*} ≤ bound`` on generated cases (n ≤ 64, adversarial/random/zero errors)."""

    def describe(case: dict[str, Any], ev: dict[str, Any]) -> str:
        return (f"1 − α_{{i*}} = {ev['one_minus_alpha']:.6g} exceeds the claimed bound "
                f"{ev['bound']:.6g} at n = {case['n']}, β = {case['beta']:.6g}, "
                f"η = {case['eta']:.6g}, δ = {case['delta']:.6g} ({case['perturbation']} "
                "perturbation)")

    result = property_result(case_strategy(max_n=64), bound_property(bound), ctx,
                             f"1 − α_{{i*}} ≤ {label}", describe)
    result.evidence["bound"] = label
    return result


def alpha_to_one_result(ctx: Context, beta_rule: BetaRule = beta_for,
                        label: str = "β* = log((n−1)/ε)/(η − 2δ) (ours)") -> Result:
    """Along growing β up to ``beta_rule(n, 1e-12, η, δ)``: 1 − α non-increasing, below the
    bound, and ≤ 1e-12 at the end."""

    def describe(case: dict[str, Any], ev: dict[str, Any]) -> str:
        what = ("1 − α grew with β" if not ev["monotone"] else
                "1 − α exceeded the bound" if not ev["below_bound"] else
                f"1 − α = {ev['one_minus_alpha'][-1]:.3g} > {ev['eps_final']:g} at the rule's "
                f"β = {ev['betas'][-1]:.4g}")
        return (f"{what} (n = {case['n']}, η = {case['eta']:.4g}, δ = {case['delta']:.4g}, "
                f"{case['perturbation']} perturbation)")

    result = property_result(case_strategy(**ALPHA_CASES),
                             alpha_to_one_property(beta_rule=beta_rule), ctx,
                             f"α_{{i*}} → 1 monotonically, 1 − α ≤ 1e-12 at {label}", describe)
    result.evidence["beta_rule"] = label
    return result


def tie_cap_result(ctx: Context, score_error: float = 0.0) -> Result:
    """Generated tied top classes: no β lifts a tied key above ``1/k`` (exact scores), plus the
    sympy identity ``α = 1/2`` for two tied keys."""

    def describe(case: dict[str, Any], ev: dict[str, Any]) -> str:
        return (f"a tied key gets α = {ev['max_alpha_tied']:.6g} > 1/{case['tied']} with a score "
                f"error δ = {score_error:g} (n = {case['n']})")

    result = property_result(tie_strategy(), tie_cap_property(score_error=score_error), ctx,
                             "with k tied top keys no β lifts a tied key above 1/k", describe)
    result.evidence["symbolic"] = tie_alpha_exact()
    return result
