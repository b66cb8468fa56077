"""Provenance of a run: seed, profile, versions, platform, device, git commit, times."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("relverify", "numpy", "scipy", "sympy", "torch", "hypothesis", "networkx",
            "scikit-learn", "matplotlib", "python-flint")


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def git_commit(cwd: Path | None = None) -> dict[str, Any]:
    """The commit of the source tree the engine runs from, and whether it had local changes."""
    here = cwd or Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if sha.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here, capture_output=True, text=True, timeout=10,
        )
        return {"commit": sha.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def device_info(device: str) -> dict[str, Any]:
    info: dict[str, Any] = {"requested": device, "cpu": platform.processor() or platform.machine()}
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["cuda_available"] = torch.cuda.is_available()
        if torch.cuda.is_available():
            info["cuda_device"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def provenance(*, seed: int, profile: str, device: str, started_at: str) -> dict[str, Any]:
    return {
        "seed": seed,
        "profile": profile,
        "device": device_info(device),
        "versions": package_versions(),
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "python_implementation": platform.python_implementation(),
            "node": platform.node(),
        },
        "git": git_commit(),
        "started_at": started_at,
        "finished_at": None,
        "argv": sys.argv,
    }
