"""Preferences on finite key sets, Debreu selection by softmax, and the tie case, as checks.

A query's preference ``≼_x`` comes from a utility (``a ≼_x b ⇔ u(x, a) ≤ u(x, b)``), a comparison
function ``prefers(x, a, b)``, or one networkx graph per query (edge ``a → b``: ``a ≼ b``); the
hypotheses are decided by :mod:`verify.orders.checks`.

**Selection of the top class (ours).** If ``u`` represents ``≼_x`` and the top class ``C``
(``k`` keys of utility ``t``) beats every other key by ``g > 0``, then

.. math::

    1 - \\sum_{i \\in C}\\alpha_i \\le \\frac{n-k}{k}e^{-\\beta g}, \\qquad
    \\beta = \\frac{\\log((n-k)/(k\\varepsilon_1))}{g} \\Rightarrow
    \\sum_{i \\in C}\\alpha_i \\ge 1 - \\varepsilon_1,

(``k = 1`` is the margin lemma with δ = 0). **Ties (ours).** With ``k ≥ 2`` keys tied at the top
and exact scores ``βu``, every tied key has ``α ≤ 1/k ≤ 1/2`` for every β: no β selects, which is
why the theorem needs a margin. Both checks refuse to confirm when nothing was tested.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from scipy.special import softmax

from verify.attention.lemma_checks import tie_cap_result
from verify.attention.margin import (
    class_beta_for,
    one_minus_class_alpha,
    tie_alpha_exact,
    tie_scores,
)
from verify.core.context import Context
from verify.core.result import Result
from verify.core.status import Status, Strength
from verify.orders import Preorder, rank_utility
from verify.orders.checks import (
    describe_violation,
    first_violation,
    hypothesis_result,
    jsonable,
    misrepresentation_result,
)
from verify.relations import Box

__all__ = ["debreu_select_result", "finite_preorders", "preorder_result", "source_name",
           "tie_result"]

TIE_BETAS = (1.0, 1e1, 1e2, 1e3, 1e4, 1e6)


def finite_preorders(params: Mapping[str, Any], ctx: Context
                     ) -> Iterator[tuple[Any, Any, Preorder]]:
    """``(query, keys, ≼_query on key indices)`` from ``graphs``, ``utility`` or ``prefers``
    (random queries and key sets from the check's seed; ``box`` default [−1, 1]²)."""
    if "graphs" in params:
        for q, graph in params["graphs"].items():
            yield q, None, Preorder.from_graph(graph)
        return
    rng = ctx.rng
    n_queries, n_keys = ctx.profile.pick(8, 40, 200), params.get("n_keys", 16)
    if "utility" in params:
        u = params["utility"]
        for _ in range(n_queries):
            x = u.x_box.sample(1, rng)[0]
            keys = u.y_box.sample(n_keys, rng)
            vals = u(np.repeat(x[None, :], n_keys, 0), keys)
            leq = vals[:, None] <= vals[None, :]  # NaN compares False both ways: incomplete
            yield x, keys, Preorder(list(range(n_keys)), leq)
        return
    prefers, box = params["prefers"], params.get("box", Box.cube(-1.0, 1.0, 2))
    for _ in range(n_queries):
        x, keys = box.sample(1, rng)[0], box.sample(n_keys, rng)
        yield x, keys, Preorder.from_function(
            range(n_keys), lambda a, b, x=x, keys=keys: bool(prefers(x, keys[a], keys[b])))


def source_name(params: Mapping[str, Any]) -> str:
    if "graphs" in params:
        return "one networkx preorder graph per query"
    if "utility" in params:
        return f"the utility {params['utility'].name} (a ≼_x b ⇔ u(x,a) ≤ u(x,b))"
    return "the comparison function prefers(x, a, b)"


def preorder_result(params: Mapping[str, Any], ctx: Context, name: str) -> Result:
    """Hypothesis ``name`` (complete / transitive) of ``≼_x`` at every query."""
    return hypothesis_result(finite_preorders(params, ctx), name, source_name(params),
                             sampled="graphs" not in params)


def debreu_select_result(params: Mapping[str, Any], ctx: Context) -> Result:
    """Per query: ``≼_x`` a complete preorder; the rank utility (or the instance's
    ``utility_table``) represents it; softmax(β u) at β = ``class_beta_for`` (or the claimed
    ``beta``) puts ≥ 1 − ε₁ on the ``≼_x``-maximal class."""
    eps1, claimed, claimed_beta = (params.get("eps1", 1e-3), params.get("utility_table"),
                                   params.get("beta"))
    how = "the instance's claimed utility" if claimed is not None else "rank utility (Debreu)"
    queries = tested = 0
    worst = 0.0
    for q, _keys, pre in finite_preorders(params, ctx):
        queries += 1
        where = f"at query {jsonable(q)!r}: "
        if (found := first_violation(pre, ("complete", "transitive"))) is not None:
            return Result.not_applicable(
                f"{where}hypothesis '{found[0]}' fails: {describe_violation(*found)}",
                "explicit witness, exhaustive over the key set", query=jsonable(q),
                witness={k: jsonable(v) for k, v in found[1].items()},
            ).because(f"hypothesis:{found[0]}", Strength.EXHAUSTIVE)
        utility = claimed[q] if claimed is not None else rank_utility(pre)
        if (bad := misrepresentation_result(pre, utility, how, where)) is not None:
            bad.evidence["query"] = jsonable(q)
            return bad
        vals = np.array([float(utility[e]) for e in pre.elements])
        top = np.flatnonzero(vals == vals.max())
        if len(top) == len(vals):  # one indifference class: nothing to select
            continue
        tested += 1
        gap = float(vals.max() - vals[vals < vals.max()].max())
        beta = (float(claimed_beta) if claimed_beta is not None
                else class_beta_for(len(vals), len(top), eps1, gap))
        maximal = [i for i in range(pre.size) if pre.leq[:, i].all()]
        rest = one_minus_class_alpha(beta * vals, top)
        worst = max(worst, rest)
        if maximal != top.tolist() or rest > eps1 * (1 + 1e-9):
            return Result.refuted(
                f"{where}softmax(β u) at β = {beta:.4g} leaves 1 − Σ_C α = {rest:.3g} "
                f"(ε₁ = {eps1:g}) on the top class {top.tolist()}; ≼_x-maximal keys {maximal}",
                "explicit counterexample query (float64)", query=jsonable(q), beta=beta,
                utility=vals.tolist(), maximal=maximal,
            ).because("counterexample", Strength.EXHAUSTIVE)
    if tested == 0:
        return Result.inconclusive(
            f"no query with two or more indifference classes among {queries}: nothing to "
            "select, the claim was not tested", "nothing tested", queries=queries,
        ).because("nothing-tested")
    sampled = "graphs" not in params
    rule = (f"the claimed {claimed_beta:g}" if claimed_beta is not None
            else "log((n−k)/(kε₁))/gap")
    return Result(
        Status.CONFIRMED,
        f"{how} represents ≼_x at all {queries} queries; softmax(β u) at β = {rule}"
        f" leaves max 1 − Σ_C α = {worst:.3g} ≤ ε₁ = {eps1:g} on the top class C "
        f"({tested} queries tested, ties in the top class included)",
        {"queries": queries, "tested": tested, "max_one_minus_class_alpha": worst, "eps1": eps1},
        "exhaustive over every pair of each key set; softmax in float64"
        + ("; random queries (sampled)" if sampled else "; every listed query"),
        strength_kind=Strength.SAMPLED if sampled else Strength.EXHAUSTIVE)


def _tie_rows(params: Mapping[str, Any], ctx: Context):
    """Utility rows to look for ties in, the draw behind row i (``where(i)``), and a label."""
    if "utilities" in params:
        return ([np.asarray(params["utilities"], dtype=np.float64)], lambda i: {},
                "the instance's utility vector")
    u, n = params["utility"], params.get("n_keys", 16)
    num, rng = ctx.profile.pick(500, 5000, 20000), ctx.rng
    x = u.x_box.sample(num, rng)
    keys = u.y_box.sample(num * n, rng).reshape(num, n, -1)
    U = u(np.repeat(x, n, 0), keys.reshape(num * n, -1)).reshape(num, n)
    return (list(U), lambda i: {"query": x[i].tolist(), "keys": keys[i].tolist()},
            f"{num} random draws of a query and {n} keys for {u.name}")


def tie_result(params: Mapping[str, Any], ctx: Context) -> Result:
    """On every tied top class found (``utilities``, draws of ``utility``, or — with neither —
    hypothesis-generated ties): no β in :data:`TIE_BETAS` lifts a tied key above ``1/k``, with
    scores ``β(u + e)``, ``e`` the adversarial error of size ``score_error`` (default 0)."""
    err = float(params.get("score_error", 0.0))
    if "utilities" not in params and "utility" not in params:
        return tie_cap_result(ctx, score_error=err)
    rows, where, source = _tie_rows(params, ctx)
    tested, sym = 0, tie_alpha_exact()
    for i, vals in enumerate(rows):
        tied = np.flatnonzero(vals == vals.max())
        if len(tied) < 2:
            continue
        tested += 1
        s = tie_scores(vals, tied, err)
        alphas = [float(softmax(b * s)[tied].max()) for b in TIE_BETAS]
        if max(alphas) > (1 + 1e-12) / len(tied):
            return Result.refuted(
                f"a tied key gets α = {max(alphas):.6g} > 1/{len(tied)} in {source} (draw {i}, "
                f"score error δ = {err:g}): with inexact scores a tie does not cap α",
                "explicit tied draw and β (float64)", draw=i, utilities=vals.tolist(),
                tied_keys=tied.tolist(), betas=list(TIE_BETAS), max_alpha_on_tied_keys=alphas,
                score_error=err, **where(i),
            ).because("counterexample", Strength.SAMPLED)
    if tested == 0:
        return Result.inconclusive(
            f"no tied top class in {source}: the tie claim was not tested (ties have "
            "probability 0 here)", "nothing tested").because("nothing-tested")
    return Result(
        Status.CONFIRMED,
        f"{tested} tied top classes in {source}: no β ∈ {list(TIE_BETAS)} lifts a tied key "
        f"above 1/k ≤ 1/2 (score error δ = {err:g}); exactly, two tied keys give α = "
        f"{sym['two_keys_alpha']} — without a margin no β selects",
        {"tied_draws": tested, "betas": list(TIE_BETAS), "score_error": err, "symbolic": sym},
        "every tied draw found, finite β sweep in float64, plus the sympy identity α = 1/2",
        strength_kind=Strength.SAMPLED)
