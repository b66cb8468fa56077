"""The converse direction: every <φ(x), φ(y)> is a positive-definite kernel of rank ≤ m.

For random MLPs φ and random point sets, the Gram matrix [<φ(x_i), φ(x_j)>] must be symmetric
PSD with rank ≤ min(m, w + 1) (docs/math.md, "Rank of an inner-product model").
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import torch

from verify.core.context import Context
from verify.core.result import Result
from verify.core.status import Strength

#: an explicit model and point set whose Gram matrix is not symmetric PSD of rank ≤ min(m, w+1)
REASONS = ("counterexample",)


def check_converse(dim: int, symmetric_model: bool, ctx: Context, trials: int) -> Result:
    from verify.models import InnerProductModel

    rng = ctx.rng
    worst = None
    for t in range(trials):
        width = int(rng.integers(1, 9))
        m = int(rng.integers(1, 7))
        model = InnerProductModel.build(
            dx=dim, width=width, depth=int(rng.integers(1, 3)), feature_dim=m,
            activation=str(rng.choice(["tanh", "relu", "softplus", "sigmoid"])),
            symmetric=symmetric_model, seed=int(rng.integers(2**31)),
        )
        n = int(rng.integers(2, 40))
        X = torch.as_tensor(rng.uniform(-1, 1, size=(n, dim)))
        with torch.no_grad():
            G = model.gram(X, X).numpy()
        scale = max(1.0, float(np.abs(G).max()))
        asym = float(np.abs(G - G.T).max())
        lam = scipy.linalg.eigvalsh(0.5 * (G + G.T))
        tol = 1e-10 * n * scale
        rank = int((np.abs(lam) > tol).sum())
        bound = model.rank_bound
        if asym > tol or lam[0] < -tol or rank > bound:
            worst = {"trial": t, "n": n, "width": width, "feature_dim": m, "asymmetry": asym,
                     "lambda_min": float(lam[0]), "rank": rank, "rank_bound": bound,
                     "model": model.config_dict()}
            break
    if worst is not None:
        return Result.refuted(
            f"a Gram matrix of the model is not symmetric PSD of rank ≤ {worst['rank_bound']}: "
            f"λ_min = {worst['lambda_min']:.3g}, asymmetry {worst['asymmetry']:.3g}, rank "
            f"{worst['rank']}",
            "explicit model and point set", **worst,
        ).because(REASONS[0], Strength.COUNTEREXAMPLE)
    return Result.confirmed(
        f"{trials} random MLP inner products on random point sets: every Gram matrix symmetric "
        "PSD with rank ≤ min(m, w+1)",
        f"{trials} seeded random models and point sets (a property test, not a proof; the proof "
        "is G = FFᵀ)",
        trials=trials,
    ).because(None, Strength.SAMPLED).counted(trials)
