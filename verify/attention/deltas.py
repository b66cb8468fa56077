"""Which query/key maps a check attends with, and how their score error δ is known.

The margin lemma (ours, :mod:`verify.attention.margin`) needs
``δ ≥ sup_{X×Y} |<φ_q(x), φ_k(y)> − u(x, y)|`` with ``η > 2δ``. A δ is always labelled:

* **stated** — by the feature maps (``exact``: an exact factorisation *of their own utility*,
  δ = 0; ``planted``: exact maps plus a perturbation of sup ≤ δ by construction). A stated δ
  is a claim: the checks test it on every draw, and a draw with a larger score error refutes
  the hypothesis (``not-applicable``, reason ``hypothesis:score-error``);
* **measured (sampled)** — for trained maps, the largest error actually attained (trainer's
  sampled sup, the draws, the certifier's rigorous point lower bound): a lower bound on the
  true sup, never a proof;
* **certified** — branch and bound over the whole box ``X × Y``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from verify.attention.features import FeaturePair, planted
from verify.attention.witness import WitnessSpec, train_and_certify
from verify.core.context import Context

__all__ = ["CERTIFY_FRACTION", "delta_for", "features_for", "short"]

#: the certified claim is sup |u − <φ_q, φ_k>| ≤ CERTIFY_FRACTION · η/2 (our choice)
CERTIFY_FRACTION = 0.8


def _exact(params: Mapping[str, Any]) -> FeaturePair:
    exact = params.get("exact_features")
    return exact() if callable(exact) else exact


def features_for(params: Mapping[str, Any], ctx: Context, *, certify: bool = True
                 ) -> tuple[FeaturePair | None, dict[str, Any]]:
    """The maps for ``params["features"]``: ``"exact"``, ``"planted"`` or ``"trained"``.

    ``"trained"`` trains in standard/full only, through the claim pipeline (certified where the
    profile demands it, unless ``certify=False``); its verdict is in the info
    (``claim_status``, ``claim_reason``), and the pair is None when the claim was refuted
    before training. The quick profile plants instead (exact maps plus a perturbation of size
    ``planted_delta``, seeded by the check).
    """
    mode = params.get("features", "trained")
    if mode == "exact":
        pair = _exact(params)
        return pair, {"features": pair.name, "delta": pair.delta,
                      "delta_kind": f"stated by the feature maps ({pair.name}: exact "
                      "factorisation of their own utility), checked on the draws"}
    if mode == "trained" and ctx.profile.name != "quick":
        exact = _exact(params)
        warm = (lambda X, p=exact: p.query(torch.as_tensor(X)).numpy(),
                lambda Y, p=exact: p.key(torch.as_tensor(Y)).numpy())
        w = train_and_certify(params["utility"], WitnessSpec(**params["train"]),
                              CERTIFY_FRACTION * params["eta"] / 2, ctx, warm=warm,
                              certify=certify)
        if w.model is None:  # the claim was refuted before any training
            return None, {"features": None, **w.info()}
        pair = FeaturePair(f"trained φ_q, φ_k ({w.neurons} hidden neurons, feature dim "
                           f"{w.feature_dim})", w.model.phi, w.model.psi, None)
        return pair, {"features": pair.name, **w.info()}
    delta = float(params.get("planted_delta", 2e-3))
    pair = planted(_exact(params), delta, seed=ctx.seed)
    return pair, {"features": pair.name, "delta": pair.delta,
                  "delta_kind": "planted (exact feature maps plus a perturbation of sup ≤ δ by "
                  "construction, seeded by the check; no training)"}


def delta_for(info: Mapping[str, Any], measured: float,
              certified: bool = False) -> tuple[float, str] | None:
    """The δ a bound uses, with its label (never blurs stated, sampled and certified).

    ``certified=True``: the certified upper bound, or None when there is none.
    """
    if info.get("delta") is not None:
        return None if certified else (float(info["delta"]), info["delta_kind"])
    cert = info.get("certificate") or {}
    if certified:
        if cert.get("status") != "certified":
            return None
        return float(cert["upper"]), "certified (branch and bound over X × Y)"
    # every number here is an error value actually attained somewhere: a lower bound on the sup
    lows = [info["delta_sampled"], measured, float(cert.get("lower") or 0.0)]
    return max(lows), ("measured (sampled): max of the trainer's sampled sup, the error on the "
                       "draws and the certifier's rigorous point lower bound — a lower bound on "
                       "the true sup, not certified")


def short(kind: str) -> str:
    """The first words of a δ label: ``stated``, ``planted``, ``measured``, ``certified``."""
    return kind.split(":")[0].split(" (")[0]
