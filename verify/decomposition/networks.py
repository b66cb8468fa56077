"""The networks the decomposition checks run on: committed witnesses and small ones trained here.

A network is a list of affine layers ``[(W, b), ...]`` (``W`` of shape (out, in), float64) with
an activation after every layer but the last, as in docs/CONTRACTS.md. Committed witnesses are
pinned copies (``verify/decomposition/witnesses/``) of certified inner-product models of the
reference report at commit d55e6c8, loaded with :meth:`verify.models.InnerProductModel.load`:
pinned so that regenerating ``reports/reference`` never changes what these checks test.
Training here is full-batch L-BFGS on the mean squared error with a fixed iteration count,
float64, one thread, seeded: deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from verify.decomposition.svd import Layers

WITNESSES = Path(__file__).resolve().parent / "witnesses"


@dataclass
class Model:
    """A named inner-product model ``<φ(x), ψ(y)>`` (``psi=None``: ψ = φ) or, for a network
    trained here, a single MLP ``f`` as ``φ`` (its ``<f(x), f(y)>`` is then the model)."""

    name: str
    phi: Layers
    psi: Layers | None
    activation: str

    def named_layers(self) -> list[tuple[str, np.ndarray]]:
        """``("name:phi[i]", W_i)`` for every layer of φ and ψ."""
        out = [(f"{self.name}:phi[{i}]", W) for i, (W, _) in enumerate(self.phi)]
        out += [(f"{self.name}:psi[{i}]", W) for i, (W, _) in enumerate(self.psi or [])]
        return out


def witness_path(spec: str) -> Path:
    """``"theorem/instance"`` -> the pinned witness file of that reference case."""
    theorem, instance = spec.split("/")
    return WITNESSES / theorem / f"{instance}.json"


def load_witness(spec: str):
    """The committed :class:`~verify.models.InnerProductModel` of ``"theorem/instance"``;
    FileNotFoundError (one line) when the reference report does not hold it."""
    from verify.models.inner_product import InnerProductModel

    path = witness_path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"no committed witness for {spec!r} at {path}")
    return InnerProductModel.load(path)


def witness_model(spec: str) -> Model:
    """A committed witness as a :class:`Model`."""
    model = load_witness(spec)

    def layers(net) -> Layers:
        return [(np.array(W, float), np.array(b, float)) for W, b in net.layers()]

    return Model(spec, layers(model.phi), None if model.psi is None else layers(model.psi),
                 model.phi.config.activation)


def train_regression(x: np.ndarray, y: np.ndarray, *, width: int, depth: int, activation: str,
                     seed: int, iters: int, weight_decay: float = 0.0) -> Layers:
    """Fit ``f: R^d -> R`` (``depth`` hidden layers of ``width``) to ``(x, y)`` by full-batch
    L-BFGS on ``mean (f(x) − y)² + weight_decay·‖θ‖²``, ``iters`` iterations (deterministic)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # deterministic reductions; restored below
    try:
        return _lbfgs(torch, x, y, width, depth, activation, seed, iters, weight_decay)
    finally:
        torch.set_num_threads(threads)


def _lbfgs(torch, x, y, width, depth, activation, seed, iters, weight_decay) -> Layers:
    from verify.models.mlp import ACTIVATIONS

    gen = torch.Generator().manual_seed(int(seed))
    X = torch.as_tensor(np.asarray(x, float))
    Y = torch.as_tensor(np.asarray(y, float)).reshape(-1)
    dims = [X.shape[1]] + [width] * depth + [1]
    params = []
    for a, b in zip(dims[:-1], dims[1:]):
        W = torch.randn(b, a, generator=gen, dtype=torch.float64) / np.sqrt(a)
        W = W * (2.0 if a == dims[0] else 1.0)
        bias = torch.randn(b, generator=gen, dtype=torch.float64) * (0.5 if a == dims[0] else 0.0)
        params += [W.requires_grad_(), bias.requires_grad_()]
    act = ACTIVATIONS[activation]

    def loss_fn():
        h = X
        for i in range(len(params) // 2):
            h = h @ params[2 * i].T + params[2 * i + 1]
            if i < len(params) // 2 - 1:
                h = act(h)
        reg = sum((p * p).sum() for p in params) if weight_decay else 0.0
        return ((h.reshape(-1) - Y) ** 2).mean() + weight_decay * reg

    opt = torch.optim.LBFGS(params, lr=1.0, max_iter=iters, max_eval=int(iters * 1.25),
                            history_size=50, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-15, tolerance_change=1e-18)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    opt.step(closure)
    return [(params[2 * i].detach().numpy().copy(), params[2 * i + 1].detach().numpy().copy())
            for i in range(len(params) // 2)]


def regression_data(target: str, d: int, n_per_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Training data on a tensor grid of ``[−1, 1]^d``: ``target`` is ``"sine"``
    (``sin(π x_1)·Π cos(π x_i / 2)``) or ``"bump"`` (``exp(−2‖x‖²)``)."""
    g = np.linspace(-1.0, 1.0, n_per_dim)
    x = np.stack(np.meshgrid(*[g] * d, indexing="ij"), -1).reshape(-1, d)
    if target == "sine":
        y = np.sin(np.pi * x[:, 0]) * np.prod(np.cos(np.pi * x[:, 1:] / 2), axis=1)
    elif target == "bump":
        y = np.exp(-2.0 * np.sum(x * x, axis=1))
    else:
        raise ValueError(f"unknown regression target {target!r}; use 'sine' or 'bump'")
    return x, y


@cache
def trained_model(target: str, d: int, n_per_dim: int, *, width: int, depth: int,
                  activation: str, seed: int, iters: int) -> Model:
    """A small regression network trained here (see :func:`train_regression`; cached, it is
    deterministic)."""
    x, y = regression_data(target, d, n_per_dim)
    layers = train_regression(x, y, width=width, depth=depth, activation=activation, seed=seed,
                              iters=iters)
    return Model(f"trained:{target}-{d}d-w{width}x{depth}", layers, None, activation)


def resolve(spec: str, *, seed: int, iters: int) -> Model:
    """``"witness:THEOREM/INSTANCE"`` (committed) or ``"trained:TARGET-Dd"`` (trained here:
    width 16, depth 2, tanh, a 16-point grid in 1-D, 6 per axis in 2-D)."""
    kind, _, rest = spec.partition(":")
    if kind == "witness":
        return witness_model(rest)
    if kind == "trained":
        target, _, dim = rest.partition("-")
        d = int(dim.rstrip("d"))
        return trained_model(target, d, 16 if d == 1 else 6, width=16, depth=2,
                             activation="tanh", seed=seed, iters=iters)
    raise ValueError(f"unknown network spec {spec!r}; use 'witness:THEOREM/INSTANCE' or "
                     "'trained:TARGET-Dd'")
