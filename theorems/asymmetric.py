"""Two MLPs approximate any continuous relation function: <φ(x), ψ(y)> (asymmetric case).

**Statement** (Altabaa & Lafferty, arXiv 2402.08856, cited as Theorem 3.1 in arXiv 2405.16727).
For compact X ⊂ R^dx, Y ⊂ R^dy and any continuous r: X×Y → R, for every ε > 0 there are MLPs
φ, ψ with |r(x,y) − <φ(x), ψ(y)>| < ε for almost every (x, y) (on a box, by continuity, everywhere
≤ ε). The class is identified with the reproducing kernels of reproducing kernel Banach spaces:
neither symmetry nor positive-definiteness is needed.

Checked per instance: continuity (structural proof from sympy, or an explicit jump), whether the
*symmetric* theorem would even apply (symmetry and positive-definiteness), the Schmidt expansion
r = Σ σ_i u_i(x) v_i(y) by quadrature on both boxes and its truncation rank r*(ε), the
Eckart–Young–Mirsky lower bound on the feature rank, and a trained witness (certified over the
whole domain in the standard profile).

For a discontinuous r such as 1[x < y] no continuous model gets below 1/2 near the diagonal
(our argument, in :mod:`verify.checks.continuity`).
"""

from __future__ import annotations

import numpy as np

from verify import CheckKind, Hypothesis, Result, Source, Theorem, register
from verify.checks import expansion
from verify.checks.approximation import Budget
from verify.checks.continuity import REASON as CONTINUITY
from verify.checks.continuity import check_continuity
from verify.checks.expansion import check_rank_lower_bound, check_truncation_rank
from verify.checks.positive_definite import check_positive_definite
from verify.checks.symmetry import check_symmetry
from verify.claims import REFUTING_REASONS, check_claim
from verify.core.status import Status
from verify.relations import Box
from verify.relations import library as L

THEOREM = Theorem(
    id="asymmetric",
    title="<φ(x), ψ(y)> with two MLPs approximates any continuous relation (RKBS kernels)",
    source=Source(
        paper="Altabaa & Lafferty, Approximation of relation functions and attention mechanisms",
        arxiv="2402.08856",
        theorem="Theorem 3.1 (as cited in arXiv 2405.16727)",
    ),
    statement="For compact X ⊂ R^dx, Y ⊂ R^dy and continuous r: X×Y → R, for every ε > 0 there "
    "are MLPs φ, ψ with |r(x,y) − <φ(x),ψ(y)>| < ε on X×Y; no symmetry or positive-"
    "definiteness is needed.",
    latex=r"\forall \varepsilon>0\ \exists\,\phi,\psi=\mathrm{MLP}:\ "
    r"\sup_{(x,y)\in X\times Y}|r(x,y)-\langle\phi(x),\psi(y)\rangle|<\varepsilon",
    hypotheses=(
        Hypothesis("compact", "X and Y are boxes"),
        Hypothesis("continuous", "r is continuous on X×Y"),
    ),
)


def _eps(instance, ctx) -> float:
    return ctx.profile.pick(instance.params.get("quick_eps", instance["eps"]), instance["eps"])


@THEOREM.check("continuity", CheckKind.SYMBOLIC,
               "r is jointly continuous on X×Y (structural sympy proof, or an explicit jump)",
               tests=("continuous",), reasons=(CONTINUITY,))
def continuity(instance, ctx):
    return check_continuity(instance["relation"], ctx)


@THEOREM.check("symmetric-theorem-hypotheses", CheckKind.NUMERIC,
               "would the symmetric theorem apply? (symmetry and positive-definiteness)",
               reasons=("hypothesis:symmetric", "hypothesis:positive-definite"))
