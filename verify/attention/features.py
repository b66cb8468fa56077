"""Query/key feature maps whose inner product scores attention, exact ones for testing.

An attention layer scores key ``y`` for query ``x`` by ``<φ_q(x), φ_k(y)>``. Before a trained
model is available, the exact factorisations below (ours, elementary algebra) give maps whose
inner product *is* the utility, and :func:`planted` adds a perturbation of sup size at most
``δ``:

.. math::

    -\\|x - y\\|^2 = 2\\langle x, y\\rangle - \\|x\\|^2 - \\|y\\|^2
                  = \\langle (\\sqrt2 x, -\\|x\\|^2, 1), (\\sqrt2 y, 1, -\\|y\\|^2) \\rangle,
    \\qquad x^\\top A y = \\langle A^\\top x, y\\rangle.

A trained asymmetric :class:`~verify.models.InnerProductModel` (docs/CONTRACTS.md) plugs in via
:func:`from_model`: its ``phi`` is the query map and ``psi`` (or ``phi`` if symmetric) the key map.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

FeatureMap = Callable[[torch.Tensor], torch.Tensor]

__all__ = [
    "FeatureMap",
    "FeaturePair",
    "bilinear_features",
    "from_model",
    "nearest_key_features",
    "planted",
]


@dataclass(frozen=True)
class FeaturePair:
    """Query map ``(B, dx) -> (B, m)`` and key map ``(B, dy) -> (B, m)`` (torch, float64).

    ``delta`` is a known bound on ``sup |<query(x), key(y)> - u(x, y)|`` when one is known by
    construction (0 for exact factorisations, the planted size for :func:`planted`), else None.
    """

    name: str
    query: FeatureMap
    key: FeatureMap
    delta: float | None = None

    def scores(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """``<query(x_b), key(keys_{b,i})>``: ``x (B, dx)``, ``keys (B, n, dy)`` -> ``(B, n)``."""
        B, n, dy = keys.shape
        q = self.query(x)  # (B, m)
        k = self.key(keys.reshape(B * n, dy)).reshape(B, n, -1)
        return torch.einsum("bm,bnm->bn", q, k)


def nearest_key_features(d: int = 2) -> FeaturePair:
    """Exact maps for ``-|x - y|^2``: ``φ(x) = (√2 x, -|x|^2, 1)``, ``ψ(y) = (√2 y, 1, -|y|^2)``."""
    root2 = math.sqrt(2.0)

    def query(x: torch.Tensor) -> torch.Tensor:
        sq = (x * x).sum(-1, keepdim=True)
        return torch.cat([root2 * x, -sq, torch.ones_like(sq)], dim=-1)

    def key(y: torch.Tensor) -> torch.Tensor:
        sq = (y * y).sum(-1, keepdim=True)
        return torch.cat([root2 * y, torch.ones_like(sq), -sq], dim=-1)

    return FeaturePair(f"nearest_key_exact(d={d})", query, key, delta=0.0)


def bilinear_features(A: np.ndarray) -> FeaturePair:
    """Exact maps for ``x^T A y``: ``φ(x) = A^T x``, ``ψ(y) = y``."""
    At = torch.as_tensor(np.asarray(A, dtype=np.float64).T)

    def query(x: torch.Tensor) -> torch.Tensor:
        return x @ At.T.to(x)  # rows (A^T x)^T = x^T A

    def key(y: torch.Tensor) -> torch.Tensor:
        return y

    return FeaturePair(f"bilinear_exact(d={At.shape[0]})", query, key, delta=0.0)


def planted(pair: FeaturePair, delta: float, seed: int = 0, terms: int = 4) -> FeaturePair:
    r"""Append ``terms`` coordinates that perturb the inner product by at most ``delta``.

    Extra query coordinates :math:`(\delta/T)\cos(a_j^\top x + b_j)`, key coordinates
    :math:`\cos(c_j^\top y + e_j)`: the perturbation :math:`\sum_j (\delta/T)\cos(\cdot)\cos(\cdot)`
    has sup at most :math:`\delta` (ours). Frequencies are standard normal times 3 (seeded).
    """
    if delta < 0:
        raise ValueError(f"planted perturbation needs delta >= 0, got {delta}")
    cache: dict[str, Any] = {}

    def params(dim: int, which: str) -> tuple[torch.Tensor, torch.Tensor]:
        # drawn lazily (the input dimension is known at first call), fixed afterwards; one
        # stream per role, so the draw does not depend on which map is called first
        if which not in cache:
            rng = np.random.default_rng([seed, 0 if which == "q" else 1])
            cache[which] = (
                torch.as_tensor(3.0 * rng.standard_normal((dim, terms))),
                torch.as_tensor(rng.uniform(0.0, 2 * math.pi, terms)),
            )
        return cache[which]

    def query(x: torch.Tensor) -> torch.Tensor:
        W, b = params(x.shape[-1], "q")
        extra = (delta / terms) * torch.cos(x @ W.to(x) + b.to(x))
        return torch.cat([pair.query(x), extra], dim=-1)

    def key(y: torch.Tensor) -> torch.Tensor:
        W, b = params(y.shape[-1], "k")
        return torch.cat([pair.key(y), torch.cos(y @ W.to(y) + b.to(y))], dim=-1)

    base = 0.0 if pair.delta is None else pair.delta
    known = None if pair.delta is None else base + delta
    return FeaturePair(f"{pair.name}+planted(delta={delta})", query, key, delta=known)


def from_model(model: Any, name: str | None = None) -> FeaturePair:
    """Query/key maps of an inner-product model (duck-typed on the contract's attributes).

    ``model.phi`` is the query map; ``model.psi`` the key map, or ``model.phi`` when ``psi`` is
    None (symmetric model). ``delta`` is unknown (None): pass a certified bound to the evaluator.
    """
    phi = model.phi
    psi = getattr(model, "psi", None)
    psi = phi if psi is None else psi
    return FeaturePair(name or type(model).__name__, phi, psi, delta=None)
