"""The Transformer's kernel is a non-Mercer, infinite-dimensional binary kernel (Wright & Gonzalez).

**Source.** Wright & Gonzalez, *Transformers are Deep Infinite-Dimensional Non-Mercer Binary
Kernel Machines*, arXiv 2106.01506. Only the abstract is available: dot-product attention is
kernel learning on a pair of Banach spaces; its kernel κ(t, s) = exp(⟨W_q t, W_k s⟩/√d) is in
general asymmetric and indefinite and has an infinite-dimensional feature space; a representer
theorem holds for binary kernel machines; the Transformer can learn any binary non-Mercer RKBS
pair. Theorem numbers and exact hypotheses are not available: every precise statement below is
**ours**, and says which reading of the abstract it encodes.

1. *Non-Mercer* (reading: "in general asymmetric and indefinite"). With M = W_qᵀW_k, κ is
   symmetric iff d_t = d_s and M = Mᵀ (sympy, exact); κ is PSD when M is symmetric PSD
   (Schur); otherwise a point set with a negative eigenvalue of the Gram matrix (of its
   symmetric part if κ is asymmetric) bounds every ⟨φ,φ⟩ away from κ (Weyl).
2. *Infinite feature dimension* (reading: "infinite-dimensional feature space"). The explicit
   features φ_p(q) = q^p/(√(p!) d^{|p|/4}) (sympy, coefficient by coefficient), a certified
   truncation tail Z^{N+1}e^Z/(N+1)!, and the growth of the feature rank κ needs as ε falls
   (Schmidt rank and the rigorous Eckart–Young–Mirsky floor; :mod:`verify.kernels`).
3. *Representer theorem* (reading: "a representer theorem for binary kernel machines"), in
   finite-rank form for binary kernel ridge regression on the truncated feature pair
   (:mod:`verify.kernels.binary_krr`).
4. *Universal approximation* (reading: "can learn any binary non-Mercer RKBS pair", as the
   function class exp⟨φ(x), ψ(y)⟩): any continuous r > 0 on a box is within max r·(e^δ − 1) of
   exp⟨φ,ψ⟩ once ⟨φ,ψ⟩ is within δ of log r (Altabaa & Lafferty's Theorem 3.1 applied to log r,
   certified through the claim pipeline; :mod:`verify.kernels.exp_transfer`).
"""

from __future__ import annotations

import numpy as np
import sympy

from verify import (
    CheckKind,
    Hypothesis,
    Result,
    Source,
    Strength,
    Theorem,
    register,
)
from verify.checks.approximation import Budget, check_approximation
from verify.kernels import checks as KC
from verify.kernels import exp_features, graded
from verify.kernels.attention import AttentionKernel, definiteness, symmetry
from verify.relations import Box, Relation
from verify.relations import library as L
from verify.relations.base import vector_symbols

THEOREM = Theorem(
    id="transformer-kernel",
    title="The Transformer's kernel exp(<W_q t, W_k s>/√d) is a non-Mercer infinite-dimensional "
    "binary kernel",
    source=Source(paper="Wright & Gonzalez, Transformers are Deep Infinite-Dimensional "
                  "Non-Mercer Binary Kernel Machines", arxiv="2106.01506",
                  note="abstract only; every precise statement is ours (module docstring)"),
    statement="κ(t,s) = exp(tᵀMs/√d), M = W_qᵀW_k, is symmetric iff d_t = d_s and M = Mᵀ, PSD "
    "when M is symmetric PSD and indefinite otherwise in general; it has the infinite feature "
    "expansion Σ_p φ_p(W_q t) φ_p(W_k s); binary kernel ridge regression on a finite feature "
    "pair has a representer theorem; exp<φ(x),ψ(y)> approximates every continuous r > 0 (ours).",
    latex=r"\kappa(t,s)=e^{t^\top M s/\sqrt d}=\sum_{p}\phi_p(W_q t)\,\phi_p(W_k s),\quad "
    r"\phi_p(v)=\frac{v^p}{\sqrt{p!}\,d^{|p|/4}}",
    hypotheses=(
        Hypothesis("same-dimension", "d_t = d_s (κ(s, t) and a Gram matrix on one point set "
                   "exist)"),
        Hypothesis("ridge", "the ridge parameter λ is > 0"),
        Hypothesis("positive", "r > 0 on X×Y (exp is positive)"),
    ),
)

