"""Tests for verify.sweeps: task keys, atomic cache, executors, resume after SIGKILL, failures."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from verify.sweeps import SweepCache, Task, make_executor, run_sweep
from verify.sweeps import cache as cache_mod
from verify.sweeps._demo import demo_task
from verify.sweeps.executors import THREAD_ENV_VARS
from verify.sweeps.tasks import SWEEP_VERSION

ROOT = Path(__file__).resolve().parents[1]
DEMO = "verify.sweeps._demo:demo_task"


def demo_tasks(n_tasks: int = 8, **extra) -> list[Task]:
    return [Task(DEMO, {"n": 40 + i, "scale": 0.5 * (1 + i % 3), **extra}, seed=100 + i)
            for i in range(n_tasks)]


# ---------------------------------------------------------------------------------- tasks --

def test_key_is_sha256_of_canonical_json():
    task = Task(DEMO, {"scale": 2.0, "n": 5}, seed=3)
    canonical = json.dumps({"fn": DEMO, "params": {"n": 5, "scale": 2.0}, "seed": 3,
                            "version": SWEEP_VERSION}, sort_keys=True, separators=(",", ":"))
    assert task.key == hashlib.sha256(canonical.encode()).hexdigest()
    assert task.key == Task(DEMO, {"n": 5, "scale": 2.0}, seed=3).key  # order-insensitive
    others = {Task(DEMO, {"n": 5, "scale": 2.0}, seed=4).key,
              Task(DEMO, {"n": 5, "scale": 2.5}, seed=3).key,
              Task(DEMO, {"n": 5, "scale": 2.0}, seed=3, version="v2").key,
              Task("verify.sweeps._demo:other", {"n": 5, "scale": 2.0}, seed=3).key}
    assert task.key not in others and len(others) == 4
    back = Task.from_dict(task.to_dict())
    assert back == task and hash(back) == hash(task)


@pytest.mark.parametrize("kwargs, exc", [
    ({"fn": "no_colon", "params": {}}, ValueError),
    ({"fn": DEMO, "params": {"seed": 1}}, ValueError),
    ({"fn": DEMO, "params": {"x": object()}}, TypeError),
    ({"fn": DEMO, "params": {"x": float("nan")}}, ValueError),
    ({"fn": DEMO, "params": {}, "seed": 1.5}, TypeError),
])
def test_bad_task_rejected(kwargs, exc):
    with pytest.raises(exc):
        Task(**kwargs)


# ---------------------------------------------------------------------------------- cache --

def test_cache_put_get_keys(tmp_path):
    cache = SweepCache(tmp_path / "c")
    t1, t2 = demo_tasks(2)
    assert cache.get(t1.key) is None and cache.keys() == []
    cache.put(t1, {"a": (1, 2)}, elapsed_s=0.5, host="h")
    entry = cache.get(t1.key)
    assert entry["result"] == {"a": [1, 2]} and entry["task"] == t1.to_dict()
    assert entry["timing"]["elapsed_s"] == 0.5 and entry["host"] == "h" and entry["finished_at"]
    assert cache.keys() == [t1.key] and t1.key in cache and t2.key not in cache
    # temp files live in a sibling directory, never in the cache itself
    assert cache.tmp_dir.parent == cache.directory.parent
    assert [p.name for p in cache.directory.iterdir()] == [f"{t1.key}.json"]


def test_cache_write_interrupted_before_rename_leaves_nothing(tmp_path, monkeypatch):
    cache = SweepCache(tmp_path / "c")
    (task,) = demo_tasks(1)

    def boom(src, dst):
        raise KeyboardInterrupt  # as if killed between fsync and rename

    monkeypatch.setattr(cache_mod.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.put(task, {"x": 1})
    assert cache.keys() == [] and list(cache.tmp_dir.iterdir()) == []


def test_cache_ignores_foreign_garbage(tmp_path):
    cache = SweepCache(tmp_path / "c")
    (task,) = demo_tasks(1)
    cache.path(task.key).write_text('{"key": "trunc')
    with pytest.warns(UserWarning, match="unreadable"):
        assert cache.get(task.key) is None


# ------------------------------------------------------------------------------ executors --

@pytest.mark.parametrize("spec", ["dask", "threads", "dask://", "LOCAL", ""])
def test_bad_executor_spec(spec):
    with pytest.raises(ValueError, match=repr(spec).replace("\\", "\\\\")):
        make_executor(spec)


def test_serial_executor_delivers_exceptions():
    with make_executor("serial") as ex:
        assert ex.submit(pow, 2, 10).result() == 1024
        with pytest.raises(ZeroDivisionError):
            ex.submit(divmod, 1, 0).result()


@pytest.fixture
def restore_threads(monkeypatch):
    """The in-process Dask worker below runs the thread-limit plugin in *this* process: undo it."""
    for var in THREAD_ENV_VARS:
        if var in os.environ:
            monkeypatch.setenv(var, os.environ[var])
        else:
            monkeypatch.delenv(var, raising=False)
    torch = sys.modules.get("torch")
    n_threads = torch.get_num_threads() if torch is not None else None
    yield
    if torch is not None:
        torch.set_num_threads(n_threads)


@pytest.fixture(scope="module")
def tcp_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       protocol="tcp://", host="127.0.0.1",
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    yield cluster
    cluster.close()


def test_same_table_through_every_executor(tmp_path, tcp_cluster, restore_threads):
    """8 good tasks + 1 failing one: identical outcomes via serial, processes and Dask."""
    tasks = demo_tasks(8) + [Task(DEMO, {"n": 3, "scale": 1.0,
                                         "fail_unless_exists": str(tmp_path / "never")}, seed=0)]
    address = tcp_cluster.scheduler_address
    assert address.startswith("tcp://")
    specs = ["serial", "local", "dask-local", "dask://" + address.removeprefix("tcp://")]
    expected = [dict(demo_task(**t.params, seed=t.seed)) for t in tasks[:-1]]
    expected = [{**e, "head": [float(v) for v in e["head"]]} for e in expected]
    seen = {}
    for i, spec in enumerate(specs):
        res = run_sweep(tasks, executor=spec, cache_dir=tmp_path / f"c{i}", max_workers=2,
                        progress=False)
        assert (res.computed, res.from_cache, res.failed) == (8, 0, 1), spec
        assert res.results[:-1] == expected, spec
        assert "demo failure" in res.failures[0].error and "RuntimeError" in res.failures[0].error
        seen[spec] = (res.table(), [o.status for o in res.outcomes],
                      sorted(SweepCache(tmp_path / f"c{i}").keys()))
        if spec in ("local", "dask-local"):  # really ran in other processes
            assert {o.host for o in res.outcomes[:-1]} and all(
                json.loads(p.read_text())["pid"] != os.getpid()
                for p in (tmp_path / f"c{i}").glob("*.json"))
    first = seen["serial"]
    assert all(v == first for v in seen.values())
    assert len(first[2]) == 8


# ------------------------------------------------------------------------------- run_sweep --

def test_failing_task_reported_then_rerun(tmp_path):
    marker = tmp_path / "marker"
    tasks = demo_tasks(3) + [Task(DEMO, {"n": 4, "scale": 1.0,
                                         "fail_unless_exists": str(marker)}, seed=1)]
    cache_dir = tmp_path / "cache"
    first = run_sweep(tasks, executor="serial", cache_dir=cache_dir, progress=False)
    assert (first.computed, first.from_cache, first.failed) == (3, 0, 1) and not first.ok
    (fail,) = first.failures
    assert fail.task == tasks[3] and fail.result is None and "does not exist" in fail.error
    assert "Traceback" in fail.traceback and first.results[3] is None
    assert tasks[3].key not in SweepCache(cache_dir)  # failures are not cached

    marker.touch()
    second = run_sweep(tasks, executor="serial", cache_dir=cache_dir, progress=False)
    assert (second.computed, second.from_cache, second.failed) == (1, 3, 0) and second.ok
    assert [o.status for o in second.outcomes] == ["cached"] * 3 + ["computed"]
    assert second.results[:3] == first.results[:3]
    # a finished sweep leaves only its cache folder: no hidden temporary folder beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "marker"]


def test_on_result_streams_every_result_and_duplicates_run_once(tmp_path):
    tasks = demo_tasks(4)
    run_sweep(tasks[:2], executor="serial", cache_dir=tmp_path, progress=False)
    seen = []
    res = run_sweep(tasks + [tasks[3]], executor="serial", cache_dir=tmp_path, progress=False,
                    on_result=lambda t, r: seen.append((t.key, r["norm"])))
    # counts are per position (5), but the duplicate ran and was streamed once
    assert (res.computed, res.from_cache, res.failed) == (3, 2, 0)
    keys = [k for k, _ in seen]  # cached first, then in completion order
    assert keys[:2] == [t.key for t in tasks[:2]]
    assert sorted(keys[2:]) == sorted(t.key for t in tasks[2:]) and len(keys) == 4
    assert res.results[3] == res.results[4] and len(res.outcomes) == 5
    assert sorted(r["norm"] for r in res.results[:4]) == sorted(n for _, n in seen)


def test_progress_bar_does_not_break_a_run(tmp_path, capsys):
    res = run_sweep(demo_tasks(2), executor="serial", cache_dir=tmp_path, progress=True)
    assert res.computed == 2


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from verify.sweeps import Task, run_sweep
    tasks = [Task("verify.sweeps._demo:demo_task", {"n": 10 + i, "scale": 1.0, "sleep_s": 0.2},
                  seed=i) for i in range(12)]
    run_sweep(tasks, executor="local", max_workers=2, cache_dir=sys.argv[1], progress=False)
""")


