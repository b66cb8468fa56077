"""Hypotheses of the attention theorem, checked with evidence.

The attention theorem of Altabaa & Lafferty (arXiv 2402.08856; cited as Theorem 5.1 in arXiv
2405.16727) assumes, for each query ``x``, a complete, transitive, continuous preorder ``≼_x`` on
the keys, represented by a utility ``u_x`` with ``u(x, y) = u_x(y)`` *jointly* continuous. This
module checks those hypotheses for a concrete utility :class:`~verify.relations.Relation`:

* :func:`continuity_in_y` -- ``y -> u(x, y)`` continuous: a symbolic proof when the expression is
  a composition of continuous functions, else symbolic per-slice checks at listed ``x`` (sympy
  ``continuous_domain``), else a sampled probe.
* :func:`joint_continuity` -- the same structural proof over ``(x, y)``; otherwise a sampled
  oscillation probe (:func:`joint_continuity_probe`, *not* a proof) whose suspicious point and
  direction are confirmed symbolically by a path limit (:func:`path_discontinuity`), e.g. the
  sequence ``(1/n, 1/n) -> (0, 0)`` for ``xy/(x^2+y^2)``.
* :func:`hypothesis_result` -- a :class:`HypothesisCheck` as a theorem :class:`Result`
  (``not-applicable`` with reason ``hypothesis:<name>`` when it fails).
* :func:`check_key_preorder` -- completeness / transitivity of a comparison ``prefers(x, y, y2)``
  on a finite key set, via the preorder machinery of :mod:`verify.orders` (networkx graph, edge
  ``a -> b`` meaning ``a ≼ b``); evidence is the incomparable pair or the intransitive triple.

Every check returns a :class:`HypothesisCheck` (``ok``, ``method``, ``proof``, JSON-able
``evidence``). ``proof`` is True only when the verdict is established symbolically for every
point of the stated scope; sampled probes are labelled as such.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import sympy
from sympy.calculus.util import continuous_domain

from verify.core.result import Result
from verify.core.status import Status, Strength
from verify.orders import Preorder, indifference_classes, rank_utility
from verify.orders.checks import HYPOTHESES, first_violation
from verify.relations import Relation

__all__ = [
    "HypothesisCheck",
    "check_key_preorder",
    "continuity_in_y",
    "hypothesis_result",
    "joint_continuity",
    "joint_continuity_probe",
    "path_discontinuity",
    "structurally_continuous",
    "utility_prefers",
]


@dataclass
class HypothesisCheck:
    """Outcome of one hypothesis check: ``ok``, how it was decided, and JSON-able evidence."""

    name: str
    ok: bool
    method: str
    proof: bool
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------ symbolic continuity
#: functions continuous on all of R (or R^k for Max/Min) -- compositions of them are continuous
_CONTINUOUS_FUNCS = (
    sympy.exp, sympy.sin, sympy.cos, sympy.tanh, sympy.sinh, sympy.cosh, sympy.atan,
    sympy.Abs, sympy.Max, sympy.Min, sympy.erf, sympy.asinh,
)  # fmt: skip


def structurally_continuous(
    expr: sympy.Expr, syms: Sequence[sympy.Symbol]
) -> tuple[bool, str | None]:
    """Whether ``expr`` is continuous in ``syms`` on all of R^k by its construction.

    Sums, products, non-negative integer powers, positive powers of provably non-negative bases,
    any power of a provably positive base, and :data:`_CONTINUOUS_FUNCS` of continuous arguments
    are continuous; sub-expressions free of ``syms`` are constants. Returns ``(True, None)`` or
    ``(False, the first sub-expression not covered)`` -- False means "not shown", not
    "discontinuous".
    """
    syms = set(syms)

    def walk(e: sympy.Expr) -> str | None:
        if not (e.free_symbols & syms) or e.is_Atom:
            return None
        if isinstance(e, (sympy.Add, sympy.Mul)) or e.func in _CONTINUOUS_FUNCS:
            for a in e.args:
                if (bad := walk(a)) is not None:
                    return bad
            return None
        if isinstance(e, sympy.Pow):
            base, ex = e.args
            if not (ex.free_symbols & syms):
                covered = (
                    (ex.is_integer and ex.is_nonnegative)
                    or (ex.is_positive and base.is_nonnegative)
                    or base.is_positive
                )
            else:
                covered = bool(base.is_positive)
            if covered:
                return walk(base) or walk(ex)
            return str(e)
        return str(e)

    bad = walk(sympy.sympify(expr))
    return bad is None, bad


def _rational_points(values: Sequence[float]) -> list[sympy.Rational]:
    return [sympy.Rational(v) for v in values]


def _default_x_points(u: Relation, rng: np.random.Generator, n_random: int = 3) -> np.ndarray:
    box = u.x_box
    pts = [box.corners(), box.center[None, :], box.sample(n_random, rng)]
    if box.contains(np.zeros((1, box.dim)))[0]:
        pts.append(np.zeros((1, box.dim)))
    # dyadic rounding keeps the exact rational substitution small
    return np.unique(np.round(np.vstack(pts) * 64) / 64, axis=0)


def continuity_in_y(
    u: Relation,
    x_points: np.ndarray | None = None,
    *,
    seed: int = 0,
    probe_grid: int = 7,
) -> HypothesisCheck:
    """Is ``y -> u(x, y)`` continuous on the key box (for each query ``x``)?

    1. Structural proof over the key symbols (valid for every ``x``): ``method="symbolic"``.
    2. Else, for each ``x`` in ``x_points`` (default: corners, centre, 0, 3 random dyadic points):
       substitute ``x`` exactly; prove the slice continuous structurally or, for 1-D keys, with
       ``sympy.calculus.util.continuous_domain`` over the key interval: ``"symbolic-slices"``
       (a proof for the listed ``x`` only, ``proof=False``).
    3. Slices sympy cannot decide fall back to a sampled probe in ``y`` at that ``x``.
    """
    if u.expr is None:
        return _probe_as_check("continuity_in_y", u, probe_grid, seed, vary="y")
    ok, bad = structurally_continuous(u.expr, u.y_syms)
    if ok:
        return HypothesisCheck("continuity_in_y", True, "symbolic", True, {
            "reason": "composition of continuous functions of y (every x)",
            "expression": str(u.expr)})
    cases = _sign_cases(u)
    if cases is not None:
        return HypothesisCheck("continuity_in_y", True, "symbolic (sign case split on x)", True, {
            "reason": "for each sign pattern of x (positive / negative / zero per coordinate) "
            "the expression simplifies to a composition of continuous functions of y",
            "structural_obstruction": bad, "cases": cases})
    rng = np.random.default_rng(seed)
    xs = _default_x_points(u, rng) if x_points is None else np.atleast_2d(x_points)
    slices = []
    all_ok = True
    witness = None
    for xv in xs:
        subs = dict(zip(u.x_syms, _rational_points(xv)))
        f = sympy.piecewise_fold(u.expr.subs(subs))
        verdict, how = None, None
        s_ok, _ = structurally_continuous(f, u.y_syms)
        if s_ok:
            verdict, how = True, "structural"
        elif u.dy == 1:
            (ys,) = u.y_syms
            interval = sympy.Interval(*(sympy.Rational(v) for v in (u.y_box.lo[0], u.y_box.hi[0])))
            try:
                dom = continuous_domain(f, ys, interval)
                verdict, how = bool(dom == interval), f"continuous_domain = {dom}"
            except (NotImplementedError, TypeError, ValueError):
                verdict = None
        if verdict is None:
            probe = _slice_probe(u, xv, probe_grid)
            verdict, how = probe["ok"], "sampled probe (not a proof)"
            if not verdict and witness is None:
                # confirm exactly: a path that moves y only, from the flagged point
                point = np.round(np.asarray(probe["worst"]["point"]) * 1024) / 1024
                direction = np.concatenate([np.zeros(u.dx),
                                            np.sign(probe["worst"]["direction"])])
                witness = path_discontinuity(u, point, direction)
        slices.append({"x": xv.tolist(), "slice": str(f), "continuous": verdict, "how": how})
        all_ok &= bool(verdict)
    evidence = {"structural_obstruction": bad, "slices": slices,
                "scope": "the listed x only; a proof for every x needs the structural route"}
    if witness is not None:
        evidence["witness"] = witness
        return HypothesisCheck("continuity_in_y", False, "symbolic path limit in y", True,
                               evidence)
    sampled = [s["how"].startswith("sampled") for s in slices]
    method = "sampled" if all(sampled) else "symbolic-slices" if not any(sampled) else "mixed"
    return HypothesisCheck("continuity_in_y", all_ok, method, False, evidence)


def _sign_cases(u: Relation, max_dx: int = 4) -> list[dict[str, str]] | None:
    """Split on the sign of every x coordinate; None unless every case is structural in y.

    With ``x_i`` replaced by a positive / negative symbol or 0, sympy can often decide the
    conditions of a ``Piecewise`` (e.g. ``x^2 + y^2 != 0`` when ``x > 0``) and the remaining
    expression is a composition of continuous functions of ``y``.
    """
    if u.dx > max_dx:
        return None
    cases = []
    for signs in itertools.product(("positive", "negative", "zero"), repeat=u.dx):
        subs = {}
        for s, sign in zip(u.x_syms, signs):
            if sign == "zero":
                subs[s] = sympy.Integer(0)
            else:
                subs[s] = sympy.Symbol(f"{s.name}_{sign[:3]}", real=True, **{sign: True})
        f = sympy.piecewise_fold(u.expr.xreplace(subs))
        ok, _ = structurally_continuous(f, u.y_syms)
        if not ok:
            return None
        cases.append({"x_signs": ",".join(signs), "expression": str(f)})
    return cases


def _grid_size(k: int, dim: int, max_points: int) -> int:
    """``k`` reduced (kept odd, so box centres stay on the grid) until ``k**dim <= max_points``."""
    while k > 3 and k**dim > max_points:
        k -= 2
    return k


def _slice_probe(u: Relation, xv: np.ndarray, k: int) -> dict[str, Any]:
    ys = u.y_box.grid(_grid_size(k, u.dy, 4096))
    X = np.repeat(xv[None, :], len(ys), axis=0)
    res = _oscillation(lambda pts: u(pts[:, : u.dx], pts[:, u.dx:]),
                       np.hstack([X, ys]), vary=slice(u.dx, u.dx + u.dy))
    return res


# ------------------------------------------------------------------- sampled probe
def _directions(dim: int, limit: int = 80) -> np.ndarray:
    """Unit vectors along all {-1, 0, 1}^dim patterns (axes and diagonals), at most ``limit``."""
    pats = [p for p in itertools.product((1.0, 0.0, -1.0), repeat=dim) if any(p)]
    pats = np.asarray(pats[:limit] if len(pats) > limit else pats)
    return pats / np.linalg.norm(pats, axis=1, keepdims=True)


def _oscillation(
    fn: Callable[[np.ndarray], np.ndarray],
    points: np.ndarray,
    *,
    vary: slice,
    radii: Sequence[float] = (1e-2, 1e-4, 1e-6),
    tol: float = 1e-3,
) -> dict[str, Any]:
    """Max ``|f(p + r d) - f(p)|`` over directions ``d`` (in the ``vary`` coordinates) per radius.

    A point is flagged when the oscillation at the smallest radius exceeds ``tol`` times the
    function's scale: continuous functions have vanishing oscillation as ``r -> 0``.
    """
    dim = vary.stop - vary.start
    dirs = _directions(dim)
    f0 = fn(points)
    scale = max(1.0, float(np.max(np.abs(f0))))
    osc = np.zeros((len(points), len(radii)))
    arg = np.zeros((len(points), len(radii)), dtype=int)
    for j, r in enumerate(radii):
        moved = np.repeat(points, len(dirs), axis=0)
        moved[:, vary] += r * np.tile(dirs, (len(points), 1))
        diff = np.abs(fn(moved).reshape(len(points), len(dirs)) - f0[:, None])
        osc[:, j] = diff.max(axis=1)
        arg[:, j] = diff.argmax(axis=1)
    flagged = np.flatnonzero(osc[:, -1] > tol * scale)
    out: dict[str, Any] = {"ok": flagged.size == 0, "points": len(points),
                           "radii": list(radii), "tol": tol * scale,
                           "max_oscillation_by_radius": osc.max(axis=0).tolist()}
    if flagged.size:
        i = int(flagged[np.argmax(osc[flagged, -1])])
        out["worst"] = {"point": points[i].tolist(), "direction": dirs[arg[i, -1]].tolist(),
                        "oscillation_by_radius": osc[i].tolist(),
                        "value_at_point": float(f0[i])}
    return out


def _product_grid(u: Relation, k: int, max_points: int) -> np.ndarray:
    k = _grid_size(k, u.dx + u.dy, max_points)
    X, Y = u.x_box.grid(k), u.y_box.grid(k)
    return np.hstack([np.repeat(X, len(Y), axis=0), np.tile(Y, (len(X), 1))])


def joint_continuity_probe(
    u: Relation, k: int = 9, max_points: int = 4096, **kw: Any
) -> dict[str, Any]:
    """Sampled probe of joint continuity on a ``k^(dx+dy)`` grid (a probe, **not a proof**).

    Moves each grid point by ``r`` along axis and diagonal directions in ``(x, y)`` space (the
    first 80 sign patterns in high dimension) for ``r = 1e-2, 1e-4, 1e-6`` and flags points whose
    oscillation does not vanish. ``k`` shrinks (odd) until the grid has ``<= max_points`` points.
    """
    pts = _product_grid(u, k, max_points)
    res = _oscillation(lambda p: u(p[:, : u.dx], p[:, u.dx:]), pts, vary=slice(0, u.dx + u.dy),
                       **kw)
    res["kind"] = "sampled probe, not a proof"
    return res


def _probe_as_check(name: str, u: Relation, k: int, seed: int, vary: str) -> HypothesisCheck:
    res = joint_continuity_probe(u, k) if vary == "xy" else _slice_probe_all(u, k)
    return HypothesisCheck(name, bool(res["ok"]), "sampled", False, res)


def _slice_probe_all(u: Relation, k: int) -> dict[str, Any]:
    pts = _product_grid(u, k, 4096)
    res = _oscillation(lambda p: u(p[:, : u.dx], p[:, u.dx:]), pts,
                       vary=slice(u.dx, u.dx + u.dy))
    res["kind"] = "sampled probe, not a proof"
    return res


# --------------------------------------------------------------- symbolic witnesses
def path_discontinuity(
    u: Relation,
    point: Sequence[float],
    direction: Sequence[float],
    *,
    n_terms: int = 20,
) -> dict[str, Any] | None:
    """Exact check of the straight path ``p + d/n -> p``: the witness if ``u`` jumps there.

    Computes ``lim_{t -> 0+} u(p + t d)`` with ``sympy.limit``, the exact value ``u(p)``, and the
    exact terms ``u(p + d/n)``, ``n = 1..n_terms``. Returns None when the limit equals ``u(p)``
    (continuous along this path -- which proves nothing about other paths).
    """
    if u.expr is None:
        raise ValueError(f"{u.name}: path limits need a symbolic relation")
    t = sympy.Symbol("t", positive=True)
    syms = (*u.x_syms, *u.y_syms)
    p = _rational_points(point)
    d = _rational_points(direction)
    along = u.expr.subs({s: pi + t * di for s, pi, di in zip(syms, p, d)}, simultaneous=True)
    lim = sympy.limit(along, t, 0, "+")
    value = sympy.simplify(u.expr.subs(dict(zip(syms, p)), simultaneous=True))
    if sympy.simplify(lim - value) == 0:
        return None
    terms = [sympy.nsimplify(sympy.simplify(along.subs(t, sympy.Rational(1, n))))
             for n in range(1, n_terms + 1)]
    return {
        "point": [str(v) for v in p],
        "direction": [str(v) for v in d],
        "sequence": "p + d/n, n = 1, 2, ...",
        "terms": [str(v) for v in terms],
        "limit_along_path": str(lim),
        "value_at_point": str(value),
        "statement": f"u(p + d/n) -> {lim} but u(p) = {value}: u is not continuous at p",
    }


def joint_continuity(u: Relation, *, k: int = 9) -> HypothesisCheck:
    """Is ``u`` jointly continuous on ``X x Y``?

    A structural proof when possible (``method="symbolic"``, ``proof=True``). Otherwise the
    sampled probe runs; if it flags a point, the flagged point (rounded to a dyadic rational) and
    direction are checked with :func:`path_discontinuity`, and a confirmed jump is a *proof* of
    discontinuity (``ok=False``, ``proof=True``). An unconfirmed or clean probe is reported as a
    sampled verdict (``proof=False``).
    """
    if u.expr is not None:
        ok, bad = structurally_continuous(u.expr, (*u.x_syms, *u.y_syms))
        if ok:
            return HypothesisCheck("joint_continuity", True, "symbolic", True, {
                "reason": "composition of continuous functions of (x, y)",
                "expression": str(u.expr)})
    else:
        bad = "no symbolic expression"
    probe = joint_continuity_probe(u, k)
    evidence: dict[str, Any] = {"structural_obstruction": bad, "probe": probe}
    if not probe["ok"] and u.expr is not None:
        worst = probe["worst"]
        point = np.round(np.asarray(worst["point"]) * 1024) / 1024
        witness = path_discontinuity(u, point, np.sign(worst["direction"]))
        if witness is not None:
            evidence["witness"] = witness
            return HypothesisCheck("joint_continuity", False, "symbolic path limit", True,
                                   evidence)
    return HypothesisCheck("joint_continuity", bool(probe["ok"]), "sampled", False, evidence)


# ---------------------------------------------------------------- finite preorders
def utility_prefers(u: Relation) -> Callable[[np.ndarray, np.ndarray, np.ndarray], bool]:
    """The comparison ``prefers(x, y, y2) = (y ≼_x y2) = (u(x, y) <= u(x, y2))``."""

    def prefers(x: np.ndarray, y: np.ndarray, y2: np.ndarray) -> bool:
        vals = u(np.vstack([x, x]), np.vstack([y, y2]))
        return bool(vals[0] <= vals[1])

    return prefers


def check_key_preorder(
    prefers: Callable[[Any, Any, Any], bool],
    x: Any,
    keys: Sequence[Any] | np.ndarray,
) -> HypothesisCheck:
    """Is ``≼_x`` (``prefers(x, a, b)`` means ``a ≼_x b``) a complete preorder on ``keys``?

    Uses :class:`verify.orders.Preorder` (networkx graph, edge ``a -> b`` = ``a ≼ b``) on key
    indices. Evidence: the missing self-comparison, the intransitive triple ``a ≼ b ≼ c, not
    a ≼ c``, or the incomparable pair, with the keys themselves; when all hold, the rank utility
    (rank of the strongly connected component) and ``Select(x, keys)`` = the top class.
    """
    keys = list(keys)
    order = Preorder.from_function(range(len(keys)),
                                   lambda a, b: prefers(x, keys[a], keys[b]))

    def key(i: int) -> Any:
        k = keys[i]
        return k.tolist() if isinstance(k, np.ndarray) else k

    found = first_violation(order)
    if found is not None:
        name, w = found
        roles = HYPOTHESES[name][1]
        evidence = {"hypothesis": name, "indices": {r: int(w[r]) for r in roles},
                    "keys": {r: key(int(w[r])) for r in roles}}
        return HypothesisCheck("key_preorder", False, "exhaustive (finite key set)", True,
                               evidence)
    utility = rank_utility(order)
    top = max(utility.values())
    return HypothesisCheck("key_preorder", True, "exhaustive (finite key set)", True, {
        "n_keys": len(keys),
        "indifference_classes": len(indifference_classes(order)),
        "rank_utility": [int(utility[i]) for i in range(len(keys))],
        "select": [i for i in range(len(keys)) if utility[i] == top],
    })


def hypothesis_result(check: HypothesisCheck, hypothesis: str, what: str) -> Result:
    """``check`` as a Result: confirmed (a symbolic proof, or labelled sampled), or
    ``not-applicable`` with reason ``hypothesis:<hypothesis>`` and the witness sequence."""
    ev = check.to_dict()
    if check.ok:
        if check.proof:
            return Result(Status.CONFIRMED, f"{what} holds ({check.method})", ev,
                          "symbolic proof (sympy, structural)", strength_kind=Strength.SYMBOLIC)
        return Result(Status.CONFIRMED, f"{what} holds ({check.method})", ev,
                      f"{check.method}: not a proof", strength_kind=Strength.SAMPLED)
    witness = check.evidence.get("witness")
    msg = f"hypothesis '{what}' fails"
    if witness:
        msg += f": {witness['statement']} (p = {witness['point']}, d = {witness['direction']})"
        return Result.not_applicable(
            msg, "exact path limit (sympy) with the witness sequence p + d/n", **ev
        ).because(f"hypothesis:{hypothesis}", Strength.SYMBOLIC)
    return Result.not_applicable(msg, check.method, **ev).because(
        f"hypothesis:{hypothesis}", Strength.SAMPLED)
