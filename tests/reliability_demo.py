"""Tiny theorems for the reliability tests: fast, hanging, exiting, markup-laden checks."""

from __future__ import annotations

import contextlib
import sys
import time

from verify import CheckKind, Result, Source, Theorem
from verify.core import registry


def _theorem(tid: str) -> Theorem:
    return Theorem(id=tid, title=f"{tid} [bold]demo[/bold]", source=Source(paper="none"),
                   statement="s", module=__name__)


DEMO = _theorem("rel-demo")
DEMO.options = {"speed": "how fast the demo check pretends to be"}


@DEMO.check("ok", CheckKind.NUMERIC)
def _ok(instance, ctx):
    return Result.confirmed(f"fine (speed {ctx.options.get('speed', '-')})")


DEMO.instance("a", expect={"ok": "confirmed"})

MARKUP = _theorem("rel-markup")


@MARKUP.check("noisy", CheckKind.NUMERIC)
def _noisy(instance, ctx):
    return Result.confirmed("closes [/red] early; keeps [measured] and [exact factorisation]")


MARKUP.instance("a", expect={"noisy": "confirmed"})

HOSTILE = _theorem("rel-hostile")


@HOSTILE.check("exit", CheckKind.NUMERIC)
def _exit(instance, ctx):
    sys.exit(3)


@HOSTILE.check("sleep", CheckKind.NUMERIC)
def _sleep(instance, ctx):
    time.sleep(10**6)


@HOSTILE.check("spin", CheckKind.NUMERIC)
def _spin(instance, ctx):
    while True:
        pass


@HOSTILE.check("stubborn", CheckKind.NUMERIC)
def _stubborn(instance, ctx):
    for _ in range(2):
        with contextlib.suppress(BaseException):
            time.sleep(100)
    return Result.confirmed("swallowed the interruption")


@HOSTILE.check("after", CheckKind.NUMERIC)
def _after(instance, ctx):
    return Result.confirmed("the run went on")


HOSTILE.instance("a", expect={k: "confirmed" for k in ("exit", "sleep", "spin", "stubborn",
                                                       "after")})
ALL = (DEMO, MARKUP, HOSTILE)


@contextlib.contextmanager
def registered():
    """Register the demo theorems for in-process ``verify.cli.main`` calls, then remove them."""
    registry.load_all()
    for t in ALL:
        registry._REGISTRY[t.id] = t
    try:
        yield
    finally:
        for t in ALL:
            registry._REGISTRY.pop(t.id, None)


def restore_instances():
    """Generator fixture body: ``--set`` adds instances to the (process-wide) theorems; take
    them away afterwards."""
    saved = {t.id: list(t.instances) for t in registry.all_theorems()}
    yield
    for t in registry.all_theorems():
        if t.id in saved:
            t.instances = saved[t.id]
