r"""The Taylor-model error enclosure on torch, on any device: the ``device=`` backend of
:func:`verify.certify.certify_sup` (ours).

:class:`TorchTaylorEnclosure` computes exactly the enclosure of
:class:`verify.certify.taylor_model.TaylorErrorEnclosure` (same polynomial, same remainders;
see that module's docstring) with torch tensors on ``device``:

* the branches' Taylor models by :class:`~verify.certify.torch_branch.TorchBranchTaylor`
  (one hidden layer) or :class:`~verify.certify.torch_branch.TorchDeepBranchTaylor` (more);
  for ψ = φ, one call on the stacked x and y centres;
* the coefficient product :math:`C = F_x F_y^\top` (a batched matmul) with its Higham radius
  :math:`\gamma_{m+2} |F_x| |F_y|^\top`, the truncated terms of degree > K and the products
  with the feature remainders;
* the relation's Taylor coefficients :math:`\partial^\gamma r(c)/\gamma!` and its Lagrange
  remainder by torch interval arithmetic (:mod:`.torch_interval`) where every node of the
  derivatives is supported there, else by the numpy evaluator of the numpy enclosure (then
  moved to the device: sound either way);
* the rigorous point values e(c) (B&B's lower bounds) by a float forward pass with a-priori
  bounds (:func:`~verify.certify.torch_branch.network_at_points`).

Inputs and outputs are numpy (the B&B loop of :mod:`.bnb` is unchanged); per leaf batch two
small host transfers (the boxes in; enclosure, point values, gradient and split scores out).
On CUDA the batch is replayed from CUDA graphs (:mod:`.torch_graphs`; self-checked, eager
fallback) when the relation's data are on the device.
"""

from __future__ import annotations

import numpy as np
import torch

from .enclosure import BoxEval
from .interval import Interval
from .sym_interval import UnsupportedNode
from .taylor_model import TaylorErrorEnclosure
from .torch_branch import (
    TORCH_ACTIVATIONS,
    U,
    gamma,
    inflate,
    monomial_bounds,
    network_at_points,
    torch_branch,
)
from .torch_graphs import GraphedBatches
from .torch_interval import TInterval, compile_torch_many, down, taylor_exprs, up


def _up_sum(a: torch.Tensor, dim: int = -1) -> torch.Tensor:
    n = a.shape[dim]
    return up(a.sum(dim) * (1.0 + 2.0 * (n + 2) * U))


def _isum(a: TInterval) -> TInterval:
    """Rigorous sum along the last axis (as :func:`verify.certify.interval.isum`)."""
    n = a.lo.shape[-1]
    g = gamma(n + 2)
    elo = g * a.lo.abs().sum(-1) * (1.0 + 2.0 * g) + n * 1e-300
    ehi = g * a.hi.abs().sum(-1) * (1.0 + 2.0 * g) + n * 1e-300
    lo = down(a.lo.sum(-1) - elo)
    hi = up(a.hi.sum(-1) + ehi)
    return TInterval(torch.nan_to_num(lo, nan=-torch.inf), torch.nan_to_num(hi, nan=torch.inf))


def why_not_torch(base: TaylorErrorEnclosure) -> str | None:
    """None when :class:`TorchTaylorEnclosure` covers ``base``, else the reason."""
    if base.activation not in TORCH_ACTIVATIONS:
        return f"activation {base.activation!r} (torch backend: {', '.join(TORCH_ACTIVATIONS)})"
    return None


