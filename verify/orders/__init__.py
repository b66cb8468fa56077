"""Preorders, their hypotheses, and Debreu utilities."""

from verify.orders.continuity import find_discontinuity, lexicographic, utility_order
from verify.orders.preorder import Preorder, PreorderError
from verify.orders.utility import (
    cantor_utility,
    indifference_classes,
    rank_utility,
    represents,
    select,
)

__all__ = [
    "Preorder",
    "PreorderError",
    "cantor_utility",
    "find_discontinuity",
    "indifference_classes",
    "lexicographic",
    "rank_utility",
    "represents",
    "select",
    "utility_order",
]
