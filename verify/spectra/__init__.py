"""Spectra of relation functions: Mercer / Schmidt expansions, closed forms, rank bounds."""

from verify.spectra.closed_form import (
    brownian_eigenfunctions,
    brownian_eigenvalues,
    gaussian_eigenfunctions,
    gaussian_eigenvalues,
)
from verify.spectra.expansion import TruncatedExpansion
from verify.spectra.mercer import MercerSpectrum, extrapolated_eigenvalues, mercer
from verify.spectra.quadrature import gauss_hermite, gauss_legendre
from verify.spectra.schmidt import SchmidtSpectrum, schmidt
from verify.spectra.truncation import truncation_errors, truncation_rank

__all__ = [
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
    "mercer",
    "schmidt",
    "truncation_errors",
    "truncation_rank",
]
