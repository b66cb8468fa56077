"""scikit-learn kernels as symbolic relations: values agree with ``kernel(X, Y)``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    ExpSineSquared,
    Matern,
    RationalQuadratic,
    WhiteKernel,
)

from verify.relations import Box
from verify.relations.sklearn_kernels import (
    UnsupportedKernel,
    relation_from_callable,
    relation_from_kernel,
)

KERNELS = [
    (Matern(length_scale=0.5, nu=1.5), 1), (1.0 * RBF([0.5, 1.0]), 2),
    (ExpSineSquared() * RBF(), 1), (Matern(0.3, nu=0.5), 1), (Matern(0.3, nu=0.5), 2),
    (Matern([0.3, 0.8], nu=2.5), 2), (Matern(0.4, nu=np.inf), 1),
    (RationalQuadratic(0.7, 2.0), 2), (ExpSineSquared(0.7, 2.0) * RBF(), 2),
    (DotProduct(0.5) ** 2, 1), (ConstantKernel(2.0) + RBF(0.5), 3),
    (2.0 * Matern(0.5, nu=2.5) + 0.5 * RationalQuadratic(1.0, 0.5), 1),
]


@pytest.mark.parametrize("k,dim", KERNELS, ids=lambda v: repr(v))
def test_agrees_with_sklearn(k, dim):
    box = Box.cube(-1, 1, dim)
    rel = relation_from_kernel(k, box)
    rng = np.random.default_rng(0)
    X, Y = box.sample(60, rng), box.sample(50, rng)
    K = k(X, Y)
    np.testing.assert_allclose(rel.gram(X, Y), K, rtol=1e-12, atol=0)
    assert rel.is_symbolic


@pytest.mark.parametrize("k", [WhiteKernel(), 1.0 * RBF() + WhiteKernel(), Matern(nu=1.0),
                               RationalQuadratic(length_scale=[1.0, 2.0])])
def test_refused(k):
    with pytest.raises(UnsupportedKernel):
        relation_from_kernel(k, "[-1,1]^2")


def test_wrong_number_of_length_scales():
    with pytest.raises(UnsupportedKernel, match="length scales"):
        relation_from_kernel(RBF([0.5, 1.0, 2.0]), "[-1,1]^2")


def test_callable_relation_is_not_symbolic():
    rel = relation_from_callable(lambda x, y: torch.exp(-(x - y).abs().sum(-1)), "[-1,1]")
    assert not rel.is_symbolic
    X = np.linspace(-1, 1, 5)[:, None]
    np.testing.assert_allclose(rel.gram(X, X), np.exp(-np.abs(X - X.T)))
    rel_np = relation_from_callable(lambda x, y: np.cos(x.numpy()[:, 0] - y.numpy()[:, 0]),
                                    "[0,1]")
    np.testing.assert_allclose(rel_np.gram(X, X), np.cos(X - X.T))
