"""Matrix-free Gauss–Newton / Levenberg–Marquardt with conjugate gradients (ours, after
Martens' Hessian-free optimisation and Steihaug's truncated CG) for nets whose Jacobian is too
large to store.

The residuals are the pool Gram errors :math:`R = \\Phi\\Psi^\\top - K` (``n_x × n_y``; for the
symmetric model :math:`\\Psi = \\Phi`), weighted as in :func:`verify.trainers.optim.lm_round` by
the IRLS weights :math:`W = (|R|/\\max|R|)^{p-2}` of the :math:`L^p` loss. One outer iteration
solves the damped Gauss–Newton system

.. math::

    (J^\\top W J + \\mu D)\\,\\delta = -J^\\top W r

by preconditioned conjugate gradients, never forming :math:`J`: a product :math:`Jv` is the
forward-mode derivative :math:`\\dot\\Phi\\Psi^\\top + \\Phi\\dot\\Psi^\\top` (one ``jvp`` of
the feature nets), and :math:`J^\\top U` is one ``vjp`` with cotangents :math:`U\\Psi` and
:math:`U^\\top\\Phi`. Each costs :math:`O(n_x n_y m + n\\,P)` instead of the
:math:`O(n_x n_y P)` entries of the dense Jacobian. :math:`D` (Marquardt's scaling and the
Jacobi preconditioner) is an estimate of :math:`\\operatorname{diag}(J^\\top W J)` from
``probes`` Rademacher probes :math:`\\mathbb E[(J^\\top W^{1/2} z)^2]` (Bekas–Kokiopoulou–Saad),
floored at a fraction of its mean. The step is accepted when the :math:`L^p` loss falls
(``mu`` divided by 3), else ``mu`` grows 4x, as in the dense LM.

Work is counted: ``gn_iters`` (outer iterations) and ``cg_iters`` (CG products) in the clock.
"""

from __future__ import annotations

import torch
from torch.func import jvp, vjp

from verify.trainers.config import WallClock
from verify.trainers.optim import damped_step
from verify.trainers.problem import Pool, Problem, lp_loss


def _feats_fn(prob: Problem, X: torch.Tensor, Y: torch.Tensor):
    """``θ ↦ (Φ, Ψ)`` (``Ψ = Φ`` for the symmetric model), a pure function for torch.func."""
    if prob.sym:
        return lambda th: prob.feats(th, X, Y)[0]
    return lambda th: prob.feats(th, X, Y)


