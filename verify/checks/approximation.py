"""Is there an inner-product model with sup error ≤ ε within a model budget? (a thin wrapper)

The whole pipeline — rigorous lower bounds (Weyl, Eckart–Young–Mirsky) → trained witness →
sampled sup → certificate (standard, full) → verdict — is :func:`verify.claims.run_claim`; this
module keeps the older call ``check_approximation(relation, eps=, budget=Budget(...),
symmetric=, ctx=)`` working on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verify.claims import CERTIFY_MARGIN, Claim, Policy, check_claim
from verify.core.context import Context
from verify.core.result import Result

__all__ = ["CERTIFY_MARGIN", "Budget", "check_approximation"]


@dataclass
class Budget:
    """The model the claim allows (MLP shape per branch) and, optionally, the work to spend.

    ``rounds`` (optimiser rounds per fit) and ``leaves`` (branch-and-bound leaves) override the
    profile's work budgets (:class:`verify.claims.Policy`); ``time_budget_s`` and
    ``certify_budget_s`` are only wall-clock safety limits (default: the profile's), never the
    budget that decides an outcome.
    """

    width: int
    depth: int
    feature_dim: int
    activation: str = "tanh"
    time_budget_s: float | None = None
    certify_budget_s: float | None = None
    rounds: int | None = None
    leaves: int | None = None
    warm_iters: int | None = None

    def claim(self, relation: Any, eps: float, symmetric: bool,
              warm_start: Any = "spectral") -> Claim:
        return Claim(relation, float(eps), symmetric, width=self.width, depth=self.depth,
                     feature_dim=self.feature_dim, activation=self.activation,
                     warm_start=warm_start)

    def policy(self, ctx: Context) -> Policy:
        """The profile's policy with this budget's work (scaled by ``time_scale`` in full)."""
        scale = ctx.profile.time_scale if ctx.profile.name == "full" else 1.0

        def scaled(n: int | None) -> int | None:
            return None if n is None else max(1, int(round(n * scale)))

        return Policy.from_context(ctx, train_rounds=scaled(self.rounds),
                                   certify_leaves=scaled(self.leaves),
                                   warm_iters=self.warm_iters, wall_clock_s=self.time_budget_s,
                                   certify_wall_clock_s=self.certify_budget_s)


def check_approximation(relation, *, eps: float, budget: Budget, symmetric: bool,
                        ctx: Context, warm_start: Any = "spectral",
                        figures: bool = True) -> Result:
    """:func:`verify.claims.check_claim` for ``budget`` (see the module docstring)."""
    return check_claim(budget.claim(relation, eps, symmetric, warm_start), ctx,
                       policy=budget.policy(ctx), figures=figures)
