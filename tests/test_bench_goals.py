"""Pure parts of the issue-17 benchmarks: best-peer choice, acceptance table, README rewrite.

No timed assertions and no training beyond a few steps of a 4-neuron network.
"""

from __future__ import annotations

import math

import pytest

from bench import acceptance, peers, readme, run_all


def _peer(name: str, reached: bool, time_s: float, err: float, opt: str = "adam",
          lr: float = 1e-2) -> dict:
    return {"peer": name, "reached": reached, "time_s": time_s, "best_grid_error": err,
            "steps": 10, "spec": {"optimizer": opt, "lr": lr, "batch": None}}


def test_select_best_prefers_fastest_that_reached_then_lowest_error():
    a = _peer("a", False, 1.0, 1e-4)  # lowest error, but did not reach
    b = _peer("b", True, 5.0, 9e-4)
    c = _peer("c", True, 3.0, 8e-4)
    assert peers.select_best([a, b, c])["peer"] == "c"
    assert peers.select_best([a, _peer("d", False, 1.0, 2e-2)])["peer"] == "a"
    assert peers.select_best([]) is None


def test_verdict_is_against_the_best_peer():
    best = _peer("Adam", True, 12.0, 9e-4)
    ratio, text = peers.verdict(2.0, True, best, 10.0, 1e-3)
    assert ratio == pytest.approx(6.0) and "6.0x" in text and "Adam" in text
    ratio, text = peers.verdict(2.0, True, _peer("L", False, 20.0, 3e-2), 10.0, 1e-3)
    assert ratio is None and "within 10x our time" in text and "3.00e-02" in text
    assert peers.verdict(2.0, False, best, 10.0, 1e-3)[0] is None
    assert peers.meets(6.0, True, best, 10.0, 5.0) is True
    assert peers.meets(None, True, _peer("L", False, 20.0, 3e-2), 10.0, 5.0) is True
    assert peers.meets(None, True, _peer("L", False, 20.0, 3e-2), 3.0, 5.0) is None
    assert peers.meets(None, False, None, 10.0, 5.0) is False


def test_default_peers_cover_the_sweep_and_lbfgs():
    specs = peers.default_peers()
    assert {s.lr for s in specs if s.optimizer == "adam"} >= set(acceptance.SWEEP)
    assert any(s.optimizer == "lbfgs" for s in specs)
    assert len({s.name for s in peers.default_peers("both")}) == 2 * len(acceptance.SWEEP) + 1


def test_train_peer_starts_from_the_same_seed_and_stops_at_eps():
    import torch

    from bench.common import INSTANCES

    inst = INSTANCES["gauss1d"].with_grid(11)
    kw = dict(width=4, depth=1, feature_dim=2, budget_s=30.0, n_points=16, check_every=2)
    torch.set_num_threads(1)
    for spec in (peers.PeerSpec("adam", 1e-2), peers.PeerSpec("lbfgs", 1.0, grid=True),
                 peers.PeerSpec("adam", 1e-2, batch=8)):
        out = peers.train_peer(spec, inst, eps=10.0, pool=64, **kw)
        assert out["reached"] and out["steps"] >= 1
        out2 = peers.train_peer(spec, inst, eps=1e-12, max_steps=4, **kw)
        assert not out2["reached"] and math.isfinite(out2["best_grid_error"])
    # the same seed gives the same numbers
    s = peers.PeerSpec("adam", 1e-2)
    a = peers.train_peer(s, inst, eps=1e-12, max_steps=4, **kw)
    b = peers.train_peer(s, inst, eps=1e-12, max_steps=4, **kw)
    assert a["best_grid_error"] == b["best_grid_error"]