EPS_LADDER = [10.0**-k for k in range(1, 9)]


@THEOREM.check("symmetry", CheckKind.SYMBOLIC, "κ(t,s) ≡ κ(s,t) iff d_t = d_s and M = Mᵀ "
               "(sympy; exact vertex witness otherwise)", tests=("same-dimension",),
               reasons=("exact-asymmetric-pair", "symmetry-proof", "hypothesis:same-dimension"))
def symmetry_check(instance, ctx):
    k: AttentionKernel = instance["kernel"]
    claim = instance["claim_symmetric"]
    if k.dt != k.ds:
        return Result.not_applicable(
            f"d_t = {k.dt} ≠ d_s = {k.ds}: κ(s, t) is not defined, so κ is not symmetric in any "
            "sense", "exact (shapes)", d_t=k.dt, d_s=k.ds
        ).because("hypothesis:same-dimension", Strength.SYMBOLIC)
    box = Box.cube(-1, 1, k.dt)
    v = symmetry(k, box, box)
    ev = {"M": str(k.M.tolist()), "proof": v.proof, "witness": v.witness, "claim": claim}
    if v.symmetric == claim:
        what = "" if claim else "not "
        return graded(Result.confirmed(f"κ is {what}symmetric, as claimed: {v.proof}",
                                       "symbolic proof (sympy, exact rationals)", **ev),
                      Strength.SYMBOLIC)
    code = "symmetry-proof" if v.symmetric else "exact-asymmetric-pair"
    return Result.refuted(f"claimed {'' if claim else 'not '}symmetric, but {v.proof}",
                          "symbolic proof (sympy, exact rationals)", **ev
                          ).because(code, Strength.SYMBOLIC)


@THEOREM.check("definiteness", CheckKind.NUMERIC, "PSD proof for symmetric PSD M (Schur), else a "
               "negative-eigenvalue point set with Weyl's bound", tests=("same-dimension",),
               reasons=("psd-proof", "weyl-lower-bound", "hypothesis:same-dimension"))
def definiteness_check(instance, ctx):
    k: AttentionKernel = instance["kernel"]
    claim = instance["claim"]  # "psd" or "indefinite"
    if k.dt != k.ds:
        return Result.not_applicable(
            f"d_t = {k.dt} ≠ d_s = {k.ds}: no Gram matrix on one point set, PSD is undefined",
            "exact (shapes)").because("hypothesis:same-dimension", Strength.SYMBOLIC)
    v = definiteness(k, Box.cube(-1, 1, k.dt), ctx.seed)
    strength = Strength.SYMBOLIC if v.kind == "psd" else Strength.LOWER_BOUND
    text = ("symbolic proof (sympy + Schur product theorem)" if v.kind == "psd"
            else "rigorous lower bound (Weyl), floating-point margin included")
    if v.kind == "unknown":
        return Result.inconclusive(v.proof, "no witness found", **v.evidence)
    if v.kind == claim:
        return graded(Result.confirmed(f"κ is {claim}, as claimed: {v.proof}", text,
                                       **v.evidence), strength)
    code = "psd-proof" if v.kind == "psd" else "weyl-lower-bound"
    return Result.refuted(f"claimed {claim}, but {v.proof}", text, **v.evidence
                          ).because(code, strength)


@THEOREM.check("feature-expansion", CheckKind.SYMBOLIC, "exp(<q,k>/√d) = Σ_p φ_p(q)φ_p(k), "
               "coefficient by coefficient (sympy)", reasons=("coefficient-mismatch",))
