"""Relation functions on boxes: :class:`Box`, :class:`Relation`, and a library of examples."""

from verify.relations.base import Relation, dot, sq_dist, vector_symbols
from verify.relations.domain import Box
from verify.relations.library import (
    PSD_KERNELS,
    RELATIONS,
    attention_kernel,
    brownian,
    difference,
    gaussian,
    get_relation,
    laplace,
    mixed_dims,
    neg_distance,
    polynomial,
    sigmoid_kernel,
    step,
    tanh_difference,
)

__all__ = [
    "PSD_KERNELS",
    "RELATIONS",
    "Box",
    "Relation",
    "attention_kernel",
    "brownian",
    "difference",
    "dot",
    "gaussian",
    "get_relation",
    "laplace",
    "mixed_dims",
    "neg_distance",
    "polynomial",
    "sigmoid_kernel",
    "sq_dist",
    "step",
    "tanh_difference",
    "vector_symbols",
]