def _canned() -> dict:
    g1 = {"eps": 1e-4, "neurons": 32, "m": 10, "status": "reached", "sampled_sup": 3.6e-5,
          "train_s": 1.3,
          "cert_status": "certified", "U": 9.5e-5, "L": 3.6e-5, "leaves": 160,
          "certify_s": 0.6, "total_s": 1.9, "limit_s": 60.0, "met": True}
    g2 = {**g1, "neurons": 256, "m": 40, "cert_status": "undecided", "U": 2e-3, "met": False,
          "eps": 1e-3}
    hard = [{"kernel": "cauchy", "r_floor": 6, "in_scope": True, "reached": 5, "seeds": 5,
             "time_s": {"min": 1.0, "median": 1.2, "max": 1.5},
             "sampled_sup": {"min": 5e-4, "median": 7e-4, "max": 9e-4}, "met": True},
            {"kernel": "matern52", "r_floor": 14, "in_scope": False, "reached": 0, "seeds": 5,
             "time_s": {"min": 9.0, "median": 9.2, "max": 9.5},
             "sampled_sup": {"min": 2e-3, "median": 3e-3, "max": 4e-3}, "met": None}]
    t = {"label": "gaussian l=0.5 on [-1,1]", "eps": 1e-3, "threads": 2, "verdict": "v",
         "network": {"width": 16, "depth": 1, "feature_dim": 8},
         "peers": [_peer("x", False, 1.0, 1e-2, lr=lr) for lr in acceptance.SWEEP]
         + [_peer("l", False, 1.0, 1e-2, opt="lbfgs", lr=1.0)]}
    feats = [{"instance": "gauss2d", "method": "mlp", "eps": 1e-3, "features": 39},
             {"instance": "gauss2d", "method": "rank_bound", "eps": 1e-3, "features": 26}]
    return {"goals": {"rows": {"g1": g1, "g2": g2, "g6": hard}},
            "benchmarks": {"time_to_eps": [t], "features": feats},
            "certify_scaling": {"acceptance": [{"goal": 3, "measured": "U/L 1.3", "pass": False}]}}


def test_acceptance_rows_from_canned_reports():
    acc = {a["goal"]: a for a in acceptance.rows(_canned())}
    assert sorted(acc) == list(range(1, 9))
    assert acc[1]["pass"] is True and "U=9.5e-05" in acc[1]["measured"]
    assert acc[2]["pass"] is False and "undecided" in acc[2]["measured"]
    assert acc[3]["pass"] is False and acc[3]["source"] == "certify_scaling"
    assert acc[4]["pass"] is None and "not measured" in acc[4]["measured"]
    assert acc[5]["pass"] is False and "1.50x" in acc[5]["measured"]
    assert acc[6]["pass"] is True and "out of scope" in acc[6]["measured"]  # matern ignored
    assert acc[7]["pass"] is True
    bad = _canned()
    bad["benchmarks"]["time_to_eps"][0]["peers"].pop(0)  # lr 1e-3 missing
    assert next(a for a in acceptance.rows(bad) if a["goal"] == 7)["pass"] is False
    ref = _canned()
    ref["goals"]["rows"]["g2"].update(cert_status="refuted", U=33.0, L=1.5e-3)
    g2 = next(a for a in acceptance.rows(ref) if a["goal"] == 2)
    assert "L=0.0015 > eps=0.001" in g2["measured"] and "U=33" not in g2["measured"]
    md = acceptance.markdown(acceptance.rows(_canned()))
    assert md.count("\n") == 9 and "FAIL" in md and "| n/a |" in md


def test_readme_section_rewritten_between_markers_only():
    text = "# t\n\nintro\n\n## Benchmarks\n\nold text\n\n## Install\n\nx\n"
    once = readme.rewrite(text, "BODY 1")
    assert readme.BEGIN in once and "BODY 1" in once and once.startswith("# t\n\nintro")
    twice = readme.rewrite(once, "BODY 2")
    assert "BODY 1" not in twice and "BODY 2" in twice
    assert twice.count(readme.BEGIN) == 1 and twice.endswith("## Install\n\nx\n")
    assert readme.rewrite(twice, "BODY 2") == twice
    with pytest.raises(ValueError):
        readme.rewrite("# no section\n", "x")
    body = readme.section(_canned())
    assert "Issue 17 acceptance" in body and "```" not in body  # no code block for the tests
    assert "carried from an earlier run: features" in readme._where({"carried": ["features"]})


def test_committed_readme_has_the_markers():
    from conftest import ROOT

    text = (ROOT / "README.md").read_text()
    assert text.count(readme.BEGIN) == 1 and text.count(readme.END) == 1


def test_run_all_piece_selection():
    assert run_all.selected("", "") == set(run_all.PIECES)
    assert run_all.selected("goals,peers", "") == {"goals", "peers"}
    assert "peers" not in run_all.selected("", "time,readme")  # old alias
    with pytest.raises(SystemExit):
        run_all.selected("nonsense", "")
    res = run_all.bench_subprocess("no_such_bench_module", quick=True)
    assert res["skipped"] and "not present" in res["note"]


