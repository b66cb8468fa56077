"""Run a hypothesis property inside a check and turn its outcome into a :class:`Result`.

The property raises :class:`Counterexample` with the offending data; hypothesis shrinks it and
we report the minimal one, so a refutation can be replayed from the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from verify.core.context import Context
from verify.core.result import Result
from verify.core.status import Strength


class Counterexample(Exception):
    """Raised by a property with the data that breaks it."""

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


def run_property(
    strategy: Any,
    prop: Callable[[Any], None],
    ctx: Context,
    *,
    claim: str,
    on_counterexample: str = "refuted",
    max_examples: int | None = None,
    reason: str = "counterexample",
) -> Result:
    """Check ``prop(example)`` on examples drawn from ``strategy``.

    ``prop`` raises :class:`Counterexample` when the claim fails on an example; any other
    exception is an ``error``. With no counterexample the result is ``confirmed`` with the
    number of examples tried (a sampled claim, stated as such). ``on_counterexample`` picks the
    status of a failure: ``refuted`` (the claim is false) or ``not-applicable`` (the example
    breaks a hypothesis of the theorem). ``reason`` is the reason code of that outcome
    (``"counterexample"`` by default; ``"hypothesis:<name>"`` for a failed hypothesis).
    """
    from hypothesis import given, seed

    settings = ctx.profile.hypothesis_settings(ctx.seed)
    if max_examples is not None:
        settings = type(settings)(settings, max_examples=max_examples)
    tried = {"n": 0}

    def body(example: Any) -> None:
        tried["n"] += 1
        prop(example)

    test = settings(given(strategy)(body))
    if not ctx.profile.derandomize:
        test = seed(ctx.seed)(test)
    try:
        test()
    except Counterexample as cx:
        status = "refuted" if on_counterexample == "refuted" else "not-applicable"
        return Result(
            status,
            f"{cx.message}",
            {"counterexample": cx.data, "examples_tried": tried["n"]},
            "counterexample found by hypothesis (shrunk), replayable from the evidence",
        ).because(reason, Strength.COUNTEREXAMPLE).counted(tried["n"])
    return Result.confirmed(
        f"{claim}: held on all {tried['n']} generated examples",
        f"property test on {tried['n']} hypothesis examples (not a proof)",
        examples_tried=tried["n"],
    ).because(None, Strength.SAMPLED).counted(tried["n"])
