"""Benchmarks on tiny sizes: the search, the peers, the ``> cap`` rows, the cache, the tables."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from bench.common import INSTANCES, RowCache, search_features, sup_error
from bench.features_to_eps import (
    Config,
    EigFloor,
    InstanceBench,
    nystrom_grid_gram,
    rank_bound_m,
    rff_cos_gram,
    rff_sincos_gram,
    table,
)

TINY = INSTANCES["gauss1d"].with_grid(41)


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def tiny_cfg() -> Config:
    return Config(seeds=2, rff_cap=256, nystrom_cap=32, mlp_cap=8, mlp_budget_s=10.0)


# ----------------------------------------------------------------------------- search
def test_search_finds_smallest_count_by_doubling_then_bisection():
    res = search_features(lambda n: 1.0 / n, 0.01, cap=10_000)
    assert res.features == 100
    assert res.reached and res.display() == "100"
    # doubling to 128 (8 evaluations) then bisection between 64 and 128 (6 more)
    assert len(res.evaluations) <= 15


def test_search_reports_cap_when_not_reached():
    res = search_features(lambda n: 1.0 / n, 0.001, cap=300)
    assert not res.reached and res.features is None
    assert res.display() == "> 300"
    assert 300 in res.evaluations  # the cap itself was tried


def test_search_with_step_and_start():
    res = search_features(lambda n: 1.0 / n, 0.01, cap=10_000, step=lambda k: k * k)
    assert res.features == 100  # k = 10
    res = search_features(lambda n: 1.0 / n, 0.01, cap=10_000, start=100)
    assert res.features == 100 and list(res.evaluations) == [100]


def test_search_guess_first():
    res = search_features(lambda n: 1.0 / n, 0.01, cap=10_000, start=50, guess=120)
    assert res.features == 100 and next(iter(res.evaluations)) == 120
    res = search_features(lambda n: 1.0 / n, 0.01, cap=10_000, start=5, guess=60)
    assert res.features == 100 and list(res.evaluations)[:2] == [60, 120]
    res = search_features(lambda n: 1.0 / n, 0.001, cap=150, start=5, guess=60)
    assert res.display() == "> 150"


# ----------------------------------------------------------------------------- peers
def test_rff_cos_gram_matches_sklearn_transform():
    from sklearn.kernel_approximation import RBFSampler

    X = TINY.grid()
    G = rff_cos_gram(TINY, X, 300, seed=3, chunk=128)
    Z = RBFSampler(gamma=2.0, n_components=300, random_state=3).fit(X[:1]).transform(X)
    np.testing.assert_allclose(G, Z @ Z.T, atol=1e-12)


def test_rff_error_decreases_with_features_on_average():
    X = TINY.grid()
    K = TINY.k(X, X)
    for gram in (rff_cos_gram, rff_sincos_gram):
        small = np.mean([sup_error(K, gram(TINY, X, 16, s)) for s in range(4)])
        large = np.mean([sup_error(K, gram(TINY, X, 1024, s)) for s in range(4)])
        assert large < 0.5 * small


def test_laplace_rff_converges():
    inst = INSTANCES["laplace1d"].with_grid(31)
    X = inst.grid()
    K = inst.k(X, X)
    assert sup_error(K, rff_sincos_gram(inst, X, 4096, 0)) < 0.1


def test_nystrom_grid_interpolates_at_landmarks():
    Z = TINY.box.grid(7)
    G = nystrom_grid_gram(TINY, Z, 7)
    np.testing.assert_allclose(G, TINY.k(Z, Z), atol=1e-9)


def test_eig_floor_is_exact_at_full_rank_and_rank_bound_is_below_it():
    X = TINY.grid()
    K = TINY.k(X, X)
    eig = EigFloor(K)
    assert eig.error(eig.rank) < 1e-10
    errs = [eig.error(m) for m in range(1, 9)]
    assert all(b <= a * 1.0001 for a, b in zip(errs, errs[1:]))
    for eps in (1e-1, 1e-2, 1e-3):
        m_lb = rank_bound_m(K, eps)
        assert m_lb >= 1
        # the rank bound is a theorem: the eigendecomposition cannot beat it
        assert eig.error(m_lb - 1) > eps


def test_floor_not_above_any_peer_and_cap_rows():
    bench = InstanceBench(TINY, tiny_cfg())
    for eps in (1e-1, 1e-2):
        rows = {m: bench.row(m, eps) for m in ("rank_bound", "eig_floor", "nystrom_grid",
                                               "nystrom_uniform", "rff_sincos", "rff_cos")}
        floor = rows["eig_floor"]["features"]
        assert floor is not None
        assert rows["rank_bound"]["features"] <= floor
        for name, r in rows.items():
            count = r["features"] if r["features"] is not None else r["cap"] + 1
            if name != "rank_bound":
                assert floor <= count, (name, eps)
    # RFF cannot reach 1e-3 with 256 features: the row says so instead of disappearing
    r = bench.row("rff_cos", 1e-3)
    assert r["features"] is None and r["display"] == "> 256"
    assert "> 256" in table([r])


@pytest.mark.slow
def test_mlp_row_respects_rank_bound():
    bench = InstanceBench(TINY, tiny_cfg())
    r = bench.row("mlp", 1e-1)
    assert r["features"] is not None
    assert r["features"] >= rank_bound_m(bench.K, 1e-1)
    assert r["neurons"] >= 16 and r["error"] <= 1e-1


# ----------------------------------------------------------------------------- plumbing
def test_row_cache_roundtrip(tmp_path):
    path = tmp_path / "bench" / ".cache" / "rows.json"
    c = RowCache(path, resume=False)
    c.put("a", {"x": 1})
    assert json.loads(path.read_text()) == {"a": {"x": 1}}
    assert RowCache(path, resume=True).get("a") == {"x": 1}
    assert RowCache(path, resume=False).get("a") is None


def test_suite_cost_times_subprocesses():
    from bench.suite_cost import run

    rows = run({"ok": [sys.executable, "-c", "print('hi')"],
                "fail": [sys.executable, "-c", "import sys; sys.exit(3)"]})
    assert [r["returncode"] for r in rows] == [0, 3]
    assert rows[0]["tail"] == ["hi"] and rows[0]["wall_s"] > 0


def test_run_all_renders_tables_figures_and_acceptance(tmp_path):
    from bench import run_all
    from bench.common import machine_info

    bench = InstanceBench(TINY.with_grid(21), tiny_cfg())
    rows = [bench.row(m, e) for m in ("rank_bound", "eig_floor", "rff_cos") for e in (1e-1, 1e-3)]
    fake_mlp = {**rows[2], "method": "mlp", "features": 6, "display": "6", "neurons": 16}
    rows.append({**fake_mlp, "eps": 1e-3})
    acc = run_all.acceptance(rows, None)
    first = acc[0]
    assert first["pass"] is (6 <= 1.5 * rows[3]["features"])
    assert acc[1]["measured"].startswith("best RFF > 256") and acc[1]["pass"] is False
    data = {"quick": True, "machine": machine_info(), "grids": {"gauss1d": "21 per axis"},
            "features": rows, "acceptance": acc,
            "figures": run_all.figures(rows, tmp_path, "f_")}
    assert (tmp_path / "f_gauss1d.png").stat().st_size > 1000
    md = run_all.markdown(data)
    assert "> 256" in md and "cpu" in md.lower() and "Acceptance" in md
