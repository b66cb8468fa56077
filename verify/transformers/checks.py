"""Check bodies (instance data in, :class:`~verify.Result` out) for the transformer-UAP theorem.

Each function is one check of ``theorems/transformer_uap.py``; the mathematics is in the
engine modules it calls (:mod:`.distinguish`, :mod:`.hard_limit`, :mod:`.sparse`,
:mod:`.equivariance`). All randomness comes from the ``rng`` passed in (the check's seed).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from verify.core.result import Result
from verify.core.status import Strength
from verify.transformers import distinguish as D
from verify.transformers import equivariance as E
from verify.transformers import hard_limit as H
from verify.transformers import sparse as S
from verify.transformers.layers import AttentionParams, random_params, residual_layer, sdpa_gap

SDPA_TOL = 1e-6


def _confirmed(kind: Strength, summary: str, strength: str, **evidence) -> Result:
    r = Result.confirmed(summary, strength, **evidence)
    r.strength_kind = kind
    return r


def _coincidence(kind, X1, X2, p: AttentionParams, a: int, b: int, fails: int, draws: int,
                 tol: float, what: str) -> Result:
    """Floats found output tokens a, b within ``tol``: decide it exactly with sympy."""
    gap = D.exact_token_gap(kind, X1, X2, p, a, b)
    ev = {"pair": (a, b), "exact_gap": str(gap.T), "failing_draws": fails, "draws": draws,
          "tolerance": tol}
    if all(g == 0 for g in gap):
        return Result.refuted(
            f"{what}: output tokens {a} and {b} coincide exactly (sympy, rational parameters "
            f"of the worst draw); {fails} of {draws} draws within {tol:g}",
            "exact: sympy recomputation at one draw; the failing fraction is sampled", **ev,
        ).because("coincident-tokens", Strength.SYMBOLIC)
    return Result.inconclusive(
        f"{what}: tokens {a}, {b} are within {tol:g} in float64 but differ exactly by "
        f"{gap.T}: not resolved numerically", "none", **ev)


def distinguishability(kind: str, X1: np.ndarray, X2: np.ndarray, draws: int, tol: float,
                       rng: np.random.Generator, scale: float, zero_values: bool) -> Result:
    """Check 1: one residual layer, ``draws`` generic parameter draws, 2n distinct tokens."""
    d = X1.shape[1]
    p = random_params(draws, d, d, rng, scale=scale)
    if zero_values:
        p = AttentionParams(p.wq, p.wk, torch.zeros_like(p.wv), p.gamma)
    gap = sdpa_gap(torch.as_tensor(X1), p) if kind == "softmax" else 0.0
    if gap > SDPA_TOL:
        return Result.error(f"SDPA and the explicit softmax formula differ by {gap:.2e}")
    r = D.distinguish_pair(kind, X1, X2, p)
    shared = sorted(set(map(tuple, X1.tolist())) & set(map(tuple, X2.tolist())))
    ev = {"min_distance": r["min_distance"], "worst_draw": r["worst_draw"],
          "closest_pair": r["pair"], "draws": draws, "tolerance": tol, "shared_tokens": shared,
          "same_orbit": D.orbit_key(X1) == D.orbit_key(X2), "sdpa_vs_explicit": gap,
          "parameter_law": f"N(0, {scale}²) entries" + ("; W_V = 0" if zero_values else "")}
    fails = int((r["distances"] <= tol).sum())
    if fails:
        what = "same S_n-orbit" if ev["same_orbit"] else "inputs"
        res = _coincidence(kind, X1, X2, p.draw(r["worst_draw"]), *r["pair"], fails, draws,
                           tol, what)
        res.evidence.update(ev)
        return res
    return _confirmed(Strength.SAMPLED,
        f"{kind}: all {2 * len(X1)} output tokens pairwise distinct in each of {draws} draws "
        f"(min distance {r['min_distance']:.3g} > {tol:g}; {len(shared)} shared input tokens)",
        f"sampled: {draws} random parameter draws", **ev)


def finite_set_separation(kind: str, sets: np.ndarray, tol: float, rng: np.random.Generator,
                          scale: float, box: tuple[float, float] | None, box_samples: int
                          ) -> Result:
    """Check 2: one draw separates every N-set; or a parameter box on which it cannot."""
    d = sets.shape[-1]
    if box is not None:
        cert = D.relu_box_certificate(sets, box[0], box[1], d)
        samples = random_params(box_samples, d, d, rng, scale=scale)
        wk = torch.as_tensor(rng.uniform(box[0], box[1], samples.wk.shape))
        inside = AttentionParams(samples.wq, wk, samples.wv, samples.gamma)
        X = torch.as_tensor(sets)
        with torch.no_grad():
            unchanged = (residual_layer(kind, X, inside) == X).all(dim=(-1, -2, -3, -4))
        ev = {"box": f"W_K ∈ [{box[0]}, {box[1]}]^({d}×{d}), W_Q, W_V free",
              "interval_proof": cert, "box_samples": box_samples,
              "samples_identity": int(unchanged.sum()), "sets": sets.shape[0],
              "set_size": sets.shape[1]}
        if cert["proven"] and bool(unchanged.all()):
            return Result.refuted(
                f"{kind}: on the parameter box W_K ∈ [{box[0]}, {box[1]}]^({d}×{d}) (any W_Q, "
                f"W_V; positive measure; ReLU features are not analytic in θ) every key "
                f"feature vanishes on all "
                f"{cert['tokens']} tokens (interval proof: max upper end "
                f"{cert['max_upper_end']:.3g} < 0), so the layer is the identity and every "
                f"shared token stays identical; {box_samples} points inside the box: identity",
                "certified: outward-rounded interval enclosure over the whole W_K box", **ev,
            ).because("positive-measure-failure", Strength.CERTIFIED)
    p = random_params(1, d, d, rng, scale=scale)
    r = D.separate_sets(kind, sets, p)
    ev = {"min_distance": r["min_distance"], "worst_set": r["worst_set"], "sets": sets.shape[0],
          "set_size": sets.shape[1], "tolerance": tol}
    if r["min_distance"] <= tol:
        (pa, ia), (pb, ib) = r["pair"]
        n = sets.shape[2]
        res = _coincidence(kind, sets[r["worst_set"], pa], sets[r["worst_set"], pb], p,
                           ia, n + ib, 1, 1, tol, f"set {r['worst_set']}")
        res.evidence.update(ev)
        return res
    return _confirmed(Strength.SAMPLED,
        f"{kind}: one random draw separates each of {sets.shape[0]} sets of {sets.shape[1]} "
        f"inputs sharing tokens (min distance over all {sets.shape[1] * sets.shape[2]} output "
        f"tokens {r['min_distance']:.3g} > {tol:g})",
        "sampled: one parameter draw, random input sets", **ev)


def hard_attention_limit(name: str, d: int, rng: np.random.Generator, points: int,
                         stated=None, stated_text: str = "") -> Result:
    """Check 3: R(t) = k(x, tWy₁)/k(x, tWy₂) → 0 or ∞ off a stated exceptional set."""
    s = H.Symbols(d)
    kernel = H.KERNELS[name]
    poly = H.log_ratio_polynomial(kernel, s)
    lims = H.point_limits(kernel, s, rng, points)
    shown = [str(x["limit"]) for x in lims]
    if poly is not None:
        exc = H.exceptional_set(poly)
        ev = {"log_ratio": str(poly.as_expr()), "exceptional_set": [f"{c} = 0" for c in exc],
              "point_limits": shown}
        if not exc:
            lim = sp.exp(poly.as_expr())
            return Result.not_applicable(
                f"{name}: log R(t) = {poly.as_expr()} does not depend on t, so "
                f"R(t) → {lim} (finite, non-zero) for every x, W, y₁ ≠ y₂",
                "symbolic: sympy log-ratio", limit=str(lim), **ev,
            ).because("hypothesis:hard-attention-limit", Strength.SYMBOLIC)
        if stated is not None:
            want = stated(s)
            ev["matches_stated_set"] = len(exc) == len(want) and all(
                any(H.same_up_to_constant(c, e) for e in want) for c in exc)
            if not ev["matches_stated_set"]:
                return Result.refuted(
                    f"{name}: the exceptional set is {' and '.join(ev['exceptional_set'])}, not "
                    f"the stated {stated_text}", "symbolic: sympy log-ratio polynomial", **ev,
                ).because("exceptional-set-differs", Strength.SYMBOLIC)
        where = (f"{stated_text} (the stated set; sympy: the coefficients of t^m, m ≥ 1, "
                 "equal it up to constants)" if stated is not None
                 else " and ".join(ev["exceptional_set"]))
        return _confirmed(Strength.SYMBOLIC,
            f"{name}: log R(t) is a polynomial in t of degree {poly.degree()}, so R → 0 or ∞ "
            f"unless {where}; exact limits at {points} random points: {', '.join(shown)}",
            "symbolic: sympy log-ratio polynomial", **ev,
        )
    ev = {"log_ratio": "not polynomial in t", "point_limits": lims}
    soft = [x for x in lims if not H.is_hard(x["limit"])]
    if soft:
        return Result.not_applicable(
            f"{name}: log R(t) is not polynomial; lim R = {soft[0]['limit']} (finite, non-zero) "
            f"at {len(soft)} of {points} random rational points (exact sympy limits)",
            "sampled: exact sympy limits at random rational points", **ev,
        ).because("hypothesis:hard-attention-limit", Strength.SAMPLED)
    return _confirmed(Strength.SAMPLED, f"{name}: lim R ∈ {{0, ∞}} at all {points} random points",
                            "sampled: exact sympy limits at random points", **ev
                            )


def sparse_connectivity(pattern: dict, layers: int, rng: np.random.Generator) -> Result:
    """Check 4: ``layers`` ≥ diameter of the attention graph, else the unreachable pair."""
    G = S.build(pattern, rng)
    h = S.hop_distances(G)
    Dm = h["matrix"]
    unreachable = Dm > layers
    ev = {"pattern": pattern, "edges": G.number_of_edges(), "diameter": h["diameter"],
          "radius": h["radius"], "layers": layers, "distance_used": "diameter (max over "
          "ordered pairs of the hop distance j → i)"}
    if unreachable.any():
        # the attention itself: every unreachable pair must be exactly independent
        C = S.dependency_gaps(G, layers, rng)
        if np.any(C[unreachable] != 0):
            return Result.error("masked attention changed a token the graph says is "
                                "unreachable")
        ev["unreachable_pairs"] = int(unreachable.sum())
        j, i = h["farthest"]
        dist = Dm[j, i]
        return Result.refuted(
            f"{pattern['kind']} n={pattern['n']}: {layers} layers < diameter {dist:g}: token "
            f"{i} cannot see token {j} (hop distance {dist:g}); in {layers} masked softmax "
            f"layers perturbing token {j} leaves token {i} exactly unchanged",
            "exhaustive: BFS over all ordered pairs (networkx)", unreachable_pair=(j, i),
            hop_distance=dist, change=float(C[j, i]), **ev,
        ).because("unreachable-pair", Strength.EXHAUSTIVE)
    return _confirmed(Strength.EXHAUSTIVE,
        f"{pattern['kind']} n={pattern['n']}: diameter {h['diameter']:g} ≤ {layers} layers "
        f"(radius {h['radius']:g}): every token reaches every token",
        "exhaustive: BFS over all ordered pairs (networkx)", **ev,
    )


def equivariance(design: str, group: str, n: int, d: int, kind: str, inputs: int,
                 rng: np.random.Generator, tol: float = 1e-6) -> Result:
    """Check 5: f(X[σ]) = f(X)[σ] for every σ of the group, to ``tol``."""
    elements = E.group_elements(group, n)
    f = E.make_design(design, n, d, kind, rng)
    X = torch.as_tensor(rng.standard_normal((inputs, n, d)))
    g = E.equivariance_gap(f, elements, X)
    ev = {**g, "design": design, "group": f"{group}({n})", "inputs": inputs, "tolerance": tol}
    if g["max_gap"] > tol:
        return Result.refuted(
            f"{design} ({kind}) is not {group}({n})-equivariant: permutation "
            f"{g['worst_permutation']} gives |f(X[σ]) − f(X)[σ]| = {g['max_gap']:.3g} > {tol:g}",
            f"sampled: {inputs} random inputs", **ev,
        ).because("equivariance-gap", Strength.SAMPLED)
    return _confirmed(Strength.SAMPLED,
        f"{design} ({kind}): all {g['elements']} elements of {group}({n}) commute with f to "
        f"{g['max_gap']:.1e} on {inputs} random inputs", f"sampled: {inputs} random inputs",
        **ev)
