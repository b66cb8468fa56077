"""What a certificate costs: leaves and time versus input dimension and versus ε
(``python -m bench.certify_scaling [--quick]``).

Every row certifies sup |r − ⟨φ, φ⟩| for the Gaussian r = exp(−|x − y|²/(2·0.5²)) over the
whole box x, y ∈ [−1, 1]^d (input dimension D = 2d) by branch and bound
(:func:`verify.certify.certify_sup`, its defaults: Taylor models of order 5, symmetry
x_0 ≤ y_0), with a witness trained once by ``verify.trainers.fit_inner_product`` (spectral warm
start) and pinned in ``bench/witnesses`` (:mod:`bench.certify_witness`).  U is an upper bound
certified over the whole box, L a rigorous lower bound (point enclosures); the witness's sampled
sup (from training) is a lower bound only.  Budgets are leaves (``max_leaves``); the wall clock
is only a safety limit, and a row it stopped says so.

Axes: dimension D = 2, 4, 6 at ε = 1e-2; ε = 1e-2, 1e-3, 1e-4 at D = 2 (and D = 4 at the ε the
trainer reaches); a tightness row (stop at U ≤ 1.1 L) in D = 4.  Fitted growth (least squares
on the certified rows): leaves ∝ ε^−a at fixed D, and leaves ∝ g^D at fixed ε.
Writes reports/benchmarks/certify_scaling.{json,md}.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import pstats
import sys
import time

import numpy as np

from verify.certify import certify_sup
from verify.reports import atomic_write

from .certify_witness import WitnessSpec, load_or_train
from .common import OUT_DIR, machine_info

# (row id, witness, eps, rel_gap, max_leaves, wall-clock safety s, axis tags, quick)
ROWS: list[tuple[str, WitnessSpec, float, float | None, int, float, tuple[str, ...], bool]] = [
    ("D2-e1e-2", WitnessSpec(1, 32, 5, 7e-3), 1e-2, None, 200_000, 120, ("dim", "eps2"), True),
    ("D2-e1e-3", WitnessSpec(1, 32, 7, 7e-4), 1e-3, None, 400_000, 120, ("eps2",), True),
    ("D2-e1e-4", WitnessSpec(1, 32, 9, 7e-5), 1e-4, None, 1_000_000, 300, ("eps2",), True),
    ("D4-e1e-2", WitnessSpec(2, 128, 30, 7e-3), 1e-2, None, 1_000_000, 300, ("dim", "eps4"),
     True),
    ("D4-tight", WitnessSpec(2, 128, 30, 7e-3), 1e-2, 0.1, 1_000_000, 300, ("tight",), False),
    ("D4-e2e-3", WitnessSpec(2, 256, 45, 7e-4, rounds=1000, wall_s=480), 2e-3, None,
     1_000_000, 600, ("eps4",), False),
    ("D4-e1e-3", WitnessSpec(2, 256, 50, 7e-4), 1e-3, None, 2_000_000, 600, ("eps4",), False),
    ("D4-e1e-4", WitnessSpec(2, 256, 64, 7e-5), 1e-4, None, 4_000_000, 900, ("eps4",), False),
    ("D6-e1e-1", WitnessSpec(3, 256, 80, 7e-3), 1e-1, None, 300_000, 900, ("dim6",), False),
    # the trainer after this session's warm-start fix: m = 110, 9 points per axis, 150 rounds
    ("D6-e5e-2", WitnessSpec(3, 256, 110, 7e-3, rounds=150, train_k=9), 5e-2, None, 300_000,
     900, ("dim6",), False),
]


def _row(rid: str, spec: WitnessSpec, eps: float, rel_gap: float | None, max_leaves: int,
         wall: float, axes: tuple[str, ...], quick: bool) -> dict:
    layers, info = load_or_train(spec)
    if quick:
        max_leaves = min(max_leaves, 200_000)
    prof = cProfile.Profile() if spec.d >= 2 else None
    if prof is not None:
        prof.enable()
    cert = certify_sup(spec.relation(), layers, None, "tanh", eps=eps, symmetric=True,
                       rel_gap=rel_gap, max_leaves=max_leaves, time_budget_s=wall)
    if prof is not None:
        prof.disable()
    leaves_per_s = cert.leaves / max(cert.time_s - cert.extra["setup_s"], 1e-9)
    return {
        "id": rid,
        "axes": list(axes),
        "input_dim": 2 * spec.d,
        "box": f"x, y in [-1,1]^{spec.d}",
        "witness": {k: info[k] for k in ("width", "m", "seed", "eps", "sampled_sup",
                                         "train_status", "train_s", "key")},
        "eps": eps,
        "rel_gap": rel_gap,
        "status": cert.status,
        "L": cert.lower,
        "U": cert.upper,
        "U_over_L": cert.to_dict()["ratio"],
        "leaves": cert.leaves,
        "live_leaves": cert.live_leaves,
        "max_leaves": max_leaves,
        "time_s": round(cert.time_s, 2),
        "setup_s": round(cert.extra["setup_s"], 2),
        "leaves_per_s": round(leaves_per_s, 1),
        "budget_exhausted": cert.extra["budget_exhausted"],
        "stopped_by_wall_clock": cert.extra["stopped_by_wall_clock"],
        "cost_shares": None if prof is None else cost_shares(prof),
        "strength": "U certified over the whole box (branch and bound); L rigorous lower bound "
        "(point enclosures); witness sampled sup is a lower bound only",
        "method": cert.method,
        "command": "python -m bench.certify_scaling" + (" --quick" if quick else "")
        + f" --only {rid}",
    }


# where a leaf's time goes: (label, file suffix, function name) of cumulative cProfile times
_PARTS = (
    ("branch Taylor models (phi, psi)", "taylor_model.py", "_unique_eval"),
    ("relation Taylor coefficients at centres", "relation_taylor.py", "coefficients"),
    ("relation remainder (order K+1 derivatives over boxes)", "relation_taylor.py",
     "remainder"),
    ("rigorous point values (lower bound)", "taylor_model.py", "at_points"),
)


def cost_shares(prof: cProfile.Profile) -> dict:
    """Shares of the branch-and-bound time (cProfile, cumulative) per part of the enclosure,
    and the setup (sympy derivatives of r) in seconds."""
    st = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}

    def cum(suffix: str, name: str) -> float:
        return sum(v[3] for (f, _, n), v in st.items() if f.endswith(suffix) and n == name)

    total = cum("bnb.py", "branch_and_bound") or 1e-9
    out = {label: round(cum(f, n) / total, 3) for label, f, n in _PARTS}
    out["other (products, sums, bookkeeping)"] = round(1.0 - sum(out.values()), 3)
    out["bnb_s"] = round(total, 1)
    out["setup_sympy_derivatives_s"] = round(cum("relation_taylor.py", "__init__"), 1)
    return out


def _fit(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of ys on xs (None with fewer than two points)."""
    if len(xs) < 2:
        return None
    return float(np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)[0])


