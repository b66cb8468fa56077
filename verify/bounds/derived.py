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

**Rounding.** Each feature network has a whole number of neurons, so every :math:`n_i` is
rounded up on its own, for every instance and every planted control alike (``scale`` multiplies
the real-valued :math:`n_i` *before* that rounding). Hence :math:`N \ge r`: a planted small
constant alone can never push :math:`N + 1` below the rank lower bound :math:`m_{\min}`.

**What can refute it** (ours). The construction is a model with :math:`r` features, so its Gram
matrices have rank :math:`\le r`; if :math:`r < m_{\min}(\varepsilon)` (Eckart–Young–Mirsky,
:func:`verify.spectra.min_rank_for`) no such construction reaches :math:`\varepsilon`, whatever
its neuron counts: :func:`derived_refutation`. With the truncation rank the derivation computes
this holds when the sampled truncation and the rigorous bound agree; a planted control keeps too
few terms (``keep_terms``) and goes through the same code, the same rounding, and is refuted.
The neuron count is compared with the rank bound as well (:math:`N + 1 \ge m_{\min}`, in
:func:`verify.bounds.verdict.judge_bound`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verify.bounds.quantities import InstanceQuantities
from verify.core.result import Result
from verify.core.status import Strength

KAPPA = 2.0
#: reason code of :func:`derived_refutation`
CONSTRUCTION_RANK = "construction-rank"


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


def rounded_total(n_x: np.ndarray, n_y: np.ndarray | None = None) -> int:
    r""":math:`N = \sum_i \lceil n^x_i \rceil (+ \sum_i \lceil n^y_i \rceil)`: each feature's
    count rounded up on its own (one rule for every instance and control)."""
    total = int(np.sum(np.ceil(np.asarray(n_x, dtype=float))))
    if n_y is not None:
        total += int(np.sum(np.ceil(np.asarray(n_y, dtype=float))))
    return max(total, 1)


def derived_bound(q: InstanceQuantities, *, kappa: float = KAPPA,
                  scale: float = 1.0, keep_terms: int | None = None) -> DerivedBound:
    """Evaluate the derived bound (ours) for the instance quantities ``q``.

    ``keep_terms`` replaces the computed truncation rank :math:`r^*(\varepsilon/2)` (a planted
    control: "these many terms suffice"); ``scale`` multiplies every :math:`n_i` before rounding.
    """
    if keep_terms is None and q.r_star is None:
        raise DerivedBoundError(
            f"no computed truncation rank reaches eps/2 = {q.eps / 2:g} (sampled); increase the "
            "quadrature or eps"
        )
    r = max(int(q.r_star if keep_terms is None else keep_terms), 1)
    if r > len(q.sup_f):
        raise DerivedBoundError(f"only {len(q.sup_f)} expansion terms were computed, {r} asked")
    if q.symmetric and np.any(q.coeffs[:r] < 0):
        raise DerivedBoundError(
            "a negative eigenvalue among the kept terms: <phi(x), phi(y)> is PSD and cannot "
            "represent it (use an asymmetric model)"
        )
    s = q.sup_f[:r]
    deltas = feature_accuracies(s, q.eps)
    n_x = (kappa * q.radius * q.barron_x[:r] / deltas) ** 2 * scale
    n_y = (kappa * q.radius * q.barron_y[:r] / deltas) ** 2 * scale
    total = rounded_total(n_x, None if q.symmetric else n_y)
    tail = float(q.truncation_errors[min(r, len(q.truncation_errors) - 1)])
    notes = [
        "ours, not the paper's formula",
        f"truncation error (sampled) at rank {r}: {tail:.3g} "
        + ("<=" if tail <= q.eps / 2 else "> (planted)") + f" eps/2 = {q.eps / 2:.3g}",
        "each n_i rounded up on its own (whole neurons per feature network), for every scale",
        f"feature-error part sum delta_i(2 s_i + delta_i) = {product_error(s, deltas):.3g} "
        f"<= eps/2",
        "Barron norms are FFT estimates; the Barron-type constant kappa is our heuristic",
    ]
    return DerivedBound(
        eps=q.eps, r=r, symmetric=q.symmetric, kappa=kappa, radius=q.radius, scale=scale,
        sup_f=s, barron_x=q.barron_x[:r], barron_y=q.barron_y[:r], deltas=deltas, n_x=n_x,
        n_y=n_y, neurons=total, notes=notes,
    )


def derived_refutation(db: DerivedBound, q: InstanceQuantities) -> Result | None:
    r"""``refuted`` when the construction's rank :math:`r` is below :math:`m_{\min}(\varepsilon)`.

    .. math:: \operatorname{rank}[\textstyle\sum_{i \le r} \hat f_i(x_a) \hat g_i(y_b)]_{ab}
        \le r < m_{\min} \implies \max_{ab} |K - G|_{ab} > \varepsilon

    (Eckart–Young–Mirsky on the point set of ``q.rank_bound``; ours as applied here). ``None``
    when the rank bound does not rule the construction out.
    """
    rb = q.rank_bound
    if db.r >= rb.m_min:
        return None
    lower = rb.bound_for(db.r)
    return Result.refuted(
        f"the derived construction keeps {db.r} terms, so its Gram matrices have rank <= "
        f"{db.r} < m_min = {rb.m_min}: every rank-{db.r} matrix is off by >= {lower:.3e} > eps "
        f"= {db.eps:g} on {rb.n} points ({rb.label}), whatever its {db.neurons} neurons",
        f"rigorous lower bound (Eckart–Young–Mirsky), {rb.margin_label}",
        derived=db.to_dict(), m_min=rb.m_min, construction_rank=db.r, error_lower_bound=lower,
        points_x=rb.X.tolist(), points_y=rb.Y.tolist(),
    ).because(CONSTRUCTION_RANK, Strength.LOWER_BOUND)


__all__ = [
    "CONSTRUCTION_RANK",
    "KAPPA",
    "DerivedBound",
    "DerivedBoundError",
    "derived_bound",
    "derived_refutation",
    "feature_accuracies",
    "product_error",
    "rounded_total",
]
