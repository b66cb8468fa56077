"""Which networks a neuron-count claim tries, in which order (ours).

A model of hidden width :math:`w` per layer has Gram rank :math:`\\le w + 1`, so widths below
:math:`m_{\\min} - 1` cannot reach ε (:mod:`verify.claims.claim`); the search starts there.
A witness only has to exist, so roomier widths are tried first, then the tight ones.
"""

from __future__ import annotations


def neurons_for_width(width: int, symmetric: bool, depth: int = 1) -> int:
    """Hidden neurons of the inner-product model (φ only if symmetric)."""
    return width * depth * (1 if symmetric else 2)


def candidate_widths(m_min: int, max_width: int, n: int = 5, offset: int = 0) -> list[int]:
    """Widths from the smallest the rank bound allows (``m_min - 1``, plus ``offset``) upwards,
    at steps 0, 1, 2, 4, 8, 16, 32 (at most ``n``, capped at ``max_width``)."""
    w0 = max(1, m_min - 1 + offset)
    steps = [0, 1, 2, 4, 8, 16, 32]
    out = sorted({min(w0 + s, max_width) for s in steps if w0 + s <= max(max_width, w0)})
    return out[:n]


def search_widths(m_min: int, max_width: int) -> list[int]:
    """:func:`candidate_widths`, the roomier ones first, then the two tightest widest-first."""
    widths = candidate_widths(m_min, max_width)
    return widths[2:] + widths[:2][::-1] if len(widths) > 2 else widths[::-1]
