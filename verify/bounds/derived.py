r"""Our own neuron-count bound, following the proof route (ours, **not** the paper's formula).

Altabaa & Lafferty (arXiv 2402.08856) bound the number of neurons for accuracy
:math:`\varepsilon` in terms of the spectrum's decay and the Barron norms of the eigenfunctions;
their exact formula is not available to us. This module derives a bound of that *shape* with
every constant computed for the instance. The derivation is ours.

**Step 1 (truncation).** Expand :math:`r(x,y) = \sum_i c_i\, a_i(x)\, b_i(y)` (Mercer:
:math:`c_i = \lambda_i \ge 0`, :math:`a_i = b_i = e_i`; Schmidt: singular values and singular
functions) and keep the :math:`r = r^*(\varepsilon/2)` leading terms, the fewest whose sampled sup
error is :math:`\le \varepsilon/2`.

**Step 2 (features).** Put :math:`f_i = \sqrt{c_i}\, a_i`, :math:`g_i = \sqrt{c_i}\, b_i`,
:math:`s_i = \max(\|f_i\|_\infty, \|g_i\|_\infty)`. If networks :math:`\hat f_i, \hat g_i`
satisfy :math:`\|f_i - \hat f_i\|_\infty, \|g_i - \hat g_i\|_\infty \le \delta_i`, then pointwise

.. math::
    |f_i(x) g_i(y) - \hat f_i(x) \hat g_i(y)|
    \le |f_i - \hat f_i|\,|g_i| + |\hat f_i|\,|g_i - \hat g_i|
    \le \delta_i s_i + (s_i + \delta_i)\delta_i = \delta_i (2 s_i + \delta_i).

Splitting :math:`\varepsilon/2` equally over the :math:`r` terms,
:math:`\delta_i(2s_i + \delta_i) = \varepsilon/(2r)`, i.e.
:math:`\delta_i = \sqrt{s_i^2 + \varepsilon/(2r)} - s_i`. With step 1 the total sup error is
:math:`\le \varepsilon`.

**Step 3 (neurons per feature).** A Barron-type count: a one-hidden-layer network with
:math:`n_i = \lceil (\kappa\, \rho\, C_i / \delta_i)^2 \rceil` neurons approximates
:math:`f_i` to :math:`\delta_i`, with :math:`C_i` the Barron norm of :math:`f_i`
(:func:`verify.bounds.quantities.barron_norm_estimate`), :math:`\rho` the box radius and
:math:`\kappa = 2` by default. This is the :math:`C^2/\delta^2` shape of Barron-type rates; the
constant and its use for the *sup* norm are our choice (a heuristic, not a proven constant), and
:math:`C_i` is itself an estimate. So the result is a computed estimate of an existence bound, to
be tested (rank lower bound, trained witnesses), not a certificate.

**Total.** One hidden layer per side, the :math:`r` feature networks side by side:
:math:`N = \sum_{i \le r} n_i` hidden neurons for the symmetric model
:math:`\langle \phi, \phi\rangle`, :math:`N = \sum_{i \le r} (n^f_i + n^g_i)` for the asymmetric
one.

``scale`` multiplies every real-valued :math:`n_i` before rounding the *total* up: it exists for
the planted negative control "constants divided by 1000" (``scale = 1e-6``), which no honest
construction can meet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verify.bounds.quantities import InstanceQuantities

KAPPA = 2.0


class DerivedBoundError(ValueError):
    """The derivation does not apply (e.g. a negative eigenvalue for a symmetric model)."""


@dataclass
class DerivedBound:
    """The derived neuron count and every constant that went into it (see module docstring)."""

    eps: float
    r: int
    symmetric: bool
    kappa: float
    radius: float
    scale: float
    sup_f: np.ndarray  # s_i
    barron_x: np.ndarray  # C_i, x side
    barron_y: np.ndarray  # C_i, y side
    deltas: np.ndarray  # delta_i
    n_x: np.ndarray  # real-valued n_i before rounding (x side)
    n_y: np.ndarray
    neurons: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "neurons": self.neurons,
            "eps": self.eps,
            "r": self.r,
            "symmetric": self.symmetric,
            "kappa": self.kappa,
            "radius": self.radius,
            "scale": self.scale,
            "sup_f": self.sup_f.tolist(),
            "barron_x": self.barron_x.tolist(),
            "barron_y": self.barron_y.tolist() if not self.symmetric else None,
            "deltas": self.deltas.tolist(),
            "n_per_feature_x": self.n_x.tolist(),
            "n_per_feature_y": self.n_y.tolist() if not self.symmetric else None,
            "formula": "N = sum_i ceil((kappa rho C_i / delta_i)^2), "
            "delta_i = sqrt(s_i^2 + eps/(2r)) - s_i (ours)",
            "notes": self.notes,
        }


def feature_accuracies(sup_f: np.ndarray, eps: float) -> np.ndarray:
    r""":math:`\delta_i` with :math:`\delta_i(2 s_i + \delta_i) = \varepsilon / (2r)` (ours)."""
    s = np.asarray(sup_f, dtype=float)
    budget = eps / (2.0 * len(s))
    # sqrt(s^2 + b) - s, written without cancellation
    return budget / (np.sqrt(s * s + budget) + s)


def product_error(sup_f: np.ndarray, deltas: np.ndarray) -> float:
    r""":math:`\sum_i \delta_i (2 s_i + \delta_i)`: the feature-error part of the sup error."""
    return float(np.sum(deltas * (2.0 * np.asarray(sup_f) + deltas)))


def derived_bound(q: InstanceQuantities, *, kappa: float = KAPPA,
                  scale: float = 1.0) -> DerivedBound:
    """Evaluate the derived bound (ours) for the instance quantities ``q``."""
    if q.r_star is None:
        raise DerivedBoundError(
            f"no computed truncation rank reaches eps/2 = {q.eps / 2:g} (sampled); increase the "
            "quadrature or eps"
        )
    r = max(int(q.r_star), 1)
    if q.symmetric and np.any(q.coeffs[:r] < 0):
        raise DerivedBoundError(
            "a negative eigenvalue among the kept terms: <phi(x), phi(y)> is PSD and cannot "
            "represent it (use an asymmetric model)"
        )
    s = q.sup_f[:r]
    deltas = feature_accuracies(s, q.eps)
    n_x = (kappa * q.radius * q.barron_x[:r] / deltas) ** 2 * scale
    n_y = (kappa * q.radius * q.barron_y[:r] / deltas) ** 2 * scale
    if scale == 1.0:
        total = int(np.sum(np.ceil(n_x))) + (0 if q.symmetric else int(np.sum(np.ceil(n_y))))
    else:  # the planted control rounds only the total
        total = int(math.ceil(float(np.sum(n_x) + (0 if q.symmetric else np.sum(n_y)))))
    notes = [
        "ours, not the paper's formula",
        f"truncation error (sampled) {q.values()['tail_sup']:.3g} <= eps/2 = {q.eps / 2:.3g}",
        f"feature-error part sum delta_i(2 s_i + delta_i) = {product_error(s, deltas):.3g} "
        f"<= eps/2",
        "Barron norms are FFT estimates; the Barron-type constant kappa is our heuristic",
    ]
    return DerivedBound(
        eps=q.eps, r=r, symmetric=q.symmetric, kappa=kappa, radius=q.radius, scale=scale,
        sup_f=s, barron_x=q.barron_x[:r], barron_y=q.barron_y[:r], deltas=deltas, n_x=n_x,
        n_y=n_y, neurons=total, notes=notes,
    )


__all__ = [
    "KAPPA",
    "DerivedBound",
    "DerivedBoundError",
    "derived_bound",
    "feature_accuracies",
    "product_error",
]
