"""Spectra of relation functions: Mercer / Schmidt expansions, closed forms, rank bounds."""

from verify.spectra.closed_form import (
    brownian_eigenfunctions,
    brownian_eigenvalues,
    gaussian_eigenfunctions,
    gaussian_eigenvalues,
    gaussian_eigenvalues_nd,
)
from verify.spectra.expansion import TruncatedExpansion
from verify.spectra.lower_bounds import (
    RankBound,
    Witness,
    check_witness,
    min_rank_for,
    negative_eigenvalue_witness,
    rank_lower_bound,
    rank_lower_bounds,
)
from verify.spectra.mercer import MercerSpectrum, extrapolated_eigenvalues, mercer
from verify.spectra.quadrature import gauss_hermite, gauss_legendre
from verify.spectra.schmidt import SchmidtSpectrum, schmidt
from verify.spectra.truncation import truncation_errors, truncation_rank

__all__ = [
    "RankBound",
    "Witness",
    "check_witness",
    "min_rank_for",
    "negative_eigenvalue_witness",
    "rank_lower_bound",
    "rank_lower_bounds",
    "MercerSpectrum",
    "SchmidtSpectrum",
    "TruncatedExpansion",
    "brownian_eigenfunctions",
    "brownian_eigenvalues",
    "extrapolated_eigenvalues",
    "gauss_hermite",
    "gauss_legendre",
    "gaussian_eigenfunctions",
    "gaussian_eigenvalues",
    "gaussian_eigenvalues_nd",
    "mercer",
    "schmidt",
    "truncation_errors",
    "truncation_rank",
]
