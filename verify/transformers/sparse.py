"""Sparse attention patterns as graphs, hop distances, and the layer count they need (ours).

The attention graph of a pattern on n tokens has an edge j → i when token i attends to token j
(every token attends to itself: the residual). After L layers, output token i depends on
input token j iff the hop distance dist(j → i) ≤ L, so *every* token sees *every* token after
L layers iff

.. math::

    L \\ge \\operatorname{diam}(G) = \\max_{i, j} \\operatorname{dist}(j \\to i)

(infinite when G is not strongly connected). The radius min_i max_j dist(j → i) is the count
after which *some* token sees all. Sliding window |i − j| ≤ w has diameter ⌈(n−1)/w⌉ and
radius ⌈(n−1)/(2w)⌉ (n = 10, w = 2: 5 and 3; n = 9, w = 1: 8 and 4; docs/math.md). Graphs and
distances are networkx; :func:`dependency_gaps` runs the masked attention itself (torch SDPA
with a −∞ mask) to show an unreachable pair is exactly independent.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import torch

from verify.transformers.layers import AttentionParams, random_params, residual_layer


def sliding_window(n: int, w: int) -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from((j, i) for i in range(n) for j in range(n) if abs(i - j) <= w)
    return G


def window_global(n: int, w: int, globals_: int) -> nx.DiGraph:
    """Sliding window plus ``globals_`` global tokens (0, 1, …) that attend to and are
    attended by every token."""
    G = sliding_window(n, w)
    for g in range(globals_):
        G.add_edges_from((g, i) for i in range(n))
        G.add_edges_from((i, g) for i in range(n))
    return G


def window_random(n: int, w: int, per_token: int, rng: np.random.Generator) -> nx.DiGraph:
    """Sliding window plus ``per_token`` random extra keys for every query (seeded)."""
    G = sliding_window(n, w)
    for i in range(n):
        G.add_edges_from((int(j), i) for j in rng.choice(n, per_token, replace=False))
    return G


def build(pattern: dict, rng: np.random.Generator) -> nx.DiGraph:
    kind = pattern["kind"]
    if kind == "window":
        return sliding_window(pattern["n"], pattern["w"])
    if kind == "window+global":
        return window_global(pattern["n"], pattern["w"], pattern["globals"])
    if kind == "window+random":
        return window_random(pattern["n"], pattern["w"], pattern["random"], rng)
    raise ValueError(f"unknown sparse pattern {kind!r}")


def hop_distances(G: nx.DiGraph) -> dict:
    """Diameter, radius and the farthest pair (j → i) over ordered pairs; inf when some
    token cannot reach another."""
    n = G.number_of_nodes()
    lengths = dict(nx.all_pairs_shortest_path_length(G))
    D = np.full((n, n), np.inf)  # D[j, i] = dist(j -> i)
    for j, row in lengths.items():
        for i, d in row.items():
            D[j, i] = d
    j, i = np.unravel_index(int(np.argmax(D)), D.shape)
    ecc = D.max(axis=0)  # for each receiver i: max over sources j
    return {"diameter": float(D.max()), "radius": float(ecc.min()), "farthest": (int(j), int(i)),
            "matrix": D}


def mask(G: nx.DiGraph) -> torch.Tensor:
    """Additive attention mask: 0 on edges j → i (row i, column j), −∞ elsewhere."""
    n = G.number_of_nodes()
    M = torch.full((n, n), -torch.inf, dtype=torch.float64)
    for j, i in G.edges:
        M[i, j] = 0.0
    return M


def dependency_gaps(G: nx.DiGraph, layers: int, rng: np.random.Generator, d: int = 2
                    ) -> np.ndarray:
    """C[j, i] = max |change of output token i| when input token j is perturbed, after
    ``layers`` masked softmax layers with random parameters (0.0 means exactly unchanged)."""
    n = G.number_of_nodes()
    M = mask(G)
    ps: list[AttentionParams] = [random_params(1, d, d, rng) for _ in range(layers)]
    X = torch.as_tensor(rng.standard_normal((n, d)))

    def run(Z: torch.Tensor) -> torch.Tensor:
        for p in ps:
            Z = residual_layer("softmax", Z, p, M)[0]
        return Z

    with torch.no_grad():
        base = run(X)
        C = np.zeros((n, n))
        for j in range(n):
            Z = X.clone()
            Z[j] += torch.as_tensor(rng.standard_normal(d))
            C[j] = (run(Z) - base).abs().max(dim=-1).values.numpy()
    return C