def feature_expansion(instance, ctx):
    d_power = sympy.Rational(instance.params.get("d_power", "1/4"))
    out = exp_features.coefficient_check(instance["d"], instance["order"], d_power=d_power)
    ev = {**out, "normalisation": f"φ_p(v) = v^p / (√(p!) · d^(|p|·{d_power}))"}
    if out["mismatches"]:
        m = out["mismatches"][0]
        return Result.refuted(
            f"{len(out['mismatches'])} of {out['compared']} coefficients differ; first: degree "
            f"{m['degree']}, {m['monomial']}: series {m['series']} vs features {m['features']}",
            "symbolic proof (sympy, exact)", **ev
        ).because("coefficient-mismatch", Strength.SYMBOLIC)
    return graded(Result.confirmed(
        f"all {out['compared']} coefficients up to total degree {out['order']} (d = "
        f"{out['d']}) agree", "symbolic proof (sympy, exact) to the stated order", **ev
    ), Strength.SYMBOLIC)


@THEOREM.check("tail-bound", CheckKind.CERTIFICATE, "certified sup of the degree-N truncation "
               "error over the box; every sampled point meets it", reasons=("counterexample",))
def tail_bound(instance, ctx):
    k: AttentionKernel = instance["kernel"]
    N, eps = instance["N"], instance["eps"]
    box = Box.cube(-1, 1, k.dt)
    cert = exp_features.certified_tail(k.M, k.d, box, box, N)
    T, S = box.sample(ctx.profile.pick(2000, 20000), ctx.rng), box.sample(
        ctx.profile.pick(2000, 20000), np.random.default_rng(ctx.seed + 1))
    F, G = k.features(N)
    err = np.abs(k.relation(box, box)(T, S) - np.einsum("ij,ij->i", F(T), G(S)))
    i = int(np.argmax(err))
    ev = {"certificate": cert, "sampled_max": float(err[i]), "samples": len(err),
          "features": F(T[:1]).shape[1], "eps": eps, "t": T[i].tolist(), "s": S[i].tolist()}
    if np.any(err > cert["tail_upper"] * (1 + 1e-9) + 1e-13):
        return Result.error("a sampled error exceeds the certified tail: a bug", **ev)
    lower = exp_features.point_error_lower(k.M, k.d, T[i], S[i], N)
    if lower > eps:
        return Result.refuted(
            f"at t = {np.round(T[i], 4).tolist()}, s = {np.round(S[i], 4).tolist()} the degree-{N} "
            f"truncation errs by ≥ {lower:.4g} > ε = {eps:g} (arb)", "rigorous lower bound at one "
            "point (arb)", point_error_lower=lower, **ev).because("counterexample",
                                                                  Strength.LOWER_BOUND)
    if cert["tail_upper"] <= eps:
        return graded(Result.confirmed(
            f"{ev['features']} features (|p| ≤ {N}): sup error ≤ {cert['tail_upper']:.3e} ≤ ε = "
            f"{eps:g} over the box (sampled max {err[i]:.3e})", f"certified: {cert['method']}",
            **ev), Strength.CERTIFIED)
    return Result.inconclusive(f"certified tail {cert['tail_upper']:.3e} > ε, no sample above ε",
                               "not decided", **ev)


@THEOREM.check("rank-growth", CheckKind.NUMERIC, "Schmidt rank and EYM floor m_min(ε) over ε = "
               "1e-1 … 1e-8: growing (infinite) or saturating at an exact rank",
               reasons=("finite-exact-rank",))
def rank_growth_check(instance, ctx):
    return KC.rank_growth(instance["relation"], EPS_LADDER, ctx,
                          instance.params.get("finite_ranks", ()))


