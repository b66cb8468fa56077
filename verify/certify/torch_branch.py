r"""Taylor models of one-hidden-layer MLP branches, and rigorous point values, on torch (ours).

The torch port of :class:`verify.certify.taylor_branch.BranchTaylor` (same mathematics, same
bounds, see that module's docstring), so the dominant work of a leaf batch (the coefficient
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
from .taylor_branch import BranchTaylor
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
