"""A check's result: one status plus its evidence as data."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verify.core.status import Status, Strength


@dataclass
class Figure:
    """A figure a check produced: PNG bytes plus a caption."""

    name: str
    png: bytes
    caption: str = ""


@dataclass
class Result:
    """What one check showed on one instance.

    ``summary`` is one line for humans; ``evidence`` is the data behind it (numbers, the
    counterexample, the witness); ``strength`` says what kind of argument it is, e.g.
    ``"symbolic proof"``, ``"sampled max on 10^4 points (lower bound on the sup)"`` or
    ``"certified bound over the whole domain"``: reports print it next to the status so a
    sampled number is never read as a proof.
    """

    status: Status
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    strength: str = ""
    figures: list[Figure] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)  # name -> file path (e.g. witness)
    #: structured strength (see :class:`verify.core.status.Strength`); ``strength`` is its text
    strength_kind: Strength | None = None
    #: machine-readable reason of the outcome, e.g. ``"weyl-lower-bound"``,
    #: ``"hypothesis:symmetric"``, ``"counterexample"``, ``"trainer-missed"``; a negative
    #: control declares the reason its check must give (``Theorem.control(reasons=...)``)
    reason: str | None = None
    #: how many things the check tested (examples, point pairs, queries, ε values, models);
    #: ``0`` means it tested nothing, and a ``confirmed`` that tested nothing is rejected by the
    #: conformance suite. ``None``: not stated (e.g. a symbolic proof). An integer ``tested``
    #: passed as evidence (``Result.confirmed(..., tested=5)``) is taken as this field.
    tested: int | None = None

    def __post_init__(self) -> None:
        self.status = Status.parse(self.status)
        if self.tested is None and isinstance(self.evidence.get("tested"), int) \
                and not isinstance(self.evidence.get("tested"), bool):
            self.tested = int(self.evidence["tested"])
        if self.strength_kind is not None:
            self.strength_kind = Strength.parse(self.strength_kind)
        elif self.status in (Status.INCONCLUSIVE, Status.ERROR):
            self.strength_kind = Strength.NONE

    def because(self, reason: str | None, strength: Strength | str | None = None) -> "Result":
        """Set the machine-readable ``reason`` (and the structured strength); returns ``self``.

        ``Result.refuted("...", "rigorous: Weyl").because("weyl-lower-bound", "rigorous lower
        bound")`` keeps check code one expression long.
        """
        self.reason = reason
        if strength is not None:
            self.strength_kind = Strength.parse(strength)
        return self

    def counted(self, tested: int) -> "Result":
        """Set :attr:`tested` (how many things were tested); returns ``self``."""
        self.tested = int(tested)
        return self

    # Convenience constructors keep check code short and uniform.
    @classmethod
    def confirmed(cls, summary: str, strength: str = "", **evidence: Any) -> "Result":
        return cls(Status.CONFIRMED, summary, evidence, strength)

    @classmethod
    def refuted(cls, summary: str, strength: str = "", **evidence: Any) -> "Result":
        return cls(Status.REFUTED, summary, evidence, strength)

    @classmethod
    def inconclusive(cls, summary: str, strength: str = "", **evidence: Any) -> "Result":
        return cls(Status.INCONCLUSIVE, summary, evidence, strength)

    @classmethod
    def not_applicable(cls, summary: str, strength: str = "", **evidence: Any) -> "Result":
        return cls(Status.NOT_APPLICABLE, summary, evidence, strength)

    @classmethod
    def error(cls, summary: str, **evidence: Any) -> "Result":
        return cls(Status.ERROR, summary, evidence, "the check did not complete")

    def find_nonfinite(self) -> str | None:
        """Path of the first NaN/inf number in the evidence, if any (NaN is never a pass)."""
        return _find_nonfinite(self.evidence, "evidence")


def _find_nonfinite(value: Any, path: str) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isfinite(float(value)) else path
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return None if np.all(np.isfinite(value)) else path
    if isinstance(value, dict):
        for k, v in value.items():
            found = _find_nonfinite(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _find_nonfinite(v, f"{path}[{i}]")
            if found:
                return found
    return None


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """Convert evidence to JSON-able data (numpy arrays -> lists, objects -> repr)."""
    if _depth > 12:
        return repr(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else repr(float(value))  # JSON has no NaN
    if isinstance(value, np.generic):
        return to_jsonable(value.item(), _depth + 1)
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), _depth + 1)
    if isinstance(value, Status):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(v, _depth + 1) for v in items]
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict(), _depth + 1)
    if hasattr(value, "describe"):
        return to_jsonable(value.describe(), _depth + 1)
    if callable(value) and hasattr(value, "__qualname__"):  # no memory address: reproducible
        return f"<function {getattr(value, '__module__', '?')}.{value.__qualname__}>"
    if hasattr(value, "nodes") and hasattr(value, "edges") and callable(
            getattr(value, "number_of_nodes", None)):  # a networkx graph: its data, not its id
        return {"graph": type(value).__name__,
                "nodes": to_jsonable(sorted(value.nodes, key=repr), _depth + 1),
                "edges": to_jsonable(sorted(([u, v] for u, v in value.edges), key=repr),
                                     _depth + 1)}
    # a repr's memory address differs from run to run: same seed, same report
    return _ADDRESS.sub("", repr(value))


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
