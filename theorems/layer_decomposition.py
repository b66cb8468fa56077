"""Layer matrix decomposition: truncated SVD of every layer, the encoding theorem, Hopfield.

**Source** (Ng, Luo & Qiu, *Neural Network Layer Matrix Decomposition reveals Latent Manifold
Encoding and Memory Capacity*, arXiv 2309.05968; abstract only, theorem numbers unknown to us):
(a) an "encoding theorem", the converse of universal approximation: the weights of every stably
converged network with continuous activations encode a continuous function that approximates
the training data within a finite margin over a bounded domain; (b) the Eckart–Young truncated
SVD of every layer (LMD) exposes the latent manifold each layer encodes; (c) LMD relates to
modern Hopfield networks and Transformer attention.

The paper's definitions are not available; **ours** (see docs/math.md, ``layer-decomposition``):

* *stably converged*: K further full-batch gradient steps keep ``‖∇L‖ ≤ g_tol`` and the relative
  weight change ``≤ w_tol`` (reading (a) as a statement about a trained, stationary network);
* *margin*: ``|f(x) − y_i| ≤ ε_train + L‖x − x_i‖`` for all x in the box, L a certified
  Lipschitz bound; ``sup_x min_i |f(x) − y_i| ≤ ε_train + L·h``, h the covering radius of the
  data (reading (a)'s "finite margin over a bounded domain" as a sup over the box);
* *latent manifold* (reading (b)): for inputs in a subspace S, the top right singular subspace
  of W₁ under gradient descent with weight decay; a *rank-r layer* is a width-r bottleneck.

.. math::

    \\|W - W_r\\|_2 = \\sigma_{r+1},\\quad
    \\|\\sigma(Wx+b) - \\sigma(W_r x+b)\\| \\le L_\\sigma \\sigma_{r+1}\\|x\\|,\\quad
    \\xi \\leftarrow X\\,\\mathrm{softmax}(\\beta X^\\top\\xi)

Checks: ``eckart-young`` (per layer, every r), ``layer-perturbation`` (per layer and composed
into ⟨φ,ψ⟩), ``compressed-witness`` (truncate a certified witness, re-certify, smallest rank),
``encoding-margin`` (certified L and margin), ``latent-subspace`` (exact (1 − ηλ) factor,
principal angles), ``hopfield-attention`` (= SDPA, retrieval bound from the margin lemma).
"""

from __future__ import annotations

from verify import CheckKind, Hypothesis, Source, Theorem, register
from verify.decomposition.checks_dynamics import check_encoding, check_hopfield, check_subspace
from verify.decomposition.checks_linear import check_compressed, check_eym, check_perturbation
from verify.decomposition.networks import resolve

THEOREM = Theorem(
    id="layer-decomposition",
    title="Layer matrix decomposition: truncated SVD per layer, encoding margin, Hopfield = "
    "attention",
    source=Source(
        paper="Ng, Luo & Qiu, Neural Network Layer Matrix Decomposition reveals Latent Manifold "
        "Encoding and Memory Capacity",
        arxiv="2309.05968",
        theorem="encoding theorem; LMD; Hopfield relation (numbers not available to us)",
        note="Abstract only: 'stably converged', 'margin' and the latent-subspace reading are "
        "our operational definitions (docs/math.md, layer-decomposition).",
    ),
    statement="Every stably converged network with continuous activations on data in a box "
    "encodes a continuous function within a finite margin of the data over the whole box; the "
    "truncated SVD of each layer is the best rank-r layer, perturbs each layer by at most "
    "L·σ_(r+1)·||x||, and compresses a certified witness to a width-r bottleneck; the modern "
    "Hopfield update is one attention read-out.",
    latex=r"|f(x)-y_i|\le\varepsilon_{train}+L\|x-x_i\|\ \forall x\in B;\ "
    r"\|W-W_r\|_2=\sigma_{r+1}",
    hypotheses=(
        Hypothesis("lipschitz-activation", "the activation is L_σ-Lipschitz (sympy)"),
        Hypothesis("continuous-activation", "the activation is continuous"),
        Hypothesis("stably-converged", "the trained network is stably converged (ours)"),
        Hypothesis("bounded-domain", "the data and the margin live in a box"),
        Hypothesis("certified-witness", "the uncompressed witness is certified at ε"),
        Hypothesis("inputs-in-subspace", "every training input lies in the subspace S"),
        Hypothesis("pattern-separation", "the query's gap to the other patterns is ≥ Δ"),
    ),
)


def _iters(ctx) -> int:
    return ctx.profile.pick(150, 300)


@THEOREM.check("eckart-young", CheckKind.NUMERIC,
               "EYM per layer: truncation errors σ_(r+1), Σσ_i²; no rank-r matrix beats W_r",
               reasons=("counterexample", "better-rank-r-matrix"))
