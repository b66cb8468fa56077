"""Bad and odd input through the Python API (issue #16): clear one-line errors, right answers
on non-finite relations and integer matrices, time limits, weak orders at scale."""

from __future__ import annotations

import json
import math
import threading
import time
import tracemalloc

import numpy as np
import pytest
import sympy
from reliability_demo import DEMO, HOSTILE

from verify import Status, get_profile
from verify.bounds import parse_bound
from verify.core.limits import CheckTimeout, call_with_limit
from verify.core.session import run_theorems
from verify.orders import Preorder, PreorderError, WeakOrder, rank_utility, represents
from verify.relations import Box, Relation
from verify.reports.record import load_report


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


# ------------------------------------------------------------------------- bounds (API)
@pytest.mark.parametrize("text, pattern", [
    ("10**10**10", "floating-point range"),
    ("E**E**E**E**E", "floating-point range"),
    ("+".join(["eps"] * 20000), "characters long"),
    ("-" * 100000 + "1", "characters long"),
    ("2**1024", "floating-point range"),
    ("1" * 999, "floating-point range"),
    ("(-8)**(1/3)", "real number"),
    ("sqrt(-1)", "real number"),
])
def test_bound_guards(text, pattern):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=pattern) as info:
        parse_bound(text)
    assert time.perf_counter() - t0 < 5
    assert len(one_line(info.value)) < 400


def test_bound_with_quantities_overflows_only_when_evaluated():
    b = parse_bound("E**E**E**E**E * eps")  # parses: eps is only known per instance
    with pytest.raises(ValueError, match="floating-point range"):
        b.neurons({"eps": 1.0})
    assert parse_bound("ceiling(log(1/eps)) + Max(2, d)").neurons({"eps": 1e-3, "d": 3}) == 10


# ------------------------------------------------------------------------------ symmetry
X0, Y0 = sympy.symbols("x0 y0", real=True)
BOX = Box.interval(-1, 1)


@pytest.mark.parametrize("expr, symmetric, method", [
    (X0 + sympy.log(sympy.Abs(X0 - Y0)), False, "sampled"),  # -inf on the diagonal
    (1 / (X0 - Y0), False, "sampled"),  # zoo / inf on the diagonal
    (sympy.log(sympy.Abs(X0 - Y0)), True, "symbolic"),
    (sympy.exp(-(X0 - Y0) ** 2), True, "symbolic"),
])
def test_symmetric_on_non_finite_values(expr, symmetric, method):
    r = Relation.from_sympy("r", expr, (X0,), (Y0,), BOX, BOX)
    assert r.symmetric is symmetric
    assert r.symmetry_evidence["method"] == method


def test_symmetric_of_a_torch_relation_says_it_was_sampled():
    r = Relation.from_torch("t", lambda x, y: 1.0 / (x[..., 0] - y[..., 0]), BOX, BOX)
    assert r.symmetric is False
    ev = r.symmetry_evidence
    assert ev["method"] == "sampled" and ev["finite_pairs"] < ev["pairs"]


# ------------------------------------------------------------------------------ preorders
def test_preorder_accepts_integer_and_float_01_matrices():
    for leq in ([[1, 1], [0, 1]], np.array([[1.0, 1.0], [0.0, 1.0]]), [[True, True],
                                                                         [False, True]]):
        pre = Preorder(["a", "b"], leq)
        pre.require_complete_preorder()
        assert rank_utility(pre) == {"a": 0, "b": 1}


