"""The relverify command: list, run, show, exit codes, and reports that survive SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from conftest import ROOT, run_cli


def test_list_shows_debreu_with_source():
    proc = run_cli("list")
    assert proc.returncode == 0, proc.stderr
    assert "debreu-utility" in proc.stdout
    assert "2402.08856" in proc.stdout


def test_unknown_theorem_exits_2_with_one_line(tmp_path):
    proc = run_cli("run", "nonexistent", "--out", str(tmp_path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nonexistent" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())


def test_bad_usage_exits_2_one_line():
    proc = run_cli("run", "--profile", "enormous")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_show_of_missing_report_exits_2(tmp_path):
    proc = run_cli("show", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "no report" in proc.stderr


def test_run_writes_three_report_files_and_show_reads_them(tmp_path):
    proc = run_cli("run", "debreu-utility", "--profile", "quick", "--seed", "3",
                   "--out", str(tmp_path), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (report_dir,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert report_dir.name.endswith("-3")
    for name in ("report.json", "report.md", "report.html"):
        assert (report_dir / name).stat().st_size > 0
    data = json.loads((report_dir / "report.json").read_text())
    assert data["schema"] == "relverify.report" and data["complete"] is True
    assert data["provenance"]["seed"] == 3 and data["summary"]["exit_code"] == 0
    assert data["summary"]["controls"] >= 7
    statuses = {r["status"] for t in data["theorems"] for r in t["results"]}
    assert {"confirmed", "refuted", "not-applicable"} <= statuses
    assert "Negative controls" in (report_dir / "report.md").read_text()
    hidden = [p for p in report_dir.rglob(".*")]
    assert not hidden, f"temporary files or folders inside the report directory: {hidden}"
    show = run_cli("show", str(report_dir))
    assert show.returncode == 0 and "debreu-utility" in show.stdout


def test_same_seed_same_evidence(tmp_path):
    """Two runs with one seed give identical evidence (in-process: the CLI path is tested above)."""
    from verify import get_theorem
    from verify.core.session import run_theorems

    out = []
    for sub in ("a", "b"):
        outcomes, _ = run_theorems([get_theorem("debreu-utility")], profile="quick", seed=5,
                                   report_dir=tmp_path / sub)
        out.append([(o.case_id, json.dumps(o.result.evidence, default=str)) for o in outcomes])
    assert out[0] == out[1]


SLOW_THEOREM = '''
import time
from verify import CheckKind, Result, Source, Theorem, register
T = Theorem(id="slow-demo", title="slow", source=Source(paper="none"), statement="s")
@T.check("wait", CheckKind.NUMERIC)
def wait(instance, ctx):
    time.sleep(0.05)
    return Result.confirmed("waited", big="x" * 200000)
for i in range(400):
    T.instance(f"i{i}", expect={"wait": "confirmed"})
register(T)
'''


def test_sigkill_leaves_no_partial_file(tmp_path):
    """Kill runs at several moments: every file in the report directory is complete."""
    pkg = tmp_path / "pkg"
    (pkg / "slowdemo-0.dist-info").mkdir(parents=True)
    (pkg / "slowdemo.py").write_text(SLOW_THEOREM)
    (pkg / "slowdemo-0.dist-info" / "METADATA").write_text("Name: slowdemo\nVersion: 0\n")
    (pkg / "slowdemo-0.dist-info" / "entry_points.txt").write_text(
        "[relverify.theorems]\nslow = slowdemo\n")
    env = {**os.environ, "PYTHONPATH": str(pkg)}
    for k, delay in enumerate((0.0, 0.37, 1.1)):
        out = tmp_path / f"out{k}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "verify", "run", "slow-demo", "--out", str(out),
             "--no-progress", "--seed", str(k)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline and not list(out.glob("*/report.json")):
            time.sleep(0.05)
        time.sleep(delay)  # then kill at different moments of the run
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        dirs = [p for p in out.iterdir() if not p.name.startswith(".")]
        assert len(dirs) == 1
        files = [p for p in dirs[0].rglob("*") if p.is_file()]
        assert files, "the run should have written a report before being killed"
        for f in files:
            assert f.name in ("report.json", "report.md", "report.html"), f
        data = json.loads((dirs[0] / "report.json").read_text())  # complete JSON
        assert data["complete"] is False
        if (dirs[0] / "report.html").exists():
            assert (dirs[0] / "report.html").read_text().rstrip().endswith("</html>")