class _Linearised:
    """The Gauss–Newton products at one ``θ``: ``J v``, ``Jᵀ U`` and ``(Jᵀ W J + D) v``."""

    def __init__(self, f, theta: torch.Tensor, sym: bool, W: torch.Tensor | None):
        self.f, self.theta, self.sym, self.W = f, theta, sym, W
        out, self.pullback = vjp(f, theta)
        self.out = out.detach() if sym else tuple(o.detach() for o in out)

    def jt(self, U: torch.Tensor) -> torch.Tensor:
        """``Jᵀ vec(U)``: the pullback of the cotangents ``UΨ`` (and ``UᵀΦ``)."""
        o = self.out
        if self.sym:
            return self.pullback((U + U.T) @ o)[0]
        return self.pullback((U @ o[1], U.T @ o[0]))[0]

    def jv(self, v: torch.Tensor) -> torch.Tensor:
        """``J v`` as an ``n_x × n_y`` matrix: ``Φ̇Ψᵀ + ΦΨ̇ᵀ`` (one forward-mode pass)."""
        _, d = jvp(self.f, (self.theta,), (v,))
        o = self.out
        if self.sym:
            Dv = d @ o.T
            return Dv + Dv.T
        return d[0] @ o[1].T + o[0] @ d[1].T

    def wmul(self, U: torch.Tensor) -> torch.Tensor:
        return U if self.W is None else self.W * U

    def hv(self, v: torch.Tensor, damp: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.jt(self.wmul(self.jv(v))) + damp * v

    def diag(self, shape, probes: int, gen: torch.Generator) -> torch.Tensor:
        """``diag(Jᵀ W J) ≈ mean_z (Jᵀ W^{1/2} z)²`` over i.i.d. Rademacher ``z`` (unbiased)."""
        sw = None if self.W is None else self.W.sqrt()
        acc = torch.zeros_like(self.theta)
        with torch.no_grad():
            for _ in range(probes):
                z = torch.randint(0, 2, shape, generator=gen).to(self.theta) * 2 - 1
                acc += self.jt(z if sw is None else sw * z) ** 2
        acc /= probes
        return acc.clamp_min(1e-6 * acc.mean().clamp_min(1e-300))


def gncg_round(prob: Problem, pool: Pool, theta: torch.Tensor, p: float, iters: int,
               state: dict, clock: WallClock, *, cg_iters: int = 60, cg_tol: float = 1e-3,
               probes: int = 8):
    """``iters`` damped Gauss–Newton steps (CG inner solves) on the IRLS-weighted Gram residuals.

    Same contract as :func:`verify.trainers.optim.lm_round`: returns ``(θ, L^p loss)``; sets
    ``state["stuck"]`` when no damping in 12 tries lowered the loss, keeps ``state["mu"]``.
    The probes are drawn from a generator seeded by the outer-iteration count (deterministic).
    """
    X, Y, K = pool.X, pool.Y, pool.K
    f = _feats_fn(prob, X, Y)
    gen = torch.Generator(device="cpu").manual_seed(int(state.get("gn_seed", 0)))

    def residual(th):
        with torch.no_grad():
            out = f(th)
            return (out @ out.T if prob.sym else out[0] @ out[1].T) - K

    mu = state.get("mu", 1e-3)
    R = residual(theta)
    obj = lp_loss(R, p)
    for _ in range(iters):
        if clock.expired():
            break
        clock.tick("gn_iters")
        with torch.no_grad():
            a = R.abs()
            W = (a / a.max().clamp_min(1e-300)).clamp_min(1e-12) ** (p - 2) if p > 2 else None
        lin = _Linearised(f, theta, prob.sym, W)
        with torch.no_grad():
            g = lin.jt(lin.wmul(R))
        diag = lin.diag(R.shape, probes, gen)
        state["gn_seed"] = int(state.get("gn_seed", 0)) + 1

        def solve(mu_: float, lin=lin, g=g, diag=diag):
            damp = mu_ * diag
            return _pcg(lin, damp, -g, 1.0 / (diag + damp), cg_iters, cg_tol, clock)

        theta, R, obj, mu, improved = damped_step(theta, R, obj, mu, solve, residual, p)
        if not improved:
            state["mu"] = min(mu, 1e6)
            state["stuck"] = True
            return theta, float(obj)
    state["mu"] = mu
    state["stuck"] = False
    return theta, float(obj)


def _pcg(lin: _Linearised, damp: torch.Tensor, b: torch.Tensor, prec: torch.Tensor, iters: int,
         tol: float, clock: WallClock) -> torch.Tensor:
    """Preconditioned CG on ``(Jᵀ W J + diag(damp)) x = b`` from ``x = 0``, stopped after
    ``iters`` products or at relative residual ``tol``."""
    x = torch.zeros_like(b)
    r = b.clone()
    z = prec * r
    d = z.clone()
    rz = torch.dot(r, z)
    b_norm = torch.linalg.vector_norm(b).clamp_min(1e-300)
    for _ in range(iters):
        clock.tick("cg_iters")
        Hd = lin.hv(d, damp)
        dHd = torch.dot(d, Hd)
        if not dHd > 0:
            break
        alpha = rz / dHd
        x = x + alpha * d
        r = r - alpha * Hd
        if torch.linalg.vector_norm(r) <= tol * b_norm:
            break
        z = prec * r
        rz_new = torch.dot(r, z)
        d = z + (rz_new / rz) * d
        rz = rz_new
    return x
