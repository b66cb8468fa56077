"""pytest plugin (entry point ``pytest11: relverify``): every registered theorem's checks as tests.

Enable it with ``--relverify-profile P`` (or the ini option ``relverify_profile``). Theorem
items are added when pytest collects from its default locations (no paths given) or with
``--relverify``; test ids are ``theorem-id::instance::check``. The items mirror the report:

- an outcome that matches the instance's expectation passes;
- an expected-confirmed check of kind training or certificate that ends ``inconclusive`` under
  the ``quick`` profile is an ``xfail`` carrying its evidence (the report marks it
  ``tolerated``; :func:`verify.core.status.tolerates_inconclusive`);
- every other outcome fails: a mismatch, an ``error``, any other ``inconclusive``;
- ``--relverify-strict`` fails every inconclusive, tolerated or not.

So pytest's exit code is report.json's ``summary.exit_code``. ``--relverify-report DIR`` writes
the same report files as ``relverify run``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("relverify")
    group.addoption("--relverify-profile", default=None, choices=["quick", "standard", "full"],
                    help="run registered theorem checks under this profile")
    group.addoption("--relverify", action="store_true",
                    help="add theorem checks even when paths are given on the command line")
    group.addoption("--relverify-seed", type=int, default=0, help="run seed (default 0)")
    group.addoption("--relverify-device", default="cpu", choices=["auto", "cpu", "cuda"])
    group.addoption("--relverify-report", default=None, metavar="DIR",
                    help="write report.json/md/html under DIR/<timestamp>-<seed>/")
    group.addoption("--relverify-theorem", action="append", default=[], metavar="ID",
                    help="only these theorem ids (repeatable)")
    group.addoption("--relverify-strict", action="store_true",
                    help="fail every inconclusive outcome (no xfail for quick-profile training)")
    parser.addini("relverify_profile", "profile for theorem checks (enables the plugin)",
                  default=None)


def _profile(config: pytest.Config) -> str | None:
    return config.getoption("relverify_profile") or config.getini("relverify_profile") or None


def _enabled(config: pytest.Config) -> bool:
    if _profile(config) is None and not config.getoption("relverify"):
        return False
    if config.getoption("relverify"):
        return True
    return config.args_source != pytest.Config.ArgsSource.ARGS  # default locations only


class TheoremCollector(pytest.Collector):
    def __init__(self, *, theorem, profile: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.theorem = theorem
        self.profile = profile

    def collect(self):
        for instance, check, expected in self.theorem.cases(self.profile):
            name = f"{instance.id}::{check.name}"
            yield CheckItem.from_parent(
                self, name=name, nodeid=f"{self.theorem.id}::{name}",
                instance=instance, check=check, expected=expected,
            )

    def reportinfo(self):
        return self.path, None, self.theorem.id


class CheckItem(pytest.Item):
    def __init__(self, *, instance, check, expected, **kwargs) -> None:
        super().__init__(**kwargs)
        self.instance = instance
        self.check = check
        self.expected = expected
        self.outcome = None
        self.add_marker(pytest.mark.relverify)
        if instance.control:
            self.add_marker(pytest.mark.relverify_control)

    def runtest(self) -> None:
        from verify.core.context import resolve_device
        from verify.core.profiles import get_profile
        from verify.core.runner import run_case
        from verify.core.status import tolerates_inconclusive

        config = self.config
        state = config.stash[_STATE]
        outcome = run_case(
            self.parent.theorem, self.instance, self.check, self.expected,
            profile=get_profile(self.parent.profile),
            run_seed=config.getoption("relverify_seed"),
            device=resolve_device(config.getoption("relverify_device")),
            artifact_root=state["artifacts"],
        )
        self.outcome = outcome
        state["outcomes"].append(outcome)
        result = outcome.result
        evidence = json.dumps(_short(outcome), default=str)[:2000]
        if outcome.verdict == "match":
            return
        if (not config.getoption("relverify_strict")
                and tolerates_inconclusive(self.check.kind, self.expected, result.status,
                                           self.parent.profile)):
            pytest.xfail(f"inconclusive (expected confirmed; {self.check.kind} check under "
                         f"quick): {result.summary} | {evidence}")
        raise CheckMismatch(
            f"{outcome.case_id}: expected {self.expected}, got {result.status}: "
            f"{result.summary}\nstrength: {result.strength}\nevidence: {evidence}"
        )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckMismatch):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, self.nodeid


class CheckMismatch(AssertionError):
    pass


def _short(outcome) -> dict:
    from verify.core.result import to_jsonable

    return to_jsonable(outcome.result.evidence)


_STATE = pytest.StashKey[dict]()


@pytest.hookimpl(tryfirst=True)  # before the terminal reporter reads -r
def pytest_configure(config: pytest.Config) -> None:
    chars = getattr(config.option, "reportchars", None)
    if (_profile(config) or config.getoption("relverify")) and chars is not None \
            and not set(chars) & set("xaAN"):
        config.option.reportchars = chars + "x"  # list every xfail with its reason
    config.addinivalue_line("markers", "relverify: a registered theorem check")
    config.addinivalue_line("markers", "relverify_control: a negative control (planted claim)")
    config.addinivalue_line("markers", "slow: long test, deselected by default")
    report = config.getoption("relverify_report")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # each xdist worker gets one core's worth: torch would otherwise oversubscribe the CPU
        import torch

        torch.set_num_threads(1)
    if report and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            "--relverify-report needs all checks in one process: add -n 0 (pytest-xdist)")
    config.stash[_STATE] = {
        "outcomes": [],
        "report": Path(report) if report else None,
        "artifacts": None,
        "dir": None,
    }
    if report and _profile(config):
        from verify.core.session import report_dir_name

        state = config.stash[_STATE]
        state["dir"] = Path(report) / report_dir_name(config.getoption("relverify_seed"))
        state["artifacts"] = state["dir"] / "artifacts"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items) -> None:
    if not _enabled(config):
        return
    from verify.core.registry import all_theorems

    profile = _profile(config) or "quick"
    only = set(config.getoption("relverify_theorem"))
    for theorem in all_theorems():
        if only and theorem.id not in only:
            continue
        module = __import__(theorem.module or "verify", fromlist=["_"])
        path = Path(getattr(module, "__file__", __file__))
        collector = TheoremCollector.from_parent(
            session, name=theorem.id, nodeid=theorem.id, path=path,
            theorem=theorem, profile=profile,
        )
        items.extend(collector.collect())


def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    state = session.config.stash.get(_STATE, None)
    if not state or state["dir"] is None or not state["outcomes"]:
        return
    from verify.core.registry import all_theorems
    from verify.reports.provenance import provenance
    from verify.reports.record import ReportWriter, now_iso

    profile = _profile(session.config) or "quick"
    config = session.config
    writer = ReportWriter(state["dir"], provenance(
        seed=config.getoption("relverify_seed"), profile=profile,
        device=config.getoption("relverify_device"), started_at=now_iso()),
        strict=config.getoption("relverify_strict"))
    ran = {o.theorem.id for o in state["outcomes"]}
    for theorem in all_theorems():
        if theorem.id in ran:
            writer.add_theorem(theorem, profile)
    for outcome in state["outcomes"]:
        writer.add(outcome)
    writer.write(final=True)
