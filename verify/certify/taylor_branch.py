r"""Taylor models of MLP branches over boxes (ours).

A Taylor model of a feature φ_k over a box X = c + [-h, h] is a polynomial
Σ_{|α| ≤ K} F_{kα} δ^α in δ = x − c with float coefficients plus a remainder R_k ≥ 0 such that
|φ_k(c + δ) − Σ_α F_{kα} δ^α| ≤ R_k on the whole box.  Every rounding error and every
coefficient uncertainty is moved into R (an uncertainty ρ on F_{kα} costs ρ·h^α), using the
a-priori bounds of :mod:`.float_bounds`.

One hidden layer (:class:`BranchTaylor`).  For φ(x) = A σ(W x + b) + a, a box
X = c + [-h, h] and the float centre
pre-activation ẑ_i (the true one lies in ẑ_i ± η_i), write z_i(c + δ) = ẑ_i + t_i with
t_i = η'_i + w_i·δ, |η'_i| ≤ η_i, |w_i·δ| ≤ ρ_i = Σ_j |W_ij| h_j.  Taylor's theorem in one
variable gives

.. math::
    \sigma(z_i) = \sum_{k \le K} \frac{\sigma^{(k)}(\hat z_i)}{k!} (w_i\cdot\delta)^k
    + R_i,\quad
    |R_i| \le \sum_{k=1}^{K} \frac{|\sigma^{(k)}(\hat z_i)|}{k!}
    \big((\rho_i+\eta_i)^k - \rho_i^k\big)
    + \frac{\max|\sigma^{(K+1)}|}{(K+1)!} (\rho_i+\eta_i)^{K+1},

and (w·δ)^k / k! = Σ_{|α|=k} w^α δ^α / α!.  So every feature is a polynomial
Σ_α F_{kα} δ^α of degree K plus a remainder |A| R; the coefficients are enclosed in
interval arithmetic, then replaced by their float midpoints with the radii moved into the
remainder (radius · h^α).

Deeper networks (:class:`DeepBranchTaylor`).  Affine layers act on the coefficients
(z = W·P + b, remainder |W|·R); an activation is expanded around the model's constant term
c_0: with z = c_0 + q + ε, q the non-constant polynomial part (|q| ≤ B_q on the box) and
|ε| ≤ R,

.. math::
    \sigma(z) = \sum_{k \le K} \frac{\sigma^{(k)}(c_0)}{k!} q^k + R',\quad
    |R'| \le \sum_{k=1}^{K} \frac{|\sigma^{(k)}(c_0)|}{k!}
    \big(E_k + (B_q + R)^k - B_q^k\big)
    + \frac{\max|\sigma^{(K+1)}|}{(K+1)!} (B_q + R)^{K+1},

where q^k is computed by repeated multiplication truncated at degree K and E_k bounds the
truncated terms (E_k = E_{k-1} B_q + Σ_{discarded} |Q_a||q_b| h^{a+b}).
"""

from __future__ import annotations

from math import factorial as _fact

import numpy as np

from . import activation_taylor as act
from .float_bounds import U as _U
from .float_bounds import d_abs_bound as _d_abs_bound
from .float_bounds import derivative_range_bound as _derivative_range_bound
from .float_bounds import derivatives_float as _derivatives_float
from .float_bounds import inflate as _inf
from .interval import Interval, matvec
from .mlp_bounds import Layers
from .multiindex import degrees, factorial_of, multi_indices


def supports(layers: Layers, activation: str) -> bool:
    """Whether a branch is in this module's scope (at least one hidden layer, smooth
    activation)."""
    return len(layers) >= 2 and activation in act.SMOOTH


