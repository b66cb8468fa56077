"""Inner products of MLPs approximate exactly the positive-definite kernels (symmetric case).

**Statement** (Altabaa & Lafferty, arXiv 2402.08856, symmetric case; the theorem number is not
available to us). Let X ⊂ R^d be compact and r: X×X → R continuous, symmetric and
positive-definite. For every ε > 0 there is an MLP φ: R^d → R^m with

.. math::

    \\sup_{x, y \\in X} |r(x, y) - \\langle \\phi(x), \\phi(y) \\rangle| < \\varepsilon .

Conversely every ⟨φ(x), φ(y)⟩ is a positive-definite kernel, so the class is exactly (the closure
of) the reproducing kernels of RKHSs. Proof route: Mercer r = Σ λ_i e_i(x) e_i(y), truncate,
approximate each √λ_i e_i by an MLP.

What is checked, per instance: continuity (structural sympy proof), symmetry (sympy),
positive-definiteness (hypothesis point sets
driven by ``target``; Weyl's bound |λ_min|/n when it fails), Bochner's criterion (sympy Fourier
transform) for shift-invariant kernels, the Mercer spectrum by Nyström quadrature against closed
forms, the truncation rank r*(ε), the Eckart–Young–Mirsky lower bound on the feature rank, the
converse (random MLP Gram matrices are PSD of rank ≤ min(m, w+1)), and a trained witness
(certified over the whole domain in the standard profile).
"""

from __future__ import annotations

import numpy as np
import sympy

from verify import CheckKind, Hypothesis, Result, Source, Strength, Theorem, register
from verify.checks import bochner as bochner_mod
from verify.checks import converse as converse_mod
from verify.checks import expansion, symmetry
from verify.checks import positive_definite as positive_definite_mod
from verify.checks.approximation import Budget
from verify.checks.bochner import check_bochner
from verify.checks.continuity import REASON as CONTINUITY
from verify.checks.continuity import check_continuity
from verify.checks.converse import check_converse
from verify.checks.expansion import check_rank_lower_bound, check_truncation_rank
from verify.checks.positive_definite import check_positive_definite
from verify.checks.symmetry import check_symmetry
from verify.claims import REFUTING_REASONS, check_claim
from verify.relations import Box, Relation
from verify.relations import library as L

THEOREM = Theorem(
    id="symmetric-pd",
    title="MLP inner products <φ(x),φ(y)> approximate exactly the positive-definite kernels",
    source=Source(
        paper="Altabaa & Lafferty, Approximation of relation functions and attention mechanisms",
        arxiv="2402.08856",
        theorem="symmetric case (theorem number not available to us)",
    ),
    statement="For compact X ⊂ R^d and continuous, symmetric, positive-definite r on X×X, for "
    "every ε > 0 an MLP φ exists with sup |r(x,y) − <φ(x),φ(y)>| < ε; conversely every "
    "<φ(x),φ(y)> is positive-definite.",
    latex=r"\forall \varepsilon>0\ \exists\,\phi=\mathrm{MLP}:\ "
    r"\sup_{x,y\in X}|r(x,y)-\langle\phi(x),\phi(y)\rangle|<\varepsilon",
    hypotheses=(
        Hypothesis("compact", "X is a box in R^d"),
        Hypothesis("continuous", "r is continuous on X×X"),
        Hypothesis("symmetric", "r(x, y) = r(y, x)"),
        Hypothesis("positive-definite", "every Gram matrix [r(x_i, x_j)] is PSD"),
    ),
)


def _eps(instance, ctx) -> float:
    return ctx.profile.pick(instance.params.get("quick_eps", instance["eps"]), instance["eps"])


@THEOREM.check("symmetric", CheckKind.SYMBOLIC, "r(x,y) − r(y,x) simplifies to 0 (sympy)",
               tests=("symmetric",), reasons=symmetry.REASONS)
def symmetric(instance, ctx):
    return check_symmetry(instance["relation"], ctx)


@THEOREM.check("continuity", CheckKind.SYMBOLIC,
               "r is jointly continuous on X×X (structural sympy proof, or an explicit jump)",
               tests=("continuous",), reasons=(CONTINUITY,))
