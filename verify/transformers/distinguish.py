"""Token distinguishability: measured, exactly confirmed, and its failure on a parameter box.

Definitions (ours; the paper's exact definitions are not available to us). Two inputs
X, X' ∈ R^{n×d} (tokens as rows) are in the same S_n-orbit when X' = X[σ] for a permutation σ
(:func:`orbit_key`). A layer L *distinguishes* a finite set {X_1, …, X_N} when the N·n
output tokens of L(X_1), …, L(X_N) are pairwise distinct:

.. math::

    \\delta(L; X_1, \\dots, X_N) = \\min_{(p,i) \\ne (q,j)}
        \\|L(X_p)_i - L(X_q)_j\\|_2 > \\text{tol}.

An S_n-equivariant L maps X[σ] to L(X)[σ], so a pair in one orbit always has δ = 0 (the
same token multiset); inputs with a repeated token keep it repeated. :func:`exact_token_gap`
recomputes one output-token difference in exact arithmetic (sympy, the float parameters
taken as the dyadic rationals they are), so a coincidence found in floats is proven, not
guessed. :func:`relu_box_certificate` proves with outward-rounded interval arithmetic that
every key feature ρ(W_K x) vanishes on a whole box of W_K, so the ReLU-feature layer is the
identity there (ours).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from verify.certify.interval import Interval, isum
from verify.transformers.layers import AttentionParams, residual_layer


def orbit_key(X: np.ndarray) -> tuple:
    """A canonical form of X's S_n-orbit: its rows, sorted."""
    return tuple(sorted(map(tuple, np.asarray(X, dtype=float).tolist())))


