"""Utilities representing complete preorders (Debreu), finite and countable.

For a finite complete preorder the indifference classes are the strongly connected components
of its graph; their condensation is a total order and the utility of an element is the rank of
its class. For a countable set x_1, x_2, … the Debreu/Cantor sum

.. math::

    u(x) = \\sum_{n:\\, x_n \\prec x} 2^{-n}

represents any complete preorder and takes values in [0, 1) (see docs/math.md, "Debreu").
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np

from verify.orders.preorder import Preorder
from verify.orders.weak import WeakOrder


def rank_utility(preorder: Preorder | WeakOrder) -> dict[Hashable, int]:
    r"""Utility = rank of the element's indifference class (0 = least preferred).

    For a :class:`Preorder` (ours): once it is a complete preorder, the down-set sizes
    :math:`c_i = |\{j : e_j \preceq e_i\}|` are equal exactly on a class and increase with
    it, so the dense rank of :math:`c` is the class rank: :math:`O(n^2)` on the matrix, no
    graph. A :class:`~verify.orders.weak.WeakOrder` (a key function or ranks) is sorted instead,
    :math:`O(n \log n)`, without any matrix.

    Raises :class:`~verify.orders.preorder.PreorderError` if the relation is not a complete
    preorder, naming the offending element, pair or triple.
    """
    if isinstance(preorder, WeakOrder):
        return preorder.rank_utility()
    preorder.require_complete_preorder()
    down = preorder.leq.sum(axis=0)
    _, rank = np.unique(down, return_inverse=True)
    return {e: int(r) for e, r in zip(preorder.elements, rank)}


def indifference_classes(preorder: Preorder) -> list[set[Hashable]]:
    """The classes of mutually indifferent elements (strongly connected components)."""
    return [set(c) for c in nx.strongly_connected_components(preorder.to_graph())]


def cantor_utility(
    enumeration: Sequence[Hashable], leq: Callable[[Any, Any], bool]
) -> dict[Hashable, Fraction]:
    """Exact Debreu/Cantor sum over the first N enumerated elements (``enumeration[n-1]`` = x_n).

    Returns exact rationals; the tail n > N adds less than 2^-N, which (ours, see
    ``theorems/debreu_utility.py``) cannot reverse a strict preference among the first N.
    """
    n_total = len(enumeration)
    out: dict[Hashable, Fraction] = {}
    for x in enumeration:
        total = 0
        for n, xn in enumerate(enumeration, start=1):
            if leq(xn, x) and not leq(x, xn):  # x_n ≺ x
                total += 1 << (n_total - n)  # 2^-n scaled by 2^N: exact integer arithmetic
        out[x] = Fraction(total, 1 << n_total)
    return out


def select(keys: Sequence[Hashable], utility: dict[Hashable, Any]) -> tuple[list[int], Any]:
    """Select(keys): indices of the keys of maximal utility (all of them when tied), and the max."""
    values = [utility[k] for k in keys]
    best = max(values)
    return [i for i, v in enumerate(values) if v == best], best


def represents(
    preorder: Preorder, utility: dict[Hashable, Any]
) -> dict[str, Any] | None:
    """None if ``x ≼ y ⇔ u(x) ≤ u(y)`` for every pair, else the first pair where it fails."""
    values = [utility[e] for e in preorder.elements]
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
    u = np.array(values, dtype=np.int64 if integral and values else object)
    by_u = u[:, None] <= u[None, :]
    bad = np.argwhere(by_u.astype(bool) != preorder.leq)
    if bad.size == 0:
        return None
    i, j = (int(v) for v in bad[0])
    x, y = preorder.elements[i], preorder.elements[j]
    return {
        "x": x,
        "y": y,
        "x_leq_y": bool(preorder.leq[i, j]),
        "u_x": str(utility[x]),
        "u_y": str(utility[y]),
        "mismatched_pairs": int(len(bad)),
    }
