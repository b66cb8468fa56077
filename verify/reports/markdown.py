"""Render a report (as data) to Markdown: summary table by theorem and status, then details."""

from __future__ import annotations

import json
from typing import Any

STATUSES = ("confirmed", "refuted", "inconclusive", "not-applicable", "error")


def compact(value: Any, limit: int = 600) -> str:
    text = json.dumps(value, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 20] + f" … ({len(text)} chars)"


def status_counts(theorem: dict[str, Any]) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for r in theorem["results"]:
        counts[r["status"]] += 1
    return counts


def hypothesis_line(h: dict[str, Any]) -> str:
    """"checked by: …" or "*assumed*" (a hypothesis no check tests is assumed, not checked)."""
    checked = h.get("checked_by") or []
    if checked:
        return "checked by: " + ", ".join(f"`{c}`" for c in checked)
    return "*assumed* (no check tests it)"


def status_word(r: dict[str, Any]) -> str:
    """The status, marked ``(measurement)`` when nothing was claimed (never a confirmation)."""
    return r["status"] + (" (measurement)" if r.get("strength_kind") == "measurement" else "")


def verdict_word(r: dict[str, Any]) -> str:
    return r["verdict"] + (" (tolerated: quick-profile training)" if r.get("tolerated") else "")


def strength_text(r: dict[str, Any]) -> str:
    kind = r.get("strength_kind")
    return (f"[{kind}] " if kind else "") + (r.get("strength") or "")


def render_markdown(report: dict[str, Any]) -> str:
    prov = report["provenance"]
    summ = report["summary"]
    git = prov.get("git", {})
    lines = [
        "# relverify report",
        "",
        f"- complete: **{report['complete']}**"
        + ("" if report["complete"] else " (the run was interrupted or is still running)"),
        f"- profile: `{prov['profile']}`, seed: `{prov['seed']}`, device: "
        f"`{prov['device'].get('requested')}`",
        f"- commit: `{git.get('commit')}`" + (" (with local changes)" if git.get("dirty") else ""),
        f"- started: {prov['started_at']}, finished: {prov.get('finished_at')}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in prov['versions'].items() if v)}",
        f"- cases: {summ['cases']} ({summ['controls']} negative controls); verdicts: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summ["by_verdict"].items()))
        + (f" ({summ['tolerated']} tolerated)" if summ.get("tolerated") else "")
        + f"; exit code {summ['exit_code']}" + (" (strict)" if summ.get("strict") else ""),
        "",
        "Status words: *confirmed* (shown, with the strength stated), *refuted* (counterexample or "
        "rigorous refutation), *inconclusive* (neither), *not-applicable* (a hypothesis fails, "
        "evidence given), *error* (the check broke). A negative control is a planted false claim; "
        "its expected outcome is refuted or not-applicable. A *measurement* reports a number with "
        "no claim to test (status inconclusive, strength measurement): it never counts as "
        "confirmed. Strengths in brackets: symbolic proof, exhaustive, rigorous lower bound, "
        "explicit counterexample, certified, numerical, sampled, measurement, none.",
        "",
        "## Summary",
        "",
        "| theorem | " + " | ".join(STATUSES) + " | matches expectation |",
        "|---|" + "---|" * len(STATUSES) + "---|",
    ]
    for t in report["theorems"]:
        counts = status_counts(t)
        matched = sum(1 for r in t["results"] if r["verdict"] == "match")
        lines.append(
            f"| `{t['id']}` | "
            + " | ".join(str(counts[s]) for s in STATUSES)
            + f" | {matched}/{len(t['results'])} |"
        )
    lines += ["", "## Negative controls", "",
              "| case | expected | status | reason (expected) | verdict | summary |",
              "|---|---|---|---|---|---|"]
    for t in report["theorems"]:
        for r in t["results"]:
            if r["control"]:
                lines.append(
                    f"| `{r['case']}` | {r['expected']} | {r['status']} | "
                    f"{_reason(r)} | {r['verdict']} | {_cell(r['summary'])} |"
                )
    for t in report["theorems"]:
        src = t["source"]
        lines += [
            "",
            f"## `{t['id']}`: {t['title']}",
            "",
            f"*Source*: {src['paper']}"
            + (f", arXiv {src['arxiv']}" if src.get("arxiv") else "")
            + (f", {src['theorem']}" if src.get("theorem") else "")
            + (f". {src['note']}" if src.get("note") else ""),
            "",
            f"*Statement*: {t['statement']}",
        ]
        if t.get("latex"):
            lines += ["", "$$", t["latex"], "$$"]
        if t["hypotheses"]:
            lines += ["", "*Hypotheses*:"] + [
                f"- **{h['name']}**: {h['statement']} — {hypothesis_line(h)}"
                for h in t["hypotheses"]
            ]
        lines += ["", "| instance | check | kind | expected | status | reason | verdict | "
                  "strength |", "|---|---|---|---|---|---|---|---|"]
        for r in t["results"]:
            ctl = " (control)" if r["control"] else ""
            lines.append(
                f"| `{r['instance']}`{ctl} | `{r['check']}` | {r['kind']} | {r['expected']} | "
                f"**{status_word(r)}** | {_reason(r)} | {verdict_word(r)} | "
                f"{_cell(strength_text(r))} |"
            )
        lines += ["", "### Details", ""]
        for r in t["results"]:
            lines += [
                f"#### `{r['case']}`: **{status_word(r)}** (expected {r['expected']})",
                "",
                f"{r['summary']}",
                "",
                f"- strength: {strength_text(r) or 'n/a'}",
                f"- reason: {_reason(r)}"
                + (f"; tested: {r['tested']}" if r.get("tested") is not None else ""),
                f"- seed {r['seed']}, {r['duration_s']:.3f} s",
                f"- evidence: `{compact(r['evidence'])}`",
            ]
            for fig in r["figures"]:
                lines.append(f"- figure: ![{fig['caption'] or fig['name']}]({fig['path']})")
            for name, path in r["artifacts"].items():
                lines.append(f"- artifact `{name}`: `{path}`")
            lines.append("")
    return "\n".join(lines) + "\n"


def _reason(r: dict[str, Any]) -> str:
    """``code`` (and, for a control, the code it must give when that differs)."""
    got, want = r.get("reason"), r.get("expected_reason")
    text = f"`{got}`" if got else "—"
    if want and want != got:
        text += f" (expected `{want}`)"
    return text


def _cell(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")
