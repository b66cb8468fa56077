"""Where theorems are found: the entry-point group ``relverify.theorems``.

Every theorem, built-in or a user's, registers through that group; each entry point names a
module (importing it registers its theorems) or a :class:`Theorem` object. relverify's own
theorems are declared in its ``pyproject.toml`` like any plug-in's, so the engine never imports
the ``theorems`` folder by name.

One fallback for a stale install (a checkout whose installed metadata predates an entry point,
e.g. an editable install made before the built-in theorems moved to the group): when the
installed ``relverify`` distribution declares none, the declarations are read from the
``pyproject.toml`` of the source tree the running ``verify`` package comes from.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

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
    """Load every entry point of the group (once); see the module docstring."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    found = list(entry_points(group=ENTRY_POINT_GROUP))
    own = [ep for ep in found if ep.dist is not None and ep.dist.name == "relverify"]
    if not own:
        found += _source_tree_entry_points()
    seen: set[str] = set()
    for ep in found:
        if ep.value in seen:
            continue
        seen.add(ep.value)
        obj = _import_or_report(f"{ep.name} = {ep.value}", ep.load)
        if isinstance(obj, Theorem):
            register(obj)


def _source_tree_entry_points() -> list[EntryPoint]:
    """The group's declarations in the ``pyproject.toml`` beside this ``verify`` package."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if not pyproject.is_file():
        return []
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return []
    project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    if project.get("name") != "relverify":
        return []
    group = project.get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    return [EntryPoint(name, value, ENTRY_POINT_GROUP) for name, value in group.items()]


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
