"""The softmax margin lemma (ours) and property checks for it.

**Lemma (ours; docs/math.md, "Attention margin lemma").** Let ``s_1..s_n`` be attention scores with
``|s_i - β u_i| ≤ βδ`` for all ``i``, let ``u_{i*} - u_j ≥ η`` for all ``j ≠ i*``
and ``η > 2δ``. Then

.. math::

    \\alpha_{i^*} = \\frac{e^{s_{i^*}}}{\\sum_j e^{s_j}}
    \\ \\ge\\ \\frac{1}{1 + (n-1)\\, e^{-\\beta(\\eta - 2\\delta)}},

because each ``s_{i*} - s_j ≥ β(η - 2δ)``. Hence ``β ≥ log((n-1)/ε₁) / (η - 2δ)`` gives
``α_{i*} ≥ 1 - ε₁``, and for values with ``|v_i| ≤ v_max``,
``|Σ α_i v_i - v_{i*}| = |Σ_{j≠i*} α_j (v_j - v_{i*})| ≤ 2(1 - α_{i*}) v_max``.
The bound is attained (ours): all gaps exactly ``η`` and the adversarial perturbation ``-βδ`` on
the best key, ``+βδ`` on the others.

This is the quantitative step from "scores approximate β·u" to "attention selects" in the
attention theorem of Altabaa & Lafferty (arXiv 2402.08856; cited as Theorem 5.1 in arXiv
2405.16727); the constants here are ours, not the paper's.

The property checks are plain functions returning ``(ok, counterexample)``; they drive
``hypothesis`` internally (seeded, no example database) and return its shrunk failing case.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from scipy.special import expit, softmax

__all__ = [
    "ALPHA_CASES",
    "Case",
    "alpha_lower_bound",
    "beta_for",
    "case_strategy",
    "check_alpha_tends_to_one",
    "check_bound_holds",
    "check_tie_caps_half",
    "class_beta_for",
    "alpha_to_one_property",
    "bound_property",
    "one_minus_alpha",
    "one_minus_class_alpha",
    "one_minus_bound",
    "run_property",
    "tie_alpha_exact",
    "tie_cap_property",
    "tie_scores",
    "tie_strategy",
    "value_error_bound",
]

#: relative slack for float64 comparisons against a bound that can be attained exactly
REL_TOL = 1e-9


def _require_margin(eta: float, delta: float) -> None:
    if not eta > 2 * delta:
        raise ValueError(
            f"the margin lemma needs eta > 2*delta, got eta={eta!r}, delta={delta!r} "
            f"(2*delta={2 * delta!r})"
        )
    if delta < 0:
        raise ValueError(f"delta must be >= 0, got delta={delta!r}")


def alpha_lower_bound(n: int, beta: float, eta: float, delta: float = 0.0) -> float:
    """``1 / (1 + (n-1) e^{-β(η-2δ)})`` (ours); raises ValueError unless ``η > 2δ``."""
    _require_margin(eta, delta)
    if n < 1:
        raise ValueError(f"need n >= 1 keys, got n={n}")
    if n == 1:
        return 1.0
    return float(expit(beta * (eta - 2 * delta) - math.log(n - 1)))


def one_minus_bound(n: int, beta: float, eta: float, delta: float = 0.0) -> float:
    """``1 - alpha_lower_bound`` computed without cancellation (the bound on ``1 - α_{i*}``)."""
    _require_margin(eta, delta)
    if n <= 1:
        return 0.0
    return float(expit(math.log(n - 1) - beta * (eta - 2 * delta)))


def beta_for(n: int, eps1: float, eta: float, delta: float = 0.0) -> float:
    """``log((n-1)/ε₁) / (η - 2δ)`` (ours): the β that makes the lemma give ``α_{i*} ≥ 1 - ε₁``."""
    _require_margin(eta, delta)
    if not 0 < eps1 < 1:
        raise ValueError(f"eps1 must lie in (0, 1), got eps1={eps1!r}")
    if n <= 1:
        return 0.0
    return max(0.0, math.log((n - 1) / eps1) / (eta - 2 * delta))


def value_error_bound(eps1: float, vmax: float) -> float:
    """``2 ε₁ v_max`` (ours): bound on ``|Σ α_i v_i - v_{i*}|`` when ``1 - α_{i*} ≤ ε₁``."""
    return 2.0 * eps1 * vmax


def one_minus_alpha(scores: np.ndarray, best: int) -> float:
    """``1 - α_best`` as the sum of the other softmax weights (no cancellation near 1)."""
    a = softmax(np.asarray(scores, dtype=np.float64))
    return float(np.delete(a, best).sum())  # each small weight is accurate to relative 1e-16


# --------------------------------------------------------------------------- cases
Case = dict[str, Any]


@st.composite
def case_strategy(draw, max_n: int = 64, perturbations: tuple[str, ...] = ("adversarial", "random",
                                                                          "zero")) -> Case:
    """A margin case: n, β, η, δ < η/2, utilities with top gap ≥ η, a perturbation pattern.

    ``scores = β(u + e)`` with ``|e_i| ≤ δ``; ``adversarial`` puts ``-δ`` on the best key and
    ``+δ`` on the others (with some gaps exactly η this attains the bound).
    """
    n = draw(st.integers(2, max_n))
    beta = draw(st.floats(0.01, 500.0))
    eta = draw(st.floats(1e-3, 2.0))
    delta = draw(st.floats(0.0, 0.999)) * eta / 2
    best = draw(st.integers(0, n - 1))
    top = draw(st.floats(-5.0, 5.0))
    extra = draw(st.lists(st.just(0.0) | st.floats(0.0, 3.0),
                          min_size=n - 1, max_size=n - 1))
    u = np.empty(n)
    u[best] = top
    u[np.arange(n) != best] = top - eta - np.asarray(extra)
    kind = draw(st.sampled_from(perturbations))
    if kind == "adversarial":
        e = np.full(n, delta)
        e[best] = -delta
    elif kind == "random":
        e = np.asarray(draw(st.lists(st.floats(-1.0, 1.0), min_size=n, max_size=n))) * delta
    else:
        e = np.zeros(n)
    # recompute the realised margin: float rounding of top - eta - extra may shave ulps off eta
    realised = float(u[best] - np.delete(u, best).max())
    return {"n": n, "beta": beta, "eta": min(eta, realised), "delta": delta, "best": best,
            "u": u, "e": e, "perturbation": kind}


def _jsonable_case(case: Case) -> dict[str, Any]:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in case.items()}


def run_property(
    prop: Callable[[Case], tuple[bool, dict[str, Any]]],
    strategy: st.SearchStrategy,
    *,
    max_examples: int = 200,
    seed: int = 0,
) -> tuple[bool, dict[str, Any] | None]:
    """Run ``prop`` on ``max_examples`` cases; ``(True, None)`` or ``(False, shrunk failing case)``.

    ``prop(case) -> (ok, evidence)``; the evidence of the last (hypothesis-shrunk) failure is
    returned, together with the case itself.
    """
    failure: dict[str, Any] = {}

    @hypothesis_seed(seed)
    @settings(max_examples=max_examples, database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def _test(case: Case) -> None:
        ok, evidence = prop(case)
        if not ok:
            failure.clear()
            failure.update({"case": _jsonable_case(case), **evidence})
            raise AssertionError("property violated")

    try:
        _test()
    except AssertionError:
        return False, dict(failure)
    return True, None


def _scores(case: Case) -> np.ndarray:
    return case["beta"] * (case["u"] + case["e"])


Property = Callable[[Case], tuple[bool, dict[str, Any]]]
BetaRule = Callable[[int, float, float, float], float]


def bound_property(bound: Callable[[int, float, float, float], float] = one_minus_bound
                   ) -> Property:
    """``1 - α_{i*} ≤ bound(n, β, η, δ)`` on a :func:`case_strategy` case (default: the lemma)."""

    def prop(case: Case) -> tuple[bool, dict[str, Any]]:
        gap = one_minus_alpha(_scores(case), case["best"])
        b = bound(case["n"], case["beta"], case["eta"], case["delta"])
        return gap <= b * (1 + REL_TOL) + 1e-300, {"one_minus_alpha": gap, "bound": b}

    return prop


def alpha_to_one_property(*, eps_final: float = 1e-12, steps: int = 12,
                          beta_rule: BetaRule = beta_for) -> Property:
    """Along β_k growing geometrically to ``beta_rule(n, eps_final, η, δ)`` (default
    :func:`beta_for`), ``1 - α_{i*}`` is non-increasing, below the lemma's bound at every step,
    and ``≤ eps_final`` at the end; the perturbation is held fixed relative to β."""

    def prop(case: Case) -> tuple[bool, dict[str, Any]]:
        n, eta, delta = case["n"], case["eta"], case["delta"]
        b_end = beta_rule(n, eps_final, eta, delta)
        betas = np.geomspace(1e-2, max(b_end, 2e-2), steps)
        gaps = [one_minus_alpha(b * (case["u"] + case["e"]), case["best"]) for b in betas]
        bounds = [one_minus_bound(n, b, eta, delta) for b in betas]
        # the scores β(u + e) carry an absolute rounding error ~ eps_mach·|s|, which becomes a
        # relative error of the same size in 1 − α = e^{−(gap)}; allow for it at each β
        scale = float(np.max(np.abs(case["u"] + case["e"])))
        tols = [REL_TOL + 8 * np.finfo(float).eps * b * scale for b in betas]
        monotone = all(g2 <= g1 * (1 + t) for g1, g2, t in zip(gaps, gaps[1:], tols[1:]))
        below = all(g <= b * (1 + t) for g, b, t in zip(gaps, bounds, tols))
        final = gaps[-1] <= eps_final * (1 + tols[-1])
        return monotone and below and final, {
            "betas": betas.tolist(), "one_minus_alpha": gaps, "bounds": bounds,
            "monotone": monotone, "below_bound": below, "final_below_eps": final,
            "eps_final": eps_final,
        }

    return prop


def check_bound_holds(
    *,
    max_examples: int = 300,
    seed: int = 0,
    bound: Callable[[int, float, float, float], float] = one_minus_bound,
    max_n: int = 64,
) -> tuple[bool, dict[str, Any] | None]:
    """``1 - α_{i*} ≤ bound(n, β, η, δ)`` on generated cases (default: the lemma's bound).

    Pass a different ``bound`` (same signature, bounding ``1 - α``) to test a stronger claim,
    e.g. one that forgets the ``2δ``: it is refuted by adversarial perturbations.
    """
    return run_property(bound_property(bound), case_strategy(max_n=max_n),
                        max_examples=max_examples, seed=seed)


#: the cases :func:`alpha_to_one_property` is run on (smaller n; no random perturbation)
ALPHA_CASES = {"max_n": 32, "perturbations": ("adversarial", "zero")}


def check_alpha_tends_to_one(
    *, max_examples: int = 150, seed: int = 0, eps_final: float = 1e-12, steps: int = 12,
    beta_rule: BetaRule = beta_for,
) -> tuple[bool, dict[str, Any] | None]:
    """:func:`alpha_to_one_property` on generated cases (``beta_rule`` plants a false β rule)."""
    prop = alpha_to_one_property(eps_final=eps_final, steps=steps, beta_rule=beta_rule)
    return run_property(prop, case_strategy(**ALPHA_CASES), max_examples=max_examples, seed=seed)


@st.composite
def tie_strategy(draw) -> Case:
    """A tied top class: ``n`` utilities, ``k ≥ 2`` of them equal to the maximum."""
    n = draw(st.integers(2, 32))
    k = draw(st.integers(2, n))  # size of the tied top class
    top = draw(st.floats(-5.0, 5.0))
    below = draw(st.lists(st.floats(1e-6, 3.0), min_size=n - k, max_size=n - k))
    u = np.array([top] * k + [top - g for g in below])
    order = np.asarray(draw(st.permutations(range(n))))
    return {"n": n, "tied": k, "u": u[order], "tied_idx": np.flatnonzero(order < k)}


def tie_scores(u: np.ndarray, tied: np.ndarray, score_error: float) -> np.ndarray:
    """``u + e`` with the adversarial score error ``e = +δ`` on the first tied key, ``-δ`` on the
    others (``δ = score_error``; 0 gives the exact scores of the tie claim)."""
    e = np.full(len(u), -float(score_error))
    e[int(tied[0])] = float(score_error)
    return np.asarray(u, dtype=np.float64) + e


def tie_cap_property(*, betas: tuple[float, ...] = (1.0, 1e2, 1e4, 1e6),
                     score_error: float = 0.0) -> Property:
    """With ``k`` keys tied at the top and scores ``β(u + e)``, no β in ``betas`` lifts a tied key
    above ``1/k ≤ 1/2`` (true for ``e = 0``; ``score_error > 0`` plants a false claim)."""

    def prop(case: Case) -> tuple[bool, dict[str, Any]]:
        s = tie_scores(case["u"], case["tied_idx"], score_error)
        worst = max(float(softmax(b * s)[case["tied_idx"]].max()) for b in betas)
        cap = 1.0 / case["tied"]
        return worst <= cap * (1 + 1e-12), {"max_alpha_tied": worst, "cap": cap,
                                            "betas": list(betas), "score_error": score_error}

    return prop


def check_tie_caps_half(
    *, max_examples: int = 150, seed: int = 0, betas: tuple[float, ...] = (1.0, 1e2, 1e4, 1e6),
    score_error: float = 0.0,
) -> tuple[bool, dict[str, Any] | None]:
    """With a tie at the top (η = 0) and exact scores ``s = βu``, no β lifts any tied key above
    ``1/k ≤ 1/2`` (``k`` = number of tied keys); see :func:`tie_alpha_exact` for the symbolic
    equality ``α = 1/2`` with two tied keys."""
    return run_property(tie_cap_property(betas=betas, score_error=score_error), tie_strategy(),
                        max_examples=max_examples, seed=seed)


def class_beta_for(n: int, k: int, eps1: float, gap: float) -> float:
    """``log((n-k)/(k ε₁)) / g`` (ours): enough for weight ``≥ 1 - ε₁`` on a top class of ``k``
    tied keys that beats every other key by ``g > 0``.

    .. math::

        1 - \\alpha_C = \\frac{\\sum_{j \\notin C} e^{\\beta(u_j - t)}}
        {k + \\sum_{j \\notin C} e^{\\beta(u_j - t)}} \\le \\frac{n-k}{k} e^{-\\beta g}.

    With ``k = 1`` this is :func:`beta_for` with ``δ = 0``.
    """
    if not 0 < eps1 < 1 or not gap > 0 or not 1 <= k <= n:
        raise ValueError(f"need 0 < eps1 < 1, gap > 0, 1 <= k <= n; got eps1={eps1!r}, "
                         f"gap={gap!r}, k={k}, n={n}")
    if k == n:
        return 0.0
    return max(0.0, math.log((n - k) / (k * eps1)) / gap)


def one_minus_class_alpha(scores: np.ndarray, members: np.ndarray) -> float:
    """``1 - Σ_{i ∈ C} α_i``: the softmax weight outside the class ``members`` (no cancellation)."""
    a = softmax(np.asarray(scores, dtype=np.float64))
    return float(np.delete(a, members).sum())


def tie_alpha_exact() -> dict[str, Any]:
    """Symbolic tie facts (sympy, exact, ours): with ``u_1 = u_2 = u`` and real β,

    * two keys: ``α_1 = e^{βu} / (e^{βu} + e^{βu}) = 1/2`` identically;
    * a third key with any ``u_3``: ``1/2 - α_1 = e^{βu_3} / (2(2e^{βu} + e^{βu_3})) > 0``.

    Returns the simplified expressions and ``ok``.
    """
    beta, u, u3 = sympy.symbols("beta u u3", real=True)
    a2 = sympy.exp(beta * u) / (sympy.exp(beta * u) + sympy.exp(beta * u))
    a2s = sympy.simplify(a2)
    a3 = sympy.exp(beta * u) / (2 * sympy.exp(beta * u) + sympy.exp(beta * u3))
    diff = sympy.factor(sympy.simplify(sympy.Rational(1, 2) - a3))
    positive = bool(diff.is_positive)
    return {
        "ok": a2s == sympy.Rational(1, 2) and positive,
        "two_keys_alpha": str(a2s),
        "three_keys_half_minus_alpha": str(diff),
        "three_keys_half_minus_alpha_positive": positive,
    }
