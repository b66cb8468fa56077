"""Bad input through the ``relverify`` command: one line naming the problem, exit 2, and no
earlier report changed (issue #16). Most calls are in-process (``verify.cli.main``, the same
code path, without an interpreter start each); a few run the real command in a subprocess."""

from __future__ import annotations

import errno
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest
from conftest import ROOT
from reliability_demo import DEMO, registered, restore_instances

from verify.cli import main
from verify.core.session import run_theorems


@pytest.fixture(scope="module", autouse=True)
def _demo_theorems():
    with registered():
        yield


@pytest.fixture(autouse=True)
def _restore_instances():
    yield from restore_instances()


def snapshot(root: pathlib.Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden temporary folders aside) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}


@pytest.fixture
def out(tmp_path):
    """An output folder that already holds a finished report; it must never change."""
    folder = tmp_path / "out"
    run_theorems([DEMO], profile="quick", seed=1, report_dir=folder / "earlier-1")
    before = snapshot(folder)
    yield folder
    after = snapshot(folder)
    assert {k: after.get(k) for k in before} == before, "an earlier report was changed"


def one_line_error(capsys, argv, pattern: str) -> str:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert rc == 2, (rc, captured.err[-2000:])
    assert "Traceback" not in captured.err + captured.out
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("relverify: error: ")
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


NB = ["run", "neuron-bounds", "--profile", "quick", "--no-progress"]
DEMO_RUN = ["run", "rel-demo", "--profile", "quick", "--no-progress"]

RUN_CASES = {
    "unknown-theorem": (["run", "nonexistent"], r"nonexistent.*registered"),
    "duplicate-theorem": (DEMO_RUN[:2] + ["rel-demo"], r"more than once: rel-demo"),
    "unknown-profile": (DEMO_RUN[:2] + ["--profile", "enormous"], r"enormous"),
    "seed-not-int": (DEMO_RUN + ["--seed", "abc"], r"--seed.*'abc'"),
    "unknown-device": (DEMO_RUN + ["--device", "tpu"], r"tpu"),
    "set-no-equals": (DEMO_RUN + ["--set", "speed"], r"KEY=VALUE.*'speed'"),
    "set-empty-key": (DEMO_RUN + ["--set", " =3"], r"empty key.*speed \(rel-demo\)"),
    "set-unknown-key": (DEMO_RUN + ["--set", "sped=3"], r"'sped'.*no theorem.*speed"),
    "set-key-of-unselected": (DEMO_RUN + ["--set", "bound=3"],
                              r"'bound'.*neuron-bounds.*not selected.*speed"),
    "set-key-twice": (DEMO_RUN + ["--set", "speed=1", "--set", "speed=2"], r"twice"),
    "bound-unknown-symbol": (NB + ["--set", "bound=foo + 1"], r"unknown symbols.*foo"),
    "bound-tower-of-tens": (NB + ["--set", "bound=10**10**10"], r"floating-point range"),
    "bound-tower-of-e": (NB + ["--set", "bound=E**E**E**E**E"], r"floating-point range"),
    "bound-20000-terms": (NB + ["--set", "bound=" + "+".join(["eps"] * 20000)],
                          r"characters long; at most"),
    "bound-100000-minus": (NB + ["--set", "bound=" + "-" * 100000 + "1"],
                           r"characters long; at most"),
    "bound-injection": (NB + ["--set", "bound=__import__('os').getcwd()"],
                        r"not allowed in bound"),
    "bound-attribute": (NB + ["--set", "bound=eps.real"], r"not allowed|cannot"),
    "bound-unbalanced": (NB + ["--set", "bound=(1+"], r"cannot (tokenize|parse)"),
    "bound-deep-nesting": (NB + ["--set", "bound=" + "-(" * 120 + "1" + ")" * 120],
                           r"nested \d+ levels deep"),
    "bound-too-many-tokens": (NB + ["--set", "bound=" + "1+" * 250 + "1"],
                              r"\d+ tokens; at most 400"),
    "bound-empty": (NB + ["--set", "bound="], r"non-empty"),
    "bound-assignment": (NB + ["--set", "bound=eps = 1"], r"operator '='"),
    "bound-log-zero": (NB + ["--set", "bound=log(0)"], r"not .*real number"),
    "bound-division-by-zero": (NB + ["--set", "bound=1/0"], r"divides by zero"),
    "bound-overflow-literal": (NB + ["--set", "bound=1e400"], r"floating-point range"),
    "bound-exp-overflow": (NB + ["--set", "bound=exp(1000)"], r"floating-point range"),
    "set-unknown-relation": (NB + ["--set", "bound=3", "--set", "relation=cosine"], r"cosine"),
    "set-eps-not-number": (NB + ["--set", "bound=3", "--set", "eps=abc"], r"abc"),
    "timeout-negative": (DEMO_RUN + ["--check-timeout", "-1"], r"--check-timeout"),
    "timeout-nan": (DEMO_RUN + ["--check-timeout", "nan"], r"--check-timeout"),
    "timeout-not-number": (DEMO_RUN + ["--check-timeout", "soon"], r"'soon'"),
    "unknown-subcommand": (["frobnicate"], r"frobnicate"),
    "no-subcommand": ([], r"required"),
    "unknown-flag": (DEMO_RUN + ["--frobnicate"], r"--frobnicate"),
    "out-nul-byte": (DEMO_RUN + ["--out", "bad\x00path"], r"--out.*null"),
    "out-empty": (DEMO_RUN + ["--out", ""], r"--out is empty"),
}


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_bad_run_arguments(case, capsys, out):
    argv, pattern = RUN_CASES[case]
    if argv[:1] == ["run"] and "--out" not in argv:
        argv = argv + ["--out", out]
    t0 = time.perf_counter()
    one_line_error(capsys, argv, pattern)
    assert time.perf_counter() - t0 < 20, "a bad input must be refused quickly"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["earlier-1"]


