"""End-to-end evaluation of attention as retrieval against the margin lemma (ours).

Setting (attention theorem of Altabaa & Lafferty, arXiv 2402.08856; cited as Theorem 5.1 in
arXiv 2405.16727): a query ``x``, keys ``y_1..y_n``, a utility ``u(x, y)``; attention scores
``s_i = c <φ_q(x), φ_k(y_i)>`` and weights ``α = softmax(s)``. On the *η-margin event*
``u(x, y_{i*}) - u(x, y_j) ≥ η`` for all ``j ≠ i*`` we measure

* selection accuracy ``P(argmax α = i*)``,
* ``1 - α_{i*}`` (mean and max) against the bound ``1 - 1/(1 + (n-1) e^{-β(η-2δ)})``,
* value retrieval error ``|Σ α_i v_i - v_{i*}|`` against ``2 (1 - α_{i*}) v_max``,

where ``β`` is the scale at which ``s ≈ β u`` and ``δ`` bounds ``|s/β - u|`` (stated, e.g. 0 for
exact features or a certified bound; otherwise the measured sup over the draws, flagged as
sampled). A failed bound comes back with the worst draw as counterexample. The bounds are ours
(:mod:`verify.attention.margin`), not the paper's constants.

The same weights are also computed with ``torch.nn.functional.scaled_dot_product_attention``
(:func:`sdpa_weights`), which must agree with the plain softmax to 1e-12 in float64.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from verify.attention.features import FeaturePair, from_model
from verify.attention.margin import one_minus_bound
from verify.relations import Relation

__all__ = [
    "MarginDraws",
    "RetrievalResult",
    "as_feature_pair",
    "attention_weights",
    "evaluate_retrieval",
    "nearest_key_target",
    "sample_margin_draws",
    "sdpa_agreement",
    "sdpa_weights",
]


# ------------------------------------------------------------------------ sampling
@dataclass
class MarginDraws:
    """Query/key-set draws restricted to the η-margin event.

    ``x (N, dx)``, ``keys (N, n, dy)``, ``u (N, n)`` utilities, ``best (N,)`` = argmax, ``margin
    (N,)`` = top minus runner-up utility (all ``≥ η``). ``proposed`` counts query draws,
    ``accepted`` those that met the margin (``≥ N``: the last batch is truncated to ``N``), and
    for the constructive sampler ``key_redraws`` counts the keys drawn again.
    """

    x: np.ndarray
    keys: np.ndarray
    u: np.ndarray
    best: np.ndarray
    margin: np.ndarray
    eta: float
    method: str
    proposed: int
    accepted: int
    key_redraws: int = 0

    @property
    def acceptance_rate(self) -> float:
        """Accepted / proposed query draws (over whole batches, before truncation)."""
        return self.accepted / self.proposed if self.proposed else float("nan")

    def __len__(self) -> int:
        return len(self.x)


def _utilities(u: Relation, x: np.ndarray, keys: np.ndarray) -> np.ndarray:
    B, n, dy = keys.shape
    return u(np.repeat(x, n, axis=0), keys.reshape(B * n, dy)).reshape(B, n)


def _top_two(U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    best = U.argmax(axis=1)
    rest = U.copy()
    rest[np.arange(len(U)), best] = -np.inf
    return best, U[np.arange(len(U)), best] - rest.max(axis=1)


def sample_margin_draws(
    u: Relation,
    n_keys: int,
    eta: float,
    num: int,
    *,
    seed: int = 0,
    method: str = "rejection",
    batch: int = 4096,
    max_proposals: int = 10**7,
    max_rounds: int = 200,
) -> MarginDraws:
    """``num`` draws (query uniform on ``u.x_box``, ``n_keys`` keys uniform on ``u.y_box``) on the
    η-margin event.

    ``method="rejection"``: keep draws whose top utility beats every other by ``≥ η`` (the exact
    conditional distribution). ``"constructive"``: keep the query and its best key, redraw the
    offending keys (utility ``> u_best - η``) until none is left (at most ``max_rounds`` rounds;
    a different, still margin-satisfying distribution, useful when rejection accepts rarely).
    """
    if n_keys < 1 or num < 1:
        raise ValueError(f"need n_keys >= 1 and num >= 1, got n_keys={n_keys}, num={num}")
    rng = np.random.default_rng(seed)
    xs, ks, us = [], [], []
    proposed = redraws = got = 0
    while got < num:
        if proposed >= max_proposals:
            raise RuntimeError(
                f"{method} sampling: only {got} of {num} margin draws after {proposed} proposals "
                f"(acceptance rate {got / proposed:.2e}) for eta={eta}, n_keys={n_keys}"
            )
        B = batch
        x = u.x_box.sample(B, rng)
        keys = u.y_box.sample(B * n_keys, rng).reshape(B, n_keys, u.dy)
        U = _utilities(u, x, keys)
        proposed += B
        if method == "rejection":
            _, margin = _top_two(U)
            keep = margin >= eta
        elif method == "constructive":
            best = U.argmax(axis=1)
            top = U[np.arange(B), best][:, None]
            is_best = np.arange(n_keys)[None, :] == best[:, None]
            for _ in range(max_rounds):
                bad = (U > top - eta) & ~is_best
                if not bad.any():
                    break
                rows, cols = np.nonzero(bad)
                fresh = u.y_box.sample(len(rows), rng)
                keys[rows, cols] = fresh
                U[rows, cols] = u(x[rows], fresh)
                redraws += len(rows)
            keep = ~((U > top - eta) & ~is_best).any(axis=1)
        else:
            raise ValueError(f"unknown sampling method {method!r}: 'rejection' or 'constructive'")
        xs.append(x[keep])
        ks.append(keys[keep])
        us.append(U[keep])
        got += int(keep.sum())
    X, K, U = (np.concatenate(a)[:num] for a in (xs, ks, us))
    best, margin = _top_two(U)
    return MarginDraws(X, K, U, best, margin, float(eta), method, proposed, got, redraws)


# ------------------------------------------------------------------------ attention
def as_feature_pair(features: Any) -> FeaturePair:
    """A :class:`FeaturePair`, a ``(query_map, key_map)`` tuple, or an inner-product model."""
    if isinstance(features, FeaturePair):
        return features
    if isinstance(features, tuple) and len(features) == 2:
        return FeaturePair("callables", features[0], features[1], None)
    if hasattr(features, "phi"):
        return from_model(features)
    raise TypeError(f"expected FeaturePair, (query, key) tuple or model, got {type(features)}")


def _feature_tensors(
    pair: FeaturePair, x: np.ndarray, keys: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    B, n, dy = keys.shape
    with torch.no_grad():
        q = pair.query(torch.as_tensor(x, dtype=torch.float64))
        k = pair.key(torch.as_tensor(keys.reshape(B * n, dy), dtype=torch.float64))
    return q.to(torch.float64), k.to(torch.float64).reshape(B, n, -1)


def attention_weights(q: torch.Tensor, k: torch.Tensor, scale: float) -> torch.Tensor:
    """Plain softmax attention ``softmax_i(scale <q_b, k_{b,i}>)``: ``(B,m), (B,n,m) -> (B,n)``."""
    return torch.softmax(scale * torch.einsum("bm,bnm->bn", q, k), dim=-1)


def sdpa_weights(q: torch.Tensor, k: torch.Tensor, scale: float) -> torch.Tensor:
    """The same weights via ``F.scaled_dot_product_attention``.

    Each query is a length-1 sequence, its keys a length-``n`` sequence; the values are the
    identity ``I_n``, so the output row is ``α`` itself. ``scale`` is passed explicitly (SDPA's
    default is ``1/sqrt(m)``).
    """
    B, n, _ = k.shape
    eye = torch.eye(n, dtype=k.dtype, device=k.device).expand(B, n, n)
    return F.scaled_dot_product_attention(q[:, None, :], k, eye, scale=scale)[:, 0, :]


def sdpa_agreement(
    features: Any, draws: MarginDraws, scale: float, value_dim: int = 8, seed: int = 0
) -> dict[str, float]:
    """Max |difference| between SDPA and the plain softmax: weights and retrieved values."""
    pair = as_feature_pair(features)
    q, k = _feature_tensors(pair, draws.x, draws.keys)
    a_own = attention_weights(q, k, scale)
    a_sdpa = sdpa_weights(q, k, scale)
    V = torch.as_tensor(np.random.default_rng(seed).uniform(-1, 1, (*draws.keys.shape[:2],
                                                                   value_dim)))
    out_own = torch.einsum("bn,bnv->bv", a_own, V)
    out_sdpa = F.scaled_dot_product_attention(q[:, None, :], k, V, scale=scale)[:, 0, :]
    return {
        "max_abs_weight_diff": float((a_own - a_sdpa).abs().max()),
        "max_abs_value_diff": float((out_own - out_sdpa).abs().max()),
    }


# ------------------------------------------------------------------------ evaluation
@dataclass
class RetrievalResult:
    """Measured retrieval quality on margin draws, its bounds, and any violations."""

    ok: bool
    n_draws: int
    n_keys: int
    eta: float
    beta: float
    score_scale: float
    delta: float
    delta_source: str
    delta_measured: float
    lemma_applicable: bool
    accuracy: float
    mean_one_minus_alpha: float
    max_one_minus_alpha: float
    mean_value_error: float
    max_value_error: float
    bounds: dict[str, float | None]
    acceptance_rate: float
    sampling: str
    time_s: float  # wall time (a timing: reports strip it when comparing runs)
    backend: str
    violations: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ball(rng: np.random.Generator, shape: tuple[int, int], dim: int, radius: float) -> np.ndarray:
    g = rng.standard_normal((*shape, dim))
    g /= np.linalg.norm(g, axis=-1, keepdims=True)
    return g * radius * rng.uniform(0, 1, (*shape, 1)) ** (1 / dim)


def evaluate_retrieval(
    features: Any,
    utility: Relation,
    *,
    beta: float,
    eta: float = 0.05,
    n_keys: int = 16,
    num_draws: int = 10_000,
    score_scale: float | None = None,
    delta: float | None = None,
    eps1: float | None = None,
    vmax: float = 1.0,
    value_dim: int = 8,
    seed: int = 0,
    sampling: str = "rejection",
    draws: MarginDraws | None = None,
    backend: str = "softmax",
) -> RetrievalResult:
    """Draw margin events, attend, and compare with the margin lemma (ours).

    ``features``: a :class:`FeaturePair`, ``(query_map, key_map)`` or an inner-product model.
    Scores are ``score_scale * <query(x), key(y_i)>``; ``score_scale`` defaults to ``beta`` (the
    features approximate ``u``); pass ``score_scale=1`` when the features approximate ``β u``.
    ``delta`` bounds ``|s/β - u|``: default the pair's known ``delta``, else the measured sup over
    the draws (reported as ``delta_source="measured"``: sampled, not certified).

    Violations (each with the worst draw): ``delta`` (stated ``δ`` below the measured score
    error: the lemma's hypothesis fails), ``selection`` (argmax α ≠ argmax u), ``alpha_bound``,
    ``value_bound`` (lemma bounds, checked when ``η > 2δ``), ``eps1`` (``max(1 - α) > eps1`` for a
    claimed ε₁) and ``eps1_value`` (value error above ``2 ε₁ v_max``).
    """
    t0 = time.perf_counter()
    pair = as_feature_pair(features)
    scale = float(beta if score_scale is None else score_scale)
    if draws is None:
        draws = sample_margin_draws(utility, n_keys, eta, num_draws, seed=seed, method=sampling)
    n_keys = draws.keys.shape[1]
    q, k = _feature_tensors(pair, draws.x, draws.keys)
    if backend == "softmax":
        alpha = attention_weights(q, k, scale)
    elif backend == "sdpa":
        alpha = sdpa_weights(q, k, scale)
    else:
        raise ValueError(f"unknown backend {backend!r}: 'softmax' or 'sdpa'")
    S = scale * torch.einsum("bm,bnm->bn", q, k)
    score_err = (S / beta - torch.as_tensor(draws.u)).abs().amax(dim=1).numpy()
    delta_measured = float(score_err.max())
    if delta is None:
        delta = pair.delta
    delta_source = "stated" if delta is not None else "measured (sampled, not certified)"
    delta = float(delta_measured if delta is None else delta)

    rows = np.arange(len(draws))
    best = torch.as_tensor(draws.best)
    others = torch.ones_like(alpha, dtype=torch.bool)
    others[rows, best] = False
    one_minus = (alpha * others).sum(dim=1)  # sum of the other weights: no cancellation near 1
    V = torch.as_tensor(_ball(np.random.default_rng(seed + 1), (len(draws), n_keys), value_dim,
                              vmax))
    v_best = V[rows, best]
    # Σ α_i v_i - v_{i*} = Σ_{j≠i*} α_j (v_j - v_{i*}), again free of cancellation
    err_vec = torch.einsum("bn,bnv->bv", alpha * others, V - v_best[:, None, :])
    value_err = err_vec.norm(dim=1).numpy()
    one_minus = one_minus.numpy()
    selected = alpha.argmax(dim=1).numpy()
    alpha_np = alpha.numpy()

    def draw_evidence(i: int) -> dict[str, Any]:
        return {
            "index": int(i),
            "x": draws.x[i].tolist(),
            "keys": draws.keys[i].tolist(),
            "utilities": draws.u[i].tolist(),
            "margin": float(draws.margin[i]),
            "scores": S[i].tolist(),
            "alpha": alpha_np[i].tolist(),
            "best": int(draws.best[i]),
            "selected": int(selected[i]),
            "one_minus_alpha_best": float(one_minus[i]),
            "value_error": float(value_err[i]),
            "score_error": float(score_err[i]),
        }

    violations: list[dict[str, Any]] = []

    def violated(check: str, measured: np.ndarray, bound: float | np.ndarray, rel: float = 1e-9,
                 atol: float = 1e-300):
        excess = measured - np.asarray(bound) * (1 + rel) - atol
        if (excess > 0).any():
            i = int(np.argmax(measured - np.asarray(bound)))
            b = np.asarray(bound)
            violations.append({"check": check, "measured": float(measured[i]),
                               "bound": float(b if b.ndim == 0 else b[i]),
                               "count": int((excess > 0).sum()), "draw": draw_evidence(i)})

    if delta_source == "stated":
        # float64 rounding of <φ, ψ> is ~1e-16 of the feature magnitudes: allow 1e-12 of |u|
        violated("delta", score_err, delta, rel=1e-12,
                 atol=1e-12 * max(1.0, float(np.abs(draws.u).max())))
    mismatch = selected != draws.best
    if mismatch.any():
        i = int(np.flatnonzero(mismatch)[np.argmax(one_minus[mismatch])])
        violations.append({"check": "selection", "measured": float(mismatch.mean()),
                           "bound": 0.0, "count": int(mismatch.sum()),
                           "draw": draw_evidence(i)})
    lemma = eta > 2 * delta
    bound_1ma = one_minus_bound(n_keys, beta, eta, delta) if lemma else None
    if lemma:
        violated("alpha_bound", one_minus, bound_1ma)
        violated("value_bound", value_err, 2 * one_minus * vmax)
        violated("value_bound", value_err, 2 * bound_1ma * vmax)
    if eps1 is not None:
        violated("eps1", one_minus, eps1, rel=0.0)
        violated("eps1_value", value_err, 2 * eps1 * vmax, rel=0.0)

    return RetrievalResult(
        ok=not violations,
        n_draws=len(draws),
        n_keys=n_keys,
        eta=float(eta),
        beta=float(beta),
        score_scale=scale,
        delta=delta,
        delta_source=delta_source,
        delta_measured=delta_measured,
        lemma_applicable=bool(lemma),
        accuracy=float(1.0 - mismatch.mean()),
        mean_one_minus_alpha=float(one_minus.mean()),
        max_one_minus_alpha=float(one_minus.max()),
        mean_value_error=float(value_err.mean()),
        max_value_error=float(value_err.max()),
        bounds={
            "one_minus_alpha": bound_1ma,
            "alpha_lower": None if bound_1ma is None else 1.0 - bound_1ma,
            "value_error": None if bound_1ma is None else 2 * bound_1ma * vmax,
            "eps1": eps1,
            "eps1_value_error": None if eps1 is None else 2 * eps1 * vmax,
        },
        acceptance_rate=draws.acceptance_rate,
        sampling=draws.method,
        time_s=time.perf_counter() - t0,
        backend=backend,
        violations=violations,
    )


def nearest_key_target(
    num_draws: int = 10_000, seed: int = 0, n_keys: int = 16, eta: float = 0.05,
    eps1: float = 1e-3, d: int = 2,
) -> dict[str, Any]:
    """The reference measurement: nearest-key retrieval on ``[-1,1]^d`` with exact features at
    ``β = beta_for(n, ε₁, η)``; returns the summary numbers and the wall time of the draws."""
    from verify.attention.features import nearest_key_features
    from verify.attention.margin import beta_for
    from verify.attention.utilities import nearest_key

    u = nearest_key(d)
    beta = beta_for(n_keys, eps1, eta)
    t0 = time.perf_counter()
    res = evaluate_retrieval(nearest_key_features(d), u, beta=beta, eta=eta, n_keys=n_keys,
                             num_draws=num_draws, eps1=eps1, seed=seed)
    seconds = time.perf_counter() - t0
    return {"ok": res.ok, "beta": beta, "accuracy": res.accuracy,
            "max_one_minus_alpha": res.max_one_minus_alpha,
            "bound_one_minus_alpha": res.bounds["one_minus_alpha"], "eps1": eps1,
            "max_value_error": res.max_value_error, "bound_value_error": res.bounds["value_error"],
            "acceptance_rate": res.acceptance_rate, "n_draws": res.n_draws,
            "sampling_and_evaluation_s": seconds}
