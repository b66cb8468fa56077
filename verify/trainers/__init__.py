"""Training inner-product models to a target sampled sup error (see verify.trainers.fit)."""

from verify.trainers.config import WALL_CLOCK_NOTE, FitConfig
from verify.trainers.fit import STATUSES, FitResult, fit_inner_product, resolve_device
from verify.trainers.warm import gauss_legendre_box, spectral_features

__all__ = [
    "STATUSES",
    "WALL_CLOCK_NOTE",
    "FitConfig",
    "FitResult",
    "fit_inner_product",
    "gauss_legendre_box",
    "resolve_device",
    "spectral_features",
]
