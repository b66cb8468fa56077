"""Activations as two sympy pieces (on z < 0 and z > 0): Lipschitz constant and jump at 0.

For an activation smooth on each open half-line (all of ours), the Lipschitz constant on R is

.. math::

    \\operatorname{Lip}(\\sigma) = \\max\\Big(\\sup_{z<0} |\\sigma'(z)|,\\
    \\sup_{z>0} |\\sigma'(z)|\\Big)
    \\quad\\text{if } \\sigma(0^+) = \\sigma(0^-), \\qquad \\infty \\text{ otherwise}

(classical: a continuous function is Lipschitz with the sup of |σ'| off a point). sympy's
``function_range`` computes each sup exactly; the jump σ(0⁺) − σ(0⁻) by one-sided limits.
tanh, ReLU and softplus are 1-Lipschitz, sigmoid ¼-Lipschitz (docs/math.md, "Ng, Luo & Qiu");
the signed square root sign(z)√|z| is continuous but not Lipschitz; the step is discontinuous.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp
from sympy.calculus.util import function_range

from verify.certify.mlp_bounds import act_float

_Z = sp.Symbol("z", real=True)
PIECES: dict[str, tuple[sp.Expr, sp.Expr]] = {
    "tanh": (sp.tanh(_Z), sp.tanh(_Z)),
    "relu": (sp.Integer(0), _Z),
    "sigmoid": (1 / (1 + sp.exp(-_Z)), 1 / (1 + sp.exp(-_Z))),
    "softplus": (sp.log(1 + sp.exp(_Z)), sp.log(1 + sp.exp(_Z))),
    "signed-sqrt": (-sp.sqrt(-_Z), sp.sqrt(_Z)),
    "step": (sp.Integer(0), sp.Integer(1)),
    "linear": (_Z, _Z),
}


def evaluate(z: np.ndarray, activation: str) -> np.ndarray:
    """float64 activation (not rigorous): the certifier's float activations, plus the
    decomposition checks' own non-certifiable ones (controls, linear layers)."""
    z = np.asarray(z, dtype=np.float64)
    if activation in ("tanh", "relu", "sigmoid", "softplus"):
        return act_float(z, activation)
    if activation == "signed-sqrt":
        return np.sign(z) * np.sqrt(np.abs(z))
    if activation == "step":
        return (z > 0).astype(np.float64)
    if activation == "linear":
        return z
    raise ValueError(f"unknown activation {activation!r}; known: {sorted(PIECES)}")


@dataclass(frozen=True)
class ActivationFacts:
    name: str
    lipschitz: float  # inf when not Lipschitz
    jump_at_zero: float
    derivation: str

    @property
    def continuous(self) -> bool:
        return self.jump_at_zero == 0.0


@cache
def facts(activation: str) -> ActivationFacts:
    """Lipschitz constant and jump at 0 of ``activation``, computed by sympy (exact)."""
    if activation not in PIECES:
        raise ValueError(f"unknown activation {activation!r}; known: {sorted(PIECES)}")
    left, right = PIECES[activation]
    jump = sp.limit(right, _Z, 0, "+") - sp.limit(left, _Z, 0, "-")
    sups = []
    for expr, dom in ((left, sp.Interval.open(-sp.oo, 0)), (right, sp.Interval.open(0, sp.oo))):
        rng = function_range(sp.diff(expr, _Z), _Z, dom)
        sups.append(sp.Max(sp.Abs(rng.inf), sp.Abs(rng.sup)))
    lip = sp.Max(*sups) if jump == 0 else sp.oo
    text = (f"sympy: sup|σ'| = {sups[0]} on z<0, {sups[1]} on z>0; jump σ(0+)−σ(0−) = {jump}")
    return ActivationFacts(activation, float(lip), float(abs(jump)), text)

