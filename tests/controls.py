"""One helper for the theorem tests: a negative control reaches its status for its declared
reason (the conformance suite checks the same over whole theorems; this names one control)."""

from verify.core.profiles import get_profile
from verify.core.registry import get_theorem
from verify.core.runner import run_case


def assert_control_reasons(theorem_id: str, control_id: str, profile: str = "quick") -> None:
    thm = get_theorem(theorem_id)
    inst = next(i for i in thm.instances if i.id == control_id)
    for name, expected in inst.expect.items():
        out = run_case(thm, inst, thm.checks[name], expected, profile=get_profile(profile),
                       run_seed=0)
        assert out.result.status == expected, out.result.summary
        assert out.result.reason == inst.reasons[name]
        assert out.result.reason in thm.checks[name].reasons
        assert out.result.strength_kind is not None
