"""sampled_sup: a lower bound on the true sup, close to it on smooth functions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from verify.certify.sampled import SampledSup, sampled_sup

torch.set_num_threads(1)
I1 = ((-1.0,), (1.0,))


def bump(x, y):
    # |e| has its max 2 at x = 0.37, y = -0.61 (off every equispaced grid used below)
    return 2.0 * torch.exp(-10 * (x[:, 0] - 0.37) ** 2 - 10 * (y[:, 0] + 0.61) ** 2)


def test_value_is_a_lower_bound_and_refinement_closes_the_gap():
    coarse = sampled_sup(bump, I1, I1, grid_k=5, n_refine=0, steps=0)
    fine = sampled_sup(bump, I1, I1, grid_k=5, n_refine=4, steps=200)
    assert isinstance(fine, SampledSup)
    assert coarse.value < 1.5  # the grid alone misses the peak
    assert coarse.value <= fine.value <= 2.0 + 1e-12
    assert fine.value > 2.0 - 1e-6
    np.testing.assert_allclose(fine.argmax_x, [0.37], atol=1e-3)
    np.testing.assert_allclose(fine.argmax_y, [-0.61], atol=1e-3)
    assert "LOWER bound" in fine.method and "not a certificate" in fine.method
    assert fine.n_points == 25 + 4 * 401


def test_value_is_attained_at_the_reported_point():
    e = lambda x, y: torch.sin(3 * x[:, 0]) * y[:, 0] - x[:, 1] ** 2  # noqa: E731
    box2 = ((-1.0, -1.0), (1.0, 1.0))
    s = sampled_sup(e, box2, I1, grid_k=9, n_refine=3, steps=50, seed=1)
    at = e(torch.as_tensor(s.argmax_x[None]), torch.as_tensor(s.argmax_y[None])).abs().item()
    assert s.value == pytest.approx(at, rel=1e-12)
    assert np.all(np.abs(s.argmax_x) <= 1) and np.all(np.abs(s.argmax_y) <= 1)
    assert s.value == pytest.approx(2.0, abs=1e-6)  # |sin(3x) y - x1²| max is 1 + 1 at x1 = ±1


def test_symmetric_triangle_matches_full_grid():
    e = lambda x, y: torch.cos(2 * x[:, 0] * y[:, 0]) - x[:, 0] - y[:, 0]  # noqa: E731
    full = sampled_sup(e, I1, I1, grid_k=41, n_refine=0, steps=0)
    tri = sampled_sup(e, I1, I1, grid_k=41, n_refine=0, steps=0, symmetric=True)
    assert tri.value == pytest.approx(full.value, rel=1e-14)
    assert tri.n_points == 41 * 42 // 2 and full.n_points == 41 * 41
    assert "symmetric" in tri.method
    with pytest.raises(ValueError, match="x_box == y_box"):
        sampled_sup(e, I1, ((0.0,), (1.0,)), symmetric=True)


def test_sobol_path_for_high_dimension():
    def e(x, y):
        return -((x - 0.2) ** 2).sum(1) - ((y + 0.1) ** 2).sum(1) + 3.0

    box3 = ((-1.0,) * 3, (1.0,) * 3)
    s = sampled_sup(e, box3, box3, grid_k=10, n_refine=4, steps=150, seed=0, max_grid=4096)
    assert "Sobol" in s.method
    assert 3.0 - 1e-4 < s.value <= 3.0 + 1e-12


def test_nan_is_never_hidden():
    e = lambda x, y: torch.where(x[:, 0] > 0.5, torch.nan, x[:, 0] * 0)  # noqa: E731
    s = sampled_sup(e, I1, I1, grid_k=11, n_refine=2, steps=5)
    assert s.value == float("inf")


def test_box_validation():
    with pytest.raises(ValueError, match="not a box"):
        sampled_sup(bump, ((1.0,), (0.0,)), I1)
