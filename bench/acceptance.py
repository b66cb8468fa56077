"""Issue 17's acceptance table from the benchmark reports (pure: JSON in, rows and markdown out).

One row per goal: ``goal``, ``target``, ``measured`` (the numbers, or how far it got),
``pass`` (True / False / None = not measured) and ``source`` (the report it came from). Sources:

* ``benchmarks`` (:mod:`bench.run_all`): goal 5 from the features rows (MLP features against the
  rigorous rank floor on [-1,1]² at 1e-3), goal 7 from the time-to-ε peers;
* ``goals`` (:mod:`bench.goals`): goals 1, 2 and 6;
* ``certify_scaling`` (goals 3, 4), ``train_scaling`` (goals 4, 5) and ``gpu_vs_cpu`` (goal 8),
  read by the small adapters below (defensive: a field they cannot find gives a "see the report"
  row, never an exception);
* any report that carries its own ``"acceptance": [{"goal": n, "measured": ..., "pass": ...}]``
  list: its rows are taken as they are.

A goal no report speaks about gets a "not measured" row, never a silent gap.
"""

from __future__ import annotations

from typing import Any

#: the goals of issue 17 (short targets)
GOALS: dict[int, str] = {
    1: "1-D Gaussian certified at 1e-4, <= 64 neurons, train + certify <= 60 s",
    2: "[-1,1]^2 Gaussian certified at 1e-3, <= 256 neurons, <= 10 min",
    3: "6-D input ([-1,1]^3 Gaussian) certified at 1e-2 in <= 30 min; 4-D U <= 1.1 L in <= 5 min",
    4: "cost growth table: certify time / leaves vs dimension and eps, training time vs eps",
    5: "2-D trained feature count <= 1.2x the rigorous rank floor at 1e-3",
    6: "hard smooth kernels (r* <= 10): 1e-3 with <= 32 neurons in <= 60 s, 5 seeds",
    7: "fair peers: Adam lr sweep (1e-3..3e-2) + L-BFGS, ratio to the best peer",
    8: "GPU: >= 20x over the 2-core CPU (B&B leaves/s, training time to eps)",
}
SWEEP = (1e-3, 3e-3, 1e-2, 3e-2)


def _row(goal: int, measured: str, ok: bool | None, source: str) -> dict[str, Any]:
    return {"goal": goal, "target": GOALS[goal], "measured": measured, "pass": ok,
            "source": source}


def _cert_goal(goal: int, r: dict[str, Any]) -> dict[str, Any]:
    if r["cert_status"] == "refuted":  # U is not informative then: L > eps is the finding
        cert = f"refuted (rigorous lower bound L={r['L']:.3g} > eps={r['eps']:g})"
    else:
        cert = f"{r['cert_status']} U={r['U']:.3g}, L={r['L']:.3g}"
    txt = (f"{r['neurons']} neurons, m={r['m']}: trained {r['status']} (sampled "
           f"{r['sampled_sup']:.2e}) in {r['train_s']:.1f} s; certificate {cert}, "
           f"{r['leaves']} leaves, {r['certify_s']:.1f} s; total {r['total_s']:.1f} s "
           f"(limit {r['limit_s']:g} s)")
    return _row(goal, txt, bool(r["met"]), "goals")


