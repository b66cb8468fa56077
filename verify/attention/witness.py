"""Trained query/key maps for attention: the claim "some ``<φ_q, φ_k>`` within this budget has
``sup |u − <φ_q, φ_k>| ≤ ε``", trained and (where the profile asks) certified.

The attention theorem needs ``δ = sup_{X×Y} |u(x, y) − <φ_q(x), φ_k(y)>| < η/2`` (margin lemma,
ours). The claim sent to the pipeline is an *asymmetric* relation claim with

.. math::

    \\varepsilon_{\\text{cert}} = 0.8\\,\\eta/2

(our choice: room below ``η/2`` so that ``η − 2δ ≥ 0.2η`` keeps β finite), and a training
target ``train_eps`` well below it (a small δ gives a small β). Every call to the trainer and
the certifier for this theorem goes through :func:`train_and_certify` — one small function, to
be switched to the claim pipeline of ``verify/claims`` (issue #11) in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from verify.core.context import Context
from verify.relations import Relation

__all__ = ["Witness", "WitnessSpec", "train_and_certify"]


@dataclass(frozen=True)
class WitnessSpec:
    """The model budget and targets of one attention instance (``train=`` of the instance)."""

    width: int
    depth: int
    feature_dim: int
    activation: str = "tanh"
    train_eps: float = 2e-3
    #: ``"spectral"`` (Nyström warm start), or ``"exact"``: regress first onto the instance's
    #: exact feature maps (known factorisation, e.g. ``Aᵀx, y`` for ``xᵀAy``)
    warm_start: str = "spectral"
    time_budget_s: float = 120.0
    certify_budget_s: float = 75.0


@dataclass
class Witness:
    """A trained asymmetric model, its sampled sup, and the certificate (or why there is none)."""

    model: Any
    status: str
    sampled_sup: float
    neurons: int
    feature_dim: int
    time_s: float
    seed: int
    warm_start: str
    certificate: dict[str, Any] | None

    def info(self) -> dict[str, Any]:
        return {"trainer_status": self.status, "train_time_s": self.time_s,
                "train_seed": self.seed, "warm_start": self.warm_start,
                "delta_sampled": self.sampled_sup, "certificate": self.certificate}


def train_and_certify(u: Relation, spec: WitnessSpec, cert_eps: float, ctx: Context, *,
                      warm: Any = None, certify: bool = True) -> Witness:
    """Train ``<φ_q, φ_k> ≈ u`` (seed ``ctx.seed``) and certify ``sup ≤ cert_eps`` when asked.

    ``warm``: ``(f_x, f_y)`` numpy feature maps for ``warm_start="exact"``. The only place this
    theorem trains or certifies (interim: ``verify.trainers.fit_inner_product`` and
    ``verify.certify.certify_sup``, until the claim pipeline lands).
    """
    from verify.certify import certify_sup
    from verify.trainers import fit_inner_product

    ctx.progress(f"training φ_q, φ_k for {u.name}")
    fit = fit_inner_product(
        u, symmetric=False, width=spec.width, depth=spec.depth, feature_dim=spec.feature_dim,
        activation=spec.activation, eps=spec.train_eps, time_budget_s=spec.time_budget_s,
        seed=ctx.seed, device=ctx.device,
        warm_start=warm if spec.warm_start == "exact" else spec.warm_start)
    model = fit.model.to("cpu").double()
    cert: dict[str, Any] | None = None
    if certify and fit.status != "diverged":
        try:
            c = certify_sup(u, model.phi.layers(), model.psi.layers(),
                            model.phi.config.activation, eps=cert_eps,
                            time_budget_s=spec.certify_budget_s, seed=ctx.seed)
            cert = {**c.to_dict(), "target": cert_eps}
        except (ValueError, NotImplementedError) as exc:
            cert = {"status": "not-attempted", "reason": str(exc), "target": cert_eps}
    sup = float(fit.sampled_sup.value) if fit.sampled_sup is not None else math.inf
    return Witness(model, fit.status, sup, fit.neurons, fit.feature_dim, fit.time_s, ctx.seed,
                   spec.warm_start, cert)
