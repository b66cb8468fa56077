r"""Rigorous refutations of a claim before any training: Weyl and Eckart–Young–Mirsky.

* **Weyl** (symmetric claims, classical): every :math:`\langle\phi(x_i),\phi(x_j)\rangle` is PSD,
  so if the Gram matrix :math:`K` of :math:`r` on :math:`n` points has :math:`\lambda_{\min} < 0`,
  every PSD model errs by :math:`\max_{ij}|K - A|_{ij} \ge |\lambda_{\min}|/n`
  (:func:`verify.spectra.negative_eigenvalue_witness`, floating-point margin included).
* **Eckart–Young–Mirsky** (classical): any matrix of rank :math:`\le k` is off the Gram matrix
  on some point set by at least the rank-:math:`k` bound; :func:`verify.spectra.min_rank_for`
  gives the smallest rank :math:`m_{\min}` that allows ε. A claim whose models have rank
  :math:`\le` :attr:`Claim.max_rank` :math:`< m_{\min}` is refuted.
"""

from __future__ import annotations

from verify.claims import cache
from verify.claims.claim import Claim, relation_key
from verify.core.result import Result
from verify.core.status import Strength

WEYL = "weyl-lower-bound"
RANK = "rank-lower-bound"


def weyl_refutation(claim: Claim, seed: int) -> Result | None:
    """Refuted by Weyl's bound when the claim's models are PSD and ``r`` is not, by > ε."""
    from verify.spectra.lower_bounds import negative_eigenvalue_witness

    if not claim.symmetric:
        return None
    if not getattr(claim.relation, "symmetric", False):
        return None  # r(x, y) != r(y, x): the PSD witness search does not apply (no bound)
    key = cache.make_key("weyl", {"relation": relation_key(claim.relation), "seed": seed})
    witness = cache.cached(key, lambda: negative_eigenvalue_witness(claim.relation, seed=seed))
    if witness is None or not witness.certified_bound > claim.eps:
        return None
    return Result.refuted(
        f"no <φ(x),φ(y)> model reaches {claim.eps:g}: r has λ_min = {witness.lambda_min:.6g} on "
        f"{witness.n} points, so every PSD model errs by ≥ |λ|/n = {witness.weyl_bound:.6g} > ε "
        "(Weyl)",
        "rigorous lower bound (Weyl), floating-point margin included",
        weyl=witness.to_dict(), eps=claim.eps,
    ).because(WEYL, Strength.LOWER_BOUND)


def rank_refutation(claim: Claim, rank_bound) -> Result | None:
    """Refuted by Eckart–Young–Mirsky when ``claim.max_rank < m_min`` (``rank_bound`` is a
    :class:`verify.spectra.RankBound` at ``claim.eps``)."""
    k = claim.max_rank
    if not k < rank_bound.m_min:
        return None
    lower = rank_bound.bound_for(k)
    label = f"{claim.label}: " if claim.label else ""
    return Result.refuted(
        f"{label}{claim.rank_text()}, but every rank-{k} matrix errs by ≥ {lower:.4g} > ε = "
        f"{claim.eps:g} on {rank_bound.n}×{rank_bound.n_prime} points ({rank_bound.label}; "
        f"m_min = {rank_bound.m_min}, Eckart–Young–Mirsky)",
        "rigorous lower bound (Eckart–Young–Mirsky on an explicit point set), floating-point "
        "margin included",
        max_rank=k, m_min=rank_bound.m_min, error_lower_bound=lower, eps=claim.eps,
        rank_bound={k_: v for k_, v in rank_bound.to_dict().items() if k_ not in ("X", "Y")},
        points_x=rank_bound.X.tolist(), points_y=rank_bound.Y.tolist(),
    ).because(RANK, Strength.LOWER_BOUND)


def default_rank_bound(claim: Claim, seed: int):
    """:func:`verify.spectra.min_rank_for` at ``claim.eps`` on the default point sets."""
    from verify.spectra.lower_bounds import min_rank_for

    key = cache.make_key("rank", {"relation": relation_key(claim.relation), "eps": claim.eps,
                                  "seed": seed})
    return cache.cached(key, lambda: min_rank_for(claim.relation, claim.eps, seed=seed,
                                                  optimise=False))