@THEOREM.check("representer", CheckKind.PROPERTY, "binary kernel ridge regression: full solve = "
               "kernel expansion over the data (1e-9), W* in the span of the data's features",
               tests=("ridge",), reasons=("counterexample", "hypothesis:ridge"))
def representer(instance, ctx):
    k: AttentionKernel = instance["kernel"]
    return KC.representer(k.features(instance["N"]), (k.dt, k.ds), instance.params.get("lam"),
                          instance.params.get("drop_x", 0), ctx)


def _pipeline(relation, eps: float, budget: Budget, ctx) -> Result:
    """The one call into the claim pipeline (issue #11): ⟨φ,ψ⟩ vs log r, asymmetric."""
    return check_approximation(relation, eps=eps, budget=budget, symmetric=False, ctx=ctx,
                               warm_start=None)


@THEOREM.check("exp-approximation", CheckKind.CERTIFICATE, "exp<φ,ψ> approximates r > 0: certified "
               "⟨φ,ψ⟩ ≈ log r (pipeline), transfer max r·(e^δ − 1) proven",
               tests=("positive",), reasons=("hypothesis:positive", "rank-lower-bound"))
def exp_approximation(instance, ctx):
    return KC.exp_form(instance["relation"], instance["eps"], instance["budget"], ctx, _pipeline)


# ---------------------------------------------------------------------------------------------
def _rel(name, expr_of, dx, dy):
    xs, ys = vector_symbols("x", dx), vector_symbols("y", dy)
    return Relation.from_sympy(name, expr_of(xs, ys), xs, ys, Box.cube(0, 1, dx),
                               Box.cube(0, 1, dy))


ASYM = AttentionKernel((("1/2", "1/4"), ("-1/4", "1/2")), (("1/2", "0"), ("1/4", "-1/2")))
PSD = AttentionKernel(((1, "1/2"), (0, 1)), ((2, 1), (0, 2)))  # W_k = 2 W_q: M = 2 W_qᵀW_q
INDEF = AttentionKernel(((1, 0), (0, 1)), ((1, 0), (0, -1)))  # M = diag(1, −1)
MIXED = AttentionKernel(((1, 0, "1/2"), (0, 1, 0)), ((1, 0), (0, 1)))  # d_t = 3, d_s = 2
EXP_A = _rel("1.5 + tanh(2(x − y))", lambda x, y: sympy.Float(1.5) + sympy.tanh(2 * (x[0] - y[0])),
             1, 1)
EXP_B = _rel("2 + sin(x0 + 2 x1 − y0)", lambda x, y: 2 + sympy.sin(x[0] + 2 * x[1] - y[0]), 2, 1)
BUDGET = Budget(width=8, depth=1, feature_dim=4, activation="tanh")

THEOREM.instance("asymmetric-head", kernel=ASYM, claim_symmetric=False, claim="indefinite", d=2,
                 order=6, N=6, eps=1e-5, relation=ASYM.relation(),
                 expect={"symmetry": "confirmed", "definiteness": "confirmed",
                         "feature-expansion": "confirmed", "tail-bound": "confirmed",
                         "rank-growth": "confirmed"},
                 description="a fixed asymmetric head (d = 2, rational weights): non-Mercer, "
                 "infinite rank, 28 features to degree 6 within 1e-5")
THEOREM.instance("wk-twice-wq", kernel=PSD, claim_symmetric=True, claim="psd",
                 expect={"symmetry": "confirmed", "definiteness": "confirmed"},
                 description="W_k = 2 W_q ≠ W_q: symmetric PSD M, κ is Mercer")
THEOREM.instance("symmetric-indefinite", kernel=INDEF, claim="indefinite",
                 expect={"definiteness": "confirmed"}, description="M = diag(1, −1)")
THEOREM.instance("mixed-dimensions", kernel=MIXED, claim_symmetric=False, claim="indefinite",
                 expect={"symmetry": "not-applicable", "definiteness": "not-applicable"},
                 description="d_t = 3 ≠ d_s = 2: symmetry and PSD are undefined")
