r"""Neuron-count bounds for inner-product models of relation functions.

**Claim** (Altabaa & Lafferty, arXiv 2402.08856, abstract): in the symmetric and the asymmetric
case the number of neurons needed for sup accuracy :math:`\varepsilon` is bounded in terms of the
decay of the relation's spectrum and the smoothness (Barron norms) of its eigenfunctions. The
paper's exact formula is not available to us, so this module tests *bounds stated as formulas*
(:mod:`verify.bounds.statement`) and *our own* derived bound (:mod:`verify.bounds.derived`, ours,
not the paper's), never a formula attributed to the paper.

Checks:

* ``stated-bound``: a bound :math:`N(\varepsilon)` (instance param ``bound``; the CLI option
  ``--set bound=EXPR`` adds a ``user-bound`` instance, your claim, expected ``confirmed``, with
  optional ``--set relation=NAME`` (gaussian | brownian | laplace, or any expression such as
  ``exp(-(x-y)**2)`` with ``--set domain=[-1,1]``) and ``--set eps=FLOAT``) is
  ``refuted`` when
  :math:`N + 1 < m_{\min}` (rank lower bound, rigorous), ``confirmed`` by a trained witness with
  :math:`\le N` hidden neurons (sampled sup), else ``inconclusive``;
* ``derived-bound``: the same verdict for our derived bound, with all its constants as evidence;
* ``scaling``: the smallest width reaching each :math:`\varepsilon` of a grid (a sweep through
  :mod:`verify.sweeps`; ``--set executor=serial|local|dask-local|dask://HOST:PORT``, default
  ``local`` in standard/full and ``serial`` in quick), the fitted rate, a figure and a table;
  refuted when a planted claim falls below the rank lower bound, or a measured width contradicts
  it.
"""

from __future__ import annotations

import json
from pathlib import Path

from verify import CheckKind, Figure, Hypothesis, Result, Source, Theorem, register
from verify.bounds import (
    DerivedBoundError,
    derived_bound,
    judge_bound,
    parse_bound,
)
from verify.bounds.scaling import (
    quantities_for,
    relation_from,
    scaling_figure,
    scaling_sweep,
)

THEOREM = Theorem(
    id="neuron-bounds",
    title="How many neurons: bounds N(eps) vs rank lower bounds and trained witnesses",
    source=Source(
        paper="Altabaa & Lafferty, Approximation of relation functions and attention mechanisms",
        arxiv="2402.08856",
        theorem="neuron-count bounds (symmetric and asymmetric cases; cited as Theorem 3.1 in "
        "arXiv 2405.16727 for the asymmetric case)",
        note="The paper's formula is not available; stated bounds are user/planted formulas and "
        "the derived bound is ours (verify/bounds/derived.py).",
    ),
    statement="For a relation r with a summable spectrum and Barron-smooth eigenfunctions, an "
    "inner-product model <phi(x), psi(y)> of MLPs with N(eps) hidden neurons reaches sup error "
    "eps, N depending on the spectral decay and the Barron norms. Tested here: a stated N(eps) "
    "is refuted if N + 1 is below the Eckart-Young-Mirsky rank lower bound m_min, confirmed by "
    "a trained witness with <= N neurons (sampled sup).",
    latex=r"\sup_{x,y}|r(x,y) - \langle\phi(x),\psi(y)\rangle| \le \varepsilon "
    r"\text{ with } N(\varepsilon) \text{ neurons};\quad N + 1 \ge m_{\min}(\varepsilon)",
    hypotheses=(
        Hypothesis("spectrum", "the Mercer/Schmidt expansion converges uniformly"),
        Hypothesis("barron", "the features sqrt(lambda_i) e_i have finite Barron norm"),
    ),
)

REL = {
    "gaussian": ("gaussian", {"lengthscale": 0.5}),
    "brownian": ("brownian", {}),
    "laplace": ("laplace", {"lengthscale": 1.0}),
}


def _relation_args(relation) -> tuple:
    """``(name or spec, params)``: a library name of :data:`REL`, or a user's relation spec
    (:func:`verify.relations.parse.relation_spec`: the sweep tasks carry its expression)."""
    if isinstance(relation, dict):
        return relation, {}
    return REL[relation]


def _budgets(ctx) -> dict:
    return {
        "time_budget_s": ctx.profile.pick(5.0, 6.0, 20.0),
        "total_budget_s": ctx.profile.pick(8.0, 40.0, 160.0),
        "seeds": ctx.profile.pick((0,), (0, 1), (0, 1, 2)),
        "rank_optimise": ctx.profile.pick(False, True, True),
    }


@THEOREM.check("stated-bound", CheckKind.TRAINING,
               "a stated N(eps): rank lower bound (refute) / trained witness (confirm)")
