"""Unit tests of the engine: statuses, results, the runner's error handling, seeds, registry."""

from __future__ import annotations

import math

import pytest

from verify import CheckKind, Result, Source, Status, Theorem, get_profile
from verify.core.context import derive_seed, resolve_device
from verify.core.registry import UnknownTheoremError, get_theorem
from verify.core.result import to_jsonable
from verify.core.runner import run_case


def _theorem(fn, expect="confirmed", control=False) -> Theorem:
    t = Theorem(id="t", title="t", source=Source(paper="p"), statement="s")
    t.check("c", CheckKind.NUMERIC)(fn)
    if control:
        t.control("i", expect={"c": expect}, description="planted")
    else:
        t.instance("i", expect={"c": expect})
    return t


def _run(t: Theorem):
    inst, check, expected = t.cases("quick")[0]
    return run_case(t, inst, check, expected, profile=get_profile("quick"), run_seed=1)


def test_status_parse_rejects_unknown_word():
    assert Status.parse("not-applicable") is Status.NOT_APPLICABLE
    with pytest.raises(ValueError, match="unknown status 'proven'"):
        Status.parse("proven")


def test_exception_in_check_is_error_with_message():
    def boom(instance, ctx):
        raise RuntimeError("kaboom")

    out = _run(_theorem(boom))
    assert out.result.status is Status.ERROR
    assert "kaboom" in out.result.summary
    assert out.verdict == "error" and not out.matches


def test_nan_evidence_is_error_never_a_pass():
    out = _run(_theorem(lambda i, c: Result.confirmed("ok", sup_error=math.nan)))
    assert out.result.status is Status.ERROR
    assert "evidence.sup_error" in out.result.summary


def test_wrong_return_type_is_error():
    out = _run(_theorem(lambda i, c: True))
    assert out.result.status is Status.ERROR


def test_inconclusive_where_confirmed_expected_is_its_own_verdict():
    out = _run(_theorem(lambda i, c: Result.inconclusive("missed eps")))
    assert out.verdict == "inconclusive" and not out.matches


def test_control_must_expect_refuted_or_not_applicable():
    with pytest.raises(ValueError, match="negative control"):
        _theorem(lambda i, c: Result.confirmed("x"), expect="confirmed", control=True)


def test_unknown_check_in_instance_is_rejected():
    t = Theorem(id="t", title="t", source=Source(paper="p"), statement="s")
    t.instance("i", expect={"nope": "confirmed"})
    with pytest.raises(ValueError, match="unknown checks"):
        t.validate()


def test_seeds_are_stable_and_distinct():
    assert derive_seed(0, "a", "b", "c") == derive_seed(0, "a", "b", "c")
    assert derive_seed(0, "a", "b", "c") != derive_seed(1, "a", "b", "c")
    assert derive_seed(0, "a", "b", "c") != derive_seed(0, "a", "b", "d")


def test_same_seed_same_numbers():
    def draw(instance, ctx):
        return Result.confirmed("x", value=float(ctx.rng.normal()))

    t = _theorem(draw)
    assert _run(t).result.evidence == _run(t).result.evidence


def test_unknown_theorem_and_device():
    with pytest.raises(UnknownTheoremError, match="no theorem with id 'nonexistent'"):
        get_theorem("nonexistent")
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("tpu")


def test_to_jsonable_keeps_nan_visible():
    import numpy as np

    assert to_jsonable({"a": np.float64(math.nan), "b": np.arange(2)}) == {"a": "nan", "b": [0, 1]}
