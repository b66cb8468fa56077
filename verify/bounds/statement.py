r"""A neuron-count bound :math:`N(\varepsilon, \dots)` stated as a formula over named quantities.

A bound is a string such as ``"10**4"``, ``"2"``, ``"r_star * (2*radius*barron_max/eps)**2"``
or ``"m_min * log(1/eps)"``. It is parsed with sympy over a whitelist of names (the quantities of
:mod:`verify.bounds.quantities`, a few functions and constants); any other name is rejected with
a ``ValueError`` naming it. :meth:`BoundStatement.neurons` evaluates the formula for an instance
and rounds up to a whole number of hidden neurons.

Named quantities (computed by :func:`verify.bounds.quantities.compute_quantities`):

=================  ==========================================================================
``eps``            the target sup error
``d``              input dimension of each feature network (``max(dx, dy)``)
``radius``         half the diagonal of the (larger) box
``r_star``         truncation rank: fewest expansion terms with sampled sup error <= eps/2
``tail``           spectral tail :math:`\sum_{i > r^*} |\lambda_i|` (over the computed spectrum)
``tail_sup``       sampled sup error of the rank-``r_star`` truncation
``m_min``          Eckart–Young–Mirsky rank lower bound: no model of rank < m_min reaches eps
``lambda_<i>``     i-th eigenvalue (singular value when asymmetric), ``i = 1, 2, ...``
``sup_e_<i>``      sup norm of the i-th eigenfunction on a grid (max of both sides if asymmetric)
``sup_f_<i>``      sup norm of the feature :math:`\sqrt{\lambda_i} e_i`
``barron_<i>``     Barron-norm estimate of :math:`\sqrt{\lambda_i} e_i` (ours, see quantities)
``barron_sum``     :math:`\sum_{i \le r^*}` barron_i;   ``barron_max``: their max
``sup_f_max``      :math:`\max_{i \le r^*}` sup_f_i
=================  ==========================================================================

Functions: ``log exp sqrt ceiling floor Max Min Abs``; constants ``pi``, ``E``. ``^`` means
``**``. Parsing is token-whitelisted before sympy sees the text, so no other Python runs.

Guards (ours): a bound is user input, so before sympy sees it the text is limited in length
(:data:`MAX_CHARS`), tokens (:data:`MAX_TOKENS`) and syntactic nesting (:data:`MAX_DEPTH`, which
also bounds runs of unary minus signs), and it is parsed with ``evaluate=False``: sympy never
multiplies out ``10**10**10``. :meth:`BoundStatement.evaluate` walks the expression tree in
IEEE double precision, where every operation takes constant time; a value beyond the double
range, e.g. ``E**E**E**E**E`` (:math:`e^{e^{3.8\cdot 10^{6}}}`), is a ``ValueError`` naming the
bound, never a hang. A bound without quantities is evaluated once at parse time, so such input
is refused before any work.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    parse_expr,
    standard_transformations,
)

SCALAR_NAMES: dict[str, str] = {
    "eps": "target sup error",
    "d": "input dimension of each feature network",
    "radius": "half the diagonal of the box",
    "r_star": "truncation rank at eps/2 (sampled sup)",
    "tail": "spectral tail sum_{i > r_star} |lambda_i|",
    "tail_sup": "sampled sup error of the rank-r_star truncation",
    "m_min": "Eckart-Young-Mirsky rank lower bound for eps",
    "barron_sum": "sum_{i <= r_star} barron_i",
    "barron_max": "max_{i <= r_star} barron_i",
    "sup_f_max": "max_{i <= r_star} sup_f_i",
}
INDEXED_PREFIXES: dict[str, str] = {
    "lambda": "i-th eigenvalue / singular value",
    "sup_e": "sup norm of the i-th eigenfunction",
    "sup_f": "sup norm of sqrt(lambda_i) e_i",
    "barron": "Barron-norm estimate of sqrt(lambda_i) e_i",
}
INDEXED = re.compile(r"^(lambda|sup_e|sup_f|barron)_([1-9][0-9]*)$")
FUNCTIONS: dict[str, object] = {
    "log": sympy.log,
    "exp": sympy.exp,
    "sqrt": sympy.sqrt,
    "ceiling": sympy.ceiling,
    "floor": sympy.floor,
    "Max": sympy.Max,
    "Min": sympy.Min,
    "Abs": sympy.Abs,
    "pi": sympy.pi,
    "E": sympy.E,
}
_ALLOWED_OPS = {"+", "-", "*", "/", "**", "^", "(", ")", ","}
MAX_CHARS = 1000  #: longest bound text accepted
MAX_TOKENS = 400  #: most tokens (names, numbers, operators) in a bound
MAX_DEPTH = 100  #: deepest syntactic nesting (parentheses, operators, unary signs)


def allowed_name(name: str) -> bool:
    """Whether ``name`` may appear in a bound (a quantity, a function or a constant)."""
    return name in SCALAR_NAMES or name in FUNCTIONS or INDEXED.match(name) is not None


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise ValueError(f"cannot tokenize bound {text!r}: {exc}") from None


@dataclass(frozen=True)
class BoundStatement:
    """A parsed bound: the original ``text``, the sympy ``expr`` and a ``label`` for reports."""

    text: str
    expr: sympy.Expr
    label: str = "stated"

    @property
    def names(self) -> list[str]:
        """The quantity names the formula uses, sorted."""
        return sorted(s.name for s in self.expr.free_symbols)

    def evaluate(self, quantities: Mapping[str, float]) -> float:
        """The formula's value for the instance's ``quantities`` (a float; may be fractional)."""
        missing = [n for n in self.names if n not in quantities]
        if missing:
            raise ValueError(
                f"bound {self.text!r} needs {', '.join(missing)}, not computed for this instance "
                f"(available indexed quantities stop at the computed spectrum)"
            )
        values = {n: float(quantities[n]) for n in self.names}
        return _evaluate(self.expr, values, self.text)

    def neurons(self, quantities: Mapping[str, float]) -> int:
        """The bound rounded up to a whole number of hidden neurons (>= 0).

        A relative slack of 1e-9 keeps ``2.0000000001`` (rounding noise) at 2.
        """
        value = self.evaluate(quantities)
        if value < 0:
            raise ValueError(f"bound {self.text!r} is negative ({value:g}) for this instance")
        return int(math.ceil(value - 1e-9 * max(1.0, abs(value))))

    def to_dict(self) -> dict:
        return {"text": self.text, "expr": str(self.expr), "label": self.label,
                "names": self.names}


def parse_bound(text: str, label: str = "stated") -> BoundStatement:
    """Parse a bound formula; ``ValueError`` naming any unknown symbol or forbidden token."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a bound must be a non-empty string, e.g. '10**4' or 'm_min + 3'")
    if len(text) > MAX_CHARS:
        raise ValueError(f"bound is {len(text)} characters long; at most {MAX_CHARS} are "
                         f"accepted (starts {text[:40]!r})")
    tokens = _tokens(text)
    if len(tokens) > MAX_TOKENS:
        raise ValueError(f"bound has {len(tokens)} tokens; at most {MAX_TOKENS} are accepted "
                         f"(starts {text[:40]!r})")
    unknown: list[str] = []
    for tok in tokens:
        if tok.type == tokenize.NAME:
            if not allowed_name(tok.string) and tok.string not in unknown:
                unknown.append(tok.string)
        elif tok.type == tokenize.OP:
            if tok.string not in _ALLOWED_OPS:
                raise ValueError(f"operator {tok.string!r} not allowed in bound {text!r}")
        elif tok.type not in (tokenize.NUMBER, tokenize.NEWLINE, tokenize.NL,
                              tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            raise ValueError(f"token {tok.string!r} not allowed in bound {text!r}")
    if unknown:
        raise ValueError(
            f"unknown symbols in bound {text!r}: {', '.join(unknown)}. Allowed: "
            f"{', '.join(SCALAR_NAMES)}, "
            f"{', '.join(p + '_<i>' for p in INDEXED_PREFIXES)}, "
            f"functions/constants {', '.join(FUNCTIONS)}"
        )
    depth = _nesting(text)
    if depth > MAX_DEPTH:
        raise ValueError(f"bound {_short(text)} is nested {depth} levels deep; at most "
                         f"{MAX_DEPTH} are accepted")
    local: dict[str, object] = dict(FUNCTIONS)
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string not in FUNCTIONS:
            local[tok.string] = sympy.Symbol(tok.string, real=True)
    try:
        expr = parse_expr(text, local_dict=local, evaluate=False,
                          transformations=standard_transformations + (convert_xor,))
    except (SyntaxError, TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"cannot parse bound {_short(text)}: {_one_line(exc)}") from None
    if not isinstance(expr, sympy.Expr):
        raise ValueError(f"bound {text!r} is not an expression")
    statement = BoundStatement(text=text, expr=expr, label=label)
    if not statement.names:  # a plain number: evaluate now, so a bad one is refused before work
        statement.evaluate({})
    return statement


def _short(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:60]) + f"... ({len(text)} characters)"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def _nesting(text: str) -> int:
    """Depth of the Python syntax tree of ``text`` (already token-whitelisted), iteratively."""
    try:
        tree = ast.parse(text.replace("^", "**").strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"cannot parse bound {_short(text)}: {_one_line(exc)}") from None
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


