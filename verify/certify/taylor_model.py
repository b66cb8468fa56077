"""Taylor-model enclosure of the error r − ⟨φ, ψ⟩ for one-hidden-layer networks (ours).

The interval mean-value and second-order forms of :mod:`.enclosure` bound derivatives of
each hidden unit separately, so the large, cancelling output weights of a trained witness
inflate them; on a 4-D box the bound stays several times the true error (issue 6).
A Taylor model keeps the cancellation up to order K and only pays for it at order K+1.

Branch.  For φ(x) = A σ(W x + b) + a, a box X = c + [-h, h] and the float centre
pre-activation ẑ_i (the true one lies in ẑ_i ± η_i), write z_i(c + δ) = ẑ_i + t_i with
t_i = η'_i + w_i·δ, |η'_i| ≤ η_i, |w_i·δ| ≤ ρ_i = Σ_j |W_ij| h_j.  Taylor's theorem in one
variable gives

.. math::
    \\sigma(z_i) = \\sum_{k \\le K} \\frac{\\sigma^{(k)}(\\hat z_i)}{k!} (w_i\\cdot\\delta)^k
    + R_i,\\quad
    |R_i| \\le \\sum_{k=1}^{K} \\frac{|\\sigma^{(k)}(\\hat z_i)|}{k!}
    \\big((\\rho_i+\\eta_i)^k - \\rho_i^k\\big)
    + \\frac{\\max|\\sigma^{(K+1)}|}{(K+1)!} (\\rho_i+\\eta_i)^{K+1},

and (w·δ)^k / k! = Σ_{|α|=k} w^α δ^α / α!.  So every feature is a polynomial
Σ_α F_{kα} δ^α of degree K plus a remainder |A| R; the coefficients are enclosed in
interval arithmetic, then replaced by their float midpoints with the radii moved into the
remainder (radius · h^α).

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
the polynomial by monomials.  Scope: one hidden layer, activations tanh, sigmoid or
softplus, r of class C^{K+1} with a sympy expression;
:class:`~verify.certify.enclosure.ErrorEnclosure` covers everything else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from . import activation_taylor as act
from .enclosure import BoxEval
from .interval import Interval, isum, matvec
from .mlp_bounds import Layers, box_centre, ibp
from .multiindex import all_even, degrees, factorial_of, monomial_bounds, multi_indices
from .relation_taylor import RelationTaylor
from .sym_interval import UnsupportedNode, compile_interval

_U = 2.0**-53


def _up_sum(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Upper bound on the exact sum of non-negative floats (rounding inflated)."""
    n = a.shape[axis]
    s = a.sum(axis=axis)
    return np.nextafter(s * (1.0 + 2.0 * (n + 2) * _U), np.inf)


def _up_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Upper bound on the exact product of non-negative floats."""
    return np.nextafter(a * b, np.inf)


def _up_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.nextafter(a + b, np.inf)


def supports(layers: Layers, activation: str) -> bool:
    """Whether a branch is in this module's scope (one hidden layer, smooth activation)."""
    return len(layers) == 2 and activation in act.SMOOTH


