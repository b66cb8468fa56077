"""Hypothesis strategies for users' own property checks.

``weak_orders`` draws random complete preorders (weak orders) of up to a few hundred elements,
as a networkx DiGraph (edge a -> b means a ≼ b, self-loops included) with the hidden class rank
of each element, so a test can compare a constructed utility against the truth.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import strategies as st


@st.composite
def weak_orders(draw, min_size: int = 1, max_size: int = 300, max_classes: int | None = None):
    """A random weak order: ``(graph, rank)`` with ``rank[e]`` the class index of element e."""
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    k_max = max(1, min(n, max_classes or n))
    k = draw(st.integers(min_value=1, max_value=k_max))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    ranks = np.random.default_rng(seed).integers(0, k, size=n)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    rows, cols = np.nonzero(ranks[:, None] <= ranks[None, :])
    graph.add_edges_from(zip(rows.tolist(), cols.tolist()))
    return graph, {i: int(r) for i, r in enumerate(ranks)}


@st.composite
def key_subsets(draw, n_elements: int, min_size: int = 1, max_size: int = 16):
    """Indices of a key set drawn from ``range(n_elements)`` (repeats allowed, like a sequence)."""
    size = draw(st.integers(min_value=min_size, max_value=max_size))
    return draw(st.lists(st.integers(0, n_elements - 1), min_size=size, max_size=size))


__all__ = ["key_subsets", "weak_orders"]

try:  # point sets in a box, from the relations layer, re-exported for users
    from verify.relations.strategies import point_sets  # noqa: F401

    __all__.append("point_sets")
except ImportError:  # pragma: no cover - relations layer not installed
    pass
