r"""Per-layer truncated SVD and the Eckart–Young–Mirsky identities (classical).

For a weight matrix :math:`W = U \Sigma V^\top` with singular values
:math:`\sigma_1 \ge \sigma_2 \ge \dots` the rank-``r`` truncation
:math:`W_r = \sum_{i \le r} \sigma_i u_i v_i^\top` satisfies (Eckart–Young–Mirsky)

.. math::

    \|W - W_r\|_2 = \sigma_{r+1}, \qquad \|W - W_r\|_F^2 = \sum_{i > r} \sigma_i^2,
    \qquad \|W - B\| \ge \|W - W_r\| \ \text{for every } B \text{ of rank} \le r

in both norms (:math:`\sigma_i = 0` for :math:`i > \operatorname{rank} W`). Source: docs/math.md,
"Ng, Luo & Qiu (2309.05968): facts we rely on" (classical; the paper calls the truncation of
every layer Layer Matrix Decomposition).

The float64 comparisons use a tolerance ``rel·value + floor`` with the rounding floor
``64·max(m, n)·eps_mach·σ_1`` (ours): forming ``W − W_r`` loses that much absolutely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Layers = list[tuple[np.ndarray, np.ndarray]]


def singular_values(W: np.ndarray) -> np.ndarray:
    return np.linalg.svd(np.asarray(W, dtype=np.float64), compute_uv=False)


def truncate(W: np.ndarray, r: int) -> np.ndarray:
    """``W_r``: the top ``r`` singular triplets of ``W`` (``r ≥ rank`` returns ``W`` rebuilt)."""
    U, s, Vt = np.linalg.svd(np.asarray(W, dtype=np.float64), full_matrices=False)
    k = max(0, min(int(r), s.size))
    return (U[:, :k] * s[:k]) @ Vt[:k]


def truncate_layers(layers: Sequence[tuple[np.ndarray, np.ndarray]], r: int) -> Layers:
    """Truncate every layer's weight matrix to rank ``min(r, rank W)``; biases are kept."""
    out: Layers = []
    for W, b in layers:
        k = min(int(r), min(np.shape(W)))
        out.append((truncate(W, k) if k < min(np.shape(W)) else np.array(W, float),
                    np.array(b, float)))
    return out


def sigma_at(s: np.ndarray, i: int) -> float:
    """``σ_i`` (1-based), 0 beyond the number of singular values."""
    return float(s[i - 1]) if 1 <= i <= s.size else 0.0


def _floor(s: np.ndarray, shape: tuple[int, ...]) -> float:
    return 64 * max(shape) * np.finfo(float).eps * float(s[0] if s.size else 0.0)


def tolerance(value: float, s: np.ndarray, shape: tuple[int, ...], rel: float = 1e-10) -> float:
    """``rel·value + δ``, ``δ = 64·max(shape)·eps·σ_1`` (ours): relative accuracy plus the
    rounding floor of forming ``W − W_r``."""
    return rel * abs(value) + _floor(s, shape)


def tolerance_sq(value: float, s: np.ndarray, shape: tuple[int, ...], rel: float = 1e-10) -> float:
    """For a squared norm ``v = ‖D‖²``: ``rel·v + 2√v·δ' + δ'²`` with ``δ' = √min(shape)·δ``
    (a perturbation of ``D`` by ``δ'`` in Frobenius norm moves ``‖D‖_F²`` by at most that)."""
    d = _floor(s, shape) * np.sqrt(min(shape))
    return rel * abs(value) + 2 * np.sqrt(abs(value)) * d + d * d


@dataclass
class EYMRow:
    """One (layer, r): computed truncation errors and what the claim says they are."""

    layer: str
    r: int
    spectral: float
    frobenius_sq: float
    claimed_spectral: float
    claimed_frobenius_sq: float
    tol_spectral: float
    tol_frobenius_sq: float

    @property
    def ok(self) -> bool:
        return (abs(self.spectral - self.claimed_spectral) <= self.tol_spectral
                and abs(self.frobenius_sq - self.claimed_frobenius_sq) <= self.tol_frobenius_sq)

    def to_dict(self) -> dict:
        return {**self.__dict__, "ok": self.ok}


