"""The symbol naming convention of relations: real ``x0, x1, ...`` and ``y0, y1, ...``."""

from __future__ import annotations

import sympy


def vector_symbols(prefix: str, d: int) -> tuple[sympy.Symbol, ...]:
    """Real symbols ``prefix0 .. prefix{d-1}`` (the naming convention of the contract)."""
    return tuple(sympy.Symbol(f"{prefix}{i}", real=True) for i in range(d))


__all__ = ["vector_symbols"]
