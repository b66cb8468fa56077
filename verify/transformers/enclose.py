"""Certified sup |f − t| for a small residual transformer over a box of inputs (ours).

f is the real-number function defined by the float64 weights of a
:class:`~verify.transformers.model.TokenTransformer` (rounding of torch's own evaluation is
not part of it); t is a sympy target. For a box Q with centre c and half-widths r, the
mean-value form with an interval Jacobian J_e(Q) ⊇ {∂e/∂x : x ∈ Q} of e = f − t gives

.. math::

    \\sup_{x \\in Q} |e_i(x)| \\le
        \\operatorname{mag}\\Big(e_i(c) + \\sum_k J_{e,ik}(Q)\\,[-r_k, r_k]\\Big),

intersected with the direct enclosure e_i(Q). f(Q), J_f(Q) come from forward-mode interval
arithmetic (:class:`Dual`: an :class:`~verify.certify.interval.Interval` value and its
interval derivatives, outward-rounded) through embedding, softmax/RBF attention (written
α_ij = 1/Σ_l exp(s_il − s_ij), the l = j term exactly 1; RBF scores without the ‖q_i‖²
term, which cancels), tanh feed-forward and read-out; t(Q) and ∇t(Q) from
:mod:`verify.certify.sym_interval`. Branch and bound (:func:`certify_box`) halves the widest
side (ties: largest |J|·r) of every box whose bound exceeds ε, until all are below ε
(certified) or the leaf budget is spent (undecided, with the worst live box); boxes that miss
the sorted region x_0 ≥ … ≥ x_{n−1} are dropped (:func:`_unsorted`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from verify.certify.interval import Interval, isum, matvec
from verify.certify.sym_interval import compile_gradient, compile_interval
from verify.transformers.model import Target


def _ex(iv: Interval, axis: int = -1) -> Interval:
    return Interval(np.expand_dims(iv.lo, axis), np.expand_dims(iv.hi, axis))


@dataclass
class Dual:
    """Value (…,) and derivatives (…, K) with respect to the K inputs, both intervals."""

    val: Interval
    der: Interval

    def __add__(self, o: Dual) -> Dual:
        return Dual(self.val + o.val, self.der + o.der)

    def __sub__(self, o: Dual) -> Dual:
        return Dual(self.val - o.val, self.der - o.der)

    def __mul__(self, o: Dual) -> Dual:
        return Dual(self.val * o.val, self.der * _ex(o.val) + _ex(self.val) * o.der)

    def scale(self, c: Interval) -> Dual:
        return Dual(self.val * c, self.der * c)

    def index(self, idx) -> Dual:
        return Dual(self.val[idx], self.der[idx + (slice(None),)])

    def sum(self, axis: int) -> Dual:
        return Dual(isum(self.val, axis), isum(self.der, axis - 1 if axis < 0 else axis))

    def exp(self) -> Dual:
        v = self.val.exp()
        return Dual(v, self.der * _ex(v))

    def tanh(self) -> Dual:
        v = self.val.tanh()
        return Dual(v, self.der * _ex(v.tanh_prime_from_values()))

    def reciprocal(self) -> Dual:
        v = self.val.reciprocal()
        return Dual(v, -(self.der * _ex(v.square())))

    def linear(self, W: np.ndarray, b: np.ndarray | None = None) -> Dual:
        """x ↦ W x + b on the last (feature) axis."""
        d = self.der
        dT = Interval(np.swapaxes(d.lo, -1, -2), np.swapaxes(d.hi, -1, -2))
        out = matvec(W, dT)
        return Dual(matvec(W, self.val, b),
                    Interval(np.swapaxes(out.lo, -1, -2), np.swapaxes(out.hi, -1, -2)))


def _attention(h: Dual, blk: dict, kind: str, gamma: float) -> Dual:
    q, k, v = h.linear(blk["q"]), h.linear(blk["k"]), h.linear(blk["v"])  # (B, n, m)
    qi = q.index((slice(None), slice(None), None, slice(None)))  # (B, n, 1, m)
    kj = k.index((slice(None), None, slice(None), slice(None)))  # (B, 1, n, m)
    m = q.val.shape[-1]
    if kind == "softmax":
        s = (qi * kj).sum(-1).scale(Interval.point(float(m)).sqrt().reciprocal())
    else:
        # −γ‖q_i − k_j‖² = −γ‖q_i‖² − γ(‖k_j‖² − 2 q_iᵀk_j): the first term is the same for
        # every j and cancels in the normalisation, so it is dropped (same α, less dependency)
        s = ((kj * kj).sum(-1) - (qi * kj).sum(-1).scale(Interval.point(2.0))).scale(
            Interval.point(-float(gamma)))
    # α_ij = 1 / Σ_l exp(s_il − s_ij) with the l = j term exactly exp(0) = 1: less dependency
    # than exp(s_ij) / Σ_l exp(s_il)
    sil = s.index((slice(None), slice(None), None, slice(None)))  # (B, i, 1, l)
    sij = s.index((slice(None), slice(None), slice(None), None))  # (B, i, j, 1)
    diff = sil - sij  # (B, i, j, l)
    n = diff.val.shape[-1]
    diag = np.eye(n, dtype=bool)[None, None]  # l == j
    zero = lambda a: np.where(diag, 0.0, a)  # noqa: E731
    diff = Dual(Interval(zero(diff.val.lo), zero(diff.val.hi)),
                Interval(np.where(diag[..., None], 0.0, diff.der.lo),
                         np.where(diag[..., None], 0.0, diff.der.hi)))
    alpha = diff.exp().sum(-1).reciprocal()  # (B, i, j)
    a = alpha.index((slice(None), slice(None), slice(None), None))  # (B, i, j, 1)
    vj = v.index((slice(None), None, slice(None), slice(None)))  # (B, 1, j, m)
    return h + (a * vj).sum(-2)


def model_dual(w: dict, X: Interval) -> Dual:
    """f over boxes X (B, n) with derivatives w.r.t. the n inputs: shapes (B, n), (B, n, n)."""
    B, n = X.shape
    eye = np.broadcast_to(np.eye(n), (B, n, n))
    x = Dual(_ex(X), Interval.point(eye[:, :, None, :].copy()))  # (B, n, 1), (B, n, 1, n)
    h = x.linear(*w["embed"])
    for blk in w["blocks"]:
        h = _attention(h, blk, w["kind"], w["gamma"])
        h = h + h.linear(*blk["ff1"]).tanh().linear(*blk["ff2"])
    y = h.linear(*w["out"])
    return y.index((slice(None), slice(None), 0))


class ErrorBound:
    """Mean-value bound of max_i |f_i − t_i| over boxes (see the module docstring)."""

    def __init__(self, weights: dict, target: Target) -> None:
        self.w, s = weights, target.symbols
        self.t = [compile_interval(target.token_expr(i), s) for i in range(target.n)]
        self.g = [compile_gradient(target.token_expr(i), s) for i in range(target.n)]

    def error_at(self, c: np.ndarray) -> Interval:
        P = Interval.point(c)
        y = model_dual(self.w, P).val
        tv = [f(P) for f in self.t]
        return y - Interval(np.stack([v.lo for v in tv], -1), np.stack([v.hi for v in tv], -1))

    def __call__(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Upper bounds U (B,) of sup |e| on each box, and the per-coordinate width
        contributions (B, n) used to choose the split."""
        Q = Interval(lo, hi)
        c = 0.5 * (lo + hi)
        r = Interval(-(hi - c), hi - c)  # Q − c ⊆ [−r, r] (c is a float inside Q)
        r = Interval(np.minimum(r.lo, -(c - lo)), np.maximum(r.hi, c - lo))
        f = model_dual(self.w, Q)
        tv = [fn(Q) for fn in self.t]
        tg = [fn(Q) for fn in self.g]
        t_val = Interval(np.stack([v.lo for v in tv], -1), np.stack([v.hi for v in tv], -1))
        t_der = Interval(np.stack([v.lo for v in tg], 1), np.stack([v.hi for v in tg], 1))
        J = f.der - t_der  # (B, n_out, n_in)
        mv = self.error_at(c) + isum(J * _ex(r, 1), -1)
        e = mv.intersect(f.val - t_val)
        contrib = (J.mag() * _ex(r, 1).mag()).max(1)
        return e.mag().max(-1), contrib


