"""The arb-enclosed Eckart–Young–Mirsky bound agrees with the float one and is exact where the
answer is known."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from verify.relations import Box
from verify.relations import library as L
from verify.spectra import min_rank_for
from verify.spectra.rigorous_rank import rigorous_rank_bound


@pytest.mark.parametrize("rel, eps, m", [(L.gaussian(0.5, Box.cube(-1, 1, 1)), 1e-3, 2),
                                         (L.tanh_difference(5.0), 1e-2, 2)])
def test_enclosed_bound_matches_the_float_bound(rel, eps, m):
    b = min_rank_for(rel, eps, seed=0, optimise=False)
    proven = rigorous_rank_bound(rel, b.X, b.Y, m)
    assert proven is not None and proven > eps
    assert abs(proven - b.bound_for(m)) <= 1e-9 * b.bound_for(m) + 1e-12


def test_enclosed_bound_of_x_minus_y_is_one_half():
    # K = [[0, -1], [1, 0]] on {0, 1}: singular values 1, 1; rank 1 leaves 1/sqrt(4) = 1/2
    X = np.array([[0.0], [1.0]])
    proven = rigorous_rank_bound(L.difference(), X, X, 1)
    assert 0.5 - 1e-12 <= proven <= 0.5


def test_no_expression_no_proof():
    rel = L.gaussian(0.5, Box.cube(-1, 1, 1))
    stub = SimpleNamespace(expr=None, gram=rel.gram)  # e.g. a torch-only relation
    X = np.array([[0.0], [1.0]])
    assert rigorous_rank_bound(stub, X, X, 1) is None
