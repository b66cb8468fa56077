"""Rigorous enclosures of MLP outputs and Jacobians over batches of boxes (ours).

An MLP is given, as in ``docs/CONTRACTS.md``, by ``layers = [(W, b), ...]`` with ``W`` of
shape (out, in) and an activation applied after every layer except the last.  All inputs
are numpy float64; nothing here depends on torch.

Methods
-------
* :func:`ibp` — interval bound propagation: each affine layer through
  :func:`~verify.certify.interval.matvec` (midpoint-radius, with a rigorous bound on BLAS
  rounding), each activation through its monotone interval extension.
* :func:`enclose_mlp` — the tighter method: forward-mode interval Jacobian
  ``J_l(X) = W_l · diag(σ'(Z_{l-1})) · J_{l-1}(X)`` together with a *mean-value* enclosure of
  every pre-activation, ``z_l(X) ⊆ z_l(c) + J_{z_l}(X)(X - c)``, intersected with the IBP
  enclosure before it is used for the next layer.  The mean-value part shrinks like
  width² where IBP shrinks like width, which is what the error enclosure needs.
  For ReLU, σ' on a box that straddles 0 is the Clarke interval [0, 1]; the mean-value
  theorem holds along segments for the piecewise-linear network, so this is sound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .interval import Interval, isum, matvec

Layers = Sequence[tuple[np.ndarray, np.ndarray]]
ACTIVATIONS = ("tanh", "relu", "softplus", "sigmoid")


def _check(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation {activation!r} not supported for certification; use one of {ACTIVATIONS}"
        )


def act_interval(Z: Interval, activation: str) -> Interval:
    """σ(Z) for a monotone activation."""
    _check(activation)
    return {"tanh": Z.tanh, "relu": Z.relu, "softplus": Z.softplus, "sigmoid": Z.sigmoid}[
        activation
    ]()


def act_prime_interval(Z: Interval, activation: str) -> Interval:
    """Enclosure of σ'(z) for z in Z (tight: from endpoints of monotone pieces)."""
    _check(activation)
    if activation == "tanh":
        return Z.tanh().tanh_prime_from_values()
    if activation == "sigmoid":
        return Z.sigmoid().sigmoid_prime_from_values()
    if activation == "softplus":
        return Z.sigmoid()
    return Z.heaviside()  # relu: Clarke derivative


def act_float(z: np.ndarray, activation: str) -> np.ndarray:
    """Plain float64 activation (not rigorous; for sampling and training checks)."""
    _check(activation)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    return np.logaddexp(0.0, z)


def forward_float(layers: Layers, activation: str, x: np.ndarray) -> np.ndarray:
    """Plain float64 forward pass, x (n, in) -> (n, out)."""
    h = np.asarray(x, dtype=np.float64)
    for i, (W, b) in enumerate(layers):
        h = h @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        if i < len(layers) - 1:
            h = act_float(h, activation)
    return h


def ibp(layers: Layers, activation: str, X: Interval) -> Interval:
    """Interval bound propagation: enclosure (B, out) of the outputs over boxes X (B, in)."""
    h = X
    for i, (W, b) in enumerate(layers):
        h = matvec(W, h, b)
        if i < len(layers) - 1:
            h = act_interval(h, activation)
    return h


def jac_times(J: Interval, D: Interval) -> Interval:
    """Σ_j J[..., k, j] D[..., j] for interval J (B, m, d) and D (B, d) -> (B, m)."""
    return isum(J * Interval(D.lo[..., None, :], D.hi[..., None, :]), axis=-1)


def _matmul_left(W: np.ndarray, J: Interval) -> Interval:
    """W @ J for exact W (out, h) and interval J (B, h, d) -> (B, out, d)."""
    Jt = Interval(np.swapaxes(J.lo, -1, -2), np.swapaxes(J.hi, -1, -2))  # (B, d, h)
    R = matvec(W, Jt)  # (B, d, out)
    return Interval(np.swapaxes(R.lo, -1, -2), np.swapaxes(R.hi, -1, -2))


@dataclass(frozen=True)
class MLPEnclosure:
    """Enclosures over a batch of boxes: ``value`` (B, out) of f(X), ``jac`` (B, out, in)
    of ∂f/∂x over X, ``centre`` the centres c (B, in) and ``centre_value`` (B, out) of f(c)."""

    value: Interval
    jac: Interval
    centre: np.ndarray
    centre_value: Interval


def box_centre(X: Interval) -> np.ndarray:
    """A float point inside every box (the rounded midpoint lies in [lo, hi])."""
    c = 0.5 * X.lo + 0.5 * X.hi
    return np.clip(c, X.lo, X.hi)


def enclose_mlp(
    layers: Layers, activation: str, X: Interval, centre: np.ndarray | None = None
) -> MLPEnclosure:
    """Value and Jacobian enclosures by forward-mode interval differentiation with
    mean-value tightening of every pre-activation (see module docstring)."""
    _check(activation)
    c = box_centre(X) if centre is None else centre
    C = Interval.point(c)
    dX = X - C  # (B, d) interval containing x - c
    B, d = X.lo.shape
    h_box = X  # enclosure of current layer input over the box
    h_c = C  # enclosure of current layer input at the centre
    J = Interval.point(np.broadcast_to(np.eye(d), (B, d, d)).copy())  # d(input)/dx
    n = len(layers)
    for i, (W, b) in enumerate(layers):
        W = np.asarray(W, dtype=np.float64)
        z_c = matvec(W, h_c, b)
        Jz = _matmul_left(W, J)
        z_box = matvec(W, h_box, b).intersect(z_c + jac_times(Jz, dX))
        if i == n - 1:
            return MLPEnclosure(z_box, Jz, c, z_c)
        dsig = act_prime_interval(z_box, activation)  # (B, h)
        J = Jz * Interval(dsig.lo[..., None], dsig.hi[..., None])
        h_box = act_interval(z_box, activation).intersect(
            act_interval(z_c, activation) + jac_times(J, dX)
        )
        h_c = act_interval(z_c, activation)
    raise ValueError("empty layer list")
