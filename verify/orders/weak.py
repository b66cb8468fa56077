r"""Weak orders given by a key: :math:`a \preceq b \iff k(a) \le k(b)`, never materialised.

A complete preorder on a finite set is exactly a *weak order*: a total order of indifference
classes. Given by a key function (or stated ranks) into a totally ordered set, it needs no
:math:`n \times n` matrix or edge list: sorting the keys once, :math:`O(n \log n)` time and
:math:`O(n)` memory, gives the classes in order and the rank utility

.. math::

    u(x) = \bigl|\{\, k(y) : k(y) < k(x) \,\}\bigr| \quad (\text{the rank of } x\text{'s class}),

which represents :math:`\preceq` (:math:`x \preceq y \iff u(x) \le u(y)`): the standard finite
case of Debreu's theorem (see the docs/math.md, "Debreu"). Checking that a claimed utility
represents the order is also one pass over the sorted elements (ours): ``u`` must be constant
on each class and strictly increase from one class to the next.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class WeakOrder:
    """Elements with keys; ``a ≼ b`` iff ``key(a) <= key(b)``. Keys must be totally ordered
    (numbers, strings, tuples of them); NaN is refused."""

    elements: tuple[Hashable, ...]
    keys: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.elements) != len(self.keys):
            raise ValueError(f"WeakOrder: {len(self.elements)} elements but {len(self.keys)} "
                             f"keys")
        if len(set(self.elements)) != len(self.elements):
            raise ValueError("WeakOrder: an element appears more than once")
        for e, k in zip(self.elements, self.keys):
            if isinstance(k, float) and math.isnan(k):
                raise ValueError(f"WeakOrder: the key of {e!r} is NaN (not ordered)")

    @classmethod
    def from_key(cls, elements: Iterable[Hashable], key: Callable[[Any], Any]) -> WeakOrder:
        """``a ≼ b`` iff ``key(a) <= key(b)``; ``key`` is called once per element."""
        elements = tuple(elements)
        return cls(elements, tuple(key(e) for e in elements))

    @classmethod
    def from_ranks(cls, ranks: Mapping[Hashable, Any]) -> WeakOrder:
        """From stated ranks (element -> rank; equal ranks are indifferent)."""
        return cls(tuple(ranks), tuple(ranks.values()))

    @property
    def size(self) -> int:
        return len(self.elements)

    def leq(self, a: Hashable, b: Hashable) -> bool:
        """``a ≼ b`` (a dictionary look-up and one key comparison)."""
        return bool(self.keys[self._index[a]] <= self.keys[self._index[b]])

    @cached_property
    def _index(self) -> dict[Hashable, int]:
        return {e: i for i, e in enumerate(self.elements)}

    def sorted_indices(self) -> list[int]:
        try:
            return sorted(range(self.size), key=self.keys.__getitem__)
        except TypeError as exc:
            raise ValueError(f"WeakOrder: keys are not mutually comparable ({exc})") from None

    def classes(self) -> list[list[Hashable]]:
        """The indifference classes, least preferred first."""
        out: list[list[Hashable]] = []
        last: Any = None
        for n, i in enumerate(self.sorted_indices()):
            if n == 0 or not self.keys[i] <= last:  # a strictly larger key: a new class
                out.append([])
            out[-1].append(self.elements[i])
            last = self.keys[i]
        return out

    def rank_utility(self) -> dict[Hashable, int]:
        """Utility = rank of the element's class (0 = least preferred), O(n log n)."""
        return {e: rank for rank, cls in enumerate(self.classes()) for e in cls}

    def represents(self, utility: Mapping[Hashable, Any]) -> dict[str, Any] | None:
        """None if ``x ≼ y ⇔ u(x) ≤ u(y)`` for every pair, else a pair where it fails
        (one pass over the sorted elements, see the module notes)."""
        order = self.sorted_indices()
        for prev, cur in zip(order, order[1:]):
            x, y = self.elements[prev], self.elements[cur]
            tied = self.keys[cur] <= self.keys[prev]
            ux, uy = utility[x], utility[y]
            if (tied and ux != uy) or (not tied and not ux < uy):
                if tied:  # x ~ y: the one of larger utility is ≼ the other, u says no
                    a, b = (x, y) if ux > uy else (y, x)
                else:  # x ≺ y strictly but u(y) <= u(x): the pair (y, x) fails
                    a, b = y, x
                return {"x": a, "y": b, "x_leq_y": self.leq(a, b), "u_x": str(utility[a]),
                        "u_y": str(utility[b])}
        return None

    def to_preorder(self):  # -> Preorder; materialises n^2 booleans, for small orders only
        import numpy as np

        from verify.orders.preorder import Preorder

        rank = self.rank_utility()
        r = np.array([rank[e] for e in self.elements])
        return Preorder(list(self.elements), r[:, None] <= r[None, :])


def rank_utility_from_key(elements: Iterable[Hashable], key: Callable[[Any], Any],
                          ) -> dict[Hashable, int]:
    """Rank utility of the weak order ``a ≼ b iff key(a) <= key(b)`` without its edges."""
    return WeakOrder.from_key(elements, key).rank_utility()


__all__ = ["WeakOrder", "rank_utility_from_key"]