def continuity(instance, ctx):
    return check_continuity(instance["relation"], ctx)


@THEOREM.check("positive-definite", CheckKind.PROPERTY,
               "Gram matrices on generated point sets are PSD (else Weyl's lower bound)",
               tests=("positive-definite",), reasons=positive_definite_mod.REASONS)
def positive_definite(instance, ctx):
    return check_positive_definite(instance["relation"], ctx)


@THEOREM.check("bochner", CheckKind.SYMBOLIC,
               "shift-invariant k(x−y) in 1-D: Fourier transform ≥ 0 (sympy)",
               tests=("positive-definite",), reasons=bochner_mod.REASONS)
def bochner(instance, ctx):
    return check_bochner(instance["relation"], ctx, instance.params.get("profile"))


@THEOREM.check("closed-form-spectrum", CheckKind.NUMERIC,
               "Nyström quadrature eigenvalues match a closed form (first 10, 1e-6 relative)",
               reasons=("closed-form-mismatch",))
def closed_form_spectrum(instance, ctx):
    from verify.spectra import extrapolated_eigenvalues, gauss_hermite, mercer

    rel, k = instance["relation"], 10
    closed = np.asarray(instance["closed_form"](k), dtype=float)
    if instance["measure"] == "uniform":
        # Gauss–Legendre converges like n^-2 on the kink of min(x,y): one Richardson step
        computed = extrapolated_eigenvalues(rel, 300, k)
        how = "Gauss–Legendre Nyström, n = 300 and 600, one Richardson step (ours)"
    else:
        s = instance["measure_std"]
        computed = mercer(rel, k=k, quadrature=gauss_hermite(s, 160),
                          check_symmetric=False).eigenvalues
        how = f"Gauss–Hermite Nyström under N(0, {s}²), 160 nodes"
    rel_err = np.abs(computed - closed) / np.abs(closed)
    worst = int(np.argmax(rel_err))
    evidence = {"computed": computed, "closed_form": closed, "relative_error": rel_err,
                "method": how, "formula": instance["formula"]}
    if rel_err[worst] > 1e-6:
        return Result.refuted(
            f"eigenvalue {worst + 1}: quadrature gives {computed[worst]:.10g}, the formula "
            f"{instance['formula']} gives {closed[worst]:.10g} (relative error "
            f"{rel_err[worst]:.2e} > 1e-6)", f"numeric: {how}", **evidence,
        ).because("closed-form-mismatch", Strength.NUMERIC)
    return Result.confirmed(
        f"first {k} eigenvalues match {instance['formula']} to {rel_err.max():.1e} relative",
        f"numeric: {how}", **evidence).because(None, Strength.NUMERIC).counted(k)


@THEOREM.check("truncation-rank", CheckKind.NUMERIC,
               "r*(ε): smallest rank whose truncated Mercer expansion reaches ε on a dense grid",
               reasons=expansion.TRUNCATION_REASONS)
def truncation_rank(instance, ctx):
    from verify.spectra import mercer

    spectrum = mercer(instance["relation"], k=40)
    return check_truncation_rank(instance["relation"], spectrum, spectrum.eigenvalues,
                                 _eps(instance, ctx), instance.params.get("claimed_rank"), "λ")


@THEOREM.check("rank-lower-bound", CheckKind.NUMERIC,
               "Eckart–Young–Mirsky: the smallest feature rank m any model needs for ε",
               reasons=expansion.RANK_REASONS)
def rank_lower_bound(instance, ctx):
    return check_rank_lower_bound(instance["relation"], _eps(instance, ctx),
                                  instance.params.get("claimed_features"), ctx)


@THEOREM.check("converse", CheckKind.PROPERTY,
               "every <φ(x),φ(y)> has symmetric PSD Gram matrices of rank ≤ min(m, w+1)",
               reasons=converse_mod.REASONS)
def converse(instance, ctx):
    return check_converse(instance["dim"], instance.params.get("symmetric_model", True), ctx,
                          trials=ctx.profile.pick(40, 300, 2000))


