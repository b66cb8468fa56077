"""Kernel-machine engines for the Transformer-kernel and RKHS/RKBS theorems (Wright & Gonzalez,
arXiv 2106.01506; Altabaa & Lafferty, arXiv 2402.08856).

:mod:`.attention` (κ(t,s) = exp(tᵀMs/√d): symmetry, definiteness), :mod:`.exp_features`
(explicit features, sympy coefficient check, certified truncation tail), :mod:`.rank_growth`
(Schmidt rank and EYM floor over an ε ladder), :mod:`.binary_krr` (binary kernel ridge
regression and its representer theorem), :mod:`.rkhs` (RKHS and RKBS identities),
:mod:`.exp_transfer` (exp⟨φ,ψ⟩ from a certified fit of log r).
"""

from __future__ import annotations

from verify.core.result import Result
from verify.core.status import Strength


def graded(result: Result, strength: Strength) -> Result:
    """Set the structured strength of a (confirmed) result and return it."""
    result.strength_kind = Strength.parse(strength)
    return result


__all__ = ["graded"]
