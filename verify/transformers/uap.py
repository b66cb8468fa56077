"""Check 6: UAP in practice (train, sampled sup, certificate) and the token-wise floor (ours).

Token-wise floor: a token-wise model g (the same map g: R → R on every token, no attention)
has g(X₁)_0 = g(a) = g(X₂)_0 whenever X₁ and X₂ share the token a at position 0, so

.. math::

    \\sup_X \\max_i |g(X)_i - t(X)_i| \\;\\ge\\; \\tfrac12\\,|t(X_1)_0 - t(X_2)_0| ,

for *every* g. :func:`tokenwise_floor` searches a grid for the pair with the largest target
gap at a shared token and evaluates it in exact rational arithmetic (sympy).
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp
import torch

from verify.core.result import Result
from verify.core.status import Strength
from verify.transformers.enclose import ErrorBound, certify_box
from verify.transformers.model import Target, TokenTransformer, sampled_sup, train


def tokenwise_floor(target: Target, lo: float, hi: float, grid: int) -> dict:
    """max over a grid of (a, rest₁, rest₂) of |t(a, rest₁)_0 − t(a, rest₂)_0| / 2, exact."""
    axis = np.linspace(lo, hi, grid)
    rest = np.array(list(itertools.product(axis, repeat=target.n - 1)))
    best = (-1.0, None)
    for a in axis:
        X = np.column_stack([np.full(len(rest), a), rest])
        t0 = target.numpy(X)[:, 0]
        gap = t0.max() - t0.min()
        if gap > best[0]:
            best = (gap, (X[int(np.argmax(t0))], X[int(np.argmin(t0))]))
    X1, X2 = best[1]
    q = lambda X: [sp.Rational(float(v)) for v in X]  # noqa: E731 (floats are exact dyadics)
    exact = sp.Abs(target.exact(q(X1), 0) - target.exact(q(X2), 0)) / 2
    return {"X1": X1.tolist(), "X2": X2.tolist(), "shared_token": float(X1[0]),
            "floor_exact": str(exact), "floor": float(exact)}


def check_tokenwise(target: Target, lo: float, hi: float, eps: float) -> Result:
    f = tokenwise_floor(target, lo, hi, grid=21)
    if f["floor"] > eps:
        return Result.refuted(
            f"no token-wise model reaches ε = {eps:g}: X₁ = {np.round(f['X1'], 3).tolist()} and "
            f"X₂ = {np.round(f['X2'], 3).tolist()} share token {f['shared_token']:g} but their "
            f"targets there differ by 2·{f['floor']:.4g}, so every token-wise model has sup "
            f"error ≥ {f['floor_exact']} > ε",
            "rigorous: exact rational evaluation at two inputs", **f,
        ).because("token-wise-lower-bound", Strength.LOWER_BOUND)
    return Result.inconclusive(f"token-wise floor {f['floor']:.4g} ≤ ε = {eps:g}: no refutation",
                               "none", **f)


def check_witness(target: Target, kind: str, lo: float, hi: float, eps: float,
                  configs: list[tuple[int, int]], steps: int, seed: int,
                  rng: np.random.Generator, certify: bool, max_leaves: int,
                  restarts: int = 1) -> Result:
    """Train each (width, depth) in ``configs`` (best of ``restarts`` seeds); table of
    sampled sup errors ("falls": the
    last, largest model's error is below the first's); certify the models that reach ε,
    smallest first, until one certificate holds (when ``certify``)."""
    if not target.symmetric_in_rest():
        return Result.error("the target is not symmetric in the other tokens (not equivariant)")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    table, models = [], []
    try:
        for width, depth in configs:
            runs = []
            for r in range(restarts):  # seeds seed, seed + 1, …: keep the best sampled sup
                model = TokenTransformer(width, depth, kind)
                hist = train(model, target, lo, hi, steps, seed + r)
                s = sampled_sup(model, target, lo, hi, grid=17, rng=rng, random_points=4000)
                if not np.isfinite(s["sup"]):
                    return Result.error(f"training diverged (width {width}, depth {depth})")
                runs.append((s["sup"], r, model, hist, s))
            sup, r, model, hist, s = min(runs, key=lambda t: t[0])
            table.append({"width": width, "depth": depth, "steps": steps, "restart": r,
                          "restarts_sup": [t[0] for t in runs], "final_loss": hist[-1],
                          "sampled_sup": sup, "worst": s["point"]})
            models.append(model)
    finally:
        torch.set_num_threads(threads)
    sups = [r["sampled_sup"] for r in table]
    ev = {"table": table, "eps": eps, "box": [lo, hi], "attention": kind,
          "target": f"t(X)_i = {target.expr} (token 0)", "falls": bool(sups[-1] < sups[0]),
          "trainer": "verify.transformers.model.train (fixed iterations, seeded)"}
    rows = ", ".join(f"{r['width']}×{r['depth']}: {r['sampled_sup']:.4g}" for r in table)
    rows += f" (falls: {'yes' if ev['falls'] else 'no'})"
    reached = [k for k, s in enumerate(sups) if s <= eps]
    if not reached:
        return Result.inconclusive(f"{kind}: no model reached ε = {eps:g} (sampled sup, "
                                   f"width×depth: {rows})", "none", **ev)
    what = lambda k: f"{table[k]['width']}×{table[k]['depth']}"  # noqa: E731
    if not certify:
        ev["certificate"] = "not attempted in this profile"
        r = Result.confirmed(f"{kind}: sampled sup error {rows} (width×depth); {what(reached[0])} "
                             f"reaches ε = {eps:g}; no certificate in this profile",
                             "sampled: 17³ grid + 4000 random points", **ev)
        r.strength_kind = Strength.SAMPLED
        return r
    attempts = []
    for k in reached:  # smallest first; stop at the first certificate
        cert = certify_box(ErrorBound(models[k].weights(), target), lo, hi, target.n, eps,
                           max_leaves)
        attempts.append({"model": what(k), **cert.__dict__})
        if cert.status == "certified":
            ev["certificates"] = attempts
            r = Result.confirmed(
                f"{kind}: sampled sup {rows}; {what(k)} certified: sup |f − t| ≤ "
                f"{cert.upper:.4g} ≤ ε = {eps:g} over the whole box [{lo:g}, {hi:g}]^{target.n} "
                f"({cert.leaves} leaves)", f"certified: {cert.method}", **ev)
            r.strength_kind = Strength.CERTIFIED
            return r
    ev["certificates"] = attempts
    why = "; ".join(f"{a['model']}: {a['live']} boxes live when the {max_leaves}-leaf budget ran "
                    f"out, worst {np.round(a['worst_box'], 4).tolist()} with mean-value bound "
                    f"{a['worst_upper']:.3g} > ε" for a in attempts)
    r = Result.confirmed(
        f"{kind}: sampled sup {rows}; reaches ε = {eps:g} on samples, but no certificate: {why}; "
        "so this stays sampled", "sampled: 17³ grid + 4000 random points (certificate undecided)",
        **ev)
    r.strength_kind = Strength.SAMPLED
    return r
