"""Models whose inner products approximate relation functions (see docs/CONTRACTS.md)."""

from verify.models.inner_product import InnerProductModel, gram_is_psd
from verify.models.mlp import ACTIVATIONS, MLP, MLPConfig

__all__ = ["ACTIVATIONS", "MLP", "InnerProductModel", "MLPConfig", "gram_is_psd"]
