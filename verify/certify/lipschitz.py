"""Grid + Lipschitz certificate of sup |e| (ours): an independent cross-check of branch and
bound that uses a uniform grid and no pruning.

Cut X×Y into k^D equal cells Q_i with centres c_i and half-diagonal ρ.  With G_i ≥ sup_{Q_i}
‖∇e‖₂ (from the interval gradient enclosure of :class:`~verify.certify.enclosure.ErrorEnclosure`)
and L = max_i G_i,

.. math::
    \\sup |e| \\le \\max_i |e(c_i)| + L\\,\\rho \\quad\\text{(global form)},\\qquad
    \\sup |e| \\le \\max_i \\big(|e(c_i)| + G_i\\,\\rho\\big) \\quad\\text{(local form, reported)}.

Every quantity is rounded upward with the interval arithmetic of :mod:`.interval`.
"""

from __future__ import annotations

import time

import numpy as np

from .bnb import Certificate, _box_bounds, _initial_grid, _status
from .enclosure import ErrorEnclosure
from .interval import Interval, isum, rounding_margin_text
from .mlp_bounds import Layers


def certify_lipschitz_grid(
    relation,
    phi_layers: Layers,
    psi_layers: Layers | None,
    activation: str,
    x_box=None,
    y_box=None,
    eps: float = 1e-2,
    *,
    cells_per_dim: int = 64,
    batch: int = 8192,
) -> Certificate:
    """Certify sup |r − ⟨φ, ψ⟩| ≤ eps on a uniform grid with per-cell Lipschitz bounds."""
    t0 = time.perf_counter()
    xs, ys = tuple(relation.x_syms), tuple(relation.y_syms)
    xlo, xhi = _box_bounds(x_box, getattr(relation, "x_box", None))
    ylo, yhi = _box_bounds(y_box, getattr(relation, "y_box", None))
    # only the gradient enclosure is used: skip the second-order form
    enc = ErrorEnclosure(
        relation.expr, xs, ys, phi_layers, psi_layers, activation, form="mean-value"
    )
    lo = np.array(xlo + ylo)
    hi = np.array(xhi + yhi)
    D = lo.size
    blo, bhi = _initial_grid(lo, hi, cells_per_dim**D)
    best_c, best_pt, L_glob, local_max, glob_rho, ec_max = 0.0, None, 0.0, 0.0, 0.0, 0.0
    for s in range(0, len(blo), batch):
        a, b = blo[s : s + batch], bhi[s : s + batch]
        ev = enc(a, b)
        c = ev.centre
        half = Interval.point(np.maximum(np.nextafter(b - c, np.inf), np.nextafter(c - a, np.inf)))
        rho = isum(half.square(), axis=-1).sqrt().hi  # >= ||z - c|| on the cell
        G = isum(Interval.point(ev.grad.mag()).square(), axis=-1).sqrt().hi
        G = np.where(np.isnan(G), np.inf, G)
        ec = ev.centre_value.mag()
        ec = np.where(np.isnan(ec), np.inf, ec)
        loc = (Interval.point(ec) + Interval.point(G) * Interval.point(rho)).hi
        local_max = max(local_max, float(np.max(loc)))
        L_glob = max(L_glob, float(np.max(G)))
        glob_rho = max(glob_rho, float(np.max(rho)))
        ec_max = max(ec_max, float(np.max(ec)))
        mig = ev.centre_value.mig()
        j = int(np.argmax(mig))
        if mig[j] > best_c:
            best_c, best_pt = float(mig[j]), c[j].tolist()
    glob = float((Interval.point(ec_max) + Interval.point(L_glob) * Interval.point(glob_rho)).hi)
    upper = min(local_max, glob)
    elapsed = time.perf_counter() - t0
    method = (
        f"sup |e| <= {upper:.6g} from a {cells_per_dim}^{D} grid: max over cells of |e(c_i)| + "
        f"G_i * rho and of max |e(c_i)| + L * rho (G_i interval bound of ||grad e||_2 on the "
        f"cell, rho = {glob_rho:.3g}); "
        f"global Lipschitz L = {L_glob:.4g}; {rounding_margin_text()}"
    )
    return Certificate(
        _status(best_c, upper, eps),
        best_c,
        best_pt,
        upper,
        float(eps),
        len(blo),
        elapsed,
        method,
        0,
        {
            "global_lipschitz": L_glob,
            "half_diagonal": glob_rho,
            "global_form_bound": glob,
            "local_form_bound": local_max,
        },
    )
