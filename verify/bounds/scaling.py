r"""Empirical scaling: the smallest width that reaches each :math:`\varepsilon` of a grid.

For each :math:`\varepsilon` the widths from the rank-bound minimum :math:`m_{\min} - 1` upwards
(:func:`verify.claims.candidate_widths`) are tried with several seeds, one
:class:`verify.sweeps.Task` per (ε, width, seed), through :func:`verify.sweeps.run_sweep` (cached,
resumable, any executor). Each task is one fixed-architecture claim "width :math:`w` reaches
:math:`\varepsilon`" through the claim pipeline (:func:`verify.claims.run_claim`: trained,
and certified over the whole domain when the task's policy says so). The smallest width with a
witness (sampled sup :math:`\le \varepsilon`) and the smallest *certified* width are recorded,
next to the rank lower bound and the derived bound (ours). The cache key of a task includes a
hash of the code it runs (:func:`verify.sweeps.code_version`), so results never survive a code
change.

The fitted rate (ours): least squares of :math:`\log w` on :math:`\log(1/\varepsilon)` over the
reached points (the log-log slope: constant for polynomial growth
:math:`w \sim \varepsilon^{-\alpha}`, tending to 0 for :math:`w \sim \log(1/\varepsilon)`), and
of :math:`w` on :math:`\log(1/\varepsilon)` (the semi-log slope, constant for logarithmic
growth, as exponential spectral decay suggests).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from verify.bounds.derived import DerivedBoundError, derived_bound
from verify.bounds.quantities import InstanceQuantities, compute_quantities
from verify.claims import Claim, Policy, candidate_widths, run_claim
from verify.relations import get_relation
from verify.relations.base import Relation

TASK_FN = "verify.bounds.scaling:fit_width_task"
#: what a task's result depends on besides its parameters (hashed into its cache key)
TASK_CODE = ("verify.bounds.scaling", "verify.claims", "verify.trainers", "verify.certify",
             "verify.spectra", "verify.relations", "verify.models")


def fit_width_task(relation: str | dict, relation_params: dict, eps: float, width: int,
                   policy: dict, warm_start: str | None = "spectral", *,
                   seed: int) -> dict[str, Any]:
    """Sweep task: the claim "a depth-1 model of ``width`` reaches ``eps``" through the claim
    pipeline with ``policy`` (a :meth:`Policy.to_dict`, its seed replaced by ``seed``).

    ``relation`` is a library name (with ``relation_params``) or a relation spec, the JSON of
    :func:`verify.relations.text.relation_spec` (expression text and boxes)."""
    import torch

    torch.set_num_threads(1)
    rel = relation_from(relation, relation_params)
    pol = Policy.from_dict({**policy, "seed": int(seed)})
    claim = Claim(rel, float(eps), rel.symmetric, width=int(width), feature_dim=int(width),
                  warm_start=warm_start)
    out = run_claim(claim, None, policy=pol, figures=False)
    fit, res = out.fit, out.result
    sup = None if fit is None or fit.sampled_sup is None else float(fit.sampled_sup.value)
    cert = None if out.certificate is None else out.certificate.to_dict()
    return {"status": res.status.value, "reason": res.reason, "sampled_sup": sup,
            "neurons": None if fit is None else int(fit.neurons),
            "rounds": None if fit is None else fit.rounds,
            "time_s": None if fit is None else float(fit.time_s),
            "wall_clock_hit": bool(fit is not None and fit.wall_clock_hit),
            "reached": sup is not None and sup <= eps,
            "certified": bool(cert is not None and cert.get("status") == "certified"),
            "certified_upper": None if cert is None else cert.get("upper"),
            "certificate_status": None if cert is None else cert.get("status")}


@lru_cache(maxsize=64)
def _quantities(relation_json: str, params_json: str, eps: float,
                rank_optimise: bool) -> InstanceQuantities:
    return compute_quantities(relation_from(json.loads(relation_json), json.loads(params_json)),
                              eps, rank_optimise=rank_optimise)


def quantities_for(relation: str | dict, params: dict, eps: float,
                   rank_optimise: bool = False) -> InstanceQuantities:
    """Cached :func:`compute_quantities` for a library relation (name and params) or a
    relation spec (:func:`verify.relations.text.relation_spec`)."""
    return _quantities(json.dumps(relation, sort_keys=True), json.dumps(params, sort_keys=True),
                       float(eps), rank_optimise)


def relation_from(relation: str | dict, params: dict) -> Relation:
    """A library relation by name, or a user's relation from its spec (safe parser)."""
    if isinstance(relation, dict):
        from verify.relations.text import relation_from_spec

        return relation_from_spec(relation)
    return get_relation(relation, **params)


@dataclass
class ScalingRow:
    eps: float
    m_min: int
    min_width_allowed: int  # m_min - 1: rank <= width + 1
    widths_tried: list[int]
    smallest_width: int | None  # smallest width with a witness (sampled sup <= eps)
    best_error: float | None
    derived_neurons: int | None
    certified_width: int | None = None  # smallest width whose witness is certified
    wall_clock_hit: bool = False  # some fit was stopped by the wall clock (not reproducible)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ScalingResult:
    relation: str
    rows: list[ScalingRow]
    loglog_slope: float | None
    semilog_slope: float | None
    tasks: int
    computed: int
    cached: int
    failed: int
    notes: list[str] = field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rows]

    def to_dict(self) -> dict[str, Any]:
        return {"relation": self.relation, "table": self.table(),
                "loglog_slope": self.loglog_slope, "semilog_slope": self.semilog_slope,
                "tasks": self.tasks, "computed": self.computed, "cached": self.cached,
                "failed": self.failed, "notes": self.notes}


