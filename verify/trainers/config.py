"""What a fit is asked to do (:class:`FitConfig`), how much work it may spend, and what it returns.

Budgets count work, not seconds (ours, so that the same seed gives the same numbers on a quiet
and on a loaded machine): ``max_rounds`` optimiser rounds in total (over all restarts; a round
is ``round_iters`` Levenberg–Marquardt or L-BFGS iterations on the current pool), and
``warm_iters`` iterations of the warm-start regression. The wall clock (``wall_clock_s``) is an
outer safety limit only: a fit it stops says so (:attr:`FitResult.wall_clock_hit`), and its
numbers are not reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verify.certify.sampled import SampledSup
from verify.models import InnerProductModel

FeatureFn = Callable[[np.ndarray], np.ndarray]
STATUSES = ("reached", "not-reached", "diverged", "stalled")
WALL_CLOCK_NOTE = "stopped by the wall-clock limit: not reproducible"

#: the optimisers a fit can use (``"auto"`` picks one by size)
OPTIMIZERS = ("auto", "lm", "gncg", "lbfgs")

#: default work budget: optimiser rounds per fit (over all restarts)
DEFAULT_ROUNDS = 400


@dataclass
class FitConfig:
    """The model to train, the target, the work budget and the method's knobs.

    ``warm_start``: ``None``, ``"spectral"`` (Nyström features of rank ``feature_dim``, see
    :func:`verify.trainers.warm.spectral_features`) or numpy feature maps ``(f_x, f_y | None)``.
    ``optimizer``: ``"lm"`` (dense Levenberg–Marquardt), ``"gncg"`` (matrix-free Gauss–Newton
    with CG, :mod:`verify.trainers.gncg`), ``"lbfgs"`` or ``"auto"`` (LM while the Jacobian has
    ≤ 3e7 entries, else L-BFGS: on the [-1,1]² Gaussian with 256 neurons, m = 40, L-BFGS's check
    sup reached 7.3e-4 in 56 s, gncg's 7.8e-4 in 150 s, one loaded thread). ``p_schedule``:
    the ``L^p`` losses in turn. ``restarts``: on a stall with more than a quarter of
    ``max_rounds`` left, start again from fresh weights (seed ``seed + 7919 k``).
    """

    symmetric: bool
    width: int
    depth: int
    feature_dim: int
    eps: float
    activation: str = "tanh"
    seed: int = 0
    max_rounds: int = DEFAULT_ROUNDS
    warm_iters: int = 100
    wall_clock_s: float = 600.0
    warm_start: tuple[FeatureFn, FeatureFn | None] | str | None = None
    optimizer: str = "auto"
    p_schedule: tuple[float, ...] = (2, 4, 8, 16, 32, 64)
    train_k: int | None = None
    check_k: int | None = None
    max_pool: int | None = None
    round_iters: int | None = None
    resample: bool = True
    restarts: int = 3

    def validate(self) -> None:
        if self.eps <= 0 or self.wall_clock_s <= 0:
            raise ValueError("eps and time_budget_s must be positive")
        if self.max_rounds < 1 or self.warm_iters < 0:
            raise ValueError("max_rounds must be >= 1 and warm_iters >= 0")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if isinstance(self.warm_start, str) and self.warm_start != "spectral":
            raise ValueError(
                f"warm_start must be None, 'spectral' or (f_x, f_y), got {self.warm_start!r}"
            )


class WallClock:
    """The outer safety limit: ``expired()`` is checked between iterations and remembers a hit."""

    def __init__(self, seconds: float):
        self.t0 = time.monotonic()
        self.deadline = self.t0 + float(seconds)
        self.hit = False
        self.work: dict[str, int] = {}

    def tick(self, what: str, n: int = 1) -> None:
        """Count ``n`` units of work of kind ``what`` (reported with the fit)."""
        self.work[what] = self.work.get(what, 0) + n

    def expired(self) -> bool:
        if time.monotonic() > self.deadline:
            self.hit = True
        return self.hit

    def elapsed(self) -> float:
        return time.monotonic() - self.t0


@dataclass
class FitResult:
    """Outcome of a fit; ``sampled_sup`` is a lower bound, not a certificate.

    ``history`` holds ``(elapsed seconds, loss, check-grid sup)`` per round; ``rounds`` and
    ``warm_iters`` the work spent; ``wall_clock_hit`` whether the safety limit stopped it (then
    the numbers depend on the machine's speed).
    """

    status: str
    model: InnerProductModel
    sampled_sup: SampledSup | None
    history: list[tuple[float, float, float]] = field(default_factory=list)
    time_s: float = 0.0
    neurons: int = 0
    feature_dim: int = 0
    seed: int = 0
    device: str = "cpu"
    message: str = ""
    rounds: int = 0
    max_rounds: int = 0
    restarts: int = 0
    wall_clock_hit: bool = False
    work: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "sampled_sup": None if self.sampled_sup is None else self.sampled_sup.to_dict(),
            "time_s": self.time_s,
            "neurons": self.neurons,
            "feature_dim": self.feature_dim,
            "seed": self.seed,
            "device": self.device,
            "message": self.message,
            "rounds": self.rounds,
            "max_rounds": self.max_rounds,
            "restarts": self.restarts,
            "wall_clock_hit": self.wall_clock_hit,
            "work": dict(self.work),
        }

    def history_tail(self, n: int = 5) -> list[dict[str, float]]:
        """The last ``n`` rounds as records (``time_s`` is a timing; the rest is reproducible)."""
        start = max(0, len(self.history) - n)
        return [{"round": start + k + 1, "time_s": t, "loss": loss, "sup_check": sup}
                for k, (t, loss, sup) in enumerate(self.history[start:])]
