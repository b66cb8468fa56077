"""Where theorems are found: the built-in ``theorems`` package and the entry-point group.

Third-party packages add theorems through the entry-point group ``relverify.theorems``; each
entry point names a module (importing it registers its theorems) or a :class:`Theorem` object.
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points

from verify.core.theorem import Theorem

ENTRY_POINT_GROUP = "relverify.theorems"

_REGISTRY: dict[str, Theorem] = {}
_loaded = False


class UnknownTheoremError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0])


def register(theorem: Theorem) -> Theorem:
    """Register a theorem (call at the bottom of its module). Returns it, so it can decorate."""
    theorem.validate()
    existing = _REGISTRY.get(theorem.id)
    if existing is not None and existing is not theorem and existing.module != theorem.module:
        raise ValueError(
            f"two theorems share the id {theorem.id!r}: {existing.module} and {theorem.module}"
        )
    if not theorem.module:
        import inspect

        frame = inspect.stack()[1]
        theorem.module = frame.frame.f_globals.get("__name__", "")
    _REGISTRY[theorem.id] = theorem
    return theorem


def load_all() -> None:
    """Import every module of the ``theorems`` package, then every entry point (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import theorems

    for info in pkgutil.iter_modules(theorems.__path__, prefix="theorems."):
        if not info.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(info.name)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, Theorem):
            register(obj)


def all_theorems() -> list[Theorem]:
    load_all()
    return sorted(_REGISTRY.values(), key=lambda t: t.id)


def get_theorem(theorem_id: str) -> Theorem:
    load_all()
    try:
        return _REGISTRY[theorem_id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UnknownTheoremError(
            f"no theorem with id {theorem_id!r} (registered: {known})"
        ) from None