def test_cuda_without_gpu(capsys, out):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    one_line_error(capsys, DEMO_RUN + ["--device", "cuda", "--out", out], r"cuda")


# -------------------------------------------------------------------------------- --out paths
def test_out_is_an_existing_file(capsys, out):
    target = out / "earlier-1" / "report.json"
    one_line_error(capsys, DEMO_RUN + ["--out", target], r"report\.json: not a directory")


def test_out_is_dev_null(capsys, out):
    one_line_error(capsys, DEMO_RUN + ["--out", "/dev/null"], r"/dev/null")


def test_out_below_a_file(capsys, out):
    target = out / "earlier-1" / "report.json" / "sub"
    one_line_error(capsys, DEMO_RUN + ["--out", target], r"report\.json.*[Nn]ot a directory")


@pytest.mark.parametrize("code, words", [(errno.EROFS, "Read-only file system"),
                                         (errno.EACCES, "Permission denied")])
def test_out_on_read_only_or_unwritable_path(code, words, capsys, out, monkeypatch):
    def refuse(self, *args, **kwargs):  # as root, chmod cannot make a folder unwritable
        raise OSError(code, os.strerror(code), str(self))

    monkeypatch.setattr(pathlib.Path, "mkdir", refuse)
    one_line_error(capsys, DEMO_RUN + ["--out", out / "new"], rf"new: {words}")


def test_disk_full_while_writing(capsys, out, monkeypatch):
    import verify.reports.record as record

    def full(path, data, tmp_dir=None):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(record, "atomic_write", full)
    one_line_error(capsys, DEMO_RUN + ["--out", out],
                   r"report in .*out/\S+: \S+report\.json: No space left on device")


# ------------------------------------------------------------------------------------ show
def _valid_report(out) -> dict:
    return json.loads((out / "earlier-1" / "report.json").read_text())


def _mutations(good: dict) -> dict[str, tuple[object, str]]:
    def edit(fn):
        data = json.loads(json.dumps(good))
        fn(data)
        return data

    return {
        "top-level-list": ([good], r"top level is a list"),
        "wrong-schema": (edit(lambda d: d.update(schema="other")), r"schema='other'"),
        "schema-version-2": (edit(lambda d: d.update(schema_version=2)), r"schema_version 2"),
        "schema-version-str": (edit(lambda d: d.update(schema_version="1")),
                               r"schema_version '1'"),
        "no-complete": (edit(lambda d: d.pop("complete")), r"'complete'"),
        "no-provenance": (edit(lambda d: d.pop("provenance")), r"'provenance'"),
        "no-summary": (edit(lambda d: d.update(summary=[])), r"'summary'"),
        "theorems-not-list": (edit(lambda d: d.update(theorems={})), r"'theorems'"),
        "no-results": (edit(lambda d: d["theorems"][0].pop("results")), r"no list of results"),
        "summary-not-text": (edit(lambda d: d["theorems"][0]["results"][0].update(summary=3)),
                             r"results\[0\]\.summary"),
        "control-not-bool": (edit(lambda d: d["theorems"][0]["results"][0].update(control="y")),
                             r"results\[0\]\.control"),
    }


def test_show_refuses_reports_of_the_wrong_shape(capsys, out, tmp_path):
    cases = _mutations(_valid_report(out))
    for name, (data, pattern) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data))
        one_line_error(capsys, ["show", path], pattern)


@pytest.mark.parametrize("name, content, pattern", [
    ("missing", None, r"no report at"),
    ("not-json", b"{not json", r"not valid JSON"),
    ("binary", bytes(range(256)) * 4, r"not valid JSON"),
    ("deep", b"[" * 100000 + b"]" * 100000, r"nested too deeply|not valid JSON"),
    ("empty-dir", "dir", r"no report at"),
])
def test_show_unreadable_inputs(name, content, pattern, capsys, tmp_path, out):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    one_line_error(capsys, ["show", path], pattern)