def min_token_distance(Y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For tokens Y (..., T, d): per batch element the minimum distance between two different
    tokens, and the indices (a, b) of the closest pair."""
    D = torch.cdist(Y, Y)
    T = Y.shape[-2]
    D = D + torch.diag(torch.full((T,), torch.inf, dtype=D.dtype))
    flat = D.flatten(-2)
    best, arg = flat.min(dim=-1)
    return best, arg // T, arg % T


def distinguish_pair(kind: str, X1: np.ndarray, X2: np.ndarray, params: AttentionParams
                     ) -> dict:
    """δ of one residual layer on {X1, X2} for every parameter draw (batched).

    Returns the per-draw distances, the worst draw and its closest pair of output tokens
    (indices 0..n−1 are X1's tokens, n..2n−1 are X2's)."""
    X = torch.as_tensor(np.stack([X1, X2]), dtype=torch.float64)
    with torch.no_grad():
        Y = residual_layer(kind, X, params)  # (B, 2, n, d)
    Y = Y.flatten(-3, -2)  # (B, 2n, d)
    dist, a, b = min_token_distance(Y)
    worst = int(torch.argmin(dist))
    return {"distances": dist.numpy(), "worst_draw": worst, "min_distance": float(dist[worst]),
            "pair": (int(a[worst]), int(b[worst])), "outputs": Y[worst].numpy()}


def _exact_layer_token(kind: str, X: np.ndarray, p: AttentionParams, i: int) -> sp.Matrix:
    """Output token i of X + Attn(X) in exact arithmetic (single draw ``p``)."""
    R = lambda a: sp.Matrix(np.asarray(a).tolist()).applyfunc(sp.Rational)  # noqa: E731
    Xs, wq, wk, wv = R(X), R(p.wq[0]), R(p.wk[0]), R(p.wv[0])
    q, k, v = Xs * wq, Xs * wk, Xs * wv
    n = Xs.shape[0]
    if kind == "softmax":
        w = [sp.exp((q[i, :] * k[j, :].T)[0] / sp.sqrt(q.shape[1])) for j in range(n)]
        den = sp.Add(*w)
    elif kind == "rbf":
        g = sp.Rational(p.gamma)
        w = [sp.exp(-g * sum((q[i, c] - k[j, c]) ** 2 for c in range(q.shape[1])))
             for j in range(n)]
        den = sp.Add(*w)
    else:
        relu = lambda e: sp.Max(e, 0)  # noqa: E731
        w = [sum(relu(q[i, c]) * relu(k[j, c]) for c in range(q.shape[1])) for j in range(n)]
        den = 1 + sp.Add(*w)
    attn = sum((w[j] * v[j, :] for j in range(n)), sp.zeros(1, v.shape[1])) / den
    return Xs[i, :] + attn


def exact_token_gap(kind: str, X1: np.ndarray, X2: np.ndarray, p: AttentionParams,
                    a: int, b: int) -> sp.Matrix:
    """Exact difference of output tokens a and b (indexing as in :func:`distinguish_pair`)
    for one draw ``p``: sympy Rationals for the float parameters, sympy ``exp``."""
    n = len(X1)
    tok = lambda t: _exact_layer_token(kind, X1 if t < n else X2, p, t % n)  # noqa: E731
    return (tok(a) - tok(b)).applyfunc(lambda e: sp.simplify(e) if e != 0 else e)


def random_input_sets(rng: np.random.Generator, sets: int, size: int, n: int, d: int,
                      pool: int, positive: bool = False) -> np.ndarray:
    """``sets`` sets of ``size`` inputs (n distinct tokens each, from a shared pool of
    ``pool`` random tokens, so inputs share tokens), pairwise in different orbits; with
    ``positive`` the tokens are 0.5 + |N(0, 1)| coordinate-wise."""
    tokens = rng.standard_normal((pool, d))
    if positive:
        tokens = 0.5 + np.abs(tokens)
    out = np.empty((sets, size, n, d))
    for s in range(sets):
        seen: set = set()
        m = 0
        while m < size:
            X = tokens[rng.choice(pool, n, replace=False)]
            key = orbit_key(X)
            if key not in seen:
                seen.add(key)
                out[s, m] = X
                m += 1
    return out


def separate_sets(kind: str, sets: np.ndarray, p: AttentionParams) -> dict:
    """δ of one draw ``p`` on each set (``sets`` of shape (S, N, n, d))."""
    X = torch.as_tensor(sets, dtype=torch.float64)
    with torch.no_grad():
        Y = residual_layer(kind, X, p)[0]  # (S, N, n, d)
    dist, a, b = min_token_distance(Y.flatten(-3, -2))
    worst = int(torch.argmin(dist))
    n = sets.shape[2]
    return {"distances": dist.numpy(), "worst_set": worst, "min_distance": float(dist[worst]),
            "pair": ((int(a[worst]) // n, int(a[worst]) % n),
                     (int(b[worst]) // n, int(b[worst]) % n))}


def relu_box_certificate(inputs: np.ndarray, wk_lo: float, wk_hi: float, d_k: int) -> dict:
    """Prove ρ(W_K x) = 0 for every W_K ∈ [wk_lo, wk_hi]^{d×d_k} and every token x of
    ``inputs`` (..., d), by an outward-rounded interval enclosure of W_K x (ours).

    If every upper end is < 0, every key feature vanishes, so ⟨ρ(q_i), ρ(k_j)⟩ = 0 and the
    ReLU-feature layer is X ↦ X + 0/(1 + 0) = X on the whole box (any W_Q, W_V)."""
    x = np.asarray(inputs, dtype=float).reshape(-1, inputs.shape[-1])  # (T, d)
    d = x.shape[1]
    W = Interval(np.full((d, d_k), float(wk_lo)), np.full((d, d_k), float(wk_hi)))
    prod = Interval.point(x[:, :, None]) * Interval(W.lo[None], W.hi[None])  # (T, d, d_k)
    k = isum(prod, axis=1)  # (T, d_k)
    return {"proven": bool(np.all(k.hi < 0)), "max_upper_end": float(k.hi.max()),
            "tokens": int(x.shape[0])}
