"""End to end, standard profile: the 4-D witnesses (issue 6) train and are *certified*.

Slow (about 20 s each on 2 cores): ``pytest -m slow tests/test_witness_4d.py``."""

import pytest

from verify import get_profile
from verify.core.context import Context
from verify.core.registry import get_theorem


@pytest.mark.slow
@pytest.mark.parametrize(
    "theorem,instance", [("symmetric-pd", "gaussian-2d"), ("asymmetric", "attention-kernel")]
)
def test_4d_witness_is_certified(theorem, instance):
    thm = get_theorem(theorem)
    inst = next(i for i in thm.instances if i.id == instance)
    res = thm.checks["witness"].fn(inst, Context(get_profile("standard"), seed=0))
    assert res.status == "confirmed", res.summary
    cert = res.evidence["certificate"]
    assert cert["status"] == "certified" and cert["upper"] <= inst["eps"]
    assert cert["extra"]["form"] == "taylor"
    assert "certified bound over the whole domain" in res.strength
