"""A user's feature network as the certifier's float64 ``(W, b)`` layers, safely.

Accepted networks: an ``nn.Sequential`` (nested ones are flattened) of ``nn.Linear`` layers with
one supported activation between consecutive ones (``Tanh``, ``ReLU``, ``Sigmoid``, ``Softplus``
with ``beta = 1``; ``Identity`` is skipped), ending in ``Linear``; relverify's own
:class:`~verify.models.mlp.MLP`. Files (:func:`load_network`):

* a **state dict** saved with ``torch.save(model.state_dict(), "phi.pt")`` and loaded with
  ``torch.load(..., weights_only=True)`` (tensors only: a model file is never unpickled as code),
  plus an **architecture description**: the layer names in order, e.g.
  ``["Linear", "Tanh", "Linear"]``, from the sidecar file ``phi.pt.json``
  (``{"layers": [...]}``) or given directly (``--arch Linear,Tanh,Linear``). Sizes come from
  the weights; the description says what has no weights (the activations);
* relverify's ``witness.json`` / ``.npz`` (:meth:`InnerProductModel.load`: φ and ψ).

Every problem (missing file, unsupported layer, shapes that do not chain) raises
:class:`ModelError` with one line naming it. Torch's ``Softplus`` is linear above its
``threshold`` (default 20); the certificate is for :math:`\\log(1 + e^t)`, which differs from
it there by at most :math:`e^{-20} \\approx 2\\cdot 10^{-9}`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import torch

Layers = list[tuple[np.ndarray, np.ndarray]]

#: torch activation module name -> the certifier's activation name
ACTIVATION_MODULES = {"Tanh": "tanh", "ReLU": "relu", "Sigmoid": "sigmoid", "Softplus": "softplus"}
SUPPORTED = ("Linear", *ACTIVATION_MODULES, "Identity")


class ModelError(ValueError):
    """The network or file cannot be certified as given (one line says why)."""


def _flatten(module: torch.nn.Module) -> list[torch.nn.Module]:
    if isinstance(module, torch.nn.Sequential):
        return [m for child in module for m in _flatten(child)]
    return [module]


def _check_chain(names: list[str], where: str) -> str:
    """The single activation of ``Linear, act, Linear, ..., Linear`` (names), or ModelError."""
    names = [n for n in names if n != "Identity"]
    for i, n in enumerate(names):
        if n not in SUPPORTED:
            raise ModelError(f"{where}: unsupported layer {n!r} at position {i}; supported: "
                             f"{', '.join(SUPPORTED)}")
    if not names or names[0] != "Linear" or names[-1] != "Linear":
        raise ModelError(f"{where}: the network must start and end with Linear, got "
                         f"{' -> '.join(names) or 'nothing'}")
    acts = set()
    for i, n in enumerate(names):
        want_linear = i % 2 == 0
        if want_linear != (n == "Linear"):
            raise ModelError(f"{where}: expected Linear and activation layers alternating, got "
                             f"{' -> '.join(names)}")
        if not want_linear:
            acts.add(n)
    if len(acts) > 1:
        raise ModelError(f"{where}: one activation throughout is supported, got {sorted(acts)}")
    return ACTIVATION_MODULES[acts.pop()] if acts else "tanh"  # a single Linear: affine


def layers_from_module(module: torch.nn.Module, where: str = "network") -> tuple[Layers, str]:
    """``([(W, b), ...], activation)`` of an ``nn.Sequential`` of Linear + activation layers."""
    from verify.models.mlp import MLP

    if isinstance(module, MLP):
        return module.layers(), module.config.activation
    if not isinstance(module, torch.nn.Module):
        raise ModelError(f"{where}: expected a torch.nn.Module, got {type(module).__name__}")
    mods = _flatten(module)
    activation = _check_chain([type(m).__name__ for m in mods], where)
    for m in mods:
        if isinstance(m, torch.nn.Softplus) and float(m.beta) != 1.0:
            raise ModelError(f"{where}: Softplus with beta = {m.beta} is not supported (beta 1)")
    layers = []
    for m in mods:
        if isinstance(m, torch.nn.Linear):
            w = m.weight.detach().cpu().numpy().astype(np.float64, copy=True)
            b = (np.zeros(w.shape[0]) if m.bias is None
                 else m.bias.detach().cpu().numpy().astype(np.float64, copy=True))
            layers.append((w, b))
    _check_shapes(layers, where)
    return layers, activation


def _check_shapes(layers: Layers, where: str) -> None:
    for i in range(1, len(layers)):
        if layers[i][0].shape[1] != layers[i - 1][0].shape[0]:
            raise ModelError(f"{where}: layer {i} takes {layers[i][0].shape[1]} inputs but layer "
                             f"{i - 1} gives {layers[i - 1][0].shape[0]}")
    for i, (w, b) in enumerate(layers):
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise ModelError(f"{where}: layer {i} has weight {w.shape} and bias {b.shape}")
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
            raise ModelError(f"{where}: layer {i} has non-finite weights")


def parse_arch(text: str) -> list[str]:
    """``"Linear,Tanh,Linear"`` (commas or spaces) -> layer names."""
    names = [n for n in re.split(r"[\s,]+", text.strip()) if n]
    if not names:
        raise ModelError("empty architecture description; expected e.g. 'Linear,Tanh,Linear'")
    return names


def _read_arch(path: Path, arch: str | list[str] | None) -> list[str]:
    if arch is not None:
        return parse_arch(arch) if isinstance(arch, str) else list(arch)
    side = path.with_name(path.name + ".json")
    if not side.exists():
        raise ModelError(f"{path}: no architecture description; write {side.name} with "
                         '{"layers": ["Linear", "Tanh", "Linear"]} or pass --arch')
    try:
        doc = json.loads(side.read_text())
        names = doc["layers"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
        raise ModelError(f"{side}: expected JSON {{\"layers\": [\"Linear\", \"Tanh\", ...]}}") \
            from None
    return names


def layers_from_state_dict(state: dict, names: list[str], where: str) -> tuple[Layers, str]:
    """Match a ``nn.Sequential`` state dict (keys ``"<i>.weight"``, ``"<i>.bias"``) to
    ``names`` (the layers in order) and return its layers and activation."""
    activation = _check_chain(names, where)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"{where}: not a state dict of tensors")
    layers, used = [], set()
    for i, n in enumerate(names):
        if n != "Linear":
            if any(k.startswith(f"{i}.") for k in state):
                raise ModelError(f"{where}: layer {i} ({n}) has weights in the file; the "
                                 "architecture description does not fit")
            continue
        wk, bk = f"{i}.weight", f"{i}.bias"
        if wk not in state:
            raise ModelError(f"{where}: no weights {wk!r} for layer {i} (Linear); keys: "
                             f"{', '.join(sorted(state)[:8])}")
        w = state[wk].detach().cpu().double().numpy()
        b = (state[bk].detach().cpu().double().numpy() if bk in state
             else np.zeros(w.shape[0]))
        used |= {wk, bk}
        layers.append((w, b))
    extra = sorted(set(state) - used)
    if extra:
        raise ModelError(f"{where}: weights {', '.join(extra[:5])} belong to no Linear layer of "
                         "the architecture description")
    _check_shapes(layers, where)
    return layers, activation


def load_network(path: str | Path, arch: str | list[str] | None = None
                 ) -> tuple[Layers, Layers | None, str]:
    """``(phi_layers, psi_layers or None, activation)`` from a file (module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file {path} not found")
    if path.suffix in (".json", ".npz"):
        from verify.models.inner_product import InnerProductModel

        try:
            model = InnerProductModel.load(path)
        except (ValueError, KeyError, TypeError, OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"{path}: not a relverify witness file ({exc})") from None
        psi = None if model.psi is None else model.psi.layers()
        return model.phi.layers(), psi, model.phi.config.activation
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: cannot load as a weights-only state dict ({first[:160]})") \
            from None
    layers, activation = layers_from_state_dict(state, _read_arch(path, arch), str(path))
    return layers, None, activation


__all__ = ["ACTIVATION_MODULES", "ModelError", "layers_from_module", "layers_from_state_dict",
           "load_network", "parse_arch"]
