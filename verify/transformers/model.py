"""Small residual transformers on n scalar tokens, equivariant targets, and a trainer (ours).

Model (tokens x ∈ R^n, one scalar each; width m, depth L, one head, d_k = m):

.. math::

    h^0_i = x_i a + c, \\quad
    h \\leftarrow h + \\mathrm{Attn}(h), \\quad
    h \\leftarrow h + W_2 \\tanh(W_1 h_i + b_1) + b_2 \\ (\\text{token-wise}), \\quad
    f(x)_i = u^\\top h^L_i + u_0,

with softmax attention (torch SDPA) or normalised RBF attention exp(−γ‖q_i − k_j‖²)
(:mod:`verify.transformers.layers`). Every such f is S_n-equivariant. Targets are continuous
S_n-equivariant maps given by a sympy expression t(x_0; x_1, …) for token 0, symmetric in
the other tokens; token i's target is t(x_i; the rest).

Why a separate trainer: the project's trainer (:mod:`verify.trainers`, the claim pipeline)
fits inner-product models ⟨φ(x), ψ(y)⟩ to a relation on X×X; a transformer maps a whole token
sequence to a sequence, so neither its model class nor its loss fits. :func:`train` is
deliberately small: Adam with a cosine learning rate, a fixed number of iterations
(``steps``), fresh uniform batches from a torch generator seeded with the check's seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp
import torch
from torch import nn
from torch.nn import functional as F


class Block(nn.Module):
    def __init__(self, width: int, kind: str, gamma: float) -> None:
        super().__init__()
        self.kind, self.gamma = kind, gamma
        self.q = nn.Linear(width, width, bias=False)
        self.k = nn.Linear(width, width, bias=False)
        self.v = nn.Linear(width, width, bias=False)
        self.ff1 = nn.Linear(width, 2 * width)
        self.ff2 = nn.Linear(2 * width, width)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        q, k, v = self.q(h), self.k(h), self.v(h)
        if self.kind == "softmax":
            h = h + F.scaled_dot_product_attention(q, k, v)
        else:
            s = -self.gamma * ((q.unsqueeze(-2) - k.unsqueeze(-3)) ** 2).sum(-1)
            h = h + torch.softmax(s, dim=-1) @ v
        return h + self.ff2(torch.tanh(self.ff1(h)))


class TokenTransformer(nn.Module):
    """f: R^n → R^n, S_n-equivariant (see the module docstring)."""

    def __init__(self, width: int, depth: int, kind: str = "softmax", gamma: float = 1.0):
        super().__init__()
        if kind not in ("softmax", "rbf"):
            raise ValueError(f"unknown attention kind {kind!r}; expected softmax or rbf")
        self.kind, self.gamma = kind, gamma
        self.embed = nn.Linear(1, width)
        self.blocks = nn.ModuleList(Block(width, kind, gamma) for _ in range(depth))
        self.out = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, n) -> (B, n)
        h = self.embed(x.unsqueeze(-1))
        for b in self.blocks:
            h = b(h)
        return self.out(h).squeeze(-1)

    def weights(self) -> dict:
        """float64 numpy weights, in the layout the interval forward uses."""
        W = lambda lin: lin.weight.detach().double().numpy()  # noqa: E731
        B = lambda lin: lin.bias.detach().double().numpy()  # noqa: E731
        return {"kind": self.kind, "gamma": self.gamma,
                "embed": (W(self.embed), B(self.embed)), "out": (W(self.out), B(self.out)),
                "blocks": [{"q": W(b.q), "k": W(b.k), "v": W(b.v), "ff1": (W(b.ff1), B(b.ff1)),
                            "ff2": (W(b.ff2), B(b.ff2))} for b in self.blocks]}


@dataclass(frozen=True)
class Target:
    """An S_n-equivariant target from t(x_0; x_1, …, x_{n−1}) (sympy, symmetric in x_1…)."""

    name: str
    expr: sp.Expr
    n: int = 3

    @property
    def symbols(self) -> list[sp.Symbol]:
        return list(sp.symbols(f"x0:{self.n}", real=True))

    def token_expr(self, i: int) -> sp.Expr:
        """Target of token i: x_0 → x_i and the others in cyclic order."""
        s = self.symbols
        return self.expr.xreplace({s[k]: s[(i + k) % self.n] for k in range(self.n)})

    def symmetric_in_rest(self) -> bool:
        s = self.symbols
        if self.n < 3:
            return True
        swapped = self.expr.xreplace({s[1]: s[2], s[2]: s[1]})
        return sp.simplify(swapped - self.expr) == 0

    @cached_property
    def _fn(self):
        return sp.lambdify(self.symbols, self.expr, "numpy")

    def numpy(self, X: np.ndarray) -> np.ndarray:
        f = self._fn
        cols = [X[..., k] for k in range(self.n)]
        return np.stack([f(*(cols[(i + k) % self.n] for k in range(self.n)))
                         * np.ones(X.shape[:-1]) for i in range(self.n)], axis=-1)

    def exact(self, x: list[sp.Rational], i: int) -> sp.Expr:
        return self.token_expr(i).subs(dict(zip(self.symbols, x)))


def train(model: TokenTransformer, target: Target, lo: float, hi: float, steps: int,
          seed: int, batch: int = 512, lr: float = 1e-2) -> list[float]:
    """Adam over fresh uniform batches in [lo, hi]^n, ``steps`` iterations, cosine learning
    rate: mean squared error for the first half, then (mean |e|^8)^(1/4) (an L^8 loss that
    weighs the worst tokens, since the claim is about the sup); returns the loss every
    ``steps // 10`` iterations."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    # draw the initial weights in float32 whatever torch's default dtype is (a caller that set
    # float64 would otherwise get other draws: same seed, same model), then train in float64
    model.float()
    for p in model.parameters():  # re-initialise from the seed: same seed, same model
        if p.dim() > 1:
            nn.init.xavier_uniform_(p, generator=gen)
        else:
            nn.init.zeros_(p)
    model.double()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=lr * 1e-2)
    history = []
    for step in range(steps):
        X = lo + (hi - lo) * torch.rand(batch, target.n, generator=gen, dtype=torch.float64)
        y = torch.as_tensor(target.numpy(X.numpy()))
        e = model(X) - y
        loss = (e**2).mean() if step < steps // 2 else (e.abs() ** 8).mean() ** 0.25
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % max(steps // 10, 1) == 0 or step == steps - 1:
            history.append(float(loss.detach()))
    return history


def sampled_sup(model: TokenTransformer, target: Target, lo: float, hi: float,
                grid: int, rng: np.random.Generator, random_points: int) -> dict:
    """max_i |f(X)_i − t(X)_i| over a grid^n grid, the box corners and random points."""
    axes = [np.linspace(lo, hi, grid)] * target.n
    G = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, target.n)
    X = np.concatenate([G, rng.uniform(lo, hi, (random_points, target.n))])
    with torch.no_grad():
        err = np.abs(model(torch.as_tensor(X)).numpy() - target.numpy(X)).max(-1)
    k = int(np.argmax(err))
    return {"sup": float(err[k]), "point": X[k].tolist(), "points": int(len(X))}
