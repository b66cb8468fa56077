"""How hard, and how strictly, a claim is checked: one :class:`Policy` per check, from its profile.

* ``certify``: standard and full demand a certificate over the whole domain before a witness
  confirms an ε claim; quick accepts the sampled sup and says so.
* ``train_margin``: where a certificate is demanded the trainer aims at ``0.7·ε``: a witness
  whose sampled sup sits just under ε cannot be certified at ε (the certifier proves a bound
  some 10–50 % above the sampled sup within its budget), so it is given room (our choice).
* Work budgets (reproducible): ``train_rounds`` optimiser rounds and ``warm_iters`` warm-start
  iterations per fit, ``certify_leaves`` branch-and-bound leaves, ``max_fits`` fits per
  neuron-count search with ``n_seeds`` seeds per width. Calibration: docs/CONTRACTS.md
  ("Claim pipeline").
* ``wall_clock_s`` / ``certify_wall_clock_s``: outer safety limits only. A fit or certificate
  they stop is marked "stopped by the wall-clock limit: not reproducible" and never confirms on a
  sampled basis alone.
* ``seed``: the check's seed (``ctx.seed``); seeds of a search are ``seed, seed + 1, …``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

#: trainer target as a fraction of ε where a certificate is demanded (module docstring)
CERTIFY_MARGIN = 0.7

#: work budgets per profile (quick, standard, full); see docs/CONTRACTS.md for the calibration
TRAIN_ROUNDS = (60, 300, 1200)
WARM_ITERS = (100, 100, 200)
CERTIFY_LEAVES = (200_000, 200_000, 800_000)
WALL_CLOCK_S = (600.0, 1800.0, 7200.0)


@dataclass(frozen=True)
class Policy:
    """Everything about a claim check that is not the claim itself (module docstring)."""

    certify: bool
    train_margin: float
    seed: int
    device: str = "cpu"
    train_rounds: int = TRAIN_ROUNDS[1]
    warm_iters: int = WARM_ITERS[1]
    certify_leaves: int = CERTIFY_LEAVES[1]
    n_seeds: int = 1
    max_fits: int = 6
    wall_clock_s: float = WALL_CLOCK_S[1]
    certify_wall_clock_s: float = WALL_CLOCK_S[1]
    profile: str = "standard"

    @classmethod
    def from_context(cls, ctx: Any, **overrides: Any) -> Policy:
        """The policy of ``ctx.profile`` with the check's seed and device; ``overrides`` (any
        field, ``None`` meaning "the profile's default") come from the instance's budget."""
        prof = ctx.profile
        base = cls(
            certify=bool(prof.certify),
            train_margin=CERTIFY_MARGIN if prof.certify else 1.0,
            seed=int(ctx.seed),
            device=str(getattr(ctx, "device", "cpu")),
            train_rounds=prof.pick(*TRAIN_ROUNDS),
            warm_iters=prof.pick(*WARM_ITERS),
            certify_leaves=prof.pick(*CERTIFY_LEAVES),
            wall_clock_s=prof.pick(*WALL_CLOCK_S),
            certify_wall_clock_s=prof.pick(*WALL_CLOCK_S),
            profile=prof.name,
        )
        return base.with_(**overrides)

    def with_(self, **overrides: Any) -> Policy:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        unknown = sorted(set(overrides) - set(self.__dataclass_fields__))
        if unknown:
            raise TypeError(f"unknown policy fields {unknown}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def seeds(self) -> list[int]:
        return [self.seed + k for k in range(max(1, self.n_seeds))]

    def train_eps(self, eps: float) -> float:
        return eps * self.train_margin

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-able (e.g. to ship the policy to a sweep worker)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Policy:
        return cls(**d)

    def work(self) -> dict[str, Any]:
        """The reproducible part (what the cache key and the report record)."""
        return {"certify": self.certify, "train_margin": self.train_margin, "seed": self.seed,
                "device": self.device, "train_rounds": self.train_rounds,
                "warm_iters": self.warm_iters, "certify_leaves": self.certify_leaves,
                "n_seeds": self.n_seeds, "max_fits": self.max_fits}
