r"""A rigorous Eckart–Young–Mirsky bound: the SVD error enclosed instead of assumed (ours).

:func:`verify.spectra.lower_bounds.min_rank_for` subtracts a *standard but unproven*
backward-error constant for the SVD. Here the same bound is proven on a given point set, for one
rank :math:`m`, with python-flint's ``arb`` balls:

1. **Entries.** :math:`K_{ab} = r(x_a, y_b)` is enclosed by outward-rounded interval evaluation
   of the relation's sympy expression (:func:`verify.certify.sym_interval.compile_interval`; its
   libm margin 2^{-40} is the one premise, docs/math.md "Interval arithmetic with outward
   rounding"); :math:`\hat K` is the float Gram matrix, :math:`|K - \hat K| \le \rho` entrywise.
2. **Float SVD.** :math:`\hat K \approx U S V^\top` (``scipy.linalg.svd``, thin). In ``arb``:
   :math:`\Delta = \|\hat K - U S V^\top\|_F`, :math:`\eta_U = \|U^\top U - I\|_F`,
   :math:`\eta_V = \|V^\top V - I\|_F` (upper bounds).
3. **Bound** (classical inequalities, assembled by us). For :math:`\tilde K = U S V^\top` with
   :math:`\eta_U, \eta_V < 1`, :math:`\sigma_{\min}(U) \ge \sqrt{1 - \eta_U}` (Weyl on
   :math:`U^\top U`), so :math:`\sigma_i(\tilde K) \ge \sqrt{(1-\eta_U)(1-\eta_V)}\, s_i` and
   every :math:`A` of rank :math:`\le m` has
   :math:`\|\tilde K - A\|_F \ge \sqrt{(1-\eta_U)(1-\eta_V)}\,(\sum_{i>m} s_i^2)^{1/2}`
   (Eckart–Young–Mirsky for :math:`\tilde K`). By the triangle inequality
   :math:`\|K - A\|_F \ge \|\tilde K - A\|_F - \|K - \tilde K\|_F`, and
   :math:`\|K - \tilde K\|_F \le \|\rho\|_F + \Delta`; finally
   :math:`\max_{ab}|K - A|_{ab} \ge \|K - A\|_F / \sqrt{n n'}`.

.. math::

    \max_{ab} |K - A|_{ab} \ \ge\ \frac{\sqrt{(1-\eta_U)(1-\eta_V)}\,
    (\sum_{i>m} s_i^2)^{1/2} - \|\rho\|_F - \Delta}{\sqrt{n n'}}

Every quantity is an ``arb`` ball; the returned float is rounded down.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg


def _fro_upper(M) -> "object":
    """An arb upper bound on the Frobenius norm of an arb_mat (as an arb ball)."""
    import flint

    total = flint.arb(0)
    for i in range(M.nrows()):
        for j in range(M.ncols()):
            u = abs(M[i, j]).upper()  # an exact upper bound on |M_ij| (a ball around 0
            total += u * u  # would give sqrt = nan; v ** 2 of a negative ball is nan too)
    return total.upper().sqrt()


def entry_radius(relation, X: np.ndarray, Y: np.ndarray, K: np.ndarray) -> np.ndarray | None:
    """ρ with |r(x_a, y_b) − K_ab| ≤ ρ_ab, from interval evaluation of ``relation.expr``;
    ``None`` when the relation has no sympy expression or an unsupported node."""
    from verify.certify.interval import Interval
    from verify.certify.sym_interval import UnsupportedNode, compile_interval

    if relation.expr is None:
        return None
    syms = list(relation.x_syms) + list(relation.y_syms)
    try:
        f = compile_interval(relation.expr, syms)
    except (UnsupportedNode, ValueError):
        return None
    n, n2 = len(X), len(Y)
    Z = np.concatenate([np.repeat(X, n2, axis=0), np.tile(Y, (n, 1))], axis=1)
    out = f(Interval.point(Z))
    lo, hi = out.lo.reshape(n, n2), out.hi.reshape(n, n2)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        return None
    return np.maximum(hi - K, K - lo)


def rigorous_rank_bound(relation, X: np.ndarray, Y: np.ndarray, m: int) -> float | None:
    """A proven lower bound on max_ab |r(x_a, y_b) − A_ab| over every A of rank ≤ ``m``
    (module docstring); ``None`` when the entries cannot be enclosed."""
    import flint

    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    K = relation.gram(X, Y)
    rho = entry_radius(relation, X, Y, K)
    if rho is None:
        return None
    U, s, Vt = scipy.linalg.svd(K, full_matrices=False)
    Ua, Va = flint.arb_mat(U.tolist()), flint.arb_mat(Vt.T.tolist())
    k = len(s)
    Sa = flint.arb_mat(k, k)
    for i in range(k):
        Sa[i, i] = flint.arb(float(s[i]))
    delta = _fro_upper(flint.arb_mat(K.tolist()) - Ua * Sa * Va.transpose())
    eye = flint.arb_mat(k, k)
    for i in range(k):
        eye[i, i] = flint.arb(1)
    eta_u = _fro_upper(Ua.transpose() * Ua - eye)
    eta_v = _fro_upper(Va.transpose() * Va - eye)
    if not (eta_u < 1 and eta_v < 1):
        return None
    tail = flint.arb(0)
    for i in range(min(m, k), k):
        tail += flint.arb(float(s[i])) * flint.arb(float(s[i]))
    rho_f = flint.arb(0)
    for v in rho.ravel():
        rho_f += flint.arb(float(v)) * flint.arb(float(v))
    scale = ((1 - eta_u) * (1 - eta_v)).sqrt()
    bound = (scale * tail.sqrt() - rho_f.sqrt() - delta) / flint.arb(len(X) * len(Y)).sqrt()
    lower = float(bound.lower())  # arb's lower endpoint, as a float rounded down
    lower = math.nextafter(lower, -math.inf)
    return max(0.0, lower)
