r"""A claim: "some inner-product model within this budget has sup error ≤ ε on this relation".

The budget is either a fixed architecture (hidden ``width`` and ``depth`` per branch, feature
dimension ``feature_dim``) or a neuron count ``neurons`` (every model with at most that many
hidden neurons, over both branches, is allowed).

Rank of a model (the shared docs/math.md, "Rank of an inner-product model"): with
:math:`\phi = A h(x) + a`, :math:`\psi = B g(y) + b` and last hidden widths
:math:`w_\phi, w_\psi`, every Gram matrix of :math:`\langle\phi(x),\psi(y)\rangle` has

.. math::

    \operatorname{rank} \le \min(m,\ w_\phi + 1,\ w_\psi + 1).

For a neuron count :math:`N` (ours, from that fact): a last hidden layer holds at most
:math:`N` neurons, and in the asymmetric model the two last layers share :math:`N`, so the
smaller has :math:`\le \lfloor N/2 \rfloor`; hence rank :math:`\le N + 1` (symmetric,
:math:`\psi = \phi`) and :math:`\le \lfloor N/2 \rfloor + 1` (asymmetric).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Claim:
    """One existence claim about a relation (see the module docstring).

    ``warm_start`` is passed to the trainer (``"spectral"``, ``None`` or numpy feature maps
    ``(f_x, f_y)``); ``train_eps`` overrides the policy's training target (e.g. a caller that
    needs a witness at one level and a certificate at another); ``label`` names the claim in
    summaries (e.g. ``"N(eps) = 4 log(1/eps)"``).
    """

    relation: Any
    eps: float
    symmetric: bool
    width: int | None = None
    depth: int = 1
    feature_dim: int | None = None
    neurons: int | None = None
    activation: str = "tanh"
    warm_start: Any = "spectral"
    train_eps: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not self.eps > 0:
            raise ValueError(f"a claim needs eps > 0, got {self.eps!r}")
        fixed = self.width is not None and self.feature_dim is not None
        if fixed == (self.neurons is not None):
            raise ValueError("a claim gives either width and feature_dim, or neurons")
        if self.neurons is not None and self.neurons < 0:
            raise ValueError(f"neurons must be >= 0, got {self.neurons}")

    @property
    def fixed_architecture(self) -> bool:
        return self.neurons is None

    @property
    def max_rank(self) -> int:
        """The largest Gram rank any model within the budget can have (module docstring)."""
        if self.fixed_architecture:
            return min(int(self.feature_dim), int(self.width) + 1)
        n = int(self.neurons)
        return n + 1 if self.symmetric else n // 2 + 1

    def rank_text(self) -> str:
        if self.fixed_architecture:
            return (f"with feature dim {self.feature_dim} and last hidden width {self.width} "
                    f"the Gram matrices have rank ≤ {self.max_rank}")
        return (f"any model with ≤ {self.neurons} hidden neurons has Gram rank ≤ "
                f"{self.max_rank}")

    def architecture(self) -> dict[str, Any]:
        return {"width": self.width, "depth": self.depth, "feature_dim": self.feature_dim,
                "neurons": self.neurons, "activation": self.activation,
                "symmetric": self.symmetric}

    def describe(self) -> dict[str, Any]:
        """JSON-able identity of the claim (the cache key and the report's record)."""
        return {"relation": relation_key(self.relation), "eps": float(self.eps),
                **self.architecture(), "warm_start": warm_label(self.warm_start),
                "train_eps": self.train_eps}


def relation_key(relation: Any) -> str:
    """The relation's identity: its sympy expression and boxes (name as a fallback)."""
    describe = getattr(relation, "describe", None)
    if callable(describe):
        return json.dumps(describe(), sort_keys=True, default=str)
    expr = getattr(relation, "expr", None)
    return f"{getattr(relation, 'name', type(relation).__name__)}:{expr!r}"


def warm_label(warm: Any) -> str | None:
    """A stable name for a warm start (feature maps are named by their qualified name)."""
    if warm is None or isinstance(warm, str):
        return warm
    names = [getattr(f, "__qualname__", repr(f)) for f in warm if f is not None]
    return "features:" + ",".join(names)
