"""Sampled sup-norm of an error function on a product of boxes: a LOWER bound, never a certificate.

``sampled_sup`` evaluates ``|e(x, y)|`` on a dense point set of ``X × Y`` (a tensor grid when it is
small enough, a scrambled Sobol set otherwise), then runs projected gradient ascent on ``|e|`` from
the worst points. Every value it returns was attained at a point of the box, so it is ≤ the true
sup; the true sup may be larger. Rigorous upper bounds live elsewhere in verify/certify.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

ErrFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class SampledSup:
    """``value = |e(argmax_x, argmax_y)|``, the largest error seen over ``n_points`` evaluations."""

    value: float
    argmax_x: np.ndarray
    argmax_y: np.ndarray
    n_points: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "argmax_x": self.argmax_x.tolist(),
            "argmax_y": self.argmax_y.tolist(),
            "n_points": self.n_points,
            "method": self.method,
            "is_lower_bound": True,
        }


def box_bounds(box: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` float64 arrays of a Box-like (``.lo``/``.hi``) or a ``(lo, hi)`` pair."""
    if hasattr(box, "lo") and hasattr(box, "hi"):
        lo, hi = box.lo, box.hi
    else:
        lo, hi = box
    lo = np.atleast_1d(np.asarray(lo, dtype=np.float64))
    hi = np.atleast_1d(np.asarray(hi, dtype=np.float64))
    if lo.shape != hi.shape or lo.ndim != 1 or not np.all(lo < hi):
        raise ValueError(f"not a box: lo={lo}, hi={hi}")
    return lo, hi


