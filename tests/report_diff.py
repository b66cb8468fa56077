"""Compare two report.json files number by number, timings aside (same seed -> same numbers).

Timing fields are dropped before the comparison: ``started_at``, ``finished_at``, every key
ending in ``_s`` (``duration_s``, ``time_s``, ``setup_s``, ``elapsed_s``, ...), the command
line (``argv``: the output folders differ) and the artifact and figure paths (they contain the
report folder). Run as a script to compare two reports::

    python tests/report_diff.py run-a/report.json run-b/report.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TIMING_KEYS = {"started_at", "finished_at", "argv", "artifacts", "figures", "git"}


def is_timing(key: str) -> bool:
    return key in TIMING_KEYS or key.endswith("_s")


def strip_timings(value: Any) -> Any:
    """``value`` without timing fields (recursively)."""
    if isinstance(value, dict):
        return {k: strip_timings(v) for k, v in value.items() if not is_timing(str(k))}
    if isinstance(value, list):
        return [strip_timings(v) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "$") -> list[str]:
    """Where two stripped reports differ (paths and both values), at most one per leaf."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'first' if k in a else 'second'}")
            else:
                out += differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def report_differences(first: Path, second: Path) -> list[str]:
    a = strip_timings(json.loads(Path(first).read_text()))
    b = strip_timings(json.loads(Path(second).read_text()))
    return differences(a, b)


if __name__ == "__main__":
    diffs = report_differences(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(diffs[:50]) or "identical except timings")
    sys.exit(1 if diffs else 0)
