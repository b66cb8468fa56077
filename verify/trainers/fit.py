"""Fit an inner-product model ``<φ(x), ψ(y)>`` to a relation in the sampled sup norm.

The entry point :func:`fit_inner_product` gathers its keyword arguments into a
:class:`~verify.trainers.config.FitConfig` and runs :func:`verify.trainers.loop.train`. The
pieces: :mod:`.config` (what to fit, work budgets, the result), :mod:`.problem` (boxes, flat
parameters, Gram evaluators, the training pool), :mod:`.optim` (LM/IRLS, L-BFGS, warm-start
regression), :mod:`.loop` (rounds, check grid, resampling, restarts).

The reported error is always a *sampled* sup: a lower bound on the true sup, not a certificate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from verify.trainers.config import (
    DEFAULT_ROUNDS,
    STATUSES,
    FeatureFn,
    FitConfig,
    FitResult,
)
from verify.trainers.loop import train
from verify.trainers.problem import chebyshev_lobatto_grid, resolve_device


def fit_inner_product(
    relation: Any,
    *,
    symmetric: bool,
    width: int,
    depth: int,
    feature_dim: int,
    eps: float,
    time_budget_s: float = 600.0,
    max_rounds: int = DEFAULT_ROUNDS,
    seed: int = 0,
    device: str | torch.device = "cpu",
    warm_start: tuple[FeatureFn, FeatureFn | None] | str | None = None,
    progress: Callable[[dict], None] | None = None,
    x_box: Any = None,
    y_box: Any = None,
    **options: Any,
) -> FitResult:
    """Train ``<φ(x), ψ(y)>`` (``ψ = φ`` if ``symmetric``) until the sampled sup error ≤ ``eps``.

    ``max_rounds`` is the work budget (optimiser rounds over all restarts); ``time_budget_s`` is
    only the outer wall-clock safety limit (a fit it stops is marked ``wall_clock_hit``: not
    reproducible). ``options`` are the other fields of :class:`FitConfig` (``activation``,
    ``optimizer``, ``p_schedule``, ``train_k``, ``check_k``, ``max_pool``, ``round_iters``,
    ``resample``, ``restarts``, ``warm_iters``). See :mod:`verify.trainers.loop` for the method.
    """
    unknown = sorted(set(options) - set(FitConfig.__dataclass_fields__))
    if unknown:
        raise TypeError(f"fit_inner_product got unknown options {unknown}")
    cfg = FitConfig(symmetric=symmetric, width=width, depth=depth, feature_dim=feature_dim,
                    eps=eps, seed=seed, max_rounds=max_rounds, wall_clock_s=time_budget_s,
                    warm_start=warm_start, **options)
    return train(relation, cfg, device=device, progress=progress, x_box=x_box, y_box=y_box)


__all__ = [
    "STATUSES",
    "FitConfig",
    "FitResult",
    "chebyshev_lobatto_grid",
    "fit_inner_product",
    "resolve_device",
]
