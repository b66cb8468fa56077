r"""Verdict on a stated neuron-count bound :math:`N(\varepsilon)` for one relation instance.

"Some model with at most :math:`N` hidden neurons reaches sup error :math:`\varepsilon`" is a
neuron-count :class:`verify.claims.Claim`; :func:`judge_bound` runs it through the claim
pipeline (:func:`verify.claims.run_claim`):

* ``refuted`` (rigorous on the rank-bound point set): the model's Gram rank is at most
  :attr:`verify.claims.Claim.max_rank` (:math:`N + 1` for :math:`\langle\phi,\phi\rangle`), below
  :math:`m_{\min}`, the smallest rank Eckart–Young–Mirsky allows for :math:`\varepsilon`;
* ``confirmed``: a trained witness with :math:`\le N` hidden neurons, certified over the whole
  domain where the profile demands it (standard, full), else by its sampled sup (quick);
* ``inconclusive``: neither; a bound that claims only existence is never refuted because a
  trainer missed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verify.claims import Claim, Policy, candidate_widths, neurons_for_width, run_claim
from verify.core.result import Result
from verify.relations.base import Relation
from verify.spectra import RankBound


def refutes(n_stated: int, rank_bound: RankBound, symmetric: bool = True) -> bool:
    """Whether no network with ``<= n_stated`` hidden neurons reaches the rank ``m_min``."""
    claim = Claim(None, rank_bound.eps, symmetric, neurons=int(n_stated))
    return claim.max_rank < rank_bound.m_min


def judge_bound(
    relation: Relation,
    eps: float,
    n_stated: int,
    rank_bound: RankBound,
    *,
    label: str = "stated bound",
    widths: Sequence[int] | None = None,
    max_width: int = 24,
    ctx: Any = None,
    policy: Policy | None = None,
    seeds: Sequence[int] = (0,),
    time_budget_s: float | None = None,
    extra: dict[str, Any] | None = None,
    certify: bool = False,
    **_ignored: Any,
) -> Result:
    """``refuted`` / ``confirmed`` / ``inconclusive`` for "``n_stated`` neurons reach ``eps``".

    With ``ctx`` the policy is the check's (:meth:`Policy.from_context`); without one (tests,
    scripts) a sampled-only policy with seeds ``seeds`` and ``time_budget_s`` as the wall-clock
    safety limit per fit (``certify=True`` to demand a certificate).
    """
    if policy is None and ctx is not None:
        policy = Policy.from_context(ctx)
    if policy is None:
        policy = Policy(certify=certify, train_margin=0.7 if certify else 1.0,
                        seed=int(seeds[0]), n_seeds=len(seeds)).with_(wall_clock_s=time_budget_s)
    claim = Claim(relation, float(eps), relation.symmetric, neurons=int(n_stated),
                  label=f"{label} N = {n_stated}")
    out = run_claim(claim, ctx, policy=policy, rank_bound=rank_bound, max_width=max_width,
                    widths=None if widths is None else list(widths), figures=False,
                    extra={"n_stated": int(n_stated), **(extra or {})})
    res = out.result
    if out.fit is not None and res.status.value == "confirmed":
        res.evidence["witness"] = next(a for a in out.attempts
                                       if a["sampled_sup"] is not None
                                       and a["sampled_sup"] <= eps)
    return res


__all__ = ["candidate_widths", "judge_bound", "neurons_for_width", "refutes"]
