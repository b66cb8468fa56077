"""Wall time of the user-facing suites, each run as a subprocess from the repository root.

* ``relverify run --profile quick`` (report written to a temporary folder, not into reports/);
* the default ``pytest`` run (``pyproject.toml``'s addopts: quick profile, slow tests deselected).

Run: ``python -m bench.suite_cost``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO


def time_command(cmd: list[str], *, cwd: Path = REPO, timeout_s: float = 1800.0,
                 ) -> dict[str, Any]:
    """Run ``cmd``; wall time, exit code and the last lines of its output."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
        rc, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc = None
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) \
            else (exc.stdout or "")
    wall = time.perf_counter() - t0
    tail = [line for line in out.strip().splitlines() if line.strip()][-3:]
    return {"command": " ".join(cmd), "wall_s": wall, "returncode": rc,
            "timed_out": rc is None, "tail": tail}


def default_commands(out_dir: str) -> dict[str, list[str]]:
    """The two suites; ``relverify`` runs through this interpreter's module entry point."""
    py = sys.executable
    return {
        "relverify run --profile quick": [py, "-m", "verify", "run", "--profile", "quick",
                                          "--no-progress", "--out", out_dir],
        "pytest (default)": [py, "-m", "pytest", "-q"],
    }


def run(commands: dict[str, list[str]] | None = None, timeout_s: float = 1800.0,
        ) -> list[dict[str, Any]]:
    """Time each command (default: :func:`default_commands`)."""
    with tempfile.TemporaryDirectory(prefix="relverify-bench-") as tmp:
        cmds = commands or default_commands(tmp)
        return [{"suite": name, **time_command(cmd, timeout_s=timeout_s)}
                for name, cmd in cmds.items()]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args(argv)
    print(json.dumps(run(), indent=1))


if __name__ == "__main__":
    main()
