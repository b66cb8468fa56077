"""CPU against CUDA on the same witnesses: training time to ε and branch-and-bound leaves per
second (``python -m bench.gpu_vs_cpu [--quick]``; ours).

For each witness (a Gaussian kernel, ℓ = 0.5, on [−1, 1] and on [−1, 1]², symmetric model,
spectral warm start) and each device (the CPU with torch limited to ``--threads`` threads, 2 by
default; CUDA when torch sees one):

* **training**: :func:`verify.trainers.fit_inner_product` to the training target (0.7 ε) with
  the same seed and work budget; reported: wall time, rounds, sampled sup (a lower bound);
* **certificate**: the branch and bound of :func:`verify.certify.certify_sup` (symmetry
  x_0 ≤ y_0, Taylor models of order 5) at ε on the *CPU-trained* witness (so every device
  does the same B&B work), on an enclosure built once (``setup_s``: sympy derivatives and,
  for torch, the compile and a warm-up); reported: status, U, leaves, time;
* **throughput**: the same witness in tightness mode (``rel_gap = 1e-6``: it refines until the
  leaf budget is spent), **leaves per second** = leaves / (time − setup). The CPU runs both
  enclosure paths (numpy, and the torch backend on the CPU, with a quarter of the budget: it is
  slow on small tensors); the ratio is against the faster of the two (the best CPU peer).
  CUDA runs the torch backend (replayed from CUDA graphs, :mod:`verify.certify.torch_graphs`)
  with the CPU's batch (1024 leaves) and the CUDA default (16384), since a GPU needs wide
  batches.

Without CUDA every CUDA row says "no CUDA device: not measured". Writes
reports/benchmarks/gpu_vs_cpu.{json,md}; every row carries the command that produced it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.common import OUT_DIR, machine_info
from verify.certify.bnb import branch_and_bound
from verify.certify.taylor_model import try_taylor
from verify.certify.torch_taylor import TorchTaylorEnclosure
from verify.relations import Box, gaussian
from verify.reports import atomic_write
from verify.trainers import fit_inner_product

NOT_MEASURED = "no CUDA device: not measured"
#: (name, input dim, width, feature dim, ε, throughput leaf budget (full, quick))
WITNESSES = (("gauss-1d", 1, 32, 10, 1e-4, (40_000, 8_000)),
             ("gauss-2d", 2, 128, 30, 1e-2, (20_000, 4_000)))
#: the certificate at ε: at most this many leaves (full, quick)
CERT_LEAVES = (200_000, 20_000)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _train(rel, dim: int, width: int, feat: int, eps: float, device: str, quick: bool):
    _sync(device)
    t = time.perf_counter()
    fit = fit_inner_product(rel, symmetric=True, width=width, depth=1, feature_dim=feat,
                            eps=0.7 * eps, warm_start="spectral", seed=0,
                            max_rounds=60 if quick else 300, device=device)
    _sync(device)
    return fit, time.perf_counter() - t


def _bnb(enc, rel, eps: float, leaves: int, batch: int, device: str,
         rel_gap: float | None = None):
    """:func:`verify.certify.bnb.branch_and_bound` as :func:`certify_sup` runs it for a
    symmetric model (x_0 ≤ y_0 kept), on a prebuilt enclosure (the sympy setup is paid once)."""
    dx = rel.dx
    lo = tuple(map(float, rel.x_box.lo)) + tuple(map(float, rel.y_box.lo))
    hi = tuple(map(float, rel.x_box.hi)) + tuple(map(float, rel.y_box.hi))
    _sync(device)
    res = branch_and_bound(enc, lo, hi, eps, bound="abs", time_budget_s=600.0,
                           max_leaves=leaves, batch=batch, rel_gap=rel_gap,
                           prune=lambda blo, bhi: blo[:, 0] > bhi[:, dx])
    _sync(device)
    return res


def _paths(rel, fit, has_cuda: bool):
    """``(label, enclosure, batch, device, setup seconds)`` per enclosure path."""
    m = fit.model.to("cpu")
    t = time.perf_counter()
    base = try_taylor(rel.expr, rel.x_syms, rel.y_syms, m.phi.layers(), None,
                      m.phi.config.activation, 5)
    setup = time.perf_counter() - t
    syms = tuple(rel.x_syms) + tuple(rel.y_syms)
    out = [("numpy", base, 1024, "cpu", setup)]
    devs = ["cpu"] + (["cuda"] if has_cuda else [])
    for dev in devs:
        t = time.perf_counter()
        enc = TorchTaylorEnclosure(base, rel.expr, syms, dev)
        lo = np.zeros((8, rel.dx + rel.dy))
        enc(lo - 0.01, lo + 0.01)  # warm-up (CUDA context, kernels)
        s = setup + time.perf_counter() - t
        for batch in ((1024,) if dev == "cpu" else (1024, 16384)):
            out.append((f"torch-{dev}", enc, batch, dev, s))
    return out


def _measure(rel, enc, eps: float, leaves: int, tput: int, batch: int, device: str,
             setup: float, at_eps: bool) -> dict:
    row: dict[str, Any] = {"batch": batch, "setup_s": round(setup, 2)}
    if at_eps:
        cert = _bnb(enc, rel, eps, leaves, batch, device)
        status = ("certified" if cert.upper <= eps else
                  "refuted" if cert.lower > eps else "undecided")
        row.update(status=status, U=cert.upper, L=cert.lower, leaves=cert.leaves,
                   certify_s=round(cert.time_s, 2))
    tight = _bnb(enc, rel, 1.0, tput, batch, device, rel_gap=1e-6)
    row.update(throughput_leaves=tight.leaves,
               leaves_per_s=round(tight.leaves / tight.time_s, 1) if tight.time_s > 0
               else math.inf)
    return row


def run(quick: bool, threads: int) -> dict[str, Any]:
    torch.set_num_threads(threads)
    command = "python -m bench.gpu_vs_cpu" + (" --quick" if quick else "") + (
        f" --threads {threads}" if threads != 2 else "")
    has_cuda = torch.cuda.is_available()
    gpu = torch.cuda.get_device_name(0) if has_cuda else None
    rows: list[dict[str, Any]] = []
    for name, dim, width, feat, eps, budgets in WITNESSES:
        rel = gaussian(0.5, Box.cube(-1, 1, dim))
        tput = budgets[1] if quick else budgets[0]
        leaves = CERT_LEAVES[1] if quick else CERT_LEAVES[0]
        base = {"witness": name, "eps": eps, "neurons": width, "feature_dim": feat,
                "leaf_budget": leaves, "command": command}
        fit_cpu, t_cpu = _train(rel, dim, width, feat, eps, "cpu", quick)
        train_cpu = {"train_s": round(t_cpu, 2), "train_status": fit_cpu.status,
                     "sampled_sup": fit_cpu.sampled_sup.value, "rounds": fit_cpu.rounds}
        train_gpu: dict[str, Any] = {}
        if has_cuda:
            fit_gpu, t_gpu = _train(rel, dim, width, feat, eps, "cuda", quick)
            train_gpu = {"train_s": round(t_gpu, 2), "train_status": fit_gpu.status,
                         "sampled_sup": fit_gpu.sampled_sup.value, "rounds": fit_gpu.rounds,
                         "train_speedup": round(t_cpu / t_gpu, 2)}
        best_cpu = 0.0
        for label, enc, batch, dev, setup in _paths(rel, fit_cpu, has_cuda):
            # the torch backend on the CPU: throughput only (its B&B equals numpy's, tested),
            # on a quarter of the budget (slow on small tensors)
            cpu_torch = label == "torch-cpu"
            row = _measure(rel, enc, eps, leaves, tput // 4 if cpu_torch else tput, batch, dev,
                           setup, at_eps=not cpu_torch)
            graphs = getattr(enc, "graphs", None)
            if graphs is not None:  # CUDA graphs: "on", or why they were turned off
                row["cuda_graphs"] = graphs.disabled or "on"
            if dev == "cpu":
                best_cpu = max(best_cpu, row["leaves_per_s"])
                row = {**base, "device": f"cpu ({threads} threads)", "path": label,
                       **train_cpu, **row}
            else:
                row = {**base, "device": gpu, "path": label, **train_gpu, **row,
                       "bnb_speedup": round(row["leaves_per_s"] / best_cpu, 2)}
            rows.append(row)
        if not has_cuda:
            rows.append({**base, "device": "cuda", "status": NOT_MEASURED})
    return {"machine": machine_info(), "cuda": gpu, "quick": quick, "rows": rows}


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return "" if v is None else str(v)


def markdown(out: dict[str, Any]) -> str:
    mach = out["machine"]
    cols = ["witness", "device", "path", "batch", "train_s", "train_status", "sampled_sup",
            "status", "U", "leaves", "certify_s", "throughput_leaves", "leaves_per_s",
            "train_speedup", "bnb_speedup", "cuda_graphs"]
    lines = [
        "# CPU vs GPU: training time to ε and B&B leaves per second",
        "",
        f"Measured {mach['date_utc']} on {mach['platform']} ({mach['cpu_count']} CPUs), "
        f"GPU: {out['cuda'] or 'none (no CUDA device: not measured)'}. sampled_sup is a lower "
        "bound; status/U/leaves/certify_s are the certificate at ε over the whole domain; "
        "leaves_per_s comes from a tightness run of throughput_leaves leaves (same witness). "
        "Speedups: training time CPU/GPU; leaves per second GPU / best CPU path. Goal "
        "(issue #17): ≥ 20×.",
        "",
        *([f"Note: {out['note']}", ""] if out.get("note") else []),
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in out["rows"]:
        lines.append("| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")
    lines += ["", f"Command: `{out['rows'][0]['command']}`" if out["rows"] else ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small budgets")
    ap.add_argument("--threads", type=int, default=2, help="torch threads for the CPU rows")
    ap.add_argument("--out", default=str(OUT_DIR), help="folder of gpu_vs_cpu.{json,md}")
    ap.add_argument("--note", default="", help="a line for the table (e.g. 'loaded machine')")
    args = ap.parse_args(argv)
    out = run(args.quick, args.threads)
    if args.note:
        out["note"] = args.note
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "gpu_vs_cpu.json", json.dumps(out, indent=2, default=str))
    atomic_write(folder / "gpu_vs_cpu.md", markdown(out))
    print(markdown(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
