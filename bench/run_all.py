"""All benchmarks in one command: ``python -m bench.run_all [--quick] [--resume] [--only ...]``.

Pieces (``--only`` names a subset, ``--skip`` leaves some out): ``features``
(:mod:`bench.features_to_eps`), ``peers`` (:mod:`bench.time_to_eps`: our trainer against the
best-tuned Adam / L-BFGS peers), ``suite`` (:mod:`bench.suite_cost`) and, as subprocesses
``python -m bench.<name> [--quick]`` when the module exists (skipped with a note otherwise),
``certify`` (certify_tightness), ``goals`` (:mod:`bench.goals`: issue 17 goals 1, 2, 6),
``train_scaling``, ``certify_scaling`` and ``gpu`` (:mod:`bench.gpu_vs_cpu`: CPU against CUDA;
CPU rows only where there is no GPU). A piece not run keeps its previous result from the last
``benchmarks.json`` (listed under ``carried``). Then ``readme`` rewrites README's benchmark section
(:mod:`bench.readme`, full runs only). It writes ``reports/benchmarks/benchmarks.json``,
``benchmarks.md`` (tables with the date and the machine) and one log-log figure per instance
(``features_<instance>.png``: sup error against the number of features, one curve per method).
``--quick`` writes ``benchmarks_quick.*`` and ``features_quick_<instance>.png`` instead, so it
never overwrites a full run. Finished pieces are cached in ``reports/benchmarks/.cache/``
(atomic writes); ``--resume`` reuses them. The markdown
ends with issue 17's acceptance table (:mod:`bench.acceptance`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bench import acceptance as acceptance17
from bench import features_to_eps, readme, suite_cost, time_to_eps
from bench.common import CACHE_DIR, EPSILONS, INSTANCES, OUT_DIR, RowCache, machine_info
from verify.reports import atomic_write

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------- acceptance
def _count(rows, inst: str, method: str, eps: float) -> dict[str, Any] | None:
    return next((r for r in rows if (r["instance"], r["method"], r["eps"]) == (inst, method, eps)),
                None)


def acceptance(rows: list[dict], timing: dict | None) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured numbers and pass / fail / n/a."""
    out = []

    def ratio_text(num, den, num_row) -> tuple[float | None, str]:
        if num is None or den is None:
            return None, "n/a"
        if num_row is not None and num_row["features"] is None:  # "> cap": a lower bound
            return num_row["cap"] / den, f">= {num_row['cap'] / den:.0f}x"
        return num / den, f"{num / den:.2f}x"

    mlp = _count(rows, "gauss1d", "mlp", 1e-3)
    eig = _count(rows, "gauss1d", "eig_floor", 1e-3)
    m_mlp = mlp["features"] if mlp else None
    m_eig = eig["features"] if eig else None
    r, txt = ratio_text(m_mlp, m_eig, None)
    out.append({"target": "gauss1d eps=1e-3: MLP features <= 1.5x eigendecomposition floor",
                "measured": f"MLP {mlp['display'] if mlp else 'n/a'}, floor "
                            f"{eig['display'] if eig else 'n/a'} ({txt})",
                "pass": None if r is None else r <= 1.5})
    rffs = [x for x in (_count(rows, "gauss1d", m, 1e-3) for m in ("rff_cos", "rff_sincos"))
            if x is not None]
    if rffs and m_mlp:
        best = min(rffs, key=lambda x: x["features"] if x["features"] else x["cap"] + 1)
        n = best["features"] if best["features"] else best["cap"]
        r2 = n / m_mlp
        lower = best["features"] is None
        out.append({"target": "gauss1d eps=1e-3: MLP features >= 100x smaller than RFF",
                    "measured": f"best RFF {best['display']} vs MLP {m_mlp}: "
                                f"{'>= ' if lower else ''}{r2:.0f}x",
                    "pass": r2 >= 100})
    else:
        out.append({"target": "gauss1d eps=1e-3: MLP features >= 100x smaller than RFF",
                    "measured": "n/a (MLP did not reach eps)" if rffs else "n/a",
                    "pass": None if not rffs else False})
    mlp2 = _count(rows, "gauss2d", "mlp", 1e-2)
    eig2 = _count(rows, "gauss2d", "eig_floor", 1e-2)
    r3, txt3 = ratio_text(mlp2["features"] if mlp2 else None,
                          eig2["features"] if eig2 else None, None)
    out.append({"target": "gauss2d eps=1e-2: MLP features <= 2x eigendecomposition floor",
                "measured": f"MLP {mlp2['display'] if mlp2 else 'n/a'}, floor "
                            f"{eig2['display'] if eig2 else 'n/a'} ({txt3})",
                "pass": None if r3 is None else r3 <= 2.0})
    if mlp2 is not None and mlp2["features"] is None and not mlp2.get("not_run"):
        out[-1]["pass"] = False
    if timing:
        out.append({"target": f"{timing['instance']} eps={timing['eps']:g}, {timing['threads']} "
                              "threads: trainer >= 5x faster than Adam/MSE (or baseline fails "
                              "within 10x our time)",
                    "measured": timing["verdict"], "pass": timing["meets_5x"]})
    return out


