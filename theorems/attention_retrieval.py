"""Attention approximates preorder retrieval: from preferences (Debreu) to softmax selection.

**Claim** (Altabaa & Lafferty, arXiv 2402.08856; cited as Theorem 5.1 in arXiv 2405.16727; only
the abstract and that citation are available to us). Queries ``x`` in a compact X, keys ``y`` in a
compact Y; each query has a complete, transitive, continuous preorder ``≼_x`` on Y, represented
(Debreu) by a utility ``u(x, ·)``, with ``u`` jointly continuous. Then ``u`` is a continuous
asymmetric relation, ``<φ_q(x), φ_k(y)>`` approximates ``β u``, and softmax attention puts weight
``> 1 − ε₁`` on the ``≼_x``-maximal key whenever the utility margin is at least ``η``.

**Quantitative step (ours, the docs/math.md' "attention margin lemma", not the paper's
constants).** If ``|s_i − β u_i| ≤ βδ``, the margin is ``η > 2δ``, then

.. math::

    \\alpha_{i^*} \\ge \\frac{1}{1 + (n-1)e^{-\\beta(\\eta - 2\\delta)}},\\qquad
    \\beta \\ge \\frac{\\log((n-1)/\\varepsilon_1)}{\\eta - 2\\delta} \\Rightarrow
    \\alpha_{i^*} \\ge 1 - \\varepsilon_1,\\qquad
    \\Big\\|\\sum_i \\alpha_i v_i - v_{i^*}\\Big\\| \\le 2(1-\\alpha_{i^*})\\max\\|v\\|.

This file holds the statement, hypotheses, check wrappers and instances; the checks live in
:mod:`verify.orders.checks` (preorder hypotheses), :mod:`verify.attention.hypotheses`
(continuity), :mod:`verify.attention.selection` (Debreu selection, ties),
:mod:`verify.attention.lemma_checks` (the margin lemma's properties) and
:mod:`verify.attention.end_to_end` (retrieval with exact, planted or trained φ_q, φ_k; figures).
"""

from __future__ import annotations

import networkx as nx

from verify import CheckKind, Hypothesis, Result, Source, Theorem, register
from verify.attention import continuity_in_y, joint_continuity, nearest_key_features
from verify.attention.end_to_end import figures_result, retrieval_result
from verify.attention.features import bilinear_features
from verify.attention.hypotheses import hypothesis_result as continuity_result
from verify.attention.lemma_checks import alpha_to_one_result, margin_bound_result
from verify.attention.margin import beta_for, one_minus_bound
from verify.attention.selection import debreu_select_result, preorder_result, tie_result
from verify.attention.utilities import (
    bilinear,
    bilinear_matrix,
    bump_reversed,
    cyclic_prefers,
    jump_in_y,
    manhattan_prefers,
    nearest_key,
    pareto_prefers,
    plateau,
    separately_continuous,
)
from verify.orders import Preorder, rank_utility
from verify.orders.checks import weak_order_graph

THEOREM = Theorem(
    id="attention-retrieval",
    title="Softmax attention approximates preorder retrieval (Debreu utility + margin lemma)",
    source=Source(
        paper="Altabaa & Lafferty, Approximation of relation functions and attention mechanisms",
        arxiv="2402.08856",
        theorem="attention selection theorem (cited as Theorem 5.1 in arXiv 2405.16727)",
        note="Only the abstract and the later citation are available. The margin lemma, its "
        "β formula and the value-error bound are ours (docs/math.md), not the paper's constants.",
    ),
    statement="For continuous query-dependent preferences ≼_x with jointly continuous utility "
    "u(x,y), inner-product attention softmax_i(<φ_q(x), φ_k(y_i)>) with <φ_q, φ_k> ≈ β u puts "
    "weight > 1 − ε₁ on the ≼_x-maximal key whenever the utility margin is at least η. "
    "Sufficient condition (ours): sup|<φ_q,φ_k>/β − u| ≤ δ < η/2 and "
    "β ≥ log((n−1)/ε₁)/(η − 2δ).",
    latex=r"\alpha_{i^*} \ge \frac{1}{1 + (n-1)e^{-\beta(\eta-2\delta)}}",
    hypotheses=(
        Hypothesis("complete", "every two keys are comparable under ≼_x, for every query x"),
        Hypothesis("transitive", "y ≼_x y' ≼_x y'' implies y ≼_x y''"),
        Hypothesis("continuous-in-y", "y -> u(x, y) is continuous (closed contour sets)"),
        Hypothesis("jointly-continuous", "(x, y) -> u(x, y) is continuous on X × Y"),
        Hypothesis("margin", "u(x, y_i*) − u(x, y_j) ≥ η for every j ≠ i* (the event the "
                   "conclusion is about: the draws are sampled on it; `tie` shows it is needed)"),
        Hypothesis("score-error", "sup |<φ_q(x), φ_k(y)>/β − u(x, y)| ≤ δ with η > 2δ"),
    ),
)

