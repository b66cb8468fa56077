"""The pytest plugin collects theorem checks as items and writes the same report as the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def _pytest(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def test_plugin_collects_theorem_items_with_ids():
    proc = _pytest("--co", "--relverify", "--relverify-theorem", "debreu-utility",
                   "tests/test_engine.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "debreu-utility::swapped-utility::utility-represents" in proc.stdout
    assert "debreu-utility::weak-order-200::transitive" in proc.stdout


def test_plugin_runs_checks_and_writes_report(tmp_path):
    proc = _pytest("--relverify", "--relverify-theorem", "debreu-utility",
                   "--relverify-report", str(tmp_path), "-k", "debreu", "tests/test_engine.py")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "passed" in proc.stdout
    (d,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    data = json.loads((d / "report.json").read_text())
    assert data["complete"] and data["summary"]["exit_code"] == 0
    assert {"report.md", "report.html"} <= {p.name for p in d.iterdir()}


def test_plugin_is_off_in_other_projects(tmp_path):
    (tmp_path / "test_x.py").write_text("def test_x():\n    assert True\n")
    proc = _pytest(cwd=tmp_path)
    assert proc.returncode == 0
    assert "1 passed" in proc.stdout and "debreu" not in proc.stdout
