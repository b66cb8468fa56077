"""What the trainer's ingredients buy (``python -m bench.trainer_gain``).

Gaussian ``exp(-(x-y)²/(2·0.5²))`` on [-1, 1], symmetric model ``<φ(x), φ(y)>``, φ a tanh MLP with
one hidden layer of 32 neurons and 10 features, target sampled sup ≤ 1e-3, the same seed and the
same time budget for every variant:

- ``plain``: MSE (p = 2) + L-BFGS on a fixed training Gram, random init (the baseline);
- ``lp``: + L^p losses of growing p (2, 4, ..., 64), still L-BFGS, fixed pool;
- ``lm``: Levenberg–Marquardt + L^p + adaptive resampling + restarts on a stall, random init;
- ``full``: ``lm`` + spectral warm start (regress φ onto sqrt(λ_i) e_i first).

Errors are sampled sups (lower bounds, verify.certify.sampled), measured on a grid offset from
the training/check grids with local ascent. Writes reports/benchmarks/trainer_gain.{json,md}.
Options: ``--budget SECONDS`` (default 60), ``--seeds 0 1 ...``, ``--threads N``,
``--targets [NAME ...]`` (also run the trainer's targets, see ``TARGETS``), ``--no-gain``.

Peers (issue 17, goal 7; :mod:`bench.peers`): the same network from the same initial seed trained
by Adam on the MSE at each learning rate of a sweep (1e-3, 3e-3, 1e-2, 3e-2; full batch on a
256-point uniform grid) and by L-BFGS (strong Wolfe), each with ``--peers-factor`` (10) times the
``full`` variant's wall time; the ratio is stated against the best peer. ``--no-peers`` skips.
``--variants full --keep`` reruns only the ``full`` variant and the peers and keeps the other
rows of the previous report, marked as carried over.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch

from bench.common import machine_info
from verify.reports import atomic_write
from verify.trainers import fit_inner_product

OUT = Path("reports/benchmarks")
EPS = 1e-3
NET = dict(width=32, depth=1, feature_dim=10, activation="tanh")
BOX = ((-1.0,), (1.0,))
VARIANTS = {
    "plain": dict(optimizer="lbfgs", p_schedule=(2,), resample=False, warm_start=None, restarts=0),
    "lp": dict(
        optimizer="lbfgs",
        p_schedule=(2, 4, 8, 16, 32, 64),
        resample=False,
        warm_start=None,
        restarts=0,
    ),
    "lm": dict(optimizer="lm", resample=True, warm_start=None),
    "full": dict(optimizer="lm", resample=True, warm_start="spectral"),
}


def gauss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.exp(-((x - y) ** 2).sum(-1) / (2 * 0.5**2))


def _laplace(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.exp(-(x - y).abs().sum(-1))


def _tanh5(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.tanh(5 * (x - y))[..., 0]


def _diff(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x - y)[..., 0]


U1 = ((0.0,), (1.0,))
B2 = ((-1.0, -1.0), (1.0, 1.0))
#: The trainer's targets (task brief): relation, boxes, symmetric, network, eps, time limit (s).
TARGETS = {
    "gauss-1d": (gauss, BOX, True, dict(width=32, depth=1, feature_dim=10), 1e-3, 60),
    "gauss-2d": (gauss, B2, True, dict(width=128, depth=1, feature_dim=30), 1e-2, 600),
    "laplace-1d": (_laplace, BOX, True, dict(width=32, depth=1, feature_dim=16), 5e-2, 60),
    "tanh5-asym": (_tanh5, U1, False, dict(width=32, depth=1, feature_dim=14), 1e-3, 60),
    "x-y-relu": (
        _diff,
        U1,
        False,
        dict(width=4, depth=1, feature_dim=2, activation="relu"),
        1e-8,
        60,
    ),
    "x-y-tanh": (_diff, U1, False, dict(width=4, depth=1, feature_dim=2), 1e-8, 60),
}
#: Targets run without the spectral warm start (x - y is exactly rank 2; the warm start only
#: moves the network away from the near-affine regime it needs).
COLD = {"x-y-relu", "x-y-tanh"}


def run_targets(seed: int, only: list[str] | None) -> list[dict]:
    """The full method (``warm_start="spectral"``, optimizer "auto") on each target."""
    rows = []
    for name, (fn, box, sym, net, eps, limit) in TARGETS.items():
        if only and name not in only:
            continue
        res = fit_inner_product(
            fn,
            x_box=box,
            y_box=box,
            symmetric=sym,
            eps=eps,
            time_budget_s=limit,
            seed=seed,
            warm_start=None if name in COLD else "spectral",
            **net,
        )
        row = {
            "target": name,
            "seed": seed,
            "symmetric": sym,
            **net,
            "eps": eps,
            "warm_start": None if name in COLD else "spectral",
            "limit_s": limit,
            "status": res.status,
            "sampled_sup": res.sampled_sup.value,
            "time_s": round(res.time_s, 2),
            "neurons": res.neurons,
            "message": res.message,
        }
        print(
            f"{name:11s}: {res.status:11s} sup {row['sampled_sup']:.3e} (eps {eps:g}) in "
            f"{row['time_s']:.1f} s, {res.neurons} neurons",
            flush=True,
        )
        rows.append(row)
    return rows


def run(budget: float, seeds: list[int], variants: list[str] | None = None) -> list[dict]:
    rows = []
    for seed in seeds:
        for name, opts in VARIANTS.items():
            if variants is not None and name not in variants:
                continue
            t0 = time.perf_counter()
            res = fit_inner_product(
                gauss,
                x_box=BOX,
                y_box=BOX,
                symmetric=True,
                eps=EPS,
                time_budget_s=budget,
                seed=seed,
                **NET,
                **opts,
            )
            wall = time.perf_counter() - t0
            row = {
                "variant": name,
                "seed": seed,
                "status": res.status,
                "sampled_sup": res.sampled_sup.value,
                "time_s": round(res.time_s, 2),
                "wall_s": round(wall, 2),
                "rounds": len(res.history),
                "message": res.message,
                "method": res.sampled_sup.method,
            }
            print(
                f"{name:6s} seed {seed}: {res.status:11s} sup {row['sampled_sup']:.3e} "
                f"in {row['time_s']:.1f} s",
                flush=True,
            )
            rows.append(row)
    return rows


def run_peers(rows: list[dict], factor: float, seed: int) -> dict | None:
    """The peer sweep with ``factor`` × the ``full`` variant's time (seed ``seed``)."""
    from bench import peers
    from bench.common import INSTANCES

    full = next((r for r in rows if r["variant"] == "full" and r["seed"] == seed), None)
    if full is None:
        return None
    net = {k: NET[k] for k in ("width", "depth", "feature_dim")}
    sw = peers.sweep(INSTANCES["gauss1d"], eps=EPS, budget_s=factor * full["wall_s"], seed=seed,
                     n_points=256, **net)
    best = next((p for p in sw["peers"] if p["peer"] == sw["best"]), None)
    reached = full["status"] == "reached"
    ratio, verdict = peers.verdict(full["wall_s"], reached, best, factor, EPS)
    return {"factor": factor, "seed": seed, "ours_s": full["wall_s"], "peers": sw["peers"],
            "best": sw["best"], "ratio": ratio, "verdict": verdict}