def symmetric_hypotheses(instance, ctx):
    rel = instance["relation"]
    sym = check_symmetry(rel, ctx)
    if sym.status in (Status.INCONCLUSIVE, Status.ERROR):  # undecided is not a failed hypothesis
        return Result.inconclusive("symmetry undecided: " + sym.summary, sym.strength,
                                   symmetry=sym.evidence)
    if sym.status != Status.CONFIRMED:
        pd_note = {}
        if rel.x_box == rel.y_box:  # indefinite too? look at the symmetric part's eigenvalues
            X = rel.x_box.grid(6 if rel.dx == 1 else 4)
            K = rel.gram(X, X)
            lam = np.linalg.eigvalsh(0.5 * (K + K.T))
            pd_note = {"symmetric_part_lambda_min": float(lam[0]),
                       "symmetric_part_lambda_max": float(lam[-1]), "points": len(X)}
        indefinite = pd_note.get("symmetric_part_lambda_min", 0.0) < -1e-9
        return Result.not_applicable(
            "the symmetric theorem does not apply: " + sym.summary
            + ("; the symmetric part is indefinite too (λ_min = "
               f"{pd_note['symmetric_part_lambda_min']:.4g})" if indefinite else ""),
            sym.strength, symmetry=sym.evidence, **pd_note,
        ).because("hypothesis:symmetric", sym.strength_kind)
    pd = check_positive_definite(rel, ctx)
    if pd.status in (Status.INCONCLUSIVE, Status.ERROR):
        return Result.inconclusive("symmetric; positive-definiteness undecided: " + pd.summary,
                                   pd.strength, **pd.evidence)
    if pd.status != Status.CONFIRMED:
        return Result.not_applicable("symmetric, but " + pd.summary, pd.strength, **pd.evidence,
                                     ).because("hypothesis:positive-definite", pd.strength_kind)
    return Result.confirmed("r is symmetric and positive-definite: the symmetric theorem applies "
                            "as well", f"{sym.strength}; {pd.strength}",
                            ).because("symmetric-pd", pd.strength_kind)


@THEOREM.check("schmidt-rank", CheckKind.NUMERIC,
               "Schmidt expansion Σ σ_i u_i(x) v_i(y): smallest rank reaching ε on a dense grid",
               reasons=expansion.TRUNCATION_REASONS)
def schmidt_rank(instance, ctx):
    from verify.spectra import schmidt

    spectrum = schmidt(instance["relation"], k=40)
    return check_truncation_rank(instance["relation"], spectrum, spectrum.singular_values,
                                 _eps(instance, ctx), instance.params.get("claimed_rank"), "σ")


@THEOREM.check("rank-lower-bound", CheckKind.NUMERIC,
               "Eckart–Young–Mirsky: the smallest feature rank any model needs for ε",
               reasons=expansion.RANK_REASONS)
def rank_lower_bound(instance, ctx):
    return check_rank_lower_bound(instance["relation"], _eps(instance, ctx),
                                  instance.params.get("claimed_features"), ctx)


@THEOREM.check("witness", CheckKind.CERTIFICATE,
               "trained φ, ψ within the neuron budget reach sup error ≤ ε (claim pipeline: rank "
               "lower bound, training, certificate in standard/full)",
               reasons=REFUTING_REASONS)
def witness(instance, ctx):
    budget = instance["budget"]
    if ctx.profile.name == "quick":
        budget = Budget(**{**budget.__dict__, **instance.params.get("quick_budget", {})})
    claim = budget.claim(instance["relation"], _eps(instance, ctx), symmetric=False,
                         warm_start=instance.params.get("warm_start", "spectral"))
    return check_claim(claim, ctx, policy=budget.policy(ctx))


