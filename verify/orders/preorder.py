"""Finite preorders as networkx graphs (edge a -> b means a ≼ b), with named hypothesis checks.

Each hypothesis check returns ``None`` when it holds, else the evidence that breaks it: the
element with no self-loop, the triple a ≼ b, b ≼ c, not a ≼ c, or the incomparable pair.
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
        """A triple a ≼ b, b ≼ c with not a ≼ c (boolean matrix product, O(n^3) in BLAS)."""
        m = self.leq.astype(np.float64)
        through = (m @ m) > 0  # a ≼ b ≼ c for some b
        bad = np.argwhere(through & ~self.leq)
        if bad.size == 0:
            return None
        a, c = (int(v) for v in bad[0])
        b = int(np.flatnonzero(self.leq[a] & self.leq[:, c])[0])
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
