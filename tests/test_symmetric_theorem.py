"""The symmetric theorem's lower bounds hold against real training runs."""

from __future__ import annotations

import numpy as np
import torch

from verify.relations import library as L
from verify.spectra import negative_eigenvalue_witness
from verify.trainers import fit_inner_product


def test_trainer_never_beats_the_weyl_bound_on_neg_distance():
    """−|x−y| on [0,1]: λ_min = −1 at {0, 1}, so no <φ,φ> gets below 1/2 — training agrees."""
    torch.set_num_threads(1)
    rel = L.neg_distance()
    witness = negative_eigenvalue_witness(rel, seed=0)
    assert witness is not None and witness.certified_bound >= 0.49
    for seed in (0, 1):
        fit = fit_inner_product(rel, symmetric=True, width=16, depth=1, feature_dim=8,
                                eps=1e-3, time_budget_s=6, seed=seed, warm_start=None)
        assert fit.status != "reached"
        assert fit.sampled_sup.value >= witness.certified_bound
        # the model's own error on the witness points alone already exceeds the bound
        pts = torch.as_tensor(witness.points, dtype=torch.float64)
        with torch.no_grad():
            G = fit.model.gram(pts, pts).numpy()
        K = rel.gram(witness.points, witness.points)
        assert np.abs(K - G).max() >= witness.certified_bound
