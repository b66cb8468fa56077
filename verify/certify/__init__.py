"""Certified sup-norm bounds of approximation errors over whole boxes (ours).

Layers: :mod:`.interval` (outward-rounded interval arithmetic), :mod:`.sym_interval`
(sympy expressions and their derivatives over boxes), :mod:`.mlp_bounds` (MLP value and
Jacobian enclosures), :mod:`.enclosure` (interval mean-value and second-order enclosures of
r − ⟨φ, ψ⟩, any depth), :mod:`.taylor_model` (Taylor models of r − ⟨φ, ψ⟩ for
MLPs with smooth activations, the default where they apply; branches in
:mod:`.taylor_branch`, helpers :mod:`.multiindex`, :mod:`.activation_taylor`,
:mod:`.relation_taylor`, :mod:`.float_bounds`),
:mod:`.bnb` (branch and bound, :class:`Certificate`), :mod:`.lipschitz` (grid + Lipschitz
cross-check).  ``sampled.py`` (sampled lower bounds) is written separately.
"""

from .bnb import Certificate, certify_psd_residual_sup, certify_sup
from .enclosure import DiagonalEnclosure, ErrorEnclosure
from .interval import Interval, rounding_margin_text
from .mlp_bounds import enclose_mlp, forward_float, ibp
from .sym_interval import UnsupportedNode, compile_gradient, compile_interval

__all__ = [
    "Certificate",
    "DiagonalEnclosure",
    "ErrorEnclosure",
    "Interval",
    "UnsupportedNode",
    "certify_psd_residual_sup",
    "certify_sup",
    "compile_gradient",
    "compile_interval",
    "enclose_mlp",
    "forward_float",
    "ibp",
    "rounding_margin_text",
]
