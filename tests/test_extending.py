"""docs/extending.md works as written: its code, pasted into a new package, is found by
``relverify list`` and runs under pytest and the conformance suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from conftest import ROOT


def _blocks(lang: str) -> list[str]:
    text = (ROOT / "docs" / "extending.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_extending_example_as_a_new_package(tmp_path):
    python_blocks = _blocks("python")
    theorem_src, conformance_src = python_blocks[0], python_blocks[1]
    (entry_points,) = _blocks("toml")
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "my_theorems.py").write_text(theorem_src)
    (pkg / "test_conformance.py").write_text(conformance_src)
    (pkg / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "mypkg"\nversion = "0.1"\n'
        '[tool.setuptools]\npy-modules = ["my_theorems"]\n' + entry_points
    )
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(pkg)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "200"}

    listing = subprocess.run([sys.executable, "-m", "verify", "list"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "cauchy-schwarz" in listing.stdout and "debreu-utility" in listing.stdout

    run = subprocess.run(
        [sys.executable, "-m", "verify", "run", "cauchy-schwarz", "--profile", "quick",
         "--out", str(tmp_path / "reports"), "--no-progress"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (report,) = (tmp_path / "reports").glob("*/report.json")
    results = json.loads(report.read_text())["theorems"][0]["results"]
    assert {r["instance"]: r["status"] for r in results} == {
        "c-equals-1": "confirmed", "c-equals-half": "refuted"}

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--relverify-profile", "quick", "--relverify-theorem", "cauchy-schwarz"],
        cwd=pkg, env=env, capture_output=True, text=True, timeout=300,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "3 passed" in tests.stdout  # two theorem items + the conformance test
