"""End-to-end retrieval and its figures, as theorem checks (softmax and torch SDPA).

On η-margin draws (query, ``n`` keys, ``u(x, y_{i*}) − u(x, y_j) ≥ η``) the scores are
``β <φ_q(x), φ_k(y_i)>`` with β from the margin lemma (ours, docs/math.md)

.. math::

    \\beta = \\frac{\\log((n-1)/\\varepsilon_1)}{\\eta - 2\\delta}
    \\ \\Rightarrow\\ 1 - \\alpha_{i^*} \\le \\varepsilon_1,\\quad
    \\Big\\|\\sum_i \\alpha_i v_i - v_{i^*}\\Big\\| \\le 2(1-\\alpha_{i^*})\\max\\|v\\|,

for every δ that bounds the score error (:mod:`verify.attention.deltas`). Outcomes, in order:

1. a stated δ exceeded on a draw, or not below η/2 → ``not-applicable``
   (``hypothesis:score-error``): the lemma's hypothesis fails, with the draw;
2. a trained map whose measured δ is not below η/2 → ``inconclusive`` (``trainer-missed``);
   a claim on the maps (:mod:`verify.attention.witness`) that the pipeline did not confirm —
   refuted by a rank bound, trainer missed, certificate undecided in standard/full — →
   ``inconclusive`` with the pipeline's reason;
3. a draw violating ε₁ at the claimed β, or a lemma bound → ``refuted`` (``counterexample``);
4. else ``confirmed``: *certified* when the δ is certified (then the lemma covers every margin
   event), *sampled* otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from verify.attention.deltas import delta_for, features_for, short
from verify.attention.figures import (
    accuracy_vs_margin_data,
    accuracy_vs_margin_png,
    alpha_vs_beta_data,
    alpha_vs_beta_png,
)
from verify.attention.lemma_checks import BASIS
from verify.attention.margin import beta_for
from verify.attention.retrieval import evaluate_retrieval, sample_margin_draws, sdpa_agreement
from verify.core.context import Context
from verify.core.result import Figure, Result
from verify.core.status import Status, Strength

__all__ = ["REFUTING", "figures_result", "retrieval_result"]

#: violations of a claim (ε₁ at β) or of the lemma's conclusions; "delta" is the hypothesis
REFUTING = ("selection", "alpha_bound", "value_bound", "eps1", "eps1_value")
_KEEP = ("accuracy", "mean_one_minus_alpha", "max_one_minus_alpha", "max_value_error", "bounds")


def _run_line(d: float, kind: str, beta: float, res: Any) -> str:
    return (f"δ = {d:.3g} [{short(kind)}] → β = {beta:.4g}: accuracy {res.accuracy:.4%}, max "
            f"1 − α_{{i*}} = {res.max_one_minus_alpha:.3g} (mean {res.mean_one_minus_alpha:.3g})"
            f" ≤ bound {res.bounds['one_minus_alpha']:.3g}, max value error "
            f"{res.max_value_error:.3g} ≤ {res.bounds['value_error']:.3g}")


def _hypothesis_fails(what: str, ev: dict[str, Any]) -> Result:
    return Result.not_applicable(
        f"{what}: the margin lemma's hypothesis sup|s/β − u| ≤ δ < η/2 fails", "explicit draw "
        "(float64)", **ev).because("hypothesis:score-error", Strength.SAMPLED)


def _claim_undecided(what: str, ev: dict[str, Any], numbers: str) -> Result:
    """The pipeline did not confirm the maps' claim: nothing is confirmed (its reason kept)."""
    return Result.inconclusive(
        f"{what}: the claim on φ_q, φ_k was not confirmed ({ev['claim_summary']}){numbers}",
        "the maps' δ is not established", **ev).because(ev.get("claim_reason") or "unclaimed")