class TorchTaylorEnclosure:
    """The enclosure of ``base`` (a numpy :class:`TaylorErrorEnclosure`) on ``device``."""

    def __init__(self, base: TaylorErrorEnclosure, expr, syms, device: str | torch.device,
                 graphs: bool | None = None):
        reason = why_not_torch(base)
        if reason is not None:
            raise ValueError(f"torch backend does not cover {reason}")
        dev = torch.device(device)
        self.base, self.device, self.dx, self.dy = base, dev, base.dx, base.dy
        t = lambda a, **kw: torch.as_tensor(np.asarray(a), device=dev, **kw)  # noqa: E731
        self.bx = torch_branch(base.bx, dev)
        self.sym = base.by is base.bx
        self.by = self.bx if self.sym else torch_branch(base.by, dev)
        self.K = base.K
        self.Gx, self.Gy = t(base.mx, dtype=torch.long), t(base.my, dtype=torch.long)
        self.nx, self.ny = len(base.bx.mono), len(base.by.mono)
        self.ki, self.kj = t(base.kept_ij[:, 0]), t(base.kept_ij[:, 1])
        self.ri, self.rj = t(base.rem_ij[:, 0]), t(base.rem_ij[:, 1])
        self.trunc = t(base.trunc_mask)
        self.even = t(base.even)
        self.grad_idx = t(base.grad_idx)
        self.share = t(base.share, dtype=torch.float64)
        rt = base.rt
        self.inv_kept = TInterval(t(rt._inv_fact_kept.lo), t(rt._inv_fact_kept.hi))
        self.inv_rem = TInterval(t(rt._inv_fact_rem.lo), t(rt._inv_fact_rem.hi))
        self.layers_x = [(t(W), t(b)) for W, b in base.phi_layers]
        self.layers_y = self.layers_x if self.sym else [(t(W), t(b)) for W, b in base.psi_layers]
        self.r_coef = self.r_rem = self.r_point = None
        self.relation_on_device = False
        if expr is not None:
            try:
                kept, rs = taylor_exprs(expr, syms, rt.kept)
                rem, _ = taylor_exprs(expr, syms, rt.rem)
                self.r_coef = compile_torch_many(kept, rs)
                self.r_rem = compile_torch_many(rem, rs)
                self.r_point = compile_torch_many(kept[:1], rs)  # γ = 0: r itself
                self.relation_on_device = True
            except UnsupportedNode:
                self.r_coef = self.r_rem = None
        # CUDA graphs (launch overhead), default on CUDA when nothing syncs with the host
        if graphs is None:
            graphs = dev.type == "cuda" and self.relation_on_device
        self.graphs = GraphedBatches(self._compute) if graphs else None
        self._run = self.graphs if self.graphs is not None else self._compute

    @property
    def dim(self) -> int:
        return self.dx + self.dy

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a, dtype=np.float64), device=self.device)

    def _relation(self, c: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor,
                  hp_rem: torch.Tensor) -> tuple[TInterval, torch.Tensor]:
        """(∂^γ r(c)/γ! (B, P), Lagrange remainder bound (B,))."""
        if self.relation_on_device:
            rc = self.r_coef(TInterval.point(c)) * self.inv_kept
            d = self.r_rem(TInterval(lo, hi))
            terms = TInterval.point(d.mag()) * self.inv_rem * TInterval.point(hp_rem)
            rem = _up_sum(terms.hi)
            return rc, torch.where(torch.isnan(rem), torch.inf, rem)
        rt = self.base.rt  # numpy evaluator (nodes the torch one lacks): sound, on the host
        rc_np = rt.coefficients(c.cpu().numpy())
        rem = rt.remainder(Interval(lo.cpu().numpy(), hi.cpu().numpy()), hp_rem.cpu().numpy())
        return TInterval(self._tensor(rc_np.lo), self._tensor(rc_np.hi)), self._tensor(rem)

    def __call__(self, lo_np: np.ndarray, hi_np: np.ndarray) -> BoxEval:
        lo, hi = self._tensor(lo_np), self._tensor(hi_np)
        out = self._run(lo, hi) if len(lo_np) else self._compute(lo, hi)
        enc_lo, enc_hi, cv_lo, cv_hi, g_lo, g_hi, score, c = (v.cpu().numpy() for v in out)
        enc_np = Interval(enc_lo, enc_hi)
        return BoxEval(enc_np, enc_np, c, Interval(cv_lo, cv_hi), Interval(g_lo, g_hi), score)

    def _compute(self, lo: torch.Tensor, hi: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The enclosure's tensors (no host synchronisation where the relation's data are on
        the device, so that a CUDA graph can replay it)."""
        B, dx, nx, ny = lo.shape[0], self.dx, self.nx, self.ny
        c = torch.minimum(torch.maximum(0.5 * lo + 0.5 * hi, lo), hi)
        h = torch.maximum(up(hi - c), up(c - lo))
        hpx = monomial_bounds(h[:, :dx], self.Gx, self.K + 1)
        hpy = monomial_bounds(h[:, dx:], self.Gy, self.K + 1)
        if self.sym:
            F, R, Bd = self.bx(torch.cat([c[:, :dx], c[:, dx:]]), torch.cat([h[:, :dx],
                               h[:, dx:]]), torch.cat([hpx[:, :nx], hpy[:, :ny]]))
            Fx, Fy, Rx, Ry, Bx, By = F[:B], F[B:], R[:B], R[B:], Bd[:B], Bd[B:]
        else:
            Fx, Rx, Bx = self.bx(c[:, :dx], h[:, :dx], hpx[:, :nx])
            Fy, Ry, By = self.by(c[:, dx:], h[:, dx:], hpy[:, :ny])
        m = Fx.shape[-1]
        Cm = Fx @ Fy.transpose(1, 2)
        gam = gamma(m + 2)
        Ca = Fx.abs() @ Fy.abs().transpose(1, 2)
        Cr = up(gam * Ca * (1.0 + 2.0 * gam) + m * 1e-300)
        rem_model = _up_sum(up(up(up(Rx * By) + up(Bx * Ry)) + up(Rx * Ry)))
        hxy = up(hpx[:, :nx, None] * hpy[:, None, :ny])
        trunc = torch.where(self.trunc[None], up(up(Cm.abs() + Cr) * hxy), 0.0)
        rem_trunc = _up_sum(trunc.reshape(B, -1))
        hp_rem = up(hpx[:, self.ri] * hpy[:, self.rj])
        rc, rem_r = self._relation(c, lo, hi, hp_rem)
        cm, cr = Cm[:, self.ki, self.kj], Cr[:, self.ki, self.kj]
        Ck = TInterval(down(cm - cr), up(cm + cr))
        E = rc - Ck  # (B, P)
        hp = up(hpx[:, self.ki] * hpy[:, self.kj])
        Rt = up(up(rem_model + rem_trunc) + rem_r)
        mono = TInterval(torch.where(self.even[None], 0.0, -hp), hp)
        poly = E[:, 0] + _isum(E[:, 1:] * mono[:, 1:])
        enc = poly + TInterval(-Rt, Rt)
        enc_lo = torch.nan_to_num(enc.lo, nan=-torch.inf)
        enc_hi = torch.nan_to_num(enc.hi, nan=torch.inf)
        cv = self._at_points(c, rc[:, 0] if self.relation_on_device else None)
        grad = E[:, self.grad_idx]
        score = (E.mag() * hp) @ self.share + (Rt / torch.clamp_min(h.sum(-1), 1e-300))[:,
                                                                                     None] * h
        return enc_lo, enc_hi, cv.lo, cv.hi, grad.lo, grad.hi, score, c

    def _at_points(self, p: torch.Tensor, r: TInterval | None = None) -> TInterval:
        """e at points ``p``; ``r``: an enclosure of r(p) when the caller has one."""
        dx = self.dx
        fx, ex = network_at_points(self.layers_x, self.base.activation, p[:, :dx])
        fy, ey = network_at_points(self.layers_y, self.base.activation, p[:, dx:])
        m = fx.shape[-1]
        s = (fx * fy).sum(-1)
        g = gamma(m + 2)
        err = inflate(g * (fx * fy).abs().sum(-1) * (1.0 + 2.0 * g)
                      + (fx.abs() * ey + ex * fy.abs() + ex * ey).sum(-1), 3 * m + 4)
        model = TInterval(down(s - err), up(s + err))
        if r is not None:
            pass
        elif self.relation_on_device:
            r = self.r_point(TInterval.point(p))[:, 0]
        else:
            rp = self.base.r(Interval.point(p.cpu().numpy()))
            r = TInterval(self._tensor(rp.lo), self._tensor(rp.hi))
        v = r - model
        return TInterval(torch.nan_to_num(v.lo, nan=-torch.inf),
                         torch.nan_to_num(v.hi, nan=torch.inf))

    def at_points(self, pts: np.ndarray) -> Interval:
        """Rigorous enclosure of e at points (n, dx + dy)."""
        v = self._at_points(self._tensor(pts))
        return Interval(v.lo.cpu().numpy(), v.hi.cpu().numpy())


def on_device(enc, expr, syms, device: str | torch.device | None):
    """``(enclosure, note)``: ``enc`` moved to the torch backend on ``device`` where it is a
    Taylor-model enclosure the backend covers; otherwise ``enc`` itself (numpy) and the reason.
    ``device=None`` keeps numpy (the default path, unchanged)."""
    if device is None:
        return enc, "numpy"
    if not isinstance(enc, TaylorErrorEnclosure):
        return enc, "numpy (torch backend: Taylor-model enclosures only)"
    reason = why_not_torch(enc)
    if reason is not None:
        return enc, f"numpy (torch backend does not cover {reason})"
    t = TorchTaylorEnclosure(enc, expr, syms, device)
    where = "on the device" if t.relation_on_device else "on the host (numpy intervals)"
    graphs = ", CUDA graphs" if t.graphs is not None else ""
    return t, f"torch on {torch.device(device)} (relation's Taylor data {where}{graphs})"