@THEOREM.check("witness", CheckKind.CERTIFICATE,
               "a trained <φ,φ> within the neuron budget reaches sup error ≤ ε (claim pipeline: "
               "Weyl and rank lower bounds, training, certificate in standard/full)",
               reasons=REFUTING_REASONS)
def witness(instance, ctx):
    budget = instance["budget"]
    if ctx.profile.name == "quick":
        budget = Budget(**{**budget.__dict__, **instance.params.get("quick_budget", {})})
    claim = budget.claim(instance["relation"], _eps(instance, ctx), symmetric=True)
    return check_claim(claim, ctx, policy=budget.policy(ctx))


# ---------------------------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------------------------
TAU = sympy.Symbol("tau", real=True)
ALL_STRUCTURAL = ("continuity", "symmetric", "positive-definite")

THEOREM.instance(
    "gaussian-1d",
    relation=L.gaussian(0.5, Box.cube(-1, 1, 1)), eps=1e-3, quick_eps=1e-2,
    budget=Budget(width=32, depth=1, feature_dim=8, rounds=600, leaves=1_000_000),
    quick_budget={"rounds": 150},
    profile=sympy.exp(-TAU**2 / (2 * sympy.Rational(1, 4))), tau=TAU,
    claimed_features=8,
    expect={**dict.fromkeys(ALL_STRUCTURAL, "confirmed"), "bochner": "confirmed",
            "truncation-rank": "inconclusive", "rank-lower-bound": "confirmed",
            "witness": "confirmed"},
    description="Gaussian exp(−(x−y)²/(2·0.5²)) on [−1,1]: ε = 1e-3 with ≤ 32 hidden neurons "
    "and 8 features (r*(ε) is measured, not claimed)",
)
THEOREM.instance(
    "gaussian-2d",
    relation=L.gaussian(0.5, Box.cube(-1, 1, 2)), eps=1e-2,
    budget=Budget(width=128, depth=1, feature_dim=30, rounds=1000, leaves=400_000),
    expect={**dict.fromkeys(ALL_STRUCTURAL, "confirmed"), "witness": "confirmed"},
    profiles=("standard", "full"),
    description="Gaussian ℓ = 0.5 on [−1,1]²: ε = 1e-2 with ≤ 128 hidden neurons",
)
THEOREM.instance(
    "laplace-1d",
    relation=L.laplace(1.0, Box.cube(-1, 1, 1)), eps=5e-2, quick_eps=1e-1,
    budget=Budget(width=32, depth=1, feature_dim=16, rounds=600, leaves=1_000_000),
    quick_budget={"rounds": 150},
    profile=sympy.exp(-sympy.Abs(TAU)), tau=TAU,
    expect={**dict.fromkeys(ALL_STRUCTURAL, "confirmed"), "bochner": "confirmed",
            "witness": "confirmed"},
    description="Laplace exp(−|x−y|) on [−1,1]: ε = 5e-2",
)
THEOREM.instance(
    "brownian",
    relation=L.brownian(), measure="uniform",
    closed_form=lambda k: ((np.arange(1, k + 1) - 0.5) * np.pi) ** -2.0,
    formula="λ_k = ((k − ½)π)^−2",
    expect={**dict.fromkeys(ALL_STRUCTURAL, "confirmed"), "closed-form-spectrum": "confirmed"},
    description="Brownian motion min(x,y) on [0,1] (Lebesgue measure): closed-form spectrum",
)
THEOREM.instance(
    "gaussian-gaussian-measure",
    relation=L.gaussian(0.5, Box.cube(-4, 4, 1)), measure="gaussian", measure_std=1.0,
    closed_form=lambda k: __import__("verify.spectra", fromlist=["_"]).gaussian_eigenvalues(
        0.5, 1.0, k),
    formula="GPML §4.3.1: λ_k = √(2a/A)·B^k",
    expect={"closed-form-spectrum": "confirmed"},
    description="Gaussian ℓ = 0.5 under μ = N(0, 1): Rasmussen & Williams' closed form",
)
THEOREM.instance(
    "polynomial",
    relation=L.polynomial(1.0, 2, Box.cube(-1, 1, 1)),
    expect=dict.fromkeys(ALL_STRUCTURAL, "confirmed"),
    description="(1 + xy)² on [−1,1]: positive-definite of rank 3",
)
THEOREM.instance(
    "mlp-inner-products", dim=2,
    expect={"converse": "confirmed"},
    description="random symmetric MLP models <φ(x),φ(y)> on random point sets in [−1,1]²",
)