def fit_rates(eps: Sequence[float], widths: Sequence[int | None]) -> tuple[float | None,
                                                                           float | None]:
    """``(loglog, semilog)`` least-squares slopes over the reached points (None if < 2)."""
    pts = [(np.log(1.0 / e), w) for e, w in zip(eps, widths) if w is not None]
    if len({p[0] for p in pts}) < 2:
        return None, None
    x = np.array([p[0] for p in pts])
    w = np.array([p[1] for p in pts], dtype=float)
    loglog = float(np.polyfit(np.log(x), np.log(w), 1)[0])
    semilog = float(np.polyfit(x, w, 1)[0])
    return loglog, semilog


def scaling_sweep(
    relation: str,
    params: dict,
    eps_grid: Sequence[float],
    *,
    policy: Policy | None = None,
    seeds: Sequence[int] = (0, 1),
    n_widths: int = 4,
    width_offset: int = 0,
    max_width: int = 24,
    max_widths: dict[float, int] | None = None,
    executor: str | None = "local",
    cache_dir: str | Path = ".relverify-cache/neuron-bounds",
    rank_optimise: bool = False,
    max_workers: int | None = None,
    progress: bool = False,
) -> ScalingResult:
    """Run the sweep for one relation over ``eps_grid`` and summarise it (see module docstring).

    ``policy``: the claim policy of every task (default: sampled only, the default budgets);
    ``seeds``: the task seeds; ``max_widths``: per-ε caps on the widths tried (e.g. a claimed
    law's width), else ``max_width``.
    """
    from verify.sweeps import Task, code_version, run_sweep

    pol = (policy or Policy(certify=False, train_margin=1.0, seed=0)).to_dict()
    version = code_version(*TASK_CODE)
    quants = {e: quantities_for(relation, params, e, rank_optimise) for e in eps_grid}
    caps = {e: (max_widths or {}).get(e, max_width) for e in eps_grid}
    plan = {e: [w for w in candidate_widths(quants[e].m_min, max(caps[e], 1), n_widths,
                                            width_offset) if w <= caps[e]]
            for e in eps_grid}
    tasks = [Task(TASK_FN, {"relation": relation, "relation_params": params, "eps": float(e),
                            "width": int(w), "policy": pol, "warm_start": "spectral"},
                  seed=int(s), version=version)
             for e in eps_grid for w in plan[e] for s in seeds]
    sweep = run_sweep(tasks, executor=executor, cache_dir=cache_dir, max_workers=max_workers,
                      progress=progress)
    rows = []
    for e in eps_grid:
        outs = [o for o in sweep.outcomes if o.task.params["eps"] == float(e) and o.result]
        reached = [o.task.params["width"] for o in outs if o.result.get("reached")]
        certified = [o.task.params["width"] for o in outs if o.result.get("certified")]
        errs = [o.result["sampled_sup"] for o in outs if o.result.get("sampled_sup") is not None]
        try:
            dn = derived_bound(quants[e]).neurons
        except DerivedBoundError:
            dn = None
        m_min = quants[e].m_min
        rows.append(ScalingRow(float(e), m_min, max(1, m_min - 1), plan[e],
                               min(reached) if reached else None,
                               min(errs) if errs else None, dn,
                               min(certified) if certified else None,
                               any(o.result.get("wall_clock_hit") for o in outs)))
    loglog, semilog = fit_rates([r.eps for r in rows], [r.smallest_width for r in rows])
    return ScalingResult(
        relation=relation, rows=rows, loglog_slope=loglog, semilog_slope=semilog,
        tasks=len(tasks), computed=sweep.computed, cached=sweep.from_cache, failed=sweep.failed,
        notes=["smallest width: first width with a seed whose sampled sup reaches eps among "
               "those tried; certified width: the same with a certificate over the whole domain",
               "depth-1 tanh networks, feature_dim = width",
               f"widths tried start at m_min - 1; {len(seeds)} seeds; "
               f"{pol['train_rounds']} optimiser rounds per fit"
               + (f", {pol['certify_leaves']} B&B leaves per certificate" if pol["certify"]
                  else "")],
    )


def scaling_figure(results: Sequence[ScalingResult]) -> bytes:
    """PNG: width vs eps (log-log): measured smallest width, rank lower bound, derived bound."""
    from verify.reports.figures import _plt, fig_to_png

    plt = _plt()
    fig, axes = plt.subplots(1, len(results), figsize=(5.0 * len(results), 3.8), squeeze=False)
    for ax, res in zip(axes[0], results):
        eps = [r.eps for r in res.rows]
        meas = [(r.eps, r.smallest_width) for r in res.rows if r.smallest_width is not None]
        if meas:
            ax.plot(*zip(*meas), "o-", label="smallest width reached (sampled)")
        ax.plot(eps, [r.min_width_allowed for r in res.rows], "s--",
                label="rank lower bound (m_min - 1)")
        der = [(r.eps, r.derived_neurons) for r in res.rows if r.derived_neurons]
        if der:
            ax.plot(*zip(*der), "^:", label="derived bound (ours)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("eps")
        ax.set_ylabel("hidden neurons")
        slope = "n/a" if res.loglog_slope is None else f"{res.loglog_slope:.2f}"
        ax.set_title(f"{res.relation}: log-log slope {slope}", fontsize=9)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    return fig_to_png(fig)


__all__ = [
    "TASK_FN",
    "ScalingResult",
    "ScalingRow",
    "fit_rates",
    "fit_width_task",
    "quantities_for",
    "relation_from",
    "scaling_figure",
    "scaling_sweep",
]