def check_stated(instance, ctx):
    params = dict(instance.params)
    name, rparams = _relation_args(params["relation"])
    eps = float(params["eps"])
    b = _budgets(ctx)
    statement = parse_bound(str(params["bound"]))
    q = quantities_for(name, rparams, eps, b["rank_optimise"])
    n = statement.neurons(q.values())
    return judge_bound(
        relation_from(name, rparams), eps, n, q.rank_bound, label=f"N(eps) = {statement.text}",
        seeds=b["seeds"], time_budget_s=b["time_budget_s"], total_budget_s=b["total_budget_s"],
        device=ctx.device, extra={"bound": statement.to_dict(), "quantities": q.to_dict()},
        certify_budget_s=60.0 if ctx.profile.certify else None,
    )


@THEOREM.check("derived-bound", CheckKind.TRAINING,
               "our derived bound (truncation + Barron-type features), evaluated and checked")
def check_derived(instance, ctx):
    name, rparams = _relation_args(instance["relation"])
    eps = float(instance["eps"])
    divisor = float(instance.params.get("constant_divisor", 1.0))
    b = _budgets(ctx)
    q = quantities_for(name, rparams, eps, b["rank_optimise"])
    try:
        db = derived_bound(q, scale=1.0 / divisor**2)
    except DerivedBoundError as exc:
        return Result.not_applicable(str(exc), "the derivation's hypothesis fails",
                                     quantities=q.to_dict())
    label = "derived bound (ours)" + (f", constants / {divisor:g}" if divisor != 1 else "")
    return judge_bound(
        relation_from(name, rparams), eps, db.neurons, q.rank_bound, label=label,
        seeds=b["seeds"], time_budget_s=b["time_budget_s"], total_budget_s=b["total_budget_s"],
        device=ctx.device, extra={"derived": db.to_dict(), "quantities": q.to_dict()},
        certify_budget_s=60.0 if ctx.profile.certify else None,
    )


def _cache_dir(ctx) -> Path:
    path = ctx.artifact_path("sweep-cache")
    return path if path is not None else Path(".relverify-cache") / "neuron-bounds"


@THEOREM.check("scaling", CheckKind.TRAINING,
               "smallest width reaching eps on an eps grid (sweep), fitted rate, figure, table")
def check_scaling(instance, ctx):
    name, rparams = REL[instance["relation"]]
    b = _budgets(ctx)
    claim = instance.params.get("claim")  # planted: (eps, width) "smallest width <= width"
    if claim is not None:
        eps_c, w_c = float(claim[0]), int(claim[1])
        q = quantities_for(name, rparams, eps_c, b["rank_optimise"])
        if w_c + 1 < q.m_min:
            return Result.refuted(
                f"claim 'smallest width at eps = {eps_c:g} is <= {w_c}' is false: width {w_c} "
                f"gives rank <= {w_c + 1} < m_min = {q.m_min}; every such model is off by >= "
                f"{q.rank_bound.bound_for(w_c + 1):.3e} > eps",
                "rigorous: Eckart-Young-Mirsky rank lower bound",
                claim=[eps_c, w_c], m_min=q.m_min,
                rank_bound={k: v for k, v in q.rank_bound.to_dict().items()
                            if k not in ("X", "Y")})
    grids = instance["eps_grid"]
    eps_grid = ctx.profile.pick(grids["quick"], grids["standard"], grids.get("full"))
    executor = ctx.options.get("executor", ctx.profile.pick("serial", "local", "local"))
    res = scaling_sweep(
        name, rparams, eps_grid, seeds=b["seeds"], n_widths=ctx.profile.pick(1, 4, 6),
        max_width=ctx.profile.pick(8, 24, 48), width_offset=ctx.profile.pick(2, 0, 0),
        time_budget_s=b["time_budget_s"],
        executor=executor, cache_dir=_cache_dir(ctx), rank_optimise=b["rank_optimise"],
        progress=False,
    )
    table = res.table()
    bad = [r for r in table if r["smallest_width"] is not None
           and r["smallest_width"] < r["min_width_allowed"]]
    result_kw = dict(table=table, loglog_slope=res.loglog_slope, semilog_slope=res.semilog_slope,
                     sweep={"tasks": res.tasks, "computed": res.computed, "cached": res.cached,
                            "failed": res.failed, "executor": executor}, notes=res.notes)
    if bad:  # would mean the rank bound is wrong: a refutation of our lower-bound machinery
        out = Result.refuted(f"a width below the rank lower bound reached eps: {bad}",
                             "trained witness vs rigorous bound", **result_kw)
    elif sum(r["smallest_width"] is not None for r in table) >= 2:
        out = Result.confirmed(
            f"{name}: smallest widths {[r['smallest_width'] for r in table]} for eps "
            f"{[r['eps'] for r in table]}, all between the rank lower bound and the derived "
            f"bound; log-log slope {res.loglog_slope:.2f}, semi-log slope "
            f"{res.semilog_slope:.2f}",
            "trained witnesses (sampled sup) + rigorous rank lower bounds; rates are fits",
            **result_kw)
    else:
        out = Result.inconclusive(
            f"{name}: fewer than two eps reached in the budget; no rate fitted",
            "trained witnesses (sampled sup)", **result_kw)
    out.figures.append(Figure(f"scaling-{name}", scaling_figure([res]),
                              f"{name}: smallest width reaching eps (sampled), rank lower bound "
                              "m_min - 1, derived bound (ours)"))
    path = ctx.write_artifact(f"scaling-{name}.json",
                              lambda tmp: tmp.write_text(json.dumps(res.to_dict(), indent=1)))
    if path is not None:
        out.artifacts[f"scaling-{name}.json"] = str(path)
    return out