# ---------------------------------------------------------------------------------------------
THEOREM.instance(
    "difference",
    relation=L.difference(), eps=1e-8, claimed_rank=2, claimed_features=2,
    budget=Budget(width=4, depth=1, feature_dim=2, activation="relu", rounds=600),
    warm_start=None,
    expect={"continuity": "confirmed", "schmidt-rank": "confirmed",
            "rank-lower-bound": "confirmed", "witness": "confirmed"},
    description="x − y on [0,1]² has exact rank 2 = <(x, 1), (1, −y)>: reached to 1e-8 with "
    "m = 2 (ReLU branches, which are exactly affine on [0, 1])",
)
THEOREM.instance(
    "tanh-difference",
    relation=L.tanh_difference(5.0), eps=1e-3, quick_eps=1e-2,
    budget=Budget(width=32, depth=1, feature_dim=14, rounds=80, leaves=150_000),
    quick_budget={"rounds": 10},
    expect={"continuity": "confirmed", "symmetric-theorem-hypotheses": "not-applicable",
            "schmidt-rank": "inconclusive", "witness": "confirmed"},
    description="tanh(5(x − y)) on [0,1]²: ε = 1e-3 (the Schmidt rank is measured)",
)
THEOREM.instance(
    "attention-kernel",
    relation=L.attention_kernel(2, 0), eps=5e-2,
    budget=Budget(width=64, depth=1, feature_dim=16, rounds=60, leaves=30_000),
    quick_budget={"rounds": 8},
    expect={"continuity": "confirmed", "symmetric-theorem-hypotheses": "not-applicable",
            "schmidt-rank": "inconclusive", "witness": "confirmed"},
    profiles=("standard", "full"),
    description="the Transformer kernel exp(<W_q x, W_k y>/√2) on [−1,1]², fixed random W_q, "
    "W_k: asymmetric and indefinite (Wright & Gonzalez, arXiv 2106.01506), ε = 5e-2",
)
THEOREM.instance(
    "mixed-dimensions",
    relation=L.mixed_dims(), eps=1e-2,
    budget=Budget(width=32, depth=1, feature_dim=8, rounds=100, leaves=120_000),
    quick_budget={"rounds": 12},
    expect={"continuity": "confirmed", "schmidt-rank": "inconclusive", "witness": "confirmed"},
    description="a smooth relation with x ∈ [−1,1]², y ∈ [−1,1] (dx = 2, dy = 1; the Schmidt "
    "rank is measured)",
)
THEOREM.instance(
    "gaussian-symmetric-pd",
    relation=L.gaussian(0.5, Box.cube(-1, 1, 1)),
    expect={"symmetric-theorem-hypotheses": "confirmed"},
    description="a symmetric PD kernel: both theorems apply",
)

# -- negative controls -------------------------------------------------------------------------
THEOREM.control(
    "step",
    relation=L.step(),
    expect={"continuity": "not-applicable"},
    reasons={"continuity": CONTINUITY},
    description="claim: 1[x < y] on [0,1]² is continuous (so the theorem would give ε → 0)",
)
THEOREM.control(
    "attention-kernel-as-symmetric-pd",
    relation=L.attention_kernel(2, 0),
    expect={"symmetric-theorem-hypotheses": "not-applicable"},
    reasons={"symmetric-theorem-hypotheses": "hypothesis:symmetric"},
    description="claim: the attention kernel satisfies the symmetric theorem's hypotheses",
)
THEOREM.control(
    "sigmoid-as-symmetric-pd",
    relation=L.sigmoid_kernel(),
    expect={"symmetric-theorem-hypotheses": "not-applicable"},
    reasons={"symmetric-theorem-hypotheses": "hypothesis:positive-definite"},
    description="claim: tanh(xy) on [−1,1] (symmetric, indefinite) satisfies the symmetric "
    "theorem's hypotheses",
)
THEOREM.control(
    "tanh-rank-2",
    relation=L.tanh_difference(5.0), eps=1e-3, quick_eps=1e-2, claimed_rank=2,
    expect={"schmidt-rank": "refuted"}, reasons={"schmidt-rank": "truncation-error"},
    description="claim: the rank-2 Schmidt truncation of tanh(5(x−y)) reaches ε",
)
THEOREM.control(
    "difference-one-feature",
    relation=L.difference(), eps=1e-3, claimed_features=1,
    budget=Budget(width=4, depth=1, feature_dim=1, activation="relu", rounds=100),
    expect={"rank-lower-bound": "refuted", "witness": "refuted"},
    reasons={"rank-lower-bound": "rank-lower-bound", "witness": "rank-lower-bound"},
    description="claim: one feature (m = 1) suffices for x − y at 1e-3",
)

register(THEOREM)
