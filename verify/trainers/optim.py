"""Optimisers of the fit: Levenberg–Marquardt with IRLS weights, L-BFGS, and the warm-start
regression (LM least squares, or variable projection for large nets).

Every loop counts iterations; the wall clock (:class:`~verify.trainers.config.WallClock`) is
checked only as an outer safety limit, and a hit is recorded so the fit can say so.

Levenberg–Marquardt (Marquardt's diagonal scaling) on residuals :math:`r(\\theta)`:

.. math::

    (J^\\top W J + \\mu\\,\\mathrm{diag}(J^\\top W J))\\,\\delta = -J^\\top W r,

with IRLS weights :math:`W = \\mathrm{diag}(|r_i|/\\max|r|)^{p-2}` for the :math:`L^p` loss,
:math:`p > 2` (classical; the schedule of :math:`p` and :math:`\\mu` is ours).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.func import functional_call

from verify.trainers.config import WallClock
from verify.trainers.problem import Pool, Problem, lp_loss

#: the warm-start regression uses LM while (nodes · features) · parameters² stays below this
LM_WARM_LIMIT = 4e9


def lm_round(prob: Problem, pool: Pool, theta, p: float, iters: int, state: dict,
             clock: WallClock):
    """Levenberg–Marquardt (Marquardt scaling) on the IRLS-weighted Gram residuals."""
    X, Y, K = pool.X, pool.Y, pool.K
    sym = prob.sym
    if sym:
        iu = torch.triu_indices(X.shape[0], X.shape[0], device=prob.device)

    def residual(th):
        G = prob.gram(th, X, Y)
        r = G - K
        return r[iu[0], iu[1]] if sym else r.reshape(-1)

    def jacobian(th):
        k = prob.n_phi
        phi, Jp = prob.net_jac(prob.model.phi, th[:k], X)
        if sym:
            A = torch.einsum("ikp,jk->ijp", Jp, phi)
            J = A + A.transpose(0, 1)
            return J[iu[0], iu[1]]
        psi, Jq = prob.net_jac(prob.model.psi, th[k:], Y)
        A = torch.einsum("ikp,jk->ijp", Jp, psi).reshape(-1, Jp.shape[-1])
        B = torch.einsum("ik,jkp->ijp", phi, Jq).reshape(-1, Jq.shape[-1])
        return torch.cat([A, B], 1)

    mu = state.get("mu", 1e-3)
    with torch.no_grad():
        r = residual(theta)
    obj = lp_loss(r, p)
    for _ in range(iters):
        if clock.expired():
            break
        clock.tick("lm_iters")
        with torch.no_grad():
            J = jacobian(theta)
            a = r.abs()
            w = (a / a.max().clamp_min(1e-300)).clamp_min(1e-12) ** (p - 2) if p > 2 else None
            Jw = J if w is None else J * w[:, None]
            H = Jw.T @ J
            g = Jw.T @ r
            d = H.diagonal().clamp_min(1e-12 * H.diagonal().max().clamp_min(1e-300))

            def solve(mu_: float, H=H, d=d, g=g):
                try:
                    L = torch.linalg.cholesky(H + mu_ * torch.diag(d))
                except RuntimeError:
                    return None
                return -torch.cholesky_solve(g[:, None], L)[:, 0]

            theta, r, obj, mu, improved = damped_step(theta, r, obj, mu, solve, residual, p)
            if not improved:
                state["mu"] = min(mu, 1e6)
                state["stuck"] = True
                return theta, float(obj)
    state["mu"] = mu
    state["stuck"] = False
    return theta, float(obj)


def damped_step(theta, r, obj, mu: float, solve, residual, p: float, tries: int = 12):
    """Marquardt's damping search: ``solve(mu)`` gives the damped step (``None`` when the damped
    system cannot be solved: then ``mu`` grows tenfold); the first step that lowers the ``L^p``
    loss is taken and ``mu`` shrinks threefold, a rejected one grows ``mu`` fourfold.

    Returns ``(theta, r, obj, mu, improved)``."""
    for _ in range(tries):
        step = solve(mu)
        if step is None:
            mu *= 10
            continue
        cand = theta + step
        r_new = residual(cand)
        obj_new = lp_loss(r_new, p)
        if torch.isfinite(obj_new) and obj_new < obj:
            return cand, r_new, obj_new, max(mu / 3, 1e-12), True
        mu *= 4
    return theta, r, obj, mu, False


def _lbfgs(th: torch.Tensor, iters: int) -> torch.optim.LBFGS:
    """L-BFGS with strong Wolfe line search; tolerances 0 so the round budget decides."""
    return torch.optim.LBFGS([th], lr=1.0, max_iter=iters, history_size=50, tolerance_grad=0.0,
                             tolerance_change=0.0, line_search_fn="strong_wolfe")


def lbfgs_round(prob: Problem, pool: Pool, theta, p: float, iters: int, state: dict,
                clock: WallClock):
    """L-BFGS (strong Wolfe) on the ``L^p`` Gram loss."""
    X, Y, K = pool.X, pool.Y, pool.K
    th = theta.clone().requires_grad_(True)
    opt = _lbfgs(th, iters)

    def closure():
        opt.zero_grad()
        loss = lp_loss(prob.gram(th, X, Y) - K, p)
        loss.backward()
        return loss

    with torch.no_grad():
        before = float(lp_loss(prob.gram(theta, X, Y) - K, p))
    opt.step(closure)
    with torch.no_grad():
        after = float(lp_loss(prob.gram(th, X, Y) - K, p))
    state["stuck"] = not after < before * (1 - 1e-4)
    if not math.isfinite(after) or after > before:
        return theta, before
    return th.detach(), after


def _apply(net, theta_net: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """``net(X)`` with the flat parameters ``theta_net``."""
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for p in net.parameters()]
    chunks = torch.split(theta_net, [p.numel() for p in net.parameters()])
    return functional_call(net, {n: c.reshape(s) for n, c, s in zip(names, chunks, shapes)}, (X,))


def _lm_least_squares(residual, jac, theta, iters: int, clock: WallClock, mu: float = 1e-3):
    """Plain Levenberg–Marquardt on ``||residual(θ)||²``."""
    with torch.no_grad():
        r = residual(theta)
        obj = (r * r).sum()
        for _ in range(iters):
            if clock.expired():
                break
            clock.tick("warm_iters")
            J = jac(theta)
            H, g = J.T @ J, J.T @ r
            d = H.diagonal().clamp_min(1e-12 * H.diagonal().max().clamp_min(1e-300))
            for _ in range(12):
                try:
                    L = torch.linalg.cholesky(H + mu * torch.diag(d))
                except RuntimeError:
                    mu *= 10
                    continue
                cand = theta - torch.cholesky_solve(g[:, None], L)[:, 0]
                r_new = residual(cand)
                obj_new = (r_new * r_new).sum()
                if torch.isfinite(obj_new) and obj_new < obj:
                    theta, r, obj, mu = cand, r_new, obj_new, max(mu / 3, 1e-12)
                    break
                mu *= 4
            else:
                break
    return theta


def _hidden(net, theta_hid: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """The last hidden layer of ``net`` with flat hidden-layer parameters ``theta_hid``."""
    shapes = [p.shape for p in net.parameters()][:-2]
    chunks = [
        c.reshape(s)
        for c, s in zip(torch.split(theta_hid, [int(np.prod(s)) for s in shapes]), shapes)
    ]
    h = X
    for i in range(net.config.depth):
        h = net._act(h @ chunks[2 * i].T + chunks[2 * i + 1])
    return h


def _varpro_fit(net, theta_net, X, F, clock: WallClock, iters: int = 400):
    """Variable projection (ours, after Golub–Pereyra and Kaufman): the last layer is linear, so
    for given hidden weights :math:`\\theta_h` its ridge least-squares optimum
    :math:`C^*(\\theta_h) = (A^\\top A + \\lambda I)^{-1} A^\\top F` is a linear solve. L-BFGS
    runs on the hidden weights of the reduced loss
    :math:`f(\\theta_h) = \\|A C^* - F\\|^2 + \\lambda\\|C^*\\|^2`, whose gradient is, by the
    envelope theorem, the partial gradient at fixed :math:`C^*` (so no derivative flows through
    the solve, whose conditioning, :math:`\\kappa(A)^2`, made the differentiated solve's
    gradient useless: L-BFGS stopped after a few steps). :math:`\\lambda = 10^{-12}` times the
    mean diagonal of :math:`A^\\top A`. Then the last layer is set to the solve."""
    w, m = net.config.width, net.config.out_dim
    n_hid = theta_net.numel() - (w + 1) * m

    def solve_out(th_h):
        a = _hidden(net, th_h, X)
        A = torch.cat([a, torch.ones_like(a[:, :1])], 1)
        with torch.no_grad():
            G = A.T @ A
            lam = 1e-12 * G.diagonal().mean() + 1e-300
            G = G + lam * torch.eye(w + 1, dtype=G.dtype, device=G.device)
            C = torch.cholesky_solve(A.T @ F, torch.linalg.cholesky(G))
        return A, C, lam

    th = theta_net[:n_hid].clone().requires_grad_(True)
    opt = _lbfgs(th, iters)

    def closure():
        opt.zero_grad()
        A, C, lam = solve_out(th)
        loss = ((A @ C - F) ** 2).sum() + lam * (C * C).sum()
        loss.backward()
        return loss

    if not clock.expired():
        try:
            opt.step(closure)
        except RuntimeError:  # singular solve: keep what we have
            pass
    clock.tick("warm_iters", int(opt.state[th].get("n_iter", 0)) if th in opt.state else 0)
    with torch.no_grad():
        th_h = th.detach() if torch.isfinite(th).all() else theta_net[:n_hid]
        _, C, _ = solve_out(th_h)
        return torch.cat([th_h, C[:w].T.reshape(-1), C[w]])


def fit_features(prob: Problem, theta, warm_start, nodes_x, nodes_y, clock: WallClock,
                 iters: int = 100):
    """Regress φ (and ψ) onto the target features on the nodes (LM, least squares)."""
    fx, fy = warm_start
    m = prob.model.feature_dim

    def target(f, nodes):
        F = np.asarray(f(nodes), dtype=np.float64).reshape(nodes.shape[0], -1)[:, :m]
        if F.shape[1] < m:
            F = np.concatenate([F, np.zeros((F.shape[0], m - F.shape[1]))], 1)
        return prob.t(F)

    Xn, Fx = prob.t(nodes_x), target(fx, nodes_x)
    k = prob.n_phi
    phi_net = prob.model.phi

    def fit_net(net, th, Xs, Ft):
        # LM costs n·m·P² per iteration: affordable for small nets only
        if Ft.numel() * th.numel() ** 2 <= LM_WARM_LIMIT:
            return _lm_least_squares(
                lambda t: (_apply(net, t, Xs) - Ft).reshape(-1),
                lambda t: prob.net_jac(net, t, Xs)[1].reshape(-1, t.numel()),
                th,
                iters,
                clock,
            )
        return _varpro_fit(net, th, Xs, Ft, clock)

    if prob.sym:
        out = fit_net(phi_net, theta[:k], Xn, Fx)
    else:
        Yn, Fy = prob.t(nodes_y), target(fy if fy is not None else fx, nodes_y)
        out = torch.cat(
            [fit_net(phi_net, theta[:k], Xn, Fx), fit_net(prob.model.psi, theta[k:], Yn, Fy)]
        )
    return out if torch.isfinite(out).all() else theta

