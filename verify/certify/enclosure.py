"""Enclosures of the approximation error over boxes, keeping the cancellation (ours).

For a relation r and an inner-product model, the error is

.. math::
    e(x, y) = r(x, y) - \\langle \\varphi(x), \\psi(y) \\rangle .

Enclosing r and ⟨φ, ψ⟩ separately gives an interval as wide as r's variation over the box,
even where e itself is tiny.  The mean-value form keeps the cancellation:

.. math::
    e(Q) \\subseteq e(c) + \\nabla e(Q) \\cdot (Q - c),\\qquad
    \\nabla_x e(Q) \\subseteq \\nabla_x r(Q) - J_\\varphi(X_Q)^\\top \\psi(Y_Q),\\quad
    \\nabla_y e(Q) \\subseteq \\nabla_y r(Q) - J_\\psi(Y_Q)^\\top \\varphi(X_Q),

with c the box centre, e(c) enclosed by point interval arithmetic (width ~1e-15), ∇r by
interval evaluation of ``sympy.diff`` and the Jacobians by
:func:`~verify.certify.mlp_bounds.enclose_mlp`.  The result is intersected with the naive
form r(Q) − Σ_k φ_k(X_Q) ψ_k(Y_Q).  Everything here is our construction.

:class:`DiagonalEnclosure` does the same for d(x) = e(x, x) = r(x, x) − ‖φ(x)‖², used by the
PSD-residual shortcut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .interval import Interval, isum
from .mlp_bounds import Layers, box_centre, enclose_mlp, ibp, jac_times
from .sym_interval import UnsupportedNode, compile_gradient, compile_hessian, compile_interval


@dataclass(frozen=True)
class BoxEval:
    """Per-box results: ``enclosure`` (B,) of the function over the box (mean-value ∩
    naive), ``naive`` (B,) the naive one, ``centre`` (B, D) points, ``centre_value`` (B,)
    enclosure of the function at those points, ``grad`` (B, D) gradient enclosure."""

    enclosure: Interval
    naive: Interval
    centre: np.ndarray
    centre_value: Interval
    grad: Interval
    score: np.ndarray | None = None  # (B, D) split scores supplied by the enclosure

    def split_score(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Estimated contribution of each coordinate to the enclosure's width: ``score``
        when the enclosure supplies one, else |∇_i e(Q)| · width_i (widths alone where
        the gradient is unbounded)."""
        w = hi - lo
        if self.score is not None:
            s = np.array(self.score, dtype=float)
            bad = ~np.isfinite(s).all(axis=-1)
            s[bad] = w[bad]
            return s
        g = self.grad.mag()
        s = g * w
        bad = ~np.isfinite(s).all(axis=-1)
        s[bad] = w[bad]
        return s


def _stack_cols(a: Interval, b: Interval) -> Interval:
    return Interval(np.concatenate([a.lo, b.lo], -1), np.concatenate([a.hi, b.hi], -1))