def eym_rows(name: str, W: np.ndarray, shift: int = 0, rel: float = 1e-10) -> list[EYMRow]:
    """Every ``r = 0..rank``: ``‖W − W_r‖₂`` (SVD of the difference) and ``‖W − W_r‖_F²``
    against the claim ``σ_{r+1+shift}`` and ``Σ_{i > r+shift} σ_i²`` (``shift = 0``: EYM;
    ``shift = −1``: the off-by-one claim "the error is σ_r")."""
    W = np.asarray(W, dtype=np.float64)
    s = singular_values(W)
    rows = []
    for r in range(max(0, -shift), s.size + 1):  # σ_0 is undefined
        D = W - truncate(W, r)
        spec = float(singular_values(D)[0]) if D.size else 0.0
        fro2 = float(np.sum(D * D))
        c_spec = sigma_at(s, r + 1 + shift)
        c_fro2 = float(np.sum(s[max(0, r + shift):] ** 2))
        rows.append(EYMRow(name, r, spec, fro2, c_spec, c_fro2,
                           tolerance(c_spec, s, W.shape, rel),
                           tolerance_sq(c_fro2, s, W.shape, rel)))
    return rows


def rank_r_candidate(W: np.ndarray, r: int, rng: np.random.Generator, kind: str,
                     scale: float, steps: int = 30) -> np.ndarray:
    """A rank-``r`` matrix to compare with ``W_r`` (ours): ``kind`` is ``"perturbed"``
    (``(U_r Σ_r + ΔP)(V_r + ΔQ)^T``, size ``scale``), ``"random"`` (a random factorisation) or
    ``"optimised"`` (``steps`` alternating least-squares sweeps from a random factorisation, which
    descends ``‖W − PQ^T‖_F``)."""
    m, n = W.shape
    if kind == "perturbed":
        U, s, Vt = np.linalg.svd(W, full_matrices=False)
        P = U[:, :r] * s[:r] + scale * rng.standard_normal((m, r))
        Q = Vt[:r].T + scale * rng.standard_normal((n, r))
        return P @ Q.T
    P = rng.standard_normal((m, r)) * scale
    Q = rng.standard_normal((n, r))
    if kind == "random":
        return P @ Q.T
    for _ in range(steps):  # alternating least squares on ||W - P Q^T||_F
        Q = np.linalg.lstsq(P, W, rcond=None)[0].T
        P = np.linalg.lstsq(Q, W.T, rcond=None)[0].T
    return P @ Q.T


def beats_truncation(W: np.ndarray, B: np.ndarray, r: int, shift: int = 0,
                     rel: float = 1e-10) -> dict | None:
    """Evidence if the rank-≤r matrix ``B`` has a smaller spectral or Frobenius error than the
    claimed optimum (``σ_{r+1+shift}``, ``Σ_{i>r+shift} σ_i²``) by more than the tolerance."""
    s = singular_values(W)
    D = W - B
    spec, fro2 = float(singular_values(D)[0]), float(np.sum(D * D))
    c_spec, c_fro2 = sigma_at(s, r + 1 + shift), float(np.sum(s[max(0, r + shift):] ** 2))
    if (spec < c_spec - tolerance(c_spec, s, W.shape, rel)
            or fro2 < c_fro2 - tolerance_sq(c_fro2, s, W.shape, rel)):
        return {"r": r, "rank_B": int(np.linalg.matrix_rank(B)), "spectral_error": spec,
                "frobenius_sq_error": fro2, "claimed_spectral": c_spec,
                "claimed_frobenius_sq": c_fro2}
    return None
