"""transformer-uap passes the conformance suite (re-runs its quick profile: marked slow, since
the default pytest already runs every quick case through the relverify plugin)."""

from __future__ import annotations

import pytest

from verify.core.registry import get_theorem
from verify.testing import assert_conforms


@pytest.mark.slow
def test_conforms():
    assert_conforms("transformer-uap")


def test_every_check_has_a_control_with_a_reason():
    th = get_theorem("transformer-uap")
    controls = [i for i in th.instances if i.control]
    assert {name for i in controls for name in i.expect} == set(th.checks)
    for inst in controls:
        for name in inst.expect:
            assert inst.reasons.get(name) in th.checks[name].reasons, (inst.id, name)
    for check in th.checks.values():
        assert check.tests, check.name