def eckart_young(instance, ctx):
    models = [resolve(s, seed=ctx.seed, iters=_iters(ctx)) for s in instance["nets"]]
    return check_eym(models, instance.params.get("shift", 0), ctx)


@THEOREM.check("layer-perturbation", CheckKind.PROPERTY,
               "||σ(Wx+b) − σ(W_r x+b)|| ≤ L σ_(r+1) ||x|| per layer, composed into Δ<φ,ψ>",
               tests=("lipschitz-activation",),
               reasons=("counterexample", "hypothesis:lipschitz-activation"))
def layer_perturbation(instance, ctx):
    models = [resolve(s, seed=ctx.seed, iters=_iters(ctx)) for s in instance["nets"]]
    return check_perturbation(models, instance.params.get("activation"),
                              instance.params.get("claimed_lipschitz"),
                              instance.params.get("shift", 0), ctx.profile.pick(256, 2048), ctx)


@THEOREM.check("compressed-witness", CheckKind.CERTIFICATE,
               "every layer of a certified witness truncated to rank r, re-certified: smallest r",
               tests=("certified-witness",), reasons=("counterexample",))
def compressed_witness(instance, ctx):
    from verify.core.registry import get_theorem

    theorem, inst_id = instance["witness"].split("/")
    source = next(i for i in get_theorem(theorem).instances if i.id == inst_id)
    model = resolve(f"witness:{instance['witness']}", seed=ctx.seed, iters=0)
    return check_compressed(instance["witness"], source["relation"], source["eps"],
                            model.psi is None, model, instance.params.get("claimed_rank"),
                            ctx.profile.pick(20_000, 200_000), ctx)


@THEOREM.check("encoding-margin", CheckKind.CERTIFICATE,
               "stably converged ⇒ certified L and margin ε_train + L·h over the whole box",
               tests=("continuous-activation", "stably-converged", "bounded-domain"),
               reasons=("hypothesis:continuous-activation", "difference-quotient",
                        "margin-violated"))
def encoding_margin(instance, ctx):
    p = {"width": 16, "depth": 1, "activation": "tanh", "iters": _iters(ctx),
         "stability_steps": ctx.profile.pick(20, 50), "lr": 1e-2, "grad_tol": 1e-3,
         "change_tol": 1e-6, **instance.params}
    p["cells_per_dim"] = ctx.profile.pick(*p.pop("cells", (128, 512)))
    return check_encoding(p, ctx)


@THEOREM.check("latent-subspace", CheckKind.NUMERIC,
               "GD + weight decay: W₁P⊥ scaled by exactly (1 − ηλ) per step; angles to S → 0",
               tests=("inputs-in-subspace",),
               reasons=("factor-mismatch", "subspace-not-converged",
                        "hypothesis:inputs-in-subspace"))
def latent_subspace(instance, ctx):
    p = {"d": 6, "k": 2, "width": 16, "n": 64, "aligned": False, "optimizer": "gd", "lr": 0.2,
         "weight_decay": 0.1, "angle_tol": 1e-3, **instance.params}
    p["steps"] = ctx.profile.pick(600, 1200)
    return check_subspace(p, ctx)


@THEOREM.check("hopfield-attention", CheckKind.PROPERTY,
               "Hopfield update = SDPA (1e-6); β ≥ log((n−1)/ε₁)/Δ retrieves within 2ε₁ max||x||",
               tests=("pattern-separation",),
               reasons=("counterexample", "sdpa-mismatch", "lemma-violated",
                        "hypothesis:pattern-separation"))
def hopfield_attention(instance, ctx):
    p = {"delta": 0.5, "eps1": 1e-3, "beta_factor": 1.0, "radius": 1.0, "noise": 0.1,
         "max_n": 32, "max_d": 16, **instance.params}
    return check_hopfield(p, ctx)


# ---------------------------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------------------------
G1, G2, ATT = "symmetric-pd/gaussian-1d", "symmetric-pd/gaussian-2d", "asymmetric/attention-kernel"
STD = ("standard", "full")

THEOREM.instance(
    "eym-quick", nets=(f"witness:{G1}", "trained:sine-1d"), expect={"eckart-young": "confirmed"},
    description="EYM on the 1-D Gaussian witness and a network trained here")
THEOREM.instance(
    "eym-witnesses", nets=(f"witness:{G2}", f"witness:{ATT}", "witness:symmetric-pd/laplace-1d",
                           "trained:bump-2d"),
    expect={"eckart-young": "confirmed"}, profiles=STD,
    description="EYM on the 2-D Gaussian, attention-kernel, Laplace witnesses and a 2-D net")
