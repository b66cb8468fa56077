"""Checks 4–6 of the layer-decomposition theorem as functions ``(..., ctx) -> Result`` (ours).

4. encoding theorem, our operational form (:mod:`.encoding`); 5. latent subspace under weight
decay (:mod:`.subspace`); 6. Hopfield update = attention, retrieval bound (:mod:`.hopfield`).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from verify import Counterexample, Result, Strength, run_property
from verify.decomposition import encoding as E
from verify.decomposition.activations import facts
from verify.decomposition.checks_linear import graded
from verify.decomposition.hopfield import retrieval_case, separated_patterns
from verify.decomposition.networks import regression_data, train_regression
from verify.decomposition.subspace import FACTOR_TOL, run_experiment


def check_encoding(p: dict, ctx) -> Result:
    """Train until stably converged (ours), certify L over the box, bound the margin.

    ``p``: target, d, n_per_dim, width, depth, activation, iters, stability_steps, lr,
    grad_tol, change_tol, cells_per_dim, claimed_lipschitz (optional)."""
    x, y = regression_data(p["target"], p["d"], p["n_per_dim"])
    lo, hi = -np.ones(p["d"]), np.ones(p["d"])
    fact = facts(p["activation"])
    if not fact.continuous:
        net = E.fit_step_network(x, y, p["width"], lo, hi, ctx.rng)
        jump = E.show_jump(net, p["activation"], lo, hi)
        return Result.not_applicable(
            f"{p['activation']} is discontinuous ({fact.derivation}): the fitted network jumps "
            f"by {jump['jumps'][-1]:.4g} across unit {jump['unit']} at x0 = "
            f"{np.round(jump['x0'], 6).tolist()}, difference quotients "
            f"{', '.join(f'{q:.3g}' for q in jump['difference_quotients'])} for δ = "
            f"{', '.join(f'{dl:g}' for dl in jump['deltas'])}: no finite L",
            "rigorous lower bound: pairs of points x0 ± δu, quotients ≥ jump/(2δ) → ∞",
            jump=jump,
        ).because("hypothesis:continuous-activation", Strength.LOWER_BOUND)
    from verify.certify.mlp_bounds import ACTIVATIONS

    if p["activation"] not in ACTIVATIONS:
        return Result.inconclusive(
            f"{p['activation']} is continuous but the certifier has no enclosure for it "
            f"(supported: {', '.join(ACTIVATIONS)}); no certified L", "none")
    layers = train_regression(x, y, width=p["width"], depth=p["depth"],
                              activation=p["activation"], seed=ctx.seed, iters=p["iters"])
    layers, hist = E.stability_steps(layers, p["activation"], x, y, steps=p["stability_steps"],
                                     lr=p["lr"])
    stable = (hist["max_grad_norm"] <= p["grad_tol"]
              and hist["max_relative_change"] <= p["change_tol"])
    crit = (f"max ||grad|| = {hist['max_grad_norm']:.3g} (≤ {p['grad_tol']:g}), max relative "
            f"change {hist['max_relative_change']:.3g} (≤ {p['change_tol']:g}) over the last "
            f"{p['stability_steps']} steps")
    if not stable:
        return Result.inconclusive(f"not stably converged (ours): {crit}", "trainer missed",
                                   stability=hist).because("trainer-missed")
    lip = E.certified_lipschitz(layers, p["activation"], lo, hi, p["cells_per_dim"])
    spec = E.spectral_product(layers, p["activation"])
    eps_train = E.train_error(layers, p["activation"], x, y)
    h = E.covering_radius(x, lo, hi, p["cells_per_dim"])
    pair = E.steepest_pair(layers, p["activation"], lo, hi, ctx.rng)
    claimed = lip["L"] if p.get("claimed_lipschitz") is None else float(p["claimed_lipschitz"])
    ev = {"stability": {k: hist[k] for k in ("max_grad_norm", "max_relative_change")},
          "certified_lipschitz": lip, "spectral_norm_product": spec, "eps_train": eps_train,
          "covering_radius": h, "margin": eps_train + lip["L"] * h, "steepest_pair": pair,
          "claimed_lipschitz": claimed}
    if pair["quotient_lower"] > claimed:
        return Result.refuted(
            f"claimed L = {claimed:.4g}, but |f(a) − f(b)|/||a − b|| ≥ "
            f"{pair['quotient_lower']:.4g} at a = {np.round(pair['a'], 6).tolist()}, "
            f"b = {np.round(pair['b'], 6).tolist()}",
            "rigorous lower bound: a pair of points (point enclosures, distance rounded up)", **ev,
        ).because("difference-quotient", Strength.LOWER_BOUND)
    check = E.sampled_margin_check(layers, p["activation"], x, y, eps_train, claimed, lo, hi,
                                   ctx.rng)
    ev["sampled_margin_check"] = check
    if check["max_excess"] > 1e-9:
        return Result.refuted(
            f"|f(z) − y_i| exceeds ε_train + L||z − x_i|| by {check['max_excess']:.3g} at "
            f"z = {np.round(check['z'], 6).tolist()}, i = {check['i']}", "sampled point", **ev,
        ).because("margin-violated", Strength.SAMPLED)
    return graded(Result.confirmed(
        f"stably converged ({crit}); certified L = {lip['L']:.4g} over [−1,1]^{p['d']} "
        f"(spectral-norm product {spec:.4g}; a pair shows L ≥ {pair['quotient_lower']:.4g}); "
        f"ε_train ≤ {eps_train:.3g}, covering radius ≤ {h:.3g}: margin ≤ "
        f"{ev['margin']:.3g} over the whole box",
        f"certified: {lip['method']}; ε_train from point enclosures", **ev), Strength.CERTIFIED)


def check_subspace(p: dict, ctx) -> Result:
    """``W_1 P_⊥ ↦ (1 − ηλ) W_1 P_⊥`` every step, and principal angles → 0 (see
    :mod:`.subspace`). ``p``: d, k, width, n, aligned, optimizer, lr, weight_decay, steps,
    angle_tol."""
    keys = ("d", "k", "width", "n", "aligned", "optimizer", "lr", "weight_decay", "steps")
    run = run_experiment(**{k: p[k] for k in keys}, rng=ctx.rng)
    where = f"{run['optimizer']}, S {'axis-aligned' if run['aligned'] else 'rotated'}"
    if run["inputs_off_subspace_rel"] > 1e-12:
        return Result.not_applicable(
            f"training inputs leave S: max |x P_⊥| = {run['inputs_off_subspace_rel']:.3g}·max|x|",
            "float64", run=run).because("hypothesis:inputs-in-subspace", Strength.EXHAUSTIVE)
    if run["max_factor_deviation_rel_W"] > FACTOR_TOL:
        lo, hi = run["measured_factor_range"]
        return Result.refuted(
            f"{where}: W_1 P_⊥ is not scaled by 1 − ηλ = {run['claimed_factor']:.6g}: measured "
            f"per-step factors ‖W P_⊥‖ ratio in [{lo:.6g}, {hi:.6g}], deviation "
            f"{run['max_factor_deviation_rel_W']:.3g}·‖W‖ > {FACTOR_TOL:g}",
            "one seeded run (a counterexample), float64", run=run,
        ).because("factor-mismatch", Strength.SAMPLED)
    if run["sin_max_principal_angle"] > p["angle_tol"]:
        return Result.refuted(
            f"{where}, λ = {run['weight_decay']:g}: after {run['steps']} steps the top-"
            f"{p['k']} right singular subspace of W_1 is at sin θ_max = "
            f"{run['sin_max_principal_angle']:.3g} > {p['angle_tol']:g} from S "
            f"(‖W P_⊥‖: {run['perp_norm_initial']:.4g} → {run['perp_norm_final']:.4g})",
            "one seeded run (a counterexample), float64", run=run,
        ).because("subspace-not-converged", Strength.SAMPLED)
    return graded(Result.confirmed(
        f"{where}: every one of {run['steps']} steps scaled W_1 P_⊥ by 1 − ηλ = "
        f"{run['claimed_factor']:g} (deviation ≤ {run['max_factor_deviation_rel_W']:.2g}·‖W‖); "
        f"‖W P_⊥‖ {run['perp_norm_initial']:.3g} → {run['perp_norm_final']:.3g} (predicted "
        f"{run['perp_norm_predicted']:.3g}); sin θ_max = {run['sin_max_principal_angle']:.2g}",
        "every step of one seeded run, float64 (the factor is a proof in exact arithmetic)",
        run=run), Strength.SAMPLED)


def check_hopfield(p: dict, ctx) -> Result:
    """Hopfield update = SDPA to 1e-6, and one update retrieves within the margin lemma's
    bound; the claim: β = beta_factor·log((n−1)/ε₁)/Δ retrieves within 2ε₁ max‖x‖.
    ``p``: delta, eps1, beta_factor, radius, noise, max_n, max_d."""

    def prop(example) -> None:
        n, d, seed = example
        X, xi = separated_patterns(n, d, p["delta"], p["radius"], p["noise"],
                                   np.random.default_rng(seed))
        c = retrieval_case(X, xi, p["delta"], p["eps1"], p["beta_factor"])
        if c["eta"] < p["delta"] * (1 - 1e-12):  # the generator pushes to ≥ Δ (rounding)
            raise Counterexample(f"the query's gap η = {c['eta']:.6g} is below Δ = "
                                 f"{p['delta']:g}", kind="hypothesis:pattern-separation", **c)
        if c["sdpa_max_abs_diff"] > 1e-6 * c["sdpa_scale"]:
            raise Counterexample(f"SDPA differs from the Hopfield update by "
                                 f"{c['sdpa_max_abs_diff']:.3g}", kind="sdpa-mismatch", **c)
        if c["error"] > c["lemma_bound"] * (1 + 1e-9) + 1e-12:
            raise Counterexample(f"error {c['error']:.4g} above the margin lemma's bound "
                                 f"{c['lemma_bound']:.4g}", kind="lemma-violated", **c)
        if c["error"] > c["claimed"] * (1 + 1e-9) + 1e-12:
            raise Counterexample(
                f"β = {c['beta']:.4g} (n = {n}, Δ = {p['delta']:g}): one update lands "
                f"{c['error']:.4g} from the stored pattern, above the claimed 2ε₁·max‖x‖ = "
                f"{c['claimed']:.4g}", kind="counterexample", X=X, xi=xi, **c)

    strategy = st.tuples(st.integers(2, p["max_n"]), st.integers(2, p["max_d"]),
                         st.integers(0, 2**32 - 1))
    res = run_property(strategy, prop, ctx, claim="Hopfield retrieval")
    if res.status.value == "refuted":
        kind = res.evidence["counterexample"]["kind"]
        if kind.startswith("hypothesis:"):
            return Result.not_applicable(res.summary, "generated pattern set, float64",
                                         **res.evidence).because(kind, Strength.SAMPLED)
        return res.because(kind, Strength.SAMPLED)
    return graded(Result.confirmed(
        f"{res.evidence['examples_tried']} pattern sets: the Hopfield update equals SDPA to "
        f"1e-6 relative and one update at β = log((n−1)/ε₁)/Δ · {p['beta_factor']:g} retrieved "
        f"within the margin lemma's bound ≤ 2ε₁ max‖x‖ (ε₁ = {p['eps1']:g}, Δ = {p['delta']:g})",
        "sampled: hypothesis pattern sets (the bound is the margin lemma, proven)",
        examples_tried=res.evidence["examples_tried"]), Strength.SAMPLED)
