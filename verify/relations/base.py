"""Relation functions ``r : X x Y -> R`` on boxes, with numpy and torch evaluators.

A :class:`Relation` is usually built from a sympy expression (so it can be printed, differentiated,
and evaluated exactly by other layers); numpy and torch evaluators are derived with
``sympy.lambdify``. The torch evaluator is batched, differentiable and keeps the dtype and device
of its inputs; Python-number constants, ``Piecewise``, ``Heaviside``, ``Min``/``Max`` and ``Abs``
are coerced to tensors of that dtype (sympy's plain torch printing fails or drops to float32 on
these, see :data:`_TORCH_NAMESPACE`).
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import Any

import numpy as np
import sympy
import torch

from verify.relations.domain import Box
from verify.relations.symbols import vector_symbols  # noqa: F401  (re-exported: the convention)

# dtype/device of the tensors currently being evaluated; the coercing wrappers below read it.
_TORCH_LIKE: contextvars.ContextVar[tuple[torch.dtype, torch.device]] = contextvars.ContextVar(
    "_TORCH_LIKE", default=(torch.float64, torch.device("cpu"))
)


def _t(a: Any) -> torch.Tensor:
    """``a`` as a tensor of the current evaluation's dtype/device (tensors pass through)."""
    if isinstance(a, torch.Tensor):
        return a
    dtype, device = _TORCH_LIKE.get()
    if isinstance(a, (bool, np.bool_)):
        return torch.as_tensor(bool(a), device=device)
    return torch.as_tensor(float(a), dtype=dtype, device=device)


def _coerce(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def wrapped(*args: Any) -> torch.Tensor:
        return fn(*(_t(a) for a in args))

    wrapped.__name__ = getattr(fn, "__name__", "wrapped")
    return wrapped


def _heaviside(a: Any, h0: float = 0.5) -> torch.Tensor:
    # torch.heaviside has no autograd formula; this version has the (zero) derivative a.e.
    a = _t(a)
    return torch.where(
        a > 0,
        torch.ones_like(a),
        torch.where(a == 0, torch.full_like(a, float(h0)), torch.zeros_like(a)),
    )


def _where(cond: Any, a: Any, b: Any) -> torch.Tensor:
    return torch.where(_t(cond), _t(a), _t(b))


def _pow(a: Any, b: Any) -> torch.Tensor:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return torch.pow(a, b)
    return _t(a) ** float(b)


_ELEMENTWISE = [
    "abs", "sign", "ceil", "floor", "log", "exp", "sqrt", "cos", "acos", "sin", "asin", "tan",
    "atan", "atan2", "cosh", "acosh", "sinh", "asinh", "tanh", "atanh", "erf", "lgamma",
    "real", "imag", "angle", "eq", "ne", "gt", "lt", "le", "ge", "logical_and", "logical_or",
    "logical_not", "log1p", "expm1", "arccos", "arcsin", "arctan",
]  # fmt: skip

#: Name space handed to ``sympy.lambdify`` before the plain ``torch`` module (ours).
_TORCH_NAMESPACE: dict[str, Any] = {
    **{name: _coerce(getattr(torch, name)) for name in _ELEMENTWISE if hasattr(torch, name)},
    "min": lambda *a: reduce(torch.minimum, [_t(v) for v in a]),
    "max": lambda *a: reduce(torch.maximum, [_t(v) for v in a]),
    "amin": lambda *a: reduce(torch.minimum, [_t(v) for v in a]),
    "amax": lambda *a: reduce(torch.maximum, [_t(v) for v in a]),
    "heaviside": _heaviside,
    "where": _where,
    "pow": _pow,
    "pi": math.pi,
    "e": math.e,
}


def sq_dist(xs: Sequence[sympy.Expr], ys: Sequence[sympy.Expr]) -> sympy.Expr:
    """``|x - y|^2`` as a sympy expression."""
    if len(xs) != len(ys):
        raise ValueError(f"sq_dist needs equal lengths, got {len(xs)} and {len(ys)}")
    return sympy.Add(*[(a - b) ** 2 for a, b in zip(xs, ys)])


def dot(xs: Sequence[sympy.Expr], ys: Sequence[sympy.Expr]) -> sympy.Expr:
    """``<x, y>`` as a sympy expression."""
    if len(xs) != len(ys):
        raise ValueError(f"dot needs equal lengths, got {len(xs)} and {len(ys)}")
    return sympy.Add(*[a * b for a, b in zip(xs, ys)])


def _as_points(a: np.ndarray | torch.Tensor, d: int, what: str) -> np.ndarray:
    arr = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, dtype=np.float64)
    if arr.ndim == 1 and d == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != d:
        raise ValueError(f"{what} must have shape (n, {d}), got {arr.shape}")
    return arr


