"""Attention as retrieval: utilities, hypotheses, the margin lemma (ours), end-to-end checks.

Setting: the attention theorem of Altabaa & Lafferty (arXiv 2402.08856; cited as Theorem 5.1 in
arXiv 2405.16727). Modules: :mod:`~verify.attention.utilities` (utility families),
:mod:`~verify.attention.hypotheses` (continuity, preorder checks with evidence),
:mod:`~verify.attention.margin` (the softmax margin lemma, ours, and property checks),
:mod:`~verify.attention.features` (exact and planted query/key maps),
:mod:`~verify.attention.retrieval` (margin-event sampling, softmax/SDPA evaluation),
:mod:`~verify.attention.figures` (PNG figures). The theorem's checks, as Results:
:mod:`~verify.attention.selection` (preorders per query, Debreu selection, ties),
:mod:`~verify.attention.lemma_checks` (the margin lemma's properties),
:mod:`~verify.attention.witness` (training and certification of φ_q, φ_k: the one call),
:mod:`~verify.attention.deltas` (which maps, and how δ is known) and
:mod:`~verify.attention.end_to_end` (retrieval and figures).
"""

from verify.attention.features import (
    FeaturePair,
    bilinear_features,
    from_model,
    nearest_key_features,
    planted,
)
from verify.attention.hypotheses import (
    HypothesisCheck,
    check_key_preorder,
    continuity_in_y,
    joint_continuity,
    joint_continuity_probe,
    path_discontinuity,
    utility_prefers,
)
from verify.attention.margin import (
    alpha_lower_bound,
    beta_for,
    check_alpha_tends_to_one,
    check_bound_holds,
    check_tie_caps_half,
    one_minus_bound,
    tie_alpha_exact,
    value_error_bound,
)
from verify.attention.retrieval import (
    MarginDraws,
    RetrievalResult,
    evaluate_retrieval,
    sample_margin_draws,
    sdpa_agreement,
    sdpa_weights,
)
from verify.attention.utilities import UTILITIES, get_utility

__all__ = [
    "UTILITIES",
    "FeaturePair",
    "HypothesisCheck",
    "MarginDraws",
    "RetrievalResult",
    "alpha_lower_bound",
    "beta_for",
    "bilinear_features",
    "check_alpha_tends_to_one",
    "check_bound_holds",
    "check_key_preorder",
    "check_tie_caps_half",
    "continuity_in_y",
    "evaluate_retrieval",
    "from_model",
    "get_utility",
    "joint_continuity",
    "joint_continuity_probe",
    "nearest_key_features",
    "one_minus_bound",
    "path_discontinuity",
    "planted",
    "sample_margin_draws",
    "sdpa_agreement",
    "sdpa_weights",
    "tie_alpha_exact",
    "utility_prefers",
    "value_error_bound",
]
