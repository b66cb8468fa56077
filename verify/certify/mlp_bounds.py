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

from .activation_taylor import horner
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


def _poly_range(t: Interval, coeffs: tuple[float, ...], crits: tuple[float, ...]) -> Interval:
    """Range of the polynomial sum_i coeffs[i] t^i (coefficients exact floats) over each
    interval t (ours): hull of rigorous values at both endpoints and at every critical point
    that may lie inside."""

    def ev(u: Interval) -> Interval:
        return horner(np.asarray(coeffs, dtype=np.float64), u)

    out = ev(Interval.point(t.lo)).hull(ev(Interval.point(t.hi)))
    for p in crits:
        P = Interval(np.full_like(t.lo, p - 1e-12), np.full_like(t.lo, p + 1e-12))
        inside = (t.lo <= P.hi) & (t.hi >= P.lo)
        if np.any(inside):
            v = ev(P)
            out = Interval(
                np.where(inside, np.minimum(out.lo, v.lo), out.lo),
                np.where(inside, np.maximum(out.hi, v.hi), out.hi),
            )
    return out


_R3 = 1.0 / np.sqrt(3.0)


def act_second_interval(Z: Interval, activation: str) -> Interval:
    """Enclosure of σ''(z) for z in Z: tanh'' = 2t^3 - 2t (t = tanh z), sigmoid'' =
    s - 3s^2 + 2s^3 (s = sigmoid z), softplus'' = s(1 - s).  ReLU is not C^2: error."""
    if activation == "tanh":
        return _poly_range(Z.tanh(), (0.0, -2.0, 0.0, 2.0), (-_R3, _R3))
    if activation == "sigmoid":
        return _poly_range(
            Z.sigmoid(), (0.0, 1.0, -3.0, 2.0), ((3 - np.sqrt(3)) / 6, (3 + np.sqrt(3)) / 6)
        )
    if activation == "softplus":
        return Z.sigmoid().sigmoid_prime_from_values()
    raise ValueError(f"activation {activation!r} is not twice differentiable")


def _outer(J: Interval) -> Interval:
    """(B, n, d) -> (B, n, d, d) interval J_i J_j, squares on the diagonal (tight)."""
    O = Interval(J.lo[..., :, None], J.hi[..., :, None]) * Interval(
        J.lo[..., None, :], J.hi[..., None, :]
    )
    sq = J.square()
    d = J.lo.shape[-1]
    idx = np.arange(d)
    lo, hi = O.lo.copy(), O.hi.copy()
    lo[..., idx, idx] = sq.lo
    hi[..., idx, idx] = sq.hi
    return Interval(lo, hi)


def _col(v: Interval, k: int) -> Interval:
    """Append k singleton axes."""
    sh = v.lo.shape + (1,) * k
    return Interval(v.lo.reshape(sh), v.hi.reshape(sh))


@dataclass(frozen=True)
class MLPEnclosure:
    """Enclosures over a batch of boxes: ``value`` (B, out) of f(X), ``jac`` (B, out, in)
    of ∂f/∂x over X, ``centre`` the centres c (B, in) and ``centre_value`` (B, out) of f(c)."""

    value: Interval
    jac: Interval
    centre: np.ndarray
    centre_value: Interval
    hess: Interval | None = None  # (B, out, in, in) over the box, when requested
    centre_jac: Interval | None = None  # (B, out, in) at the centre, when requested
    # (B,) bool, with ``hess``: True where the network is C^2 on the box and ``hess`` is a
    # valid enclosure; for ReLU only where every pre-activation interval excludes 0
    # strictly (then the network is affine there and ``hess`` is 0); elsewhere ``hess``
    # is [-inf, inf] and must not be used.  All True for the smooth activations.
    smooth: np.ndarray | None = None


def box_centre(X: Interval) -> np.ndarray:
    """A float point inside every box (the rounded midpoint lies in [lo, hi])."""
    c = 0.5 * X.lo + 0.5 * X.hi
    return np.clip(c, X.lo, X.hi)


def enclose_mlp(
    layers: Layers,
    activation: str,
    X: Interval,
    centre: np.ndarray | None = None,
    second_order: bool = False,
) -> MLPEnclosure:
    """Value and Jacobian enclosures by forward-mode interval differentiation with
    mean-value tightening of every pre-activation (see module docstring).  With
    ``second_order`` also the Hessian over the box (forward mode:
    H' = σ''(Z) J⊗J + σ'(Z) H) and the Jacobian at the centre.

    ReLU with ``second_order`` (ours): on a box where every pre-activation enclosure lies
    strictly on one side of 0 (lo > 0 or hi < 0; touching 0 counts as crossing), every
    unit keeps its sign on a neighbourhood of the box, so the network is affine there and
    its Hessian is exactly 0.  Those boxes get ``hess`` = 0 and ``smooth`` True; all
    others get ``hess`` = [-inf, inf] and ``smooth`` False."""
    _check(activation)
    c = box_centre(X) if centre is None else centre
    C = Interval.point(c)
    dX = X - C  # (B, d) interval containing x - c
    B, d = X.lo.shape
    h_box = X  # enclosure of current layer input over the box
    h_c = C  # enclosure of current layer input at the centre
    eye = Interval.point(np.broadcast_to(np.eye(d), (B, d, d)).copy())
    J = eye  # d(input)/dx over the box
    Jc = eye  # ... at the centre
    H = Interval.point(np.zeros((B, d, d, d))) if second_order else None
    relu2 = second_order and activation == "relu"
    smooth = np.ones(B, dtype=bool)
    n = len(layers)
    for i, (W, b) in enumerate(layers):
        W = np.asarray(W, dtype=np.float64)
        z_c = matvec(W, h_c, b)
        Jz = _matmul_left(W, J)
        Jzc = _matmul_left(W, Jc) if second_order else None
        Hz = None
        if second_order and not relu2:
            hn = H.lo.shape[1]
            Hf = Interval(H.lo.reshape(B, hn, d * d), H.hi.reshape(B, hn, d * d))
            Hz = _matmul_left(W, Hf)
            Hz = Interval(Hz.lo.reshape(B, -1, d, d), Hz.hi.reshape(B, -1, d, d))
        z_box = matvec(W, h_box, b).intersect(z_c + jac_times(Jz, dX))
        if i == n - 1:
            if relu2:
                # affine where smooth: Hessian exactly 0; unusable elsewhere
                sm = np.broadcast_to(smooth[:, None, None, None], (B, W.shape[0], d, d))
                Hz = Interval(np.where(sm, 0.0, -np.inf), np.where(sm, 0.0, np.inf))
            return MLPEnclosure(z_box, Jz, c, z_c, Hz, Jzc, smooth if second_order else None)
        dsig = act_prime_interval(z_box, activation)  # (B, h)
        J = Jz * _col(dsig, 1)
        if relu2:
            Jc = Jzc * _col(act_prime_interval(z_c, activation), 1)
            # strict: NaN or an endpoint equal to 0 counts as crossing
            smooth &= ((z_box.lo > 0.0) | (z_box.hi < 0.0)).all(axis=-1)
        elif second_order:
            Jc = Jzc * _col(act_prime_interval(z_c, activation), 1)
            d2 = act_second_interval(z_box, activation)
            H = _col(d2, 2) * _outer(Jz) + _col(dsig, 2) * Hz
        h_box = act_interval(z_box, activation).intersect(
            act_interval(z_c, activation) + jac_times(J, dX)
        )
        h_c = act_interval(z_c, activation)
    raise ValueError("empty layer list")