def _hard_kernels(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scope = [r for r in rows if r["in_scope"]]
    parts = [f"{r['kernel']} r*={r['r_floor']}{'' if r['in_scope'] else ' (>10, out of scope)'}"
             f": {r['reached']}/{r['seeds']}, max {r['time_s']['max']:.1f} s, sup "
             f"{r['sampled_sup']['min']:.1e}..{r['sampled_sup']['max']:.1e}" for r in rows]
    ok = all(r["met"] for r in scope) if scope else None
    return _row(6, "; ".join(parts), ok, "goals")


def _peers(what: str, verdict: str, peers: list[dict[str, Any]], source: str) -> dict[str, Any]:
    lrs = {p["spec"]["lr"] for p in peers if p["spec"]["optimizer"] == "adam"}
    has_lbfgs = any(p["spec"]["optimizer"] == "lbfgs" for p in peers)
    complete = set(SWEEP) <= lrs and has_lbfgs
    how = "" if complete else " (sweep incomplete: lrs " + ", ".join(
        f"{x:g}" for x in sorted(lrs)) + f"; L-BFGS {'yes' if has_lbfgs else 'no'})"
    return _row(7, f"{what}: {verdict}{how}", complete, source)


def _floor_2d(features: list[dict[str, Any]]) -> dict[str, Any] | None:
    def get(method: str) -> dict[str, Any] | None:
        return next((r for r in features if (r["instance"], r["method"], r["eps"])
                     == ("gauss2d", method, 1e-3)), None)

    mlp, floor = get("mlp"), get("rank_bound")
    if mlp is None or floor is None or not floor.get("features"):
        return None
    if mlp.get("features") is None:
        return _row(5, f"MLP {mlp.get('display', 'not reached')}, rank floor "
                       f"{floor['features']}", False, "benchmarks")
    ratio = mlp["features"] / floor["features"]
    return _row(5, f"MLP {mlp['features']} features, rank floor {floor['features']} "
                   f"({ratio:.2f}x)", ratio <= 1.2, "benchmarks")


def _v(x: Any) -> str:
    """Compact text for a fitted-growth value (floats to 3 digits, dicts as k=v)."""
    if isinstance(x, float):
        return f"{x:.3g}"
    if isinstance(x, dict):
        return "(" + ", ".join(f"{k}={_v(v)}" for k, v in x.items()) + ")"
    if isinstance(x, list):
        return "[" + ", ".join(_v(v) for v in x) + "]"
    return str(x)


def _certify_scaling(rep: dict[str, Any]) -> list[dict[str, Any]]:
    rows = rep.get("rows") or []
    out = []
    six = [r for r in rows if r.get("input_dim") == 6]
    tight = [r for r in rows if r.get("input_dim") == 4 and r.get("rel_gap")]
    parts, ok = [], None
    for r in six:
        w = r.get("witness") or {}
        sup = w.get("sampled_sup")
        wit = (f" (witness {w.get('width')} neurons, m={w.get('m')}, sampled {sup:.2g})"
               if isinstance(sup, float) else "")
        parts.append(f"6-D eps={r['eps']:g}{wit}: {r['status']}, U={r['U']:.3g}, "
                     f"L={r['L']:.3g}, {r['leaves']} leaves, {r['time_s']:.0f} s")
    if six:
        ok = any(r["status"] == "certified" and r["eps"] <= 1e-2 and r["time_s"] <= 1800
                 for r in six)
    for r in tight:
        parts.append(f"4-D U/L={r['U_over_L']:.3g} in {r['time_s']:.0f} s")
        good = r["U_over_L"] <= 1.1 and r["time_s"] <= 300
        ok = good if ok is None else (ok and good)
    if not six:
        parts.append("no 6-D row")
        ok = False if rows else None
    out.append(_row(3, "; ".join(parts), ok, "certify_scaling"))
    growth = rep.get("growth")
    out.append(_row(4, "certification: " + (", ".join(f"{k}={_v(v)}" for k, v in growth.items())
                                            if growth else "no fitted growth"),
                    bool(growth), "certify_scaling"))
    return out


def _train_scaling(rep: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    growth = rep.get("growth")
    out.append(_row(4, "training time vs eps, fitted per input dimension: " + (
        ", ".join(f"d={k}: {_v(v)}" for k, v in growth.items()) if growth else "none"),
        bool(growth), "train_scaling"))
    f = rep.get("feature_row")
    if f:
        if f.get("features") is None:
            txt, ok = (f"{f.get('display', 'not reached')} features vs rank floor "
                       f"{f['rank_floor']} (error {f.get('error_at_goal_m', float('nan')):.2e} "
                       f"at m={f.get('goal_m')})"), False
        else:
            ratio = f["features"] / f["rank_floor"]
            txt, ok = (f"{f['features']} features vs rank floor {f['rank_floor']} "
                       f"({ratio:.2f}x)"), ratio <= 1.2
        out.append(_row(5, txt, ok, "train_scaling"))
    return out


def _gpu(rep: dict[str, Any]) -> list[dict[str, Any]]:
    if not rep.get("cuda"):
        note = str(rep.get("note") or "CPU rows only; bench/gpu_session.sh measures it on a GPU")
        return [_row(8, f"not measured: no CUDA device in the run that wrote it ({note})",
                     None, "gpu_vs_cpu")]
    return [_row(8, f"CUDA {rep['cuda']}: see gpu_vs_cpu.md", None, "gpu_vs_cpu")]


ADAPTERS = {"certify_scaling": _certify_scaling, "train_scaling": _train_scaling,
            "gpu_vs_cpu": _gpu}
ADAPTER_GOAL = {"certify_scaling": 3, "train_scaling": 5, "gpu_vs_cpu": 8}  # if unreadable


def rows(reports: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The acceptance rows, goal by goal, from ``{report name: its JSON}``."""
    found: dict[int, list[dict[str, Any]]] = {}

    def add(r: dict[str, Any] | None) -> None:
        if r is not None:
            found.setdefault(int(r["goal"]), []).append(r)

    goals = (reports.get("goals") or {}).get("rows", {})
    for g, key in ((1, "g1"), (2, "g2")):
        if key in goals:
            add(_cert_goal(g, goals[key]))
    if goals.get("g6"):
        add(_hard_kernels(goals["g6"]))
    bench = reports.get("benchmarks") or {}
    timing = [t for t in bench.get("time_to_eps") or [] if t.get("peers")]
    for t in timing[:1]:
        add(_peers(f"{t['label']} eps={t['eps']:g}, {t['threads']} threads, "
                   f"{t['network']['width']} neurons", t["verdict"], t["peers"], "benchmarks"))
    gain = (reports.get("trainer_gain") or {}).get("peers")
    if gain:
        add(_peers(f"trainer_gain (32 neurons, m=10, eps=1e-3, ours {gain['ours_s']:.1f} s)",
                   gain["verdict"], gain["peers"], "trainer_gain"))
    if bench.get("features"):
        row = _floor_2d(bench["features"])
        if row is not None and "features" in (bench.get("carried") or []):
            # the features table was not rerun: say its numbers predate this run
            row["measured"] += " (features table carried over from an earlier run_all)"
        add(row)
    for name, rep in sorted(reports.items()):
        own = [a for a in (rep or {}).get("acceptance") or [] if isinstance(a, dict)
               and "goal" in a and name != "benchmarks"]
        for a in own:
            add({"target": GOALS.get(int(a["goal"]), ""), "source": name, **a})
        if not own and name in ADAPTERS:
            try:
                for r in ADAPTERS[name](rep):
                    add(r)
            except (KeyError, TypeError, ValueError) as exc:
                add(_row(ADAPTER_GOAL[name], f"see {name}.md (unread field {exc})", None, name))
    out = []
    for g in GOALS:
        out += found.get(g) or [_row(g, "not measured (no report row)", None, "-")]
    return out


def verdict_text(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def markdown(acc: list[dict[str, Any]]) -> str:
    """The acceptance table (goal, target, measured / how far, pass, source)."""
    lines = ["| goal | target | measured (how far) | pass | source |", "|---|---|---|---|---|"]
    lines += [f"| {a['goal']} | {a['target']} | {a['measured']} | {verdict_text(a['pass'])} | "
              f"{a['source']} |" for a in acc]
    return "\n".join(lines)
