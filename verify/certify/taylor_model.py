"""Taylor-model enclosure of the error r − ⟨φ, ψ⟩ for smooth MLP branches (ours).

The interval mean-value and second-order forms of :mod:`.enclosure` bound derivatives of
each hidden unit separately, so the large, cancelling output weights of a trained witness
inflate them; on a 4-D box the bound stays several times the true error (issue 6).
A Taylor model keeps the cancellation up to order K and only pays for it at order K+1.

Branches.  Every feature is a Taylor model Σ_α F_{kα} δ^α + [-R_k, R_k] over the box
(:mod:`.taylor_branch`: one 1-D expansion per hidden unit for one hidden layer, Taylor-model
arithmetic through the layers for deeper networks).

Inner product.  ⟨φ(x), ψ(y)⟩ = Σ_k (P_k(δx) + r_k)(Q_k(δy) + s_k); the polynomial part has
coefficients C_{αβ} = Σ_k F_{kα} G_{kβ} (one batched matrix product, with a Higham bound
on its rounding), the terms of total degree > K and the products with r, s are bounded
with |P_k| ≤ Σ_α |F_{kα}| h^α.

Error.  e = r − ⟨φ, ψ⟩ has the Taylor coefficients E_γ = ∂^γ r(c)/γ! − C_γ for |γ| ≤ K
(:mod:`.relation_taylor`), so the large derivatives of r and of the model cancel in E_γ
before any absolute value is taken; then

.. math::
    e(Q) \\subseteq E_0 + \\sum_{0 < |\\gamma| \\le K} E_\\gamma\\,[\\delta^\\gamma] + [-R, R],

where [δ^γ] is [0, h^γ] for even γ and [-h^γ, h^γ] otherwise, and R collects every
remainder above.  The overestimate is O(h^{K+1}) plus the dependency loss of evaluating
the polynomial by monomials.

Cost (ours).  The branch models are evaluated once per distinct branch box (children of a
split along y share their x-part; x- and y-parts are pooled when ψ = φ); the rigorous
centre values are taken at the ``n_rigorous`` (64) centres with the largest |E_0|
(elsewhere the true enclosure [-inf, inf]).  Both keep every bound rigorous.

Scope: activations tanh, sigmoid or
softplus, r of class C^{K+1} with a sympy expression;
:class:`~verify.certify.enclosure.ErrorEnclosure` covers everything else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from .enclosure import BoxEval, error_at_points
from .float_bounds import U as _U
from .float_bounds import up_add as _up_add
from .float_bounds import up_mul as _up_mul
from .float_bounds import up_sum as _up_sum
from .interval import Interval, isum
from .mlp_bounds import Layers, box_centre, forward_float
from .multiindex import all_even, degrees, monomial_bounds, multi_indices
from .relation_taylor import RelationTaylor
from .sym_interval import UnsupportedNode, compile_interval
from .taylor_branch import branch_taylor, supports


def _half_widths(lo: np.ndarray, hi: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.maximum(np.nextafter(hi - c, np.inf), np.nextafter(c - lo, np.inf))


class TaylorErrorEnclosure:
    """Encloses e(x, y) = r(x, y) − ⟨φ(x), ψ(y)⟩ over boxes by Taylor models of order
    ``order`` (see the module docstring); same calling convention as
    :class:`~verify.certify.enclosure.ErrorEnclosure`.  ``psi_layers=None`` means ψ = φ."""

    def __init__(
        self,
        expr: sp.Expr,
        x_syms: Sequence[sp.Symbol],
        y_syms: Sequence[sp.Symbol],
        phi_layers: Layers,
        psi_layers: Layers | None,
        activation: str,
        order: int = 5,
    ):
        if order < 1:
            raise ValueError("Taylor order must be >= 1")
        self.K = order
        self.dx, self.dy = len(x_syms), len(y_syms)
        self.phi_layers = [(np.asarray(W, float), np.asarray(b, float)) for W, b in phi_layers]
        self.psi_layers = (
            self.phi_layers
            if psi_layers is None
            else [(np.asarray(W, float), np.asarray(b, float)) for W, b in psi_layers]
        )
        self.activation = activation
        self.bx = branch_taylor(self.phi_layers, activation, order)
        self.by = (
            self.bx if psi_layers is None else branch_taylor(self.psi_layers, activation, order)
        )
        if self.bx.d != self.dx or self.by.d != self.dy:
            raise ValueError("network input dims do not match the relation's x and y")
        if self.bx.m != self.by.m:
            raise ValueError("phi and psi feature dims differ")
        # monomials of each branch up to K + 1 (the extra degree for r's remainder)
        self.mx = multi_indices(self.dx, order + 1)
        self.my = multi_indices(self.dy, order + 1)
        nx, ny = len(self.bx.mono), len(self.by.mono)  # degree <= K prefixes
        dgx, dgy = degrees(self.mx), degrees(self.my)
        tot = dgx[:, None] + dgy[None, :]
        self.kept_ij = np.argwhere(tot <= order)  # pairs kept in the polynomial
        self.rem_ij = np.argwhere(tot == order + 1)
        # model product pairs (both of degree <= K) beyond degree K: into the remainder
        self.trunc_mask = tot[:nx, :ny] > order
        self.kept_gamma = [self.mx[i] + self.my[j] for i, j in self.kept_ij]
        rem_gamma = [self.mx[i] + self.my[j] for i, j in self.rem_ij]
        syms = list(x_syms) + list(y_syms)
        self.rt = RelationTaylor(expr, syms, self.kept_gamma, rem_gamma)
        self.r = compile_interval(expr, syms)
        self.even = all_even(tuple(self.kept_gamma))
        D = self.dx + self.dy
        unit = [tuple(int(q == j) for q in range(D)) for j in range(D)]
        self.grad_idx = np.array([self.kept_gamma.index(u) for u in unit])
        assert self.kept_gamma[0] == (0,) * D
        g = np.array(self.kept_gamma, dtype=float)
        deg = g.sum(1)
        self.share = np.where(deg[:, None] > 0, g / np.maximum(deg, 1)[:, None], 0.0)  # (P, D)
        self.n_rigorous: int | None = 64  # rigorous centre values per batch (None: all)
        try:
            self._r_float = sp.lambdify(syms, expr, "numpy")
        except Exception:  # noqa: BLE001 - any sympy/numpy failure: no float estimate
            self._r_float = None

    @property
    def dim(self) -> int:
        return self.dx + self.dy

    def __call__(self, lo: np.ndarray, hi: np.ndarray) -> BoxEval:
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        B = lo.shape[0]
        dx = self.dx
        Zbox = Interval(lo, hi)
        c = box_centre(Zbox)
        h = _half_widths(lo, hi, c)
        hpx = monomial_bounds(h[:, :dx], self.mx)  # (B, Mx+)
        hpy = monomial_bounds(h[:, dx:], self.my)
        nx, ny = len(self.bx.mono), len(self.by.mono)
        if self.by is self.bx:  # ψ = φ: one pool of x- and y-parts
            F, Rb, Bb = _unique_eval(
                self.bx, np.concatenate([c[:, :dx], c[:, dx:]]),
                np.concatenate([h[:, :dx], h[:, dx:]]),
                np.concatenate([hpx[:, :nx], hpy[:, :ny]]),
            )
            Fx, Rx, Bx, Fy, Ry, By = F[:B], Rb[:B], Bb[:B], F[B:], Rb[B:], Bb[B:]
        else:
            Fx, Rx, Bx = _unique_eval(self.bx, c[:, :dx], h[:, :dx], hpx[:, :nx])
            Fy, Ry, By = _unique_eval(self.by, c[:, dx:], h[:, dx:], hpy[:, :ny])
        m = Fx.shape[-1]
        # polynomial part of the model: C = Fx Fy^T (B, nx, ny), with rounding radius
        Cm = np.matmul(Fx, np.swapaxes(Fy, 1, 2))
        gam = (m + 2) * _U / (1.0 - (m + 2) * _U)
        Ca = np.matmul(np.abs(Fx), np.swapaxes(np.abs(Fy), 1, 2))
        Cr = np.nextafter(gam * Ca * (1.0 + 2.0 * gam) + m * 1e-300, np.inf)
        # remainder of the model: products with the feature remainders, and the truncated
        # polynomial terms of degree > K
        rem_model = _up_sum(
            _up_add(_up_add(_up_mul(Rx, By), _up_mul(Bx, Ry)), _up_mul(Rx, Ry)), axis=-1
        )
        hxy = _up_mul(hpx[:, :nx, None], hpy[:, None, :ny])
        trunc = np.where(self.trunc_mask[None], _up_mul(_up_add(np.abs(Cm), Cr), hxy), 0.0)
        rem_trunc = _up_sum(trunc.reshape(B, -1), axis=-1)
        # r's Taylor data
        ki, kj = self.kept_ij[:, 0], self.kept_ij[:, 1]
        rc = self.rt.coefficients(c)  # (B, P)
        ri, rj = self.rem_ij[:, 0], self.rem_ij[:, 1]
        hp_rem = _up_mul(hpx[:, ri], hpy[:, rj])
        rem_r = self.rt.remainder(Zbox, hp_rem)
        # error coefficients E = r_γ − C_γ (all kept pairs have both degrees <= K)
        Ck = Interval(Cm[:, ki, kj] - Cr[:, ki, kj], Cm[:, ki, kj] + Cr[:, ki, kj])
        Ck = Interval(np.nextafter(Ck.lo, -np.inf), np.nextafter(Ck.hi, np.inf))
        E = rc - Ck  # (B, P)
        hp = _up_mul(hpx[:, ki], hpy[:, kj])  # (B, P)
        R = _up_add(_up_add(rem_model, rem_trunc), rem_r)
        mono = Interval(np.where(self.even[None], 0.0, -hp), hp)
        poly = E[:, 0] + isum(E[:, 1:] * mono[:, 1:], axis=-1)
        enc = poly + Interval(-R, R)
        enc = Interval(np.where(np.isnan(enc.lo), -np.inf, enc.lo),
                       np.where(np.isnan(enc.hi), np.inf, enc.hi))
        # rigorous e(c) (E_0 is a midpoint) where it may raise the lower bound: at the
        # ``n_rigorous`` centres with the largest float estimate |E_0|; elsewhere the
        # (true) enclosure [-inf, inf], whose mignitude 0 never raises a lower bound
        centre_value = self._centre_values(c, np.abs(0.5 * (E.lo[:, 0] + E.hi[:, 0])))
        grad = E[:, self.grad_idx]  # first-order coefficients ≈ ∇e(c), for split scores
        contrib = E.mag() * hp  # (B, P)
        score = contrib @ self.share + (R / np.maximum(h.sum(-1), 1e-300))[:, None] * h
        return BoxEval(enc, enc, c, centre_value, grad, score)

    def _centre_values(self, c: np.ndarray, est: np.ndarray) -> Interval:
        k = self.n_rigorous
        if k is None or len(c) <= k:
            return self.at_points(c)
        top = np.argpartition(np.where(np.isfinite(est), -est, 0.0), k - 1)[:k]
        lo, hi = np.full(len(c), -np.inf), np.full(len(c), np.inf)
        v = self.at_points(c[top])
        lo[top], hi[top] = v.lo, v.hi
        return Interval(lo, hi)

    def at_points(self, pts: np.ndarray) -> Interval:
        """Rigorous enclosure of e at points (n, dx + dy) (width ~ a few ulps)."""
        return error_at_points(
            self.r, self.phi_layers, self.psi_layers, self.activation, self.dx, pts
        )

    def estimate(self, pts: np.ndarray) -> np.ndarray | None:
        """Plain-float e at points (n, dx + dy), not rigorous: it only chooses where
        :meth:`at_points` is worth calling (None where r has no numpy form)."""
        if self._r_float is None:
            return None
        dx = self.dx
        with np.errstate(all="ignore"):
            fx = forward_float(self.phi_layers, self.activation, pts[:, :dx])
            fy = forward_float(self.psi_layers, self.activation, pts[:, dx:])
            rv = np.broadcast_to(self._r_float(*pts.T), (len(pts),))
            return np.asarray(rv, float) - (fx * fy).sum(-1)


def _unique_eval(branch, c: np.ndarray, h: np.ndarray, hp: np.ndarray):
    """``branch(c, h, hp)`` evaluated once per distinct (c, h) row (ours): a split along a
    y-coordinate leaves both children with the same x-part, so a batch repeats branch boxes;
    identical inputs give identical outputs, so this is exact."""
    _, first, inv = np.unique(np.concatenate([c, h], 1), axis=0, return_index=True,
                              return_inverse=True)
    if len(first) == len(c):
        return branch(c, h, hp)
    inv = inv.reshape(-1)
    F, R, Bd = branch(c[first], h[first], hp[first])
    return F[inv], R[inv], Bd[inv]


def try_taylor(
    expr: sp.Expr,
    x_syms: Sequence[sp.Symbol],
    y_syms: Sequence[sp.Symbol],
    phi_layers: Layers,
    psi_layers: Layers | None,
    activation: str,
    order: int = 5,
) -> TaylorErrorEnclosure | None:
    """A :class:`TaylorErrorEnclosure` when the model and relation are in scope, else None
    (ReLU or other non-smooth activations, relations whose derivatives sympy or the
    interval evaluator cannot handle, such as |x − y|)."""
    if not supports(phi_layers, activation):
        return None
    if psi_layers is not None and not supports(psi_layers, activation):
        return None
    try:
        return TaylorErrorEnclosure(
            expr, x_syms, y_syms, phi_layers, psi_layers, activation, order
        )
    except UnsupportedNode:
        return None
