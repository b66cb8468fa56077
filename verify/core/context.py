"""What a check receives besides its instance: profile, seed, device, where to put artifacts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from verify.core.profiles import Profile


def derive_seed(run_seed: int, *names: str) -> int:
    """A stable 32-bit seed for one check, from the run seed and the check's identity.

    Stable across processes and Python versions (no ``hash()``), so the same run seed gives
    the same numbers for every check whatever runs before it.
    """
    digest = hashlib.sha256("::".join([str(run_seed), *names]).encode()).digest()
    return int.from_bytes(digest[:4], "little")


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``. Unknown names raise."""
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}; expected auto, cpu or cuda")
    if device == "cpu":
        return "cpu"
    try:
        import torch

        available = torch.cuda.is_available()
    except ImportError:  # torch is a dependency, but the engine itself does not need it
        available = False
    if device == "cuda" and not available:
        raise ValueError("device 'cuda' requested but torch sees no CUDA device")
    return "cuda" if available else "cpu"


@dataclass
class Context:
    """Per-check environment. ``seed`` is already derived for this (theorem, instance, check)."""

    profile: Profile
    seed: int
    device: str = "cpu"
    artifact_dir: Path | None = None  # where a check may save witnesses; None = do not save
    progress: Callable[[str], None] = field(default=lambda message: None)
    options: dict[str, str] = field(default_factory=dict)  # ``--set KEY=VALUE`` from the CLI

    @property
    def rng(self) -> np.random.Generator:
        """A fresh generator from the check's seed (same seed, same numbers)."""
        return np.random.default_rng(self.seed)

    def seed_torch(self) -> None:
        import torch

        torch.manual_seed(self.seed)

    def artifact_path(self, name: str) -> Path | None:
        """A path for an artifact file, or None when the run keeps no artifacts."""
        if self.artifact_dir is None:
            return None
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        return self.artifact_dir / name

    def write_artifact(self, name: str, write: Callable[[Path], object]) -> Path | None:
        """Write an artifact atomically: ``write(tmp_path)`` then rename into place.

        The temporary file lives in the hidden ``.relverify-tmp`` folder beside the report
        directory (same filesystem), so a killed run never leaves a partial artifact.
        """
        path = self.artifact_path(name)
        if path is None:
            return None
        import os
        import tempfile

        from verify.reports.atomic import TMP_DIR_NAME

        report_dir = self.artifact_dir.parent
        for parent in self.artifact_dir.parents:  # the folder that holds "artifacts/"
            if parent.name == "artifacts":
                report_dir = parent.parent
                break
        tmp_root = report_dir.parent / TMP_DIR_NAME
        tmp_root.mkdir(parents=True, exist_ok=True)
        tmp_dir = Path(tempfile.mkdtemp(dir=tmp_root))
        tmp = tmp_dir / name
        write(tmp)
        os.replace(tmp, path)
        tmp_dir.rmdir()
        return path

    def scaled_time(self, seconds: float) -> float:
        return seconds * self.profile.time_scale

    def info(self) -> dict[str, Any]:
        return {"profile": self.profile.name, "seed": self.seed, "device": self.device}