# ------------------------------------------------------------------------------- rendering
def _fmt(x: float | None, spec: str = ".4g") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        "# relverify benchmarks" + (" (quick)" if data["quick"] else ""),
        "",
        f"Measured {m['date_utc']} on `{m['platform']}` ({m['processor']}), "
        f"{m['cpu_count']} CPUs visible (affinity {m['affinity']}), torch {m['torch']}, "
        f"numpy {m['numpy']}, Python {m['python']}. Regenerate with "
        f"`python -m bench.run_all{' --quick' if data['quick'] else ''}`.",
        "The machine was shared with other jobs while measuring: wall times are indicative.",
        "",
        "## Features needed to reach sup error eps",
        "",
        "Sup error = max over all pairs of a uniform grid (the same grid for every method: "
        + ", ".join(f"{k}: {v}" for k, v in data["grids"].items()) + "). Random methods: median "
        "error over seeds at each feature count; counts searched by doubling then bisection; "
        "`> cap` = not reached within the cap. `*` = count above a quarter of the grid size "
        "(grid-limited). The rank lower bound is rigorous (Eckart-Young-Mirsky on the grid "
        "Gram): no model with fewer features reaches eps. The truncated eigendecomposition is "
        "Frobenius-optimal, a reference rather than a sup-norm floor. MLP: one seed per "
        "feature dimension, one hidden tanh layer, width max(16, 2m).",
        "",
        features_to_eps.table(data["features"]),
        "",
        "Time (s) to build the approximation at the count found (MLP: training time):",
        "",
        _time_table(data["features"]),
        "",
    ]
    for t in data.get("time_to_eps") or []:
        lines += _timing_lines(t)
        c = t.get("certify")
        if c:
            lines += [f"Certification (`verify.certify.certify_sup`) of the trained model at eps "
                      f"= {t['eps']:g}: {c['status']}, upper bound {_fmt(c['upper'])}, lower "
                      f"{_fmt(c['lower'])}, {c['leaves']} leaves, {c['time_s']:.1f} s.", ""]
    s = data.get("suite_cost")
    if s:
        lines += ["## Suite cost", "", "| suite | wall time (s) | exit code |", "|---|---|---|"]
        lines += [f"| `{r['suite']}` | {r['wall_s']:.1f} | {r['returncode']} |" for r in s]
        lines.append("")
    for name in SUBPROCESS:
        ct = data.get(SUBPROCESS[name])
        if ct:
            lines += [f"## {name} (`python -m bench.{SUBPROCESS[name]}`)", "",
                      (f"Subprocess exit code {ct['returncode']}, {ct['wall_s']:.1f} s; its "
                       f"report: `{SUBPROCESS[name]}.md`." if "returncode" in ct else
                       ct.get("note", "")), ""]
    if data.get("carried"):
        lines += ["Pieces not run this time, carried over from the previous `benchmarks.json`: "
                  + ", ".join(data["carried"]) + ".", ""]
    if data.get("acceptance17"):
        lines += ["## Acceptance targets (issue 17)", "",
                  acceptance17.markdown(data["acceptance17"]), ""]
    lines += ["## Acceptance targets (issue 7)", "", "| target | measured | pass |",
              "|---|---|---|"]
    lines += [f"| {a['target']} | {a['measured']} | "
              f"{'n/a' if a['pass'] is None else ('yes' if a['pass'] else 'NO')} |"
              for a in data["acceptance"]]
    lines += ["", "Figures: " + ", ".join(f"`{p}`" for p in data["figures"]), ""]
    return "\n".join(lines)