def _affine_float(
    W: np.ndarray, absW: np.ndarray, b: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Float ẑ = c Wᵀ + b and η ≥ |exact − ẑ|: BLAS rounding of an (n + 1)-term sum is at
    most γ_{n+1} (|c||W|ᵀ + |b|) (Higham, Thm 3.5), inflated for the rounding of that bound
    itself and for underflow."""
    n = W.shape[1]
    zh = c @ W.T + b
    g = (n + 3) * _U / (1.0 - (n + 3) * _U)
    eta = _inf(g * (np.abs(c) @ absW.T + np.abs(b)) * (1.0 + 2.0 * g), n + 4)
    return zh, eta


class BranchTaylor:
    """Taylor models of order K of a one-hidden-layer MLP branch over boxes."""

    def __init__(self, layers: Layers, activation: str, order: int):
        if len(layers) != 2 or not supports(layers, activation):
            raise ValueError(
                "BranchTaylor covers one-hidden-layer MLPs with tanh, sigmoid or softplus"
            )
        (W, b), (A, a) = [(np.asarray(M, float), np.asarray(v, float)) for M, v in layers]
        self.W, self.b, self.A, self.a = W, b, A, a
        self.absW, self.absA = np.abs(W), np.abs(A)
        self.activation, self.K = activation, order
        self.d, self.m = W.shape[1], A.shape[0]
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
        # per degree k: G_k[i, (α, j)] = fl(w_i^α/α! · A_ji) over the monomials of degree k,
        # so the features of degree k are one matrix product σ^(k)(ẑ) @ G_k (no (B, M, n)
        # intermediate)
        self.by_degree = []
        for k in range(order + 1):
            idx = np.flatnonzero(self.deg == k)
            G = self.wpow_mid[idx][:, :, None] * A.T[None]  # (M_k, n, m)
            G = np.ascontiguousarray(np.moveaxis(G, 0, 1).reshape(W.shape[0], -1))
            # Σ_i |G_k[i, (α, j)]|, rounded up: with max_i |σ^(k)(ẑ_i)| it bounds the
            # sum of |terms| of the product without a second matrix product
            colsum = _inf(np.abs(G).sum(0), W.shape[0] + 2).reshape(len(idx), -1)
            self.by_degree.append((k, idx, G, colsum))

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
        zh, eta = _affine_float(self.W, self.absW, self.b, c)
        rho = _inf(h @ self.absW.T, self.d + 2)  # ≥ Σ_j |W_ij| h_j (h ≥ 0)
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
        # features F[b, α, j] = Σ_i σ^(|α|)(ẑ_i) (w_i^α / α!) A_ji (+ a on the constant),
        # one matrix product per degree; absF ≥ Σ_i |terms|, bounded by
        # max_i |σ^(k)(ẑ_i)| · Σ_i |G_k[i, (α, j)]| (only the rounding radius uses it)
        B, m = zh.shape[0], self.m
        F = np.empty((B, len(self.mono), m))
        absF = np.empty_like(F)
        for k, idx, G, colsum in self.by_degree:
            F[:, idx, :] = (D[k] @ G).reshape(B, len(idx), m)
            dmax = np.abs(D[k]).max(axis=1)  # exact (max of floats)
            absF[:, idx, :] = _inf(dmax[:, None, None] * colsum[None], 1)
        g = (n + 4) * _U / (1.0 - (n + 4) * _U)
        # radius: matmul rounding + product rounding (u|w^α A| and u|D w^α A|) + wpow and
        # D radii
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




class DeepBranchTaylor:
    """Taylor models of order K of an MLP branch with two or more hidden layers (smooth
    activation), by Taylor-model arithmetic layer by layer (module docstring)."""

    def __init__(self, layers: Layers, activation: str, order: int):
        if not supports(layers, activation):
            raise ValueError("Taylor models need a smooth activation (tanh, sigmoid, softplus)")
        self.layers = [(np.asarray(W, float), np.asarray(b, float)) for W, b in layers]
        self.activation, self.K = activation, order
        self.d = self.layers[0][0].shape[1]
        self.m = self.layers[-1][0].shape[0]
        self.mono = multi_indices(self.d, order)
        self.deg = degrees(self.mono)
        index = {g: i for i, g in enumerate(self.mono)}
        self.linear = [index[tuple(int(q == j) for q in range(self.d))] for j in range(self.d)]
        # product table: for each non-constant monomial b, the a with |a| + |b| <= K and the
        # index of a + b (distinct for fixed b, so fancy-index += is safe)
        self.mul = []
        for bi, gb in enumerate(self.mono):
            if bi == 0:
                continue
            pairs = [
                (ai, index[tuple(x + y for x, y in zip(ga, gb))])
                for ai, ga in enumerate(self.mono)
                if sum(ga) + sum(gb) <= order
            ]
            src, tgt = (np.array(v, dtype=int) for v in zip(*pairs))
            self.mul.append((bi, src, tgt))

    def __call__(
        self, c: np.ndarray, h: np.ndarray, h_pow: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Same contract as :meth:`BranchTaylor.__call__`."""
        W, b = self.layers[0]
        Z0 = matvec(W, Interval.point(c), b)
        zh, eta = Z0.mid_rad()
        B, n = zh.shape
        P = np.zeros((B, len(self.mono), n))
        P[:, 0, :] = zh
        for j, i in enumerate(self.linear):
            P[:, i, :] = W[:, j]
        R = eta
        for W, b in self.layers[1:]:
            P, R = self._activate(P, R, h_pow)
            P, R = self._affine(P, R, W, b, h_pow)
        Bd = _inf((np.abs(P) * h_pow[:, :, None]).sum(1), len(self.mono) + 2)
        R = np.where(np.isfinite(R), R, np.inf)
        return P, R, Bd

    def _sweep(self, rad: np.ndarray, h_pow: np.ndarray) -> np.ndarray:
        """Σ_α rad_α h^α (B, n): what coefficient uncertainties cost over the box."""
        return _inf((rad * h_pow[:, :, None]).sum(1), len(self.mono) + 2)

    def _affine(self, P, R, W, b, h_pow):
        n = W.shape[1]
        Pn = P @ W.T
        Pn[:, 0, :] += b
        absW = np.abs(W)
        S = np.abs(P) @ absW.T
        S[:, 0, :] += np.abs(b)
        g = (n + 3) * _U / (1.0 - (n + 3) * _U)
        rad = g * S * (1.0 + 4 * g)
        Rn = _inf(_inf(R @ absW.T, n + 2) + self._sweep(rad, h_pow), 2)
        return Pn, Rn

    def _power_step(self, Qk, q, h_pow):
        """(trunc(Qk·q), rounding sweep, discarded-terms bound), all (B, ...)."""
        K = self.K
        out = np.zeros_like(Qk)
        shadow = np.zeros_like(Qk)
        aQ, aq = np.abs(Qk), np.abs(q)
        for bi, src, tgt in self.mul:
            out[:, tgt, :] += Qk[:, src, :] * q[:, bi : bi + 1, :]
            shadow[:, tgt, :] += aQ[:, src, :] * aq[:, bi : bi + 1, :]
        M = len(self.mono)
        g = (M + 3) * _U / (1.0 - (M + 3) * _U)
        rounding = self._sweep(g * shadow * (1.0 + 4 * g), h_pow)
        # discarded pairs |a| + |b| > K, grouped by degree
        wq = aQ * h_pow[:, :, None]
        wb = aq * h_pow[:, :, None]
        GQ = [wq[:, self.deg == k, :].sum(1) for k in range(K + 1)]
        Gb = [wb[:, self.deg == k, :].sum(1) for k in range(K + 1)]
        disc = np.zeros_like(Qk[:, 0, :])
        for ga in range(K + 1):
            tail = sum((Gb[gb] for gb in range(max(1, K - ga + 1), K + 1)), np.zeros_like(disc))
            disc = disc + GQ[ga] * tail
        return out, rounding, _inf(disc, 4 * M + 8)

    def _activate(self, P, R, h_pow):
        K, M = self.K, len(self.mono)
        c0 = P[:, 0, :].copy()
        q = P.copy()
        q[:, 0, :] = 0.0
        Bq = _inf((np.abs(q) * h_pow[:, :, None]).sum(1), M + 2)
        t = _inf(Bq + R, 1)
        D, Drad = _derivatives_float(self.activation, c0, K)
        out = np.zeros_like(P)
        out[:, 0, :] = D[0]
        shadow = np.zeros_like(P)
        shadow[:, 0, :] = np.abs(D[0])
        coef_rad = np.zeros_like(P)
        coef_rad[:, 0, :] = Drad[0]
        Rn = np.zeros_like(c0)
        Qk, Ek = q, np.zeros_like(c0)
        tp = np.ones_like(t)  # t^(k-1)
        for k in range(1, K + 1):
            if k > 1:
                Qk, rounding, disc = self._power_step(Qk, q, h_pow)
                Ek = _inf(Ek * Bq + disc + rounding, 4)
            ck = D[k] / _fact(k)
            out += ck[:, None, :] * Qk
            shadow += np.abs(ck)[:, None, :] * np.abs(Qk)
            coef_rad += (Drad[k] / _fact(k))[:, None, :] * np.abs(Qk)
            # (B_q + R)^k - B_q^k <= k t^(k-1) R
            Rn = Rn + (np.abs(D[k]) + Drad[k]) / _fact(k) * (Ek + k * tp * R)
            tp = tp * t
        mk = _derivative_range_bound(self.activation, c0, t, K + 1)
        Rn = _inf(Rn + mk * (tp * t) / _fact(K + 1), 8 * K + 16)
        g = (K + 4) * _U / (1.0 - (K + 4) * _U)
        rad = _inf(coef_rad + 2 * g * shadow, 4)
        return out, _inf(Rn + self._sweep(rad, h_pow), 2)


def branch_taylor(layers: Layers, activation: str, order: int):
    """The Taylor-model evaluator for a branch: :class:`BranchTaylor` for one hidden layer,
    :class:`DeepBranchTaylor` for more."""
    if len(layers) == 2:
        return BranchTaylor(layers, activation, order)
    return DeepBranchTaylor(layers, activation, order)
