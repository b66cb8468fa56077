"""Fully connected networks ``R^in -> R^out`` (the feature maps of an inner-product model).

Contract (docs/CONTRACTS.md): ``MLPConfig`` (frozen), ``MLP`` with ``layers()`` exporting the affine
maps as float64 numpy arrays; the activation acts after every layer but the last.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

#: Activations by name. "linear" (identity) makes the whole network affine; certification
#: (verify/certify) supports only "tanh", "relu", "softplus", "sigmoid".
ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "softplus": torch.nn.functional.softplus,
    "sigmoid": torch.sigmoid,
    "linear": lambda t: t,
}


@dataclass(frozen=True)
class MLPConfig:
    """Shape of an MLP: ``depth`` hidden layers of ``width`` neurons each."""

    in_dim: int
    width: int
    depth: int
    out_dim: int
    activation: str = "tanh"

    def __post_init__(self) -> None:
        for name in ("in_dim", "width", "depth", "out_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"MLPConfig.{name} must be a positive int, got {value!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"MLPConfig.activation must be one of {sorted(ACTIVATIONS)}, "
                f"got {self.activation!r}"
            )

    @property
    def hidden_neurons(self) -> int:
        return self.width * self.depth

    def to_dict(self) -> dict:
        return {
            k: (int(v) if isinstance(v, (int, np.integer)) else v) for k, v in asdict(self).items()
        }


class MLP(torch.nn.Module):
    """``x -> L_{depth+1}(σ(L_depth(... σ(L_1 x))))``, float64 by default."""

    def __init__(
        self,
        config: MLPConfig,
        *,
        seed: int | None = None,
        dtype: torch.dtype = torch.float64,
        device: str | torch.device = "cpu",
    ) -> None:
        super().__init__()
        self.config = config
        dims = [config.in_dim] + [config.width] * config.depth + [config.out_dim]
        gen = torch.Generator().manual_seed(0 if seed is None else int(seed))
        self.linears = torch.nn.ModuleList()
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            lin = torch.nn.Linear(fan_in, fan_out, dtype=dtype)
            bound = 1.0 / np.sqrt(fan_in)  # PyTorch's default scale, drawn from our own generator
            with torch.no_grad():
                lin.weight.copy_(
                    (torch.rand(fan_out, fan_in, generator=gen, dtype=dtype) * 2 - 1) * bound
                )
                lin.bias.copy_((torch.rand(fan_out, generator=gen, dtype=dtype) * 2 - 1) * bound)
            self.linears.append(lin)
        self._act = ACTIVATIONS[config.activation]
        self.to(device)

    @property
    def hidden_neurons(self) -> int:
        return self.config.hidden_neurons

    @property
    def last_hidden_width(self) -> int:
        return self.config.width

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer ``h(x)`` (n, width)."""
        for lin in self.linears[:-1]:
            x = self._act(lin(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linears[-1](self.hidden(x))

    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(W (out, in), b (out,)), ...]`` as float64 numpy arrays (copies, on the CPU)."""
        return [
            (
                lin.weight.detach().cpu().numpy().astype(np.float64, copy=True),
                lin.bias.detach().cpu().numpy().astype(np.float64, copy=True),
            )
            for lin in self.linears
        ]

    def set_layers(self, layers: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Load weights exported by :meth:`layers` (shapes must match the config)."""
        if len(layers) != len(self.linears):
            raise ValueError(f"expected {len(self.linears)} layers, got {len(layers)}")
        with torch.no_grad():
            for lin, (w, b) in zip(self.linears, layers):
                w = torch.as_tensor(np.asarray(w), dtype=lin.weight.dtype)
                b = torch.as_tensor(np.asarray(b), dtype=lin.bias.dtype).reshape(-1)
                if w.shape != lin.weight.shape or b.shape != lin.bias.shape:
                    raise ValueError(
                        f"layer shape {tuple(w.shape)}/{tuple(b.shape)} does not match "
                        f"{tuple(lin.weight.shape)}/{tuple(lin.bias.shape)}"
                    )
                lin.weight.copy_(w.to(lin.weight.device))
                lin.bias.copy_(b.to(lin.bias.device))
