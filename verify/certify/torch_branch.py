r"""Taylor models of MLP branches, and rigorous point values, on torch (ours).

The torch ports of :class:`verify.certify.taylor_branch.BranchTaylor` and
:class:`~verify.certify.taylor_branch.DeepBranchTaylor` (same mathematics, same bounds, see
that module's docstring), so the dominant work of a leaf batch (the coefficient
tensor ``U`` (B, M, n) and the products ``U A^T``) runs on any torch device. Every float
result carries an a-priori rounding bound instead of per-element directed rounding: a
sum of ``n`` products computed in floats, in any order, with or without FMA, is within

.. math::
    |\hat s - s| \le \gamma_n \sum_i |a_i b_i|, \qquad \gamma_n = \frac{n u}{1 - n u},
    \quad u = 2^{-53}

(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., Thm 3.5 / eq. (3.5)),
which holds for cuBLAS and CPU BLAS alike (float64 only: no TF32 or reduced-precision paths
exist for double). Non-negative quantities computed with ``ops`` roundings are inflated by
:func:`inflate` (the numpy :func:`verify.certify.float_bounds.inflate`).
"""

from __future__ import annotations

from math import factorial as _fact

import numpy as np
import torch

from . import activation_taylor as act
from .float_bounds import d_abs_bound
from .interval import TRANSCENDENTAL_ABS, TRANSCENDENTAL_REL
from .taylor_branch import BranchTaylor, DeepBranchTaylor
from .torch_interval import up

U = 2.0**-53
TORCH_ACTIVATIONS = ("tanh", "sigmoid")


def inflate(x: torch.Tensor, ops: int) -> torch.Tensor:
    """Upper bound on a non-negative quantity computed with ≤ ``ops`` roundings."""
    return x * (1.0 + 2.0 * (ops + 2) * U) + (ops + 2) * 1e-300


def gamma(n: int) -> float:
    return n * U / (1.0 - n * U)


def _base(activation: str, z: torch.Tensor) -> torch.Tensor:
    return torch.tanh(z) if activation == "tanh" else torch.sigmoid(z)


def horner(coeffs: np.ndarray, t: torch.Tensor) -> torch.Tensor:
    """Plain float Horner (error ≤ γ_{2n}·Σ|a_i| for |t| ≤ 1, Higham eq. 5.3)."""
    acc = torch.full_like(t, float(coeffs[-1]))
    for a in coeffs[-2::-1]:
        acc = acc * t + float(a)
    return acc


def derivatives(activation: str, z: torch.Tensor, K: int):
    """σ^(k)(z), k = 0..K, with absolute error bounds (as
    :func:`verify.certify.float_bounds.derivatives_float`)."""
    polys = act.derivative_polys(activation, K)
    tb = _base(activation, z)
    dt = tb.abs() * TRANSCENDENTAL_REL + TRANSCENDENTAL_ABS
    D, Drad = [], []
    for k in range(K + 1):
        p = polys[k]
        S, Sp = act.abs_coeff_sums(activation, k) if k else (1.0, 1.0)
        D.append(horner(p, tb))
        Drad.append(inflate(Sp * dt + gamma(2 * len(p)) * S, 4))
    return D, Drad


def derivative_range(activation: str, z: torch.Tensor, t: torch.Tensor, k: int) -> torch.Tensor:
    """Upper bound on max |σ^(k)| over [z − t, z + t] (as
    :func:`verify.certify.float_bounds.derivative_range_bound`)."""
    lo, hi = _base(activation, z - t), _base(activation, z + t)
    s = lo.abs() + hi.abs()
    half = 0.5 * (hi - lo) + 0.5 * s * TRANSCENDENTAL_REL
    half = half + TRANSCENDENTAL_ABS + 4 * U * s + 2 * U * (z.abs() + t)
    p = act.derivative_polys(activation, k)[k]
    S, Sp = act.abs_coeff_sums(activation, k)
    local = inflate(horner(p, 0.5 * (lo + hi)).abs() + Sp * half + gamma(2 * len(p)) * S, 6)
    return torch.clamp_max(local, act.global_bound(activation, k))


def affine_point(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor, dx: torch.Tensor):
    """``(ŷ, δ)``: float ``ŷ = x Wᵀ + b`` and a bound on ``|ŷ − (x' Wᵀ + b)|`` for every
    ``|x' − x| ≤ dx``: ``δ = |W| dx + γ_{n+1}(|x||W|ᵀ + |b|)`` inflated."""
    n = W.shape[1]
    aW = W.abs().T
    y = x @ W.T + b
    g = gamma(n + 3)
    rnd = g * (x.abs() @ aW + b.abs()) * (1.0 + 2.0 * g)
    return y, inflate(dx @ aW + rnd, n + 2) + (n + 2) * 1e-300


def network_at_points(layers, activation: str, x: torch.Tensor):
    """``(φ̂, δ)`` with ``|φ(x) − φ̂| ≤ δ`` at float points ``x`` (any depth): affine layers by
    :func:`affine_point`, activations 1-Lipschitz (tanh, sigmoid) plus the libm margin."""
    err = torch.zeros_like(x)
    for i, (W, b) in enumerate(layers):
        x, err = affine_point(W, b, x, err)
        if i + 1 < len(layers):
            a = _base(activation, x)
            err = inflate(err + a.abs() * TRANSCENDENTAL_REL + TRANSCENDENTAL_ABS, 3)
            x = a
    return x, err


