"""Inner-product models ``r̂(x, y) = <φ(x), ψ(y)>`` with MLP feature maps.

Symmetric model: ``ψ = φ`` (so every Gram matrix ``[r̂(x_i, x_j)]`` is PSD); asymmetric model: two
MLPs, ``dx`` may differ from ``dy``. Contract: docs/CONTRACTS.md.

Rank bound (docs/math.md, "Lower bounds"): with ``φ = A h(x) + a`` and ``ψ = B g(y) + b``, ``h``,
``g`` the last hidden layers of widths ``w_φ``, ``w_ψ``, every Gram matrix has rank
``≤ min(m, w_φ + 1, w_ψ + 1)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from verify.models.mlp import MLP, MLPConfig

_FORMAT = "relverify.inner_product/1"


class InnerProductModel(torch.nn.Module):
    """``<φ(x), ψ(y)>``; ``psi_config=None`` gives the symmetric model ``<φ(x), φ(y)>``."""

    def __init__(
        self,
        phi_config: MLPConfig,
        psi_config: MLPConfig | None = None,
        *,
        seed: int | None = 0,
        dtype: torch.dtype = torch.float64,
        device: str | torch.device = "cpu",
    ) -> None:
        super().__init__()
        if psi_config is not None and psi_config.out_dim != phi_config.out_dim:
            raise ValueError(
                f"phi and psi must share the feature dimension: out_dim {phi_config.out_dim} "
                f"!= {psi_config.out_dim}"
            )
        seed = 0 if seed is None else int(seed)
        self.phi = MLP(phi_config, seed=seed, dtype=dtype, device=device)
        self.psi = (
            None
            if psi_config is None
            else MLP(psi_config, seed=seed + 7919, dtype=dtype, device=device)
        )

    @classmethod
    def build(
        cls,
        *,
        dx: int,
        dy: int | None = None,
        width: int,
        depth: int,
        feature_dim: int,
        activation: str = "tanh",
        symmetric: bool = True,
        seed: int | None = 0,
        dtype: torch.dtype = torch.float64,
        device: str | torch.device = "cpu",
    ) -> InnerProductModel:
        """Convenience constructor: the same width/depth/activation for φ and ψ."""
        dy = dx if dy is None else dy
        if symmetric and dy != dx:
            raise ValueError(f"a symmetric model needs dx == dy, got dx={dx}, dy={dy}")
        phi = MLPConfig(dx, width, depth, feature_dim, activation)
        psi = None if symmetric else MLPConfig(dy, width, depth, feature_dim, activation)
        return cls(phi, psi, seed=seed, dtype=dtype, device=device)

    # --- structure -------------------------------------------------------------------------
    @property
    def symmetric(self) -> bool:
        return self.psi is None

    @property
    def feature_dim(self) -> int:
        return self.phi.config.out_dim

    @property
    def dx(self) -> int:
        return self.phi.config.in_dim

    @property
    def dy(self) -> int:
        return self._psi.config.in_dim

    @property
    def hidden_neurons(self) -> int:
        return self.phi.hidden_neurons + (0 if self.psi is None else self.psi.hidden_neurons)

    @property
    def rank_bound(self) -> int:
        """``min(m, w_φ + 1, w_ψ + 1)``: no Gram matrix of this model has a larger rank."""
        return min(
            self.feature_dim, self.phi.last_hidden_width + 1, self._psi.last_hidden_width + 1
        )

    @property
    def _psi(self) -> MLP:
        return self.phi if self.psi is None else self.psi

    # --- evaluation ------------------------------------------------------------------------
    def features(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.phi(x), self._psi(y)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Paired values ``<φ(x_i), ψ(y_i)>``, shape (n,)."""
        fx, fy = self.features(x, y)
        return (fx * fy).sum(-1)

    def gram(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """``[<φ(X_i), ψ(Y_j)>]``, shape (n, m)."""
        return self.phi(X) @ self._psi(Y).T

    # --- persistence -----------------------------------------------------------------------
    def config_dict(self) -> dict:
        return {
            "format": _FORMAT,
            "symmetric": self.symmetric,
            "phi": self.phi.config.to_dict(),
            "psi": None if self.psi is None else self.psi.config.to_dict(),
        }

    def save(self, path: str | Path) -> Path:
        """Write config + weights. ``.npz``: arrays plus the JSON config as a string (loads with
        ``allow_pickle=False``); any other suffix: one JSON file, weights as nested lists (Python
        float repr, so float64 values round-trip exactly)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nets = {"phi": self.phi} if self.psi is None else {"phi": self.phi, "psi": self.psi}
        if path.suffix == ".npz":
            arrays = {"config_json": np.array(json.dumps(self.config_dict()))}
            for name, net in nets.items():
                for i, (w, b) in enumerate(net.layers()):
                    arrays[f"{name}_W{i}"] = w
                    arrays[f"{name}_b{i}"] = b
            np.savez(path, **arrays)
        else:
            doc = self.config_dict()
            doc["weights"] = {
                name: [{"W": w.tolist(), "b": b.tolist()} for w, b in net.layers()]
                for name, net in nets.items()
            }
            path.write_text(json.dumps(doc))
        return path

    @classmethod
    def load(cls, path: str | Path, *, device: str | torch.device = "cpu") -> InnerProductModel:
        path = Path(path)
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                cfg = json.loads(str(data["config_json"]))
                arrays = {k: data[k] for k in data.files}
            weights = {}
            for name in ("phi", "psi"):
                n = sum(1 for k in arrays if k.startswith(f"{name}_W"))
                weights[name] = [(arrays[f"{name}_W{i}"], arrays[f"{name}_b{i}"]) for i in range(n)]
        else:
            cfg = json.loads(path.read_text())
            weights = {
                name: [
                    (np.asarray(lay["W"], dtype=np.float64), np.asarray(lay["b"], np.float64))
                    for lay in layers
                ]
                for name, layers in cfg["weights"].items()
            }
        if cfg.get("format") != _FORMAT:
            raise ValueError(f"{path}: not a relverify inner-product model file")
        psi_cfg = None if cfg["psi"] is None else MLPConfig(**cfg["psi"])
        model = cls(MLPConfig(**cfg["phi"]), psi_cfg, device=device)
        model.phi.set_layers(weights["phi"])
        if model.psi is not None:
            model.psi.set_layers(weights["psi"])
        return model


def gram_is_psd(
    model: InnerProductModel, X: np.ndarray | torch.Tensor, tol: float = 1e-10
) -> tuple[bool, float, int]:
    """Converse property of the symmetric model: its Gram on ``X`` is PSD of rank ≤ rank_bound.

    Returns ``(ok, lambda_min, rank)``: ``ok`` iff ``lambda_min ≥ -tol·max(1, λ_max)``; ``rank``
    counts eigenvalues above ``tol·max(1, λ_max)``.
    """
    if not model.symmetric:
        raise ValueError("gram_is_psd needs a symmetric model (psi = phi)")
    p = next(model.parameters())
    Xt = torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X, dtype=p.dtype)
    with torch.no_grad():
        G = model.gram(Xt.to(p.device), Xt.to(p.device)).cpu().numpy()
    G = 0.5 * (G + G.T)
    lam = np.linalg.eigvalsh(G)
    scale = tol * max(1.0, float(abs(lam).max(initial=0.0)))
    lam_min = float(lam[0]) if lam.size else 0.0
    return lam_min >= -scale, lam_min, int((lam > scale).sum())
