"""The claim pipeline: lower bounds → train → sampled sup → certificate → verdict (written once).

:func:`run_claim` takes a :class:`~verify.claims.claim.Claim` and a check's context:

1. **refute** with a rigorous lower bound (Weyl for PSD models, Eckart–Young–Mirsky rank;
   :mod:`verify.claims.lower`): ``refuted`` with reason ``weyl-lower-bound`` /
   ``rank-lower-bound``;
2. **train** a witness (:func:`train_witness`; for a neuron count, widths from the smallest the
   rank bound allows, :func:`verify.claims.search.search_widths`, and the policy's seeds), aiming
   at ``policy.train_margin·ε``;
3. the trainer's **sampled sup** (a lower bound on the true sup) must be ≤ ε, else
   ``inconclusive`` (``trainer-missed``: a trainer that misses refutes nothing);
4. where the policy demands it, **certify** the witness over the whole domain
   (:func:`certify_model`); ``confirmed`` then rests on the certificate, otherwise
   ``inconclusive`` (``certificate-undecided`` / ``certificate-exceeds-eps`` /
   ``not-certifiable``). Without a certificate requirement (quick) ``confirmed`` says "sampled".

A fit stopped by the wall-clock safety limit is not reproducible; it never confirms on a sampled
basis (``inconclusive``, reason ``wall-clock-limit``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from verify.claims import cache
from verify.claims.claim import Claim, relation_key, warm_label
from verify.claims.lower import default_rank_bound, rank_refutation, weyl_refutation
from verify.claims.policy import Policy
from verify.claims.search import neurons_for_width, search_widths
from verify.core.result import Result
from verify.core.status import Strength

WALL_CLOCK_NOTE = "stopped by the wall-clock limit: not reproducible"


@dataclass
class CertifyOutcome:
    """:func:`certify_model`'s answer: ``status`` is ``certified`` / ``refuted`` (this model
    errs by more than ε somewhere, proven) / ``undecided`` / ``not-attempted`` (``reason``)."""

    status: str
    eps: float
    certificate: Any = None  # verify.certify.Certificate
    reason: str = ""

    @property
    def wall_clock_hit(self) -> bool:
        return bool(self.certificate is not None
                    and self.certificate.extra.get("stopped_by_wall_clock"))

    def to_dict(self) -> dict[str, Any]:
        if self.certificate is None:
            return {"status": self.status, "eps": self.eps, "reason": self.reason}
        return self.certificate.to_dict()


@dataclass
class ClaimOutcome:
    """What :func:`run_claim` found: the verdict plus the objects behind it."""

    result: Result
    fit: Any = None  # the witness's verify.trainers.FitResult (or the best attempt)
    certificate: CertifyOutcome | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def model(self):
        return None if self.fit is None else self.fit.model


def _policy(ctx: Any, policy: Policy | None) -> Policy:
    return policy if policy is not None else Policy.from_context(ctx)


def train_witness(claim: Claim, policy: Policy, *, width: int | None = None,
                  feature_dim: int | None = None, depth: int | None = None,
                  seed: int | None = None, progress=None):
    """One fit for ``claim`` (at ``width``/``feature_dim``/``depth``, default the claim's) with
    the policy's work budget; cached per relation, architecture, target, seed and budget."""
    from verify.trainers import fit_inner_product

    width = int(width if width is not None else claim.width)
    feature_dim = int(feature_dim if feature_dim is not None else claim.feature_dim)
    depth = int(depth if depth is not None else claim.depth)
    seed = int(policy.seed if seed is None else seed)
    train_eps = claim.train_eps if claim.train_eps is not None else policy.train_eps(claim.eps)
    parts = {"relation": relation_key(claim.relation), "width": width, "depth": depth,
             "feature_dim": feature_dim, "activation": claim.activation,
             "symmetric": claim.symmetric, "train_eps": train_eps, "seed": seed,
             "rounds": policy.train_rounds, "warm_iters": policy.warm_iters,
             "warm": warm_label(claim.warm_start), "device": policy.device,
             "wall_clock_s": policy.wall_clock_s}
    return cache.cached(cache.make_key("fit", parts, claim.warm_start), lambda: fit_inner_product(
        claim.relation, symmetric=claim.symmetric, width=width, depth=depth,
        feature_dim=feature_dim, activation=claim.activation, eps=train_eps,
        max_rounds=policy.train_rounds, warm_iters=policy.warm_iters,
        time_budget_s=policy.wall_clock_s, seed=seed, device=policy.device,
        warm_start=claim.warm_start, progress=progress))


def certify_model(relation: Any, model: Any, eps: float, ctx: Any = None, *,
                  policy: Policy | None = None, symmetric: bool | None = None) -> CertifyOutcome:
    """Certify ``sup |r − <φ, ψ>| ≤ eps`` for a given inner-product ``model`` over the boxes.

    Branch and bound (:func:`verify.certify.certify_sup`) with the policy's leaf budget and
    seed; the symmetry ``x_0 ≤ y_0`` is used when the model is symmetric and sympy proves
    ``r(x, y) = r(y, x)``. A relation without a sympy expression (or an activation the
    enclosures do not support) gives ``not-attempted`` with the reason.
    """
    from verify.certify import certify_sup

    pol = _policy(ctx, policy)
    sym = model.symmetric if symmetric is None else bool(symmetric and model.symmetric)
    psi = None if model.symmetric else model.psi.layers()
    kw = dict(eps=float(eps), max_leaves=pol.certify_leaves,
              time_budget_s=pol.certify_wall_clock_s, seed=pol.seed,
              device=None if pol.device == "cpu" else pol.device)  # cuda: torch enclosures
    try:
        try:
            cert = certify_sup(relation, model.phi.layers(), psi, model.phi.config.activation,
                               symmetric=sym, **kw)
        except ValueError as exc:
            if not (sym and "symmetric" in str(exc)):
                raise
            cert = certify_sup(relation, model.phi.layers(), psi, model.phi.config.activation,
                               symmetric=False, **kw)
    except (ValueError, NotImplementedError) as exc:  # e.g. a torch-only relation
        return CertifyOutcome("not-attempted", float(eps), None, str(exc))
    return CertifyOutcome(cert.status, float(eps), cert)


def check_claim(claim: Claim, ctx: Any, **kw: Any) -> Result:
    """The verdict of :func:`run_claim` (a :class:`Result` with a reason and a strength)."""
    return run_claim(claim, ctx, **kw).result


def run_claim(claim: Claim, ctx: Any, *, policy: Policy | None = None, rank_bound: Any = None,
              figures: bool = True, max_width: int = 24, widths: list[int] | None = None,
              extra: dict[str, Any] | None = None) -> ClaimOutcome:
    """Lower bounds → train → sampled sup → certificate → verdict (module docstring).

    ``rank_bound``: a precomputed :class:`verify.spectra.RankBound` at ``claim.eps`` (else the
    default point sets); ``max_width``: the widest network a neuron-count search tries;
    ``widths``: the widths it tries instead (depth-1, feature dim = width, within the count);
    ``extra``: evidence the caller adds (e.g. the stated bound).
    """
    pol = _policy(ctx, policy)
    evidence: dict[str, Any] = {"eps": claim.eps, "claim": claim.describe(),
                                "policy": pol.work(), **(extra or {})}
    refuted = weyl_refutation(claim, pol.seed)
    if refuted is None:
        rb = rank_bound if rank_bound is not None else default_rank_bound(claim, pol.seed)
        refuted = rank_refutation(claim, rb)
    if refuted is not None:
        refuted.evidence.update(evidence)
        return ClaimOutcome(refuted)
    evidence["m_min"] = rb.m_min
    plan = _plan(claim, rb.m_min, max_width, widths)
    if not plan:
        return ClaimOutcome(Result.inconclusive(
            f"{_label(claim)}no network within the budget fits the search (widths ≤ "
            f"{max_width})", "nothing tried", **evidence).because("nothing-tried"))
    progress = getattr(ctx, "progress", None)
    fit, attempts = _search(claim, pol, plan, progress)
    outcome = ClaimOutcome(Result.inconclusive("not judged yet"), fit, None, attempts)
    evidence.update(train_eps=claim.train_eps if claim.train_eps is not None
                    else pol.train_eps(claim.eps), attempts=attempts, fit=fit.summary(),
                    neurons=fit.neurons, feature_dim=fit.feature_dim,
                    history_tail=fit.history_tail())
    outcome.result = _verdict(claim, ctx, pol, outcome, evidence)
    if ctx is not None and hasattr(ctx, "write_artifact"):
        path = ctx.write_artifact("witness.json", fit.model.save)
        if path is not None:
            outcome.result.artifacts["witness"] = str(path)
    if figures and ("certificate" in evidence or outcome.result.status.value == "confirmed"):
        _add_figure(claim, fit.model, outcome.result)  # a witness that reached ε (sampled)
    return outcome


def _label(claim: Claim) -> str:
    return f"{claim.label}: " if claim.label else ""


def _plan(claim: Claim, m_min: int, max_width: int,
          widths: list[int] | None) -> list[tuple[int, int, int]]:
    """``(width, feature_dim, depth)`` per fit, in order."""
    if claim.fixed_architecture:
        return [(int(claim.width), int(claim.feature_dim), claim.depth)]
    if widths is None:
        cap = claim.neurons if claim.symmetric else claim.neurons // 2
        cap = max(1, cap // max(1, claim.depth))
        widths = search_widths(m_min, min(max_width, cap))
    return [(w, w, claim.depth) for w in widths
            if neurons_for_width(w, claim.symmetric, claim.depth) <= claim.neurons]


def _search(claim: Claim, pol: Policy, plan, progress):
    """Fits in ``plan`` × seeds until a sampled sup ≤ ε (at most ``pol.max_fits`` fits)."""
    attempts: list[dict[str, Any]] = []
    best = None
    for width, feature_dim, depth in plan:
        for seed in pol.seeds():
            if len(attempts) >= pol.max_fits:
                return best, attempts
            fit = train_witness(claim, pol, width=width, feature_dim=feature_dim, depth=depth,
                                seed=seed, progress=_progress(progress, claim.eps))
            sup = None if fit.sampled_sup is None else float(fit.sampled_sup.value)
            attempts.append({"width": width, "feature_dim": feature_dim, "depth": depth,
                             "seed": seed, "neurons": int(fit.neurons), "status": fit.status,
                             "sampled_sup": sup, "rounds": fit.rounds, "time_s": fit.time_s,
                             "wall_clock_hit": fit.wall_clock_hit})
            if best is None or _better(fit, best):
                best = fit
            if sup is not None and sup <= claim.eps and fit.status != "diverged":
                return fit, attempts
    return best, attempts


def _better(fit, best) -> bool:
    a = fit.sampled_sup.value if fit.sampled_sup is not None else float("inf")
    b = best.sampled_sup.value if best.sampled_sup is not None else float("inf")
    return a < b


def _progress(progress, eps: float):
    if progress is None:
        return None
    return lambda info: progress(
        f"training: sup {info.get('best_sup', float('nan')):.2e} (ε {eps:g})")


def _verdict(claim: Claim, ctx, pol: Policy, outcome: ClaimOutcome, ev: dict) -> Result:
    fit = outcome.fit
    lab = _label(claim)
    if all(a["status"] == "diverged" for a in outcome.attempts):
        return Result.error(f"{lab}training diverged: {fit.message}", **ev)
    sup = fit.sampled_sup.value if fit.sampled_sup is not None else float("inf")
    what = f"{lab}witness with {fit.neurons} hidden neurons, feature dim {fit.feature_dim}"
    if not sup <= claim.eps:
        clock = any(a["wall_clock_hit"] for a in outcome.attempts)
        n = len(outcome.attempts)
        return Result.inconclusive(
            f"{lab}the trainer did not reach ε = {claim.eps:g} ({n} fit{'s' * (n != 1)}, best "
            f"sampled sup {sup:.3e}, {fit.neurons} hidden neurons); this refutes nothing"
            + (f" ({WALL_CLOCK_NOTE})" if clock else ""),
            "training missed ε; no lower bound rules it out", **ev,
        ).because("wall-clock-limit" if clock else "trainer-missed")
    if not pol.certify:
        if fit.wall_clock_hit:
            return Result.inconclusive(
                f"{what}: sampled sup {sup:.3e} ≤ ε = {claim.eps:g}, but the fit was "
                f"{WALL_CLOCK_NOTE}; not confirmed on a sampled basis",
                "sampled sup only, not reproducible", **ev).because("wall-clock-limit")
        return Result.confirmed(
            f"{what}: sampled sup {sup:.3e} ≤ ε = {claim.eps:g} (not certified: "
            f"{pol.profile} profile)",
            f"sampled sup over {fit.sampled_sup.n_points} points plus local ascent: a lower "
            f"bound on the true sup, not a certificate ({pol.profile} profile)", **ev,
        ).because("witness-sampled", Strength.SAMPLED)
    cert = certify_model(claim.relation, fit.model, claim.eps, policy=pol,
                         symmetric=claim.symmetric)
    outcome.certificate = cert
    ev["certificate"] = cert.to_dict()
    if cert.status == "certified":
        c = cert.certificate
        return Result.confirmed(
            f"{what}: certified sup ≤ {c.upper:.3e} ≤ ε = {claim.eps:g} (B&B, {c.leaves} "
            f"leaves); sampled sup {c.lower:.3e}",
            f"certified bound over the whole domain: {c.method}", **ev,
        ).because("certified", Strength.CERTIFIED)
    if cert.status == "not-attempted":
        return Result.inconclusive(
            f"{what} reaches ε on the sampled sup ({sup:.3e}) but cannot be certified: "
            f"{cert.reason}", "sampled sup only (not certified)", **ev).because("not-certifiable")
    c = cert.certificate
    reason = "certificate-exceeds-eps" if cert.status == "refuted" else "certificate-undecided"
    note = f"; {WALL_CLOCK_NOTE}" if cert.wall_clock_hit else ""
    return Result.inconclusive(
        f"{what} reaches ε on the sampled sup ({sup:.3e}, not certified); the certifier ended "
        f"'{cert.status}' with sup in [{c.lower:.3e}, {c.upper:.3e}]{note}",
        "sampled sup only; certification did not decide", **ev).because(reason)


def _add_figure(claim: Claim, model, result: Result) -> None:
    rel = claim.relation
    if getattr(rel, "dx", None) == 1 and getattr(rel, "dy", None) == 1 and hasattr(rel, "gram"):
        from verify.claims.figures import witness_heatmaps

        result.figures.append(witness_heatmaps(rel, model, claim.eps))