# -- negative controls -------------------------------------------------------------------------
THEOREM.control(
    "neg-distance",
    relation=L.neg_distance(), eps=1e-3,
    budget=Budget(width=32, depth=1, feature_dim=8, rounds=200),
    expect={"positive-definite": "not-applicable", "witness": "refuted"},
    reasons={"positive-definite": "hypothesis:positive-definite", "witness": "weyl-lower-bound"},
    description="claims: −|x−y| on [0,1] is positive-definite, and <φ,φ> reaches 1e-3 on it "
    "(Weyl at {0, 1}: λ = −1, no PSD model below 1/2)",
)
THEOREM.control(
    "step",
    relation=L.step(),
    expect={"continuity": "not-applicable"}, reasons={"continuity": CONTINUITY},
    description="claim: 1[x < y] on [0,1]² is continuous (it jumps on the diagonal)",
)
THEOREM.control(
    "sigmoid",
    relation=L.sigmoid_kernel(),
    expect={"positive-definite": "not-applicable"},
    reasons={"positive-definite": "hypothesis:positive-definite"},
    description="claim: the sigmoid kernel tanh(xy) on [−1,1] is positive-definite",
)
THEOREM.control(
    "gaussian-two-features",
    relation=L.gaussian(0.5, Box.cube(-1, 1, 1)), eps=1e-3, claimed_features=2,
    expect={"rank-lower-bound": "refuted"}, reasons={"rank-lower-bound": "rank-lower-bound"},
    description="claim: the Gaussian on [−1,1] needs only 2 features for 1e-3",
)
THEOREM.control(
    "gaussian-rank-3-truncation",
    relation=L.gaussian(0.5, Box.cube(-1, 1, 1)), eps=1e-3, claimed_rank=3,
    expect={"truncation-rank": "refuted"}, reasons={"truncation-rank": "truncation-error"},
    description="claim: the rank-3 truncated Mercer expansion of the Gaussian reaches 1e-3",
)
_x, _y = sympy.Symbol("x0", real=True), sympy.Symbol("y0", real=True)
THEOREM.control(
    "non-symmetric",
    relation=Relation.from_sympy("x·exp(y)", _x * sympy.exp(_y), (_x,), (_y,),
                                 Box.cube(0, 1, 1), Box.cube(0, 1, 1)),
    expect={"symmetric": "refuted"}, reasons={"symmetric": "counterexample"},
    description="claim: r(x, y) = x·exp(y) on [0,1] is symmetric",
)
THEOREM.control(
    "difference-of-gaussians",
    relation=Relation.from_sympy("difference of Gaussians",
                                 sympy.exp(-(_x - _y)**2 / 4) - sympy.exp(-(_x - _y)**2) / 2,
                                 (_x,), (_y,), Box.cube(-1, 1, 1), Box.cube(-1, 1, 1)),
    expect={"bochner": "not-applicable"},
    reasons={"bochner": "hypothesis:positive-definite"},
    description="claim: k(τ) = exp(−τ²/4) − exp(−τ²)/2 is positive-definite",
)
THEOREM.control(
    "wrong-brownian-formula",
    relation=L.brownian(), measure="uniform",
    closed_form=lambda k: (np.arange(1, k + 1) * np.pi) ** -2.0, formula="λ_k = (kπ)^−2",
    expect={"closed-form-spectrum": "refuted"},
    reasons={"closed-form-spectrum": "closed-form-mismatch"},
    description="claim: the Brownian kernel's eigenvalues are (kπ)^−2",
)
THEOREM.control(
    "asymmetric-model", dim=2, symmetric_model=False,
    expect={"converse": "refuted"}, reasons={"converse": "counterexample"},
    description="claim: an asymmetric <φ(x),ψ(y)> also has PSD Gram matrices",
)

register(THEOREM)