def test_run_all_markdown_renders_peers_old_baselines_and_issue17_table():
    from bench.common import machine_info

    t = _canned()["benchmarks"]["time_to_eps"][0]
    t.update(neurons=16, factor=10.0,
             ours={"reached": True, "time_s": 2.0, "grid_error": 3e-4, "sampled_sup": 3e-4},
             best_peer=t["peers"][-1], command="bench.time_to_eps.run()")
    old = {k: v for k, v in t.items() if k not in ("peers", "best_peer", "command")}
    old["baseline"] = {"lr": 1e-3, "reached": False, "time_s": 20.0, "best_grid_error": 0.157}
    data = {"quick": False, "machine": machine_info(), "grids": {}, "features": [],
            "time_to_eps": [t, old], "acceptance": [], "figures": [],
            "goals": {"skipped": True, "note": "bench/goals.py not present: not run"},
            "carried": ["suite_cost"], "acceptance17": acceptance.rows(_canned())}
    md = run_all.markdown(data)
    assert "**(best peer)**" in md and "Adam (lr 0.001) on MSE, minibatch" in md
    assert "not present: not run" in md and "carried over" in md
    assert "Acceptance targets (issue 17)" in md


def test_goal_kernels_are_symmetric_and_rank_floor_below_eig_count():
    from bench import goals

    lib = goals.kernels()
    assert {"cauchy", "rational_quadratic", "sum_two_gaussians"} <= set(lib)
    for rel in lib.values():
        assert rel.symmetric
    r = goals.truncation_ranks(lib["cauchy"], 1e-3, grid_k=201)
    assert 1 <= r["r_floor"] <= r["r_eig"]  # the floor is a theorem: no rank below it works
    data = {"machine": {"date_utc": "d", "platform": "p", "cpu_count": 2, "torch": "t",
                        "torch_threads": 1},
            "rows": {**_canned()["goals"]["rows"]}}
    for k in ("g1", "g2"):
        data["rows"][k] = {**data["rows"][k], "goal": k, "relation": "gaussian", "dim": 1,
                           "eps_train": 8e-5, "stopped_by_wall_clock": False, "command": "c"}
    for h in data["rows"]["g6"]:
        h.update(r_eig=h["r_floor"] + 1, m=10, width=32, limit_s=60.0, command="c6")
    md = goals.markdown(data)
    assert "| g1 |" in md and "| cauchy | 6 | 7 | yes |" in md and "| n/a |" in md


def test_acceptance_adapters_for_the_other_benchmarks():
    reps = {
        "certify_scaling": {"growth": {"leaves_eps_exponent": 0.5}, "rows": [
            {"input_dim": 6, "eps": 1e-1, "status": "certified", "U": 0.05, "L": 0.01,
             "leaves": 10, "time_s": 100.0, "rel_gap": None},
            {"input_dim": 4, "eps": 1e-2, "status": "certified", "U": 1.05e-3, "L": 1e-3,
             "leaves": 10, "time_s": 100.0, "rel_gap": 0.1, "U_over_L": 1.05}]},
        "train_scaling": {"growth": {"1": {"a": 0.1}}, "feature_row": {
            "features": 30, "rank_floor": 26}},
        "gpu_vs_cpu": {"cuda": None, "note": "no GPU"},
    }
    acc = acceptance.rows(reps)
    by = {}
    for a in acc:
        by.setdefault(a["goal"], []).append(a)
    assert by[3][0]["pass"] is False and "6-D eps=0.1" in by[3][0]["measured"]  # 1e-1 only
    assert [a["pass"] for a in by[4]] == [True, True]
    assert by[5][0]["pass"] is True and "1.15x" in by[5][0]["measured"]
    assert by[8][0]["pass"] is None and "no CUDA" in by[8][0]["measured"]
    broken = {"train_scaling": {"growth": {}, "feature_row": {"features": 3}}}  # no floor
    rows = [a for a in acceptance.rows(broken) if a["source"] == "train_scaling"]
    assert len(rows) == 1 and rows[0]["goal"] == 5 and rows[0]["pass"] is None
    assert "unread field" in rows[0]["measured"]
