"""Tests for the attention hypotheses: continuity (symbolic / sampled) and key preorders."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verify.attention.hypotheses import (
    check_key_preorder,
    continuity_in_y,
    joint_continuity,
    joint_continuity_probe,
    path_discontinuity,
    structurally_continuous,
    utility_prefers,
)
from verify.attention.utilities import (
    UTILITIES,
    bilinear,
    get_utility,
    nearest_key,
    plateau,
    separately_continuous,
)
from verify.relations import Relation, vector_symbols


@pytest.mark.parametrize("name", ["nearest_key", "bilinear", "plateau", "axis_reversed",
                                  "bump_reversed"])
def test_continuous_families_are_proved_jointly_continuous(name):
    u = get_utility(name)
    j = joint_continuity(u)
    assert j.ok and j.proof and j.method == "symbolic"
    c = continuity_in_y(u)
    assert c.ok and c.proof
    json.dumps(j.to_dict())


def test_separately_continuous_counterexample():
    u = separately_continuous()
    c = continuity_in_y(u)
    assert c.ok and c.proof and "case split" in c.method  # continuous in y for every x
    j = joint_continuity(u)
    assert not j.ok and j.proof
    w = j.evidence["witness"]
    assert w["limit_along_path"] == "1/2" and w["value_at_point"] == "0"
    assert w["point"] == ["0", "0"] and w["direction"] == ["1", "1"]
    assert set(w["terms"]) == {"1/2"}  # u(1/n, 1/n) = 1/2 exactly
    assert j.evidence["probe"]["kind"].startswith("sampled probe")
    json.dumps(j.to_dict())


def test_path_limit_witness_and_non_witness():
    u = separately_continuous()
    assert path_discontinuity(u, (0, 0), (1, 1))["limit_along_path"] == "1/2"
    assert path_discontinuity(u, (0, 0), (1, 0)) is None  # along an axis the limit is 0 = u(0,0)
    assert path_discontinuity(nearest_key(2), (0, 0, 0, 0), (1, 1, 1, 1)) is None


def test_structural_check_reports_obstruction():
    (x,), (y,) = vector_symbols("x", 1), vector_symbols("y", 1)
    ok, bad = structurally_continuous(x / (x - y), (x, y))
    assert not ok and "x0 - y0" in bad
    ok, _ = structurally_continuous(1 / (1 + (x - y) ** 2), (x, y))
    assert ok


def test_numeric_probe_flags_a_jump_and_passes_a_smooth_function():
    step = Relation.from_torch("step", lambda a, b: (a[..., 0] > b[..., 0]).double(),
                               nearest_key(1).x_box, nearest_key(1).y_box)
    res = joint_continuity_probe(step, k=5)
    assert not res["ok"] and res["worst"]["oscillation_by_radius"][-1] == 1.0
    j = joint_continuity(step, k=5)
    assert not j.ok and not j.proof and j.method == "sampled"
    assert joint_continuity_probe(bilinear(2), k=5)["ok"]


def test_preorder_of_a_utility_and_select_with_ties():
    u = plateau(2, c=0.1)
    x = np.zeros(2)
    keys = np.array([[0.1, 0.0], [0.0, -0.2], [0.9, 0.9], [-0.5, 0.5]])  # first two tie at 0
    chk = check_key_preorder(utility_prefers(u), x, keys)
    assert chk.ok and chk.proof
    assert chk.evidence["select"] == [0, 1]
    assert chk.evidence["indifference_classes"] == 3


def test_reversing_one_preference_breaks_transitivity():
    rng = np.random.default_rng(0)
    keys = rng.uniform(-1, 1, (6, 2))
    x = np.zeros(2)
    base = utility_prefers(nearest_key(2))
    d = np.linalg.norm(keys, axis=1)
    near, far = int(np.argmin(d)), int(np.argmax(d))

    def flipped(q, a, b):
        ia = int(np.flatnonzero((keys == a).all(1))[0])
        ib = int(np.flatnonzero((keys == b).all(1))[0])
        if {ia, ib} == {near, far}:
            return not base(q, a, b)  # the one reversed comparison
        return base(q, a, b)

    chk = check_key_preorder(flipped, x, keys)
    assert not chk.ok and chk.evidence["hypothesis"] == "transitive"
    idx = chk.evidence["indices"]
    assert {near, far} & {idx["a"], idx["c"]}


def test_incomparable_pair_is_reported():
    keys = ["a", "b", "c"]

    def partial(_x, p, q):  # a and c are incomparable
        return p == q or (p, q) in {("a", "b"), ("c", "b")}

    chk = check_key_preorder(partial, None, keys)
    assert not chk.ok and chk.evidence["hypothesis"] == "complete"
    assert set(chk.evidence["keys"].values()) == {"a", "c"}


def test_utility_registry():
    assert set(UTILITIES) >= {"nearest_key", "bilinear", "plateau", "separately_continuous"}
    with pytest.raises(KeyError, match="unknown utility"):
        get_utility("nope")
    A = np.asarray(bilinear(4, seed=3).params["A"])
    u = bilinear(4, seed=3)
    rng = np.random.default_rng(1)
    X, Y = rng.uniform(-1, 1, (5, 4)), rng.uniform(-1, 1, (5, 4))
    np.testing.assert_allclose(u(X, Y), np.einsum("bi,ij,bj->b", X, A, Y), rtol=1e-12)


def _piecewise(expr_of):
    import sympy

    from verify.relations import Box

    (x,), (y,) = vector_symbols("x", 1), vector_symbols("y", 1)
    box = Box.cube(-1, 1, 1)
    return Relation.from_sympy("pw", expr_of(sympy, x, y), (x,), (y,), box, box)


def test_piecewise_continuous_in_y_falls_back_to_probe():
    u = _piecewise(lambda sp, x, y: sp.Piecewise((y, y < x), (x, True)))  # min(x, y)
    c = continuity_in_y(u)
    assert c.ok and not c.proof and c.method == "sampled"
    j = joint_continuity(u)
    assert j.ok and not j.proof and j.method == "sampled"


def test_jump_in_y_is_proved_by_a_y_path():
    u = _piecewise(lambda sp, x, y: sp.Piecewise((1, y > x), (0, True)))
    c = continuity_in_y(u)
    assert not c.ok and c.proof
    w = c.evidence["witness"]
    assert w["direction"][0] == "0"  # moves the key only
    assert w["limit_along_path"] == "1" and w["value_at_point"] == "0"
