"""The one copy of the preorder checks (verify/orders/checks.py); the Debreu reason codes."""

from __future__ import annotations

import networkx as nx

from verify.attention.hypotheses import check_key_preorder
from verify.core.registry import get_theorem
from verify.orders import Preorder
from verify.orders.checks import first_violation, hypothesis_result, weak_order_graph
from verify.testing import check_theorem


def test_hypothesis_result_names_the_witness_and_refuses_empty_input():
    cycle = Preorder.from_graph(nx.DiGraph([("r", "r"), ("p", "p"), ("s", "s"), ("r", "p"),
                                            ("p", "s"), ("s", "r")]))
    r = hypothesis_result([("q", None, cycle)], "transitive", "a cycle", sampled=False)
    assert r.status == "not-applicable" and r.reason == "hypothesis:transitive"
    assert set(r.evidence["witness"]) == {"a", "b", "c"}
    ok = hypothesis_result([("q", None, Preorder.from_graph(weak_order_graph([0, 1, 1])))],
                           "complete", "a weak order", sampled=True)
    assert ok.status == "confirmed" and ok.strength_kind == "sampled"
    empty = hypothesis_result([], "complete", "nothing", sampled=False)
    assert empty.status == "inconclusive" and empty.reason == "nothing-tested"


def test_key_preorder_uses_the_same_order_of_hypotheses():
    keys = [0.0, 1.0, 2.0]
    strict = check_key_preorder(lambda x, a, b: a < b, None, keys)
    assert not strict.ok and strict.evidence["hypothesis"] == "reflexive"
    pre = Preorder.from_function(range(3), lambda a, b: keys[a] < keys[b])
    assert first_violation(pre)[0] == "reflexive"


def test_debreu_controls_give_their_declared_reasons():
    th = get_theorem("debreu-utility")
    report = check_theorem(th)
    assert report.ok, report.problems
    reached: dict[str, set] = {}
    for o in report.outcomes:
        check = th.checks[o.case_id.split("::")[2]]
        if o.result.status in ("refuted", "not-applicable"):
            assert o.result.reason in check.reasons, o.case_id
        if o.instance.control:
            assert o.result.reason == o.instance.reasons[check.name], o.case_id
            reached.setdefault(check.name, set()).add(o.result.reason)
    for name, check in th.checks.items():
        assert set(check.reasons) <= reached.get(name, set()), name
