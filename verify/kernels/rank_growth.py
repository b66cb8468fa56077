r"""How the feature rank a kernel needs grows as ε falls: Schmidt rank and the EYM floor.

For each ε of a ladder (e.g. 1e-1 … 1e-8) two ranks are computed with the existing spectra code:

* the **Schmidt rank** r*(ε): the smallest m whose truncated singular-value expansion (Nyström
  quadrature, :func:`verify.spectra.schmidt`) has sampled sup error ≤ ε
  (:func:`verify.spectra.truncation_rank`): an upper estimate, sampled;
* the **Eckart–Young–Mirsky floor** m_min(ε) (:func:`verify.spectra.min_rank_for`): no feature
  map with fewer than m_min(ε) features reaches sup error ε (rigorous lower bound).

A finite-rank kernel :math:`\sum_{i \le R} f_i(x) g_i(y)` has both ranks ≤ R for every ε; an
infinite-dimensional one makes m_min(ε) grow without bound as ε → 0. Finitely many ε only ever
prove a finite lower bound, so "keeps growing" is evidence, stated as such. For a polynomial
relation the exact rank is decided by sympy: it is the rank of the coefficient matrix
:math:`C_{ab}` of :math:`r = \sum_{a,b} C_{ab}\, x^a y^b` (ours; classical linear algebra).
The growth law m ≈ a · L^c, L = log(1/ε), is a least-squares fit in log–log (a measurement).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy

from verify.relations.base import Relation


@dataclass
class RankLadder:
    eps: list[float]
    schmidt_rank: list[int | None]  # None: no kept singular value reaches ε
    eym_floor: list[int]
    singular_values: list[float]
    kept: int
    point_sets: list[str] = field(default_factory=list)
    errors_by_rank: list[float] = field(default_factory=list)

    def non_decreasing(self) -> bool:
        s = [self.kept + 1 if r is None else r for r in self.schmidt_rank]
        return all(a <= b for a, b in zip(s, s[1:])) and all(
            a <= b for a, b in zip(self.eym_floor, self.eym_floor[1:]))

    def growth_fit(self) -> dict:
        """Least-squares fit m_min ≈ a · log(1/ε)^c on the ε with m_min > 0."""
        L = np.log(1.0 / np.asarray(self.eps))
        m = np.asarray(self.eym_floor, dtype=float)
        ok = m > 0
        if ok.sum() < 2:
            return {"a": None, "c": None, "points": int(ok.sum())}
        c, log_a = np.polyfit(np.log(L[ok]), np.log(m[ok]), 1)
        return {"law": "m_min ≈ a·log(1/ε)^c (least squares in log-log; a measurement)",
                "a": float(np.exp(log_a)), "c": float(c), "points": int(ok.sum())}

    def to_dict(self) -> dict:
        return {"eps": self.eps, "schmidt_rank": self.schmidt_rank, "eym_floor": self.eym_floor,
                "singular_values": self.singular_values[:30], "kept": self.kept,
                "eym_point_sets": self.point_sets, "schmidt_errors_by_rank": self.errors_by_rank,
                "non_decreasing": self.non_decreasing(), "growth": self.growth_fit()}


def rank_ladder(relation: Relation, eps_list, seed: int, n_per_dim: int | None = None,
                grid_k: int | None = None, k: int = 60) -> RankLadder:
    """Schmidt rank and EYM floor for each ε in ``eps_list`` (decreasing ε).

    One quadrature spectrum and one pass of truncation errors serve every ε; the EYM floor uses
    :func:`verify.spectra.lower_bounds.default_point_sets` and
    :func:`verify.spectra.rank_lower_bounds` (one SVD per point set), i.e. exactly
    ``min_rank_for(relation, eps, seed=seed, optimise=False).m_min`` for every ε at once.
    """
    from verify.spectra import rank_lower_bounds, schmidt, truncation_errors
    from verify.spectra.lower_bounds import default_point_sets

    spectrum = schmidt(relation, n_per_dim, k=k)
    errors = truncation_errors(relation, spectrum, grid_k)
    schmidt_ranks = []
    for eps in eps_list:
        hits = np.nonzero(errors <= eps)[0]
        schmidt_ranks.append(int(hits[0]) if len(hits) else None)
    bounds = [(label, rank_lower_bounds(relation.gram(X, Y)))
              for label, X, Y in default_point_sets(relation, seed)]
    floors, where = [], []
    for eps in eps_list:
        label, m = max(((lab, int(np.sum(b > eps))) for lab, b in bounds), key=lambda t: t[1])
        floors.append(m)
        where.append(label)
    ladder = RankLadder([float(e) for e in eps_list], schmidt_ranks, floors,
                        [float(v) for v in spectrum.singular_values], spectrum.k)
    ladder.point_sets = where
    ladder.errors_by_rank = [float(e) for e in errors[:40]]
    return ladder


def exact_polynomial_rank(relation: Relation) -> int | None:
    """The exact separation rank of a polynomial relation (sympy), or None if not polynomial."""
    expr = relation.expr
    syms = (*relation.x_syms, *relation.y_syms)
    if expr is None or not expr.is_polynomial(*syms):
        return None
    poly = sympy.Poly(sympy.expand(expr), *syms)
    nx = len(relation.x_syms)
    rows: dict[tuple, dict[tuple, sympy.Expr]] = {}
    for mono, c in poly.as_dict().items():
        rows.setdefault(mono[:nx], {})[mono[nx:]] = c
    cols = sorted({b for r in rows.values() for b in r})
    C = sympy.Matrix([[rows[a].get(b, 0) for b in cols] for a in sorted(rows)])
    return int(C.rank())
