"""Reports show, per theorem, which hypotheses are checked and which assumed; results show their
reason, structured strength, what they tested, measurements and tolerated inconclusives."""

from __future__ import annotations

import json

from verify import CheckKind, Hypothesis, Result, Source, Strength, Theorem
from verify.core.profiles import get_profile
from verify.core.runner import run_case
from verify.reports.record import ReportWriter


def _theorem() -> Theorem:
    t = Theorem(id="probe", title="probe", source=Source(paper="none"), statement="s",
                hypotheses=(Hypothesis("checked", "tested by a check"),
                            Hypothesis("untested", "no check tests it")))

    @t.check("c", CheckKind.NUMERIC, tests=("checked",), reasons=("counterexample",))
    def c(instance, ctx):
        if instance.params.get("bad"):
            return Result.refuted("x", "explicit").because("counterexample",
                                                           Strength.COUNTEREXAMPLE)
        return Result.inconclusive("measured 7, nothing claimed", "measurement").because(
            "measurement", Strength.MEASUREMENT)

    @t.check("w", CheckKind.TRAINING, reasons=("rank-lower-bound",))
    def w(instance, ctx):
        return Result.inconclusive("trainer missed")

    t.instance("m", expect={"c": "inconclusive", "w": "confirmed"})
    t.control("bad", bad=True, expect={"c": "refuted"}, description="planted",
              reasons={"c": "counterexample"})
    return t


def _report(tmp_path, profile="quick", strict=False):
    t = _theorem()
    writer = ReportWriter(tmp_path / "r", {"profile": profile, "seed": 0, "device": {},
                                           "versions": {}, "started_at": "now"}, strict=strict)
    writer.add_theorem(t, profile)
    for inst, check, expected in t.cases(profile):
        writer.add(run_case(t, inst, check, expected, profile=get_profile(profile), run_seed=0))
    writer.write(final=True)
    return writer


def test_hypotheses_checked_or_assumed_in_every_format(tmp_path):
    _report(tmp_path)
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    hyps = {h["name"]: h for h in data["theorems"][0]["hypotheses"]}
    assert hyps["checked"]["checked_by"] == ["c"] and not hyps["checked"]["assumed"]
    assert hyps["untested"]["checked_by"] == [] and hyps["untested"]["assumed"]
    md = (tmp_path / "r" / "report.md").read_text()
    assert "**checked**: tested by a check — checked by: `c`" in md
    assert "**untested**: no check tests it — *assumed*" in md
    html = (tmp_path / "r" / "report.html").read_text()
    assert "checked by: c" in html and "<i>assumed</i>" in html


def test_results_show_reason_strength_measurement_and_tolerated(tmp_path):
    writer = _report(tmp_path)
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    res = {r["case"]: r for r in data["theorems"][0]["results"]}
    assert res["probe::bad::c"]["reason"] == "counterexample"
    assert res["probe::bad::c"]["expected_reason"] == "counterexample"
    assert res["probe::m::c"]["strength_kind"] == "measurement"
    assert res["probe::m::w"]["tolerated"] is True
    assert writer.summary()["exit_code"] == 0  # measurement matched, training tolerated
    md = (tmp_path / "r" / "report.md").read_text()
    assert "**inconclusive (measurement)**" in md and "(tolerated: quick-profile training)" in md
    assert "[explicit counterexample]" in md


def test_strict_and_standard_do_not_tolerate(tmp_path):
    assert _report(tmp_path / "a", strict=True).summary()["exit_code"] == 1
    assert _report(tmp_path / "b", profile="standard").summary()["exit_code"] == 1
