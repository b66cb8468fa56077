"""Time to sup error ε on the CPU: relverify's trainer against its best-tuned peers (ours).

Every method trains the same network (``InnerProductModel``: symmetric ``⟨φ(x), φ(y)⟩``, same
width, depth, feature dimension, activation and initial seed) on the same kernel, in the same
process, with torch limited to ``threads`` threads (2 by default). relverify's trainer
(:func:`verify.trainers.fit_inner_product`, spectral warm start) runs first; its wall time ``T``
sets each peer's budget ``factor · T`` (wall clock is inherent to a time-to-ε benchmark; the
peers' step counts are reported too). The peers (:mod:`bench.peers`) are what a user would
write: Adam on the MSE at each learning rate of a sweep (1e-3, 3e-3, 1e-2, 3e-2), full batch on a
uniform grid of ~256 points of the box (the stronger batch measured, see :mod:`bench.peers`;
``--mode minibatch`` / ``both`` / ``random`` for 4096 random pairs per step, both, or 256 random
points), and L-BFGS with the strong-Wolfe line search on the same full batch; no warm start.

Success criteria: ours = the trainer's own confirmation (sampled sup ≤ ε) *and* the dense
evaluation grid sup ≤ ε; a peer = grid sup ≤ ε, checked every ``check_every`` steps with the
check time *excluded* from its clock (both choices favour the peers). The ratio is stated against
the *best* peer (:func:`bench.peers.select_best`): its time to ε over ours when it reaches ε,
else "no peer reached ε within factor× our time" with the best error any peer reached. If
:func:`verify.certify.certify_sup` is available the trained model is then certified and the
certification time is reported.

Run: ``python -m bench.time_to_eps [--quick] [--mode full|minibatch|both|random]``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import numpy as np
import torch

from bench import peers
from bench.common import INSTANCES, Instance, sup_error


def _grid_error(model, X: torch.Tensor, K: np.ndarray) -> float:
    with torch.no_grad():
        return sup_error(K, model.gram(X, X).cpu().numpy())


def ours(inst: Instance, *, width: int, depth: int, feature_dim: int, eps: float,
         budget_s: float, seed: int = 0, X: np.ndarray | None = None,
         K: np.ndarray | None = None):
    """relverify's trainer; returns (summary, fitted model)."""
    from verify.trainers import fit_inner_product

    X = inst.grid() if X is None else X
    K = inst.k(X, X) if K is None else K
    t0 = time.perf_counter()
    fit = fit_inner_product(inst.relation(), symmetric=True, width=width, depth=depth,
                            feature_dim=feature_dim, activation="tanh", eps=eps,
                            time_budget_s=budget_s, seed=seed, device="cpu",
                            warm_start="spectral")
    wall = time.perf_counter() - t0
    grid_err = _grid_error(fit.model, torch.as_tensor(X, dtype=torch.float64), K)
    sampled = fit.sampled_sup.value if fit.sampled_sup is not None else math.inf
    return {"reached": fit.status == "reached" and grid_err <= eps, "status": fit.status,
            "time_s": wall, "grid_error": grid_err, "sampled_sup": sampled,
            "neurons": fit.neurons, "message": fit.message}, fit.model


def certify_time(inst: Instance, model, eps: float, budget_s: float) -> dict[str, Any] | None:
    """Time for :func:`verify.certify.certify_sup` to certify the trained model (if available)."""
    try:
        from verify.certify import certify_sup
    except ImportError:
        return None
    t0 = time.perf_counter()
    cert = certify_sup(inst.relation(), model.phi.layers(), None, model.phi.config.activation,
                       eps=eps, symmetric=True, time_budget_s=budget_s, seed=0)
    return {"status": cert.status, "upper": cert.upper, "lower": cert.lower,
            "leaves": cert.leaves, "time_s": time.perf_counter() - t0}


def run(instance: str = "gauss1d", *, eps: float = 1e-3, feature_dim: int = 8, width: int = 16,
        depth: int = 1, budget_s: float = 120.0, factor: float = 10.0, threads: int = 2,
        seed: int = 0, certify_budget_s: float = 120.0, grid_k: int | None = None,
        mode: str = "full", n_points: int = 256) -> dict[str, Any]:
    """One side-by-side measurement; see the module docstring."""
    inst = INSTANCES[instance]
    if grid_k is not None:
        inst = inst.with_grid(grid_k)
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        X = inst.grid()
        K = inst.k(X, X)
        net = {"width": width, "depth": depth, "feature_dim": feature_dim}
        mine, model = ours(inst, eps=eps, budget_s=budget_s, seed=seed, X=X, K=K, **net)
        sw = peers.sweep(inst, eps=eps, budget_s=factor * mine["time_s"], seed=seed, X=X, K=K,
                         peers=peers.default_peers(mode), n_points=n_points, **net)
        best = next((p for p in sw["peers"] if p["peer"] == sw["best"]), None)
        ratio, verdict = peers.verdict(mine["time_s"], mine["reached"], best, factor, eps)
        cert = certify_time(inst, model, eps, certify_budget_s) if mine["reached"] else None
    finally:
        torch.set_num_threads(old)
    return {"instance": inst.name, "label": inst.label(), "eps": eps, "threads": threads,
            "network": net, "neurons": mine["neurons"], "ours": mine, "peers": sw["peers"],
            "best_peer": best, "mode": mode, "factor": factor, "ratio": ratio,
            "verdict": verdict, "certify": cert,
            "meets_5x": peers.meets(ratio, mine["reached"], best, factor, 5.0),
            "command": f"bench.time_to_eps.run(instance={instance!r}, eps={eps:g}, "
                       f"feature_dim={feature_dim}, width={width}, factor={factor:g}, "
                       f"threads={threads}, mode={mode!r})"}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--mode", choices=("full", "minibatch", "both", "random"), default="full",
                    help="the Adam sweep full batch on a uniform grid, on minibatches, both, or "
                    "full batch on random points")
    args = ap.parse_args(argv)
    if args.quick:
        out = run(eps=1e-2, feature_dim=6, budget_s=30, factor=3.0, certify_budget_s=20,
                  grid_k=201, mode=args.mode)
    else:
        out = run(mode=args.mode)
    print(json.dumps({k: v for k, v in out.items() if k not in ("peers", "best_peer")},
                     indent=1, default=str))
    for p in out["peers"]:
        print(f"{p['peer']}: reached {p['reached']}, {p['time_s']:.1f} s, {p['steps']} steps, "
              f"best {p['best_grid_error']:.2e}")
    print(out["verdict"])


if __name__ == "__main__":
    main()
