"""Same seed, same numbers: a theorem's quick report does not depend on the machine's load.

The quick profile of ``symmetric-pd`` (restricted, to stay within the test-time budget, to its
training check ``witness`` on ``gaussian-1d`` and on the ``neg-distance`` control) runs twice in
fresh processes, the second time beside two CPU-bound processes; every number in the two report.json
files must agree except timings (:mod:`report_diff`). Budgets count work (optimiser rounds,
B&B leaves), so the load changes only how long the run takes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from report_diff import report_differences

DRIVER = """
import dataclasses, sys
from pathlib import Path
from verify.core.registry import get_theorem
from verify.core.session import run_theorems
theorem = get_theorem("symmetric-pd")
theorem.instances = [dataclasses.replace(i, expect={"witness": i.expect["witness"]},
                                         reasons={k: v for k, v in i.reasons.items()
                                                  if k == "witness"})
                     for i in theorem.instances if i.id in ("gaussian-1d", "neg-distance")]
run_theorems([theorem], profile="quick", seed=0, report_dir=Path(sys.argv[1]))
"""


def _run(out: Path) -> dict:
    # passive OpenMP waits: two busy processes beside torch's threads slow it, not change it
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_WAIT_POLICY": "PASSIVE"}
    subprocess.run([sys.executable, "-c", DRIVER, str(out)], cwd=ROOT, env=env, check=True,
                   timeout=1200, capture_output=True)
    return json.loads((out / "report.json").read_text())


def test_same_seed_same_numbers_on_a_loaded_machine(tmp_path):
    quiet = _run(tmp_path / "quiet")
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        _run(tmp_path / "loaded")
    finally:
        for proc in burners:
            proc.kill()
            proc.wait()
    witness = [r for t in quiet["theorems"] for r in t["results"]
               if r["check"] == "witness" and r["instance"] == "gaussian-1d"]
    assert witness and witness[0]["evidence"]["fit"]["rounds"] >= 1  # a training check ran
    diffs = report_differences(tmp_path / "quiet" / "report.json",
                               tmp_path / "loaded" / "report.json")
    assert not diffs, "\n".join(diffs[:20])


def test_report_diff_strips_timings_only():
    from report_diff import differences, strip_timings

    a = {"duration_s": 1.0, "started_at": "x", "evidence": {"fit": {"time_s": 2.0, "rounds": 3}}}
    b = {"duration_s": 9.0, "started_at": "y", "evidence": {"fit": {"time_s": 5.0, "rounds": 3}}}
    assert differences(strip_timings(a), strip_timings(b)) == []
    b["evidence"]["fit"]["rounds"] = 4
    assert differences(strip_timings(a), strip_timings(b)) == ["$.evidence.fit.rounds: 3 != 4"]
