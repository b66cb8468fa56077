"""Is there an inner-product model with sup error ≤ ε within a neuron budget? The whole pipeline.

Relation → (rigorous lower bounds) → Trainer → sampled sup → Certifier → Result:

1. Lower bounds that refute the claim outright: Weyl (a symmetric kernel with a negative
   eigenvalue: every <φ,φ> has sup error ≥ |λ_min|/n) and Eckart–Young–Mirsky (a model whose Gram
   matrices have rank ≤ k cannot beat the rank-k bound on some point set).
2. Otherwise train a witness (``verify.trainers.fit_inner_product``). A trainer that misses ε
   has not refuted an existence claim: that is ``inconclusive``.
3. A witness that reaches ε on the sampled sup is re-checked by the certifier when the profile
   demands it (standard, full): ``confirmed`` then means "certified sup ≤ U over the whole
   domain". In ``quick`` the sampled sup is accepted and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from verify.core.context import Context
from verify.core.result import Figure, Result

#: Where the profile demands a certificate, the trainer aims at CERTIFY_MARGIN·ε: a witness
#: whose sampled sup sits just under ε cannot be certified at ε (the certifier proves a bound
#: some 10–50 % above the sampled sup in reasonable time), so we leave it room (our choice).
CERTIFY_MARGIN = 0.7


@dataclass
class Budget:
    """The model the claim allows: MLP shape per branch, and the time to look for a witness."""

    width: int
    depth: int
    feature_dim: int
    activation: str = "tanh"
    time_budget_s: float = 60.0
    certify_budget_s: float = 60.0

    @property
    def rank_bound(self) -> int:
        """Gram matrices of <φ, ψ> have rank ≤ min(m, w + 1) (math notes)."""
        return min(self.feature_dim, self.width + 1)


def lower_bound_refutation(relation, eps: float, budget: Budget, symmetric: bool,
                           seed: int) -> Result | None:
    """A rigorous refutation of "some model within ``budget`` reaches ε", if one is found."""
    from verify.spectra.lower_bounds import min_rank_for, negative_eigenvalue_witness

    if symmetric:
        witness = negative_eigenvalue_witness(relation, seed=seed)
        if witness is not None and witness.certified_bound > eps:
            return Result.refuted(
                f"no <φ(x),φ(y)> model reaches {eps:g}: r has λ_min = {witness.lambda_min:.6g} "
                f"on {witness.n} points, so every PSD model errs by ≥ |λ|/n = "
                f"{witness.weyl_bound:.6g} > ε (Weyl)",
                "rigorous lower bound (Weyl), floating-point margin included",
                weyl=witness.to_dict(), eps=eps,
            )
    rank = min_rank_for(relation, eps, seed=seed, optimise=False)
    if budget.rank_bound < rank.m_min:
        return Result.refuted(
            f"with feature dim {budget.feature_dim} and last hidden width {budget.width} the Gram "
            f"matrices have rank ≤ {budget.rank_bound}, but every rank-{budget.rank_bound} "
            f"matrix errs by ≥ {rank.bound_for(budget.rank_bound):.4g} > ε = {eps:g} on "
            f"{rank.n}×{rank.n_prime} points (Eckart–Young–Mirsky)",
            "rigorous lower bound (Eckart–Young–Mirsky), floating-point margin included",
            rank_bound=budget.rank_bound, m_min=rank.m_min,
            bound=rank.bound_for(budget.rank_bound), eps=eps, points=rank.to_dict(),
        )
    return None


def check_approximation(relation, *, eps: float, budget: Budget, symmetric: bool,
                        ctx: Context, warm_start: Any = "spectral",
                        figures: bool = True) -> Result:
    from verify.trainers import fit_inner_product

    refutation = lower_bound_refutation(relation, eps, budget, symmetric, ctx.seed)
    if refutation is not None:
        return refutation
    train_eps = eps * CERTIFY_MARGIN if ctx.profile.certify else eps
    fit = fit_inner_product(
        relation, symmetric=symmetric, width=budget.width, depth=budget.depth,
        feature_dim=budget.feature_dim, activation=budget.activation, eps=train_eps,
        time_budget_s=ctx.scaled_time(budget.time_budget_s) if ctx.profile.name == "full"
        else budget.time_budget_s,
        seed=ctx.seed, device=ctx.device, warm_start=warm_start,
        progress=lambda info: ctx.progress(
            f"training: sup {info.get('best_sup', float('nan')):.2e} (ε {eps:g})"),
    )
    evidence: dict[str, Any] = {
        "eps": eps, "train_eps": train_eps, "fit": fit.summary(), "neurons": fit.neurons,
        "feature_dim": fit.feature_dim,
        "budget": budget.__dict__, "history_tail": fit.history[-5:],
    }
    artifacts = {}
    path = ctx.write_artifact("witness.json", fit.model.save)
    if path is not None:
        artifacts["witness"] = str(path)
    if fit.status == "diverged":
        return Result.error(f"training diverged: {fit.message}", **evidence)
    sampled = fit.sampled_sup
    sup = sampled.value if sampled is not None else float("inf")
    # missing the margin target is fine as long as the sampled sup is within ε
    if fit.status != "reached" and not sup <= eps:
        result = Result.inconclusive(
            f"the trainer did not reach ε = {eps:g} with {fit.neurons} hidden neurons in "
            f"{fit.time_s:.1f} s (best sampled sup {sup:.3e}); this refutes nothing",
            "training missed ε; no lower bound rules it out", **evidence)
        result.artifacts = artifacts
        return result
    if ctx.profile.certify:
        result = _certified(relation, fit, eps, budget, symmetric, ctx, evidence)
    else:
        result = Result.confirmed(
            f"witness with {fit.neurons} hidden neurons, feature dim {fit.feature_dim}: "
            f"sampled sup {sup:.3e} ≤ ε = {eps:g} (not certified: quick profile)",
            f"sampled sup over {sampled.n_points} points plus local ascent: a lower bound on "
            "the true sup, not a certificate (quick profile)",
            **evidence)
    result.artifacts = artifacts
    if figures and relation.dx == 1 and relation.dy == 1:
        result.figures.append(_heatmaps(relation, fit.model, eps))
    return result


def _certified(relation, fit, eps, budget, symmetric, ctx, evidence) -> Result:
    from verify.certify import certify_sup

    model = fit.model
    psi_layers = None if model.symmetric else model.psi.layers()
    sym_ok = symmetric and model.symmetric
    try:
        cert = certify_sup(
            relation, model.phi.layers(), psi_layers, model.phi.config.activation,
            eps=eps, time_budget_s=budget.certify_budget_s, symmetric=sym_ok, seed=ctx.seed,
        )
    except ValueError as exc:  # e.g. a torch-only relation: nothing to enclose
        return Result.inconclusive(
            f"witness reaches ε on the sampled sup ({fit.sampled_sup.value:.3e}) but cannot "
            f"be certified: {exc}", "sampled sup only (not certified)", **evidence)
    evidence["certificate"] = cert.to_dict()
    if cert.status == "certified":
        return Result.confirmed(
            f"witness with {fit.neurons} hidden neurons, feature dim {fit.feature_dim}: "
            f"certified sup ≤ {cert.upper:.3e} ≤ ε = {eps:g} (B&B, {cert.leaves} leaves, "
            f"{cert.time_s:.1f} s); sampled sup {cert.lower:.3e}",
            f"certified bound over the whole domain: {cert.method}", **evidence)
    return Result.inconclusive(
        f"witness reaches ε on the sampled sup ({fit.sampled_sup.value:.3e}, not certified); "
        f"the certifier ended '{cert.status}' with sup in [{cert.lower:.3e}, {cert.upper:.3e}]",
        "sampled sup only; certification did not decide", **evidence)


def _heatmaps(relation, model, eps: float) -> Figure:
    from verify.reports.figures import heatmaps_png

    k = 121
    xs = np.linspace(relation.x_box.lo[0], relation.x_box.hi[0], k)[:, None]
    ys = np.linspace(relation.y_box.lo[0], relation.y_box.hi[0], k)[:, None]
    K = relation.gram(xs, ys)
    p = next(model.parameters())
    with torch.no_grad():
        G = model.gram(torch.as_tensor(xs, dtype=p.dtype, device=p.device),
                       torch.as_tensor(ys, dtype=p.dtype, device=p.device)).cpu().numpy()
    extent = [ys[0, 0], ys[-1, 0], xs[0, 0], xs[-1, 0]]
    png = heatmaps_png({"r(x, y)": K, "learned <φ(x), ψ(y)>": G, "error r − <φ,ψ>": K - G},
                       extent, suptitle=f"{relation.name}: ε = {eps:g}")
    return Figure("witness", png, f"{relation.name}: kernel, learned inner product, error")