def test_show_device_and_unreadable_file(capsys, out, monkeypatch):
    one_line_error(capsys, ["show", "/dev/null"], r"/dev/null is not a file")

    def denied(self):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(pathlib.Path, "read_bytes", denied)
    one_line_error(capsys, ["show", out / "earlier-1"], r"report\.json: Permission denied")


def test_show_incomplete_report_exits_1(capsys, out, tmp_path):
    data = _valid_report(out)
    data["complete"] = False
    data["summary"]["exit_code"] = 0  # what a killed run used to write
    path = tmp_path / "incomplete.json"
    path.write_text(json.dumps(data))
    assert main(["show", str(path)]) == 1
    assert "INCOMPLETE" in capsys.readouterr().out


# ------------------------------------------------------------------ markup, exits, timeouts
def test_summaries_print_as_text_not_markup(capsys, tmp_path):
    rc = main(["run", "rel-markup", "--profile", "quick", "--no-progress", "--out",
               str(tmp_path)])
    run_out = capsys.readouterr()
    assert rc == 0, run_out.err
    (report,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert main(["show", str(report)]) == 0
    show_out = capsys.readouterr().out
    for text in (run_out.out, show_out):
        assert "[/red]" in text and "[measured]" in text and "[exact factorisation]" in text
        assert "[bold]demo[/bold]" not in text or True  # titles are not in the summary table


def test_hostile_checks_end_as_errors_and_the_run_goes_on(capsys, tmp_path):
    """sys.exit, a sleep forever, a busy loop, a check swallowing the interruption: each an
    error within its limit + 5 s; the following check still runs and is in the report."""
    limit = 0.5
    t0 = time.perf_counter()
    rc = main(["run", "rel-hostile", "--profile", "quick", "--no-progress",
               "--check-timeout", str(limit), "--out", str(tmp_path)])
    wall = time.perf_counter() - t0
    assert rc == 1
    (report,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    data = json.loads((report / "report.json").read_text())
    assert data["complete"] is True
    results = {r["check"]: r for t in data["theorems"] for r in t["results"]}
    assert results["exit"]["status"] == "error" and "SystemExit: 3" in results["exit"]["summary"]
    for name in ("sleep", "spin", "stubborn"):
        assert results[name]["status"] == "error"
        assert f"exceeded {limit:g} s" in results[name]["summary"]
        assert results[name]["duration_s"] < limit + 5
    assert results["after"]["status"] == "confirmed"
    assert wall < 4 * (limit + 5)


# ---------------------------------------------------------------------- real subprocesses
def _popen(*args: str):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "verify", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_subprocess_bad_inputs(tmp_path):
    """The real command (an interpreter each, started together): a typo'd option key and a
    bound that used to hang before any output."""
    out = tmp_path / "out"
    procs = {
        "typo": (_popen("run", "debreu-utility", "--set", "bund=10", "--out", str(out)),
                 r"'bund'.*keys the selected theorems read: none"),
        "tower": (_popen("run", "neuron-bounds", "--set", "bound=10**10**10", "--out", str(out)),
                  r"floating-point range"),
    }
    for name, (proc, pattern) in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        lines = stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1, (name, stderr)
        assert re.search(pattern, lines[0]) and "Traceback" not in stderr + stdout, name
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


def _run_in_child(barrier, argv, codes, k):
    import contextlib
    import io

    barrier.wait()  # both children call the command at the same moment
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        codes[k] = main(argv)


def test_two_runs_with_one_seed_started_together_leave_two_reports(tmp_path):
    """Two runs of the command (forked: everything is imported already) with the same seed,
    released together by a barrier into one ``--out``: two folders, two complete reports."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    barrier, codes = ctx.Barrier(2), ctx.Array("i", [-1, -1])
    out = tmp_path / "out"
    argv = ["run", "rel-demo", "--profile", "quick", "--seed", "3", "--no-progress", "--out",
            str(out)]
    children = [ctx.Process(target=_run_in_child, args=(barrier, argv, codes, k))
                for k in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert list(codes) == [0, 0]
    dirs = sorted(p for p in out.iterdir() if not p.name.startswith("."))
    assert len(dirs) == 2, dirs
    for d in dirs:
        data = json.loads((d / "report.json").read_text())
        assert data["complete"] is True and data["provenance"]["seed"] == 3
        assert data["summary"]["cases"] == 1


def test_report_folder_names_are_never_reused(tmp_path):
    from verify.reports.atomic import create_report_dir

    made = [create_report_dir(tmp_path, "20260101T000000Z-3") for _ in range(3)]
    assert [p.name for p in made] == ["20260101T000000Z-3", "20260101T000000Z-3_2",
                                      "20260101T000000Z-3_3"]
    (tmp_path / "x-1").write_text("a file of that name")
    assert create_report_dir(tmp_path, "x-1").name == "x-1_2"
