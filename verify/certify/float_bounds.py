"""Plain-float computations with rigorous a-priori error bounds (ours).

The Taylor-model code computes its big tensors in ordinary float64 (fast BLAS) and accounts
for rounding with a-priori bounds instead of per-element directed rounding: a non-negative
quantity computed with at most ``ops`` roundings is at most its float value times
(1 + 2·ops·u) (u = 2^-53; Higham, *Accuracy and Stability of Numerical Algorithms*, ch. 3),
sums of n terms count n roundings, and libm functions get the relative margin of
:mod:`.interval` (2^-40).
"""

from __future__ import annotations

import numpy as np

from . import activation_taylor as act
from .interval import TRANSCENDENTAL_ABS, TRANSCENDENTAL_REL, _sigmoid, _softplus

U = 2.0**-53


def up_sum(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Upper bound on the exact sum of non-negative floats (rounding inflated)."""
    n = a.shape[axis]
    s = a.sum(axis=axis)
    return np.nextafter(s * (1.0 + 2.0 * (n + 2) * U), np.inf)


def up_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Upper bound on the exact product of non-negative floats."""
    return np.nextafter(a * b, np.inf)


def up_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Upper bound on the exact sum of two non-negative floats."""
    return np.nextafter(a + b, np.inf)


def inflate(x: np.ndarray, ops: int) -> np.ndarray:
    """Upper bound on the exact value of a non-negative quantity computed in floats with
    at most ``ops`` roundings (each relative u): x (1 + 2 ops u) plus an underflow term."""
    return x * (1.0 + 2.0 * (ops + 2) * U) + (ops + 2) * 1e-300


def d_abs_bound(activation: str, k: int) -> float:
    """Upper bound on sup |σ^(k)| (k = 0: 1 for tanh / sigmoid; softplus is unbounded)."""
    if k == 0:
        return 1.0 if activation != "softplus" else np.inf
    return act.global_bound(activation, k)


def derivatives_float(
    activation: str, z: np.ndarray, K: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """σ^(k)(z), k = 0..K, in floats with absolute error bounds: the base value (tanh or
    sigmoid) is off by at most |t|·2^-40 + 1e-300 (our libm margin, see .interval), which
    moves p_k by at most S'·that; float Horner adds at most γ_{2n}·S (|t| ≤ 1)."""
    polys = act.derivative_polys(activation, K)
    tb = np.tanh(z) if activation == "tanh" else _sigmoid(z)
    dt = np.abs(tb) * TRANSCENDENTAL_REL + TRANSCENDENTAL_ABS
    D, Drad = [], []
    for k in range(K + 1):
        if k == 0 and activation == "softplus":
            v = _softplus(z)
            D.append(v)
            Drad.append(np.abs(v) * TRANSCENDENTAL_REL + TRANSCENDENTAL_ABS)
            continue
        p = polys[k]
        S, Sp = act.abs_coeff_sums(activation, k) if k else (1.0, 1.0)
        D.append(act.horner_float(p, tb))
        g = 2 * len(p) * U / (1.0 - 2 * len(p) * U)
        Drad.append(inflate(Sp * dt + g * S, 4))
    return D, Drad


def derivative_range_bound(activation: str, z: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """Upper bound on max |σ^(k)| over [z - t, z + t] (k ≥ 1): with the base value b in
    [b_lo, b_hi] (monotone), |p(b)| ≤ |p(b_mid)| + S'·(b_hi - b_lo)/2 + rounding, capped by
    the global bound."""
    f = np.tanh if activation == "tanh" else _sigmoid
    lo, hi = f(z - t), f(z + t)
    half = 0.5 * (hi - lo) + 0.5 * (np.abs(lo) + np.abs(hi)) * TRANSCENDENTAL_REL
    # rounding of z ± t moves the argument by at most u(|z| + t), tanh/sigmoid are
    # 1-Lipschitz; the float half-width and midpoint add a few ulps of |lo| + |hi|
    half = half + TRANSCENDENTAL_ABS + 4 * U * (np.abs(lo) + np.abs(hi)) + 2 * U * (np.abs(z) + t)
    mid = 0.5 * (lo + hi)
    p = act.derivative_polys(activation, k)[k]
    S, Sp = act.abs_coeff_sums(activation, k)
    g = 2 * len(p) * U / (1.0 - 2 * len(p) * U)
    local = inflate(np.abs(act.horner_float(p, mid)) + Sp * half + g * S, 6)
    return np.minimum(local, act.global_bound(activation, k))
