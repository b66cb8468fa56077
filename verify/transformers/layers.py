"""Residual attention layers X ↦ X + Attn(X), batched over parameter draws (ours).

Tokens are the *rows* of a tensor ``X`` of shape ``(..., n, d)`` (the math writes
X ∈ R^{d×n} with tokens as columns; the two are transposes). One head with query/key maps
W_Q, W_K ∈ R^{d×d_k} and value map W_V ∈ R^{d×d}, all batched: ``(..., d, d_k)``. The kinds:

.. math::

    \\text{softmax:}\\quad \\mathrm{Attn}(X)_i = \\sum_j
        \\frac{\\exp(q_i^\\top k_j/\\sqrt{d_k})}{\\sum_l \\exp(q_i^\\top k_l/\\sqrt{d_k})}\\, v_j,
    \\qquad q = XW_Q,\\ k = XW_K,\\ v = XW_V

    \\text{RBF:}\\quad \\alpha_{ij} \\propto \\exp(-\\gamma \\|q_i - k_j\\|^2)
    \\qquad\\text{(normalised over } j\\text{)}

    \\text{ReLU-feature linear:}\\quad \\mathrm{Attn}(X)_i =
        \\frac{\\sum_j \\langle \\rho(q_i), \\rho(k_j)\\rangle v_j}
             {1 + \\sum_j \\langle \\rho(q_i), \\rho(k_j)\\rangle},\\quad \\rho = \\max(\\cdot, 0)

Softmax goes through ``torch.nn.functional.scaled_dot_product_attention`` (SDPA);
:func:`softmax_explicit` is the formula written out, and the two agree to rounding (tested to
1e-6). The "1 +" in the linear-attention denominator is ours: it keeps the layer defined when
every feature product vanishes (the case the non-analytic control is about). Every kind is
permutation-equivariant: Attn(X[σ]) = Attn(X)[σ].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

KINDS = ("softmax", "rbf", "relu-linear")


@dataclass(frozen=True)
class AttentionParams:
    """W_Q, W_K (``(..., d, d_k)``) and W_V (``(..., d, d)``) as float64 tensors; γ for RBF."""

    wq: torch.Tensor
    wk: torch.Tensor
    wv: torch.Tensor
    gamma: float = 1.0

    @property
    def batch(self) -> tuple[int, ...]:
        return tuple(self.wq.shape[:-2])

    def draw(self, index: int) -> AttentionParams:
        """The ``index``-th draw of a batch (keeps a leading batch dimension of 1)."""
        return AttentionParams(self.wq[index:index + 1], self.wk[index:index + 1],
                               self.wv[index:index + 1], self.gamma)


def random_params(draws: int, d: int, d_k: int, rng: np.random.Generator,
                  scale: float = 1.0, gamma: float = 1.0) -> AttentionParams:
    """``draws`` independent Gaussian parameter sets N(0, scale²) (the "generic" draws)."""
    def g(*shape: int) -> torch.Tensor:
        return torch.as_tensor(scale * rng.standard_normal((draws, *shape)))

    return AttentionParams(g(d, d_k), g(d, d_k), g(d, d), gamma)


def _qkv(X: torch.Tensor, p: AttentionParams):
    """Inputs ``X`` (*M, n, d) against draws (B, d, ·): outputs (B, *M, n, ·)."""
    ones = [1] * (X.dim() - 2)

    def shape(w: torch.Tensor) -> torch.Tensor:
        return w.reshape(*p.batch, *ones, *w.shape[-2:])

    return X @ shape(p.wq), X @ shape(p.wk), X @ shape(p.wv)


def softmax_attention(X: torch.Tensor, p: AttentionParams,
                      bias: torch.Tensor | None = None) -> torch.Tensor:
    """Attn(X) by torch SDPA (scale 1/√d_k); ``bias`` (n, n) is added to the scores
    (float mask; ``-inf`` blocks an edge)."""
    q, k, v = _qkv(X, p)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)


def softmax_explicit(X: torch.Tensor, p: AttentionParams,
                     bias: torch.Tensor | None = None) -> torch.Tensor:
    """The same layer from the formula softmax(q kᵀ/√d_k + bias) v."""
    q, k, v = _qkv(X, p)
    s = q @ k.transpose(-1, -2) / np.sqrt(q.shape[-1])
    if bias is not None:
        s = s + bias
    return torch.softmax(s, dim=-1) @ v


def rbf_attention(X: torch.Tensor, p: AttentionParams,
                  bias: torch.Tensor | None = None) -> torch.Tensor:
    """Normalised RBF attention: α_ij ∝ exp(−γ‖q_i − k_j‖²) (+ bias)."""
    q, k, v = _qkv(X, p)
    s = -p.gamma * ((q.unsqueeze(-2) - k.unsqueeze(-3)) ** 2).sum(-1)
    if bias is not None:
        s = s + bias
    return torch.softmax(s, dim=-1) @ v


def relu_linear_attention(X: torch.Tensor, p: AttentionParams,
                          bias: torch.Tensor | None = None) -> torch.Tensor:
    """ReLU-feature linear attention with denominator 1 + Σ_j ⟨ρ(q_i), ρ(k_j)⟩ (ours)."""
    if bias is not None:
        raise ValueError("relu-linear attention takes no score bias")
    q, k, v = _qkv(X, p)
    a = torch.relu(q) @ torch.relu(k).transpose(-1, -2)
    return (a @ v) / (1.0 + a.sum(-1, keepdim=True))


ATTENTION = {"softmax": softmax_attention, "rbf": rbf_attention,
             "relu-linear": relu_linear_attention}


def attention(kind: str, X: torch.Tensor, p: AttentionParams,
              bias: torch.Tensor | None = None) -> torch.Tensor:
    try:
        fn = ATTENTION[kind]
    except KeyError:
        raise ValueError(f"unknown attention kind {kind!r}; expected one of {KINDS}") from None
    return fn(X, p, bias)


def residual_layer(kind: str, X: torch.Tensor, p: AttentionParams,
                   bias: torch.Tensor | None = None) -> torch.Tensor:
    """X ↦ X + Attn(X): inputs (*M, n, d), draws B, output (B, *M, n, d)."""
    return X + attention(kind, X, p, bias)


def sdpa_gap(X: torch.Tensor, p: AttentionParams) -> float:
    """max |SDPA − explicit formula| on X over every draw (both float64)."""
    return float((softmax_attention(X, p) - softmax_explicit(X, p)).abs().max())
