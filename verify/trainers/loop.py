"""The training loop: rounds of an optimiser, a check grid, adaptive resampling, restarts.

Method (ours; the measurements that motivate it are in bench/trainer_gain.py):

1. optional warm start: regress φ (and ψ) onto target features on Chebyshev–Lobatto nodes
   (:func:`verify.trainers.optim.fit_features`), kept when it lowers the check-grid error;
2. rounds of LM/IRLS (dense, or matrix-free Gauss–Newton/CG: :mod:`.gncg`) or L-BFGS on the
   pool Gram with the :math:`L^p` loss, ``p`` growing along
   ``p_schedule`` when a round stops helping (plain MSE stalls; growing ``p`` moves the optimum
   towards the minimax solution);
3. every round, the error on a dense check grid decides: below ``eps`` -> confirm with
   :func:`verify.certify.sampled.sampled_sup` (another grid + local ascent); otherwise the
   worst check-grid pair joins the pool (adaptive resampling);
4. after a stall at the last ``p`` with more than a quarter of the rounds left: restart from
   fresh weights (seed ``seed + 7919 k``), keeping the best model seen.

Every decision counts work (rounds, iterations); none reads the clock, so a seed fixes the
outcome. The wall clock only stops a runaway fit, and the result then says so.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from verify.certify.sampled import box_bounds, sampled_sup
from verify.models import InnerProductModel
from verify.trainers.config import WALL_CLOCK_NOTE, FitConfig, FitResult, WallClock
from verify.trainers.gncg import gncg_round
from verify.trainers.optim import LM_WARM_LIMIT, fit_features, lbfgs_round, lm_round
from verify.trainers.problem import (
    Pool,
    Problem,
    chebyshev_lobatto_grid,
    resolve_device,
    uniform_grid,
)


def _build(cfg: FitConfig, dx: int, dy: int, seed: int, dev) -> InnerProductModel:
    return InnerProductModel.build(dx=dx, dy=dy, width=cfg.width, depth=cfg.depth,
                                   feature_dim=cfg.feature_dim, activation=cfg.activation,
                                   symmetric=cfg.symmetric, seed=seed, device=dev)


def _spectral_warm(rel_fn, x_box, y_box, cfg: FitConfig, dx: int, dy: int, dev="cpu"):
    from verify.trainers.warm import spectral_features

    fx, fy, _ = spectral_features(rel_fn, x_box, y_box, cfg.feature_dim,
                                  symmetric=cfg.symmetric, device=dev,
                                  n_per_axis=max(8, min(64, int(1600 ** (1 / max(dx, dy))))))
    return fx, fy


def train(relation: Any, cfg: FitConfig, *, device: str | torch.device = "cpu",
          progress: Callable[[dict], None] | None = None, x_box: Any = None,
          y_box: Any = None) -> FitResult:
    """Train ``<φ(x), ψ(y)>`` (``ψ = φ`` if ``cfg.symmetric``) until the sampled sup ≤ ``eps``.

    ``relation``: a :class:`verify.relations.Relation` (its ``torch``, ``x_box``, ``y_box`` are
    used) or a torch callable ``r(x (n,dx), y (n,dy)) -> (n,)`` with ``x_box``/``y_box`` given.
    Returns the best model seen over all starts (by the check-grid error).
    """
    clock = WallClock(cfg.wall_clock_s)
    dev = resolve_device(device)
    rel_fn = getattr(relation, "torch", relation)
    x_box = x_box if x_box is not None else getattr(relation, "x_box", None)
    y_box = y_box if y_box is not None else getattr(relation, "y_box", x_box)
    if x_box is None:
        raise ValueError("fit_inner_product needs boxes: pass a Relation or x_box=/y_box=")
    xlo, xhi = box_bounds(x_box)
    ylo, yhi = box_bounds(y_box)
    sym = cfg.symmetric
    if sym and not (xlo.size == ylo.size and np.allclose(xlo, ylo) and np.allclose(xhi, yhi)):
        raise ValueError("a symmetric model needs x_box == y_box")
    cfg.validate()
    torch.manual_seed(cfg.seed)
    dx, dy = xlo.size, ylo.size
    model = _build(cfg, dx, dy, cfg.seed, dev)
    prob = Problem(rel_fn, model, xlo, xhi, ylo, yhi, dev, torch.float64)
    # training grids: ~400 points per side (48 in 1-D); check grid: ~2.5e6 pairs
    kx = cfg.train_k or max(3, min(48, int(round(400 ** (1.0 / dx)))))
    ky = cfg.train_k or max(3, min(48, int(round(400 ** (1.0 / dy)))))
    check_k = cfg.check_k or max(3, min(801, int(2.5e6 ** (1.0 / (dx + dy)))))
    max_pool = cfg.max_pool or int(max(kx**dx, ky**dy) * 1.6) + 8
    pool = Pool(prob, chebyshev_lobatto_grid(xlo, xhi, kx), chebyshev_lobatto_grid(ylo, yhi, ky),
                max_pool)
    Xc = prob.t(uniform_grid(xlo, xhi, check_k))
    Yc = Xc if sym else prob.t(uniform_grid(ylo, yhi, check_k))
    Kc = prob.target_gram(Xc, Yc)

    theta = prob.theta()
    warm = cfg.warm_start
    if isinstance(warm, str):
        warm = _spectral_warm(rel_fn, x_box, y_box, cfg, dx, dy, dev)
    n_net = prob.n_phi if sym else max(prob.n_phi, theta.numel() - prob.n_phi)

    def nodes(lo, hi, k, d):
        # twice the training density; when the regression will be LM (fit_features' rule),
        # capped so its Jacobian stays ≤ ~2.5e7 entries. Variable projection (large nets) costs
        # linear in the node count and overfits on a capped grid, so it keeps the full one.
        k_lm = max(2, min(2 * k, int((2.5e7 / (cfg.feature_dim * n_net)) ** (1.0 / d))))
        if k_lm**d * cfg.feature_dim * n_net**2 <= LM_WARM_LIMIT:
            return chebyshev_lobatto_grid(lo, hi, k_lm)
        return chebyshev_lobatto_grid(lo, hi, max(2, 2 * k))

    def initial(theta0: torch.Tensor) -> torch.Tensor:
        """``theta0``, or its warm start when that helps on the check grid (it can, e.g.,
        kill ReLU units)."""
        if warm is None or cfg.warm_iters == 0:
            return theta0
        th_w = fit_features(prob, theta0, warm, nodes(xlo, xhi, kx, dx),
                            nodes(ylo, yhi, ky, dy), clock, iters=cfg.warm_iters)
        with torch.no_grad():
            e_warm = float((prob.gram(th_w, Xc, Yc) - Kc).abs().max())
            e_init = float((prob.gram(theta0, Xc, Yc) - Kc).abs().max())
        return th_w if math.isfinite(e_warm) and e_warm <= e_init else theta0

    theta = initial(theta)
    n_params = theta.numel()

    def jac_entries() -> float:
        n = pool.X.shape[0]
        n_res = n * (n + 1) / 2 if sym else n * pool.Y.shape[0]
        return n_res * n_params

    big = "lbfgs" if cfg.optimizer == "auto" else cfg.optimizer
    opt = "lm" if (cfg.optimizer == "lm" or (cfg.optimizer == "auto"
                                             and jac_entries() * 1.6 <= 3e7)) else big
    ROUNDS = {"lm": lm_round, "gncg": gncg_round, "lbfgs": lbfgs_round}
    ITERS = {"lm": 10, "gncg": 10, "lbfgs": 50}
    round_iters = cfg.round_iters or ITERS[opt]

    history: list[tuple[float, float, float]] = []
    best = {"sup": math.inf, "theta": theta.clone()}
    state: dict = {}
    status, message, confirmed = "not-reached", "", None
    p_idx, slow_rounds, stuck_rounds, rounds, n_restarts = 0, 0, 0, 0, 0
    start_best = prev_loss = math.inf

    def check(th) -> tuple[float, int, int]:
        with torch.no_grad():
            E = (prob.gram(th, Xc, Yc) - Kc).abs()
        flat = int(torch.argmax(E))
        return float(E.reshape(-1)[flat]), flat // E.shape[1], flat % E.shape[1]

    while True:
        rnd = ROUNDS[opt]
        p = float(cfg.p_schedule[p_idx])
        theta, loss = rnd(prob, pool, theta, p, round_iters, state, clock)
        rounds += 1
        if not (math.isfinite(loss) and torch.isfinite(theta).all()):
            status, message = "diverged", f"non-finite loss or parameters at round {rounds}"
            break
        sup, i, j = check(theta)
        history.append((clock.elapsed(), loss, sup))
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
            progress({"round": rounds, "time_s": clock.elapsed(), "p": p, "loss": loss,
                      "sup_check": sup, "best_sup": best["sup"], "pool": int(pool.X.shape[0]),
                      "optimizer": opt, "eps": cfg.eps})
        if sup <= cfg.eps:
            prob.set_theta(theta)
            confirmed = _confirm(prob, model, x_box, y_box, check_k, cfg.seed)
            if confirmed.value <= cfg.eps:
                best.update(sup=sup, theta=theta.clone())
                status = "reached"
                message = (f"sampled sup {confirmed.value:.3e} <= eps {cfg.eps:.1e} after "
                           f"{rounds} rounds")
                break
            # the confirmation found a worse point: train on it too
            pool.add(prob.t(confirmed.argmax_x[None]), prob.t(confirmed.argmax_y[None]))
            confirmed = None
        if cfg.resample:  # adaptive resampling: the worst check-grid pair joins the pool
            pool.add(Xc[i : i + 1], Yc[j : j + 1])
        if opt == "lm" and cfg.optimizer == "auto" and jac_entries() > 3e7:
            opt, round_iters = big, cfg.round_iters or ITERS[big]
        if state.get("stuck") or slow_rounds >= 2:
            if p_idx + 1 < len(cfg.p_schedule):
                p_idx += 1
                slow_rounds = stuck_rounds = 0
                prev_loss = math.inf
                state["mu"] = 1e-3
            elif (stuck_rounds >= 8 and n_restarts < cfg.restarts
                  and cfg.max_rounds - rounds > 0.25 * cfg.max_rounds):
                # multi-start: fresh weights (seed + k), same pool; the best model is kept
                n_restarts += 1
                fresh = _build(cfg, dx, dy, cfg.seed + 7919 * n_restarts, dev)
                theta = initial(torch.cat([q.detach().reshape(-1) for q in fresh.parameters()]))
                p_idx, slow_rounds, stuck_rounds, prev_loss, state = 0, 0, 0, math.inf, {}
                start_best = math.inf
            elif stuck_rounds >= 8:
                status = "stalled"
                message = (f"no improvement of the check-grid sup in {stuck_rounds} rounds at "
                           f"p = {p:g} ({n_restarts} restarts); best {best['sup']:.3e} > eps "
                           f"{cfg.eps:.1e}")
                break
        if rounds >= cfg.max_rounds:
            status = "not-reached"
            message = (f"work budget of {cfg.max_rounds} rounds spent; best {best['sup']:.3e} "
                       "> eps")
            break
        if clock.expired():
            status = "not-reached"
            message = (f"{WALL_CLOCK_NOTE} ({cfg.wall_clock_s:g} s) after {rounds} rounds; "
                       f"best {best['sup']:.3e} > eps")
            break

    prob.set_theta(best["theta"])  # the best finite model seen (for "diverged": for inspection)
    if confirmed is None and status != "diverged":
        confirmed = _confirm(prob, model, x_box, y_box, check_k, cfg.seed)
        if status == "reached" and confirmed.value > cfg.eps:  # pragma: no cover - defensive
            status = "not-reached"
    if clock.hit and WALL_CLOCK_NOTE not in message:
        message += f"; {WALL_CLOCK_NOTE}"
    return FitResult(
        status=status, model=model, sampled_sup=confirmed, history=history,
        time_s=clock.elapsed(), neurons=model.hidden_neurons, feature_dim=model.feature_dim,
        seed=cfg.seed, device=str(dev), message=message, rounds=rounds,
        max_rounds=cfg.max_rounds, restarts=n_restarts, wall_clock_hit=clock.hit,
        work=dict(clock.work),
    )


def _confirm(prob: Problem, model: InnerProductModel, x_box, y_box, check_k: int, seed: int):
    """Sampled sup on a grid offset from the check grid, with local ascent (lower bound)."""
    m = copy.deepcopy(model)
    m.requires_grad_(False)

    def err(x, y):
        return m(x, y) - prob.rel_fn(x, y)

    return sampled_sup(err, x_box, y_box, grid_k=check_k + 1, n_refine=8, steps=60, seed=seed,
                       symmetric=prob.sym, device=prob.device, dtype=prob.dtype,
                       max_grid=4_000_000)
