"""Quick witness fitting for certification benchmarks and tests (ours).

Fits an inner-product model ⟨φ(x), ψ(y)⟩ (ψ = φ when symmetric) to a relation on a tensor
grid by L-BFGS on L^p losses with increasing p (2, 4, 8, ...), which pushes the fit towards
the sup norm.  This is a stand-in until ``verify/trainers`` lands; it returns plain
``[(W, b), ...]`` float64 layer lists as in docs/CONTRACTS.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Layers = list[tuple[np.ndarray, np.ndarray]]


def _mlp(torch, in_dim: int, width: int, depth: int, out_dim: int, gen):
    dims = [in_dim] + [width] * depth + [out_dim]
    params = []
    for a, b in zip(dims[:-1], dims[1:]):
        W = torch.randn(b, a, generator=gen, dtype=torch.float64) * (1.0 / np.sqrt(a))
        if a == in_dim:
            W = W * 3.0  # spread tanh features over the input box
        bias = torch.randn(b, generator=gen, dtype=torch.float64) * (0.5 if a == in_dim else 0.0)
        params += [W.requires_grad_(), bias.requires_grad_()]
    return params


def _forward(torch, params, act, x):
    h = x
    n = len(params) // 2
    for i in range(n):
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < n - 1:
            h = act(h)
    return h


def fit_witness(
    gram_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x_grid: np.ndarray,
    y_grid: np.ndarray | None = None,
    *,
    feature_dim: int = 8,
    width: int = 32,
    depth: int = 1,
    activation: str = "tanh",
    symmetric: bool = True,
    ps: Sequence[int] = (2, 4, 8, 16),
    iters: int = 300,
    seed: int = 0,
    threads: int = 1,
) -> tuple[Layers, Layers | None, float]:
    """Return (phi_layers, psi_layers or None, sup error on the grid)."""
    import torch

    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(seed)
    X = torch.as_tensor(np.asarray(x_grid, float))
    Y = X if y_grid is None else torch.as_tensor(np.asarray(y_grid, float))
    K = torch.as_tensor(gram_fn(X.numpy(), Y.numpy()))
    act = {
        "tanh": torch.tanh,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "softplus": torch.nn.functional.softplus,
    }[activation]
    phi = _mlp(torch, X.shape[1], width, depth, feature_dim, gen)
    psi = None if symmetric else _mlp(torch, Y.shape[1], width, depth, feature_dim, gen)
    params = phi + ([] if psi is None else psi)

    def resid():
        F = _forward(torch, phi, act, X)
        G = _forward(torch, phi if psi is None else psi, act, Y)
        return F @ G.T - K

    for p in ps:
        opt = torch.optim.LBFGS(
            params,
            lr=1.0,
            max_iter=iters,
            history_size=50,
            line_search_fn="strong_wolfe",
            tolerance_grad=1e-14,
            tolerance_change=1e-16,
        )

        def closure(opt=opt, p=p):
            opt.zero_grad()
            R = resid()
            s = R.abs().max().detach()
            loss = s * ((R / s).abs() ** p).mean() ** (1.0 / p)
            loss.backward()
            return loss

        opt.step(closure)
    with torch.no_grad():
        err = float(resid().abs().max())

    def to_layers(ps_):
        return [
            (ps_[2 * i].detach().numpy().copy(), ps_[2 * i + 1].detach().numpy().copy())
            for i in range(len(ps_) // 2)
        ]

    return to_layers(phi), (None if psi is None else to_layers(psi)), err
