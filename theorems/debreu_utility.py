"""Debreu's representation theorem, finite and countable case.

**Statement.** A complete, transitive (and reflexive) preorder ≼ on a finite or countable set
has a utility u with x ≼ y ⇔ u(x) ≤ u(y); on a second-countable space a *continuous* such
preorder has a continuous utility. This is the route by which Altabaa & Lafferty
(arXiv 2402.08856; the attention theorem is cited as Theorem 5.1 in arXiv 2405.16727) turn
"retrieve the key the query prefers" into a relation function that attention can approximate.

Constructions (finite: rank of the indifference class = strongly connected component; countable:
the Cantor sum u(x) = Σ_{n: x_n ≺ x} 2^-n ∈ [0, 1)) follow docs/math.md. The argument that the
partial sum over the first N elements represents the order on them is ours: if x ≺ y with x = x_k
(k ≤ N), every x_n ≺ x is ≺ y, and x_k itself adds 2^-k to u(y) only, so u(y) − u(x) ≥ 2^-k,
while the tail beyond N changes either value by less than 2^-N ≤ 2^-k.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import count, islice

import networkx as nx
from hypothesis import strategies as st

from verify import (
    CheckKind,
    Counterexample,
    Hypothesis,
    Result,
    Source,
    Status,
    Strength,
    Theorem,
    register,
    run_property,
)
from verify.orders import (
    Preorder,
    cantor_utility,
    find_discontinuity,
    lexicographic,
    rank_utility,
    represents,
    select,
    utility_order,
)
from verify.orders.checks import (
    HYPOTHESES,
    describe_violation,
    first_violation,
    hypothesis_result,
    misrepresentation_result,
    weak_order_graph,
)
from verify.strategies import key_subsets, weak_orders

THEOREM = Theorem(
    id="debreu-utility",
    title="Complete preorders have utilities (Debreu), the first step of attention as retrieval",
    source=Source(
        paper="Altabaa & Lafferty, Approximation of relation functions and attention mechanisms",
        arxiv="2402.08856",
        theorem="used for the attention theorem (cited as Theorem 5.1 in arXiv 2405.16727)",
        note="Debreu's representation theorem is classical; the finite/countable constructions "
        "and the partial-sum argument are stated in docs/math.md and the module docstring.",
    ),
    statement="A complete, transitive, reflexive preorder on a finite or countable set has a "
    "utility u with x ≼ y iff u(x) ≤ u(y); the Cantor sum Σ_{x_n ≺ x} 2^-n is one, with values "
    "in [0,1). On R^d a continuous utility needs the preorder to be continuous (closed contour "
    "sets); Select(keys) = argmax of u, ties being the top indifference class.",
    latex=r"x \preceq y \iff u(x) \le u(y), \qquad u(x) = \sum_{n:\, x_n \prec x} 2^{-n}",
    hypotheses=(
        Hypothesis("reflexive", "x ≼ x for every x"),
        Hypothesis("transitive", "x ≼ y and y ≼ z imply x ≼ z"),
        Hypothesis("complete", "x ≼ y or y ≼ x for every pair"),
        Hypothesis("continuous", "on R^d: upper and lower contour sets are closed"),
    ),
)


def _preorder(instance) -> Preorder:
    rel = instance["relation"]
    if isinstance(rel, nx.DiGraph):
        return Preorder.from_graph(rel)
    elements, leq = rel
    return Preorder.from_function(elements, leq)


_HYP = tuple(f"hypothesis:{name}" for name in HYPOTHESES)


def _hypothesis(instance, name: str) -> Result:
    return hypothesis_result([(None, None, _preorder(instance))], name, "the instance's relation",
                             sampled=False)


@THEOREM.check("reflexive", CheckKind.NUMERIC, "x ≼ x for every element (exhaustive)",
               tests=("reflexive",), reasons=("hypothesis:reflexive",))
def check_reflexive(instance, ctx):
    return _hypothesis(instance, "reflexive")


@THEOREM.check("transitive", CheckKind.NUMERIC, "no triple a ≼ b ≼ c with not a ≼ c",
               tests=("transitive",), reasons=("hypothesis:transitive",))
def check_transitive(instance, ctx):
    return _hypothesis(instance, "transitive")


@THEOREM.check("complete", CheckKind.NUMERIC, "every pair is comparable (exhaustive)",
               tests=("complete",), reasons=("hypothesis:complete",))
def check_complete(instance, ctx):
    return _hypothesis(instance, "complete")


def _utility(instance, pre: Preorder) -> tuple[dict | None, str, Result | None]:
    """The stated utility, or the rank utility — or the failed hypothesis that prevents it."""
    stated = instance.params.get("utility")
    if stated is not None:
        return stated, "the instance's stated utility", None
    found = first_violation(pre)
    if found is not None:
        return None, "", Result.not_applicable(
            f"no utility: hypothesis '{found[0]}' fails: {describe_violation(*found)}",
            "explicit witness, exhaustive search", witness=found[1],
        ).because(f"hypothesis:{found[0]}", Strength.EXHAUSTIVE)
    return rank_utility(pre), "rank of the indifference class (SCC condensation)", None


@THEOREM.check("utility-represents", CheckKind.NUMERIC, "x ≼ y ⇔ u(x) ≤ u(y) for every pair",
               tests=("reflexive", "transitive", "complete"), reasons=("misrepresents", *_HYP))
def check_represents(instance, ctx):
    pre = _preorder(instance)
    utility, how, failed = _utility(instance, pre)
    if failed is not None:
        return failed
    bad = misrepresentation_result(pre, utility, how)
    if bad is not None:
        return bad
    classes = len(set(utility.values()))
    return Result(Status.CONFIRMED, f"u represents ≼ on all {pre.size}² pairs ({classes} "
                  "indifference classes)",
                  {"elements": pre.size, "classes": classes, "utility_source": how},
                  "exhaustive over every pair (exact)", strength_kind=Strength.EXHAUSTIVE)


@THEOREM.check("select-argmax", CheckKind.NUMERIC,
               "Select(keys) = argmax u, ties exactly the top indifference class",
               tests=("reflexive", "transitive", "complete"), reasons=("counterexample", *_HYP))
def check_select(instance, ctx):
    pre = _preorder(instance)
    utility, how, failed = _utility(instance, pre)
    if failed is not None:
        return failed
    rng = ctx.rng
    n_sets = ctx.profile.pick(200, 2000, 20000)
    index = {e: i for i, e in enumerate(pre.elements)}
    for trial in range(n_sets):
        size = int(rng.integers(1, min(16, pre.size) + 1))
        keys = [pre.elements[int(i)] for i in rng.integers(0, pre.size, size)]
        chosen, _ = select(keys, utility)
        # the ≼-maximal keys, from the relation itself: k with k' ≼ k for every key k'
        idx = [index[k] for k in keys]
        truth = [i for i, a in enumerate(idx) if all(pre.leq[b, a] for b in idx)]
        if chosen != truth:
            return Result.refuted(
                f"Select by argmax u picks {[keys[i] for i in chosen]!r}, the ≼-maximal keys are "
                f"{[keys[i] for i in truth]!r}",
                "explicit counterexample key set",
                keys=keys, argmax_u=chosen, maximal=truth, trial=trial, utility_source=how,
            ).because("counterexample", Strength.SAMPLED)
    return Result(
        Status.CONFIRMED,
        f"argmax u equals the set of ≼-maximal keys on {n_sets} random key sets (ties included)",
        {"key_sets": n_sets}, f"checked on {n_sets} seeded random key sets of up to 16 keys",
        strength_kind=Strength.SAMPLED)


@THEOREM.check("weak-order-property", CheckKind.PROPERTY,
               "the construction represents every generated weak order (hypothesis)",
               reasons=("counterexample",))
def check_weak_orders(instance, ctx):
    construct = instance.params.get("construction", rank_utility)
    max_size = ctx.profile.pick(60, 300, 300)

    def prop(example) -> None:
        (graph, rank), keys = example
        pre = Preorder.from_graph(graph)
        utility = construct(pre)
        bad = represents(pre, utility)
        if bad is not None:
            raise Counterexample(
                f"constructed u fails to represent a generated weak order of {pre.size} "
                f"elements at ({bad['x']!r}, {bad['y']!r})",
                n=pre.size, true_rank=rank, pair=bad,
            )
        chosen, _ = select(keys, utility)
        top = max(rank[k] for k in keys)
        if chosen != [i for i, k in enumerate(keys) if rank[k] == top]:
            raise Counterexample("Select ≠ top indifference class", keys=keys, chosen=chosen)

    strategy = weak_orders(min_size=1, max_size=max_size).flatmap(
        lambda g: st.tuples(st.just(g), key_subsets(len(g[1])))
    )
    result = run_property(strategy, prop, ctx, claim="rank-of-class utility represents the weak "
                          "order; Select = top class")
    if result.status == Status.REFUTED:
        return result.because("counterexample", Strength.SAMPLED)
    result.strength_kind = result.strength_kind or Strength.SAMPLED
    return result


@THEOREM.check("countable-cantor", CheckKind.NUMERIC,
               "Σ_{x_n ≺ x} 2^-n represents the order on the first N elements, values in [0,1)",
               tests=("reflexive", "transitive", "complete"),
               reasons=("counterexample", *_HYP))
def check_cantor(instance, ctx):
    enumerate_fn, leq = instance["enumeration"], instance["leq"]
    variant = instance.params.get("variant", "strictly-below")
    n = ctx.profile.pick(64, 256, 1024)
    xs = list(islice(enumerate_fn(), n))
    if variant == "strictly-below":
        utility = cantor_utility(xs, leq)
    else:  # planted wrong formula: sums over x_n ≻ x instead of x_n ≺ x
        utility = cantor_utility(xs, lambda a, b: leq(b, a))
    pre = Preorder.from_function(xs, leq)
    found = first_violation(pre)
    if found is not None:
        return Result.not_applicable(
            f"hypothesis '{found[0]}' fails on the first {n} elements: "
            f"{describe_violation(*found)}", "explicit witness, exhaustive search",
            witness=found[1]).because(f"hypothesis:{found[0]}", Strength.EXHAUSTIVE)
    out_of_range = [x for x, v in utility.items() if not (0 <= v < 1)]
    bad = represents(pre, utility)
    if bad is not None or out_of_range:
        return Result.refuted(
            f"the sum ({variant}) does not represent ≼ on the first {n} elements"
            + (f": pair ({bad['x']!r}, {bad['y']!r})" if bad else ": value outside [0,1)"),
            "explicit counterexample pair (exact rational arithmetic)",
            pair=bad, out_of_range=[repr(x) for x in out_of_range[:5]], variant=variant,
        ).because("counterexample", Strength.EXHAUSTIVE)
    top = max(utility.values())
    return Result(
        Status.CONFIRMED,
        f"the Cantor sum represents ≼ on the first {n} enumerated elements; max u = "
        f"{float(top):.6f} < 1", {"n": n, "max_u": str(top), "max_u_float": float(top)},
        f"exact rational arithmetic over all {n}² pairs of the first {n} elements; the tail "
        "beyond N cannot reverse them (argument in the module docstring, ours)",
        strength_kind=Strength.EXHAUSTIVE)


@THEOREM.check("continuity", CheckKind.NUMERIC,
               "on a box in R^d: search for a sequence leaving a contour set (exact rationals)",
               tests=("continuous",), reasons=("hypothesis:continuous",))
def check_continuity(instance, ctx):
    lo, hi = instance["box"]
    n_terms = ctx.profile.pick(500, 5000, 20000)
    witness = None
    for grid in (2, 3):  # corners first: the simplest witness
        witness = witness or find_discontinuity(instance["leq"], lo, hi, grid=grid, n_terms=n_terms)
    if witness is not None:
        return Result.not_applicable(
            "the preorder is not continuous, so Debreu gives no continuous utility: "
            + witness["statement"]
            + f" (a = {witness['limit_point']}, c = {witness['reference']}, "
            f"d = {witness['direction']})",
            f"explicit sequence, checked for n = 1..{n_terms} in exact rational arithmetic",
            **witness,
        ).because("hypothesis:continuous", Strength.SAMPLED)
    return Result(
        Status.CONFIRMED, "no discontinuity found: no grid sequence leaves an upper contour set",
        {"n_terms": n_terms},
        "search over a 3^d grid of limit points and axis directions (not a proof of continuity)",
        strength_kind=Strength.SAMPLED)


# ---------------------------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------------------------
def _rationals():
    """0, 1, 1/2, 1/3, 2/3, 1/4, 3/4, … : the rationals of [0, 1] without repeats."""
    seen = set()
    for q in count(1):
        for p in range(q + 1):
            r = Fraction(p, q)
            if r not in seen:
                seen.add(r)
                yield r


def _by_floor(a: Fraction, b: Fraction) -> bool:
    """A preorder with indifference: compare ⌊8x⌋ (ties inside each eighth)."""
    return int(a * 8) <= int(b * 8)


WEAK = weak_order_graph((5 * i + i // 12) % 12 for i in range(200))

THEOREM.instance(
    "weak-order-200",
    relation=WEAK,
    expect={name: "confirmed" for name in
            ("reflexive", "transitive", "complete", "utility-represents", "select-argmax")},
    description="a weak order on 200 elements in 12 indifference classes: rank(i) = "
    "(5i + ⌊i/12⌋) mod 12",
)
THEOREM.instance(
    "comparison-function",
    relation=(list(range(60)), lambda a, b: (a % 7) <= (b % 7)),
    expect={name: "confirmed" for name in
            ("reflexive", "transitive", "complete", "utility-represents", "select-argmax")},
    description="60 integers compared by their residue mod 7 (a comparison function)",
)
THEOREM.instance(
    "random-weak-orders",
    expect={"weak-order-property": "confirmed"},
    description="hypothesis-generated weak orders up to 300 elements, random key sets",
)
THEOREM.instance(
    "countable-rationals",
    enumeration=_rationals, leq=_by_floor,
    expect={"countable-cantor": "confirmed"},
    description="the rationals of [0,1], enumerated by denominator, preordered by ⌊8x⌋",
)
THEOREM.instance(
    "utility-order-on-square",
    box=((0, 0), (1, 1)), leq=utility_order(lambda z: z[0] + 2 * z[1]),
    expect={"continuity": "confirmed"},
    description="the order of the continuous utility x + 2y on [0,1]²",
)

# -- negative controls: planted false claims ---------------------------------------------------
def _because(code: str, *checks: str) -> dict[str, str]:
    return dict.fromkeys(checks, code)


_swapped = rank_utility(Preorder.from_graph(WEAK))
_a = next(e for e, r in _swapped.items() if r == 0)
_b = next(e for e, r in _swapped.items() if r == max(_swapped.values()))
_swapped = {**_swapped, _a: _swapped[_b], _b: _swapped[_a]}

THEOREM.control(
    "swapped-utility",
    relation=WEAK, utility=_swapped,
    expect={"utility-represents": "refuted", "select-argmax": "refuted"},
    reasons={"utility-represents": "misrepresents", "select-argmax": "counterexample"},
    description=f"claim: the rank utility with elements {_a} and {_b} swapped represents ≼",
)
THEOREM.control(
    "rock-paper-scissors",
    relation=nx.DiGraph([("rock", "rock"), ("paper", "paper"), ("scissors", "scissors"),
                         ("rock", "paper"), ("paper", "scissors"), ("scissors", "rock")]),
    expect={"transitive": "not-applicable", "utility-represents": "not-applicable",
            "select-argmax": "not-applicable"},
    reasons=_because("hypothesis:transitive", "transitive", "utility-represents",
                     "select-argmax"),
    description="claim: an intransitive cycle rock ≼ paper ≼ scissors ≼ rock has a utility",
)
THEOREM.control(
    "partial-order",
    relation=(["a", "b", "c"], lambda x, y: x == y or (x == "a")),
    expect={"complete": "not-applicable", "utility-represents": "not-applicable",
            "select-argmax": "not-applicable"},
    reasons=_because("hypothesis:complete", "complete", "utility-represents", "select-argmax"),
    description="claim: a partial order with b, c incomparable is complete",
)
THEOREM.control(
    "missing-self-loop",
    relation=nx.DiGraph([(0, 1), (1, 1)]),
    expect={"reflexive": "not-applicable", "utility-represents": "not-applicable",
            "select-argmax": "not-applicable"},
    reasons=_because("hypothesis:reflexive", "reflexive", "utility-represents",
                     "select-argmax"),
    description="claim: a relation without 0 ≼ 0 is a preorder",
)
THEOREM.control(
    "broken-construction",
    construction=lambda pre: {e: -r for e, r in rank_utility(pre).items()},
    expect={"weak-order-property": "refuted"}, reasons={"weak-order-property": "counterexample"},
    description="claim: the negated rank (reversed order) represents every weak order",
)
THEOREM.control(
    "reversed-cantor-sum",
    enumeration=_rationals, leq=_by_floor, variant="strictly-above",
    expect={"countable-cantor": "refuted"}, reasons={"countable-cantor": "counterexample"},
    description="claim: Σ over x_n ≻ x (instead of ≺) represents the order",
)
for _id, _leq, _hyp, _what in (
    ("strict-floor-order", lambda a, b: int(a * 8) < int(b * 8), "reflexive",
     "the strict order ⌊8a⌋ < ⌊8b⌋ (no x ≼ x)"),
    ("within-one-eighth", lambda a, b: abs(int(a * 8) - int(b * 8)) <= 1, "transitive",
     "'within one eighth of each other' (not transitive)"),
    ("same-eighth-incomparable", lambda a, b: a == b or int(a * 8) < int(b * 8), "complete",
     "⌊8a⌋ < ⌊8b⌋ or a = b (distinct points of one eighth incomparable)"),
):
    THEOREM.control(
        _id, enumeration=_rationals, leq=_leq,
        expect={"countable-cantor": "not-applicable"},
        reasons={"countable-cantor": f"hypothesis:{_hyp}"},
        description=f"claim: the Cantor sum represents {_what} on the rationals of [0,1]",
    )
THEOREM.control(
    "lexicographic-square",
    box=((0, 0), (1, 1)), leq=lexicographic,
    expect={"continuity": "not-applicable"}, reasons={"continuity": "hypothesis:continuous"},
    description="claim: the lexicographic order on [0,1]² has a continuous utility; "
    "witness (1/n, 0) ≻ (0, 1) for all n, limit (0, 0) ≺ (0, 1)",
)

register(THEOREM)