@pytest.mark.parametrize("elements, leq, pattern", [
    (["a", "b"], [[1, 1, 1], [0, 1, 1]], r"shape \(2, 3\).*2 elements"),
    (["a", "b", "c"], [[1, 1], [0, 1]], r"shape \(2, 2\).*3 elements"),
    (["a", "b"], [[1, 1], [0]], "not rectangular"),
    (["a", "b"], [[1, 2], [0, 1]], r"0/1; entry \(0, 1\) is 2"),
    (["a", "b"], [[1, float("nan")], [0, 1]], r"entry \(0, 1\) is nan"),
    (["a", "b"], [["yes", "no"], ["no", "yes"]], r"entry \(0, 0\)"),
    (["a", "a"], [[1, 1], [1, 1]], "'a' appears more than once"),
    (["a"], 1, r"shape \(\)"),
])
def test_preorder_bad_matrices(elements, leq, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        Preorder(elements, leq)
    one_line(info.value)


def test_fast_transitivity_finds_a_true_triple():
    rps = Preorder(["r", "p", "s"], [[1, 1, 0], [0, 1, 1], [1, 0, 1]])  # complete, cyclic
    w = rps.transitivity_violation()
    i = {e: k for k, e in enumerate(rps.elements)}
    assert rps.leq[i[w["a"]], i[w["b"]]] and rps.leq[i[w["b"]], i[w["c"]]]
    assert not rps.leq[i[w["a"]], i[w["c"]]]
    with pytest.raises(PreorderError, match="not transitive"):
        rank_utility(rps)


def test_weak_order_bad_keys():
    with pytest.raises(ValueError, match="NaN"):
        WeakOrder.from_key([1, 2], lambda e: float("nan") if e == 2 else 0.0)
    with pytest.raises(ValueError, match="not mutually comparable"):
        WeakOrder.from_key([1, 2], lambda e: "a" if e == 1 else 1).rank_utility()
    with pytest.raises(ValueError, match="2 elements but 1 keys"):
        WeakOrder((1, 2), (0,))


def test_weak_order_of_ten_thousand_elements_in_seconds():
    n = 10_000
    ranks = np.random.default_rng(0).integers(0, 100, size=n)
    tracemalloc.start()
    t0 = time.perf_counter()
    order = WeakOrder.from_key(range(n), lambda i: int(ranks[i]))
    u = rank_utility(order)
    assert order.represents(u) is None
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert wall < 5 and peak < 500 * 2**20
    dense = np.unique(ranks, return_inverse=True)[1]
    assert all(u[i] == dense[i] for i in range(n))
    bad = dict(u)
    bad[0], bad[1] = bad[1], bad[0]  # a planted swap is caught (when the ranks differ)
    if ranks[0] != ranks[1]:
        assert order.represents(bad) is not None
    small = WeakOrder.from_key(range(30), lambda i: i % 4)
    assert represents(small.to_preorder(), small.rank_utility()) is None


# ---------------------------------------------------------------------------- time limits
def test_sleeping_forever_ends_as_error_and_the_run_goes_on(tmp_path):
    limit = 0.3
    t0 = time.perf_counter()
    outcomes, writer = run_theorems([HOSTILE], profile="quick", report_dir=tmp_path / "r",
                                    check_timeout_s=limit)
    assert time.perf_counter() - t0 < 4 * (limit + 5)
    by = {o.check.name: o for o in outcomes}
    assert by["sleep"].result.status is Status.ERROR
    assert f"exceeded {limit:g} s" in by["sleep"].result.summary
    assert by["sleep"].duration_s < limit + 5
    assert "SystemExit" in by["exit"].result.summary
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [r["check"] for t in data["theorems"] for r in t["results"]] == [
        "exit", "sleep", "spin", "stubborn", "after"]
    assert data["complete"] and data["summary"]["exit_code"] == 1


def test_limit_outside_the_main_thread_uses_a_worker():
    box = {}

    def run():
        try:
            call_with_limit(lambda: time.sleep(30), 0.2)
        except CheckTimeout as exc:
            box["exc"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    assert "exceeded its time limit of 0.2 s" in str(box["exc"])
    assert call_with_limit(lambda: 7, 0) == 7  # 0: no limit


def test_an_outer_timer_is_restored():
    import signal

    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        assert call_with_limit(lambda: 5, 10) == 5
        time.sleep(1.0)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_default_limits_are_generous():
    ref = json.loads(open("reports/reference/report.json").read())  # noqa: SIM115
    slowest = max(r["duration_s"] for t in ref["theorems"] for r in t["results"])
    assert get_profile("standard").check_timeout_s >= 10 * slowest
    assert get_profile("quick").check_timeout_s >= 300


# ----------------------------------------------------------------------------- reports
def test_incomplete_report_says_exit_1(tmp_path):
    from verify.reports.provenance import provenance
    from verify.reports.record import ReportWriter, now_iso

    w = ReportWriter(tmp_path / "r", provenance(seed=0, profile="quick", device="cpu",
                                                started_at=now_iso()))
    w.add_theorem(DEMO, "quick")
    w.write()
    data = load_report(tmp_path / "r")
    assert data["complete"] is False and data["summary"]["exit_code"] == 1
    w.write(final=True)
    assert load_report(tmp_path / "r")["summary"]["exit_code"] == 0


def test_nonfinite_evidence_still_an_error():
    from verify import Result
    from verify.core.runner import run_case

    inst, check, expected = DEMO.cases("quick")[0]
    fn = check.fn
    try:
        object.__setattr__(check, "fn", lambda i, c: Result.confirmed("ok", x=math.inf))
        out = run_case(DEMO, inst, check, expected, profile=get_profile("quick"), run_seed=0)
    finally:
        object.__setattr__(check, "fn", fn)
    assert out.result.status is Status.ERROR


def test_atomic_write_names_the_path_of_a_failed_write(tmp_path, monkeypatch):
    import errno
    import os

    from verify.reports.atomic import atomic_write

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as write()/fsync() raise it

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as info:
        atomic_write(tmp_path / "r" / "report.json", "{}")
    assert info.value.filename == str(tmp_path / "r" / "report.json")
    assert not (tmp_path / "r" / "report.json").exists()
    assert not list((tmp_path / ".relverify-tmp").iterdir())  # no temporary file left behind