def _unsorted(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Boxes with no point x_0 ≥ x_1 ≥ … (some hi_i < lo_{i+1}); since f and t are
    S_n-equivariant, max_i |e_i| is permutation-invariant and its sup over the cube is its sup
    over the sorted region, so these boxes can be dropped (ours)."""
    return np.any(hi[:, :-1] < lo[:, 1:], axis=1)


@dataclass
class BoxCertificate:
    status: str  # certified | undecided
    upper: float | None
    lower: float
    lower_point: list[float]
    leaves: int
    live: int
    worst_box: list[list[float]] | None
    method: str
    worst_upper: float | None = None


def certify_box(bound: ErrorBound, lo: float, hi: float, n: int, eps: float,
                max_leaves: int, batch: int = 4096) -> BoxCertificate:
    """Branch and bound of sup_{[lo,hi]^n} max_i |e_i| against ε with a leaf budget."""
    L = np.full((1, n), float(lo))
    H = np.full((1, n), float(hi))
    retired, lower, lower_pt, leaves = 0.0, 0.0, [lo] * n, 0
    while len(L):
        take = slice(0, batch)
        l, h, L, H = L[take], H[take], L[batch:], H[batch:]
        keep = ~_unsorted(l, h)
        l, h = l[keep], h[keep]
        if not len(l):
            continue
        c = 0.5 * (l + h)
        with threadpool_limits(1):  # tiny BLAS calls: threads only cost
            U, contrib = bound(l, h)
            m = bound.error_at(c).mig().max(-1)  # |e(c)| ≥ m: a proven lower bound
        leaves += len(l)
        k = int(np.argmax(m))
        if m[k] > lower:
            lower, lower_pt = float(m[k]), c[k].tolist()
        done = U <= eps
        retired = max(retired, float(U[done].max(initial=0.0)))
        l, h, contrib = l[~done], h[~done], contrib[~done]
        if len(l) and leaves + 2 * (len(l) + len(L)) > max_leaves:
            worst = int(np.argmax(U[~done]))
            return BoxCertificate("undecided", None, lower, lower_pt, leaves,
                                  len(l) + len(L), [l[worst].tolist(), h[worst].tolist()],
                                  METHOD, float(U[~done][worst]))
        # widest side; among (near-)equal sides the one contributing most to the bound
        score = (h - l) * (1.0 + 1e-6 * np.argsort(np.argsort(contrib, axis=1), axis=1))
        axis = np.argmax(score, axis=1)
        mid = 0.5 * (l[np.arange(len(l)), axis] + h[np.arange(len(l)), axis])
        h1, l2 = h.copy(), l.copy()
        h1[np.arange(len(l)), axis] = mid
        l2[np.arange(len(l)), axis] = mid
        L, H = np.concatenate([L, l, l2]), np.concatenate([H, h1, h])
    return BoxCertificate("certified", max(retired, lower), lower, lower_pt, leaves, 0, None,
                          METHOD)


METHOD = ("branch and bound, mean-value form with forward-mode interval Jacobians "
          "(outward-rounded float64 intervals, verify.certify.interval)")