def retrieval_result(params: Mapping[str, Any], ctx: Context, backend: str) -> Result:
    """Attend on seeded η-margin draws with β from the formula for each available δ."""
    u = params["utility"]
    n, eta, eps1 = params.get("n_keys", 16), params["eta"], params["eps1"]
    what = "torch scaled_dot_product_attention" if backend == "sdpa" else "softmax attention"
    pair, info = features_for(params, ctx)
    if pair is None:
        return _claim_undecided(what, info, "")
    draws = sample_margin_draws(u, n, eta, ctx.profile.pick(2000, 10_000, 50_000), seed=ctx.seed)
    stated = info.get("delta")
    probe = evaluate_retrieval(pair, u, beta=1.0, eta=eta, draws=draws, delta=stated,
                               seed=ctx.seed)  # δ over the draws (β does not change s/β − u)
    variants = [v for v in (delta_for(info, probe.delta_measured),
                            delta_for(info, probe.delta_measured, certified=True)) if v]
    delta, delta_kind = variants[0]
    ev: dict[str, Any] = {**info, "delta": delta, "delta_kind": delta_kind,
                          "delta_measured_on_draws": probe.delta_measured, "basis": BASIS}
    exceeded = [v for v in probe.violations if v["check"] == "delta"]
    if exceeded:
        ev.update(violations=exceeded, counterexample_draw=exceeded[0]["draw"])
        return _hypothesis_fails(
            f"{what}: the stated δ = {delta:.3g} ({short(delta_kind)}) is exceeded on "
            f"{exceeded[0]['count']} of {len(draws)} draws (score error up to "
            f"{probe.delta_measured:.3g})", ev)
    if not eta > 2 * delta:
        msg = f"{what}: δ = {delta:.3g} ({short(delta_kind)}) is not below η/2 = {eta / 2:g}"
        if stated is not None:
            return _hypothesis_fails(msg, ev)
        return Result.inconclusive(msg + ": the trained maps are not accurate enough for the "
                                   "lemma", "δ too large for the margin", **ev
                                   ).because("trainer-missed")
    claimed_beta = params.get("beta")
    runs = []
    for d, kind in variants:
        if eta > 2 * d:
            beta = float(claimed_beta) if claimed_beta is not None else beta_for(n, eps1, eta, d)
            runs.append((d, kind, beta, evaluate_retrieval(
                pair, u, beta=beta, eta=eta, draws=draws, delta=d, eps1=eps1, seed=ctx.seed,
                backend=backend)))
    ev["beta_source"] = ("claimed by the instance" if claimed_beta is not None
                         else "formula log((n−1)/ε₁)/(η − 2δ) (ours)")
    ev.update({k: v for k, v in runs[0][3].to_dict().items() if k != "violations"})
    ev["by_delta"] = [{"delta": d, "delta_kind": kind, "beta": b,
                       **{k: v for k, v in r.to_dict().items() if k in _KEEP}}
                      for d, kind, b, r in runs]
    if backend == "sdpa":
        ev["sdpa_vs_softmax"] = sdpa_agreement(pair, draws, runs[0][2], seed=ctx.seed)
    numbers = (f"{len(draws)} η-margin draws (η = {eta:g}, n = {n}, ε₁ = {eps1:g}); "
               + "; ".join(_run_line(*run) for run in runs))
    for d, kind, beta, res in runs:
        refuting = [v for v in res.violations if v["check"] in REFUTING]
        if refuting:
            first = refuting[0]
            ev.update(violations=refuting, counterexample_draw=first["draw"])
            return Result.refuted(
                f"{what}: bound '{first['check']}' violated on {first['count']} draws (worst "
                f"{first['measured']:.4g} > {first['bound']:.4g}) at β = {beta:.4g}, δ = {d:.3g} "
                f"[{short(kind)}]; {numbers}",
                "explicit counterexample draw (query, keys, scores, α) in the evidence", **ev,
            ).because("counterexample", Strength.SAMPLED)
    if "claim_status" in info and info["claim_status"] != "confirmed":
        return _claim_undecided(what, ev, f"; bounds hold on the draws: {numbers}")
    certified = any(short(kind) == "certified" for _, kind, _, _ in runs)
    strength = (f"measured on {len(draws)} seeded η-margin draws; δ: "
                + " / ".join(short(k) for _, k, _, _ in runs)
                + ("; with the certified δ the lemma (ours) gives the bound on every η-margin "
                   "event" if certified else " (sampled, not a proof)"))
    return Result(Status.CONFIRMED, f"{what}: {numbers}", ev, strength,
                  strength_kind=Strength.CERTIFIED if certified else Strength.SAMPLED)