class TorchBranchTaylor:
    """:class:`~verify.certify.taylor_branch.BranchTaylor` on torch: the same coefficients,
    remainders and bounds, on ``device``."""

    def __init__(self, branch: BranchTaylor, device: torch.device):
        if branch.activation not in TORCH_ACTIVATIONS:
            raise ValueError(f"torch Taylor branches support {TORCH_ACTIVATIONS}")
        t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64), device=device)  # noqa: E731
        self.src, self.activation, self.K = branch, branch.activation, branch.K
        self.W, self.b, self.A, self.a = t(branch.W), t(branch.b), t(branch.A), t(branch.a)
        self.absW, self.absA = self.W.abs(), self.A.abs()
        self.wpow_mid, self.wpow_rad = t(branch.wpow_mid), t(branch.wpow_rad)
        self.deg = torch.as_tensor(branch.deg, device=device)
        self.d, self.m, self.n = branch.d, branch.m, branch.W.shape[0]
        gb = [d_abs_bound(self.activation, k) for k in range(self.K + 1)]
        self.gb = t(gb)[self.deg]  # (M,)

    def __call__(self, c: torch.Tensor, h: torch.Tensor, h_pow: torch.Tensor):
        """``(F (B, M, m), R (B, m), Bd (B, m))`` as in :meth:`BranchTaylor.__call__`."""
        K, n, act_ = self.K, self.n, self.activation
        zh, eta = affine_point(self.W, self.b, c, torch.zeros_like(c))
        rho = inflate(h @ self.absW.T, self.d + 1)
        t = inflate(rho + eta, 1)
        D, Drad = derivatives(act_, zh, K)
        R = torch.zeros_like(zh)
        tp = torch.ones_like(t)
        for k in range(1, K + 1):
            R = R + (D[k].abs() + Drad[k]) * (k * tp * eta) / _fact(k)
            tp = tp * t
        mk = derivative_range(act_, zh, t, K + 1)
        R = inflate(R + mk * (tp * t) / _fact(K + 1), 8 * K + 16)
        Dm = torch.stack(D, 1)[:, self.deg, :]  # (B, M, n)
        Uc = Dm * self.wpow_mid[None]
        F = Uc @ self.A.T
        absF = Uc.abs() @ self.absA.T
        g = gamma(n + 4)
        dmax = torch.stack([v.amax() for v in Drad])[self.deg]  # (M,) on the device
        rows = dmax[:, None] * self.wpow_mid.abs() + torch.where(
            self.deg[:, None] == 0, 0.0, (self.gb + dmax)[:, None] * self.wpow_rad)
        rad_const = inflate(rows @ self.absA.T, n + 6)
        Frad = (g + 2 * U) * absF * (1.0 + 4 * g) + rad_const[None]
        F[:, 0, :] += self.a
        Frad[:, 0, :] += 2 * U * (F[:, 0, :].abs() + self.a.abs())
        Frad = inflate(Frad, 4)
        M = Dm.shape[1]
        R_feat = inflate(R @ self.absA.T, n + 2)
        R_feat = inflate(R_feat + (Frad * h_pow[:, :, None]).sum(1), M + 4)
        Bd = inflate((F.abs() * h_pow[:, :, None]).sum(1), M + 2)
        R_feat = torch.where(torch.isfinite(R_feat), R_feat, torch.inf)
        return F, R_feat, Bd


def monomial_bounds(h: torch.Tensor, G: torch.Tensor, kmax: int) -> torch.Tensor:
    """Upper bounds (B, M) on h^γ for the multi-indices ``G`` (M, d), h ≥ 0 (every product
    rounded up: ``up(a·b)`` ≥ the exact product of non-negative floats)."""
    B, d = h.shape
    pw = [torch.ones_like(h)]
    for _ in range(kmax):
        pw.append(up(pw[-1] * h))
    T = torch.stack(pw, -1)  # (B, d, kmax + 1)
    out = T[:, 0, G[:, 0]]
    for j in range(1, d):
        out = up(out * T[:, j, G[:, j]])
    return out