THEOREM.instance(
    "perturbation-quick", nets=(f"witness:{G1}", "trained:sine-1d"),
    expect={"layer-perturbation": "confirmed"},
    description="layer perturbation bound (tanh, L = 1) on the 1-D witness and a trained net")
THEOREM.instance(
    "perturbation-attention", nets=(f"witness:{ATT}",), expect={"layer-perturbation": "confirmed"},
    profiles=STD, description="layer perturbation bound on the asymmetric attention witness")
for _w, _prof in ((G1, None), (G2, STD), (ATT, STD)):
    THEOREM.instance(
        f"compressed-{_w.split('/')[1]}", witness=_w, profiles=_prof,
        expect={"compressed-witness": "confirmed"},
        description=f"smallest per-layer rank at which the {_w} witness stays certified at ε")
THEOREM.instance(
    "encoding-sine-1d", target="sine", d=1, n_per_dim=16, expect={"encoding-margin": "confirmed"},
    description="sin(πx) on 16 points of [−1,1]: certified L and margin")
THEOREM.instance(
    "encoding-bump-2d", target="bump", d=2, n_per_dim=6, cells=(16, 48), iters=600, profiles=STD,
    expect={"encoding-margin": "confirmed"},
    description="exp(−2||x||²) on a 6×6 grid of [−1,1]²: certified L and margin")
THEOREM.instance(
    "subspace-gd-rotated", expect={"latent-subspace": "confirmed"},
    description="GD + weight decay, data in a random 2-D subspace of R^6")
THEOREM.instance(
    "subspace-gd-aligned", aligned=True, expect={"latent-subspace": "confirmed"}, profiles=STD,
    description="GD + weight decay, data in the span of the first two axes of R^6")
THEOREM.instance(
    "hopfield", expect={"hopfield-attention": "confirmed"},
    description="Δ = 0.5, ε₁ = 1e-3: Hopfield = SDPA and one-step retrieval")

# -- negative controls -------------------------------------------------------------------------
THEOREM.control(
    "eym-sigma-r", nets=(f"witness:{G1}",), shift=-1, expect={"eckart-young": "refuted"},
    reasons={"eckart-young": "counterexample"},
    description="claim: the rank-r truncation error is σ_r (off by one)")
THEOREM.control(
    "perturbation-signed-sqrt", nets=("trained:sine-1d",), activation="signed-sqrt",
    claimed_lipschitz=1.0, expect={"layer-perturbation": "refuted"},
    reasons={"layer-perturbation": "counterexample"},
    description="claim: the non-Lipschitz sign(z)√|z| obeys the bound with L = 1")
THEOREM.control(
    "perturbation-sigma-r-plus-2", nets=(f"witness:{G1}",), shift=1,
    expect={"layer-perturbation": "refuted"}, reasons={"layer-perturbation": "counterexample"},
    description="claim: the per-layer bound holds with σ_(r+2)")
THEOREM.control(
    "compressed-rank-7", witness=G1, claimed_rank=7, expect={"compressed-witness": "refuted"},
    reasons={"compressed-witness": "counterexample"},
    description="claim: the 1-D Gaussian witness compressed to rank 7 is still within ε = 1e-3")
THEOREM.control(
    "encoding-step", target="sine", d=1, n_per_dim=16, activation="step",
    expect={"encoding-margin": "not-applicable"},
    reasons={"encoding-margin": "hypothesis:continuous-activation"},
    description="claim: a step-activation network has a finite Lipschitz margin")
THEOREM.control(
    "encoding-lipschitz-1", target="sine", d=1, n_per_dim=16, claimed_lipschitz=1.0,
    expect={"encoding-margin": "refuted"}, reasons={"encoding-margin": "difference-quotient"},
    description="claim: the network fitted to sin(πx) is 1-Lipschitz on [−1,1]")
THEOREM.control(
    "subspace-adam-rotated", optimizer="adam", lr=0.01, expect={"latent-subspace": "refuted"},
    reasons={"latent-subspace": "factor-mismatch"},
    description="claim: Adam also scales W₁P⊥ by exactly 1 − ηλ (S rotated)")
THEOREM.control(
    "subspace-no-decay", weight_decay=0.0, expect={"latent-subspace": "refuted"},
    reasons={"latent-subspace": "subspace-not-converged"},
    description="claim: without weight decay the top singular subspace of W₁ converges to S")
THEOREM.control(
    "hopfield-beta-small", beta_factor=0.05, expect={"hopfield-attention": "refuted"},
    reasons={"hopfield-attention": "counterexample"},
    description="claim: β = 0.05·log((n−1)/ε₁)/Δ retrieves within 2ε₁ max||x||")

register(THEOREM)
