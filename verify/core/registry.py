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
            _import_or_report(info.name, lambda name=info.name: importlib.import_module(name))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = _import_or_report(f"{ep.name} = {ep.value}", ep.load)
        if isinstance(obj, Theorem):
            register(obj)


def _import_or_report(name: str, load):
    """Import a theorem module; if it breaks, register a stand-in whose one check is an error.

    A broken plug-in then shows up in every report and fails the run, instead of hiding or
    taking the whole command down with a traceback.
    """
    try:
        return load()
    except Exception as exc:  # noqa: BLE001 - reported as an error result, never swallowed
        import traceback

        from verify.core.result import Result
        from verify.core.status import CheckKind
        from verify.core.theorem import Source

        message = f"{type(exc).__name__}: {exc}"
        tb = traceback.format_exc(limit=6)
        stand_in = Theorem(
            id=f"import-error:{name.split(' = ')[0]}",
            title=f"theorem module {name} failed to import",
            source=Source(paper="(none: import failed)"),
            statement=message,
            module=name,
        )
        stand_in.check("import", CheckKind.NUMERIC)(
            lambda instance, ctx: Result.error(f"import of {name} failed: {message}", traceback=tb)
        )
        stand_in.instance("import", expect={"import": "confirmed"})
        _REGISTRY[stand_in.id] = stand_in
        return None


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
