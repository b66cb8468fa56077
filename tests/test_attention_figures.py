"""Figure helpers for attention retrieval return PNGs built from checked data."""

from __future__ import annotations

import numpy as np
import torch

from verify.attention.features import nearest_key_features, planted
from verify.attention.figures import (
    accuracy_vs_margin_data,
    accuracy_vs_margin_png,
    alpha_vs_beta_data,
    alpha_vs_beta_png,
)
from verify.attention.utilities import nearest_key

torch.set_num_threads(1)
PNG = b"\x89PNG\r\n\x1a\n"


def test_alpha_vs_beta_measured_above_bound_and_png():
    data = alpha_vs_beta_data(planted(nearest_key_features(2), 0.01), nearest_key(2), eta=0.05,
                              betas=[1.0, 30.0, 300.0], num_draws=400)
    assert np.all(np.asarray(data["min_alpha"]) >= np.asarray(data["bound"]) - 1e-12)
    assert data["min_alpha"][-1] > data["min_alpha"][0]  # grows with beta
    png = alpha_vs_beta_png(data)
    assert png.startswith(PNG) and len(png) > 5000


def test_accuracy_vs_margin_png():
    data = accuracy_vs_margin_data(planted(nearest_key_features(2), 0.05, seed=2), nearest_key(2),
                                   beta=200.0, etas=(0.0, 0.2), num_draws=400)
    assert data["accuracy"][1] == 1.0  # eta = 0.2 > 2 delta: the lemma forces correct selection
    assert data["accuracy"][0] < 1.0   # no margin + planted noise: some draws select wrongly
    png = accuracy_vs_margin_png(data)
    assert png.startswith(PNG)