def _timing_lines(t: dict[str, Any]) -> list[str]:
    """The time-to-eps table: ours, then every peer (old reports: the one Adam baseline)."""
    lines = [
        f"## Time to eps (CPU, {t['threads']} torch threads)",
        "",
        f"{t['label']}, eps = {t['eps']:g}, network width {t['network']['width']}, depth "
        f"{t['network']['depth']}, feature dim {t['network']['feature_dim']} "
        f"({t['neurons']} hidden neurons); every method starts from the same initial seed. "
        f"Peers get {t['factor']:g}x our wall time (wall clock is inherent to a time-to-eps "
        "benchmark); their grid checks are off the clock.",
        "",
        "| method | reached | time (s) | steps | error |",
        "|---|---|---|---|---|",
        f"| relverify trainer (ours) | {t['ours']['reached']} | {t['ours']['time_s']:.1f} | - | "
        f"grid {_fmt(t['ours']['grid_error'])}, sampled {_fmt(t['ours']['sampled_sup'])} |",
    ]
    best = (t.get("best_peer") or {}).get("peer")
    for p in t.get("peers") or ([dict(t["baseline"], peer=f"Adam (lr {t['baseline']['lr']:g}) "
                                      "on MSE, minibatch")] if t.get("baseline") else []):
        lines.append(f"| {p['peer']}{' **(best peer)**' if p['peer'] == best else ''} | "
                     f"{p['reached']} | {p['time_s']:.1f} | {p.get('steps', '-')} | best grid "
                     f"{_fmt(p['best_grid_error'])} |")
    if t.get("command"):
        lines += ["", f"Command: `{t['command']}`."]
    return lines + ["", f"Verdict: {t['verdict']}.", ""]


def _time_table(rows: list[dict]) -> str:
    epsilons = sorted({r["eps"] for r in rows}, reverse=True)
    out = ["| instance | method | " + " | ".join(f"eps={e:g}" for e in epsilons) + " |",
           "|---|---|" + "---|" * len(epsilons)]
    for inst, method in dict.fromkeys((r["instance"], r["method"]) for r in rows):
        if method == "rank_bound":
            continue
        cells = []
        for e in epsilons:
            r = _count(rows, inst, method, e)
            cells.append("-" if r is None or r.get("time_s") is None else f"{r['time_s']:.3g}")
        out.append(f"| {inst} | {features_to_eps.LABELS.get(method, method)} | "
                   + " | ".join(cells) + " |")
    return "\n".join(out)


