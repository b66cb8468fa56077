"""Tightness of the certified sup-norm bounds (``python -m bench.certify_tightness``).

For each instance: fit a witness (verify.certify.witness, seeded L-BFGS on L^p losses), then
certify sup |r − ⟨φ, ψ⟩| over the whole box by branch and bound (mean-value form), and report
the rigorous lower bound L, the certified upper bound U, U/L, leaves and time.  For the 1-D
instance the naive form (separate enclosures of r and ⟨φ, ψ⟩) and the grid + Lipschitz
certifier are run as comparisons.  Writes reports/benchmarks/certify_tightness.{json,md}.

Options: ``--quick`` (small budgets), ``--only NAME``, ``--budget-4d SECONDS``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from verify.certify import certify_sup
from verify.certify.lipschitz import certify_lipschitz_grid
from verify.certify.witness import fit_witness
from verify.relations.domain import Box
from verify.relations.library import gaussian, tanh_difference

OUT = Path("reports/benchmarks")


def _gauss_gram(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return np.exp(-2.0 * ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1))


def _grid(lo: float, hi: float, k: int, d: int) -> np.ndarray:
    u = np.linspace(lo, hi, k)
    return np.stack(np.meshgrid(*[u] * d, indexing="ij"), -1).reshape(-1, d)


def _row(name: str, cert, fit_err: float, fit_s: float, target: str) -> dict:
    d = cert.to_dict()
    return {
        "instance": name,
        "target": target,
        "witness_grid_sup": fit_err,
        "fit_s": round(fit_s, 1),
        "status": cert.status,
        "eps": cert.eps,
        "L": cert.lower,
        "U": cert.upper,
        "U_over_L": d["ratio"],
        "leaves": cert.leaves,
        "live_leaves": cert.live_leaves,
        "time_s": round(cert.time_s, 1),
        "method": cert.method,
    }


def gauss1d(quick: bool) -> list[dict]:
    rel = gaussian(0.5)  # exp(-2 (x-y)^2) on [-1, 1]^2
    t = time.perf_counter()
    phi, _, err = fit_witness(
        _gauss_gram,
        _grid(-1, 1, 201, 1),
        feature_dim=8,
        width=32,
        seed=1,
        iters=300 if quick else 1000,
        ps=(2, 4, 8, 16, 32, 64),
    )
    fit_s = time.perf_counter() - t
    eps = 2e-3
    rows = []
    c = certify_sup(
        rel,
        phi,
        None,
        "tanh",
        eps=eps,
        symmetric=True,
        rel_gap=0.1,
        time_budget_s=20 if quick else 60,
    )
    rows.append(
        _row("gaussian-1d-sym (auto: MV + Taylor-2, x0<=y0)", c, err, fit_s, "U <= 1.1 L in < 60 s")
    )
    c = certify_sup(
        rel,
        phi,
        None,
        "tanh",
        eps=eps,
        symmetric=False,
        rel_gap=0.1,
        time_budget_s=20 if quick else 60,
    )
    rows.append(_row("gaussian-1d (auto, no symmetry)", c, err, fit_s, "comparison"))
    c = certify_sup(
        rel,
        phi,
        None,
        "tanh",
        eps=eps,
        symmetric=True,
        rel_gap=0.1,
        time_budget_s=10 if quick else 30,
        form="mean-value",
    )
    rows.append(_row("gaussian-1d-sym (mean-value form only)", c, err, fit_s, "comparison"))
    c = certify_sup(
        rel,
        phi,
        None,
        "tanh",
        eps=eps,
        symmetric=True,
        rel_gap=0.1,
        time_budget_s=10 if quick else 30,
        form="naive",
    )
    rows.append(_row("gaussian-1d-sym (naive form)", c, err, fit_s, "comparison"))
    c = certify_lipschitz_grid(rel, phi, None, "tanh", eps=eps, cells_per_dim=150 if quick else 300)
    rows.append(_row("gaussian-1d (grid + Lipschitz)", c, err, fit_s, "cross-check"))
    return rows


def tanh_asym(quick: bool) -> list[dict]:
    rel = tanh_difference(5.0)  # tanh(5 (x - y)) on [0, 1]^2
    t = time.perf_counter()
    phi, psi, err = fit_witness(
        lambda X, Y: np.tanh(5.0 * (X[:, None, 0] - Y[None, :, 0])),
        _grid(0, 1, 201, 1),
        symmetric=False,
        feature_dim=8,
        width=32,
        seed=0,
        iters=300 if quick else 1000,
        ps=(2, 4, 8, 16, 32),
    )
    fit_s = time.perf_counter() - t
    eps = (
        float(f"{1.25 * err:.1g}")
        if 1.25 * err < float(f"{1.25 * err:.1g}")
        else float(f"{1.25 * err:.2g}")
    )
    c = certify_sup(rel, phi, psi, "tanh", eps=eps, rel_gap=0.1, time_budget_s=30 if quick else 120)
    return [_row("tanh(5(x-y)) asymmetric", c, err, fit_s, f"certified at eps = {eps:g}")]


def gauss2d(quick: bool, budget: float) -> list[dict]:
    box = Box.cube(-1, 1, 2)
    rel = gaussian(0.5, box=box)
    t = time.perf_counter()
    phi, _, err = fit_witness(
        _gauss_gram,
        _grid(-1, 1, 21, 2),
        feature_dim=24,
        width=64,
        seed=0,
        iters=200 if quick else 1000,
        ps=(2, 4, 8, 16),
    )
    fit_s = time.perf_counter() - t
    c = certify_sup(
        rel,
        phi,
        None,
        "tanh",
        eps=2e-2,
        symmetric=True,
        rel_gap=0.5,
        time_budget_s=budget,
        batch=4096,
    )
    return [_row("gaussian-2d-sym (input dim 4)", c, err, fit_s, "U <= 1.5 L in < 10 min")]


def _md(rows: list[dict], meta: dict) -> str:
    head = (
        "| instance | target | witness grid sup | status | eps | L | U | U/L | leaves | time s |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['instance']} | {r['target']} | {r['witness_grid_sup']:.3g} | {r['status']} | "
        f"{r['eps']:.3g} | {r['L']:.4g} | {r['U']:.4g} | "
        f"{r['U_over_L'] if isinstance(r['U_over_L'], str) else format(r['U_over_L'], '.3f')} | "
        f"{r['leaves']} | {r['time_s']} |\n"
        for r in rows
    )
    return (
        "# Certified sup-norm error: tightness\n\n"
        f"Machine: {meta['machine']}; command `{meta['command']}`.\n\n"
        "L is a rigorous lower bound on sup |e| (point enclosures), U a certified upper bound over "
        "the whole box (branch and bound with our mean-value and second-order Taylor interval "
        "enclosures; see "
        "verify/certify). Witnesses are fitted here (seeded), not by verify/trainers.\n\n"
        + head
        + body
    )


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["gauss1d", "tanh", "gauss2d"])
    ap.add_argument("--budget-4d", type=float, default=540.0)
    a = ap.parse_args(argv)
    rows: list[dict] = []
    if a.only in (None, "gauss1d"):
        rows += gauss1d(a.quick)
    if a.only in (None, "tanh"):
        rows += tanh_asym(a.quick)
    if a.only in (None, "gauss2d"):
        rows += gauss2d(a.quick, 60.0 if a.quick else a.budget_4d)
    meta = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        "command": "python -m bench.certify_tightness" + (" --quick" if a.quick else ""),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "" if a.only is None else f"_{a.only}"
    (OUT / f"certify_tightness{suffix}.json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=2)
    )
    (OUT / f"certify_tightness{suffix}.md").write_text(_md(rows, meta))
    for r in rows:
        print(
            f"{r['instance']:45s} {r['status']:10s} L={r['L']:.4g} U={r['U']:.4g} "
            f"U/L={r['U_over_L']} leaves={r['leaves']} t={r['time_s']}s"
        )
    return rows


if __name__ == "__main__":
    main()
