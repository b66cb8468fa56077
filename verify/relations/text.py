"""Relations from text: the user's expression on a domain, and JSON specs for sweep tasks.

Everything goes through the whitelist parser :mod:`verify.relations.parse` (nothing is
evaluated as code); this module only adds the :class:`~verify.relations.base.Relation` around
the parsed expression (kept apart from the parser so that ``Relation`` and the parser do not
import each other).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import sympy
from sympy.printing.str import StrPrinter

from verify.relations.base import Relation
from verify.relations.domain import Box
from verify.relations.parse import (
    CONSTANTS,
    FUNCTIONS,
    ParseError,
    parse_constant,
    parse_domain,
    parse_expression,
    variable_names,
)
from verify.relations.symbols import vector_symbols


def parse_relation(text: str, x_box: Box | str, y_box: Box | str | None = None, *,
                   name: str | None = None, params: Mapping[str, float] | None = None):
    """A symbolic :class:`~verify.relations.base.Relation` from ``text`` on ``x_box × y_box``.

    ``params`` gives numeric values to extra names (e.g. ``{"ell": 0.5}``); ``y_box`` defaults
    to ``x_box``. Unknown names, a variable outside the boxes' dimensions, or anything outside
    the whitelist raise :class:`ParseError`.
    """
    xb = parse_domain(x_box) if isinstance(x_box, str) else x_box
    yb = xb if y_box is None else (parse_domain(y_box, what="y-domain")
                                   if isinstance(y_box, str) else y_box)
    symbols: dict[str, sympy.Expr] = dict(variable_names(xb.dim, yb.dim))
    for key, value in (params or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(key)) or key.startswith("_"):
            raise ParseError(f"parameter name {key!r} is not an identifier")
        if key in symbols or key in FUNCTIONS or key in CONSTANTS:
            raise ParseError(f"parameter name {key!r} clashes with a variable or function")
        num = parse_constant(value, what=f"parameter {key}") if isinstance(value, str) \
            else float(value)
        if not math.isfinite(num):
            raise ParseError(f"parameter {key} = {value!r} is not finite")
        symbols[key] = sympy.Float(num)
    expr = parse_expression(text, symbols, what="relation")
    return Relation(name or text.strip(), xb, yb, expr=expr,
                    x_syms=vector_symbols("x", xb.dim), y_syms=vector_symbols("y", yb.dim),
                    params={"source": text.strip(), **dict(params or {})})


class _ExactPrinter(StrPrinter):
    """sympy's string form with floats printed by ``repr`` (round-trips float64 exactly)."""

    def _print_Float(self, expr: sympy.Float) -> str:
        return repr(float(expr))


def expression_text(expr: sympy.Expr) -> str:
    """``expr`` as text that :func:`parse_expression` reads back to the same float64 values."""
    return _ExactPrinter().doprint(expr)


def relation_spec(relation) -> dict[str, Any]:
    """JSON data that rebuilds a symbolic relation through the safe parser (for sweep tasks)."""
    if relation.expr is None:
        raise ValueError(f"{relation.name}: a relation without a sympy expression has no spec")
    return {"expression": expression_text(relation.expr), "name": relation.name,
            "x_box": relation.x_box.to_dict(), "y_box": relation.y_box.to_dict()}


def relation_from_spec(spec: Mapping[str, Any]):
    """The relation of :func:`relation_spec` (parsed with the whitelist, never evaluated)."""
    try:
        xb = Box(tuple(spec["x_box"]["lo"]), tuple(spec["x_box"]["hi"]))
        yb = Box(tuple(spec["y_box"]["lo"]), tuple(spec["y_box"]["hi"]))
        text = spec["expression"]
    except (KeyError, TypeError) as exc:
        raise ParseError(f"relation spec lacks {exc}") from None
    return parse_relation(text, xb, yb, name=spec.get("name"))


__all__ = ["expression_text", "parse_relation", "relation_from_spec", "relation_spec"]
