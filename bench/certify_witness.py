"""Trained witnesses of the Gaussian kernel for the certification benchmarks, cached (ours).

A witness is ``fit_inner_product(gaussian(0.5, [-1,1]^d), symmetric=True, ...)`` with the
spectral warm start; its weights (``MLP.layers()``) and its *sampled* sup error (a lower
bound on the true sup, not a certificate) are pinned in
``bench/witnesses/<key>.npz`` (tracked) so that every benchmark run
certifies the same network; delete the file to retrain.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from verify.relations.domain import Box
from verify.relations.library import gaussian

from .common import REPO

WITNESS_DIR = REPO / "bench" / "witnesses"  # pinned (tracked), not the ignored cache


@dataclass(frozen=True)
class WitnessSpec:
    """What to train: input dimension d (x, y in [-1,1]^d), network shape, target eps."""

    d: int
    width: int
    m: int
    eps: float
    seed: int = 0
    rounds: int = 1000
    wall_s: float = 900.0  # outer safety limit of the training only
    train_k: int | None = None  # training grid points per axis (None: the trainer's default)

    @property
    def key(self) -> str:
        k = "" if self.train_k is None else f"_k{self.train_k}"
        return f"gauss_d{self.d}_w{self.width}_m{self.m}_e{self.eps:.2g}_s{self.seed}{k}"

    def relation(self):
        return gaussian(0.5, Box.cube(-1, 1, self.d))


def load_or_train(spec: WitnessSpec, cache_dir: Path = WITNESS_DIR) -> tuple[list, dict]:
    """``(layers, info)``: ``info`` holds the spec, the sampled sup, the training time and
    status (from the cache when the pinned file exists)."""
    path = Path(cache_dir) / f"{spec.key}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        n = int(z["n_layers"])
        layers = [(z[f"W{i}"], z[f"b{i}"]) for i in range(n)]
        return layers, json.loads(str(z["info"]))
    import torch

    from verify.trainers import fit_inner_product

    torch.set_num_threads(1)
    t = time.perf_counter()
    fit = fit_inner_product(
        spec.relation(), symmetric=True, width=spec.width, depth=1, feature_dim=spec.m,
        eps=spec.eps, max_rounds=spec.rounds, time_budget_s=spec.wall_s, seed=spec.seed,
        warm_start="spectral", train_k=spec.train_k,
    )
    layers = fit.model.phi.layers()
    info = {
        **asdict(spec),
        "key": spec.key,
        "sampled_sup": float(fit.sampled_sup.value),
        "train_status": fit.status,
        "train_s": round(time.perf_counter() - t, 1),
        "train_rounds": fit.rounds,
        "wall_clock_hit": fit.wall_clock_hit,
        "activation": "tanh",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"W{i}": W for i, (W, _) in enumerate(layers)}
    arrays.update({f"b{i}": b for i, (_, b) in enumerate(layers)})
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, n_layers=len(layers), info=json.dumps(info), **arrays)
    tmp.replace(path)
    return layers, info


if __name__ == "__main__":  # python -m bench.certify_witness d width m eps [seed]
    import sys

    a = sys.argv[1:]
    spec = WitnessSpec(int(a[0]), int(a[1]), int(a[2]), float(a[3]),
                       int(a[4]) if len(a) > 4 else 0)
    print(load_or_train(spec)[1])