class Relation:
    """A relation function ``r(x, y)`` with ``x`` in ``x_box`` (dim ``dx``), ``y`` in ``y_box``.

    Build it with :meth:`from_sympy` (symbolic) or :meth:`from_torch` (a plain torch function).
    Evaluators: ``r(x, y)`` (numpy, paired rows), :meth:`gram` (numpy, all pairs), :meth:`torch`
    (paired, differentiable), :meth:`gram_torch`.
    """

    def __init__(
        self,
        name: str,
        x_box: Box,
        y_box: Box,
        *,
        expr: sympy.Expr | None = None,
        x_syms: tuple[sympy.Symbol, ...] = (),
        y_syms: tuple[sympy.Symbol, ...] = (),
        torch_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.x_box = x_box
        self.y_box = y_box
        self.expr = expr
        self.x_syms = tuple(x_syms)
        self.y_syms = tuple(y_syms)
        self.params = dict(params or {})
        self._torch_fn = torch_fn
        self._np_cols: Callable[..., Any] | None = None
        self._torch_cols: Callable[..., Any] | None = None
        self._symmetric: bool | None = None
        self._symmetry_evidence: dict[str, Any] = {}
        if expr is not None:
            if len(self.x_syms) != x_box.dim or len(self.y_syms) != y_box.dim:
                raise ValueError(
                    f"{name}: {len(self.x_syms)} x-symbols, {len(self.y_syms)} y-symbols, boxes "
                    f"of dims {x_box.dim} / {y_box.dim}"
                )
            stray = expr.free_symbols - set(self.x_syms) - set(self.y_syms)
            if stray:
                raise ValueError(f"{name}: unsubstituted symbols {sorted(map(str, stray))}")
            args = (*self.x_syms, *self.y_syms)
            self._np_cols = sympy.lambdify(args, expr, modules="numpy")
            self._torch_cols = sympy.lambdify(args, expr, modules=[_TORCH_NAMESPACE, "torch"])
        elif torch_fn is None:
            raise ValueError(f"{name}: need a sympy expression or a torch function")

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_sympy(
        cls,
        name: str,
        expr: sympy.Expr,
        x_syms: Sequence[sympy.Symbol],
        y_syms: Sequence[sympy.Symbol],
        x_box: Box,
        y_box: Box,
        params: Mapping[str, Any] | None = None,
    ) -> Relation:
        """A relation from a sympy expression in ``x_syms``, ``y_syms``.

        ``params`` maps parameter symbols (or their names) to numbers; they are substituted into
        ``expr`` and recorded (by name) for :meth:`describe`. A string ``expr`` is read by the
        whitelist parser :func:`verify.relations.parse.parse_expression` (names: the symbols'
        names and the params' names; nothing is evaluated as code).
        """
        if isinstance(expr, str):  # user text: the whitelist parser, never sympify (no code runs)
            from verify.relations.parse import parse_expression

            names = {str(s): s for s in (*x_syms, *y_syms)}
            names.update({str(k): sympy.Symbol(str(k), real=True) for k in (params or {})
                          if str(k) not in names})
            expr = parse_expression(expr, names, what=f"relation {name}")
        else:
            expr = sympy.sympify(expr, strict=True)
        recorded: dict[str, Any] = {}
        if params:
            by_name = {str(s): s for s in expr.free_symbols}
            subs = {}
            for key, value in params.items():
                sym = by_name.get(str(key)) if isinstance(key, str) else key
                recorded[str(key)] = _jsonable(value)
                if sym is not None:
                    subs[sym] = _param_value(value)
            expr = expr.subs(subs)
        return cls(
            name,
            x_box,
            y_box,
            expr=expr,
            x_syms=tuple(x_syms),
            y_syms=tuple(y_syms),
            params=recorded,
        )

    @classmethod
    def from_torch(
        cls,
        name: str,
        fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        x_box: Box,
        y_box: Box,
        params: Mapping[str, Any] | None = None,
    ) -> Relation:
        """A relation from a paired torch function ``fn(x (n,dx), y (n,dy)) -> (n,)``."""
        return cls(name, x_box, y_box, torch_fn=fn, params=params)

    # ------------------------------------------------------------------- properties
    @property
    def is_symbolic(self) -> bool:
        return self.expr is not None

    @property
    def dx(self) -> int:
        return self.x_box.dim

    @property
    def dy(self) -> int:
        return self.y_box.dim

    @property
    def symmetric(self) -> bool:
        """Whether ``r(x, y) == r(y, x)`` on a common box.

        Decided symbolically when sympy simplifies :math:`r(x, y) - r(y, x)` to 0, else on a grid
        plus 256 seeded random points, comparing the pairs where both values are finite (a
        non-finite value must be matched by the same non-finite value). How it was decided is
        in :attr:`symmetry_evidence`.
        """
        if self._symmetric is None:
            self._symmetric, self._symmetry_evidence = self._check_symmetric()
        return self._symmetric

    @property
    def symmetry_evidence(self) -> dict[str, Any]:
        """How :attr:`symmetric` was decided: ``method`` (``symbolic``, ``sampled``, ``boxes``
        or ``undecided``), pair counts, and a witness pair when it is not symmetric."""
        self.symmetric  # noqa: B018 - computes and caches both
        return dict(self._symmetry_evidence)

    def _check_symmetric(self) -> tuple[bool, dict[str, Any]]:
        if self.x_box != self.y_box:
            return False, {"method": "boxes", "note": "x and y boxes differ"}
        if self.expr is not None:
            swap = {**dict(zip(self.x_syms, self.y_syms)), **dict(zip(self.y_syms, self.x_syms))}
            if sympy.simplify(self.expr - self.expr.xreplace(swap)) == 0:
                return True, {"method": "symbolic", "note": "r(x,y) - r(y,x) simplifies to 0"}
        rng = np.random.default_rng(0)
        pts = np.vstack([self.x_box.grid(3), self.x_box.sample(256, rng)])
        K = self.gram(pts, pts)
        return _symmetric_on_samples(K, pts)

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary: name, expression (string and LaTeX), boxes, params."""
        return {
            "name": self.name,
            "expression": None if self.expr is None else str(self.expr),
            "latex": None if self.expr is None else sympy.latex(self.expr),
            "x_symbols": [str(s) for s in self.x_syms],
            "y_symbols": [str(s) for s in self.y_syms],
            "x_box": self.x_box.to_dict(),
            "y_box": self.y_box.to_dict(),
            "dx": self.dx,
            "dy": self.dy,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "symbolic": self.is_symbolic,
        }

    def __repr__(self) -> str:
        body = str(self.expr) if self.expr is not None else "<torch function>"
        return f"Relation({self.name!r}: {body}, x in {self.x_box}, y in {self.y_box})"

    # ------------------------------------------------------------------ evaluation
    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Paired values ``r(x_i, y_i)``: ``x (n, dx)``, ``y (n, dy)`` -> ``(n,)`` float64."""
        X = _as_points(x, self.dx, "x")
        Y = _as_points(y, self.dy, "y")
        if len(X) != len(Y):
            raise ValueError(f"paired evaluation needs as many x as y, got {len(X)} and {len(Y)}")
        return self._np_eval([X[:, i] for i in range(self.dx)], [Y[:, j] for j in range(self.dy)])

    def gram(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """All pairs: ``X (n, dx)``, ``Y (m, dy)`` -> ``(n, m)`` with entries ``r(X_i, Y_j)``."""
        X = _as_points(X, self.dx, "X")
        Y = _as_points(Y, self.dy, "Y")
        n, m = len(X), len(Y)
        xc = [np.broadcast_to(X[:, i : i + 1], (n, m)) for i in range(self.dx)]
        yc = [np.broadcast_to(Y[None, :, j], (n, m)) for j in range(self.dy)]
        return self._np_eval(xc, yc)

    def _np_eval(self, xc: list[np.ndarray], yc: list[np.ndarray]) -> np.ndarray:
        shape = xc[0].shape
        if self._np_cols is not None:
            with np.errstate(all="ignore"):  # Piecewise branches are evaluated everywhere
                out = self._np_cols(*xc, *yc)
            return np.array(np.broadcast_to(np.asarray(out, dtype=np.float64), shape))
        xt = torch.as_tensor(np.stack(xc, axis=-1).reshape(-1, self.dx), dtype=torch.float64)
        yt = torch.as_tensor(np.stack(yc, axis=-1).reshape(-1, self.dy), dtype=torch.float64)
        with torch.no_grad():
            out = self.torch(xt, yt)
        return out.cpu().numpy().astype(np.float64).reshape(shape)

    def torch(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Paired, batched, differentiable: ``x (..., dx)``, ``y (..., dy)`` -> ``(...)``.

        Keeps the dtype and device of ``x``; 1-D inputs are allowed when the dimension is 1.
        """
        if self.dx == 1 and x.ndim == 1:
            x = x[:, None]
        if self.dy == 1 and y.ndim == 1:
            y = y[:, None]
        if x.shape[-1] != self.dx or y.shape[-1] != self.dy:
            raise ValueError(f"{self.name}: expected (..., {self.dx}) and (..., {self.dy}), "
                             f"got {tuple(x.shape)} and {tuple(y.shape)}")  # fmt: skip
        if self._torch_cols is None:
            assert self._torch_fn is not None
            return self._torch_fn(x, y)
        dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
        token = _TORCH_LIKE.set((dtype, x.device))
        try:
            out = self._torch_cols(*x.unbind(-1), *y.unbind(-1))
            out = _t(out)
        finally:
            _TORCH_LIKE.reset(token)
        if out.dtype != dtype:
            out = out.to(dtype)
        batch = torch.broadcast_shapes(x.shape[:-1], y.shape[:-1])
        out = torch.broadcast_to(out, batch)
        # Keep the autograd graph connected to every input that requires grad, even when the
        # expression ignores it or uses it only through comparisons (constants, steps): the
        # derivative there is 0, and autograd.grad must not fail with "unused tensor".
        if x.requires_grad:
            out = out + 0.0 * x[..., 0]
        if y.requires_grad:
            out = out + 0.0 * y[..., 0]
        return out

    def gram_torch(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """All pairs with torch: ``X (n, dx)``, ``Y (m, dy)`` -> ``(n, m)``, differentiable."""
        if self.dx == 1 and X.ndim == 1:
            X = X[:, None]
        if self.dy == 1 and Y.ndim == 1:
            Y = Y[:, None]
        n, m = X.shape[0], Y.shape[0]
        return self.torch(X[:, None, :].expand(n, m, self.dx), Y[None, :, :].expand(n, m, self.dy))


def _symmetric_on_samples(K: np.ndarray, pts: np.ndarray) -> tuple[bool, dict[str, Any]]:
    """Compare ``K`` with ``K.T`` on finite pairs; non-finite entries must match exactly."""
    T = K.T
    finite = np.isfinite(K) & np.isfinite(T)
    same_nonfinite = (np.isnan(K) & np.isnan(T)) | (np.isinf(K) & (K == T))
    scale = max(1.0, float(np.abs(K[finite]).max())) if finite.any() else 1.0
    close = np.zeros_like(finite)
    close[finite] = np.abs(K[finite] - T[finite]) <= 1e-12 * scale + 1e-12 * np.abs(T[finite])
    bad = ~(close | same_nonfinite)
    evidence: dict[str, Any] = {
        "method": "sampled", "pairs": int(K.size), "finite_pairs": int(finite.sum()),
        "note": "compared on sampled pairs where both values are finite",
    }
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        evidence.update(x=pts[i].tolist(), y=pts[j].tolist(), r_xy=float(K[i, j]),
                        r_yx=float(K[j, i]), mismatched_pairs=int(bad.sum()))
        return False, evidence
    if not finite.any():
        evidence.update(method="undecided", note="no sampled pair has finite values")
        return False, evidence
    return True, evidence


def _param_value(value: Any) -> sympy.Expr:
    """A parameter's value as sympy; text goes through the whitelist parser (never sympify)."""
    if isinstance(value, str):
        from verify.relations.parse import parse_expression

        return parse_expression(value, {}, what="parameter value")
    return sympy.sympify(value, strict=True)


def _jsonable(v: Any) -> Any:
    """``v`` as plain JSON data (numbers, strings, lists, dicts)."""
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (list, tuple)):
        return [_jsonable(u) for u in v]
    if isinstance(v, Box):
        return v.to_dict()
    if isinstance(v, sympy.Basic):
        return float(v) if v.is_number else str(v)
    return str(v)
