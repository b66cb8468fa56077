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
  ``exp(-(x-y)**2)`` with ``--set domain=[-1,1]``) and ``--set eps=FLOAT``),
  judged by the claim pipeline (:func:`verify.bounds.judge_bound`): ``refuted`` when the rank
  of every model with :math:`\le N` neurons is below :math:`m_{\min}` (rigorous), ``confirmed``
  by a trained witness with :math:`\le N` hidden neurons (certified in standard/full, sampled in
  quick), else ``inconclusive``;
* ``derived-bound``: the same verdict for our derived bound, with all its constants as evidence;
* ``scaling``: a width law on a grid of :math:`\varepsilon`, tested through a sweep
  (:mod:`verify.sweeps`; ``--set executor=serial|local|dask-local|dask://HOST:PORT``, default
  ``local`` in standard/full and ``serial`` in quick), each task a claim "width :math:`w`
  reaches :math:`\varepsilon`" through the claim pipeline. ``law`` :math:`W(\varepsilon)`
  ("this width suffices"): refuted by the rank lower bound, confirmed when the sweep finds a
  witness within :math:`W` at every :math:`\varepsilon` (certified in standard/full);
  ``needs_law`` :math:`L(\varepsilon)` ("no narrower width reaches it"): refuted by a certified
  sweep witness narrower than :math:`L`. Fitted rates, a figure and a table come with it.
"""

from __future__ import annotations

import json
from pathlib import Path

from verify import CheckKind, Figure, Hypothesis, Result, Source, Strength, Theorem, register
from verify.bounds import (
    DerivedBoundError,
    derived_bound,
    judge_bound,
    parse_bound,
)
from verify.bounds.derived import CONSTRUCTION_RANK, derived_refutation
from verify.bounds.scaling import (
    quantities_for,
    relation_from,
    scaling_figure,
    scaling_sweep,
)
from verify.claims import CERTIFY_MARGIN, RANK, Policy

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
    (:func:`verify.relations.text.relation_spec`: the sweep tasks carry its expression)."""
    if isinstance(relation, dict):
        return relation, {}
    return REL[relation]


def _policy(ctx, **overrides) -> Policy:
    """The claim policy of the searches and sweeps: work budgets calibrated on the old time
    budgets (5 / 6 / 20 s per fit, 8 / 40 / 160 s per search; docs/CONTRACTS.md)."""
    return Policy.from_context(ctx, train_rounds=ctx.profile.pick(50, 60, 200),
                               n_seeds=ctx.profile.pick(1, 2, 3),
                               max_fits=ctx.profile.pick(2, 6, 8)).with_(**overrides)


def _rank_optimise(ctx) -> bool:
    return ctx.profile.pick(False, True, True)


@THEOREM.check("stated-bound", CheckKind.CERTIFICATE,
               "a stated N(eps): rank lower bound (refute) / trained witness, certified in "
               "standard/full (confirm)", reasons=(RANK,))
def check_stated(instance, ctx):
    params = dict(instance.params)
    name, rparams = _relation_args(params["relation"])
    eps = float(params["eps"])
    statement = parse_bound(str(params["bound"]))
    q = quantities_for(name, rparams, eps, _rank_optimise(ctx))
    n = statement.neurons(q.values())
    return judge_bound(
        relation_from(name, rparams), eps, n, q.rank_bound, label=f"N(eps) = {statement.text}",
        policy=_policy(ctx), extra={"bound": statement.to_dict(), "quantities": q.to_dict()},
    )


@THEOREM.check("derived-bound", CheckKind.CERTIFICATE,
               "our derived bound (truncation + Barron-type features), evaluated and checked",
               tests=("spectrum",), reasons=(RANK, CONSTRUCTION_RANK, "hypothesis:spectrum"))
def check_derived(instance, ctx):
    name, rparams = _relation_args(instance["relation"])
    eps = float(instance["eps"])
    divisor = float(instance.params.get("constant_divisor", 1.0))
    q = quantities_for(name, rparams, eps, _rank_optimise(ctx))
    try:
        db = derived_bound(q, scale=1.0 / divisor**2, keep_terms=instance.params.get("keep_terms"))
    except DerivedBoundError as exc:
        return Result.not_applicable(str(exc), "the derivation's hypothesis fails",
                                     quantities=q.to_dict()).because("hypothesis:spectrum")
    refuted = derived_refutation(db, q)
    if refuted is not None:
        return refuted
    label = "derived bound (ours)" + (f", constants / {divisor:g}" if divisor != 1 else "")
    return judge_bound(
        relation_from(name, rparams), eps, db.neurons, q.rank_bound, label=label,
        policy=_policy(ctx), extra={"derived": db.to_dict(), "quantities": q.to_dict()},
    )