class ErrorEnclosure:
    """Encloses e(x, y) = r(x, y) − ⟨φ(x), ψ(y)⟩ over boxes of the joint space (x, y).

    ``expr`` is a sympy expression in ``x_syms`` then ``y_syms``; ``psi_layers=None`` means
    the symmetric model ψ = φ."""

    def __init__(
        self,
        expr: sp.Expr,
        x_syms: Sequence[sp.Symbol],
        y_syms: Sequence[sp.Symbol],
        phi_layers: Layers,
        psi_layers: Layers | None,
        activation: str,
        form: str = "auto",
    ):
        if form not in ("mean-value", "naive", "auto"):
            raise ValueError(f"form must be 'auto', 'mean-value' or 'naive', not {form!r}")
        self.form = form
        self.dx, self.dy = len(x_syms), len(y_syms)
        syms = list(x_syms) + list(y_syms)
        self.r = compile_interval(expr, syms)
        self.grad_r = compile_gradient(expr, syms)
        self.phi = [(np.asarray(W, float), np.asarray(b, float)) for W, b in phi_layers]
        self.psi = (
            None
            if psi_layers is None
            else [(np.asarray(W, float), np.asarray(b, float)) for W, b in psi_layers]
        )
        self.activation = activation
        # second-order Taylor form needs C^2 (r's Hessian supported); for ReLU it is used
        # only on boxes where the network is affine (see enclose_mlp's ``smooth`` mask)
        self.hess_r = None
        if form == "auto":
            try:
                self.hess_r = compile_hessian(expr, syms)
            except UnsupportedNode:
                self.hess_r = None
        if self.phi[0][0].shape[1] != self.dx:
            raise ValueError(f"phi input dim {self.phi[0][0].shape[1]} != dx {self.dx}")
        psi = self.phi if self.psi is None else self.psi
        if psi[0][0].shape[1] != self.dy:
            raise ValueError(f"psi input dim {psi[0][0].shape[1]} != dy {self.dy}")
        if psi[-1][0].shape[0] != self.phi[-1][0].shape[0]:
            raise ValueError("phi and psi feature dims differ")

    @property
    def dim(self) -> int:
        return self.dx + self.dy

    def __call__(self, lo: np.ndarray, hi: np.ndarray) -> BoxEval:
        """Evaluate on boxes [lo, hi] of shape (B, dx + dy)."""
        Z = Interval(lo, hi)
        dx = self.dx
        X, Y = Z[:, :dx], Z[:, dx:]
        so = self.hess_r is not None
        ex = enclose_mlp(self.phi, self.activation, X, second_order=so)
        ey = enclose_mlp(
            self.phi if self.psi is None else self.psi, self.activation, Y, second_order=so
        )
        c = np.concatenate([ex.centre, ey.centre], -1)
        C = Interval.point(c)
        # centre value, rigorous: r(c) - <phi(cx), psi(cy)>
        e_c = self.r(C) - isum(ex.centre_value * ey.centre_value, axis=-1)
        # gradient enclosure over the box
        gr = self.grad_r(Z)
        Phi, Psi = ex.value, ey.value
        gx = jac_times(_t(ex.jac), Psi)  # sum_k J_phi[k, i] psi_k  -> (B, dx)
        gy = jac_times(_t(ey.jac), Phi)
        grad = gr - _stack_cols(gx, gy)
        dZ = Z - C
        mv = e_c + isum(grad * dZ, axis=-1)
        naive = self.r(Z) - isum(Phi * Psi, axis=-1)
        if self.form == "naive":
            return BoxEval(naive, naive, c, e_c, grad)
        enc = mv.intersect(naive)
        if so:
            t2 = self._taylor2(Z, C, dZ, e_c, ex, ey)
            ok = ex.smooth & ey.smooth  # C^2 on the box (all True unless ReLU)
            if not ok.all():
                # Taylor form invalid there: replace by the whole line before intersecting
                t2 = Interval(np.where(ok, t2.lo, -np.inf), np.where(ok, t2.hi, np.inf))
            enc = enc.intersect(t2)
        return BoxEval(enc, naive, c, e_c, grad)

    def _taylor2(self, Z, C, dZ, e_c, ex, ey) -> Interval:
        """Second-order Taylor form with Lagrange remainder (ours), valid for C^2 e:
        e(Q) ⊆ e(c) + ∇e(c)·δ + ½ δᵀ H_e(Q) δ, δ = Q − c, where ∇e(c) is thin and
        H_e = H_r − [[Σψ_k H_φk, J_φᵀJ_ψ], [J_ψᵀJ_φ, Σφ_k H_ψk]] is enclosed over Q."""
        dx = self.dx
        gc = self.grad_r(C) - _stack_cols(
            jac_times(_t(ex.centre_jac), ey.centre_value),
            jac_times(_t(ey.centre_jac), ex.centre_value),
        )
        H = self.hess_r(Z)  # (B, D, D)
        Phi, Psi = ex.value, ey.value
        Hxx = isum(_move(ex.hess) * _bc(Psi, 2), axis=-1)  # sum_k psi_k H_phi_k  (B, dx, dx)
        Hyy = isum(_move(ey.hess) * _bc(Phi, 2), axis=-1)
        Jx, Jy = ex.jac, ey.jac  # (B, m, dx), (B, m, dy)
        Hxy = isum(
            Interval(_t(Jx).lo[..., :, None, :], _t(Jx).hi[..., :, None, :])
            * Interval(_t(Jy).lo[..., None, :, :], _t(Jy).hi[..., None, :, :]),
            axis=-1,
        )  # (B, dx, dy)
        lo, hi = H.lo.copy(), H.hi.copy()
        blocks = ((slice(0, dx), slice(0, dx), Hxx), (slice(dx, None), slice(dx, None), Hyy))
        for a, b, M in blocks:
            sub = Interval(lo[:, a, b], hi[:, a, b]) - M
            lo[:, a, b], hi[:, a, b] = sub.lo, sub.hi
        sub = Interval(lo[:, :dx, dx:], hi[:, :dx, dx:]) - Hxy
        lo[:, :dx, dx:], hi[:, :dx, dx:] = sub.lo, sub.hi
        subT = Interval(np.swapaxes(sub.lo, -1, -2), np.swapaxes(sub.hi, -1, -2))
        lo[:, dx:, :dx], hi[:, dx:, :dx] = subT.lo, subT.hi
        He = Interval(lo, hi)
        D = He.lo.shape[-1]
        sq = dZ.square()
        quad = isum(
            Interval(np.diagonal(He.lo, 0, -2, -1), np.diagonal(He.hi, 0, -2, -1)) * sq, axis=-1
        )
        iu, ju = np.triu_indices(D, 1)
        if len(iu):
            cross = Interval(He.lo[:, iu, ju], He.hi[:, iu, ju]) * dZ[:, iu] * dZ[:, ju]
            quad = quad + 2.0 * isum(cross, axis=-1)
        return e_c + isum(gc * dZ, axis=-1) + 0.5 * quad

    def at_points(self, pts: np.ndarray) -> Interval:
        """Rigorous enclosure of e at points (n, dx + dy) (width ~ a few ulps)."""
        psi = self.phi if self.psi is None else self.psi
        return error_at_points(self.r, self.phi, psi, self.activation, self.dx, pts)


