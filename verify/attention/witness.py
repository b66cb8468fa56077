"""Trained query/key maps for attention: the claim "some ``<φ_q, φ_k>`` within this budget has
``sup |u − <φ_q, φ_k>| ≤ ε``", sent through the one claim pipeline (:mod:`verify.claims`).

The attention theorem needs ``δ = sup_{X×Y} |u(x, y) − <φ_q(x), φ_k(y)>| < η/2`` (margin lemma,
ours). The claim is an *asymmetric* relation claim at

.. math::

    \\varepsilon = 0.8\\,\\eta/2

(our choice: room below ``η/2`` so that ``η − 2δ ≥ 0.2η`` keeps β finite), trained at the
policy's target (``0.7·ε`` where a certificate is demanded) unless the instance sets
``train_eps`` (a smaller δ gives a smaller β, at the price of more training), certified over
``X × Y`` where the profile demands it. The
pipeline gives the verdict (rank lower bound / trainer missed / certificate / …), the model and
the certificate; :func:`train_and_certify` is the only call to it in this theorem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from verify.claims import Claim, Policy, run_claim
from verify.core.context import Context
from verify.core.result import Result
from verify.relations import Relation

__all__ = ["Witness", "WitnessSpec", "train_and_certify"]


@dataclass(frozen=True)
class WitnessSpec:
    """The model budget and training target of one attention instance (``train=``)."""

    width: int
    depth: int
    feature_dim: int
    activation: str = "tanh"
    #: the trainer's target; None: the policy's (0.7·ε where a certificate is demanded)
    train_eps: float | None = None
    #: ``"spectral"`` (Nyström warm start), or ``"exact"``: regress first onto the instance's
    #: exact feature maps (known factorisation, e.g. ``Aᵀx, y`` for ``xᵀAy``)
    warm_start: str = "spectral"


@dataclass
class Witness:
    """The pipeline's verdict on the claim, the trained model (None if refuted before training)
    and its certificate (or why there is none)."""

    verdict: Result
    model: Any
    status: str
    sampled_sup: float
    neurons: int
    feature_dim: int
    seed: int
    warm_start: str
    certificate: dict[str, Any] | None

    def info(self) -> dict[str, Any]:
        return {"claim_status": str(self.verdict.status), "claim_reason": self.verdict.reason,
                "claim_summary": self.verdict.summary, "trainer_status": self.status,
                "train_seed": self.seed, "warm_start": self.warm_start,
                "delta_sampled": self.sampled_sup, "certificate": self.certificate}


def train_and_certify(u: Relation, spec: WitnessSpec, eps: float, ctx: Context, *,
                      warm: Any = None, certify: bool = True) -> Witness:
    """Run the claim "``sup |u − <φ_q, φ_k>| ≤ eps`` within ``spec``" (seed ``ctx.seed``).

    ``warm``: ``(f_x, f_y)`` numpy feature maps for ``warm_start="exact"``; ``certify=False``
    skips the certificate even where the profile would demand it (e.g. for figures).
    """
    claim = Claim(u, eps=eps, symmetric=False, width=spec.width, depth=spec.depth,
                  feature_dim=spec.feature_dim, activation=spec.activation,
                  warm_start=warm if spec.warm_start == "exact" else spec.warm_start,
                  train_eps=spec.train_eps, label="φ_q, φ_k for the margin lemma")
    policy = Policy.from_context(ctx)
    out = run_claim(claim, ctx, policy=policy if certify else policy.with_(certify=False),
                    figures=False)
    fit = out.fit
    model = None if fit is None else fit.model.to("cpu").double()
    sup = (math.inf if fit is None or fit.sampled_sup is None else float(fit.sampled_sup.value))
    cert = None if out.certificate is None else {**out.certificate.to_dict(), "target": eps}
    return Witness(out.result, model, "not trained" if fit is None else fit.status, sup,
                   0 if fit is None else fit.neurons, 0 if fit is None else fit.feature_dim,
                   ctx.seed, spec.warm_start, cert)
