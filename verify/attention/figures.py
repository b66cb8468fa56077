"""Figures for attention retrieval (matplotlib, Agg backend): data functions plus PNG renderers.

* :func:`alpha_vs_beta_data` / :func:`alpha_vs_beta_png` -- measured ``α_{i*}`` (mean and worst
  draw) against β, with the margin-lemma bound (ours).
* :func:`accuracy_vs_margin_data` / :func:`accuracy_vs_margin_png` -- selection accuracy against
  the margin ``η`` at a fixed β (a planted perturbation ``δ`` shows the ``η ≤ 2δ`` regime).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from verify.attention.margin import alpha_lower_bound
from verify.attention.retrieval import evaluate_retrieval, sample_margin_draws
from verify.relations import Relation
from verify.reports.figures import _plt
from verify.reports.figures import fig_to_png as _png

__all__ = [
    "accuracy_vs_margin_data",
    "accuracy_vs_margin_png",
    "alpha_vs_beta_data",
    "alpha_vs_beta_png",
]


def alpha_vs_beta_data(
    features: Any,
    utility: Relation,
    *,
    eta: float = 0.05,
    n_keys: int = 16,
    delta: float | None = None,
    betas: Sequence[float] | None = None,
    num_draws: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """``α_{i*}`` (mean, min over draws) and the lemma's lower bound for each β (same draws)."""
    draws = sample_margin_draws(utility, n_keys, eta, num_draws, seed=seed)
    betas = list(np.geomspace(1.0, 400.0, 12) if betas is None else betas)
    mean_a, min_a, bound = [], [], []
    for b in betas:
        r = evaluate_retrieval(features, utility, beta=float(b), eta=eta, delta=delta,
                               draws=draws, seed=seed)
        mean_a.append(1.0 - r.mean_one_minus_alpha)
        min_a.append(1.0 - r.max_one_minus_alpha)
        bound.append(alpha_lower_bound(n_keys, float(b), eta, r.delta) if r.lemma_applicable
                     else float("nan"))
    return {"betas": [float(b) for b in betas], "mean_alpha": mean_a, "min_alpha": min_a,
            "bound": bound, "eta": eta, "n_keys": n_keys, "num_draws": len(draws)}


def alpha_vs_beta_png(data: dict[str, Any], title: str = "") -> bytes:
    """Two panels: ``α_{i*}`` vs β, and ``1 - α_{i*}`` vs β on log axes, with the bound."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    b = np.asarray(data["betas"])
    series = {"mean over draws": data["mean_alpha"], "worst draw": data["min_alpha"],
              "lemma bound (ours)": data["bound"]}
    for name, ys in series.items():
        ys = np.asarray(ys)
        style = "--" if "bound" in name else "-"
        axes[0].plot(b, ys, style, marker="o", ms=3, label=name)
        axes[1].plot(b, np.maximum(1.0 - ys, 1e-300), style, marker="o", ms=3, label=name)
    axes[0].set_ylabel("α at the selected key")
    axes[1].set_ylabel("1 − α")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("β")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title or f"n = {data['n_keys']}, η = {data['eta']}, {data['num_draws']} draws",
                 fontsize=10)
    return _png(fig)


def accuracy_vs_margin_data(
    features: Any,
    utility: Relation,
    *,
    beta: float,
    etas: Sequence[float] = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1),
    n_keys: int = 16,
    delta: float | None = None,
    num_draws: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Selection accuracy and mean ``1 - α_{i*}`` for each margin ``η`` at fixed β."""
    acc, gap = [], []
    for eta in etas:
        r = evaluate_retrieval(features, utility, beta=beta, eta=float(eta), n_keys=n_keys,
                               delta=delta, num_draws=num_draws, seed=seed)
        acc.append(r.accuracy)
        gap.append(r.mean_one_minus_alpha)
    return {"etas": [float(e) for e in etas], "accuracy": acc, "mean_one_minus_alpha": gap,
            "beta": beta, "n_keys": n_keys, "num_draws": num_draws}


def accuracy_vs_margin_png(data: dict[str, Any], title: str = "") -> bytes:
    """Selection accuracy against ``η``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    ax.plot(data["etas"], data["accuracy"], marker="o", ms=3, label="selection accuracy")
    ax.set_xlabel("margin η")
    ax.set_ylabel("P(argmax α = argmax u)")
    ax.set_ylim(min(0.0, min(data["accuracy"])) - 0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or f"β = {data['beta']:.3g}, n = {data['n_keys']}", fontsize=10)
    return _png(fig)