_HYP = "hypothesis:"


@THEOREM.check("complete", CheckKind.NUMERIC, "every two keys are comparable under ≼_x",
               tests=("complete",), reasons=(_HYP + "complete",))
def check_complete(instance, ctx) -> Result:
    return preorder_result(instance.params, ctx, "complete")


@THEOREM.check("transitive", CheckKind.NUMERIC, "no triple a ≼_x b ≼_x c with not a ≼_x c",
               tests=("transitive",), reasons=(_HYP + "transitive",))
def check_transitive(instance, ctx) -> Result:
    return preorder_result(instance.params, ctx, "transitive")


@THEOREM.check("debreu-select", CheckKind.NUMERIC,
               "Debreu utility represents ≼_x; softmax(β u) puts ≥ 1 − ε₁ on the top class",
               tests=("complete", "transitive"),
               reasons=("misrepresents", "counterexample", _HYP + "complete", _HYP + "transitive"))
def check_debreu_select(instance, ctx) -> Result:
    return debreu_select_result(instance.params, ctx)


@THEOREM.check("continuity-in-y", CheckKind.SYMBOLIC, "y -> u(x, y) continuous for every x",
               tests=("continuous-in-y",), reasons=(_HYP + "continuous-in-y",))
def check_continuity_in_y(instance, ctx) -> Result:
    return continuity_result(continuity_in_y(instance["utility"], seed=ctx.seed),
                             "continuous-in-y", "continuity in y")


@THEOREM.check("joint-continuity", CheckKind.SYMBOLIC, "(x, y) -> u(x, y) jointly continuous",
               tests=("jointly-continuous",), reasons=(_HYP + "jointly-continuous",))
def check_joint_continuity(instance, ctx) -> Result:
    return continuity_result(joint_continuity(instance["utility"]), "jointly-continuous",
                             "joint continuity")


@THEOREM.check("margin-lemma", CheckKind.PROPERTY,
               "1 − α_{i*} ≤ the lemma's bound on generated cases (hypothesis)",
               reasons=("counterexample",))
def check_margin_lemma(instance, ctx) -> Result:
    if "claimed_bound" in instance.params:
        return margin_bound_result(ctx, instance["claimed_bound"], instance["bound_label"])
    return margin_bound_result(ctx)


@THEOREM.check("alpha-to-one", CheckKind.PROPERTY,
               "α_{i*} → 1 monotonically as β grows; 1 − α ≤ 1e-12 at the formula's β",
               reasons=("counterexample",))
def check_alpha_to_one(instance, ctx) -> Result:
    if "beta_rule" in instance.params:
        return alpha_to_one_result(ctx, instance["beta_rule"], instance["rule_label"])
    return alpha_to_one_result(ctx)


@THEOREM.check("tie", CheckKind.NUMERIC,
               "with a tied top class no β lifts a tied key above 1/k ≤ 1/2: the margin is needed",
               reasons=("counterexample",))
def check_tie(instance, ctx) -> Result:
    return tie_result(instance.params, ctx)


@THEOREM.check("end-to-end", CheckKind.CERTIFICATE,
               "φ_q, φ_k (trained and certified in standard/full); β from the formula; accuracy, "
               "1 − α and value error vs bounds", tests=("score-error",),
               reasons=("counterexample", _HYP + "score-error"))
def check_end_to_end(instance, ctx) -> Result:
    return retrieval_result(instance.params, ctx, "softmax")


@THEOREM.check("sdpa", CheckKind.CERTIFICATE,
               "the same through torch.nn.functional.scaled_dot_product_attention",
               tests=("score-error",), reasons=("counterexample", _HYP + "score-error"))
def check_sdpa(instance, ctx) -> Result:
    return retrieval_result(instance.params, ctx, "sdpa")


@THEOREM.check("figures", CheckKind.NUMERIC,
               "α_{i*} against β (measured, lemma bound) and selection accuracy against η",
               reasons=("counterexample",))
def check_figures(instance, ctx) -> Result:
    return figures_result(instance.params, ctx)


# =============================================================================================
# Instances and negative controls
# =============================================================================================
def _key(i: int) -> str:
    return f"k{i}"


# five queries, each a weak order on 12 keys in 6 classes (rank (5i + 7j) mod 6 at query j:
# every class has two keys, so the top class is a tie of two keys at every query)
GRAPHS = {f"q{j}": weak_order_graph([(5 * i + 7 * j) % 6 for i in range(12)], _key)
          for j in range(5)}