# ---------------------------------------------------------------------------------------------
# Instances and negative controls
# ---------------------------------------------------------------------------------------------
THEOREM.instance(
    "gaussian-generous", relation="gaussian", eps=1e-3, bound="10**4",
    expect={"stated-bound": "confirmed"},
    description="N = 10^4 for the Gaussian (l = 0.5, [-1, 1]) at eps = 1e-3: a witness exists",
)


def _user_bound(options) -> list:
    """``--set bound=EXPR`` (optional ``relation=``, ``eps=``): the user's claim, expected true."""
    if "bound" not in options:
        return []
    parse_bound(options["bound"])  # a bad expression is a usage error, named before any work
    from verify.core.theorem import Instance

    relation = options.get("relation", "gaussian")
    if relation not in REL:  # a user's expression, on --set domain= (default [-1,1])
        from verify.relations.parse import parse_relation, relation_spec

        try:
            relation = relation_spec(parse_relation(relation, options.get("domain", "[-1,1]")))
        except ValueError as exc:
            raise ValueError(f"--set relation={options['relation']!r}: not one of "
                             f"{sorted(REL)} and not a relation expression: {exc}") from None
    return [Instance(
        "user-bound", {"relation": relation, "eps": float(options.get("eps", 1e-3)),
                       "bound": options["bound"]},
        {"stated-bound": "confirmed"},
        f"your claim: N(eps) = {options['bound']} hidden neurons reach eps on "
        f"{options.get('relation', 'gaussian')}",
    )]


THEOREM.option_instances = _user_bound
THEOREM.options = {
    "bound": "your neuron-count bound N(eps) as a formula: adds the instance user-bound",
    "relation": "relation of user-bound: gaussian | brownian | laplace or an expression in x, y "
                "(default gaussian)",
    "domain": "domain of an expression relation, e.g. [-1,1] (default [-1,1])",
    "eps": "target sup error of user-bound (default 1e-3)",
    "executor": "executor of the scaling sweep: serial | local | dask-local | dask://HOST:PORT",
}
for _rel, _eps in (("gaussian", 1e-3), ("brownian", 1e-1), ("laplace", 2e-1)):
    THEOREM.instance(
        f"derived-{_rel}", relation=_rel, eps=_eps,
        expect={"derived-bound": "confirmed"},
        description=f"our derived bound for {_rel} at eps = {_eps:g}: evaluated, compared with "
        "the rank lower bound, and a witness with at most that many neurons sought "
        "(inconclusive, never refuted, if the trainer misses)",
    )
THEOREM.instance(
    "scaling-gaussian", relation="gaussian",
    eps_grid={"quick": [1e-1, 3e-2], "standard": [1e-1, 1e-2, 1e-3, 1e-4]},
    expect={"scaling": "confirmed"},
    description="exponential spectral decay: Gaussian l = 0.5 on [-1, 1]",
)
THEOREM.instance(
    "scaling-brownian", relation="brownian",
    eps_grid={"quick": [1e-1, 5e-2], "standard": [1e-1, 5e-2, 2e-2, 1e-2]},
    expect={"scaling": "confirmed"},
    description="polynomial spectral decay: Brownian min(x, y) on [0, 1]",
)

THEOREM.control(
    "gaussian-planted-2", relation="gaussian", eps=1e-3, bound="2",
    expect={"stated-bound": "refuted"},
    description="planted: N(1e-3) = 2 neurons suffice for the Gaussian (l = 0.5)",
)
THEOREM.control(
    "derived-constants-divided", relation="gaussian", eps=1e-3, constant_divisor=1e5,
    expect={"derived-bound": "refuted"},
    description="planted: the derived bound with its Barron constants divided by 10^5 (neuron "
    "counts by 10^10, total rounded up once)",
)
THEOREM.control(
    "scaling-width-1", relation="gaussian", claim=(1e-2, 1), eps_grid=None,
    expect={"scaling": "refuted"},
    description="planted: the smallest width reaching eps = 1e-2 for the Gaussian is <= 1",
)

register(THEOREM)
