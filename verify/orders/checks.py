"""Checks of the preorder hypotheses and of a utility's representation, as :class:`Result`\\ s.

One copy, used by ``debreu-utility`` (one finite preorder), ``attention-retrieval`` (one finite
preorder ``≼_x`` per query) and :func:`verify.attention.hypotheses.check_key_preorder`.

A relation ``≼`` on a finite set (a :class:`~verify.orders.preorder.Preorder`) is a *complete
preorder* when

.. math::

    x \\preceq x,\\qquad x \\preceq y \\preceq z \\Rightarrow x \\preceq z,\\qquad
    x \\preceq y \\ \\lor\\ y \\preceq x,

and a utility ``u`` *represents* it when ``x ≼ y ⇔ u(x) ≤ u(y)`` for every pair (Debreu's
representation theorem, classical). Each hypothesis is decided exhaustively on the finite set:
a failure comes back as ``not-applicable`` with reason ``hypothesis:<name>`` and the offending
element, triple or pair; a utility that misrepresents the order is ``refuted`` with reason
``misrepresents`` and the first pair where ``x ≼ y`` and ``u(x) ≤ u(y)`` disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

import networkx as nx
import numpy as np

from verify.core.result import Result
from verify.core.status import Status, Strength
from verify.orders.preorder import Preorder

__all__ = [
    "HYPOTHESES",
    "describe_violation",
    "first_violation",
    "hypothesis_result",
    "jsonable",
    "misrepresentation_result",
    "weak_order_graph",
]

#: hypothesis name -> (the Preorder method finding a violation, the witness' roles)
HYPOTHESES: dict[str, tuple[str, tuple[str, ...]]] = {
    "reflexive": ("reflexivity_violation", ("element",)),
    "transitive": ("transitivity_violation", ("a", "b", "c")),
    "complete": ("completeness_violation", ("a", "b")),
}

#: a finite preorder to check: (label, e.g. the query, or None; the values of its elements,
#: indexed by element, or None; the preorder)
Item = tuple[Any, Any, Preorder]


def jsonable(value: Any) -> Any:
    """Arrays, lists and tuples as lists (for evidence); anything else unchanged."""
    return np.asarray(value).tolist() if isinstance(value, (np.ndarray, list, tuple)) else value


def first_violation(pre: Preorder, names: Iterable[str] = tuple(HYPOTHESES)
                    ) -> tuple[str, dict[str, Any]] | None:
    """The first hypothesis of ``names`` that ``pre`` breaks, with its witness; None if none."""
    for name in names:
        finder, _roles = HYPOTHESES[name]
        witness = getattr(pre, finder)()
        if witness is not None:
            return name, witness
    return None


def describe_violation(name: str, w: dict[str, Any]) -> str:
    """One line naming the witness: ``e ≼ e`` missing, ``a ≼ b ≼ c`` but not ``a ≼ c``, …"""
    if name == "reflexive":
        return f"{w['element']!r} ≼ {w['element']!r} is missing"
    if name == "transitive":
        return f"{w['a']!r} ≼ {w['b']!r} ≼ {w['c']!r} but not {w['a']!r} ≼ {w['c']!r}"
    return f"{w['a']!r} and {w['b']!r} are incomparable"


def hypothesis_result(items: Iterable[Item], name: str, source: str, *,
                      sampled: bool) -> Result:
    """Decide hypothesis ``name`` on every finite preorder of ``items``.

    ``not-applicable`` (``hypothesis:<name>``) at the first preorder that breaks it, with the
    witness' elements and values; else ``confirmed``: exhaustive over each finite set, and over
    the list of preorders unless ``sampled`` (then the preorders are random draws, e.g. queries,
    and the confirmation is a sampled one). ``inconclusive`` (``nothing-tested``) when ``items``
    is empty.
    """
    _finder, roles = HYPOTHESES[name]
    checked = 0
    for label, values, pre in items:
        checked += 1
        found = first_violation(pre, (name,))
        if found is None:
            continue
        w = found[1]
        where = "" if label is None else f" at {jsonable(label)!r}"
        witness_values = ({} if values is None
                          else {r: jsonable(values[w[r]]) for r in roles})
        return Result.not_applicable(
            f"hypothesis '{name}' fails{where}: {describe_violation(name, w)}",
            "explicit witness, exhaustive over every pair/triple of the finite set",
            query=jsonable(label), witness={r: jsonable(w[r]) for r in roles},
            witness_values=witness_values, source=source,
        ).because(f"hypothesis:{name}", Strength.EXHAUSTIVE)
    if checked == 0:
        return Result.inconclusive(f"no preorder to check ({source})",
                                   "nothing was tested").because("nothing-tested")
    scope = (f"{checked} sampled preorders (random queries and key sets)" if sampled
             else f"all {checked} listed preorder(s)")
    return Result(
        Status.CONFIRMED, f"{name} holds on {scope} ({source})",
        {"preorders": checked, "source": source},
        f"exhaustive over every pair/triple of each finite set; {scope}",
        strength_kind=Strength.SAMPLED if sampled else Strength.EXHAUSTIVE)


def misrepresentation_result(pre: Preorder, utility: dict[Hashable, Any], how: str,
                             where: str = "") -> Result | None:
    """``refuted`` (``misrepresents``) at the first pair where u does not represent ≼; else None."""
    from verify.orders.utility import represents

    bad = represents(pre, utility)
    if bad is None:
        return None
    return Result.refuted(
        f"{where}u does not represent ≼ at ({bad['x']!r}, {bad['y']!r}): x ≼ y is "
        f"{bad['x_leq_y']} but u(x) = {bad['u_x']}, u(y) = {bad['u_y']}",
        "explicit counterexample pair, exhaustive over all pairs",
        pair=bad, utility_source=how,
    ).because("misrepresents", Strength.EXHAUSTIVE)


def weak_order_graph(ranks: Iterable[int], name: Callable[[int], Hashable] = int) -> nx.DiGraph:
    """The weak order ``a ≼ b ⇔ rank(a) ≤ rank(b)`` as a DiGraph (self-loops included)."""
    ranks = np.asarray(list(ranks))
    graph = nx.DiGraph()
    graph.add_nodes_from(name(i) for i in range(len(ranks)))
    rows, cols = np.nonzero(ranks[:, None] <= ranks[None, :])
    graph.add_edges_from((name(a), name(b)) for a, b in zip(rows.tolist(), cols.tolist()))
    return graph