def figures_result(params: Mapping[str, Any], ctx: Context) -> Result:
    """α_{i*} against β and accuracy against η, with the planted maps (``figure_features``
    to change that); refuted (``counterexample``) if the worst draw's α falls below the lemma
    bound computed with the instance's ``claimed_delta`` (else the maps' δ)."""
    u = params["utility"]
    n, eta, eps1 = params.get("n_keys", 16), params["eta"], params["eps1"]
    num = ctx.profile.pick(1000, 4000, 10_000)
    # the planted maps (δ known by construction) unless the instance asks for its own: the
    # trained maps are the subject of end-to-end / sdpa, the figures illustrate the lemma
    mode = params.get("figure_features", "planted")
    pair, info = features_for({**params, "features": mode}, ctx, certify=False)
    if pair is None:
        return _claim_undecided("figures", info, "")
    draws = sample_margin_draws(u, n, eta, num, seed=ctx.seed)
    probe = evaluate_retrieval(pair, u, beta=1.0, eta=eta, draws=draws, seed=ctx.seed)
    stated = params.get("claimed_delta")
    if stated is not None:
        delta, kind = float(stated), "claimed by the instance"
    else:
        delta, kind = delta_for(info, probe.delta_measured)  # never certified here
    if not eta > 2 * delta:
        return Result.inconclusive(f"δ = {delta:.3g} ≥ η/2: no bound to plot", "no bound",
                                   delta=delta).because("trainer-missed")
    beta_star = beta_for(n, eps1, eta, delta)
    betas = list(np.geomspace(1.0, 2 * beta_star, 10))
    data = alpha_vs_beta_data(pair, u, eta=eta, n_keys=n, delta=delta, betas=betas,
                              num_draws=num, seed=ctx.seed)
    below = [i for i, (m, b) in enumerate(zip(data["min_alpha"], data["bound"]))
             if m < b * (1 - 1e-9)]
    acc = accuracy_vs_margin_data(pair, u, beta=beta_star, n_keys=n, delta=delta,
                                  etas=(0.0, 0.002, 0.005, 0.01, 0.02, eta),
                                  num_draws=ctx.profile.pick(500, 2000, 5000), seed=ctx.seed)
    ev = {"alpha_vs_beta": data, "accuracy_vs_margin": acc, "delta": delta, "delta_kind": kind,
          "beta_star": beta_star, "features": info.get("features"), "basis": BASIS}
    if below:
        i = below[0]
        result = Result.refuted(
            f"at β = {data['betas'][i]:.4g} the worst draw has 1 − α_{{i*}} = "
            f"{1 - data['min_alpha'][i]:.3g} above the lemma bound {1 - data['bound'][i]:.3g} "
            f"(α below its lower bound), computed with δ = {delta:g} ({kind})",
            "explicit β and draw set (seeded), float64", first_violation_beta=data["betas"][i],
            **ev).because("counterexample", Strength.SAMPLED)
    else:
        result = Result(
            Status.CONFIRMED,
            f"worst-draw α_{{i*}} stays above the lemma bound at all {len(betas)} β values "
            f"(δ = {delta:.3g}, {short(kind)}); accuracy at β* = {beta_star:.4g} rises "
            f"from {acc['accuracy'][0]:.3f} at η = 0 to {acc['accuracy'][-1]:.4f} at η = {eta:g}",
            ev, f"measured on {data['num_draws']} seeded draws per β (sampled)",
            strength_kind=Strength.SAMPLED)
    title = f"{u.name}: n = {n}, η = {eta:g}, δ = {delta:.2g} ({short(kind)})"
    result.figures.append(Figure("alpha-vs-beta", alpha_vs_beta_png(data, title),
                                 "α on the selected key against β: mean, worst draw and the "
                                 "margin-lemma lower bound (ours)"))
    result.figures.append(Figure("accuracy-vs-margin", accuracy_vs_margin_png(acc, title),
                                 f"selection accuracy against the margin η at β = {beta_star:.4g}"))
    return result
