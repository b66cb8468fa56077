r"""Rigorous lower bounds on how well low-rank and PSD models can fit a relation.

**Rank bound** (Eckart–Young–Mirsky, as in docs/math.md). For points :math:`x_1..x_n`,
:math:`y_1..y_{n'}` and :math:`K_{ij} = r(x_i, y_j)` with singular values
:math:`\sigma_1 \ge \sigma_2 \ge \dots`, every matrix :math:`A` of rank :math:`\le m` has
:math:`\|K - A\|_F \ge (\sum_{i>m} \sigma_i^2)^{1/2}`, and since
:math:`\|M\|_F \le \sqrt{n n'} \max_{ij} |M_{ij}|`,

.. math:: \max_{ij} |K - A|_{ij} \ge \Big(\sum_{i>m} \sigma_i^2\Big)^{1/2} \Big/ \sqrt{n n'}.

The Gram matrix of an inner-product model :math:`\langle\phi(x), \psi(y)\rangle` with
:math:`m`-dimensional features has rank :math:`\le m`, so the right side bounds its sup error
from below. For a symmetric :math:`K` the singular values are the :math:`|\lambda_i|` and
:math:`\sqrt{n n'} = n`.

**PSD bound** (Weyl, as in docs/math.md). If :math:`\lambda_{\min}(K) < 0` for a symmetric Gram
matrix, every PSD :math:`G` has :math:`\|K - G\|_2 \ge |\lambda_{\min}|`, hence
:math:`\max_{ij}|K - G|_{ij} \ge |\lambda_{\min}|/n`: no :math:`\langle\phi(x), \phi(y)\rangle`
reaches a sup error below that.

**Floating point** (ours). Both bounds are computed from float64 matrices. We subtract margins:
the SVD/eigensolver is backward stable (results exact for :math:`K + E` with
:math:`\|E\|_2 \lesssim p(n)\,\epsilon\,\|K\|_2`; we take :math:`p(n) = 4\max(n, n')`, a standard
but not proven constant), and each entry of :math:`K` is assumed within :math:`4\epsilon|K|_{\max}`
of the true :math:`r(x_i, y_j)` (a few-ulp libm assumption). The ``certified`` numbers below are
the bounds after these margins. The mathematics (EYM, the norm inequality, Weyl) is proven; the
two floating-point constants are assumptions, not proven here, so every label says so
(:data:`EYM_MARGIN_LABEL`); :mod:`verify.spectra.rigorous_rank` proves the rank bound on a given
point set instead (arb enclosure of the SVD error).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.optimize

from verify.relations.base import Relation
from verify.relations.domain import Box

EPS = float(np.finfo(np.float64).eps)

#: how the floating-point margin of the rank bound is justified (stated in every result)
EYM_MARGIN_LABEL = (
    "floating-point margin from a standard backward-stable-SVD constant and a few-ulp libm "
    "assumption (not proven here)"
)


# --------------------------------------------------------------------------- rank bound
def _rank_bounds(sig: np.ndarray, n: int, n2: int, kmax: float) -> np.ndarray:
    """Certified bounds for every m = 0..len(sig) (last entry 0) from singular values."""
    tails = np.sqrt(np.append(np.cumsum((sig**2)[::-1])[::-1], 0.0))  # tails[m] = |sig[m:]|
    svd_margin = 4.0 * max(n, n2) * np.sqrt(min(n, n2)) * EPS * (sig[0] if len(sig) else 0.0)
    entry_margin = 4.0 * EPS * kmax
    return np.maximum(0.0, (tails - svd_margin) / np.sqrt(n * n2) - entry_margin)


def rank_lower_bounds(K: np.ndarray) -> np.ndarray:
    """``bounds[m]`` for ``m = 0..min(n, n')``: see :func:`rank_lower_bound`."""
    K = np.asarray(K, dtype=np.float64)
    if K.ndim != 2 or K.size == 0:
        raise ValueError(f"K must be a non-empty matrix, got shape {K.shape}")
    sig = scipy.linalg.svdvals(K)
    return _rank_bounds(sig, K.shape[0], K.shape[1], float(np.abs(K).max()))


def rank_lower_bound(K: np.ndarray, m: int) -> float:
    r"""Lower bound on :math:`\max_{ij}|K - A|_{ij}` over all :math:`A` of rank :math:`\le m`.

    :math:`(\sum_{i>m}\sigma_i^2)^{1/2}/\sqrt{n n'}` (Eckart–Young–Mirsky; the max-entry step
    is the norm inequality :math:`\|M\|_F \le \sqrt{nn'}\max|M_{ij}|`), minus the floating-point
    margins of the module docstring. 0 when ``m >= rank``.
    """
    if m < 0:
        raise ValueError(f"m must be >= 0, got {m}")
    bounds = rank_lower_bounds(K)
    return float(bounds[min(m, len(bounds) - 1)])


@dataclass
class RankBound:
    """Outcome of :func:`min_rank_for`: no model of rank ``< m_min`` reaches sup error ``eps``.

    ``X``, ``Y`` are the point set that gave the strongest bound (``label`` says which),
    ``singular_values`` its Gram matrix's, ``tail`` the sum of :math:`\\sigma_i^2` for
    ``i > m_min - 1`` (None when ``m_min == 0``).
    """

    eps: float
    m_min: int
    X: np.ndarray
    Y: np.ndarray
    label: str
    singular_values: np.ndarray
    kmax: float
    tail: float | None
    n: int
    n_prime: int
    tried: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def margin_label(self) -> str:
        """What the floating-point margin rests on (:data:`EYM_MARGIN_LABEL`)."""
        return EYM_MARGIN_LABEL

    def bound_for(self, m: int) -> float:
        """Lower bound on the sup error of any rank-``<= m`` model, on these points (margins as
        in :data:`EYM_MARGIN_LABEL`)."""
        b = _rank_bounds(self.singular_values, self.n, self.n_prime, self.kmax)
        return float(b[min(m, len(b) - 1)])

    def to_dict(self) -> dict:
        return {
            "eps": self.eps,
            "m_min": self.m_min,
            "label": self.label,
            "n": self.n,
            "n_prime": self.n_prime,
            "tail": self.tail,
            "bound_at_m_min_minus_1": self.bound_for(self.m_min - 1) if self.m_min else None,
            "X": self.X.tolist(),
            "Y": self.Y.tolist(),
            "point_sets_tried": self.tried,
            "notes": self.notes,
        }


def _grid_sizes(dim: int) -> list[int]:
    return {
        1: [2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 20, 24, 32, 48, 64],
        2: [2, 3, 4, 5, 6, 8, 10],
    }.get(dim, [2, 3, 4])


def chebyshev_grid(box: Box, k: int) -> np.ndarray:
    """Tensor grid of ``k`` Chebyshev–Lobatto points per axis (clustered at the faces)."""
    t = np.cos(np.pi * np.arange(k)[::-1] / (k - 1)) if k > 1 else np.zeros(1)
    axes = [lo + (t + 1.0) * (hi - lo) / 2.0 for lo, hi in zip(box.lo, box.hi)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def default_point_sets(
    relation: Relation, seed: int = 0
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Equispaced and Chebyshev grids of several sizes, then seeded random sets (ours).

    Small sets matter: the bound divides by :math:`\\sqrt{nn'}`.
    """
    rng = np.random.default_rng(seed)
    sets: list[tuple[str, np.ndarray, np.ndarray]] = []
    for kind, make in (("grid", Box.grid), ("chebyshev", chebyshev_grid)):
        for k in _grid_sizes(max(relation.dx, relation.dy)):
            X = make(relation.x_box, k)
            Y = X if relation.symmetric else make(relation.y_box, k)
            sets.append((f"{kind}({k})", X, Y))
    for n in (4, 8, 16, 32):
        for t in range(3):
            X = relation.x_box.sample(n, rng)
            Y = X if relation.symmetric else relation.y_box.sample(n, rng)
            sets.append((f"random(n={n}, try={t})", X, Y))
    return sets


def _evaluate(
    relation: Relation, eps: float, label: str, X: np.ndarray, Y: np.ndarray
) -> RankBound:
    K = relation.gram(X, Y)
    sig = scipy.linalg.svdvals(K)
    kmax = float(np.abs(K).max())
    bounds = _rank_bounds(sig, K.shape[0], K.shape[1], kmax)
    m_min = int(np.sum(bounds > eps))  # bounds decrease in m: refuted ranks are 0..m_min-1
    tail = float(np.sum(sig[m_min - 1 :] ** 2)) if m_min else None
    return RankBound(eps, m_min, X, Y, label, sig, kmax, tail, K.shape[0], K.shape[1])


def _optimise_rank_points(
    relation: Relation, m: int, X0: np.ndarray, Y0: np.ndarray, maxiter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Locally maximise the (margin-free) rank-``m`` bound over the point positions (L-BFGS-B).

    The optimiser may merge points; repeated points are allowed (the bound holds for any list of
    points, a repeat just weights that point more).
    """
    sym = relation.symmetric and X0 is Y0
    nx, dx, ny, dy = X0.shape[0], relation.dx, Y0.shape[0], relation.dy

    def split(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = z[: nx * dx].reshape(nx, dx)
        return (X, X) if sym else (X, z[nx * dx :].reshape(ny, dy))

    def f(z: np.ndarray) -> float:
        X, Y = split(z)
        sig = scipy.linalg.svdvals(relation.gram(X, Y))
        return -float(np.sqrt(np.sum(sig[m:] ** 2))) / np.sqrt(len(X) * len(Y))

    def box_bounds(box: Box, n: int) -> list[tuple[float, float]]:
        return [(lo, hi) for _ in range(n) for lo, hi in zip(box.lo, box.hi)]

    z0 = X0.ravel() if sym else np.concatenate([X0.ravel(), Y0.ravel()])
    bnds = box_bounds(relation.x_box, nx) + ([] if sym else box_bounds(relation.y_box, ny))
    res = scipy.optimize.minimize(
        f, z0, method="L-BFGS-B", bounds=bnds, options={"maxiter": maxiter}
    )
    lo = np.array([b[0] for b in bnds])
    hi = np.array([b[1] for b in bnds])
    return split(np.clip(res.x, lo, hi))


def min_rank_for(
    relation: Relation,
    eps: float,
    point_sets: Iterable[tuple[np.ndarray, np.ndarray]] | None = None,
    seed: int = 0,
    optimise: bool = True,
    extra_points: int = 6,
    max_vars: int = 400,
) -> RankBound:
    """The smallest feature dimension that the rank bound allows for sup error ``eps``.

    For each point set the bound refutes every rank ``m`` with ``bound(m) > eps``; ``m_min`` is
    the largest refuted rank plus one, maximised over the point sets (default:
    :func:`default_point_sets`; ``point_sets`` may be given as ``(X, Y)`` pairs).

    With ``optimise`` (ours, a heuristic search: it can only strengthen the certificate, the
    bound itself is recomputed with margins at the final points), the next rank ``m = m_min``
    is attacked by L-BFGS-B on the positions of ``m + 1 .. m + extra_points`` points started
    from equispaced and Chebyshev grids; on success ``m_min`` grows and the search repeats.
    """
    if point_sets is None:
        labelled = default_point_sets(relation, seed)
    else:
        labelled = [
            (f"given[{i}]", np.asarray(X), np.asarray(Y)) for i, (X, Y) in enumerate(point_sets)
        ]
    best: RankBound | None = None
    for label, X, Y in labelled:
        cand = _evaluate(relation, eps, label, X, Y)
        if best is None or cand.m_min > best.m_min:
            best = cand
    assert best is not None, "no point sets"
    tried = len(labelled)
    rng = np.random.default_rng(seed)
    while optimise:
        m, improved = best.m_min, False
        for n in range(m + 1, m + 1 + extra_points):
            if n * (relation.dx + (0 if relation.symmetric else relation.dy)) > max_vars:
                break
            for kind, X0, Y0 in _starts(relation, n, rng):
                X, Y = _optimise_rank_points(relation, m, X0, Y0)
                tried += 1
                cand = _evaluate(relation, eps, f"optimised({kind}, n={n}, rank {m})", X, Y)
                if cand.m_min > best.m_min:
                    best, improved = cand, True
                    break
            if improved:
                break
        if not improved:
            break
    best.tried = tried
    best.notes.append(
        "bound on the sampled points only; it lower-bounds the sup over the boxes. "
        "Margins: a backward-stable-SVD constant 4 max(n,n') sqrt(min(n,n')) eps sigma_1 and a "
        "few-ulp libm assumption (standard, not proven here)."
    )
    return best


def _start_points(box: Box, n: int, rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    """Start sets of ``n`` points: equispaced and Chebyshev in 1-D, a grid when n = k^d, random."""
    if box.dim == 1:
        return [("equispaced", box.grid(n)), ("chebyshev", chebyshev_grid(box, n))]
    starts = [("random", box.sample(n, rng)), ("random", box.sample(n, rng))]
    k = round(n ** (1.0 / box.dim))
    if k**box.dim == n:
        starts.insert(0, ("grid", box.grid(k)))
    return starts


def _starts(relation: Relation, n: int, rng: np.random.Generator):
    xs = _start_points(relation.x_box, n, rng)
    if relation.symmetric:
        return [(kind, X, X) for kind, X in xs]
    ys = _start_points(relation.y_box, n, rng)
    return [(kx, X, Y) for (kx, X), (_, Y) in zip(xs, ys)]


# ------------------------------------------------------------------------- PSD witness
@dataclass
class Witness:
    r"""A point set whose symmetric Gram matrix has :math:`\lambda_{\min} < 0`.

    ``weyl_bound = |lambda_min| / n``: every PSD model :math:`\langle\phi(x),\phi(y)\rangle` has
    sup error at least this on the points. ``certified_bound`` subtracts the floating-point
    margin ``delta`` (see the module docstring); ``lambda_min`` was recomputed with
    ``scipy.linalg.eigvalsh`` in float64 and is reported only if below ``-tolerance``
    (``tolerance = 100 delta``).
    """

    points: np.ndarray
    lambda_min: float
    n: int
    weyl_bound: float
    certified_bound: float
    delta: float
    tolerance: float
    method: str
    gram: np.ndarray

    def to_dict(self) -> dict:
        return {
            "points": self.points.tolist(),
            "lambda_min": self.lambda_min,
            "n": self.n,
            "weyl_bound": self.weyl_bound,
            "certified_bound": self.certified_bound,
            "delta": self.delta,
            "tolerance": self.tolerance,
            "method": self.method,
            "gram": self.gram.tolist(),
            "note": "lambda_min recomputed with scipy.linalg.eigvalsh (float64); reported only "
            "below -100 delta, delta = 8 n^2 eps max|K| (eigensolver + entry rounding).",
        }


def _float_margin(K: np.ndarray) -> float:
    n = K.shape[0]
    return 8.0 * n * n * EPS * max(float(np.abs(K).max()), EPS)


def check_witness(relation: Relation, P: np.ndarray, method: str = "given") -> Witness | None:
    """The witness at points ``P`` if their Gram matrix clears the negative tolerance, else None."""
    K = relation.gram(P, P)
    K = (K + K.T) / 2.0
    lam = float(scipy.linalg.eigvalsh(K, subset_by_index=[0, 0])[0])
    delta = _float_margin(K)
    tol = 100.0 * delta
    if not lam < -tol:
        return None
    n = len(P)
    return Witness(P.copy(), lam, n, -lam / n, (-lam - delta) / n, delta, tol, method, K)


def _candidates(relation: Relation, rng: np.random.Generator, tries: int):
    box = relation.x_box
    base = np.vstack([box.corners(), box.center[None, :]])
    for p in base:  # n = 1: a negative diagonal entry
        yield "point", p[None, :]
    pool = np.unique(np.vstack([base, box.grid(5 if box.dim == 1 else 3)]), axis=0)
    for i in range(len(pool)):  # pairs among corners / coarse grid points
        for j in range(i + 1, len(pool)):
            yield "pair", pool[[i, j]]
    for k in range(2, 13):
        if k**box.dim > 512:
            break
        yield f"grid({k})", box.grid(k)
        yield f"chebyshev({k})", chebyshev_grid(box, k)
    sizes = (2, 3, 4, 6, 8, 12, 16)
    for t in range(tries):
        yield "random", box.sample(sizes[t % len(sizes)], rng)


def _optimise(relation: Relation, P0: np.ndarray, maxiter: int = 60) -> np.ndarray:
    """Locally minimise lambda_min(K(P)) / n over points P in the box (L-BFGS-B)."""
    box, n, d = relation.x_box, P0.shape[0], P0.shape[1]

    def f(z: np.ndarray) -> float:
        P = z.reshape(n, d)
        K = relation.gram(P, P)
        return float(np.linalg.eigvalsh((K + K.T) / 2.0)[0]) / n

    bounds = [(lo, hi) for _ in range(n) for lo, hi in zip(box.lo, box.hi)]
    res = scipy.optimize.minimize(
        f, P0.ravel(), method="L-BFGS-B", bounds=bounds, options={"maxiter": maxiter}
    )
    return np.clip(res.x.reshape(n, d), box.lo_array, box.hi_array)


def negative_eigenvalue_witness(
    relation: Relation, seed: int = 0, tries: int = 200, optimise: bool = True
) -> Witness | None:
    """Search for points where the symmetric Gram matrix of ``relation`` has a negative eigenvalue.

    Order (ours): single points (corners, centre: a negative ``r(x, x)``), pairs of corners and
    coarse-grid points, equispaced and Chebyshev grids (up to 512 points), ``tries`` seeded
    random sets of 2..16 points; then, if ``optimise``, L-BFGS-B on the points of the best small
    candidates (n <= 4) to push ``lambda_min / n`` down. Returns the witness with the largest
    certified bound, or None if nothing clears the rounding tolerance (no witness is *not* a
    proof of positive definiteness).
    """
    if not relation.symmetric:
        raise ValueError(f"{relation.name} is not symmetric: PSD witnesses need r(x,y) = r(y,x)")
    rng = np.random.default_rng(seed)
    best: Witness | None = None
    small: list[tuple[float, np.ndarray]] = []
    for method, P in _candidates(relation, rng, tries):
        w = check_witness(relation, P, method)
        if w is not None and (best is None or w.certified_bound > best.certified_bound):
            best = w
        if optimise and 2 <= len(P) <= 4:
            K = relation.gram(P, P)
            small.append((float(np.linalg.eigvalsh((K + K.T) / 2.0)[0]) / len(P), P))
    if optimise and small:
        small.sort(key=lambda t: t[0])
        for _, P0 in small[:4]:
            w = check_witness(relation, _optimise(relation, P0), "optimised")
            if w is not None and (best is None or w.certified_bound > best.certified_bound):
                best = w
    return best


def psd_gap_bound(K: np.ndarray) -> float:
    r"""Weyl bound :math:`\max(0, -\lambda_{\min}(K))/n` for a symmetric matrix (no margins)."""
    K = np.asarray(K, dtype=np.float64)
    lam = float(scipy.linalg.eigvalsh((K + K.T) / 2.0, subset_by_index=[0, 0])[0])
    return max(0.0, -lam) / K.shape[0]


__all__: Sequence[str] = [
    "RankBound",
    "Witness",
    "chebyshev_grid",
    "check_witness",
    "default_point_sets",
    "min_rank_for",
    "negative_eigenvalue_witness",
    "psd_gap_bound",
    "rank_lower_bound",
    "rank_lower_bounds",
]