# the same with a unique top key k11 at every query (rank 6)
GRAPHS_UNIQUE = {q: weak_order_graph([(5 * i + 7 * j) % 6 if i < 11 else 6 for i in range(12)],
                                     _key) for j, q in enumerate(GRAPHS)}
# a chain k0 ≺ k1 ≺ ... ≺ k11 at query q0, and a "utility" that reverses exactly one preference:
# the rank utility with the values of the top two keys k10, k11 exchanged
CHAIN = {"q0": nx.transitive_closure(nx.path_graph([_key(i) for i in range(12)],
                                                   create_using=nx.DiGraph), reflexive=True)}
_ONE_REVERSED = {"q0": {**rank_utility(Preorder.from_graph(CHAIN["q0"])), "k10": 11, "k11": 10}}

NEAREST = nearest_key(2)
A4 = bilinear_matrix(4, seed=0)  # instance data: the fixed matrix of the bilinear utility
BILINEAR = bilinear(4, seed=0)
PLATEAU = plateau(2, c=0.1)
NK_TRAIN = {"width": 16, "depth": 1, "feature_dim": 4, "activation": "tanh",
            "warm_start": "spectral"}
BL_TRAIN = {"width": 8, "depth": 1, "feature_dim": 4, "activation": "tanh",
            "warm_start": "exact"}
_RETRIEVAL = ("end-to-end", "sdpa", "figures")
_HYPS = ("complete", "transitive", "continuity-in-y", "joint-continuity")
_ALL = {c: "confirmed" for c in _HYPS}

THEOREM.instance(
    "nearest-key-d2",
    utility=NEAREST, exact_features=lambda: nearest_key_features(2), train=NK_TRAIN,
    n_keys=16, eta=0.05, eps1=1e-3, planted_delta=2e-3,
    expect={**_ALL, **{c: "confirmed" for c in _RETRIEVAL}},
    description="u = −|x − y|², X = Y = [−1,1]², n = 16 keys, η = 0.05, ε₁ = 1e-3; standard: "
    "trained φ_q, φ_k (asymmetric trainer) certified to 0.8·η/2, quick: exact maps + planted "
    "δ = 2e-3",
)
THEOREM.instance(
    "bilinear-d4",
    utility=BILINEAR, exact_features=lambda: bilinear_features(A4), train=BL_TRAIN,
    n_keys=16, eta=0.05, eps1=1e-3, planted_delta=2e-3,
    expect={**_ALL, "end-to-end": "confirmed", "sdpa": "confirmed"},
    description="u = xᵀAy, A a fixed 4×4 matrix, X = Y = [−1,1]⁴, n = 16, η = 0.05, "
    "ε₁ = 1e-3; standard: trained (warm start on the exact factorisation Aᵀx, y)",
)
THEOREM.instance(
    "plateau-ties",
    utility=PLATEAU, n_keys=16, expect={**_ALL, "tie": "confirmed"},
    description="u = −max(|x − y|² − 0.1, 0): continuous, but keys within √0.1 of the query tie; "
    "on those ties no β selects",
)
THEOREM.instance(
    "tie-two-keys",
    utilities=[1.0, 1.0, 0.5, 0.0], expect={"tie": "confirmed"},
    description="utilities (1, 1, 0.5, 0): two keys tie at the top; α ≤ 1/2 for every β",
)
THEOREM.instance(
    "xy-over-r2-separately",
    utility=separately_continuous(), expect={"continuity-in-y": "confirmed"},
    description="u = xy/(x² + y²): continuous in y for each x (the joint failure is the control "
    "xy-over-r2)",
)
THEOREM.instance(
    "margin-lemma",
    expect={"margin-lemma": "confirmed", "alpha-to-one": "confirmed", "tie": "confirmed"},
    description="hypothesis cases: n ≤ 64, β ≤ 500, η ≤ 2, δ < η/2, adversarial perturbations; "
    "generated tied top classes (n ≤ 32)",
)
THEOREM.instance(
    "comparison-function",
    prefers=manhattan_prefers, n_keys=16,
    expect={"complete": "confirmed", "transitive": "confirmed", "debreu-select": "confirmed"},
    description="prefers(x, a, b): b at least as close to x as a in ℓ1 (Debreu rank utility)",
)
THEOREM.instance(
    "preorder-graphs",
    graphs=GRAPHS,
    expect={"complete": "confirmed", "transitive": "confirmed", "debreu-select": "confirmed"},
    description="5 queries, each with its own weak order on 12 keys in 6 classes of two "
    "(networkx graphs): the top class is tied at every query",
)

