r"""Finite preorders as networkx graphs (edge a -> b means a ≼ b), with named hypothesis checks.

Each hypothesis check returns ``None`` when it holds, else the evidence that breaks it: the
element with no self-loop, the triple a ≼ b, b ≼ c, not a ≼ c, or the incomparable pair.

Transitivity of a *complete* relation is decided in :math:`O(n^2)` (ours): with the down-set
sizes :math:`c_i = |\{j : e_j \preceq e_i\}|`,

.. math::

    \preceq \text{ complete and transitive} \iff
    \forall i, j:\; (e_i \preceq e_j) = (c_i \le c_j),

since the down-sets of a complete preorder are nested (so inclusion is comparison of sizes),
and a relation of that form is represented by :math:`c`, hence transitive. Where it fails, an
element of :math:`\downarrow e_i \setminus \downarrow e_j` gives the violating triple. An
incomplete relation falls back to a boolean matrix product, in row blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np


class PreorderError(ValueError):
    """A relation is not a complete preorder; the message names the offending elements."""

    def __init__(self, message: str, hypothesis: str, witness: dict[str, Any]) -> None:
        super().__init__(message)
        self.hypothesis = hypothesis
        self.witness = witness


@dataclass
class Preorder:
    """A relation on a finite set, stored as a boolean matrix ``leq[i, j]`` = (e_i ≼ e_j)."""

    elements: list[Hashable]
    leq: np.ndarray

    def __post_init__(self) -> None:
        self.elements = list(self.elements)
        self.leq = as_relation_matrix(self.leq, len(self.elements))
        if len(set(self.elements)) != len(self.elements):
            seen: set = set()
            dup = next(e for e in self.elements if e in seen or seen.add(e))
            raise ValueError(f"Preorder: element {dup!r} appears more than once")

    @classmethod
    def from_graph(cls, graph: nx.DiGraph) -> "Preorder":
        """From a DiGraph whose edge a -> b means a ≼ b. Reflexivity needs explicit self-loops."""
        if not isinstance(graph, nx.DiGraph):
            raise TypeError(f"expected a networkx DiGraph, got {type(graph).__name__}")
        elements = list(graph.nodes)
        index = {e: i for i, e in enumerate(elements)}
        leq = np.zeros((len(elements), len(elements)), dtype=bool)
        for a, b in graph.edges:
            leq[index[a], index[b]] = True
        return cls(elements, leq)

    @classmethod
    def from_function(
        cls, elements: Iterable[Hashable], prefers: Callable[[Any, Any], bool]
    ) -> "Preorder":
        """From a comparison function ``leq(a, b)`` = (a ≼ b) on a finite set."""
        elements = list(elements)
        leq = np.array([[bool(prefers(a, b)) for b in elements] for a in elements], dtype=bool)
        return cls(elements, leq.reshape(len(elements), len(elements)))

    def to_graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_nodes_from(self.elements)
        rows, cols = np.nonzero(self.leq)
        graph.add_edges_from((self.elements[i], self.elements[j]) for i, j in zip(rows, cols))
        return graph

    @property
    def size(self) -> int:
        return len(self.elements)

    # -- hypotheses -------------------------------------------------------------------------
    def reflexivity_violation(self) -> dict[str, Any] | None:
        missing = np.flatnonzero(~np.diag(self.leq))
        if missing.size == 0:
            return None
        return {"element": self.elements[int(missing[0])], "missing_count": int(missing.size)}

    def transitivity_violation(self) -> dict[str, Any] | None:
        """A triple a ≼ b, b ≼ c with not a ≼ c: O(n^2) when complete (see the module notes),
        else a boolean matrix product in row blocks (O(n^3) in BLAS, O(n^2) memory)."""
        if self.completeness_violation() is None:
            return self._complete_transitivity_violation()
        m = self.leq.astype(np.float32)
        block = max(1, 2**22 // max(1, self.size))
        for start in range(0, self.size, block):
            rows = slice(start, start + block)
            through = (m[rows] @ m) > 0  # a ≼ b ≼ c for some b
            bad = np.argwhere(through & ~self.leq[rows])
            if bad.size:
                a, c = int(bad[0][0]) + start, int(bad[0][1])
                b = int(np.flatnonzero(self.leq[a] & self.leq[:, c])[0])
                return self._triple(a, b, c)
        return None

    def _complete_transitivity_violation(self) -> dict[str, Any] | None:
        down = self.leq.sum(axis=0)  # down[i] = |{j : e_j ≼ e_i}|
        for i in range(self.size):
            row = self.leq[i]  # e_i ≼ e_j ?
            bad = np.flatnonzero(row != (down[i] <= down))
            if bad.size == 0:
                continue
            j = int(bad[0])
            # one of e_i, e_j has a down-set element the other lacks: that is the triple
            lo, hi = (i, j) if row[j] else (j, i)  # e_lo ≼ e_hi
            k = int(np.flatnonzero(self.leq[:, lo] & ~self.leq[:, hi])[0])
            return self._triple(k, lo, hi)
        return None

    def _triple(self, a: int, b: int, c: int) -> dict[str, Any]:
        return {"a": self.elements[a], "b": self.elements[b], "c": self.elements[c]}

    def completeness_violation(self) -> dict[str, Any] | None:
        bad = np.argwhere(~(self.leq | self.leq.T))
        if bad.size == 0:
            return None
        a, b = (int(v) for v in bad[0])
        return {"a": self.elements[a], "b": self.elements[b]}

    def require_complete_preorder(self) -> None:
        """Raise :class:`PreorderError` naming the first hypothesis that fails."""
        if (w := self.reflexivity_violation()) is not None:
            raise PreorderError(
                f"not reflexive: {w['element']!r} ≼ {w['element']!r} is missing", "reflexive", w
            )
        if (w := self.transitivity_violation()) is not None:
            raise PreorderError(
                f"not transitive: {w['a']!r} ≼ {w['b']!r} and {w['b']!r} ≼ {w['c']!r} "
                f"but not {w['a']!r} ≼ {w['c']!r}",
                "transitive",
                w,
            )
        if (w := self.completeness_violation()) is not None:
            raise PreorderError(
                f"not complete: {w['a']!r} and {w['b']!r} are incomparable", "complete", w
            )


def as_relation_matrix(leq: Any, n: int) -> np.ndarray:
    """``leq`` as an ``(n, n)`` boolean array: booleans or the numbers 0/1 (any dtype).

    ``ValueError`` naming the problem: wrong shape, or an entry that is not 0/1/True/False.
    """
    try:
        arr = np.asarray(leq)
    except (ValueError, TypeError):  # ragged nested lists
        raise ValueError("Preorder: the relation matrix is not rectangular (rows of different "
                         "lengths)") from None
    if arr.shape != (n, n):
        raise ValueError(f"Preorder: the relation matrix has shape {arr.shape}, but there are "
                         f"{n} elements: expected ({n}, {n})")
    if arr.dtype == bool:
        return arr.copy()
    try:
        ok = np.isin(arr, (0, 1)) if arr.dtype != object else np.array(
            [v in (0, 1) and isinstance(v, (bool, int, float, np.bool_, np.number))
             for v in arr.ravel()], dtype=bool).reshape(arr.shape)
    except TypeError:
        ok = np.zeros(arr.shape, dtype=bool)
    if not ok.all():
        i, j = (int(v) for v in np.argwhere(~ok)[0])
        bad = arr[i, j].item() if hasattr(arr[i, j], "item") else arr[i, j]
        raise ValueError(f"Preorder: the relation matrix must hold only booleans or 0/1; entry "
                         f"({i}, {j}) is {bad!r}")
    return arr.astype(bool)
