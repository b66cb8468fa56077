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
from verify.orders.weak import WeakOrder, rank_utility_from_key

__all__ = [
    "Preorder",
    "WeakOrder",
    "PreorderError",
    "cantor_utility",
    "find_discontinuity",
    "indifference_classes",
    "lexicographic",
    "rank_utility",
    "rank_utility_from_key",
    "represents",
    "select",
    "utility_order",
]