# -- negative controls ------------------------------------------------------------------------
_SCORE = {"end-to-end": _HYP + "score-error", "sdpa": _HYP + "score-error"}
THEOREM.control(
    "beta-one-suffices",
    utility=NEAREST, exact_features=lambda: nearest_key_features(2), features="exact",
    n_keys=16, eta=0.05, eps1=1e-3, beta=1.0,
    expect={"end-to-end": "refuted", "sdpa": "refuted"},
    reasons={"end-to-end": "counterexample", "sdpa": "counterexample"},
    description="claim: β = 1 suffices for ε₁ = 1e-3 at n = 16, η = 0.05 (exact features)",
)
THEOREM.control(
    "reversed-preference",
    utility=bump_reversed(2), exact_features=lambda: nearest_key_features(2), features="exact",
    n_keys=16, eta=0.05, eps1=1e-3,
    expect={"end-to-end": "not-applicable", "sdpa": "not-applicable"}, reasons=_SCORE,
    description="claim: the exact nearest-key maps (δ = 0 for −|x − y|²) serve a utility that "
    "reverses the preference near the origin (a bump of height 0.3): the stated δ is false",
)
THEOREM.control(
    "reversed-utility-table",
    graphs=CHAIN, utility_table=_ONE_REVERSED,
    expect={"debreu-select": "refuted"}, reasons={"debreu-select": "misrepresents"},
    description="claim: on the chain k0 ≺ … ≺ k11 (query q0), the rank utility with k10 and "
    "k11 exchanged — it reverses exactly one preference, k10 ≺ k11 — represents ≼ and selects",
)
THEOREM.control(
    "debreu-beta-one",
    graphs=GRAPHS_UNIQUE, beta=1.0, eps1=1e-3,
    expect={"debreu-select": "refuted"}, reasons={"debreu-select": "counterexample"},
    description="claim: with the Debreu rank utility, β = 1 already puts ≥ 1 − 1e-3 on the "
    "maximal key (12 keys, rank gaps 1)",
)
THEOREM.control(
    "intransitive-comparison",
    prefers=cyclic_prefers, n_keys=16,
    expect={"transitive": "not-applicable", "debreu-select": "not-applicable"},
    reasons={"transitive": _HYP + "transitive", "debreu-select": _HYP + "transitive"},
    description="claim: a rock–paper–scissors comparison (30° angle slices around the query) "
    "is a preorder",
)
THEOREM.control(
    "pareto-comparison",
    prefers=pareto_prefers, n_keys=16,
    expect={"complete": "not-applicable", "debreu-select": "not-applicable"},
    reasons={"complete": _HYP + "complete", "debreu-select": _HYP + "complete"},
    description="claim: 'closer in every coordinate' is a complete preference",
)
THEOREM.control(
    "xy-over-r2",
    utility=separately_continuous(),
    expect={"joint-continuity": "not-applicable"},
    reasons={"joint-continuity": _HYP + "jointly-continuous"},
    description="claim: u = xy/(x² + y²) (0 at the origin) is jointly continuous; it is "
    "continuous in each variable but u(1/n, 1/n) = 1/2 ↛ u(0, 0) = 0",
)
THEOREM.control(
    "jump-in-y",
    utility=jump_in_y(),
    expect={"continuity-in-y": "not-applicable"},
    reasons={"continuity-in-y": _HYP + "continuous-in-y"},
    description="claim: u = −|x − y|² + [y₀ > 0] is continuous in y",
)
THEOREM.control(
    "bound-without-2delta",
    claimed_bound=lambda n, beta, eta, delta: one_minus_bound(n, beta, eta, 0.0),
    bound_label="1/(1 + (n−1)e^{−βη}) (the 2δ forgotten)",
    expect={"margin-lemma": "refuted"}, reasons={"margin-lemma": "counterexample"},
    description="claim: the bound holds with η in place of η − 2δ",
)
THEOREM.control(
    "beta-without-2delta",
    beta_rule=lambda n, eps, eta, delta: beta_for(n, eps, eta, 0.0),
    rule_label="β = log((n−1)/ε)/η (the 2δ forgotten)",
    expect={"alpha-to-one": "refuted"}, reasons={"alpha-to-one": "counterexample"},
    description="claim: β = log((n−1)/ε)/η drives 1 − α below ε despite a score error δ",
)
THEOREM.control(
    "plateau-perturbed-tie",
    utility=PLATEAU, n_keys=16, score_error=1e-3,
    expect={"tie": "refuted"}, reasons={"tie": "counterexample"},
    description="claim: on the plateau's ties, scores with an error of 1e-3 (as from trained "
    "maps) still cap every tied key at 1/k for every β",
)
THEOREM.control(
    "figures-delta-zero",
    utility=NEAREST, exact_features=lambda: nearest_key_features(2), features="planted",
    planted_delta=0.02, claimed_delta=0.0, n_keys=16, eta=0.05, eps1=1e-3,
    expect={"figures": "refuted"}, reasons={"figures": "counterexample"},
    description="claim: features with a planted δ = 0.02 obey the bound computed with δ = 0",
)

register(THEOREM)
