r"""A safe parser for a user's relation ``r(x, y)`` and domain, given as text.

The text is parsed by Python's :func:`ast.parse` (``mode="eval"``) and the tree is walked with a
whitelist: numbers, the variables of the relation, named numeric parameters, the constants
``pi`` and ``E``, the operators ``+ - * / **`` (``^`` is read as ``**``) and the functions below.
Everything else (attributes, subscripts, lambdas, strings, comprehensions, keywords, any other
name such as ``__import__`` or ``os``) is refused with a ``ValueError`` naming it. The sympy
expression is then *built* from the tree node by node; no user text ever reaches ``eval``,
``sympify`` or ``parse_expr``.

Limits keep every input fast: at most :data:`MAX_CHARS` characters, :data:`MAX_NODES` syntax
nodes, nesting depth :data:`MAX_DEPTH`, integers of at most :data:`MAX_INT_DIGITS` digits and
numeric exponents of magnitude at most :data:`MAX_EXPONENT`; a power of two numbers is
evaluated only when its size is bounded:

.. math::

    |e| \cdot \log_{10}(|b| + 1) \le 300 \quad\text{for } b^{e} \text{ with numbers } b, e .

Variables: ``x``, ``y`` when both sides are 1-D, else ``x0 .. x{dx-1}``, ``y0 .. y{dy-1}``
(``x`` is read as ``x0``); the sympy symbols are the real symbols ``x0 ..``, ``y0 ..`` of the
library (:func:`verify.relations.base.vector_symbols`).

Domains: ``[-1,1]``, ``[-1,1]^2``, ``[0,1]x[-2,2]`` (``×`` and ``*`` also separate factors);
each end is a constant expression (e.g. ``-pi``).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import sympy

from verify.relations.domain import Box
from verify.relations.symbols import vector_symbols

MAX_CHARS = 2000
MAX_NODES = 400
MAX_DEPTH = 40
MAX_INT_DIGITS = 30
MAX_EXPONENT = 1000
MAX_DIM = 16


def _min(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Min(*args)


def _max(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Max(*args)


#: name -> (sympy builder, allowed argument counts: (min, max or None))
FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], tuple[int, int | None]]] = {
    "exp": (sympy.exp, (1, 1)),
    "log": (sympy.log, (1, 1)),
    "sqrt": (sympy.sqrt, (1, 1)),
    "sin": (sympy.sin, (1, 1)),
    "cos": (sympy.cos, (1, 1)),
    "tanh": (sympy.tanh, (1, 1)),
    "cosh": (sympy.cosh, (1, 1)),
    "sinh": (sympy.sinh, (1, 1)),
    "Abs": (sympy.Abs, (1, 1)),
    "abs": (sympy.Abs, (1, 1)),
    "min": (_min, (2, None)),
    "max": (_max, (2, None)),
    "Min": (_min, (2, None)),
    "Max": (_max, (2, None)),
}
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_POW = (ast.Pow, ast.BitXor)  # "^" is read as "**", as in sympy's convert_xor


class ParseError(ValueError):
    """The text is not an allowed expression; the message names the problem."""


def _describe(node: ast.AST) -> str:
    try:
        return repr(ast.unparse(node))
    except Exception:  # noqa: BLE001 - only for the message
        return type(node).__name__


class _Builder:
    """Walks a whitelisted tree and builds the sympy expression (ours)."""

    def __init__(self, text: str, symbols: Mapping[str, sympy.Expr], what: str) -> None:
        self.text = text
        self.symbols = dict(symbols)
        self.what = what
        self.nodes = 0
        self.unknown: list[str] = []

    def fail(self, message: str) -> ParseError:
        return ParseError(f"{self.what} {self.text!r}: {message}")

    def build(self, node: ast.AST, depth: int = 0) -> sympy.Expr:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(f"too long (more than {MAX_NODES} syntax nodes)")
        if depth > MAX_DEPTH:
            raise self.fail(f"nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, ast.Constant):
            return self.number(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.build(node.operand, depth + 1)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            a, b = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
            if isinstance(node.op, ast.Div) and b == 0:
                raise self.fail("division by zero")
            return _BINOPS[type(node.op)](a, b)
        if isinstance(node, ast.BinOp) and isinstance(node.op, _POW):
            return self.power(self.build(node.left, depth + 1), self.build(node.right, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.fail(f"{type(node).__name__} {_describe(node)} is not allowed (only numbers, "
                        "variables, + - * / ** and the functions "
                        f"{', '.join(sorted(FUNCTIONS))})")

    def number(self, value: Any) -> sympy.Expr:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"constant {value!r} is not allowed (numbers only)")
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_INT_DIGITS:
                raise self.fail(f"integer with more than {MAX_INT_DIGITS} digits")
            return sympy.Integer(value)
        if not math.isfinite(value):
            raise self.fail(f"number {value!r} is not finite")
        return sympy.Float(value)

    def name(self, name: str) -> sympy.Expr:
        if name in self.symbols:
            return self.symbols[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name not in self.unknown:
            self.unknown.append(name)
        return sympy.Integer(0)  # placeholder: every unknown name is reported together

    def power(self, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if exponent.is_number:
            e = abs(complex(sympy.N(exponent, 15)))
            if e > MAX_EXPONENT:
                raise self.fail(f"exponent {sympy.N(exponent, 6)} is too large (|exponent| <= "
                                f"{MAX_EXPONENT})")
            if base.is_number:
                b = abs(complex(sympy.N(base, 15)))
                if e * math.log10(b + 1.0) > 300:
                    raise self.fail("a power of numbers exceeds 10^300")
        return base**exponent

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(f"call {_describe(node.func)} is not allowed (plain function names "
                            "only)")
        fname = node.func.id
        if fname not in FUNCTIONS:
            if fname in self.symbols or fname in CONSTANTS:
                raise self.fail(f"{fname!r} is not a function")
            raise self.fail(f"unknown function {fname!r}; allowed: "
                            f"{', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise self.fail(f"{fname}(): keyword arguments are not allowed")
        fn, (lo, hi) = FUNCTIONS[fname]
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{fname}(): *arguments are not allowed")
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            raise self.fail(f"{fname}() takes {want} argument(s), got {n}")
        return fn(*(self.build(a, depth + 1) for a in node.args))


def parse_expression(text: str, symbols: Mapping[str, sympy.Expr],
                     *, what: str = "expression") -> sympy.Expr:
    """The sympy expression for ``text``, whose only names are ``symbols`` (name -> sympy),
    ``pi``, ``E`` and :data:`FUNCTIONS`. ``ParseError`` (a ValueError) names what is refused."""
    if not isinstance(text, str):
        raise ParseError(f"{what} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ParseError(f"{what} is empty")
    if len(text) > MAX_CHARS:
        raise ParseError(f"{what} is too long ({len(text)} characters, at most {MAX_CHARS})")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ParseError(f"{what} {text!r} is not a valid expression: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseError(f"{what} {text!r} is nested too deeply or malformed") from None
    builder = _Builder(text, symbols, what)
    try:
        expr = builder.build(tree.body)
    except RecursionError:
        raise builder.fail("nested too deeply") from None
    except (TypeError, ZeroDivisionError, OverflowError) as exc:
        raise builder.fail(f"cannot be built ({type(exc).__name__}: {exc})") from None
    if builder.unknown:
        allowed = sorted(symbols) + sorted(CONSTANTS)
        raise builder.fail(f"unknown symbol(s) {', '.join(builder.unknown)}; allowed names: "
                           f"{', '.join(allowed)} and the functions "
                           f"{', '.join(sorted(FUNCTIONS))}")
    if not isinstance(expr, sympy.Expr) or expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo,
                                                    sympy.I):
        raise builder.fail("is not a finite real expression")
    return expr


def parse_constant(text: str, *, what: str = "number") -> float:
    """A finite real number from a constant expression such as ``-1``, ``0.5`` or ``pi/2``."""
    value = parse_expression(text, {}, what=what)
    try:
        out = float(value)
    except TypeError:
        raise ParseError(f"{what} {text!r} is not a real number") from None
    if not math.isfinite(out):
        raise ParseError(f"{what} {text!r} is not finite")
    return out


# ------------------------------------------------------------------------------- domains
_INTERVAL = re.compile(r"\[([^\[\],]+),([^\[\],]+)\](?:\s*(?:\^|\*\*)\s*([0-9]+))?")


def parse_domain(text: str, *, what: str = "domain") -> Box:
    """A :class:`Box` from ``[a,b]``, ``[a,b]^d`` or ``[a,b]x[c,d]x...`` (``×``/``*`` too)."""
    if not isinstance(text, str) or not text.strip():
        raise ParseError(f"{what} is empty; expected e.g. '[-1,1]', '[-1,1]^2', '[0,1]x[-2,2]'")
    if len(text) > 500:
        raise ParseError(f"{what} is too long ({len(text)} characters)")
    s = re.sub(r"\s+", "", text)
    pos, lo, hi = 0, [], []
    while True:
        m = _INTERVAL.match(s, pos)
        if m is None:
            raise ParseError(f"malformed {what} {text!r}: expected intervals like '[-1,1]', "
                             "'[-1,1]^2' or '[0,1]x[-2,2]'")
        a = parse_constant(m.group(1), what=f"{what} end")
        b = parse_constant(m.group(2), what=f"{what} end")
        if not a < b:
            raise ParseError(f"{what} {text!r}: interval [{m.group(1)}, {m.group(2)}] needs "
                             "lo < hi")
        k = int(m.group(3)) if m.group(3) else 1
        if k < 1:
            raise ParseError(f"{what} {text!r}: a power must be at least 1")
        lo += [a] * k
        hi += [b] * k
        if len(lo) > MAX_DIM:
            raise ParseError(f"{what} {text!r}: more than {MAX_DIM} dimensions")
        pos = m.end()
        if pos == len(s):
            break
        if s[pos] not in "x×*":
            raise ParseError(f"malformed {what} {text!r}: unexpected {s[pos:]!r}")
        pos += 1
    return Box(tuple(lo), tuple(hi))


# ----------------------------------------------------------------------------- relations
def variable_names(dx: int, dy: int) -> dict[str, sympy.Symbol]:
    """Allowed variable names -> the library's real symbols (``x`` is ``x0`` when 1-D)."""
    xs, ys = vector_symbols("x", dx), vector_symbols("y", dy)
    names: dict[str, sympy.Symbol] = {str(s): s for s in (*xs, *ys)}
    if dx == 1 and dy == 1:
        names.update({"x": xs[0], "y": ys[0]})
    return names


__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "ParseError",
    "parse_constant",
    "parse_domain",
    "parse_expression",
    "variable_names",
]