def test_kill_and_resume(tmp_path):
    cache_dir = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(cache_dir)], cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and proc.poll() is None:
            if cache_dir.is_dir() and len(list(cache_dir.glob("*.json"))) >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    finally:
        try:  # SIGKILL the sweep and its pool workers (its own process group)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    files = sorted(cache_dir.iterdir())
    assert all(p.suffix == ".json" for p in files)  # no temp file in the cache directory
    for p in files:  # every entry is complete
        entry = json.loads(p.read_text())
        assert p.stem == entry["key"] == Task.from_dict(entry["task"]).key
    n_done = len(files)
    assert 3 <= n_done < 12

    tasks = [Task(DEMO, {"n": 10 + i, "scale": 1.0, "sleep_s": 0.2}, seed=i) for i in range(12)]
    res = run_sweep(tasks, executor="serial", cache_dir=cache_dir, progress=False)
    assert (res.computed, res.from_cache, res.failed) == (12 - n_done, n_done, 0)
    done = {p.stem for p in files}
    assert [o.status for o in res.outcomes] == [
        "cached" if t.key in done else "computed" for t in tasks]
    for t, r in zip(tasks, res.results, strict=True):
        assert r == json.loads(json.dumps(demo_task(**{**t.params, "sleep_s": 0}, seed=t.seed),
                                              default=list))
    assert len(SweepCache(cache_dir)) == 12


@pytest.mark.parametrize("spec, with_torch", [("local", True), ("dask-local", False)])
def test_workers_limited_to_one_thread(tmp_path, spec, with_torch):
    task = Task("verify.sweeps._demo:thread_settings", {"with_torch": with_torch}, seed=0)
    res = run_sweep([task], executor=spec, cache_dir=tmp_path, max_workers=1, progress=False)
    expected = {"omp": "1", "mkl": "1", **({"torch": 1} if with_torch else {})}
    assert res.results == [expected], res.failures


def test_error_in_callback_cancels_queued_tasks(tmp_path):
    """If on_result raises (or Ctrl-C), queued tasks are dropped, not run before returning."""
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    tasks = [Task(DEMO, {"n": 5, "scale": 1.0, "sleep_s": 0.05, "log_dir": str(log_dir)}, seed=i)
             for i in range(40)]

    def stop(task, result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(tasks, executor="local", max_workers=1, cache_dir=tmp_path / "c",
                  progress=False, on_result=stop)
    assert len(SweepCache(tmp_path / "c")) == 1  # the result delivered before the stop
    assert 1 <= len(list(log_dir.iterdir())) <= 5  # a few prefetched calls at most, not 40
