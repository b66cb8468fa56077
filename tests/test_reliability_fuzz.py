"""Property test: the ``relverify`` command, driven with generated arguments, never prints a
traceback, never hangs, and refuses bad input with exactly one line and exit 2 (issue #16).

In-process calls of :func:`verify.cli.main` (an interpreter start per example would cost
seconds); every ``run`` selects the fast demo theorem ``rel-demo`` first, so no generated
argument list can start the real theorems.
"""

from __future__ import annotations

import contextlib
import io
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_demo import registered, restore_instances

from verify.cli import main

BUDGET_S = 10.0  # the whole property test, all examples together


@pytest.fixture(scope="module", autouse=True)
def _demo_theorems():
    with registered():
        yield


@pytest.fixture(autouse=True)
def _restore_instances():
    yield from restore_instances()


TEXT = st.text(st.characters(codec="utf-8", exclude_characters="/"), max_size=12)
WORDS = st.sampled_from(["", " ", "=", "speed", "speed=", "speed=1", " =3", "bound=10**10**10",
                         "sped=2", "-1", "0", "1e999", "nan", "quick", "standard", "[/red]",
                         "--", "-", "—", "x" * 300])
VALUE = st.one_of(WORDS, TEXT)


def argv_strategy(tmp: str):
    outs = st.one_of(st.sampled_from([f"{tmp}/out", f"{tmp}/file", "/dev/null", f"{tmp}/out/a b",
                                      f"{tmp}/file/below"]),
                     TEXT.filter(lambda s: s not in ("", ".", "..")).map(lambda s: f"{tmp}/{s}"))
    option = st.one_of(
        st.tuples(st.just("--profile"), VALUE),
        st.tuples(st.just("--seed"), st.one_of(VALUE, st.integers().map(str))),
        st.tuples(st.just("--device"), st.sampled_from(["cpu", "tpu", "auto", ""])),
        st.tuples(st.just("--set"), VALUE),
        st.tuples(st.just("--check-timeout"), st.one_of(VALUE, st.floats().map(str))),
        st.tuples(st.just("--out"), outs),
        st.just(("--no-progress",)),
        st.tuples(VALUE),
    )
    ids = st.lists(st.sampled_from(["rel-demo", "rel-markup", "nonexistent", "", "rel demo"]),
                   max_size=2)
    run = st.builds(lambda more, opts: ["run", "rel-demo", *more,
                                        *[a for o in opts for a in o], "--out", f"{tmp}/out"],
                    ids, st.lists(option, max_size=4))
    show = st.builds(lambda p: ["show", p],
                     st.one_of(st.sampled_from([f"{tmp}/out", f"{tmp}/file", "/dev/null",
                                                f"{tmp}/bad.json", f"{tmp}/list.json"]),
                               TEXT.map(lambda s: f"{tmp}/{s}")))
    other = st.lists(VALUE, max_size=3)
    return st.one_of(run, show, other, st.just(["list"]))


def _is_help(argv: list[str]) -> bool:
    return any(a == "-h" or (a.startswith("--h") and "--help".startswith(a)) for a in argv)


def test_cli_never_tracebacks_or_hangs(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "list.json").write_text("[]")
    started = time.monotonic()
    seen = {"examples": 0, "exit_2": 0}

    @settings(max_examples=120, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(argv_strategy(str(tmp_path)))
    def prop(argv):
        if time.monotonic() - started > BUDGET_S:
            return  # bounded time: the remaining examples are skipped
        out, err = io.StringIO(), io.StringIO()
        t0 = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(argv)
            except SystemExit as exc:  # only argparse's --help exits
                assert _is_help(argv) and exc.code == 0, argv
                return
        assert time.monotonic() - t0 < 10, ("slow", argv)
        text = out.getvalue() + err.getvalue()
        assert "Traceback" not in text, (argv, text[-2000:])
        assert rc in (0, 1, 2), (argv, rc)
        seen["examples"] += 1
        seen[rc] = seen.get(rc, 0) + 1
        if rc == 2:
            seen["exit_2"] += 1
            lines = err.getvalue().strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("relverify: error: "), (argv, lines)

    prop()
    assert seen["examples"] >= 20 and seen["exit_2"] >= 10, seen
    assert time.monotonic() - started < BUDGET_S + 15
