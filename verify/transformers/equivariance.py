"""Equivariance of attention designs under permutation groups of token positions (ours).

A map f on R^{n×d} (tokens as rows) is G-equivariant when f(X[σ]) = f(X)[σ] for every σ ∈ G
(X[σ] permutes the rows; in the column convention this is f(XP) = f(X)P). Designs:

.. math::

    s_{ij} = q_i^\\top k_j/\\sqrt{d_k} + b_{ij},\\qquad
    b_{ij} = \\begin{cases} 0 & \\text{plain (} S_n\\text{-equivariant)} \\\\
        \\beta_{(j - i) \\bmod n} & \\text{cyclic relative bias (} C_n\\text{)} \\\\
        \\beta_{\\min(|i-j|,\\, n-|i-j|)} & \\text{circular-distance bias (} D_n\\text{)}
    \\end{cases}

and "+pe" adds a fixed absolute positional encoding E to X before the layer, which breaks
every non-trivial symmetry generically. Groups come from ``sympy.combinatorics``
(CyclicGroup, DihedralGroup, SymmetricGroup); the gap is measured on random inputs.
"""

from __future__ import annotations

import numpy as np
import torch
from sympy.combinatorics.named_groups import CyclicGroup, DihedralGroup, SymmetricGroup

from verify.transformers.layers import random_params, residual_layer

GROUPS = {"cyclic": CyclicGroup, "dihedral": DihedralGroup, "symmetric": SymmetricGroup}


def group_elements(name: str, n: int) -> list[list[int]]:
    """Every element of the named group on n positions, as index arrays."""
    try:
        G = GROUPS[name](n)
    except KeyError:
        raise ValueError(f"unknown group {name!r}; expected one of {sorted(GROUPS)}") from None
    return [p.array_form for p in G.generate()]


def design_bias(design: str, n: int, rng: np.random.Generator) -> torch.Tensor | None:
    base = design.removesuffix("+pe")
    if base == "plain":
        return None
    beta = rng.standard_normal(n)
    i, j = np.indices((n, n))
    if base == "cyclic":
        return torch.as_tensor(beta[(j - i) % n])
    if base == "dihedral":
        return torch.as_tensor(beta[np.minimum(np.abs(i - j), n - np.abs(i - j))])
    raise ValueError(f"unknown design {design!r}")


def make_design(design: str, n: int, d: int, kind: str, rng: np.random.Generator):
    """The layer f(X) = X' + Attn(X') with X' = X (+ E for "+pe"), random parameters."""
    p = random_params(1, d, d, rng)
    bias = design_bias(design, n, rng)
    E = torch.as_tensor(rng.standard_normal((n, d))) if design.endswith("+pe") else None

    def f(X: torch.Tensor) -> torch.Tensor:
        Z = X if E is None else X + E
        return residual_layer(kind, Z, p, bias)[0]

    return f


def equivariance_gap(f, elements: list[list[int]], X: torch.Tensor) -> dict:
    """max over σ and inputs of |f(X[σ]) − f(X)[σ]|, and the worst σ."""
    with torch.no_grad():
        base = f(X)
        gaps = [float((f(X[..., s, :]) - base[..., s, :]).abs().max()) for s in elements]
    worst = int(np.argmax(gaps))
    return {"max_gap": gaps[worst], "worst_permutation": elements[worst],
            "elements": len(elements)}