def growth(rows: list[dict]) -> dict:
    """Fitted rates on certified rows: a with leaves ∝ ε^−a (per dimension), and the factor g
    per added input dimension with leaves ∝ g^D (at ε = 1e-2, over the certified D rows)."""
    ok = [r for r in rows if r["status"] == "certified" and r["rel_gap"] is None]
    out: dict = {}
    for D in sorted({r["input_dim"] for r in ok}):
        sel = [r for r in ok if r["input_dim"] == D]
        a = _fit([-math.log(r["eps"]) for r in sel], [math.log(r["leaves"]) for r in sel])
        t = _fit([-math.log(r["eps"]) for r in sel],
                 [math.log(max(r["time_s"] - r["setup_s"], 1e-3)) for r in sel])
        if a is not None:
            out[f"D{D}_leaves_eps_exponent"] = round(a, 3)
            out[f"D{D}_time_eps_exponent"] = round(t, 3)
            out[f"D{D}_eps_range"] = [min(r["eps"] for r in sel), max(r["eps"] for r in sel)]
    sel = [r for r in ok if r["eps"] == 1e-2]
    b = _fit([r["input_dim"] for r in sel], [math.log(r["leaves"]) for r in sel])
    if b is not None:
        out["leaves_factor_per_input_dim_at_1e-2"] = round(math.exp(b), 3)
        out["dims_in_fit"] = sorted(r["input_dim"] for r in sel)
    return out


