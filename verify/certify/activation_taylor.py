"""Derivatives of smooth activations as polynomials of the activation value (ours).

For tanh, every derivative is a polynomial of t = tanh z:

.. math::
    \\tanh^{(0)} = t,\\qquad \\tanh^{(k+1)}(z) = p_k'(t)\\,(1 - t^2),

and for the logistic sigmoid s = σ(z), σ^{(k+1)} = p_k'(s) s(1 - s).  Softplus has
softplus' = σ, so its derivatives of order k ≥ 1 are the sigmoid's of order k - 1.  The
polynomials have small integer coefficients (exact in floats); evaluating them by Horner
in interval arithmetic on an enclosure of t gives rigorous enclosures of the derivatives.

:func:`derivative_bound` encloses max |σ^{(k)}| over an interval of z: the smaller of the
Horner range over the enclosure of t and a global bound over all of R (computed once by
subdividing the range of t into 4096 pieces, each enclosed by Horner).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.polynomial import polynomial as P

from .interval import Interval

SMOOTH = ("tanh", "sigmoid", "softplus")


def _check(activation: str) -> None:
    if activation not in SMOOTH:
        raise ValueError(f"Taylor models need a smooth activation {SMOOTH}, not {activation!r}")


@cache
def derivative_polys(activation: str, k_max: int) -> tuple[np.ndarray, ...]:
    """Coefficient arrays (low to high degree) of p_k with σ^{(k)}(z) = p_k(base(z)),
    k = 0..k_max, base = tanh (tanh) or sigmoid (sigmoid, softplus; softplus's k = 0
    entry is unused)."""
    _check(activation)
    if activation == "tanh":
        p, mult = np.array([0.0, 1.0]), np.array([1.0, 0.0, -1.0])  # t, 1 - t^2
    else:
        p, mult = np.array([0.0, 1.0]), np.array([0.0, 1.0, -1.0])  # s, s - s^2
    polys = [p]
    for _ in range(k_max + (activation == "softplus")):
        p = P.polymul(P.polyder(p), mult)
        polys.append(p)
    if activation == "softplus":  # softplus^(k) = sigmoid^(k-1) for k >= 1
        polys = [np.array([np.nan])] + polys[:-1]
    return tuple(np.asarray(q, dtype=np.float64) for q in polys)


def horner(coeffs: np.ndarray, t: Interval) -> Interval:
    """Rigorous enclosure of Σ_i coeffs[i] t^i for t in the interval (coefficients are
    exact floats)."""
    acc = Interval.point(np.full_like(t.lo, coeffs[-1]))
    for a in coeffs[-2::-1]:
        acc = acc * t + float(a)
    return acc


def base_value(activation: str, Z: Interval) -> Interval:
    """Enclosure of the polynomial variable: tanh(Z) or sigmoid(Z)."""
    _check(activation)
    return Z.tanh() if activation == "tanh" else Z.sigmoid()


def derivatives_at(activation: str, Z: Interval, k_max: int) -> list[Interval]:
    """Enclosures of σ^{(k)}(z), k = 0..k_max, for z in Z (meant for thin Z)."""
    polys = derivative_polys(activation, k_max)
    T = base_value(activation, Z)
    out = [Z.softplus() if activation == "softplus" else T]
    out += [horner(polys[k], T) for k in range(1, k_max + 1)]
    return out


@cache
def global_bound(activation: str, k: int) -> float:
    """Rigorous upper bound on sup_z |σ^{(k)}(z)|, k ≥ 1."""
    if k < 1:
        raise ValueError("global_bound needs k >= 1")
    p = derivative_polys(activation, k)[k]
    lo, hi = (-1.0, 1.0) if activation == "tanh" else (0.0, 1.0)
    edges = np.linspace(lo, hi, 4097)
    return float(horner(p, Interval(edges[:-1], edges[1:])).mag().max())


def abs_coeff_sums(activation: str, k: int) -> tuple[float, float]:
    """(S, S') with S = Σ|a_i| ≥ max |p_k(t)| and S' = Σ i|a_i| ≥ max |p_k'(t)| over the
    range of the base value (|t| ≤ 1); both are exact small integers."""
    p = derivative_polys(activation, k)[k]
    i = np.arange(len(p))
    return float(np.abs(p).sum()), float((i * np.abs(p)).sum())


def horner_float(coeffs: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Plain float Horner; with |t| ≤ 1 its rounding error is at most γ_{2n}·Σ|a_i|
    (Higham, *Accuracy and Stability*, eq. 5.3)."""
    acc = np.full_like(t, coeffs[-1])
    for a in coeffs[-2::-1]:
        acc = acc * t + a
    return acc


def derivative_bound(activation: str, Z: Interval, k: int) -> np.ndarray:
    """Upper bound on max_{z ∈ Z} |σ^{(k)}(z)|, k ≥ 1, elementwise."""
    p = derivative_polys(activation, k)[k]
    local = horner(p, base_value(activation, Z)).mag()
    return np.minimum(local, global_bound(activation, k))
