"""Unit tests of verify/decomposition: the mathematics behind each check, on small inputs."""

from __future__ import annotations

import numpy as np
import pytest

from verify.decomposition import encoding as E
from verify.decomposition.activations import facts
from verify.decomposition.compress import RankRow, RankScan, markdown_table
from verify.decomposition.hopfield import (
    hopfield_update,
    retrieval_case,
    sdpa_update,
    separated_patterns,
)
from verify.decomposition.perturbation import inner_product_change, layer_violation
from verify.decomposition.svd import beats_truncation, eym_rows, rank_r_candidate, truncate


def _net(rng, dims=(2, 12, 9, 4)):
    return [(rng.standard_normal((b, a)), rng.standard_normal(b) * 0.3)
            for a, b in zip(dims[:-1], dims[1:])]


def test_eym_identities_and_off_by_one():
    W = np.random.default_rng(0).standard_normal((7, 5))
    assert all(row.ok for row in eym_rows("W", W))
    assert not all(row.ok for row in eym_rows("W", W, shift=-1))
    assert np.linalg.matrix_rank(truncate(W, 2)) == 2


@pytest.mark.parametrize("kind", ["perturbed", "random", "optimised"])
def test_no_candidate_beats_the_truncation(kind):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((6, 8))
    for r in (1, 3, 5):
        B = rank_r_candidate(W, r, rng, kind, 1e-3)
        assert beats_truncation(W, B, r) is None
        assert beats_truncation(W, truncate(W, r), r, shift=-1) is not None  # "σ_r" is beaten


def test_activation_facts():
    assert facts("tanh").lipschitz == 1.0 and facts("sigmoid").lipschitz == 0.25
    assert facts("softplus").lipschitz == 1.0 and facts("relu").lipschitz == 1.0
    assert facts("signed-sqrt").lipschitz == np.inf and facts("signed-sqrt").continuous
    assert not facts("step").continuous and facts("step").jump_at_zero == 1.0


def test_layer_bound_holds_and_sigma_r_plus_2_fails():
    rng = np.random.default_rng(2)
    W, b = rng.standard_normal((6, 4)), rng.standard_normal(6)
    for _ in range(200):
        x = rng.standard_normal(4) * 10 ** rng.uniform(-3, 1)
        for r in range(5):
            assert layer_violation(W, b, x, r, "tanh", 1.0) is None
    x = np.linalg.svd(W)[2][1] * 1e-6  # along v_2, tanh is nearly linear
    assert layer_violation(W, np.zeros(6), x, 1, "tanh", 1.0, shift=1) is not None


def test_composed_inner_product_bound():
    rng = np.random.default_rng(3)
    phi, psi = _net(rng), _net(rng)
    X, Y = rng.uniform(-1, 1, (300, 2)), rng.uniform(-1, 1, (300, 2))
    for r in range(0, 5):
        c = inner_product_change(phi, psi, "tanh", 1.0, r, X, Y)
        assert not c["violated"]
    assert inner_product_change(phi, psi, "tanh", 1.0, 12, X, Y)["max_exact"] < 1e-9


def test_certified_lipschitz_bounds_the_gradient():
    rng = np.random.default_rng(4)
    layers = _net(rng, (2, 10, 1))
    lo, hi = -np.ones(2), np.ones(2)
    L = E.certified_lipschitz(layers, "tanh", lo, hi, 24)["L"]
    pair = E.steepest_pair(layers, "tanh", lo, hi, rng)
    assert pair["quotient_lower"] <= L <= E.spectral_product(layers, "tanh")


def test_covering_radius_of_a_grid():
    x = np.linspace(-1, 1, 5)[:, None]  # spacing 0.5: covering radius 0.25
    h = E.covering_radius(x, np.array([-1.0]), np.array([1.0]), 400)
    assert 0.25 <= h <= 0.25 + 2 / 400 + 1e-12


def test_hopfield_is_sdpa_and_retrieves():
    rng = np.random.default_rng(5)
    X, xi = separated_patterns(12, 6, 0.5, 1.0, 0.1, rng)
    assert np.max(np.abs(hopfield_update(X, xi, 7.0) - sdpa_update(X, xi, 7.0))) < 1e-12
    c = retrieval_case(X, xi, 0.5, 1e-3, 1.0)
    assert c["eta"] >= 0.5 and c["error"] <= c["lemma_bound"] <= c["claimed"] * (1 + 1e-9)


def test_table_marks_undecided_rows():
    scan = RankScan("w", 1e-2, 3, [RankRow(1, "refuted", 0.5, 0.6, 10),
                                    RankRow(2, "undecided", 1e-3, 2e-2, 99)])
    table = markdown_table([scan])
    assert "undecided (r = 2)" in table and "best upper 0.02" in table
    only_refuted = RankScan("w", 1e-2, 3, [RankRow(1, "refuted", 0.5, 0.6, 10)])
    assert "none certified (r = 1 refuted)" in markdown_table([only_refuted])
    assert scan.smallest_certified is None and scan.undecided_below == [2]