def _md(rows: list[dict], fit: dict, meta: dict) -> str:
    head = ("| row | D | witness (width, m, seed; sampled sup) | eps | gap | status | L | U | U/L "
            "| leaves | live | time s (setup) | leaves/s |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    body = ""
    for r in rows:
        w = r["witness"]
        ul = r["U_over_L"]
        note = " (wall clock)" if r["stopped_by_wall_clock"] else (
            " (leaf budget)" if r["budget_exhausted"] else "")
        body += (f"| {r['id']} | {r['input_dim']} | {w['width']}, {w['m']}, {w['seed']}; "
                 f"{w['sampled_sup']:.3g} | {r['eps']:g} | {r['rel_gap'] or '-'} | "
                 f"{r['status']}{note} | {r['L']:.4g} | {r['U']:.4g} | "
                 f"{ul if isinstance(ul, str) else format(ul, '.3f')} | {r['leaves']} | "
                 f"{r['live_leaves']} | {r['time_s']} ({r['setup_s']}) | {r['leaves_per_s']} |\n")
    fits = "".join(f"- `{k}`: {v}\n" for k, v in fit.items()) or "- (too few certified rows)\n"
    shares = "".join(
        f"- {r['id']}: " + ", ".join(f"{k} {v}" for k, v in r["cost_shares"].items()) + "\n"
        for r in rows if r.get("cost_shares")
    )
    return (
        "# What a certificate costs: leaves and time versus dimension and ε\n\n"
        f"Machine: {meta['machine']['processor']}, {meta['machine']['cpu_count']} cpus, "
        f"{meta['machine']['date_utc']}; command `{meta['command']}`; whole run "
        f"{meta['total_s']:.0f} s"
        + "".join(f"; row {x['row']} rerun by `{x['command']}` ({x['total_s']:.0f} s)"
                  for x in meta.get("rerun", [])) + ".\n\n"
        "Gaussian ℓ = 0.5, x, y ∈ [−1,1]^d, input dimension D = 2d. U is certified over the "
        "whole box by branch and bound (Taylor models of order 5, symmetry x_0 ≤ y_0), L is a "
        "rigorous lower bound (point enclosures); the witness's sampled sup (training) is a "
        "lower bound only. Witnesses: `verify.trainers.fit_inner_product` (spectral warm "
        "start), pinned in `bench/witnesses`. Budgets are leaves; 'wall clock' marks a row "
        "stopped by the safety limit. Each row's command is in the JSON.\n\n"
        + head + body
        + "\nFitted growth (least squares on certified rows without a gap target):\n\n" + fits
        + "\nWhere the branch-and-bound time goes (cProfile shares of the B&B time; setup "
        "= sympy derivatives of r, seconds):\n\n" + (shares or "- (not profiled)\n")
    )


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the rows marked quick, ≤ 200k leaves")
    ap.add_argument("--only", choices=[r[0] for r in ROWS])
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for rid, spec, eps, gap, ml, wall, axes, in_quick in ROWS:
        if (a.only and rid != a.only) or (a.quick and not in_quick):
            continue
        r = _row(rid, spec, eps, gap, ml, wall, axes, a.quick)
        rows.append(r)
        print(f"{rid:10s} D={r['input_dim']} {r['status']:10s} L={r['L']:.4g} U={r['U']:.4g} "
              f"leaves={r['leaves']} t={r['time_s']}s", flush=True)
    meta = {"machine": machine_info(), "command": "python -m " + __spec__.name
            + " " + " ".join(sys.argv[1:] if argv is None else argv),
            "total_s": time.perf_counter() - t0}
    suffix = "_quick" if a.quick else ""
    main_json = OUT_DIR / f"certify_scaling{suffix}.json"
    if a.only and main_json.exists():  # rerun of one row: replace it in the full table
        old = json.loads(main_json.read_text())
        kept = [r for r in old["rows"] if r["id"] != a.only]
        order = [r[0] for r in ROWS]
        rows = sorted(kept + rows, key=lambda r: order.index(r["id"]))
        meta = {**old["meta"], "rerun": [*old["meta"].get("rerun", []),
                                         {"row": a.only, "command": meta["command"],
                                          "date_utc": meta["machine"]["date_utc"],
                                          "total_s": meta["total_s"]}]}
    fit = growth(rows)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    atomic_write(OUT_DIR / f"certify_scaling{suffix}.json",
                 json.dumps({"meta": meta, "growth": fit, "rows": rows}, indent=2))
    atomic_write(OUT_DIR / f"certify_scaling{suffix}.md", _md(rows, fit, meta))
    print(json.dumps(fit))
    return rows


if __name__ == "__main__":
    main()
