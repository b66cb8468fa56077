r"""Is the relation jointly continuous on :math:`X \times Y`? (a hypothesis check, both theorems)

A structural sympy proof (a composition of continuous functions) confirms; an explicit jump
(:func:`verify.attention.hypotheses.joint_continuity`: a flagged point whose one-sided limits
differ, checked symbolically) makes the hypothesis fail: ``not-applicable``, reason
``hypothesis:continuous``. A clean sampled probe confirms only on a sampled basis and says so.

For a unit jump across the diagonal, as in :math:`1[x < y]`, no continuous model gets below
1/2 near it (our argument): for a continuous :math:`f` and any :math:`t`,
:math:`f(t, t \pm h) \to f(t, t)` as :math:`h \to 0` while :math:`r(t, t + h) = 1` and
:math:`r(t, t - h) = 0`, so :math:`\max(|1 - f(t,t)|, |f(t,t)|) \ge 1/2`.
"""

from __future__ import annotations

import numpy as np

from verify.core.result import Result
from verify.core.status import Strength

REASON = "hypothesis:continuous"


def check_continuity(rel, ctx=None) -> Result:
    """``confirmed`` (proof or sampled probe) / ``not-applicable`` (a jump) for ``rel``."""
    from verify.attention.hypotheses import joint_continuity

    verdict = joint_continuity(rel)
    evidence = {"method": verdict.method, "proof": verdict.proof, **verdict.evidence}
    strength = "symbolic proof" if verdict.proof else "sampled probe (not a proof)"
    kind = Strength.SYMBOLIC if verdict.proof else Strength.SAMPLED
    if verdict.ok:
        return Result.confirmed(f"{rel.name} is jointly continuous ({verdict.method})", strength,
                                **evidence).because("continuous", kind)
    jump = _jump_demo(rel) if rel.dx == 1 and rel.dy == 1 else {"jump": None}
    size = jump["jump"]
    bound = (f"; near the diagonal jump of size {size:.3g} no continuous <φ,ψ> gets below "
             f"{size / 2:.3g} (module docstring)") if size else ""
    return Result.not_applicable(
        f"{rel.name} is not continuous ({verdict.method}){bound}",
        strength + ("; the 1/2 bound is our argument" if size else ""), jump=jump, **evidence,
    ).because(REASON, kind)


def _jump_demo(rel) -> dict:
    """r(t, t+h) and r(t, t−h) at the centre t for shrinking h (1-D x and y)."""
    t = 0.5 * (rel.x_box.lo[0] + rel.x_box.hi[0])
    hs = 10.0 ** -np.arange(1, 9)
    above = rel(np.full((len(hs), 1), t), (t + hs)[:, None])
    below = rel(np.full((len(hs), 1), t), (t - hs)[:, None])
    return {"t": t, "h": hs, "r(t,t+h)": above, "r(t,t-h)": below,
            "jump": float(np.min(np.abs(above - below)))}
