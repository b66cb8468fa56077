"""A test helper that finds tensors created without a device (they would land on the CPU on a
``--device cuda`` run) and host round-trips, while running on the CPU (ours).

:class:`DeviceAudit` is a :class:`torch.overrides.TorchFunctionMode`: every torch call made
inside it is seen. A *factory* call (``torch.zeros``, ``eye``, ``arange``, ``as_tensor``, ...)
that names no ``device`` and whose innermost caller is one of the audited modules is recorded
with that caller's file and line: on CUDA it would create a CPU tensor (a device-mismatch error
or a silent CPU computation). Host transfers (``.cpu()``, ``.numpy()``, ``.item()``,
``.tolist()``) made from the audited modules are counted per caller, so a test can bound them.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

FACTORIES = {
    torch.zeros, torch.ones, torch.empty, torch.full, torch.eye, torch.arange, torch.linspace,
    torch.logspace, torch.tensor, torch.as_tensor, torch.rand, torch.randn, torch.randint,
    torch.randperm, torch.triu_indices, torch.tril_indices, torch.from_numpy, torch.scalar_tensor,
}  # fmt: skip
HOST = {"cpu", "numpy", "item", "tolist", "__float__", "__int__", "__bool__"}


def _caller(prefixes: tuple[str, ...]) -> str | None:
    """``path:line`` of the innermost frame in one of the audited files, else None."""
    f = sys._getframe(2)
    while f is not None:
        name = f.f_code.co_filename
        if any(p in name for p in prefixes):
            parts = Path(name).parts
            return f"{'/'.join(parts[parts.index('verify'):])}:{f.f_lineno}"
        if "/torch/" not in name and not name.endswith("device_audit.py"):
            return None  # the call came from elsewhere (a test, numpy glue)
        f = f.f_back
    return None


class DeviceAudit(TorchFunctionMode):
    """Records device-less factory calls and host transfers made from ``modules``."""

    def __init__(self, modules: tuple[str, ...]):
        super().__init__()
        self.prefixes = tuple(modules)
        self.no_device: Counter[str] = Counter()
        self.host: Counter[str] = Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in FACTORIES and kwargs.get("device") is None:
            where = _caller(self.prefixes)
            if where is not None:
                self.no_device[where] += 1
        name = getattr(func, "__name__", "")
        if name in HOST:
            where = _caller(self.prefixes)
            if where is not None:
                self.host[where] += 1
        return func(*args, **kwargs)


def devices() -> list[str]:
    """The devices a device test runs on: the CPU, plus CUDA when present."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
