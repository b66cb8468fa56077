"""Universal approximation of transformer-type architectures via token distinguishability.

**Source**: Cheng, Lin, Shen & Li, *A unified framework for establishing the universal
approximation of transformer-type architectures*, arXiv 2506.23551 (NeurIPS 2025). Only the
abstract and secondary notes are available to us; every precise definition below is **ours**,
with the reading of the abstract it encodes.

**Statement (our reading).** Blocks X ↦ X + Attn_θ(X) followed by token-wise residual
feed-forward maps are dense in the continuous S_n-equivariant maps on compact sets

.. math::

    \\forall \\varepsilon > 0\\ \\exists f:\\
    \\sup_{X \\in K} \\max_i |f(X)_i - F(X)_i| < \\varepsilon

as soon as the attention family is *token-distinguishing*. Definitions (ours): X, X' ∈ R^{n×d}
(tokens as rows) are in one orbit if X' = X[σ]; a layer L distinguishes {X_1, …, X_N} if the
N·n output tokens are pairwise distinct (min distance > a stated tolerance); "generic θ" is
read as "θ drawn from a stated Gaussian, seeded". Readings encoded by the checks:

1. *token distinguishability is the requirement* → one residual layer, random θ, makes the 2n
   output tokens of two inputs in different orbits that share tokens pairwise distinct;
2. *analyticity reduces the check to pairs* → one draw separates every random N-set
   (N ≤ 50) for analytic attention; a non-analytic (ReLU-feature) layer fails on a whole
   parameter box (positive measure);
3. *kernel-based attention* → the hard-attention limit k(x,tWy₁)/k(x,tWy₂) → 0 or ∞ off an
   exceptional set (sympy);
4. *sparse attention* → the attention graph's diameter (our distance: max hop distance over
   ordered pairs) is at most the stated layer count;
5. *functional symmetries* → G-equivariant designs satisfy f(X[σ]) = f(X)[σ] for σ ∈ G;
6. *UAP* → trained small residual transformers (n = 3 scalar tokens) reach ε on an
   equivariant token-mixing target, sampled and, where it succeeds, certified; a token-wise
   model is refuted by a rigorous floor.

Engine code: :mod:`verify.transformers`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verify import CheckKind, Hypothesis, Source, Theorem, register
from verify.transformers import checks as C
from verify.transformers.distinguish import random_input_sets
from verify.transformers.model import Target
from verify.transformers.uap import check_tokenwise, check_witness

THEOREM = Theorem(
    id="transformer-uap",
    title="Token distinguishability gives universal approximation for transformer-type models",
    source=Source(
        paper="Cheng, Lin, Shen & Li, A unified framework for establishing the universal "
        "approximation of transformer-type architectures (NeurIPS 2025)",
        arxiv="2506.23551",
        theorem="abstract only; precise statements are ours",
    ),
    statement="Residual attention blocks X ↦ X + Attn(X) with token-wise residual feed-forward "
    "maps approximate every continuous S_n-equivariant map on a compact set to any ε, when "
    "generic attention layers distinguish tokens of inputs from different orbits (our reading).",
    latex=r"\forall\varepsilon>0\ \exists f:\ \sup_{X\in K}\max_i|f(X)_i-F(X)_i|<\varepsilon",
    hypotheses=(
        Hypothesis("token-distinguishing", "for generic θ one residual layer maps inputs in "
                   "different orbits (distinct tokens) to pairwise distinct output tokens"),
        Hypothesis("analytic", "Attn_θ(X) is analytic in θ (so pair separation gives "
                   "finite-set separation off a null set)"),
        Hypothesis("hard-attention-limit", "k(x, tWy₁)/k(x, tWy₂) → 0 or ∞ for y₁ ≠ y₂ and "
                   "generic x, W"),
        Hypothesis("connected-pattern", "the sparse attention graph connects every pair "
                   "within the layer count (count ≥ diameter)"),
        Hypothesis("G-equivariant", "the design commutes with every σ ∈ G"),
    ),
)


@THEOREM.check("distinguishability", CheckKind.NUMERIC,
               "one residual layer, ≥ 10⁴ random draws: all 2n output tokens pairwise distinct",
               tests=("token-distinguishing",), reasons=("coincident-tokens",))
def distinguishability(inst, ctx):
    X1, X2 = (np.asarray(inst[k], dtype=float) for k in ("X1", "X2"))
    return C.distinguishability(inst["kind"], X1, X2, ctx.profile.pick(10_000, 100_000),
                                inst.params.get("tol", 1e-12), ctx.rng,
                                inst.params.get("scale", 0.5), inst.params.get("zero_values",
                                                                               False))


@THEOREM.check("finite-set-separation", CheckKind.NUMERIC,
               "one draw separates random N-sets (N ≤ 50); or a parameter box where it cannot",
               tests=("analytic",), reasons=("positive-measure-failure", "coincident-tokens"))
def finite_set_separation(inst, ctx):
    rng = ctx.rng
    sets = random_input_sets(rng, ctx.profile.pick(3, 10), ctx.profile.pick(20, 50), 3,
                             inst["d"], inst.params.get("pool", 8), inst.params.get("positive",
                                                                                   False))
    return C.finite_set_separation(inst["kind"], sets, inst.params.get("tol", 1e-12), rng,
                                   inst.params.get("scale", 0.5), inst.params.get("box"),
                                   ctx.profile.pick(100, 1000))


@THEOREM.check("hard-attention-limit", CheckKind.SYMBOLIC,
               "sympy: k(x,tWy₁)/k(x,tWy₂) → 0 or ∞ off a stated exceptional set",
               tests=("hard-attention-limit",), reasons=("hypothesis:hard-attention-limit",
                                                         "exceptional-set-differs"))
def hard_attention_limit(inst, ctx):
    return C.hard_attention_limit(inst["kernel"], inst.params.get("d", 2), ctx.rng,
                                  ctx.profile.pick(2, 5), inst.params.get("stated"),
                                  inst.params.get("stated_text", ""))


@THEOREM.check("sparse-connectivity", CheckKind.NUMERIC,
               "networkx: the stated layer count ≥ the attention graph's diameter",
               tests=("connected-pattern",), reasons=("unreachable-pair",))
def sparse_connectivity(inst, ctx):
    return C.sparse_connectivity(inst["pattern"], inst["layers"], ctx.rng)


@THEOREM.check("equivariance", CheckKind.NUMERIC,
               "f(X[σ]) = f(X)[σ] to 1e-6 for every σ of the group (sympy.combinatorics)",
               tests=("G-equivariant",), reasons=("equivariance-gap",))
def equivariance(inst, ctx):
    return C.equivariance(inst["design"], inst["group"], inst["n"], 2, inst["kind"],
                          ctx.profile.pick(4, 32), ctx.rng)


@THEOREM.check("uap-witness", CheckKind.CERTIFICATE,
               "trained residual transformers reach ε on an equivariant target (table; "
               "certified where the certifier can); token-wise models have a rigorous floor",
               tests=("token-distinguishing",), reasons=("token-wise-lower-bound",))
def uap_witness(inst, ctx):
    eps = ctx.profile.pick(inst.params.get("quick_eps", inst["eps"]), inst["eps"])
    if inst.params.get("architecture") == "token-wise":
        return check_tokenwise(inst["target"], -1.0, 1.0, eps)
    configs = ctx.profile.pick(inst["quick_configs"], inst["configs"])
    return check_witness(inst["target"], inst["kind"], -1.0, 1.0, eps, configs,
                         ctx.profile.pick(300, 1500), ctx.seed, ctx.rng, ctx.profile.certify,
                         max_leaves=inst.params.get("max_leaves", 100_000),
                         restarts=ctx.profile.pick(1, 2))


# ---------------------------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------------------------
X1_1D, X2_1D = [[0.0], [0.5], [1.0]], [[0.0], [0.5], [1.5]]
X1_2D, X2_2D = [[0.1, 0.3], [1.0, -1.0], [0.5, 0.5]], [[0.1, 0.3], [1.0, -1.0], [-0.5, 1.0]]
for kind, d, (a, b) in (("softmax", 1, (X1_1D, X2_1D)), ("softmax", 2, (X1_2D, X2_2D)),
                        ("rbf", 1, (X1_1D, X2_1D)), ("rbf", 2, (X1_2D, X2_2D))):
    THEOREM.instance(f"{kind}-d{d}-shared-tokens", kind=kind, X1=a, X2=b,
                     expect={"distinguishability": "confirmed"},
                     description=f"{kind}, d = {d}, n = 3: two inputs sharing two tokens, "
                     "parameters N(0, 0.5²), tolerance 1e-12")
THEOREM.control("zero-values", kind="softmax", X1=X1_1D, X2=X2_1D, zero_values=True,
                expect={"distinguishability": "refuted"},
                reasons={"distinguishability": "coincident-tokens"},
                description="claims: with W_V = 0 the layer still distinguishes the inputs")
THEOREM.control("same-orbit", kind="softmax", X1=X1_2D, X2=[X1_2D[2], X1_2D[0], X1_2D[1]],
                expect={"distinguishability": "refuted"},
                reasons={"distinguishability": "coincident-tokens"},
                description="claims: X and a permutation of X are distinguished")

THEOREM.instance("softmax-sets", kind="softmax", d=1, expect={"finite-set-separation":
                                                                "confirmed"},
                 description="softmax, d = 1: one draw separates random sets of up to 50 inputs "
                 "drawn from 8 shared tokens")
THEOREM.instance("rbf-sets", kind="rbf", d=2, expect={"finite-set-separation": "confirmed"},
                 description="RBF (γ = 1), d = 2: one draw separates random sets of up to 50 "
                 "inputs drawn from 8 shared tokens")
THEOREM.control("relu-linear-box", kind="relu-linear", d=2, positive=True, box=(-2.0, -1.0),
                expect={"finite-set-separation": "refuted"},
                reasons={"finite-set-separation": "positive-measure-failure"},
                description="claims: ReLU-feature linear attention (not analytic) also "
                "separates for generic parameters; tokens in [0.5, ∞)², box W_K ∈ [−2, −1]^(2×2)")


def _softmax_set(s):
    return [(s.x.T * s.W * (s.y1 - s.y2))[0]]


def _rbf_set(s):
    n1, n2 = s.W * s.y1, s.W * s.y2
    return [(s.x.T * s.W * (s.y1 - s.y2))[0], (n1.T * n1)[0] - (n2.T * n2)[0]]


THEOREM.instance("softmax-kernel", kernel="softmax", stated=_softmax_set,
                 stated_text="xᵀW(y₁ − y₂) = 0",
                 expect={"hard-attention-limit": "confirmed"},
                 description="exp(xᵀy): exceptional set xᵀW(y₁ − y₂) = 0")
THEOREM.instance("rbf-kernel", kernel="rbf", stated=_rbf_set,
                 stated_text="‖Wy₁‖² = ‖Wy₂‖² and xᵀW(y₁ − y₂) = 0",
                 expect={"hard-attention-limit": "confirmed"},
                 description="exp(−‖x − y‖²/2): exceptional set ‖Wy₁‖ = ‖Wy₂‖, xᵀW(y₁−y₂) = 0")
THEOREM.control("softmax-wrong-set", kernel="softmax", stated=lambda s: _rbf_set(s)[1:],
                stated_text="‖Wy₁‖² = ‖Wy₂‖²", expect={"hard-attention-limit": "refuted"},
                reasons={"hard-attention-limit": "exceptional-set-differs"},
                description="claims: softmax's exceptional set is ‖Wy₁‖ = ‖Wy₂‖ (RBF's norm "
                "condition)")
THEOREM.control("constant-kernel", kernel="constant",
                expect={"hard-attention-limit": "not-applicable"},
                reasons={"hard-attention-limit": "hypothesis:hard-attention-limit"},
                description="claims: the constant kernel has a hard-attention limit")
THEOREM.control("bounded-sigmoid-kernel", kernel="1+sigmoid",
                expect={"hard-attention-limit": "not-applicable"},
                reasons={"hard-attention-limit": "hypothesis:hard-attention-limit"},
                description="claims: 1 + sigmoid(xᵀy) has a hard-attention limit")

for pid, pattern, layers, what in (
        ("window-10-2", {"kind": "window", "n": 10, "w": 2}, 5, "diameter 5"),
        ("window-9-1", {"kind": "window", "n": 9, "w": 1}, 8, "diameter 8"),
        ("window-global", {"kind": "window+global", "n": 16, "w": 1, "globals": 1}, 2,
         "one global token: diameter ≤ 2"),
        ("window-random", {"kind": "window+random", "n": 24, "w": 1, "random": 2}, 23,
         "random edges only shorten the window's diameter 23")):
    THEOREM.instance(pid, pattern=pattern, layers=layers,
                     expect={"sparse-connectivity": "confirmed"},
                     description=f"{pattern['kind']} on {pattern['n']} tokens, {layers} layers "
                     f"({what})")
THEOREM.control("window-too-few-layers", pattern={"kind": "window", "n": 10, "w": 2}, layers=3,
                expect={"sparse-connectivity": "refuted"},
                reasons={"sparse-connectivity": "unreachable-pair"},
                description="claims: ⌈n/(2w)⌉ = 3 layers of a w = 2 window connect all 10 tokens")

for eid, design, group, n, kind in (("plain-symmetric", "plain", "symmetric", 4, "softmax"),
                                    ("cyclic-bias", "cyclic", "cyclic", 6, "rbf"),
                                    ("dihedral-bias", "dihedral", "dihedral", 6, "softmax")):
    THEOREM.instance(eid, design=design, group=group, n=n, kind=kind,
                     expect={"equivariance": "confirmed"},
                     description=f"{design} {kind} attention is {group}({n})-equivariant")
THEOREM.control("positional-encoding", design="cyclic+pe", group="cyclic", n=6, kind="softmax",
                expect={"equivariance": "refuted"}, reasons={"equivariance": "equivariance-gap"},
                description="claims: the cyclic design stays C_6-equivariant with an absolute "
                "positional encoding")
THEOREM.control("cyclic-not-dihedral", design="cyclic", group="dihedral", n=6, kind="softmax",
                expect={"equivariance": "refuted"}, reasons={"equivariance": "equivariance-gap"},
                description="claims: the cyclic relative-bias design is D_6-equivariant")

_x = sp.symbols("x0:3", real=True)
MEAN_PRODUCT = Target("x_i·mean(X)", _x[0] * (_x[0] + _x[1] + _x[2]) / 3)
for kind in ("softmax", "rbf"):
    THEOREM.instance(f"uap-{kind}", kind=kind, target=MEAN_PRODUCT, eps=0.15, quick_eps=0.5,
                     configs=[(2, 1), (4, 1), (8, 2)], quick_configs=[(4, 1)],
                     expect={"uap-witness": "confirmed"},
                     description=f"{kind} residual transformers, n = 3 scalar tokens on "
                     "[−1, 1]³, target x_i·mean(X): ε = 0.15 (quick 0.5)")
THEOREM.control("uap-token-wise", architecture="token-wise", target=MEAN_PRODUCT, eps=0.15,
                expect={"uap-witness": "refuted"},
                reasons={"uap-witness": "token-wise-lower-bound"},
                description="claims: a token-wise model (no attention) reaches ε = 0.15 on "
                "x_i·mean(X)")

register(THEOREM)