def _cache_dir(ctx) -> Path:
    path = ctx.artifact_path("sweep-cache")
    return path if path is not None else Path(".relverify-cache") / "neuron-bounds"


def _law(instance, key: str, quants: dict) -> tuple[str | None, dict[float, int]]:
    """A width law ``W(eps)`` (a bound expression, :mod:`verify.bounds.statement`) per eps."""
    text = instance.params.get(key)
    if text is None:
        return None, {}
    st = parse_bound(str(text))
    return st.text, {e: st.neurons(q.values()) for e, q in quants.items()}


@THEOREM.check("scaling", CheckKind.CERTIFICATE,
               "a width law on an eps grid, tested through a sweep: W(eps) suffices (rank bound "
               "refutes, witnesses confirm) or L(eps) is needed (a certified narrower witness "
               "refutes); fitted rates, figure, table", reasons=(RANK, "sweep-witness"))
def check_scaling(instance, ctx):
    name, rparams = REL[instance["relation"]]
    grids = instance["eps_grid"]
    eps_grid = [float(e) for e in ctx.profile.pick(grids["quick"], grids["standard"],
                                                   grids.get("full"))]
    quants = {e: quantities_for(name, rparams, e, _rank_optimise(ctx)) for e in eps_grid}
    law, upper = _law(instance, "law", quants)  # claim: width W(eps) suffices at every eps
    needs, lower = _law(instance, "needs_law", quants)  # claim: no width < L(eps) reaches eps
    ev = {"law": law, "law_widths": upper, "needs_law": needs, "needs_widths": lower,
          "m_min": {e: q.m_min for e, q in quants.items()}}
    for e, w in upper.items():  # rank lower bound: a model of width w has Gram rank <= w + 1
        if w + 1 < quants[e].m_min:
            rb = quants[e].rank_bound
            return Result.refuted(
                f"law W(eps) = {law} fails at eps = {e:g}: width {w} gives rank <= {w + 1} < "
                f"m_min = {rb.m_min}; every such model is off by >= {rb.bound_for(w + 1):.3e} "
                "> eps", "rigorous: Eckart-Young-Mirsky rank lower bound", eps=e, width=w,
                rank_bound={k: v for k, v in rb.to_dict().items() if k not in ("X", "Y")},
                **ev).because(RANK, Strength.LOWER_BOUND)
    # a refutation by a witness needs a certificate in every profile (sampled is not proof)
    pol = _policy(ctx, **({"certify": True, "train_margin": CERTIFY_MARGIN} if needs else {}))
    executor = ctx.options.get("executor", ctx.profile.pick("serial", "local", "local"))
    res = scaling_sweep(
        name, rparams, eps_grid, policy=pol, seeds=pol.seeds(),
        n_widths=ctx.profile.pick(1, 5, 6), max_width=ctx.profile.pick(8, 24, 48),
        max_widths=upper or None, width_offset=ctx.profile.pick(2, 0, 0), executor=executor,
        cache_dir=_cache_dir(ctx), rank_optimise=_rank_optimise(ctx), progress=False)
    out = _scaling_verdict(name, res, pol, law, upper, needs, lower, ev)
    out.figures.append(Figure(f"scaling-{name}", scaling_figure([res]),
                              f"{name}: smallest width reaching eps (sampled), rank lower bound "
                              "m_min - 1, derived bound (ours; plotted, not tested)"))
    path = ctx.write_artifact(f"scaling-{name}.json",
                              lambda tmp: tmp.write_text(json.dumps(res.to_dict(), indent=1)))
    if path is not None:
        out.artifacts[f"scaling-{name}.json"] = str(path)
    return out


