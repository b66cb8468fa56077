"""Branch-and-bound certificates of sup-norm error over a whole box (ours).

We keep, for every live leaf Q of a partition of the domain, an upper bound U(Q) ≥ sup_Q |e|
from the mean-value interval enclosure (:mod:`verify.certify.enclosure`), and a rigorous
lower bound L ≤ sup |e|: the largest *mignitude* of the point enclosures of e at leaf
centres and random sample points (each is a true value |e(p)| up to a rounding margin that
is taken against us).  Then

* leaves with U(Q) ≤ L cannot raise the sup above L and are dropped;
* leaves with U(Q) ≤ target (ε, or (1 + rel_gap)·L in tightness mode) are retired: their U
  still counts in the final bound, but they are not split;
* the ``batch`` live leaves with the largest U are split in two along the coordinate with
  the largest estimated contribution |∂_i e(Q)|·w_i to the enclosure width.

The point enclosures that can raise L (box centres, one random vertex per new box) are
evaluated rigorously only where a plain-float estimate of e is largest (64 per batch), when
the enclosure offers one (``estimate``): L stays a rigorous value at a point, and the rigorous
evaluations no longer cost as much as the boxes.

At the end, ``upper = max(L, U of retired leaves, U of live leaves)`` is a proven bound on
sup |e| over the box and ``lower = L`` a proven lower bound.  Status: "certified" if
upper ≤ ε, "refuted" if lower > ε (with the point), otherwise "undecided".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import sympy as sp

from .enclosure import BoxEval, DiagonalEnclosure, ErrorEnclosure
from .interval import rounding_margin_text
from .mlp_bounds import Layers
from .taylor_model import try_taylor

CERTIFIED, REFUTED, UNDECIDED = "certified", "refuted", "undecided"


@dataclass
class Certificate:
    """Outcome of a sup-norm certification of |e| over a box."""

    status: str
    lower: float
    lower_point: list[float] | None
    upper: float
    eps: float
    leaves: int
    time_s: float
    method: str
    live_leaves: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """upper / lower (inf if lower is 0)."""
        return self.upper / self.lower if self.lower > 0 else math.inf

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("lower", "upper", "eps", "time_s"):
            d[k] = _json_float(d[k])
        d["ratio"] = _json_float(self.ratio)
        return d


def _json_float(v: float) -> float | str:
    v = float(v)
    return v if math.isfinite(v) else ("inf" if v > 0 else ("-inf" if v < 0 else "nan"))


Enclose = Callable[[np.ndarray, np.ndarray], BoxEval]


@dataclass
class BnBResult:
    lower: float
    lower_point: np.ndarray | None
    upper: float
    leaves: int
    live: int
    time_s: float
    exhausted: bool
    wall_clock_hit: bool = False  # stopped by the time limit, not by the leaf budget


def _initial_grid(lo: np.ndarray, hi: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    D = lo.size
    k = max(1, int(round(n_cells ** (1.0 / D))))
    edges = [np.linspace(lo[i], hi[i], k + 1) for i in range(D)]
    edges = [np.concatenate([[lo[i]], e[1:-1], [hi[i]]]) for i, e in enumerate(edges)]  # exact ends
    idx = np.stack(np.meshgrid(*[np.arange(k)] * D, indexing="ij"), -1).reshape(-1, D)
    blo = np.stack([edges[i][idx[:, i]] for i in range(D)], -1)
    bhi = np.stack([edges[i][idx[:, i] + 1] for i in range(D)], -1)
    return blo, bhi


def branch_and_bound(
    enclose: Enclose,
    lo: Sequence[float],
    hi: Sequence[float],
    eps: float,
    *,
    bound: str = "abs",
    time_budget_s: float = 60.0,
    max_leaves: int = 2_000_000,
    batch: int = 1024,
    rel_gap: float | None = None,
    n_samples: int = 4096,
    seed: int = 0,
    prune: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    init_cells: int = 256,
) -> BnBResult:
    """Generic B&B for sup over [lo, hi] of |f| (``bound="abs"``) or of f (``bound="upper"``).

    ``enclose(lo, hi)`` returns a :class:`BoxEval`.  ``prune(lo, hi)`` may mark boxes that
    can be discarded because a symmetry maps them into the kept region.  ``max_leaves`` is the
    work budget (reproducible); ``time_budget_s`` an outer safety limit, recorded as
    ``wall_clock_hit`` when it is what stopped the search."""
    t0 = time.perf_counter()
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    D = lo.size
    rng = np.random.default_rng(seed)
    at_points = getattr(enclose, "at_points", None)
    estimate = getattr(enclose, "estimate", None)

    def rigorous_at(vtx: np.ndarray):
        """Rigorous values at the points (all of them, or, when the enclosure has a float
        ``estimate``, at the 64 with the largest estimate: only the max can raise L)."""
        est = estimate(vtx) if estimate is not None and len(vtx) > 64 else None
        if est is None:
            return vtx, at_points(vtx)
        key = est if bound == "upper" else np.abs(est)
        top = np.argpartition(-np.where(np.isfinite(key), key, -np.inf), 63)[:64]
        return vtx[top], at_points(vtx[top])

    def u_of(ev: BoxEval) -> np.ndarray:
        E = ev.enclosure
        u = E.mag() if bound == "abs" else E.hi
        return np.where(np.isnan(u), np.inf, u)

    def l_of(ev_c) -> np.ndarray:
        v = ev_c.mig() if bound == "abs" else ev_c.lo
        return np.where(np.isnan(v), -np.inf, v)

    # lower bound from random samples (point boxes)
    L, Lpt = -np.inf, None
    if n_samples > 0:
        pts = lo + rng.uniform(size=(n_samples, D)) * (hi - lo)
        # maxima often sit on the boundary: add the corners and points on the faces
        corners = (
            np.where(np.indices((2,) * D).reshape(D, -1).T == 1, hi, lo) if D <= 12 else lo[None]
        )
        faces = pts[: n_samples // 2].copy()
        f_dim = rng.integers(0, D, size=len(faces))
        faces[np.arange(len(faces)), f_dim] = np.where(
            rng.uniform(size=len(faces)) < 0.5, lo[f_dim], hi[f_dim]
        )
        pts = np.concatenate([corners, faces, pts[n_samples // 2 :]])
        if prune is not None:
            pts = pts[~prune(pts, pts)]
        if len(pts):
            ev = enclose(pts, pts)
            lv = l_of(ev.centre_value)
            j = int(np.argmax(lv))
            if lv[j] > L:
                L, Lpt = float(lv[j]), ev.centre[j].copy()

    blo, bhi = _initial_grid(lo, hi, init_cells)
    if prune is not None:
        keep = ~prune(blo, bhi)
        blo, bhi = blo[keep], bhi[keep]
    live_lo = np.empty((0, D))
    live_hi = np.empty((0, D))
    live_u = np.empty(0)
    live_s = np.empty((0, D))
    retired_max = -np.inf
    leaves = 0
    exhausted = wall_clock_hit = False
    pend_lo, pend_hi = blo, bhi
    while True:
        # ---- evaluate pending boxes ----
        if len(pend_lo):
            ev = enclose(pend_lo, pend_hi)
            leaves += len(pend_lo)
            U = u_of(ev)
            lv = l_of(ev.centre_value)
            j = int(np.argmax(lv))
            if lv[j] > L:
                L, Lpt = float(lv[j]), ev.centre[j].copy()
            if at_points is not None:  # also a random vertex of each box (reaches the boundary)
                vtx = np.where(rng.uniform(size=pend_lo.shape) < 0.5, pend_lo, pend_hi)
                vtx, vals = rigorous_at(vtx)
                lv = l_of(vals)
                j = int(np.argmax(lv))
                if lv[j] > L:
                    L, Lpt = float(lv[j]), vtx[j].copy()
            S = ev.split_score(pend_lo, pend_hi)
            live_lo = np.concatenate([live_lo, pend_lo])
            live_hi = np.concatenate([live_hi, pend_hi])
            live_u = np.concatenate([live_u, U])
            live_s = np.concatenate([live_s, S])
        # ---- prune and retire ----
        target = eps if rel_gap is None else min(eps, (1.0 + rel_gap) * L)
        target = max(target, L)
        drop = live_u <= L
        retire = ~drop & (live_u <= target)
        if np.any(retire):
            retired_max = max(retired_max, float(live_u[retire].max()))
        keep = ~(drop | retire)
        live_lo, live_hi, live_u, live_s = live_lo[keep], live_hi[keep], live_u[keep], live_s[keep]
        if len(live_u) == 0 or L > eps:
            break
        if leaves >= max_leaves:
            exhausted = True
            break
        if time.perf_counter() - t0 > time_budget_s:
            exhausted = wall_clock_hit = True
            break
        # ---- split the worst leaves ----
        k = min(batch, len(live_u))
        if k < len(live_u):
            sel = np.argpartition(-live_u, k - 1)[:k]
        else:
            sel = np.arange(len(live_u))
        rest = np.ones(len(live_u), dtype=bool)
        rest[sel] = False
        plo, phi_, ps = live_lo[sel], live_hi[sel], live_s[sel]
        live_lo, live_hi, live_u, live_s = live_lo[rest], live_hi[rest], live_u[rest], live_s[rest]
        dim = np.argmax(ps, axis=1)
        rows = np.arange(k)
        mid = 0.5 * plo[rows, dim] + 0.5 * phi_[rows, dim]
        stuck = (mid <= plo[rows, dim]) | (mid >= phi_[rows, dim])
        if np.any(stuck):  # cannot split further in floats: keep as retired (sound)
            retired_max = max(retired_max, float(np.max(u_of(enclose(plo[stuck], phi_[stuck])))))
            plo, phi_, dim, mid = plo[~stuck], phi_[~stuck], dim[~stuck], mid[~stuck]
            rows = np.arange(len(plo))
        a_hi = phi_.copy()
        a_hi[rows, dim] = mid
        b_lo = plo.copy()
        b_lo[rows, dim] = mid
        pend_lo = np.concatenate([plo, b_lo])
        pend_hi = np.concatenate([a_hi, phi_])
        if prune is not None and len(pend_lo):
            keep = ~prune(pend_lo, pend_hi)
            pend_lo, pend_hi = pend_lo[keep], pend_hi[keep]
    live_max = float(live_u.max()) if len(live_u) else -np.inf
    upper = max(L, retired_max, live_max)
    if not np.isfinite(L):
        L = 0.0 if bound == "abs" else L
    return BnBResult(L, Lpt, upper, leaves, len(live_u), time.perf_counter() - t0, exhausted,
                     wall_clock_hit)


_FORMS = {
    "taylor": "Taylor-model enclosures of order {K} with rigorous remainders (smooth-activation "
    "networks, r of class C^{K1})",
    "interval": "mean-value and (where r, activation are C^2, or for ReLU on boxes where no unit "
    "crosses 0) second-order Taylor interval enclosures intersected with naive bounds",
    "mean-value": "mean-value interval enclosures intersected with naive bounds",
    "naive": "naive interval enclosures (r and <phi,psi> separately)",
}


def _status(lower: float, upper: float, eps: float) -> str:
    if upper <= eps:
        return CERTIFIED
    if lower > eps:
        return REFUTED
    return UNDECIDED


def _box_bounds(box, fallback) -> tuple[tuple[float, ...], tuple[float, ...]]:
    b = fallback if box is None else box
    if b is None:
        raise ValueError("no box given and the relation has none")
    if hasattr(b, "lo"):
        return tuple(map(float, b.lo)), tuple(map(float, b.hi))
    lo, hi = b
    return tuple(map(float, np.atleast_1d(lo))), tuple(map(float, np.atleast_1d(hi)))


def is_symmetric_expr(
    expr: sp.Expr, x_syms: Sequence[sp.Symbol], y_syms: Sequence[sp.Symbol]
) -> bool:
    """Whether r(x, y) = r(y, x) is provable by sympy (simultaneous swap, then simplify)."""
    if len(x_syms) != len(y_syms):
        return False
    swap = {**dict(zip(x_syms, y_syms)), **dict(zip(y_syms, x_syms))}
    diff = sp.sympify(expr) - sp.sympify(expr).xreplace(swap)
    return diff == 0 or sp.simplify(diff) == 0


def certify_sup(
    relation,
    phi_layers: Layers,
    psi_layers: Layers | None,
    activation: str,
    x_box=None,
    y_box=None,
    eps: float = 1e-2,
    *,
    time_budget_s: float = 60.0,
    max_leaves: int = 2_000_000,
    symmetric: bool = False,
    seed: int = 0,
    batch: int | None = None,
    rel_gap: float | None = None,
    n_samples: int = 4096,
    form: str = "auto",
    taylor_order: int = 5,
    device: str | None = None,
) -> Certificate:
    """Certify ``sup_{X×Y} |r(x,y) − ⟨φ(x), ψ(y)⟩| ≤ eps`` by branch and bound (ours).

    ``relation`` has ``.expr``, ``.x_syms``, ``.y_syms`` (and optionally ``.x_box``,
    ``.y_box``) as in docs/CONTRACTS.md.  ``psi_layers=None`` means ψ = φ.  Boxes are
    ``Box``-like (``.lo``, ``.hi``) or ``(lo, hi)`` pairs.  ``symmetric=True`` (needs ψ = φ,
    X = Y, and r(x,y) = r(y,x) proven by sympy) restricts the search to x_0 ≤ y_0, which
    covers everything because e(x, y) = e(y, x).  ``rel_gap`` (tightness mode) keeps
    refining until upper ≤ min(eps, (1 + rel_gap)·lower).

    Enclosure ``form``: ``"taylor"`` is the Taylor-model enclosure of :mod:`.taylor_model`
    (order ``taylor_order``; any depth, smooth activation, r of class C^{K+1});
    ``"interval"`` intersects the interval mean-value form with the second-order interval
    Taylor form when r and the activation are C² (for ReLU, on the boxes where no
    pre-activation crosses 0, where the network is affine); ``"mean-value"`` uses first
    order only; ``"naive"`` drops both (separate enclosures of r and ⟨φ, ψ⟩; for comparison
    only).  ``"auto"`` (default) takes ``"taylor"`` where it applies, else ``"interval"``.

    ``device``: ``None`` (default) evaluates the enclosures with numpy; a torch device
    (``"cpu"``, ``"cuda"``) moves a Taylor-model enclosure to the torch backend of
    :mod:`.torch_taylor` on that device (same bounds; other forms stay on numpy, and
    ``extra["backend"]`` says which ran and why).  ``batch`` (leaves split per step): 1024 by
    default, 16384 on a CUDA device (a GPU needs wide batches)."""
    expr = getattr(relation, "expr", None)
    if expr is None:
        raise ValueError("relation has no sympy expr; cannot certify")
    xs, ys = tuple(relation.x_syms), tuple(relation.y_syms)
    xlo, xhi = _box_bounds(x_box, getattr(relation, "x_box", None))
    ylo, yhi = _box_bounds(y_box, getattr(relation, "y_box", None))
    prune = None
    if symmetric:
        if psi_layers is not None:
            raise ValueError("symmetric=True needs psi_layers=None (psi = phi)")
        if (xlo, xhi) != (ylo, yhi):
            raise ValueError("symmetric=True needs x_box == y_box")
        if not is_symmetric_expr(expr, xs, ys):
            raise ValueError("symmetric=True but sympy cannot prove r(x, y) = r(y, x)")
        dx = len(xs)

        def prune(blo: np.ndarray, bhi: np.ndarray) -> np.ndarray:
            return blo[:, 0] > bhi[:, dx]  # box entirely in x_0 > y_0

    if form not in ("auto", "taylor", "interval", "mean-value", "naive"):
        raise ValueError(
            f"form must be one of 'auto', 'taylor', 'interval', 'mean-value', 'naive', not {form!r}"
        )
    t_setup = time.perf_counter()  # compiling r's derivatives counts towards the time
    enc = None
    if form in ("auto", "taylor"):
        enc = try_taylor(expr, xs, ys, phi_layers, psi_layers, activation, taylor_order)
        if enc is None and form == "taylor":
            raise ValueError(
                "form='taylor' needs networks with a smooth activation (tanh, sigmoid, "
                "softplus) and a relation with supported derivatives of order "
                f"{taylor_order + 1}"
            )
    used = "taylor" if enc is not None else ("interval" if form == "auto" else form)
    if enc is None:
        iform = "auto" if used == "interval" else used
        enc = ErrorEnclosure(expr, xs, ys, phi_layers, psi_layers, activation, form=iform)
    backend = "numpy"
    if device is not None:
        from .torch_taylor import on_device

        enc, backend = on_device(enc, expr, xs + ys, device)
    if batch is None:
        batch = 16384 if backend.startswith("torch on cuda") else 1024
    res_start = time.perf_counter()
    res = branch_and_bound(
        enc,
        xlo + ylo,
        xhi + yhi,
        eps,
        bound="abs",
        time_budget_s=time_budget_s,
        max_leaves=max_leaves,
        batch=batch,
        rel_gap=rel_gap,
        n_samples=n_samples,
        seed=seed,
        prune=prune,
    )
    setup_s = res_start - t_setup
    total_s = setup_s + res.time_s
    status = _status(res.lower, res.upper, eps)
    # no timings in the text: it is reproducible (the times are in time_s and extra.setup_s)
    method = (
        f"sup |r - <phi,psi>| <= {res.upper:.6g} by branch and bound with "
        f"{_FORMS[used].format(K=taylor_order, K1=taylor_order + 1)}, "
        f"{res.leaves} leaves"
        f"{', symmetry x0<=y0 used' if symmetric else ''}; lower bound "
        f"{res.lower:.6g} from rigorous point enclosures; {rounding_margin_text()}"
        f"{_budget_note(res)}"
    )
    return Certificate(
        status,
        res.lower,
        None if res.lower_point is None else res.lower_point.tolist(),
        res.upper,
        float(eps),
        res.leaves,
        total_s,
        method,
        res.live,
        {
            "symmetric": symmetric,
            "rel_gap": rel_gap,
            "form": used,
            "setup_s": setup_s,
            "taylor_order": taylor_order if used == "taylor" else None,
            "budget_exhausted": res.exhausted,
            "stopped_by_wall_clock": res.wall_clock_hit,
            **({} if device is None else {"backend": backend, "batch": batch}),
        },
    )


def _budget_note(res: BnBResult) -> str:
    if res.wall_clock_hit:
        return "; stopped by the wall-clock limit: not reproducible"
    return "; leaf budget exhausted" if res.exhausted else ""


def certify_psd_residual_sup(
    relation,
    phi_layers: Layers,
    activation: str,
    x_box=None,
    eps: float = 1e-2,
    *,
    time_budget_s: float = 60.0,
    max_leaves: int = 2_000_000,
    seed: int = 0,
    batch: int = 1024,
    rel_gap: float | None = None,
    n_samples: int = 4096,
) -> Certificate:
    """Shortcut for a residual e(x,y) = r(x,y) − ⟨φ(x), φ(y)⟩ that the *caller* knows to be a
    positive semi-definite kernel (truncated Mercer expansion, Nyström): then
    |e(x,y)| ≤ √(e(x,x) e(y,y)) so sup |e| = sup_x e(x,x), a search in dx dimensions
    instead of 2·dx.  PSD-ness is an assumption, not checked; the certificate says so.
    The lower bound (a value e(c,c)) is valid without it."""
    expr = getattr(relation, "expr", None)
    if expr is None:
        raise ValueError("relation has no sympy expr; cannot certify")
    xs, ys = tuple(relation.x_syms), tuple(relation.y_syms)
    xlo, xhi = _box_bounds(x_box, getattr(relation, "x_box", None))
    enc = DiagonalEnclosure(expr, xs, ys, phi_layers, activation)
    res = branch_and_bound(
        enc,
        xlo,
        xhi,
        eps,
        bound="upper",
        time_budget_s=time_budget_s,
        max_leaves=max_leaves,
        batch=batch,
        rel_gap=rel_gap,
        n_samples=n_samples,
        seed=seed,
    )
    lower = max(res.lower, 0.0)
    upper = max(res.upper, 0.0)
    status = _status(lower, upper, eps)
    pt = None if res.lower_point is None else list(res.lower_point.tolist()) * 2
    method = (
        f"ASSUMING the residual is PSD (caller's claim): sup |e| = sup_x e(x,x) <= {upper:.6g} "
        f"by branch and bound over X with mean-value interval enclosures, {res.leaves} leaves; "
        f"{rounding_margin_text()}{_budget_note(res)}"
    )
    return Certificate(
        status,
        lower,
        pt,
        upper,
        float(eps),
        res.leaves,
        res.time_s,
        method,
        res.live,
        {"assumes_psd_residual": True, "budget_exhausted": res.exhausted,
         "stopped_by_wall_clock": res.wall_clock_hit},
    )