_UNARY = {
    sympy.exp: math.exp, sympy.ceiling: math.ceil, sympy.floor: math.floor, sympy.Abs: abs,
}


def _evaluate(expr: sympy.Basic, values: Mapping[str, float], text: str) -> float:
    """``expr`` in IEEE doubles (ours): constant time per node, ``ValueError`` naming ``text``
    on overflow (beyond ~1.8e308), a non-real value, or division by zero."""
    try:
        out = _eval_node(expr, values)
    except OverflowError:
        raise ValueError(f"bound {_short(text)} exceeds the floating-point range (~1.8e308): "
                         f"no network has that many neurons") from None
    except ZeroDivisionError:
        raise ValueError(f"bound {_short(text)} divides by zero for this instance") from None
    except ValueError as exc:
        raise ValueError(f"bound {_short(text)} does not evaluate to a real number for this "
                         f"instance ({_one_line(exc)})") from None
    return out


def _finite(value: float) -> float:
    if math.isnan(value):
        raise ValueError("NaN")
    if math.isinf(value):
        raise OverflowError
    return value


def _eval_node(node: sympy.Basic, values: Mapping[str, float]) -> float:
    if isinstance(node, sympy.Symbol):
        return _finite(values[node.name])
    if node is sympy.pi:
        return math.pi
    if node is sympy.E:
        return math.e
    if isinstance(node, sympy.Number):
        if isinstance(node, sympy.Rational):
            p, q = int(node.p), int(node.q)
            return _finite(p / q)  # OverflowError for a huge integer literal
        return _finite(float(node))
    args = [_eval_node(a, values) for a in node.args]
    if isinstance(node, sympy.Add):
        return _finite(math.fsum(args))
    if isinstance(node, sympy.Mul):
        return _finite(math.prod(args))
    if isinstance(node, sympy.Pow):
        base, power = args
        if base == 0 and power < 0:
            raise ZeroDivisionError
        return _finite(math.pow(base, power))
    if isinstance(node, sympy.log):
        if any(a <= 0 for a in args):
            raise ValueError("log of a number <= 0")
        return _finite(math.log(*args) if len(args) == 1 else math.log(args[0], args[1]))
    if isinstance(node, sympy.Max):
        return max(args)
    if isinstance(node, sympy.Min):
        return min(args)
    for fn, impl in _UNARY.items():
        if isinstance(node, fn) and len(args) == 1:
            return _finite(float(impl(args[0])))
    raise ValueError(f"unsupported operation {type(node).__name__}")


__all__ = [
    "FUNCTIONS",
    "INDEXED_PREFIXES",
    "SCALAR_NAMES",
    "BoundStatement",
    "allowed_name",
    "parse_bound",
]
