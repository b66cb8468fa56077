"""The neuron-bounds theorem module: conformance (quick profile) and its user-bound option."""

import pytest
import torch

from verify import get_profile
from verify.core.context import Context
from verify.core.registry import get_theorem

torch.set_num_threads(1)


@pytest.mark.slow
def test_neuron_bounds_conforms():
    from verify.testing import assert_conforms

    assert_conforms("neuron-bounds")


def _run(instance_id: str, check: str, options: dict):
    thm = get_theorem("neuron-bounds")
    inst = next(i for i in thm.instances if i.id == instance_id)
    ctx = Context(profile=get_profile("quick"), seed=0, options=options)
    return thm.checks[check].fn(inst, ctx)


def test_user_bound_option():
    thm = get_theorem("neuron-bounds")
    assert "user-bound" not in {inst.id for inst, _, _ in thm.cases("quick")}
    thm.with_options({"bound": "m_min - 3"})
    try:
        (inst,) = [i for i in thm.instances if i.id == "user-bound"]
        assert inst.expect == {"stated-bound": "confirmed"}  # the user's claim, as stated
        res = thm.checks["stated-bound"].fn(inst, Context(get_profile("quick"), seed=0))
        assert res.status == "refuted"  # m_min - 3 neurons: rank m_min - 2 < m_min
        assert res.evidence["bound"]["text"] == "m_min - 3"
        with pytest.raises(ValueError, match="unknown symbols"):
            thm.with_options({"bound": "foo + 1"})
    finally:
        thm.instances = [i for i in thm.instances if i.id != "user-bound"]


def test_controls_refuted():
    assert _run("gaussian-planted-2", "stated-bound", {}).status == "refuted"
    assert _run("derived-planted-truncation", "derived-bound", {}).status == "refuted"
    assert _run("scaling-width-1", "scaling", {}).status == "refuted"
