r"""The Transformer's kernel :math:`\kappa(t, s) = \exp(\langle W_q t, W_k s\rangle/\sqrt d)`.

Wright & Gonzalez (arXiv 2106.01506) read dot-product attention as a kernel machine with this
kernel; the exact normalisation is ours to state (docs/math.md). With :math:`M = W_q^\top W_k`
(classical algebra)

.. math::
    \kappa(t, s) = \exp(t^\top M s / \sqrt d), \qquad t \in \mathbb R^{d_t},\ s \in \mathbb R^{d_s}.

Facts encoded here (classical; the packaging is ours):

* :math:`\kappa(t,s) = \kappa(s,t)` for all t, s iff :math:`d_t = d_s` and :math:`M = M^\top`
  (exp is injective on R, so it is the polynomial identity :math:`t^\top (M - M^\top) s \equiv 0`).
  When :math:`M \ne M^\top` the bilinear form :math:`t^\top (M - M^\top) s` is non-zero at some
  pair of box vertices (the vertices of a box with interior span :math:`\mathbb R^d`), which is an
  exact witness.
* If M is symmetric PSD, :math:`t^\top M s` is a PSD kernel and so is its exponential
  :math:`\sum_n (t^\top M s/\sqrt d)^n / n!` (Schur product theorem): κ is Mercer.
* Otherwise a point set whose Gram matrix has a negative eigenvalue (of its symmetric part
  :math:`(K + K^\top)/2` if κ is asymmetric) is searched for. Weyl: every PSD G has
  :math:`\max_{ij}|K_{sym} - G|_{ij} \ge |\lambda_{\min}|/n`, and since G is symmetric,
  :math:`|(K_{sym} - G)_{ij}| \le \max(|K - G|_{ij}, |K - G|_{ji})` (ours), so the same bound holds
  for :math:`\max_{ij}|K - G|_{ij}`: no :math:`\langle\phi,\phi\rangle` gets closer to κ.

Weights are exact rationals (sympy), so M and its definiteness are decided exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Any

import numpy as np
import sympy

from verify.relations.base import Relation, vector_symbols
from verify.relations.domain import Box


@dataclass(frozen=True)
class AttentionKernel:
    """κ(t, s) = exp(⟨W_q t, W_k s⟩/√d) with rational ``wq`` (d × d_t) and ``wk`` (d × d_s)."""

    wq: tuple[tuple[Any, ...], ...]
    wk: tuple[tuple[Any, ...], ...]
    name: str = "attention"

    @property
    def Wq(self) -> sympy.Matrix:
        return sympy.Matrix(self.wq).applyfunc(sympy.nsimplify)

    @property
    def Wk(self) -> sympy.Matrix:
        return sympy.Matrix(self.wk).applyfunc(sympy.nsimplify)

    @property
    def d(self) -> int:
        return self.Wq.shape[0]

    @property
    def dt(self) -> int:
        return self.Wq.shape[1]

    @property
    def ds(self) -> int:
        return self.Wk.shape[1]

    @property
    def M(self) -> sympy.Matrix:
        """:math:`W_q^\\top W_k` (exact)."""
        if self.Wk.shape[0] != self.d:
            raise ValueError(f"W_q has {self.d} rows, W_k {self.Wk.shape[0]}: need one head dim")
        return self.Wq.T * self.Wk

    def exponent(self, t, s) -> sympy.Expr:
        return (sympy.Matrix(t).T * self.M * sympy.Matrix(s))[0, 0] / sympy.sqrt(self.d)

    def relation(self, t_box: Box | None = None, s_box: Box | None = None) -> Relation:
        """κ as a symbolic :class:`Relation` (default boxes [−1, 1]^d_t, [−1, 1]^d_s)."""
        t_box = t_box or Box.cube(-1, 1, self.dt)
        s_box = s_box or Box.cube(-1, 1, self.ds)
        xs, ys = vector_symbols("x", self.dt), vector_symbols("y", self.ds)
        return Relation.from_sympy(self.name, sympy.exp(self.exponent(xs, ys)), xs, ys, t_box,
                                   s_box, params={"Wq": str(self.wq), "Wk": str(self.wk)})

    def symmetric_part(self, box: Box | None = None) -> Relation:
        """:math:`(\\kappa(t,s) + \\kappa(s,t))/2` on ``box`` × ``box`` (needs d_t = d_s)."""
        box = box or Box.cube(-1, 1, self.dt)
        xs, ys = vector_symbols("x", self.dt), vector_symbols("y", self.dt)
        expr = (sympy.exp(self.exponent(xs, ys)) + sympy.exp(self.exponent(ys, xs))) / 2
        return Relation.from_sympy(f"sym({self.name})", expr, xs, ys, box, box)

    def features(self, N: int) -> tuple:
        """The degree-≤ N truncated exponential features Φ(t) = φ(W_q t), Ψ(s) = φ(W_k s)."""
        from verify.kernels.exp_features import exp_features

        Wq = np.array(self.Wq.tolist(), dtype=np.float64)
        Wk = np.array(self.Wk.tolist(), dtype=np.float64)
        d = self.d
        return (lambda T: exp_features(np.atleast_2d(T) @ Wq.T, N, d),
                lambda S: exp_features(np.atleast_2d(S) @ Wk.T, N, d))


@dataclass
class SymmetryVerdict:
    symmetric: bool
    proof: str
    witness: dict | None = None


def symmetry(kernel: AttentionKernel, t_box: Box, s_box: Box) -> SymmetryVerdict:
    """Decide κ(t,s) ≡ κ(s,t) exactly (needs d_t = d_s; raise ValueError otherwise)."""
    if kernel.dt != kernel.ds:
        raise ValueError(f"d_t = {kernel.dt} ≠ d_s = {kernel.ds}: κ(s, t) is not defined")
    M = kernel.M
    ts, ss = vector_symbols("t", kernel.dt), vector_symbols("s", kernel.ds)
    form = sympy.expand(kernel.exponent(ts, ss) - kernel.exponent(ss, ts))
    antisym = M - M.T
    assert (form == 0) == antisym.is_zero_matrix, "polynomial identity ⇔ M = Mᵀ"
    if form == 0:
        return SymmetryVerdict(True, "sympy: t^T M s − s^T M t expands to 0 (M = M^T), and exp "
                               "is a function of the exponent")
    best = None
    corners = [tuple(Fraction(v) for v in c) for c in t_box.corners()]
    for t, s in product(corners, [tuple(Fraction(v) for v in c) for c in s_box.corners()]):
        val = sum(antisym[i, j] * sympy.Rational(t[i]) * sympy.Rational(s[j])
                  for i in range(kernel.dt) for j in range(kernel.ds))
        if val != 0 and (best is None or abs(val) > abs(best[2])):
            best = (t, s, val)
    assert best is not None, "a non-zero bilinear form is non-zero at some vertex pair"
    t, s, val = best
    kts = sympy.exp(kernel.exponent(list(map(sympy.Rational, t)), list(map(sympy.Rational, s))))
    kst = sympy.exp(kernel.exponent(list(map(sympy.Rational, s)), list(map(sympy.Rational, t))))
    witness = {"t": [float(v) for v in t], "s": [float(v) for v in s],
               "kappa(t,s)": str(kts), "kappa(s,t)": str(kst),
               "kappa(t,s)-kappa(s,t)": float(kts - kst),
               "exponent_difference": str(val / sympy.sqrt(kernel.d))}
    return SymmetryVerdict(False, f"M ≠ M^T: at the vertices t = {witness['t']}, s = "
                           f"{witness['s']} the exponents differ by "
                           f"{witness['exponent_difference']}"
                           " (exact), so κ(t,s) ≠ κ(s,t)", witness)


@dataclass
class Definiteness:
    """``kind``: ``"psd"`` (proof), ``"indefinite"`` (witness), or ``"unknown"``."""

    kind: str
    proof: str
    evidence: dict


def definiteness(kernel: AttentionKernel, box: Box, seed: int) -> Definiteness:
    """PSD proof (M symmetric PSD, Schur), or a negative-eigenvalue witness with Weyl's bound."""
    from verify.spectra.lower_bounds import negative_eigenvalue_witness

    if kernel.dt != kernel.ds:
        raise ValueError(f"d_t = {kernel.dt} ≠ d_s = {kernel.ds}: no Gram matrix on one point set")
    M = kernel.M
    eig = {str(k): v for k, v in M.eigenvals().items()} if M.is_symmetric() else {}
    ev = {"M": str(M.tolist()), "M_symmetric": bool(M.is_symmetric()), "M_eigenvalues": eig}
    if M.is_symmetric() and M.is_positive_semidefinite:
        return Definiteness("psd", "M = W_q^T W_k is symmetric PSD (sympy, exact), so t^T M s is a "
                            "PSD kernel and κ = Σ (t^T M s/√d)^n/n! is PSD (Schur product "
                            "theorem)", ev)
    rel = kernel.relation(box, box) if M.is_symmetric() else kernel.symmetric_part(box)
    w = negative_eigenvalue_witness(rel, seed=seed)
    if w is None:
        return Definiteness("unknown", "no negative eigenvalue found (not a proof of PSD)", ev)
    ev["witness"] = w.to_dict()
    part = "Gram matrix" if M.is_symmetric() else "symmetric part (K + K^T)/2 of the Gram matrix"
    return Definiteness(
        "indefinite", f"the {part} on {w.n} points has λ_min = {w.lambda_min:.6g} < 0; every "
        f"<φ(t),φ(s)> errs from κ by ≥ |λ_min|/n = {w.certified_bound:.4g} there (Weyl, "
        "floating-point margin included)", ev)
