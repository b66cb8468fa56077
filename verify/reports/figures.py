"""Small matplotlib helpers that return PNG bytes (Agg backend, no display needed)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np


def _plt():
    """pyplot on the Agg backend (no display needed); shared by every figure helper."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def fig_to_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def heatmaps_png(
    panels: Mapping[str, np.ndarray], extent: Sequence[float], suptitle: str = ""
) -> bytes:
    """Side-by-side heat maps (e.g. kernel, learned <phi,phi>, error) over a 2-D grid."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6))
    axes = np.atleast_1d(axes)
    for ax, (title, z) in zip(axes, panels.items()):
        im = ax.imshow(z, origin="lower", extent=extent, aspect="auto", cmap="viridis")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("y")
        ax.set_ylabel("x")
        fig.colorbar(im, ax=ax, fraction=0.046)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig_to_png(fig)


def lines_png(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    xlabel: str,
    ylabel: str,
    title: str = "",
    logx: bool = False,
    logy: bool = False,
    hlines: Mapping[str, float] | None = None,
    markers: bool = True,
) -> bytes:
    """One curve per series (``name -> (x, y)``), optional horizontal reference lines."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for name, (x, y) in series.items():
        ax.plot(x, y, marker="o" if markers else None, ms=3, label=name)
    for name, value in (hlines or {}).items():
        ax.axhline(value, ls="--", lw=1, color="gray")
        ax.annotate(name, (ax.get_xlim()[0], value), fontsize=8, va="bottom")
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig_to_png(fig)