def _axis_grid(lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    axes = [np.linspace(a, b, k) for a, b in zip(lo, hi)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1)


def _merge_top(vals: torch.Tensor, pts: torch.Tensor, best_v, best_p, k: int):
    if best_v is not None:
        vals, pts = torch.cat([best_v, vals]), torch.cat([best_p, pts])
    k = min(k, vals.numel())
    top = torch.topk(vals, k)
    return top.values, pts[top.indices]


def sampled_sup(
    err_fn: ErrFn,
    x_box: Any,
    y_box: Any,
    *,
    grid_k: int = 101,
    n_refine: int = 8,
    steps: int = 100,
    seed: int = 0,
    symmetric: bool = False,
    max_grid: int = 4_000_000,
    chunk: int = 1 << 16,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float64,
) -> SampledSup:
    """Sampled sup of ``|err_fn|`` on ``X × Y`` (a lower bound on the true sup).

    ``err_fn(x, y)`` maps paired batches ``(n, dx), (n, dy)`` to ``(n,)``. The first stage uses the
    tensor grid (``grid_k`` points per axis) when ``grid_k**(dx+dy) ≤ max_grid``, else
    ``min(grid_k**(dx+dy), max_grid)`` scrambled Sobol points (seeded). ``symmetric=True`` (needs
    ``X == Y`` and ``e(x, y) = e(y, x)``) evaluates only the pairs ``i ≤ j`` of the grid. Then
    ``n_refine`` projected Adam ascents of ``steps`` steps each start from the worst points.
    """
    xlo, xhi = box_bounds(x_box)
    ylo, yhi = box_bounds(y_box)
    dx, dy = xlo.size, ylo.size
    if symmetric and (dx != dy or not (np.allclose(xlo, ylo) and np.allclose(xhi, yhi))):
        raise ValueError("symmetric=True needs x_box == y_box")
    lo = torch.as_tensor(np.concatenate([xlo, ylo]), dtype=dtype, device=device)
    width = torch.as_tensor(np.concatenate([xhi - xlo, yhi - ylo]), dtype=dtype, device=device)
    n_keep = max(1, n_refine)
    best_v = best_p = None
    n_eval = 0

    def evaluate(p: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            v = err_fn(p[:, :dx], p[:, dx:]).abs().reshape(-1)
        # NaN must win the max: it means the error is undefined there (never hide it)
        return torch.where(torch.isnan(v), torch.full_like(v, float("inf")), v)

    total = float(grid_k) ** (dx + dy)
    if total <= max_grid:
        gx = torch.as_tensor(_axis_grid(xlo, xhi, grid_k), dtype=dtype, device=device)
        gy = (
            gx
            if symmetric
            else torch.as_tensor(_axis_grid(ylo, yhi, grid_k), dtype=dtype, device=device)
        )
        nx, ny = gx.shape[0], gy.shape[0]
        if symmetric:
            ii, jj = torch.triu_indices(nx, nx, device=device)
            n_pairs = ii.numel()
            stage = f"tensor grid {grid_k}^{dx} x {grid_k}^{dy} (pairs i<=j, symmetric)"
        else:
            n_pairs = nx * ny
            stage = f"tensor grid {grid_k}^{dx} x {grid_k}^{dy}"
        for s in range(0, n_pairs, chunk):
            if symmetric:
                i, j = ii[s : s + chunk], jj[s : s + chunk]
            else:
                flat = torch.arange(s, min(s + chunk, n_pairs), device=device)
                i, j = flat // ny, flat % ny
            p = torch.cat([gx[i], gy[j]], dim=1)
            best_v, best_p = _merge_top(evaluate(p), p, best_v, best_p, n_keep)
        n_eval += n_pairs
    else:
        n_pts = int(min(total, max_grid))
        engine = torch.quasirandom.SobolEngine(dx + dy, scramble=True, seed=seed)
        for s in range(0, n_pts, chunk):
            u = engine.draw(min(chunk, n_pts - s), dtype=torch.float64).to(
                dtype=dtype, device=device
            )
            p = lo + u * width
            best_v, best_p = _merge_top(evaluate(p), p, best_v, best_p, n_keep)
        n_eval += n_pts
        stage = f"{n_pts} scrambled Sobol points (seed {seed})"

    refine = ""
    if n_refine > 0 and steps > 0 and torch.isfinite(best_v).all():
        u0 = ((best_p - lo) / width).clone()
        v_ref, p_ref = _ascend(err_fn, u0, lo, width, dx, steps)
        n_eval += u0.shape[0] * (2 * steps + 1)
        best_v, best_p = _merge_top(v_ref, p_ref, best_v, best_p, 1)
        refine = f", then {u0.shape[0]} projected gradient ascents x {steps} steps on |e|"
    k = int(torch.argmax(best_v))
    point = best_p[k].detach().cpu().numpy().astype(np.float64)
    return SampledSup(
        value=float(best_v[k]),
        argmax_x=point[:dx],
        argmax_y=point[dx:],
        n_points=n_eval,
        method=f"sampled sup (a LOWER bound on the true sup, not a certificate): {stage}{refine}",
    )


def _ascend(
    err_fn: ErrFn, u0: torch.Tensor, lo: torch.Tensor, width: torch.Tensor, dx: int, steps: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Monotone projected ascent of ``|e|`` in unit coordinates, one adaptive step per start.

    Each step tries ``u + h·g/|g|`` (clamped to the box); success doubles ``h``, failure halves
    it, so every start's value only increases. Returns the best value and point per start.
    """

    def value(u: torch.Tensor) -> torch.Tensor:
        p = lo + u * width
        v = err_fn(p[:, :dx], p[:, dx:]).abs().reshape(-1)
        return torch.nan_to_num(v, nan=-float("inf"))

    u = u0.clone()
    with torch.no_grad():
        v = value(u)
    h = torch.full_like(v, 0.05)
    for _ in range(steps):
        uu = u.clone().requires_grad_(True)
        vv = value(uu)
        (g,) = torch.autograd.grad(vv.sum(), uu, allow_unused=True)
        if g is None:
            break
        with torch.no_grad():
            g = torch.nan_to_num(g)
            d = g / g.norm(dim=1, keepdim=True).clamp_min(1e-300)
            cand = (u + h[:, None] * d).clamp(0.0, 1.0)
            vc = value(cand)
            better = vc > v
            u = torch.where(better[:, None], cand, u)
            v = torch.where(better, vc, v)
            h = torch.where(better, (h * 2).clamp_max(0.5), h / 2)
    return v, (lo + u * width).detach()
