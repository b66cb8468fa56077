"""Fit an inner-product model ``<φ(x), ψ(y)>`` to a relation in the sampled sup norm.

Method (ours; the measurements that motivate it are in bench/trainer_gain.py):

1. optional warm start: regress φ (and ψ) onto target features ``f_x``, ``f_y`` (e.g. the spectral
   features ``sqrt(λ_i) e_i`` of verify.trainers.warm) on Chebyshev–Lobatto nodes;
2. train on the *Gram* of a pool of points (``n`` points give ``n²`` pairs for ``n`` network
   evaluations; for the symmetric model the pool Gram is symmetrised, i.e. each pair is trained
   with its swap) with losses ``(mean |r̂ - r|^p)^{1/p}`` for ``p = 2, 4, 8, ..., p_max``: plain
   MSE stalls, growing ``p`` moves the optimum towards the minimax (sup-norm) solution;
3. optimiser: Levenberg–Marquardt with iteratively reweighted least squares for ``p > 2``
   (weights ``|r|^{p-2}``) when the Jacobian is small, else L-BFGS with strong Wolfe line search;
4. every round, the error on a dense check grid (Gram form, cheap) decides: below ``eps`` ->
   confirm with :func:`verify.certify.sampled.sampled_sup` (other grid + local ascent); otherwise
   the worst points are added to the pool (adaptive resampling).

The reported error is always a *sampled* sup: a lower bound on the true sup, not a certificate.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.func import functional_call, jacfwd

from verify.certify.sampled import SampledSup, box_bounds, sampled_sup
from verify.models import InnerProductModel

FeatureFn = Callable[[np.ndarray], np.ndarray]
STATUSES = ("reached", "not-reached", "diverged", "stalled")


@dataclass
class FitResult:
    """Outcome of :func:`fit_inner_product`; ``sampled_sup`` is a lower bound, not a certificate."""

    status: str
    model: InnerProductModel
    sampled_sup: SampledSup | None
    history: list[tuple[float, float, float]] = field(default_factory=list)
    time_s: float = 0.0
    neurons: int = 0
    feature_dim: int = 0
    seed: int = 0
    device: str = "cpu"
    message: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "sampled_sup": None if self.sampled_sup is None else self.sampled_sup.to_dict(),
            "time_s": self.time_s,
            "neurons": self.neurons,
            "feature_dim": self.feature_dim,
            "seed": self.seed,
            "device": self.device,
            "message": self.message,
        }


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def chebyshev_lobatto_grid(lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    """Tensor grid of ``k`` Chebyshev–Lobatto points per axis (ends included), ``(k**d, d)``."""
    t = -np.cos(np.pi * np.arange(k) / max(k - 1, 1)) if k > 1 else np.zeros(1)
    axes = [lo[i] + (t + 1) * (hi[i] - lo[i]) / 2 for i in range(lo.size)]
    return np.stack([m.reshape(-1) for m in np.meshgrid(*axes, indexing="ij")], axis=1)


def _uniform_grid(lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    axes = [np.linspace(lo[i], hi[i], k) for i in range(lo.size)]
    return np.stack([m.reshape(-1) for m in np.meshgrid(*axes, indexing="ij")], axis=1)


class _Problem:
    """The relation, the boxes, the model's flat parameters and Gram evaluators."""

    def __init__(self, rel_fn, model: InnerProductModel, xlo, xhi, ylo, yhi, device, dtype):
        self.rel_fn, self.model = rel_fn, model
        self.xlo, self.xhi, self.ylo, self.yhi = xlo, xhi, ylo, yhi
        self.device, self.dtype = device, dtype
        self.sym = model.symmetric
        self.names = [n for n, _ in model.named_parameters()]
        self.shapes = [p.shape for _, p in model.named_parameters()]
        self.sizes = [p.numel() for _, p in model.named_parameters()]
        self.n_phi = sum(s for n, s in zip(self.names, self.sizes) if n.startswith("phi."))

    def t(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(
            np.asarray(a, dtype=np.float64), dtype=self.dtype, device=self.device
        )

    def theta(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self.model.parameters()]).clone()

    def set_theta(self, theta: torch.Tensor) -> None:
        with torch.no_grad():
            for p, chunk in zip(self.model.parameters(), torch.split(theta, self.sizes)):
                p.copy_(chunk.reshape(p.shape))

    def params(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        return {
            n: c.reshape(s)
            for n, c, s in zip(self.names, torch.split(theta, self.sizes), self.shapes)
        }

    def feats(self, theta: torch.Tensor, X: torch.Tensor, Y: torch.Tensor):
        P = self.params(theta)
        phi = functional_call(
            self.model.phi, {k[4:]: v for k, v in P.items() if k.startswith("phi.")}, (X,)
        )
        if self.sym:
            return phi, None
        psi = functional_call(
            self.model.psi, {k[4:]: v for k, v in P.items() if k.startswith("psi.")}, (Y,)
        )
        return phi, psi

    def target_gram(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        n, m = X.shape[0], Y.shape[0]
        with torch.no_grad():
            K = self.rel_fn(X.repeat_interleave(m, 0), Y.repeat(n, 1)).reshape(n, m)
        return 0.5 * (K + K.T) if self.sym else K

    def gram(self, theta, X, Y) -> torch.Tensor:
        phi, psi = self.feats(theta, X, Y)
        return phi @ (phi if psi is None else psi).T

    def net_jac(self, net, theta_net: torch.Tensor, X: torch.Tensor):
        """``(F, J)``: features ``F = net(X)`` (n, m) and ``J = dF/dθ_net`` (n, m, P_net).

        The last layer is linear, so its block is written down directly; the hidden block is
        ``W_L · d(last hidden)/dθ`` (analytic for one hidden layer, forward-mode autodiff else).
        """
        cfg = net.config
        w, m, depth = cfg.width, cfg.out_dim, cfg.depth
        sizes = [p.numel() for p in net.parameters()]
        shapes = [p.shape for p in net.parameters()]
        chunks = [c.reshape(s) for c, s in zip(torch.split(theta_net, sizes), shapes)]
        WL, bL = chunks[-2], chunks[-1]
        n_hid = sum(sizes[:-2])
        act = net._act
        if depth == 1:
            W0, b0 = chunks[0], chunks[1]
            z = (X @ W0.T + b0).detach().requires_grad_(True)
            with torch.enable_grad():
                a_t = act(z)
                (ds,) = torch.autograd.grad(a_t.sum(), z)
            a = a_t.detach()
            n, d = X.shape
            # da_h/dW0[h, :] = σ'(z_h) x, da_h/db0[h] = σ'(z_h); flat order: W0 (w, d), b0 (w,)
            eye = torch.eye(w, dtype=X.dtype, device=X.device)
            JW = torch.einsum("ih,hg,ij->ihgj", ds, eye, X).reshape(n, w, w * d)
            Jb = ds[:, :, None] * eye[None]
            Ja = torch.cat([JW, Jb], dim=2)
        else:

            def hidden(t):
                cs = [c.reshape(s) for c, s in zip(torch.split(t, sizes[:-2]), shapes[:-2])]
                h = X
                for i in range(depth):
                    h = act(h @ cs[2 * i].T + cs[2 * i + 1])
                return h

            th = theta_net[:n_hid]
            a = hidden(th)
            Ja = jacfwd(hidden)(th)
        n = X.shape[0]
        F = a @ WL.T + bL
        eye_m = torch.eye(m, dtype=X.dtype, device=X.device)
        J_hid = torch.einsum("kh,ihp->ikp", WL, Ja)
        J_W = torch.einsum("kl,ih->iklh", eye_m, a).reshape(n, m, m * w)
        J_b = eye_m[None].expand(n, m, m)
        return F, torch.cat([J_hid, J_W, J_b], dim=2)


class _Pool:
    """Training points: one set for the symmetric model, two for the asymmetric one."""

    def __init__(self, prob: _Problem, X: np.ndarray, Y: np.ndarray, max_points: int):
        self.prob, self.max_points = prob, max_points
        self.X = prob.t(X)
        self.Y = self.X if prob.sym else prob.t(Y)
        self.K = prob.target_gram(self.X, self.Y)

    def add(self, xs: torch.Tensor, ys: torch.Tensor) -> int:
        """Add points (dropped when already present or when the pool is full); returns #added."""

        def merge(P, new):
            added = 0
            for q in new:
                if P.shape[0] >= self.max_points:
                    break
                if torch.min((P - q).abs().amax(dim=1)) > 1e-9:
                    P = torch.cat([P, q[None]], 0)
                    added += 1
            return P, added

        if self.prob.sym:
            self.X, a = merge(self.X, torch.cat([xs, ys], 0))
            self.Y = self.X
        else:
            self.X, a1 = merge(self.X, xs)
            self.Y, a2 = merge(self.Y, ys)
            a = a1 + a2
        if a:
            self.K = self.prob.target_gram(self.X, self.Y)
        return a


def _lp(r: torch.Tensor, p: float) -> torch.Tensor:
    """``(mean |r|^p)^{1/p}``, computed scaled by ``max |r|`` so large ``p`` does not underflow."""
    a = r.abs()
    s = a.max().detach().clamp_min(1e-300)
    return s * ((a / s) ** p).mean() ** (1.0 / p)


def _lm_round(prob: _Problem, pool: _Pool, theta, p: float, iters: int, state: dict, deadline):
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
    obj = _lp(r, p)
    for _ in range(iters):
        if time.monotonic() > deadline:
            break
        with torch.no_grad():
            J = jacobian(theta)
            a = r.abs()
            w = (a / a.max().clamp_min(1e-300)).clamp_min(1e-12) ** (p - 2) if p > 2 else None
            Jw = J if w is None else J * w[:, None]
            H = Jw.T @ J
            g = Jw.T @ r
            d = H.diagonal().clamp_min(1e-12 * H.diagonal().max().clamp_min(1e-300))
            improved = False
            for _ in range(12):
                A = H + mu * torch.diag(d)
                try:
                    L = torch.linalg.cholesky(A)
                    step = -torch.cholesky_solve(g[:, None], L)[:, 0]
                except RuntimeError:
                    mu *= 10
                    continue
                cand = theta + step
                r_new = residual(cand)
                obj_new = _lp(r_new, p)
                if torch.isfinite(obj_new) and obj_new < obj:
                    theta, r, obj = cand, r_new, obj_new
                    mu = max(mu / 3, 1e-12)
                    improved = True
                    break
                mu *= 4
            if not improved:
                state["mu"] = min(mu, 1e6)
                state["stuck"] = True
                return theta, float(obj)
    state["mu"] = mu
    state["stuck"] = False
    return theta, float(obj)


def _lbfgs(th: torch.Tensor, iters: int) -> torch.optim.LBFGS:
    """L-BFGS with strong Wolfe line search; tolerances 0 so the round budget decides."""
    return torch.optim.LBFGS([th], lr=1.0, max_iter=iters, history_size=50, tolerance_grad=0.0,
                             tolerance_change=0.0, line_search_fn="strong_wolfe")


def _lbfgs_round(prob: _Problem, pool: _Pool, theta, p: float, iters: int, state: dict, deadline):
    """L-BFGS (strong Wolfe) on the ``L^p`` Gram loss."""
    X, Y, K = pool.X, pool.Y, pool.K
    th = theta.clone().requires_grad_(True)
    opt = _lbfgs(th, iters)

    def closure():
        opt.zero_grad()
        loss = _lp(prob.gram(th, X, Y) - K, p)
        loss.backward()
        return loss

    with torch.no_grad():
        before = float(_lp(prob.gram(theta, X, Y) - K, p))
    opt.step(closure)
    with torch.no_grad():
        after = float(_lp(prob.gram(th, X, Y) - K, p))
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


def _lm_least_squares(residual, jac, theta, iters: int, deadline: float, mu: float = 1e-3):
    """Plain Levenberg–Marquardt on ``||residual(θ)||²``."""
    with torch.no_grad():
        r = residual(theta)
        obj = (r * r).sum()
        for _ in range(iters):
            if time.monotonic() > deadline:
                break
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


def _varpro_fit(net, theta_net, X, F, deadline, iters: int = 400):
    """Variable projection (ours, after Golub–Pereyra): the last layer is linear, so for given
    hidden weights its least-squares optimum is a linear solve; L-BFGS runs on the hidden weights
    of the reduced loss ``||(I - A A⁺) F||²`` only, then the last layer is set to the solve."""
    w, m = net.config.width, net.config.out_dim
    n_hid = theta_net.numel() - (w + 1) * m

    def solve_out(th_h):
        a = _hidden(net, th_h, X)
        A = torch.cat([a, torch.ones_like(a[:, :1])], 1)
        G = A.T @ A
        G = G + (1e-12 * G.diagonal().mean() + 1e-300) * torch.eye(
            w + 1, dtype=G.dtype, device=G.device
        )
        C = torch.cholesky_solve(A.T @ F, torch.linalg.cholesky(G))
        return A, C

    th = theta_net[:n_hid].clone().requires_grad_(True)
    opt = _lbfgs(th, iters)

    def closure():
        opt.zero_grad()
        A, C = solve_out(th)
        loss = ((A @ C - F) ** 2).mean()
        loss.backward()
        return loss

    if time.monotonic() < deadline:
        try:
            opt.step(closure)
        except RuntimeError:  # singular solve: keep what we have
            pass
    with torch.no_grad():
        th_h = th.detach() if torch.isfinite(th).all() else theta_net[:n_hid]
        _, C = solve_out(th_h)
        return torch.cat([th_h, C[:w].T.reshape(-1), C[w]])


def _fit_features(prob: _Problem, theta, warm_start, nodes_x, nodes_y, deadline, iters=100):
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
        if Ft.numel() * th.numel() ** 2 <= 4e9:
            return _lm_least_squares(
                lambda t: (_apply(net, t, Xs) - Ft).reshape(-1),
                lambda t: prob.net_jac(net, t, Xs)[1].reshape(-1, t.numel()),
                th,
                iters,
                deadline,
            )
        return _varpro_fit(net, th, Xs, Ft, deadline)

    if prob.sym:
        out = fit_net(phi_net, theta[:k], Xn, Fx)
    else:
        Yn, Fy = prob.t(nodes_y), target(fy if fy is not None else fx, nodes_y)
        out = torch.cat(
            [fit_net(phi_net, theta[:k], Xn, Fx), fit_net(prob.model.psi, theta[k:], Yn, Fy)]
        )
    return out if torch.isfinite(out).all() else theta


def fit_inner_product(
    relation: Any,
    *,
    symmetric: bool,
    width: int,
    depth: int,
    feature_dim: int,
    activation: str = "tanh",
    eps: float,
    time_budget_s: float,
    seed: int = 0,
    device: str | torch.device = "cpu",
    warm_start: tuple[FeatureFn, FeatureFn | None] | str | None = None,
    progress: Callable[[dict], None] | None = None,
    x_box: Any = None,
    y_box: Any = None,
    optimizer: str = "auto",
    p_schedule: tuple[float, ...] = (2, 4, 8, 16, 32, 64),
    train_k: int | None = None,
    check_k: int | None = None,
    max_pool: int | None = None,
    round_iters: int | None = None,
    resample: bool = True,
    restarts: int = 3,
) -> FitResult:
    """Train ``<φ(x), ψ(y)>`` (``ψ = φ`` if ``symmetric``) until the sampled sup error ≤ ``eps``.

    ``relation``: a :class:`verify.relations.Relation` (its ``torch``, ``x_box``, ``y_box`` are
    used) or a torch callable ``r(x (n,dx), y (n,dy)) -> (n,)`` with ``x_box``/``y_box`` given.
    Boxes are Box-likes (``.lo``/``.hi``) or ``(lo, hi)`` pairs. ``warm_start=(f_x, f_y | None)``:
    numpy feature maps ``(n, d) -> (n, k)`` that φ/ψ first regress onto; ``"spectral"`` builds
    them with :func:`verify.trainers.warm.spectral_features` (Nyström, rank ``feature_dim``).
    ``optimizer``: "lm",
    "lbfgs" or "auto" (LM while the Jacobian has ≤ 3e7 entries). ``p_schedule``: the ``L^p``
    losses in turn (``(2,)`` is plain MSE); ``resample=False`` keeps the training pool fixed.
    ``restarts``: on a stall with > 25 % of the budget left, start again from fresh weights
    (seed ``seed + 7919 k``, warm start re-applied) at most this many times.
    Returns the best model seen over all starts (by the check-grid error).
    """
    t0 = time.monotonic()
    deadline = t0 + float(time_budget_s)
    dev = resolve_device(device)
    rel_fn = getattr(relation, "torch", relation)
    x_box = x_box if x_box is not None else getattr(relation, "x_box", None)
    y_box = y_box if y_box is not None else getattr(relation, "y_box", x_box)
    if x_box is None:
        raise ValueError("fit_inner_product needs boxes: pass a Relation or x_box=/y_box=")
    xlo, xhi = box_bounds(x_box)
    ylo, yhi = box_bounds(y_box)
    if symmetric and not (xlo.size == ylo.size and np.allclose(xlo, ylo) and np.allclose(xhi, yhi)):
        raise ValueError("a symmetric model needs x_box == y_box")
    if eps <= 0 or time_budget_s <= 0:
        raise ValueError("eps and time_budget_s must be positive")
    torch.manual_seed(seed)
    model = InnerProductModel.build(
        dx=xlo.size,
        dy=ylo.size,
        width=width,
        depth=depth,
        feature_dim=feature_dim,
        activation=activation,
        symmetric=symmetric,
        seed=seed,
        device=dev,
    )
    prob = _Problem(rel_fn, model, xlo, xhi, ylo, yhi, dev, torch.float64)
    dx, dy = xlo.size, ylo.size
    n_dims = dx + dy
    # training grids: ~400 points per side (48 in 1-D); check grid: ~2.5e6 pairs
    kx = train_k or max(3, min(48, int(round(400 ** (1.0 / dx)))))
    ky = train_k or max(3, min(48, int(round(400 ** (1.0 / dy)))))
    check_k = check_k or max(3, min(801, int(2.5e6 ** (1.0 / n_dims))))
    max_pool = max_pool or int(max(kx**dx, ky**dy) * 1.6) + 8
    pool = _Pool(
        prob, chebyshev_lobatto_grid(xlo, xhi, kx), chebyshev_lobatto_grid(ylo, yhi, ky), max_pool
    )
    Xc = prob.t(_uniform_grid(xlo, xhi, check_k))
    Yc = Xc if symmetric else prob.t(_uniform_grid(ylo, yhi, check_k))
    Kc = prob.target_gram(Xc, Yc)

    theta = prob.theta()
    if isinstance(warm_start, str):
        if warm_start != "spectral":
            raise ValueError(
                f"warm_start must be None, 'spectral' or (f_x, f_y), got {warm_start!r}"
            )
        from verify.trainers.warm import spectral_features

        fx, fy, _ = spectral_features(
            rel_fn,
            x_box,
            y_box,
            feature_dim,
            symmetric=symmetric,
            n_per_axis=max(8, min(64, int(1600 ** (1 / max(dx, dy))))),
        )
        warm_start = (fx, fy)
    n_net = prob.n_phi if symmetric else max(prob.n_phi, theta.numel() - prob.n_phi)

    def nodes(lo, hi, k, d):
        # twice the training density, capped so the LM Jacobian stays ≤ ~2.5e7 entries
        k_max = int((2.5e7 / (feature_dim * n_net)) ** (1.0 / d))
        return chebyshev_lobatto_grid(lo, hi, max(2, min(2 * k, k_max)))

    def initial(theta0: torch.Tensor) -> torch.Tensor:
        """``theta0``, or its warm start when that helps on the check grid (it can, e.g.,
        kill ReLU units)."""
        if warm_start is None:
            return theta0
        warm = _fit_features(
            prob, theta0, warm_start, nodes(xlo, xhi, kx, dx), nodes(ylo, yhi, ky, dy), deadline
        )
        with torch.no_grad():
            e_warm = float((prob.gram(warm, Xc, Yc) - Kc).abs().max())
            e_init = float((prob.gram(theta0, Xc, Yc) - Kc).abs().max())
        return warm if math.isfinite(e_warm) and e_warm <= e_init else theta0

    theta = initial(theta)
    n_params = theta.numel()

    def jac_entries() -> float:
        n_res = (
            pool.X.shape[0] * (pool.X.shape[0] + 1) / 2
            if symmetric
            else pool.X.shape[0] * pool.Y.shape[0]
        )
        return n_res * n_params

    use_lm = optimizer == "lm" or (optimizer == "auto" and jac_entries() * 1.6 <= 3e7)
    if optimizer not in ("auto", "lm", "lbfgs"):
        raise ValueError(f"optimizer must be 'auto', 'lm' or 'lbfgs', got {optimizer!r}")
    round_iters = round_iters or (10 if use_lm else 50)

    history: list[tuple[float, float, float]] = []
    best = {"sup": math.inf, "theta": theta.clone(), "check": None}
    state: dict = {}
    status, message, confirmed = "not-reached", "", None
    p_idx, slow_rounds, stuck_rounds, rounds, n_restarts = 0, 0, 0, 0, 0
    start_best = math.inf
    prev_loss = math.inf

    def check(th) -> tuple[float, int, int]:
        with torch.no_grad():
            E = (prob.gram(th, Xc, Yc) - Kc).abs()
        flat = int(torch.argmax(E))
        return float(E.reshape(-1)[flat]), flat // E.shape[1], flat % E.shape[1]

    while True:
        rnd = _lm_round if use_lm else _lbfgs_round
        p = float(p_schedule[p_idx])
        theta, loss = rnd(prob, pool, theta, p, round_iters, state, deadline)
        rounds += 1
        if not (math.isfinite(loss) and torch.isfinite(theta).all()):
            status, message = "diverged", f"non-finite loss or parameters at round {rounds}"
            break
        sup, i, j = check(theta)
        elapsed = time.monotonic() - t0
        history.append((elapsed, loss, sup))
        if not math.isfinite(sup):
            status, message = "diverged", f"non-finite model output at round {rounds}"
            break
        # p moves on after 2 rounds that lower the L^p loss by < 1 % and the best check-grid sup
        # by < 1 %; the fit is "stalled" after 8 rounds at the last p that lower the best
        # check-grid sup by < 0.1 %
        loss_slow = not loss < prev_loss * 0.99
        slow_rounds = 0 if (sup < start_best * 0.99 or not loss_slow) else slow_rounds + 1
        stuck_rounds = 0 if sup < start_best * 0.999 else stuck_rounds + 1
        start_best = min(start_best, sup)  # counters are per start, the kept model is global
        prev_loss = loss
        if sup < best["sup"]:
            best.update(sup=sup, theta=theta.clone())
        if progress is not None:
            progress(
                {
                    "round": rounds,
                    "time_s": elapsed,
                    "p": p,
                    "loss": loss,
                    "sup_check": sup,
                    "best_sup": best["sup"],
                    "pool": int(pool.X.shape[0]),
                    "optimizer": "lm" if use_lm else "lbfgs",
                    "eps": eps,
                }
            )
        if sup <= eps:
            prob.set_theta(theta)
            confirmed = _confirm(prob, model, x_box, y_box, check_k, seed)
            if confirmed.value <= eps:
                best.update(sup=sup, theta=theta.clone())
                status = "reached"
                message = (
                    f"sampled sup {confirmed.value:.3e} <= eps {eps:.1e} after {rounds} rounds"
                )
                break
            # the confirmation found a worse point: train on it too
            pool.add(prob.t(confirmed.argmax_x[None]), prob.t(confirmed.argmax_y[None]))
            confirmed = None
        if resample:  # adaptive resampling: the worst check-grid pair joins the pool
            pool.add(Xc[i : i + 1], Yc[j : j + 1])
        if use_lm and optimizer == "auto" and jac_entries() > 3e7:
            use_lm, round_iters = False, 50
        if state.get("stuck") or slow_rounds >= 2:
            if p_idx + 1 < len(p_schedule):
                p_idx += 1
                slow_rounds = stuck_rounds = 0
                prev_loss = math.inf
                state["mu"] = 1e-3
            elif (
                stuck_rounds >= 8
                and n_restarts < restarts
                and (deadline - time.monotonic() > 0.25 * time_budget_s)
            ):
                # multi-start: fresh weights (seed + k), same pool; the best model is kept
                n_restarts += 1
                fresh = InnerProductModel.build(
                    dx=dx,
                    dy=dy,
                    width=width,
                    depth=depth,
                    feature_dim=feature_dim,
                    activation=activation,
                    symmetric=symmetric,
                    seed=seed + 7919 * n_restarts,
                    device=dev,
                )
                theta = initial(torch.cat([q.detach().reshape(-1) for q in fresh.parameters()]))
                p_idx, slow_rounds, stuck_rounds, prev_loss, state = 0, 0, 0, math.inf, {}
                start_best = math.inf
            elif stuck_rounds >= 8:
                status = "stalled"
                message = (
                    f"no improvement of the check-grid sup in {stuck_rounds} rounds at "
                    f"p = {p:g} ({n_restarts} restarts); best {best['sup']:.3e} > eps {eps:.1e}"
                )
                break
        if time.monotonic() > deadline:
            status = "not-reached"
            message = f"time budget {time_budget_s:g} s spent; best {best['sup']:.3e} > eps"
            break

    prob.set_theta(best["theta"])  # the best finite model seen (for "diverged": for inspection)
    if confirmed is None and status != "diverged":
        confirmed = _confirm(prob, model, x_box, y_box, check_k, seed)
        if status == "reached" and confirmed.value > eps:  # pragma: no cover - defensive
            status = "not-reached"
    return FitResult(
        status=status,
        model=model,
        sampled_sup=confirmed,
        history=history,
        time_s=time.monotonic() - t0,
        neurons=model.hidden_neurons,
        feature_dim=model.feature_dim,
        seed=seed,
        device=str(dev),
        message=message,
    )


def _confirm(prob: _Problem, model: InnerProductModel, x_box, y_box, check_k: int, seed: int):
    """Sampled sup on a grid offset from the check grid, with local ascent (lower bound)."""
    m = copy.deepcopy(model)
    m.requires_grad_(False)

    def err(x, y):
        return m(x, y) - prob.rel_fn(x, y)

    return sampled_sup(
        err,
        x_box,
        y_box,
        grid_k=check_k + 1,
        n_refine=8,
        steps=60,
        seed=seed,
        symmetric=prob.sym,
        device=prob.device,
        dtype=prob.dtype,
        max_grid=4_000_000,
    )