def figures(rows: list[dict], out_dir: Path, prefix: str) -> list[str]:
    """One log-log PNG per instance: error against features, one curve per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for inst in dict.fromkeys(r["instance"] for r in rows):
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for method in dict.fromkeys(r["method"] for r in rows if r["instance"] == inst):
            pts: dict[int, float] = {}
            for r in rows:
                if (r["instance"], r["method"]) == (inst, method):
                    for n, ev in r["evaluations"].items():
                        if ev.get("error") is not None and ev["error"] > 0:
                            # MLP: the best error over eps targets at that dimension
                            pts[int(n)] = min(pts.get(int(n), math.inf), ev["error"])
            if pts:
                xs = sorted(pts)
                ax.loglog(xs, [pts[x] for x in xs], marker="o", ms=3,
                          label=features_to_eps.LABELS.get(method, method))
            if method == "rank_bound":
                for r in rows:
                    if (r["instance"], r["method"]) == (inst, method) and r["features"]:
                        ax.axvline(r["features"], color="grey", lw=0.6, ls=":")
        for e in sorted({r["eps"] for r in rows}):
            ax.axhline(e, color="k", lw=0.5, ls="--")
        label = next(r["label"] for r in rows if r["instance"] == inst)
        ax.set_title(f"{label}: sup error on the grid")
        ax.set_xlabel("number of features m (dotted: rigorous rank bound per eps)")
        ax.set_ylabel("sup error")
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = f"{prefix}{inst}.png"
        fig.savefig(out_dir / name, dpi=110)
        plt.close(fig)
        names.append(name)
    return names


# ------------------------------------------------------------------------------- driver
MLP_PRIORITY = [("gauss1d", 1e-3), ("gauss1d", 1e-2), ("gauss2d", 1e-2), ("gauss1d", 1e-1),
                ("laplace1d", 1e-1), ("gauss2d", 1e-1), ("laplace1d", 1e-2), ("gauss2d", 1e-3),
                ("laplace1d", 1e-3)]


def feature_jobs(instances: list[str]) -> list[tuple[str, str, float]]:
    """Every (instance, method, eps): the cheap peers first, then the MLP fits by priority."""
    cheap = [(n, m, e) for n in instances for m in features_to_eps.METHODS if m != "mlp"
             for e in EPSILONS]
    mlp = [(n, "mlp", e) for n, e in MLP_PRIORITY if n in instances and e in EPSILONS]
    mlp += [(n, "mlp", e) for n in instances for e in EPSILONS if (n, "mlp", e) not in mlp]
    return cheap + mlp


#: subprocess pieces: ``--only`` name -> module ``bench.<module>`` (also its report's stem)
SUBPROCESS = {"certify": "certify_tightness", "goals": "goals",
              "train_scaling": "train_scaling", "certify_scaling": "certify_scaling",
              "gpu": "gpu_vs_cpu"}
PIECES = ("features", "peers", "suite", *SUBPROCESS, "readme")
ALIASES = {"time": "peers"}  # the old --skip name


def bench_subprocess(module: str, quick: bool, timeout_s: float = 3600) -> dict[str, Any]:
    """``python -m bench.<module> [--quick]`` as a subprocess; a note when it does not exist."""
    if not (REPO / "bench" / f"{module}.py").exists():
        return {"skipped": True, "note": f"bench/{module}.py not present: not run"}
    cmd = [sys.executable, "-m", f"bench.{module}"] + (["--quick"] if quick else [])
    res = suite_cost.time_command(cmd, timeout_s=timeout_s)
    path = OUT_DIR / f"{module}{'_quick' if quick else ''}.json"
    if path.exists():
        try:
            res["report"] = json.loads(path.read_text())
        except json.JSONDecodeError:
            pass
    return res


def certify_tightness(quick: bool) -> dict[str, Any] | None:
    """``python -m bench.certify_tightness [--quick]`` as a subprocess, when the module exists."""
    res = bench_subprocess("certify_tightness", quick, timeout_s=1800)
    return None if res.get("skipped") else res


def selected(only: str, skip: str) -> set[str]:
    """The pieces to run: ``only`` (all when empty) minus ``skip``; unknown names raise."""
    def names(text: str) -> set[str]:
        out = {ALIASES.get(n, n) for n in filter(None, (x.strip() for x in text.split(",")))}
        bad = out - set(PIECES)
        if bad:
            raise SystemExit(f"unknown pieces {sorted(bad)}; choose from {', '.join(PIECES)}")
        return out

    return (names(only) if only else set(PIECES)) - names(skip)


def _timing(cache: RowCache, rows: list[dict], cfg, quick: bool,
            threads: tuple[int, ...] = (2, 1)) -> list[dict]:
    timing = cache.get("time_to_eps_peers")
    if timing is None:
        mlp = _count(rows, "gauss1d", "mlp", 1e-2 if quick else 1e-3)
        m = mlp["features"] if mlp and mlp["features"] else (6 if quick else 8)
        timing = [(time_to_eps.run(eps=1e-2, feature_dim=m, budget_s=30, factor=3.0,
                                   certify_budget_s=20, grid_k=201, threads=th)
                   if quick else
                   time_to_eps.run(feature_dim=m, width=cfg.mlp_width(m), threads=th))
                  for th in threads]
        cache.put("time_to_eps_peers", timing)
    return timing


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small caps, seeds and budgets")
    ap.add_argument("--resume", action="store_true", help="reuse finished pieces in .cache/")
    ap.add_argument("--instances", default=",".join(INSTANCES))
    ap.add_argument("--features-minutes", type=float, default=None,
                    help="start no new feature row after this many minutes (rows 'not run')")
    ap.add_argument("--only", default="", help="comma list of: " + ",".join(PIECES))
    ap.add_argument("--skip", default="", help="comma list of pieces to leave out")
    ap.add_argument("--peer-threads", default="2,1",
                    help="torch thread counts of the time-to-eps rows (one row each)")
    args = ap.parse_args(argv)
    run = selected(args.only, args.skip)
    quick = args.quick
    tag = "_quick" if quick else ""
    cfg = features_to_eps.Config.quick() if quick else features_to_eps.Config()
    cache = RowCache(CACHE_DIR / f"run_all{tag}.json", resume=args.resume)
    instances = args.instances.split(",")
    console = Console(stderr=True)
    prev_path = OUT_DIR / f"benchmarks{tag}.json"
    try:
        prev = json.loads(prev_path.read_text()) if prev_path.exists() else {}
    except json.JSONDecodeError:
        prev = {}
    n_rows = len(instances) * len(features_to_eps.METHODS) * len(EPSILONS)
    data: dict[str, Any] = {"quick": quick, "machine": machine_info(),
                            "config": vars(cfg),
                            "grids": {n: f"{cfg.instance(INSTANCES[n]).grid_k} per axis"
                                      for n in instances},
                            "pieces": sorted(run), "carried": []}

    def carry(key: str) -> None:
        if prev.get(key):
            data[key] = prev[key]
            data["carried"].append(key)

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TimeElapsedColumn(), console=console) as prog:
        rows = []
        if "features" in run:
            task = prog.add_task("features to eps", total=n_rows)

            def tick(msg: str) -> None:
                prog.update(task, description=f"features: {msg}")

            jobs = feature_jobs(instances)
            deadline = (time.monotonic() + 60 * args.features_minutes
                        if args.features_minutes else None)
            benches: dict = {}
            for job in jobs:
                rows += features_to_eps.run(jobs=[job], cfg=cfg, cache=cache, progress=tick,
                                            deadline=deadline, benches=benches)
                prog.advance(task)
            order = {(n, m, e): i for i, (n, m, e) in enumerate(
                (n, m, e) for n in instances for m in features_to_eps.METHODS for e in EPSILONS)}
            rows.sort(key=lambda r: order.get((r["instance"], r["method"], r["eps"]), 0))
            data["features"] = rows
        else:
            carry("features")
            rows = data.get("features") or []
            data.setdefault("features", rows)
        if "peers" in run:
            t2 = prog.add_task("time to eps (ours, then the Adam / L-BFGS peers)", total=1)
            data["time_to_eps"] = _timing(cache, rows, cfg, quick, tuple(
                int(t) for t in args.peer_threads.split(",")))
            prog.advance(t2)
        else:
            carry("time_to_eps")
        if "suite" in run:
            t3 = prog.add_task("suite cost (relverify run --profile quick, pytest)", total=1)
            sc = cache.get("suite_cost")
            if sc is None:
                sc = suite_cost.run()
                cache.put("suite_cost", sc)
            data["suite_cost"] = sc
            prog.advance(t3)
        else:
            carry("suite_cost")
        for piece, module in SUBPROCESS.items():
            if piece not in run:
                carry(module)
                continue
            t4 = prog.add_task(f"python -m bench.{module}", total=1)
            res = cache.get(module)
            if res is None:
                res = bench_subprocess(module, quick)
                if not res.get("skipped"):
                    cache.put(module, res)
            data[module] = res
            prog.advance(t4)
    data["acceptance"] = acceptance(rows, (data.get("time_to_eps") or [None])[0])
    reports = {**(readme.load_reports(OUT_DIR) if not quick else {}),
               # pieces run now; a carried piece's own report file (maybe rerun since) wins
               **{m: data[m]["report"] for p, m in SUBPROCESS.items()
                  if p in run and isinstance(data.get(m), dict) and data[m].get("report")},
               "benchmarks": data}
    data["acceptance17"] = acceptance17.rows(reports)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    data["figures"] = figures(rows, OUT_DIR, f"features{tag}_") if rows else []
    atomic_write(OUT_DIR / f"benchmarks{tag}.json", json.dumps(data, indent=1, default=str))
    md = markdown(data)
    atomic_write(OUT_DIR / f"benchmarks{tag}.md", md)
    console.print(md)
    if "readme" in run and not quick:
        readme.main([])
    return data


if __name__ == "__main__":
    main()