class BranchTaylor:
    """Taylor models of order K of a one-hidden-layer MLP branch over boxes."""

    def __init__(self, layers: Layers, activation: str, order: int):
        if not supports(layers, activation):
            raise ValueError(
                "Taylor models cover one-hidden-layer MLPs with tanh, sigmoid or softplus"
            )
        (W, b), (A, a) = [(np.asarray(M, float), np.asarray(v, float)) for M, v in layers]
        self.W, self.b, self.A, self.a = W, b, A, a
        self.absW, self.absA = np.abs(W), np.abs(A)
        self.activation, self.K = activation, order
        self.d = W.shape[1]
        self.mono = multi_indices(self.d, order)
        self.deg = degrees(self.mono)
        # w^α / α! per monomial and unit, rigorous: (M, n)
        Wp = Interval.point(W)
        rows = []
        for g in self.mono:
            acc = Interval.point(np.ones(W.shape[0]))
            for j, v in enumerate(g):
                if v:
                    acc = acc * Wp[:, j].ipow(v)
            rows.append(acc * Interval.rational(1, factorial_of(g)))
        wpow = Interval(np.stack([r.lo for r in rows]), np.stack([r.hi for r in rows]))
        self.wpow_mid, self.wpow_rad = wpow.mid_rad()  # (M, n)
        self.wpow_mid[0], self.wpow_rad[0] = 1.0, 0.0  # α = 0: exactly 1

    def __call__(
        self, c: np.ndarray, h: np.ndarray, h_pow: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For boxes c + [-h, h] (c, h of shape (B, d); ``h_pow`` (B, M) bounds on h^α):
        return float coefficients F (B, M, m), remainders R (B, m) and bounds on the
        polynomial parts' absolute values Bd (B, m).

        The big tensors are computed in plain floats (midpoint-radius): every radius is
        an a-priori rounding bound (Higham) inflated by :func:`_inf`, so no per-element
        directed rounding is needed."""
        K, n = self.K, self.W.shape[0]
        Z0 = matvec(self.W, Interval.point(c), self.b)
        zh, eta = Z0.mid_rad()
        rho = matvec(self.absW, Interval.point(h)).hi  # ≥ Σ_j |W_ij| h_j
        t = _inf(rho + eta, 1)  # ≥ |z - ẑ| on the box
        # σ^(k)(ẑ), k = 0..K: float values D and absolute error bounds Drad
        D, Drad = _derivatives_float(self.activation, zh, K)
        # per-unit remainder (module docstring): shift terms ≤ k t^(k-1) η (mean value)
        # (powers by repeated multiplication: correctly rounded steps, unlike libm pow)
        R = np.zeros_like(zh)
        tp = np.ones_like(t)  # t^(k-1)
        for k in range(1, K + 1):
            R = R + (np.abs(D[k]) + Drad[k]) * (k * tp * eta) / _fact(k)
            tp = tp * t
        mk = _derivative_range_bound(self.activation, zh, t, K + 1)
        R = _inf(R + mk * (tp * t) / _fact(K + 1), 8 * K + 16)
        # hidden-unit coefficients U[b, α, i] = σ^(|α|)(ẑ_i) w_i^α / α!  (B, M, n)
        Dm = np.stack([D[k] for k in self.deg], 1)
        U = Dm * self.wpow_mid[None]
        # features F = A U (+ a on the constant): midpoint and radius
        F = U @ self.A.T  # (B, M, m)
        absF = np.abs(U) @ self.absA.T
        g = (n + 4) * _U / (1.0 - (n + 4) * _U)
        # radius: matmul rounding + product rounding (u|U|) + wpow and D radii
        Frad = (g + 2 * _U) * absF * (1.0 + 4 * g) + self._rad_const(Drad)[None]
        F[:, 0, :] += self.a
        Frad[:, 0, :] += 2 * _U * (np.abs(F[:, 0, :]) + np.abs(self.a))
        Frad = _inf(Frad, 4)
        R_feat = _inf(R @ self.absA.T, n + 2)
        R_feat = _inf(R_feat + (Frad * h_pow[:, :, None]).sum(1), len(self.mono) + 4)
        Bd = _inf((np.abs(F) * h_pow[:, :, None]).sum(1), len(self.mono) + 2)
        R_feat = np.where(np.isfinite(R_feat), R_feat, np.inf)
        return F, R_feat, Bd

    def _rad_const(self, Drad: list[np.ndarray]) -> np.ndarray:
        """(M, m) bound on |A| (Drad_|α| |w^α/α!|_mid + (|D| + Drad) rad(w^α/α!)), with
        |D| ≤ its global bound; independent of the box."""
        dmax = [float(np.max(v)) for v in Drad]
        gb = [_d_abs_bound(self.activation, k) for k in range(self.K + 1)]
        rows = [  # α = 0: w^α/α! is exactly 1 (no radius; softplus itself is unbounded)
            dmax[k] * np.abs(self.wpow_mid[a_i])
            + (0.0 if k == 0 else (gb[k] + dmax[k]) * self.wpow_rad[a_i])
            for a_i, k in enumerate(self.deg)
        ]
        return _inf(np.stack(rows) @ self.absA.T, self.A.shape[1] + 6)


def _inf(x: np.ndarray, ops: int) -> np.ndarray:
    """Upper bound on the exact value of a non-negative quantity computed in floats with
    at most ``ops`` roundings (each relative u): x (1 + 2 ops u) plus an underflow term."""
    return x * (1.0 + 2.0 * (ops + 2) * _U) + (ops + 2) * 1e-300


def _d_abs_bound(activation: str, k: int) -> float:
    """Upper bound on sup |σ^(k)|, used only where w^α/α! has a radius, i.e. k ≥ 1
    (the α = 0 coefficient is exactly 1; softplus itself is unbounded)."""
    if k == 0:
        return 1.0 if activation != "softplus" else np.inf
    return act.global_bound(activation, k)


def _derivatives_float(
    activation: str, z: np.ndarray, K: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """σ^(k)(z), k = 0..K, in floats with absolute error bounds: the base value (tanh or
    sigmoid) is off by at most |t|·2^-40 + 1e-300 (our libm margin, see .interval), which
    moves p_k by at most S'·that; float Horner adds at most γ_{2n}·S (|t| ≤ 1)."""
    polys = act.derivative_polys(activation, K)
    from .interval import TRANSCENDENTAL_ABS, TRANSCENDENTAL_REL, _sigmoid, _softplus

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
        g = 2 * len(p) * _U / (1.0 - 2 * len(p) * _U)
        Drad.append(_inf(Sp * dt + g * S, 4))
    return D, Drad


def _derivative_range_bound(activation: str, z: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """Upper bound on max |σ^(k)| over [z - t, z + t] (k ≥ 1): with the base value b in
    [b_lo, b_hi] (monotone), |p(b)| ≤ |p(b_mid)| + S'·(b_hi - b_lo)/2 + rounding, capped by
    the global bound."""
    from .interval import TRANSCENDENTAL_ABS, TRANSCENDENTAL_REL, _sigmoid

    f = np.tanh if activation == "tanh" else _sigmoid
    lo, hi = f(z - t), f(z + t)  # z ± t rounded: absorbed by the relative margin below
    half = 0.5 * (hi - lo) + 0.5 * (np.abs(lo) + np.abs(hi)) * TRANSCENDENTAL_REL
    # rounding of z ± t moves the argument by at most u(|z| + t), tanh/sigmoid are
    # 1-Lipschitz; the float half-width and midpoint add a few ulps of |lo| + |hi|
    half = half + TRANSCENDENTAL_ABS + 4 * _U * (np.abs(lo) + np.abs(hi)) + 2 * _U * (np.abs(z) + t)
    mid = 0.5 * (lo + hi)
    p = act.derivative_polys(activation, k)[k]
    S, Sp = act.abs_coeff_sums(activation, k)
    g = 2 * len(p) * _U / (1.0 - 2 * len(p) * _U)
    local = _inf(np.abs(act.horner_float(p, mid)) + Sp * half + g * S, 6)
    return np.minimum(local, act.global_bound(activation, k))


def _fact(k: int) -> int:
    out = 1
    for i in range(2, k + 1):
        out *= i
    return out


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
        order: int = 3,
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
        self.bx = BranchTaylor(self.phi_layers, activation, order)
        self.by = (
            self.bx if psi_layers is None else BranchTaylor(self.psi_layers, activation, order)
        )
        if self.bx.d != self.dx or self.by.d != self.dy:
            raise ValueError("network input dims do not match the relation's x and y")
        if self.bx.A.shape[0] != self.by.A.shape[0]:
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
        Fx, Rx, Bx = self.bx(c[:, :dx], h[:, :dx], hpx[:, :nx])
        Fy, Ry, By = self.by(c[:, dx:], h[:, dx:], hpy[:, :ny])
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
        centre_value = self.at_points(c)  # rigorous e(c) (E_0 is a midpoint)
        grad = E[:, self.grad_idx]  # first-order coefficients ≈ ∇e(c), for split scores
        contrib = E.mag() * hp  # (B, P)
        score = contrib @ self.share + (R / np.maximum(h.sum(-1), 1e-300))[:, None] * h
        return BoxEval(enc, enc, c, centre_value, grad, score)

    def at_points(self, pts: np.ndarray) -> Interval:
        """Rigorous enclosure of e at points (n, dx + dy) (width ~ a few ulps)."""
        P = Interval.point(pts)
        Phi = ibp(self.phi_layers, self.activation, P[:, : self.dx])
        Psi = ibp(self.psi_layers, self.activation, P[:, self.dx :])
        return self.r(P) - isum(Phi * Psi, axis=-1)


def try_taylor(
    expr: sp.Expr,
    x_syms: Sequence[sp.Symbol],
    y_syms: Sequence[sp.Symbol],
    phi_layers: Layers,
    psi_layers: Layers | None,
    activation: str,
    order: int = 3,
) -> TaylorErrorEnclosure | None:
    """A :class:`TaylorErrorEnclosure` when the model and relation are in scope, else None
    (deeper nets, ReLU, relations whose derivatives sympy or the interval evaluator cannot
    handle)."""
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
