"""The witness figure: kernel, learned inner product and error on a grid (1-D x and y)."""

from __future__ import annotations

import numpy as np
import torch

from verify.core.result import Figure


def witness_heatmaps(relation, model, eps: float, k: int = 121) -> Figure:
    """Heatmaps of ``r``, ``<φ, ψ>`` and ``r − <φ, ψ>`` on a ``k × k`` grid of X × Y."""
    from verify.reports.figures import heatmaps_png

    xs = np.linspace(relation.x_box.lo[0], relation.x_box.hi[0], k)[:, None]
    ys = np.linspace(relation.y_box.lo[0], relation.y_box.hi[0], k)[:, None]
    K = relation.gram(xs, ys)
    p = next(model.parameters())
    with torch.no_grad():
        G = model.gram(torch.as_tensor(xs, dtype=p.dtype, device=p.device),
                       torch.as_tensor(ys, dtype=p.dtype, device=p.device)).cpu().numpy()
    extent = [ys[0, 0], ys[-1, 0], xs[0, 0], xs[-1, 0]]
    png = heatmaps_png({"r(x, y)": K, "learned <φ(x), ψ(y)>": G, "error r − <φ,ψ>": K - G},
                       extent, suptitle=f"{relation.name}: ε = {eps:g}")
    return Figure("witness", png, f"{relation.name}: kernel, learned inner product, error")
