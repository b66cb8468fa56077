"""Render a report (as data) to a single self-contained HTML page, figures embedded."""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Any

from verify.reports.markdown import (
    STATUSES,
    hypothesis_line,
    status_counts,
    status_word,
    strength_text,
    verdict_word,
)

CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
vertical-align:top}th{background:#f3f3f3}code,pre{font-size:90%}pre{background:#f7f7f7;
padding:.5em;overflow-x:auto;max-height:20em}.confirmed{color:#176117}.refuted{color:#9b1c1c}
.inconclusive{color:#8a6d00}.not-applicable{color:#1c4f9b}.error{color:#fff;background:#9b1c1c}
.mismatch,.verdict-error{font-weight:bold;color:#9b1c1c}img{max-width:480px;border:1px solid #ddd}
.control{background:#fff8e6}
"""


def render_html(report: dict[str, Any], directory: Path | None = None) -> str:
    prov = report["provenance"]
    summ = report["summary"]
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>relverify report</title>",
        f"<style>{CSS}</style></head><body><h1>relverify report</h1>",
        "<ul>",
        f"<li>complete: <b>{report['complete']}</b></li>",
        f"<li>profile <code>{escape(prov['profile'])}</code>, seed <code>{prov['seed']}</code>, "
        f"device <code>{escape(str(prov['device'].get('requested')))}</code></li>",
        f"<li>commit <code>{escape(str(prov.get('git', {}).get('commit')))}</code></li>",
        f"<li>started {escape(prov['started_at'])}, finished {escape(str(prov.get('finished_at')))}"
        "</li>",
        f"<li>cases {summ['cases']} ({summ['controls']} negative controls), exit code "
        f"{summ['exit_code']}</li></ul>",
        "<h2>Summary</h2><table><tr><th>theorem</th>"
        + "".join(f"<th class='{s}'>{s}</th>" for s in STATUSES)
        + "<th>matches expectation</th></tr>",
    ]
    for t in report["theorems"]:
        counts = status_counts(t)
        matched = sum(1 for r in t["results"] if r["verdict"] == "match")
        out.append(
            f"<tr><td><a href='#{escape(t['id'])}'><code>{escape(t['id'])}</code></a></td>"
            + "".join(f"<td>{counts[s]}</td>" for s in STATUSES)
            + f"<td>{matched}/{len(t['results'])}</td></tr>"
        )
    out.append("</table>")
    for t in report["theorems"]:
        src = t["source"]
        out += [
            f"<h2 id='{escape(t['id'])}'><code>{escape(t['id'])}</code>: {escape(t['title'])}</h2>",
            f"<p><i>Source</i>: {escape(src['paper'])}"
            + (f", arXiv {escape(src['arxiv'])}" if src.get("arxiv") else "")
            + (f", {escape(src['theorem'])}" if src.get("theorem") else "")
            + (f". {escape(src['note'])}" if src.get("note") else "")
            + "</p>",
            f"<p><i>Statement</i>: {escape(t['statement'])}</p>",
        ]
        if t.get("latex"):
            out.append(f"<pre>{escape(t['latex'])}</pre>")
        if t.get("hypotheses"):
            out.append("<p><i>Hypotheses</i>:</p><ul>" + "".join(
                f"<li><b>{escape(h['name'])}</b>: {escape(h['statement'])} — "
                + (escape(hypothesis_line(h)).replace("`", "") if h.get("checked_by")
                   else "<i>assumed</i> (no check tests it)") + "</li>"
                for h in t["hypotheses"]) + "</ul>")
        out.append(
            "<table><tr><th>instance</th><th>check</th><th>expected</th><th>status</th>"
            "<th>reason</th><th>verdict</th><th>summary</th><th>strength</th></tr>"
        )
        for r in t["results"]:
            cls = " class='control'" if r["control"] else ""
            ctl = " <small>(control)</small>" if r["control"] else ""
            verdict_cls = "verdict-error" if r["verdict"] == "error" else r["verdict"]
            out.append(
                f"<tr{cls}><td><code>{escape(r['instance'])}</code>{ctl}</td>"
                f"<td><code>{escape(r['check'])}</code></td><td>{r['expected']}</td>"
                f"<td class='{r['status']}'><b>{escape(status_word(r))}</b></td>"
                f"<td>{escape(_reason(r))}</td>"
                f"<td class='{verdict_cls}'>{escape(verdict_word(r))}</td>"
                f"<td>{escape(r['summary'])}</td><td>{escape(strength_text(r))}</td></tr>"
            )
        out.append("</table>")
        for r in t["results"]:
            out.append(
                f"<details><summary><code>{escape(r['case'])}</code>: "
                f"<span class='{r['status']}'>{r['status']}</span></summary>"
                f"<pre>{escape(json.dumps(r['evidence'], indent=1, default=str)[:20000])}</pre>"
            )
            out.append("</details>")
            for fig in r["figures"]:
                out.append(_figure(fig, directory))
    out.append("</body></html>")
    return "\n".join(out)


def _reason(r: dict[str, Any]) -> str:
    got, want = r.get("reason"), r.get("expected_reason")
    return (got or "—") + (f" (expected {want})" if want and want != got else "")


def _figure(fig: dict[str, Any], directory: Path | None) -> str:
    caption = escape(fig.get("caption") or fig["name"])
    src = fig["path"]
    if directory is not None and (directory / fig["path"]).exists():
        b64 = base64.b64encode((directory / fig["path"]).read_bytes()).decode()
        src = f"data:image/png;base64,{b64}"
    return f"<figure><img src='{src}' alt='{caption}'><figcaption>{caption}</figcaption></figure>"