THEOREM.instance("ridge-zero", kernel=ASYM, N=4, lam=0.0, expect={"representer": "not-applicable"},
                 description="λ = 0: the representer statement needs λ > 0")
THEOREM.instance("exp-asymmetric", relation=EXP_A, eps=5e-2, budget=BUDGET,
                 expect={"exp-approximation": "confirmed"},
                 description="r = 1.5 + tanh(2(x − y)) on [0,1]² (asymmetric), δ = 5e-2")
THEOREM.instance("exp-two-dim", relation=EXP_B, eps=5e-2, budget=BUDGET,
                 expect={"exp-approximation": "confirmed"}, profiles=("standard", "full"),
                 description="r = 2 + sin(x0 + 2x1 − y0), x ∈ [0,1]², y ∈ [0,1], δ = 5e-2 "
                 "(standard and full only: it would double the quick profile's time)")
THEOREM.instance("representer-features", kernel=ASYM, N=4, expect={"representer": "confirmed"},
                 description="15 + 15 truncated features (|p| ≤ 4), random data")

# -- negative controls -------------------------------------------------------------------------
THEOREM.control("symmetric-although-wq-ne-wk", kernel=ASYM, claim_symmetric=True,
                expect={"symmetry": "refuted"}, reasons={"symmetry": "exact-asymmetric-pair"},
                description="claim: κ is symmetric for this head with W_q ≠ W_k")
THEOREM.control("wk-twice-wq-indefinite", kernel=PSD, claim="indefinite",
                expect={"definiteness": "refuted"}, reasons={"definiteness": "psd-proof"},
                description="claim: W_k = 2 W_q gives an indefinite kernel (false: M is PSD)")
THEOREM.control("asymmetric-head-mercer", kernel=ASYM, claim="psd",
                expect={"definiteness": "refuted"}, reasons={"definiteness": "weyl-lower-bound"},
                description="claim: the asymmetric head's kernel is PSD")
THEOREM.control("features-d-to-the-half", d=2, order=6, d_power="1/2",
                expect={"feature-expansion": "refuted"},
                reasons={"feature-expansion": "coefficient-mismatch"},
                description="claim: φ_p(v) = v^p/(√(p!) d^{|p|/2}) (the wrong power of d)")
THEOREM.control("degree-one-within-1e-3", kernel=ASYM, N=1, eps=1e-3,
                expect={"tail-bound": "refuted"}, reasons={"tail-bound": "counterexample"},
                description="claim: the degree-1 truncation (3 features) is within 1e-3")
THEOREM.control("polynomial-infinite", relation=L.polynomial(1.0, 2, Box.cube(-1, 1, 2)),
                expect={"rank-growth": "refuted"}, reasons={"rank-growth": "finite-exact-rank"},
                description="claim: (1 + <q,k>)² (d = 2) is infinite-dimensional (rank 6)")
THEOREM.control("span-without-one-point", kernel=ASYM, N=4, drop_x=1,
                expect={"representer": "refuted"}, reasons={"representer": "counterexample"},
                description="claim: W* lies in the span of the features of all x-points but one")
THEOREM.control("exp-of-difference", relation=L.difference(), eps=5e-2, budget=BUDGET,
                expect={"exp-approximation": "not-applicable"},
                reasons={"exp-approximation": "hypothesis:positive"},
                description="claim: exp<φ,ψ> approximates x − y (which is ≤ 0 on x ≤ y)")
THEOREM.control("exp-one-feature", relation=EXP_A, eps=5e-2,
                budget=Budget(width=8, depth=1, feature_dim=1, activation="tanh"),
                expect={"exp-approximation": "refuted"},
                reasons={"exp-approximation": "rank-lower-bound"},
                description="claim: one feature (m = 1) reaches δ = 5e-2 on log r")

register(THEOREM)
