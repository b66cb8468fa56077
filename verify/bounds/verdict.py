r"""Verdict on a stated neuron-count bound :math:`N(\varepsilon)` for one relation instance.

* ``refuted`` (rigorous on the rank-bound point set): a model whose hidden layers hold at most
  :math:`N` neurons has a last hidden layer of width :math:`w \le N`, so its Gram matrices have
  rank :math:`\le w + 1 \le N + 1` (math notes, "Rank of an inner-product model"). If
  :math:`N + 1 < m_{\min}` -- the smallest rank that Eckart–Young–Mirsky allows for sup error
  :math:`\varepsilon` on some point set (:func:`verify.spectra.min_rank_for`) -- no network with
  :math:`\le N` hidden neurons reaches :math:`\varepsilon`.
* ``confirmed``: a witness, a network trained by :func:`verify.trainers.fit_inner_product` with
  :math:`\le N` hidden neurons whose *sampled* sup error is :math:`\le \varepsilon` (grid plus
  local ascent: a lower bound on the true sup, so this is not a certificate).
* ``inconclusive``: neither; the best sampled error found is reported. A bound that claims only
  existence is never refuted because a trainer missed it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from verify.core.result import Result
from verify.relations.base import Relation
from verify.spectra import RankBound

WITNESS_STRENGTH = ("trained witness; sampled sup error (dense grid + local ascent, a lower "
                    "bound on the true sup, not certified)")
REFUTE_STRENGTH = ("rigorous: Eckart-Young-Mirsky rank lower bound on an explicit point set "
                   "(float margins included) + rank <= last hidden width + 1")


@dataclass
class FitAttempt:
    width: int
    seed: int
    neurons: int
    status: str
    sampled_sup: float | None
    time_s: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class WitnessSearch:
    """Outcome of :func:`search_witness`: the first width that reached ``eps``, if any."""

    eps: float
    max_neurons: int
    attempts: list[FitAttempt] = field(default_factory=list)
    witness: FitAttempt | None = None
    model: Any = None  # the witness network (kept for certification, not serialised)

    @property
    def best(self) -> FitAttempt | None:
        done = [a for a in self.attempts if a.sampled_sup is not None]
        return min(done, key=lambda a: a.sampled_sup) if done else None

    def to_dict(self) -> dict[str, Any]:
        return {"eps": self.eps, "max_neurons": self.max_neurons,
                "witness": None if self.witness is None else self.witness.to_dict(),
                "attempts": [a.to_dict() for a in self.attempts]}


def refutes(n_stated: int, rank_bound: RankBound) -> bool:
    """Whether ``N + 1 < m_min``: no network with <= N hidden neurons reaches the rank."""
    return n_stated + 1 < rank_bound.m_min


def neurons_for_width(width: int, symmetric: bool, depth: int = 1) -> int:
    """Hidden neurons of the inner-product model (phi only if symmetric)."""
    return width * depth * (1 if symmetric else 2)


def candidate_widths(m_min: int, max_width: int, n: int = 5, offset: int = 0) -> list[int]:
    """Widths to try, from the smallest the rank bound allows (``m_min - 1``, plus ``offset``)
    upwards (ours)."""
    w0 = max(1, m_min - 1 + offset)
    steps = [0, 1, 2, 4, 8, 16, 32]
    out = sorted({min(w0 + s, max_width) for s in steps if w0 + s <= max(max_width, w0)})
    return out[:n]


_SEARCH_CACHE: dict[tuple, WitnessSearch] = {}


def search_witness(
    relation: Relation,
    eps: float,
    max_neurons: int,
    widths: Sequence[int],
    *,
    seeds: Sequence[int] = (0,),
    time_budget_s: float = 5.0,
    total_budget_s: float = 30.0,
    device: str = "cpu",
    warm_start: str | None = "spectral",
) -> WitnessSearch:
    """Train at each width (in order) and seed until one reaches ``eps`` (sampled sup).

    Widths whose model would exceed ``max_neurons`` hidden neurons are skipped.
    """
    from verify.trainers import fit_inner_product

    sym = relation.symmetric
    key = (relation.name, json.dumps(relation.describe(), sort_keys=True, default=str), eps,
           tuple(w for w in widths if neurons_for_width(w, sym) <= max_neurons), tuple(seeds),
           time_budget_s, total_budget_s, device, warm_start)
    if key in _SEARCH_CACHE:  # the same search for another bound on the same instance
        cached = _SEARCH_CACHE[key]
        return WitnessSearch(eps, max_neurons, list(cached.attempts), cached.witness,
                             cached.model)
    out = WitnessSearch(eps=eps, max_neurons=max_neurons)
    _SEARCH_CACHE[key] = out
    t0 = time.monotonic()
    for w in widths:
        if neurons_for_width(w, sym) > max_neurons:
            continue
        for seed in seeds:
            left = total_budget_s - (time.monotonic() - t0)
            if left <= 0.5:
                return out
            fr = fit_inner_product(
                relation, symmetric=sym, width=int(w), depth=1, feature_dim=int(w), eps=eps,
                time_budget_s=min(time_budget_s, left), seed=int(seed), device=device,
                warm_start=warm_start,
            )
            sup = None if fr.sampled_sup is None else float(fr.sampled_sup.value)
            att = FitAttempt(int(w), int(seed), int(fr.neurons), fr.status, sup,
                             round(fr.time_s, 3))
            out.attempts.append(att)
            if fr.status == "reached" and sup is not None and sup <= eps:
                out.witness, out.model = att, fr.model
                return out
    return out


def judge_bound(
    relation: Relation,
    eps: float,
    n_stated: int,
    rank_bound: RankBound,
    *,
    label: str = "stated bound",
    widths: Sequence[int] | None = None,
    max_width: int = 24,
    seeds: Sequence[int] = (0,),
    time_budget_s: float = 5.0,
    total_budget_s: float = 30.0,
    device: str = "cpu",
    extra: dict[str, Any] | None = None,
    certify_budget_s: float | None = None,
) -> Result:
    """``refuted`` / ``confirmed`` / ``inconclusive`` for "``n_stated`` neurons reach ``eps``"."""
    extra = dict(extra or {})
    rb = {k: v for k, v in rank_bound.to_dict().items() if k not in ("X", "Y")}
    if refutes(n_stated, rank_bound):
        lower = rank_bound.bound_for(n_stated + 1)
        return Result.refuted(
            f"{label} N = {n_stated} is too small: any model with <= {n_stated} hidden neurons "
            f"has Gram rank <= {n_stated + 1} < m_min = {rank_bound.m_min}, and every rank-"
            f"{n_stated + 1} matrix is off by >= {lower:.3e} > eps = {eps:g} on "
            f"{rank_bound.n} points ({rank_bound.label})",
            REFUTE_STRENGTH,
            n_stated=n_stated, eps=eps, m_min=rank_bound.m_min, max_rank=n_stated + 1,
            error_lower_bound=lower, rank_bound=rb, points_x=rank_bound.X.tolist(),
            points_y=rank_bound.Y.tolist(), **extra,
        )
    sym = relation.symmetric
    cap = max(1, n_stated if sym else n_stated // 2)
    if widths is None:
        # a witness only has to exist: try roomier widths first, then the tight ones (ours)
        widths = candidate_widths(rank_bound.m_min, min(max_width, cap))
        widths = widths[2:] + widths[:2][::-1] if len(widths) > 2 else widths[::-1]
    search = search_witness(relation, eps, n_stated, widths, seeds=seeds,
                            time_budget_s=time_budget_s, total_budget_s=total_budget_s,
                            device=device)
    evidence = dict(n_stated=n_stated, eps=eps, m_min=rank_bound.m_min, rank_bound=rb,
                    search=search.to_dict(), **extra)
    if search.witness is not None and certify_budget_s is not None:
        return _certified_witness(relation, eps, n_stated, label, search, certify_budget_s,
                                  evidence)
    if search.witness is not None:
        w = search.witness
        return Result.confirmed(
            f"{label} N = {n_stated}: a network with {w.neurons} <= {n_stated} hidden neurons "
            f"(width {w.width}, seed {w.seed}) reaches sampled sup error {w.sampled_sup:.3e} "
            f"<= eps = {eps:g}; rank lower bound m_min = {rank_bound.m_min} is consistent",
            WITNESS_STRENGTH, witness=w.to_dict(), **evidence,
        )
    best = search.best
    best_txt = "no fit ran" if best is None else (
        f"best sampled sup {best.sampled_sup:.3e} at width {best.width}")
    return Result.inconclusive(
        f"{label} N = {n_stated}: not refuted (N + 1 >= m_min = {rank_bound.m_min}) and no "
        f"trained witness with <= {n_stated} neurons reached eps = {eps:g} ({best_txt}); an "
        "existence bound is not refuted by a trainer that misses it",
        "rank lower bound (rigorous) + unsuccessful training (no evidence either way)",
        best=None if best is None else best.to_dict(), **evidence,
    )


def _certified_witness(relation, eps, n_stated, label, search, budget_s, evidence) -> Result:
    """Standard/full profiles: a witness confirms only with a certificate over the whole box."""
    from verify.certify import certify_sup

    w, model = search.witness, search.model
    psi = None if model.symmetric else model.psi.layers()
    try:
        cert = certify_sup(relation, model.phi.layers(), psi, model.phi.config.activation,
                           eps=eps, time_budget_s=budget_s, symmetric=model.symmetric)
        evidence["certificate"] = cert.to_dict()
    except ValueError as exc:
        cert = None
        evidence["certificate"] = {"status": "not-attempted", "reason": str(exc)}
    if cert is not None and cert.status == "certified":
        return Result.confirmed(
            f"{label} N = {n_stated}: a network with {w.neurons} <= {n_stated} hidden neurons "
            f"(width {w.width}) has certified sup error <= {cert.upper:.3e} <= eps = {eps:g} "
            f"(B&B, {cert.leaves} leaves, {cert.time_s:.1f} s)",
            f"certified bound over the whole domain: {cert.method}", witness=w.to_dict(),
            **evidence)
    return Result.inconclusive(
        f"{label} N = {n_stated}: a network with {w.neurons} hidden neurons reaches sampled sup "
        f"{w.sampled_sup:.3e} <= eps = {eps:g}, but the certifier did not decide "
        f"({evidence['certificate'].get('status')}); not confirmed without a certificate",
        "sampled sup only (not certified)", witness=w.to_dict(), **evidence)


__all__ = [
    "REFUTE_STRENGTH",
    "WITNESS_STRENGTH",
    "FitAttempt",
    "WitnessSearch",
    "candidate_widths",
    "judge_bound",
    "neurons_for_width",
    "refutes",
    "search_witness",
]