def _peer_lines(pr: dict) -> list[str]:
    lines = [
        f"## Peers (same network, same initial seed {pr['seed']}, budget {pr['factor']:g} x "
        f"the full method's {pr['ours_s']:.1f} s)",
        "",
        "Errors: max over the 801-point grid's pairs (a lower bound on the sup).",
        "",
        "| peer | reached | time (s) | steps | best grid error |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {p['peer']}{' (best)' if p['peer'] == pr['best'] else ''} | {p['reached']} | "
              f"{p['time_s']:.1f} | {p['steps']} | {p['best_grid_error']:.2e} |"
              for p in pr["peers"]]
    return lines + ["", f"Verdict: {pr['verdict']}.", ""]


def write(rows: list[dict], budget: float, threads: int, targets: list[dict],
          peer_run: dict | None = None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {
        "benchmark": "trainer_gain",
        "relation": "exp(-(x-y)^2/(2*0.5^2)) on [-1,1]^2",
        "model": {"symmetric": True, **NET},
        "eps": EPS,
        "time_budget_s": budget,
        "torch_threads": threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": machine_info(),
        "note": "sampled sup = lower bound on the true sup error; the "
        "machine was shared with other jobs, so times are upper estimates",
    }
    atomic_write(
        OUT / "trainer_gain.json",
        json.dumps({**meta, "rows": rows, "targets": targets, "peers": peer_run}, indent=2)
    )
    lines = [
        "# Trainer gain: plain MSE + L-BFGS vs. the full method",
        "",
        f"Gaussian ℓ = 0.5 on [-1, 1], symmetric tanh MLP (32 neurons, 10 features), target "
        f"sampled sup ≤ {EPS:g}, budget {budget:g} s each, torch threads {threads}. "
        "Sampled sup = a lower bound on the true sup (not a certificate).",
        "",
        "| variant | seed | status | sampled sup | time (s) |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['variant']}{' *' if r.get('carried') else ''} | {r['seed']} | {r['status']} | "
        f"{r['sampled_sup']:.3e} | {r['time_s']:.1f} |"
        for r in rows
    ]
    if any(r.get("carried") for r in rows + targets):
        lines += ["", "`*` / carried: kept from an earlier run (`--keep`), not remeasured now."]
    lines += ["", "Variants: " + "; ".join(f"`{k}` = {v}" for k, v in VARIANTS.items()), ""]
    if targets:
        lines += [
            "## Targets (full method: LM or L-BFGS, L^p, resampling; spectral warm start except "
            f"for {sorted(COLD)})",
            "",
            "| target | model | eps | status | sampled sup | time (s) | limit (s) |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {t['target']}{' *' if t.get('carried') else ''} | "
            f"{'sym' if t['symmetric'] else 'asym'}, {t['neurons']} neurons,"
            f" m={t['feature_dim']}, {t.get('activation', 'tanh')} | {t['eps']:g} | "
            f"{t['status']} | {t['sampled_sup']:.3e} | {t['time_s']:.1f} | {t['limit_s']} |"
            for t in targets
        ]
        lines.append("")
    if peer_run:
        lines += _peer_lines(peer_run)
    atomic_write(OUT / "trainer_gain.md", "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--targets",
        nargs="*",
        default=None,
        help="also run the trainer targets (all, or the names given)",
    )
    ap.add_argument("--no-gain", action="store_true", help="skip the variant comparison")
    ap.add_argument("--no-peers", action="store_true", help="skip the Adam / L-BFGS peers")
    ap.add_argument("--peers-factor", type=float, default=10.0)
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    ap.add_argument("--keep", action="store_true",
                    help="keep the previous report's rows (and targets) that this run does not "
                    "redo; they are marked as carried over")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = [] if args.no_gain else run(args.budget, args.seeds, args.variants)
    targets = [] if args.targets is None else run_targets(args.seeds[0], args.targets or None)
    if args.keep and (OUT / "trainer_gain.json").exists():
        old = json.loads((OUT / "trainer_gain.json").read_text())
        done = {(r["variant"], r["seed"]) for r in rows}
        rows = sorted([{**r, "carried": True} for r in old.get("rows", [])
                       if (r["variant"], r["seed"]) not in done] + rows,
                      key=lambda r: (r["seed"], list(VARIANTS).index(r["variant"])))
        if args.targets is None:
            targets = [{**t, "carried": True} for t in old.get("targets", [])]
    peer_run = None if args.no_peers else run_peers(rows, args.peers_factor, args.seeds[0])
    write(rows, args.budget, args.threads, targets, peer_run)
    print(f"wrote {OUT / 'trainer_gain.json'} and .md")


if __name__ == "__main__":
    main()
