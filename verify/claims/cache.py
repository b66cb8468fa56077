"""The one in-process cache of the claim pipeline, keyed by the relation's expression and the claim.

A key is ``(stage, relation, claim, policy work)`` as JSON text plus, for warm starts given as
feature maps, the maps themselves (hashed by identity: two different lambdas never share an
entry). Stages: ``fit`` (a trained witness), ``weyl`` and ``rank`` (the lower bounds of a
relation). Entries live for the process: one ``relverify run`` reuses a fit when two checks ask
for the same claim with the same seed and budgets; nothing is kept on disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_CACHE: dict[tuple[str, str, tuple[Any, ...]], Any] = {}


def make_key(stage: str, parts: dict[str, Any], warm: Any = None) -> tuple:
    # feature maps are hashed by identity (and kept alive by the key, so no id is reused)
    maps: tuple[Any, ...] = ()
    if warm is not None and not isinstance(warm, str):
        maps = tuple(warm)
    return stage, json.dumps(parts, sort_keys=True, default=str), maps


def cached(key: tuple, compute: Callable[[], T]) -> T:
    """``compute()`` once per key (per process)."""
    if key not in _CACHE:
        _CACHE[key] = compute()
    return _CACHE[key]


def clear() -> None:
    """Forget every entry (tests; a long-lived process that changed code)."""
    _CACHE.clear()


def size() -> int:
    return len(_CACHE)
