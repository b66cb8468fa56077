"""The report as data (schema ``relverify.report``, version 1), kept apart from its rendering.

See ``docs/report-schema.md`` for the fields. :class:`ReportWriter` accumulates case outcomes
and rewrites the report files atomically after each one, so an interrupted run leaves a valid
report of what finished (``"complete": false``) and never a truncated file.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from verify.core.result import to_jsonable
from verify.core.runner import CaseOutcome
from verify.core.status import tolerates_inconclusive
from verify.core.theorem import Theorem
from verify.reports.atomic import TMP_DIR_NAME, atomic_write

SCHEMA = "relverify.report"
SCHEMA_VERSION = 1


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def exit_code_for(verdicts: Counter, tolerated: int = 0) -> int:
    """0 when every outcome matches its expectation, 1 otherwise (mismatch, error, inconclusive).

    ``tolerated`` inconclusive outcomes (an expected-confirmed training/certificate check under
    ``quick``, :func:`verify.core.status.tolerates_inconclusive`; pytest's ``xfail``) do not
    fail the run.
    """
    rest = Counter(verdicts)
    rest["inconclusive"] -= tolerated
    return 0 if all(n <= 0 for v, n in rest.items() if v != "match") else 1


class ReportWriter:
    """Collects outcomes for one run and writes report.json / report.md / report.html."""

    def __init__(self, directory: Path, provenance: dict[str, Any], strict: bool = False) -> None:
        self.directory = Path(directory)
        #: strict: every inconclusive fails the run (``pytest --relverify-strict``)
        self.strict = strict
        self.provenance = provenance
        self.theorems: dict[str, dict[str, Any]] = {}
        self.complete = False
        self.tmp_dir = self.directory.parent / TMP_DIR_NAME  # beside, never inside, the report

    def add_theorem(self, theorem: Theorem, profile: str) -> None:
        if theorem.id in self.theorems:
            return
        entry = theorem.describe()
        entry["instances"] = [
            {
                "id": inst.id,
                "description": inst.description,
                "control": inst.control,
                "params": to_jsonable(inst.params),
                "expect": {k: v.value for k, v in inst.expect.items()},
                "reasons": dict(inst.reasons),
            }
            for inst in theorem.instances
            if profile in inst.profiles
        ]
        entry["results"] = []
        self.theorems[theorem.id] = entry

    def add(self, outcome: CaseOutcome) -> None:
        entry = self.theorems[outcome.theorem.id]
        figures = []
        for fig in outcome.result.figures:
            rel = Path("figures") / _slug(
                f"{outcome.theorem.id}--{outcome.instance.id}--{outcome.check.name}--{fig.name}.png"
            )
            atomic_write(self.directory / rel, fig.png, self.tmp_dir)
            figures.append({"path": rel.as_posix(), "caption": fig.caption, "name": fig.name})
        entry["results"].append(
            {
                "case": outcome.case_id,
                "instance": outcome.instance.id,
                "control": outcome.instance.control,
                "check": outcome.check.name,
                "kind": outcome.check.kind.value,
                "expected": outcome.expected.value,
                "status": outcome.result.status.value,
                "verdict": outcome.verdict,
                "summary": outcome.result.summary,
                "strength": outcome.result.strength,
                "strength_kind": None if outcome.result.strength_kind is None
                else outcome.result.strength_kind.value,
                "reason": outcome.result.reason,
                "tested": outcome.result.tested,
                "tolerated": outcome.verdict == "inconclusive" and tolerates_inconclusive(
                    outcome.check.kind, outcome.expected, outcome.result.status,
                    str(self.provenance.get("profile"))),
                "expected_reason": outcome.instance.reasons.get(outcome.check.name),
                "evidence": to_jsonable(outcome.result.evidence),
                "figures": figures,
                "artifacts": {
                    k: _relative(Path(v), self.directory)
                    for k, v in outcome.result.artifacts.items()
                },
                "seed": outcome.seed,
                "duration_s": round(outcome.duration_s, 4),
                "started_at": outcome.started_at,
            }
        )

    # -- derived summary ------------------------------------------------------------------
    def results(self) -> list[dict[str, Any]]:
        return [r for t in self.theorems.values() for r in t["results"]]

    def summary(self) -> dict[str, Any]:
        results = self.results()
        verdicts = Counter(r["verdict"] for r in results)
        tolerated = 0 if self.strict else sum(1 for r in results if r.get("tolerated"))
        return {
            "cases": len(results),
            "by_status": dict(Counter(r["status"] for r in results)),
            "by_verdict": dict(verdicts),
            "controls": sum(1 for r in results if r["control"]),
            "tolerated": tolerated,
            "strict": self.strict,
            # an incomplete report (a run still going, killed or interrupted) is not a pass
            "exit_code": exit_code_for(verdicts, tolerated) if self.complete else 1,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "complete": self.complete,
            "provenance": self.provenance,
            "summary": self.summary(),
            "theorems": list(self.theorems.values()),
        }

    # -- writing --------------------------------------------------------------------------
    def write(self, *, final: bool = False, render: bool = True) -> None:
        """Write report.json (and, with ``render``, report.md and report.html) atomically."""
        from verify.reports.html import render_html
        from verify.reports.markdown import render_markdown

        if final:
            self.complete = True
            self.provenance["finished_at"] = now_iso()
        data = self.to_dict()
        atomic_write(self.directory / "report.json", json.dumps(data, indent=2) + "\n",
                     self.tmp_dir)
        if render or final:
            atomic_write(self.directory / "report.md", render_markdown(data), self.tmp_dir)
            atomic_write(self.directory / "report.html", render_html(data, self.directory),
                         self.tmp_dir)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def report_exit_code(report: dict[str, Any]) -> int:
    """The exit code a report stands for, from its results (not the stored field): 1 when it is
    incomplete or any verdict is not ``match``, else 0."""
    if report.get("complete") is not True:
        return 1
    results = [r for t in report["theorems"] for r in t["results"]]
    verdicts = Counter(r["verdict"] for r in results)
    strict = bool(report.get("summary", {}).get("strict"))
    tolerated = 0 if strict else sum(1 for r in results if r.get("tolerated") is True)
    return exit_code_for(verdicts, tolerated)


def _shape_error(data: Any) -> str | None:
    """What is wrong with a parsed report's shape (None when it has every field show reads)."""
    if not isinstance(data, dict):
        return f"top level is a {type(data).__name__}, not an object"
    if data.get("schema") != SCHEMA:
        return f"not a relverify report (schema={data.get('schema')!r})"
    version = data.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        return f"unknown schema_version {version!r} (this relverify reads {SCHEMA_VERSION})"
    if not isinstance(data.get("complete"), bool):
        return "field 'complete' is missing or not true/false"
    prov = data.get("provenance")
    if not isinstance(prov, dict) or "profile" not in prov or "seed" not in prov:
        return "field 'provenance' is missing or lacks profile/seed"
    summ = data.get("summary")
    need = {"cases": int, "controls": int, "by_status": dict, "by_verdict": dict}
    if not isinstance(summ, dict) or any(not isinstance(summ.get(k), t) for k, t in need.items()):
        return "field 'summary' is missing or lacks cases/controls/by_status/by_verdict"
    theorems = data.get("theorems")
    if not isinstance(theorems, list):
        return "field 'theorems' is missing or not a list"
    for i, t in enumerate(theorems):
        if not isinstance(t, dict) or not isinstance(t.get("results"), list):
            return f"theorems[{i}] has no list of results"
        for j, r in enumerate(t["results"]):
            if not isinstance(r, dict):
                return f"theorems[{i}].results[{j}] is not an object"
            for k in ("case", "expected", "status", "verdict", "summary"):
                if not isinstance(r.get(k), str):
                    return f"theorems[{i}].results[{j}].{k} is missing or not a string"
            if not isinstance(r.get("control"), bool):
                return f"theorems[{i}].results[{j}].control is missing or not true/false"
    return None


def load_report(path: Path) -> dict[str, Any]:
    """Load a saved report (a report directory or its report.json).

    ``ValueError`` (one line) if it is missing, not JSON, or not of the shape of schema
    ``relverify.report`` version 1; ``OSError`` if it cannot be read.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    if not path.exists():
        raise ValueError(f"no report at {path}")
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    try:
        data = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply to be a report") from None
    problem = _shape_error(data)
    if problem is not None:
        raise ValueError(f"{path} is not a report this relverify can show: {problem}")
    return data