def error_at_points(
    r, phi: Layers, psi: Layers, activation: str, dx: int, pts: np.ndarray
) -> Interval:
    """Rigorous enclosure of r(x, y) − ⟨φ(x), ψ(y)⟩ at points (n, dx + dy), with ``r`` a
    compiled interval evaluator (width ~ a few ulps: the lower bounds of branch and bound)."""
    P = Interval.point(pts)
    Phi = ibp(phi, activation, P[:, :dx])
    Psi = ibp(psi, activation, P[:, dx:])
    return r(P) - isum(Phi * Psi, axis=-1)


def _move(H: Interval) -> Interval:
    """(B, m, d, d) -> (B, d, d, m)."""
    return Interval(np.moveaxis(H.lo, 1, -1), np.moveaxis(H.hi, 1, -1))


def _bc(v: Interval, k: int) -> Interval:
    """(B, m) -> (B, 1 x k, m)."""
    sh = v.lo.shape[:1] + (1,) * k + v.lo.shape[1:]
    return Interval(v.lo.reshape(sh), v.hi.reshape(sh))


def _t(J: Interval) -> Interval:
    """(B, m, d) -> (B, d, m)."""
    return Interval(np.swapaxes(J.lo, -1, -2), np.swapaxes(J.hi, -1, -2))


class DiagonalEnclosure:
    """Encloses d(x) = e(x, x) = r(x, x) − ‖φ(x)‖² over boxes of X (symmetric model)."""

    def __init__(
        self,
        expr: sp.Expr,
        x_syms: Sequence[sp.Symbol],
        y_syms: Sequence[sp.Symbol],
        phi_layers: Layers,
        activation: str,
    ):
        if len(x_syms) != len(y_syms):
            raise ValueError("diagonal needs dx == dy")
        diag = sp.sympify(expr).xreplace(dict(zip(y_syms, x_syms)))
        self.dx = len(x_syms)
        self.r = compile_interval(diag, list(x_syms))
        self.grad_r = compile_gradient(diag, list(x_syms))
        self.phi = [(np.asarray(W, float), np.asarray(b, float)) for W, b in phi_layers]
        self.activation = activation

    @property
    def dim(self) -> int:
        return self.dx

    def __call__(self, lo: np.ndarray, hi: np.ndarray) -> BoxEval:
        X = Interval(lo, hi)
        ex = enclose_mlp(self.phi, self.activation, X)
        c = ex.centre
        C = Interval.point(c)
        d_c = self.r(C) - isum(ex.centre_value.square(), axis=-1)
        g = jac_times(_t(ex.jac), ex.value)  # J^T phi
        grad = self.grad_r(X) - 2.0 * g
        mv = d_c + isum(grad * (X - C), axis=-1)
        naive = self.r(X) - isum(ex.value.square(), axis=-1)
        return BoxEval(mv.intersect(naive), naive, c, d_c, grad)

    def at_points(self, pts: np.ndarray) -> Interval:
        from .mlp_bounds import ibp

        P = Interval.point(pts)
        return self.r(P) - isum(ibp(self.phi, self.activation, P).square(), axis=-1)


__all__ = ["BoxEval", "DiagonalEnclosure", "ErrorEnclosure", "box_centre"]
