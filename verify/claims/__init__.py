"""The claim pipeline: "is there an inner-product model within this budget with sup error ≤ ε?"

Relation → rigorous lower bounds (Weyl, Eckart–Young–Mirsky) → trained witness → sampled sup →
certificate → :class:`~verify.core.result.Result`, written once (:mod:`.pipeline`), driven by a
:class:`Policy` derived from the check's profile and seed, with one cache (:mod:`.cache`)::

    from verify.claims import Claim, check_claim
    result = check_claim(Claim(relation, eps=1e-2, symmetric=True, width=32, feature_dim=8), ctx)

Building blocks for callers that need the model itself: :func:`run_claim` (verdict plus fit
and certificate), :func:`train_witness` (one cached fit), :func:`certify_model` (certify a
given model against a relation).
"""

from verify.claims.cache import clear as clear_cache
from verify.claims.claim import Claim
from verify.claims.lower import RANK, WEYL
from verify.claims.pipeline import (
    WALL_CLOCK_NOTE,
    CertifyOutcome,
    ClaimOutcome,
    certify_model,
    check_claim,
    run_claim,
    train_witness,
)
from verify.claims.policy import CERTIFY_MARGIN, Policy
from verify.claims.search import candidate_widths, neurons_for_width, search_widths

#: reason codes a claim check can give when ``refuted``
REFUTING_REASONS = (WEYL, RANK)

__all__ = [
    "CERTIFY_MARGIN",
    "RANK",
    "REFUTING_REASONS",
    "WALL_CLOCK_NOTE",
    "WEYL",
    "CertifyOutcome",
    "Claim",
    "ClaimOutcome",
    "Policy",
    "candidate_widths",
    "certify_model",
    "check_claim",
    "clear_cache",
    "neurons_for_width",
    "run_claim",
    "search_widths",
    "train_witness",
]
