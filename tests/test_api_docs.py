"""docs/api.md works as written: its Python blocks run (in order, in a fresh folder), and its
``relverify certify`` commands certify the trained network and refute the scaled one."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import ROOT

from verify.cli import main


def _blocks(lang: str) -> list[str]:
    text = (ROOT / "docs" / "api.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def _run_blocks(tmp_path, monkeypatch, skip_training: bool) -> None:
    monkeypatch.chdir(tmp_path)
    for block in _blocks("python"):
        if skip_training and "neurons=" in block:
            continue  # trains a witness: run by the slow test below
        exec(compile(block, "docs/api.md", "exec"), {"__name__": "__docs__"})


def _certify_commands() -> list[list[str]]:
    lines = [ln[2:] for b in _blocks("console") for ln in b.splitlines() if ln.startswith("$ ")]
    return [shlex.split(ln)[1:] for ln in lines if ln.startswith("relverify certify")]


def test_docs_blocks_and_certify_commands(tmp_path, monkeypatch, capsys):
    _run_blocks(tmp_path, monkeypatch, skip_training=True)
    assert (tmp_path / "phi.pt").exists() and (tmp_path / "phi.pt.json").exists()
    good, scaled = _certify_commands()
    assert main(good + ["--out", str(tmp_path / "reports")]) == 0
    out = capsys.readouterr().out
    assert "verdict: confirmed" in out and "certified sup" in out
    assert main(scaled + ["--out", str(tmp_path / "reports")]) == 1
    out = capsys.readouterr().out
    assert "verdict: refuted [counterexample]" in out and " at x = [" in out
    assert len(list((tmp_path / "reports").glob("*/report.json"))) >= 1


@pytest.mark.slow
def test_docs_all_blocks(tmp_path, monkeypatch):
    _run_blocks(tmp_path, monkeypatch, skip_training=False)
    assert list((tmp_path / "reports").glob("*/report.json"))