def _scaling_verdict(name, res, pol, law, upper, needs, lower, ev) -> Result:
    table = res.table()
    kw = dict(table=table, loglog_slope=res.loglog_slope, semilog_slope=res.semilog_slope,
              sweep={"tasks": res.tasks, "computed": res.computed, "cached": res.cached,
                     "failed": res.failed}, notes=res.notes, **ev)
    widths = {r.eps: (r.certified_width if pol.certify else r.smallest_width) for r in res.rows}
    how = "certified over the whole domain" if pol.certify else "sampled sup, not certified"
    strength = Strength.CERTIFIED if pol.certify else Strength.SAMPLED
    rates = (f"log-log slope {res.loglog_slope:.2f}, semi-log slope {res.semilog_slope:.2f}"
             if res.loglog_slope is not None else "no rate fitted")
    bad = [r for r in res.rows if r.certified_width is not None and r.eps in lower
           and r.certified_width < lower[r.eps]]
    if needs and bad:
        r = bad[0]
        return Result.refuted(
            f"{name}: claim 'no width below L(eps) = {needs} reaches eps' is false: at eps = "
            f"{r.eps:g} a width-{r.certified_width} network (< L = {lower[r.eps]}) has a "
            "certified sup error <= eps (found by the sweep)",
            "certified witness over the whole domain (branch and bound)", **kw,
        ).because("sweep-witness", Strength.CERTIFIED)
    if needs:
        if all(lower[e] <= res.rows[i].min_width_allowed for i, e in enumerate(lower)):
            return Result.confirmed(
                f"{name}: L(eps) = {needs} <= m_min - 1 at every eps: no narrower width can "
                "reach eps (Eckart-Young-Mirsky)", "rigorous: rank lower bound", **kw,
            ).because("rank-lower-bound-confirms", Strength.LOWER_BOUND)
        return Result.inconclusive(
            f"{name}: no certified witness below L(eps) = {needs}, and the rank bound does not "
            "prove the claim; a lower-bound claim is not confirmed by trainers that miss", "none",
            **kw).because("trainer-missed")
    clock = any(r.wall_clock_hit for r in res.rows)
    found = [f"{widths[e]} at {e:g}" for e in upper if widths[e] is not None]
    if law and len(found) == len(upper) and not (clock and not pol.certify):
        return Result.confirmed(
            f"{name}: law W(eps) = {law} holds at every eps of the grid: smallest widths "
            f"{', '.join(found)} ({how}), each between m_min - 1 and W(eps); {rates}",
            f"trained witnesses ({how}) + rigorous rank lower bounds; rates are fits", **kw,
        ).because("witness", strength)
    missing = [e for e in upper if widths[e] is None] if law else []
    note = "; some fits were stopped by the wall-clock limit: not reproducible" if clock else ""
    return Result.inconclusive(
        f"{name}: " + (f"no witness ({how}) within W(eps) = {law} at eps {missing}"
                       if law else "no width claim to test") + f"; {rates}{note}",
        "trained witnesses; an existence claim is not refuted by a trainer that misses", **kw,
    ).because("no-claim" if not law else "wall-clock-limit" if clock else "trainer-missed")


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
        from verify.relations.text import parse_relation, relation_spec

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
    "scaling-gaussian", relation="gaussian", law="2*log(1/eps) + 4",
    eps_grid={"quick": [1e-1, 3e-2], "standard": [1e-1, 1e-2, 1e-3, 1e-4]},
    expect={"scaling": "confirmed"},
    description="exponential spectral decay, Gaussian l = 0.5 on [-1, 1]: stated law (ours) "
    "W(eps) = 2 log(1/eps) + 4 hidden units suffice (logarithmic growth)",
)
THEOREM.instance(
    "scaling-brownian", relation="brownian", law="0.2/eps + 2",
    eps_grid={"quick": [1e-1, 5e-2], "standard": [1e-1, 5e-2, 2e-2]},
    expect={"scaling": "confirmed"},
    description="polynomial spectral decay, Brownian min(x, y) on [0, 1]: stated law (ours) "
    "W(eps) = 0.2/eps + 2 hidden units suffice",
)

THEOREM.control(
    "gaussian-planted-2", relation="gaussian", eps=1e-3, bound="2",
    expect={"stated-bound": "refuted"}, reasons={"stated-bound": RANK},
    description="planted: N(1e-3) = 2 neurons suffice for the Gaussian (l = 0.5)",
)
THEOREM.control(
    "derived-planted-truncation", relation="gaussian", eps=1e-3, keep_terms=2,
    expect={"derived-bound": "refuted"}, reasons={"derived-bound": CONSTRUCTION_RANK},
    description="planted: the derived construction keeping only 2 Mercer terms reaches 1e-3 "
    "(a rank-2 model; the rank lower bound needs 6)",
)
THEOREM.control(
    "scaling-width-1", relation="gaussian", law="1",
    eps_grid={"quick": [1e-2], "standard": [1e-2]},
    expect={"scaling": "refuted"}, reasons={"scaling": RANK},
    description="planted: width 1 suffices for the Gaussian at eps = 1e-2 (the rank bound "
    "refutes it before training)",
)
THEOREM.control(
    "scaling-polynomial-gaussian", relation="gaussian", needs_law="1/eps",
    eps_grid={"quick": [1e-1, 3e-2], "standard": [1e-1, 1e-2]},
    expect={"scaling": "refuted"}, reasons={"scaling": "sweep-witness"},
    description="planted: the Gaussian needs width >= 1/eps (polynomial growth); the sweep "
    "finds certified narrower witnesses",
)

register(THEOREM)