class TorchDeepBranchTaylor:
    """:class:`~verify.certify.taylor_branch.DeepBranchTaylor` (two or more hidden layers) on
    torch: Taylor-model arithmetic layer by layer, the same coefficients and bounds."""

    def __init__(self, branch: DeepBranchTaylor, device: torch.device):
        if branch.activation not in TORCH_ACTIVATIONS:
            raise ValueError(f"torch Taylor branches support {TORCH_ACTIVATIONS}")
        t = lambda a: torch.as_tensor(np.asarray(a), device=device)  # noqa: E731
        self.layers = [(t(W), t(b)) for W, b in branch.layers]
        self.activation, self.K, self.d, self.m = branch.activation, branch.K, branch.d, branch.m
        self.M = len(branch.mono)
        self.linear = list(branch.linear)
        self.mul = [(bi, t(src), t(tgt)) for bi, src, tgt in branch.mul]
        self.by_deg = [t(np.flatnonzero(branch.deg == k)) for k in range(self.K + 1)]

    def __call__(self, c: torch.Tensor, h: torch.Tensor, h_pow: torch.Tensor):
        """Same contract as :meth:`TorchBranchTaylor.__call__`."""
        W, b = self.layers[0]
        zh, R = affine_point(W, b, c, torch.zeros_like(c))
        B, n = zh.shape
        P = zh.new_zeros((B, self.M, n))
        P[:, 0, :] = zh
        for j, i in enumerate(self.linear):
            P[:, i, :] = W[:, j]
        for W, b in self.layers[1:]:
            P, R = self._activate(P, R, h_pow)
            P, R = self._affine(P, R, W, b, h_pow)
        Bd = inflate((P.abs() * h_pow[:, :, None]).sum(1), self.M + 2)
        return P, torch.where(torch.isfinite(R), R, torch.inf), Bd

    def _sweep(self, rad: torch.Tensor, h_pow: torch.Tensor) -> torch.Tensor:
        return inflate((rad * h_pow[:, :, None]).sum(1), self.M + 2)

    def _affine(self, P, R, W, b, h_pow):
        n = W.shape[1]
        absW = W.abs()
        Pn = P @ W.T
        Pn[:, 0, :] += b
        S = P.abs() @ absW.T
        S[:, 0, :] += b.abs()
        g = gamma(n + 3)
        rad = g * S * (1.0 + 4 * g)
        return Pn, inflate(inflate(R @ absW.T, n + 2) + self._sweep(rad, h_pow), 2)

    def _power_step(self, Qk, q, h_pow):
        K, M = self.K, self.M
        out, shadow = torch.zeros_like(Qk), torch.zeros_like(Qk)
        aQ, aq = Qk.abs(), q.abs()
        for bi, src, tgt in self.mul:  # targets distinct for one bi: indexed += is exact
            out[:, tgt, :] += Qk[:, src, :] * q[:, bi : bi + 1, :]
            shadow[:, tgt, :] += aQ[:, src, :] * aq[:, bi : bi + 1, :]
        g = gamma(M + 3)
        rounding = self._sweep(g * shadow * (1.0 + 4 * g), h_pow)
        wq, wb = aQ * h_pow[:, :, None], aq * h_pow[:, :, None]
        GQ = [wq[:, ix, :].sum(1) for ix in self.by_deg]
        Gb = [wb[:, ix, :].sum(1) for ix in self.by_deg]
        disc = torch.zeros_like(Qk[:, 0, :])
        for ga in range(K + 1):
            tail = torch.zeros_like(disc)
            for gb in range(max(1, K - ga + 1), K + 1):
                tail = tail + Gb[gb]
            disc = disc + GQ[ga] * tail
        return out, rounding, inflate(disc, 4 * M + 8)

    def _activate(self, P, R, h_pow):
        K, M, act_ = self.K, self.M, self.activation
        c0 = P[:, 0, :].clone()
        q = P.clone()
        q[:, 0, :] = 0.0
        Bq = inflate((q.abs() * h_pow[:, :, None]).sum(1), M + 2)
        t = inflate(Bq + R, 1)
        D, Drad = derivatives(act_, c0, K)
        out, shadow, coef_rad = torch.zeros_like(P), torch.zeros_like(P), torch.zeros_like(P)
        out[:, 0, :] = D[0]
        shadow[:, 0, :] = D[0].abs()
        coef_rad[:, 0, :] = Drad[0]
        Rn = torch.zeros_like(c0)
        Qk, Ek = q, torch.zeros_like(c0)
        tp = torch.ones_like(t)
        for k in range(1, K + 1):
            if k > 1:
                Qk, rounding, disc = self._power_step(Qk, q, h_pow)
                Ek = inflate(Ek * Bq + disc + rounding, 4)
            ck = D[k] / _fact(k)
            aQk = Qk.abs()
            out = out + ck[:, None, :] * Qk
            shadow = shadow + ck.abs()[:, None, :] * aQk
            coef_rad = coef_rad + (Drad[k] / _fact(k))[:, None, :] * aQk
            Rn = Rn + (D[k].abs() + Drad[k]) / _fact(k) * (Ek + k * tp * R)
            tp = tp * t
        mk = derivative_range(act_, c0, t, K + 1)
        Rn = inflate(Rn + mk * (tp * t) / _fact(K + 1), 8 * K + 16)
        g = gamma(K + 4)
        rad = inflate(coef_rad + 2 * g * shadow, 4)
        return out, inflate(Rn + self._sweep(rad, h_pow), 2)


def torch_branch(branch, device: torch.device):
    """The torch twin of a numpy branch (one or more hidden layers)."""
    if isinstance(branch, BranchTaylor):
        return TorchBranchTaylor(branch, device)
    if isinstance(branch, DeepBranchTaylor):
        return TorchDeepBranchTaylor(branch, device)
    raise TypeError(f"no torch twin for {type(branch).__name__}")
