"""Features needed to reach sup error ε: trained MLP inner product against the usual peers.

Methods (all measured on the same dense uniform grid of an :class:`bench.common.Instance`; the
error is ``max_{i,j} |k(x_i, x_j) − ⟨z(x_i), z(x_j)⟩|``, a sampled sup, i.e. a lower bound on the
sup over the box):

* ``rff_cos`` — random Fourier features ``√(2/D) cos(Wᵀx + b)`` (docs/math.md, "Peers"):
  scikit-learn ``RBFSampler`` for the Gaussian; the same formula with Cauchy frequencies (the
  spectral density of the Laplace kernel) in numpy for the Laplace kernel, which sklearn lacks.
* ``rff_sincos`` — sin/cos pairs ``D^{-1/2}[cos(Wᵀx), sin(Wᵀx)]`` (D/2 frequencies, D features).
* ``nystrom_uniform`` — scikit-learn ``Nystroem`` with uniform random landmarks in the box.
* ``nystrom_grid`` — ``k(x, Z) K_ZZ⁺ k(Z, y)`` with a tensor grid of landmarks (scipy ``pinvh``).
* ``eig_floor`` — truncated eigendecomposition of the grid Gram matrix: the best rank-m
  approximation in Frobenius / spectral norm (Eckart–Young). In the *sup* norm it is a reference,
  not a theorem: another rank-m matrix may have a smaller largest entry error.
* ``rank_bound`` — the rigorous lower bound on m (``verify.spectra.rank_lower_bounds`` on the same
  grid Gram): every model with fewer features has grid sup error > ε.
* ``mlp`` — ``verify.trainers.fit_inner_product`` (symmetric ``⟨φ(x), φ(y)⟩``, one hidden tanh
  layer), searched over the feature dimension m starting at the rank bound; one seed per m.

Random methods use several seeds; the error at a feature count is the median over seeds, and the
feature count is searched by doubling then bisection with a cap per method (``> cap`` when the cap
is not enough). Run: ``python -m bench.features_to_eps [--quick] [--instances gauss1d,...]``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from bench.common import (
    CACHE_DIR,
    EPSILONS,
    INSTANCES,
    Instance,
    RowCache,
    gram_of_features,
    search_features,
    sup_error,
)

METHODS = ("rank_bound", "eig_floor", "mlp", "nystrom_grid", "nystrom_uniform", "rff_sincos",
           "rff_cos")
RANK_METHODS = ("eig_floor", "mlp", "nystrom_grid", "nystrom_uniform")
LABELS = {
    "rank_bound": "rank lower bound (rigorous)",
    "eig_floor": "truncated eigendecomposition",
    "mlp": "trained MLP <phi,phi> (relverify)",
    "nystrom_grid": "Nystrom, grid landmarks",
    "nystrom_uniform": "Nystrom, uniform landmarks (sklearn)",
    "rff_sincos": "RFF sin/cos pairs",
    "rff_cos": "RFF cos+offset (sklearn RBFSampler)",
}


@dataclass
class Config:
    """Sizes of one benchmark run (``quick`` shrinks caps, seeds and budgets)."""

    seeds: int = 3
    rff_cap: int = 2**15
    nystrom_cap: int = 2**11
    mlp_cap: int = 64
    mlp_budget_s: float = 60.0
    mlp_depth: int = 1
    mlp_min_width: int = 16
    grid_scale: float = 1.0  # multiplies grid_k (quick runs use coarser grids)

    @classmethod
    def quick(cls) -> Config:
        return cls(seeds=2, rff_cap=2**11, nystrom_cap=2**8, mlp_cap=16, mlp_budget_s=20.0,
                   grid_scale=0.25)

    def instance(self, inst: Instance) -> Instance:
        return inst.with_grid(max(5, int(round(inst.grid_k * self.grid_scale))))

    def mlp_width(self, m: int) -> int:
        return max(self.mlp_min_width, 2 * m)


# ---------------------------------------------------------------------------- random features
def spectral_frequencies(inst: Instance, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(dim, n)`` frequencies from the kernel's spectral density (Bochner).

    Gaussian ``exp(−|u|²/(2ℓ²))``: ``N(0, I/ℓ²)``. Laplace ``exp(−|u|/ℓ)``: multivariate Cauchy
    (Student t, one degree of freedom) scaled by ``1/ℓ``.
    """
    z = rng.standard_normal((inst.dim, n))
    if inst.kernel == "gaussian":
        return z / inst.lengthscale
    return z / (inst.lengthscale * np.abs(rng.standard_normal(n)))[None, :]


def rff_cos_gram(inst: Instance, X: np.ndarray, D: int, seed: int, chunk: int = 4096):
    """Gram of ``√(2/D) cos(Wᵀx + b)`` on ``X``: sklearn ``RBFSampler`` weights for the Gaussian.

    The Gram is accumulated over feature chunks with the sampler's own weights and offsets (same
    numbers as ``RBFSampler.transform``, without holding the ``n × D`` matrix).
    """
    if inst.kernel == "gaussian":
        from sklearn.kernel_approximation import RBFSampler

        s = RBFSampler(gamma=1.0 / (2 * inst.lengthscale**2), n_components=D, random_state=seed)
        s.fit(X[:1])
        W, b = s.random_weights_, s.random_offset_
    else:
        rng = np.random.default_rng(seed)
        W = spectral_frequencies(inst, D, rng)
        b = rng.uniform(0, 2 * np.pi, D)
    G = np.zeros((X.shape[0], X.shape[0]))
    for s0 in range(0, D, chunk):
        Z = np.sqrt(2.0 / D) * np.cos(X @ W[:, s0:s0 + chunk] + b[s0:s0 + chunk])
        G += Z @ Z.T
    return G


def rff_sincos_gram(inst: Instance, X: np.ndarray, D: int, seed: int, chunk: int = 2048):
    """Gram of ``D^{-1/2}[cos(Wᵀx), sin(Wᵀx)]`` with ``D/2`` frequencies (ours, a few lines)."""
    f = D // 2
    W = spectral_frequencies(inst, f, np.random.default_rng(seed))
    G = np.zeros((X.shape[0], X.shape[0]))
    for s0 in range(0, f, chunk):
        P = X @ W[:, s0:s0 + chunk]
        G += (np.cos(P) @ np.cos(P).T + np.sin(P) @ np.sin(P).T) / f
    return G


# ---------------------------------------------------------------------------- Nyström
def nystrom_uniform_gram(inst: Instance, X: np.ndarray, m: int, seed: int) -> np.ndarray:
    """sklearn ``Nystroem`` fitted on ``m`` uniform random points of the box (its landmarks)."""
    from sklearn.kernel_approximation import Nystroem

    L = inst.box.sample(m, np.random.default_rng(seed))
    if inst.kernel == "gaussian":
        ny = Nystroem(kernel="rbf", gamma=1.0 / (2 * inst.lengthscale**2), n_components=m,
                      random_state=seed)
    elif inst.dim == 1:  # sklearn's "laplacian" uses the L1 distance: equal to |x - y| in 1-D
        ny = Nystroem(kernel="laplacian", gamma=1.0 / inst.lengthscale, n_components=m,
                      random_state=seed)
    else:
        ny = Nystroem(kernel=lambda a, b: float(inst.k(a[None], b[None])[0, 0]), n_components=m,
                      random_state=seed)
    Z = ny.fit(L).transform(X)
    return gram_of_features(Z)


def nystrom_grid_gram(inst: Instance, X: np.ndarray, k: int) -> np.ndarray:
    """``k(X, Z) K_ZZ⁺ k(Z, X)`` with the ``k**dim`` tensor-grid landmarks ``Z``."""
    Z = inst.box.grid(k)
    Kxz = inst.k(X, Z)
    return Kxz @ scipy.linalg.pinvh(inst.k(Z, Z)) @ Kxz.T


# ---------------------------------------------------------------------------- spectra
class EigFloor:
    """Truncated eigendecomposition of the grid Gram ``K`` (descending positive eigenvalues)."""

    def __init__(self, K: np.ndarray):
        lam, V = np.linalg.eigh(K)
        order = np.argsort(lam)[::-1]
        self.K, self.lam, self.V = K, lam[order], V[:, order]
        self.rank = int(np.sum(self.lam > 0))

    def error(self, m: int) -> float:
        m = min(m, self.rank)
        Vm = self.V[:, :m]
        return sup_error(self.K, (Vm * self.lam[:m]) @ Vm.T)


def rank_bound_m(K: np.ndarray, eps: float) -> int:
    """Smallest m not refuted by the Eckart–Young–Mirsky bound on the grid (rigorous, ≥ 1)."""
    from verify.spectra import rank_lower_bounds

    bounds = rank_lower_bounds(K)
    refuted = np.nonzero(bounds > eps)[0]
    return int(refuted.max()) + 1 if refuted.size else 0


# ---------------------------------------------------------------------------- MLP
def mlp_error(inst: Instance, X: np.ndarray, K: np.ndarray, m: int, eps: float, cfg: Config,
              seed: int = 0) -> dict[str, Any]:
    """Train ``⟨φ, φ⟩`` with ``m`` features; error = max(grid sup, trainer's sampled sup)."""
    import torch

    from verify.trainers import fit_inner_product

    width = cfg.mlp_width(m)
    fit = fit_inner_product(inst.relation(), symmetric=True, width=width, depth=cfg.mlp_depth,
                            feature_dim=m, activation="tanh", eps=eps,
                            time_budget_s=cfg.mlp_budget_s, seed=seed, device="cpu",
                            warm_start="spectral")
    with torch.no_grad():
        Xt = torch.as_tensor(X, dtype=torch.float64)
        G = fit.model.gram(Xt, Xt).cpu().numpy()
    grid_err = sup_error(K, G)
    sampled = fit.sampled_sup.value if fit.sampled_sup is not None else math.inf
    return {"error": max(grid_err, sampled), "grid_error": grid_err, "sampled_sup": sampled,
            "status": fit.status, "neurons": fit.neurons, "width": width, "time_s": fit.time_s}


# ---------------------------------------------------------------------------- driver
class InstanceBench:
    """All methods on one instance; evaluations are memoised across ε."""

    def __init__(self, inst: Instance, cfg: Config):
        self.inst, self.cfg = inst, cfg
        self.X = inst.grid()
        self.K = inst.k(self.X, self.X)
        self._eig: EigFloor | None = None
        self.memo: dict[tuple[str, int], dict[str, Any]] = {}

    @property
    def eig(self) -> EigFloor:
        if self._eig is None:
            self._eig = EigFloor(self.K)
        return self._eig

    def _random(self, name: str, n: int, build: Callable[[int], np.ndarray]) -> dict[str, Any]:
        key = (name, n)
        if key not in self.memo:
            errs, times = [], []
            for seed in range(self.cfg.seeds):
                t0 = time.perf_counter()
                G = build(seed)
                times.append(time.perf_counter() - t0)
                errs.append(sup_error(self.K, G))
            self.memo[key] = {"error": float(np.median(errs)), "errors": errs,
                              "time_s": float(np.median(times))}
        return self.memo[key]

    def evaluate(self, method: str, n: int, eps: float) -> dict[str, Any]:
        inst, X = self.inst, self.X
        if method == "rff_cos":
            return self._random(method, n, lambda s: rff_cos_gram(inst, X, n, s))
        if method == "rff_sincos":
            return self._random(method, n, lambda s: rff_sincos_gram(inst, X, n, s))
        if method == "nystrom_uniform":
            return self._random(method, n, lambda s: nystrom_uniform_gram(inst, X, n, s))
        if method == "nystrom_grid":
            k = int(round(n ** (1.0 / inst.dim)))
            key = (method, n)
            if key not in self.memo:
                t0 = time.perf_counter()
                G = nystrom_grid_gram(inst, X, k)
                self.memo[key] = {"error": sup_error(self.K, G),
                                  "time_s": time.perf_counter() - t0}
            return self.memo[key]
        if method == "eig_floor":
            key = (method, n)
            if key not in self.memo:
                t0 = time.perf_counter()
                self.memo[key] = {"error": self.eig.error(n), "time_s": time.perf_counter() - t0}
            return self.memo[key]
        if method == "mlp":  # depends on eps (the trainer stops at eps): not shared across eps
            key = (f"mlp@{eps:g}", n)
            if key not in self.memo:
                self.memo[key] = mlp_error(inst, X, self.K, n, eps, self.cfg)
            return self.memo[key]
        raise ValueError(f"unknown method {method!r}")

    def row(self, method: str, eps: float) -> dict[str, Any]:
        """One table row: the feature count reaching ``eps`` (or ``> cap``) and its cost."""
        t0 = time.perf_counter()
        cfg, inst = self.cfg, self.inst
        n_grid = self.X.shape[0]
        base = {"instance": inst.name, "label": inst.label(), "method": method, "eps": eps,
                "grid_points": n_grid, "grid_k": inst.grid_k}
        if method == "rank_bound":
            m = rank_bound_m(self.K, eps)
            return {**base, "features": m, "display": str(m), "cap": n_grid, "neurons": None,
                    "time_s": None, "evaluations": {}, "search_s": time.perf_counter() - t0,
                    "seeds": 0}
        step, guess = None, None
        start = 1
        if method in ("rff_cos",):
            cap = cfg.rff_cap
        elif method == "rff_sincos":
            cap, step = cfg.rff_cap, (lambda i: 2 * i)
        elif method == "nystrom_uniform":
            cap = min(cfg.nystrom_cap, n_grid)
        elif method == "nystrom_grid":
            cap, step = min(cfg.nystrom_cap, n_grid), (lambda i: i**inst.dim)
        elif method == "eig_floor":
            cap = self.eig.rank
        elif method == "mlp":
            cap, start = cfg.mlp_cap, max(1, rank_bound_m(self.K, eps))
            # first try the eigendecomposition's count: fits that fail cost a whole budget
            floor = search_features(lambda n: self.evaluate("eig_floor", n, eps)["error"], eps,
                                    cap=self.eig.rank)
            guess = floor.features
            if guess is not None:  # a failed fit costs a whole budget: at most 2x the floor
                cap = max(start, min(cap, 2 * guess))
        else:
            raise ValueError(f"unknown method {method!r}")
        res = search_features(lambda n: self.evaluate(method, n, eps)["error"], eps, cap=cap,
                              start=start, step=step, guess=guess)
        found = self.evaluate(method, res.features, eps) if res.reached else None
        evals = {str(n): {k: v for k, v in self.evaluate(method, n, eps).items()
                          if k in ("error", "time_s", "status", "neurons", "grid_error")}
                 for n in sorted(res.evaluations)}
        seeds = cfg.seeds if method in ("rff_cos", "rff_sincos", "nystrom_uniform") else (
            1 if method == "mlp" else 0)
        return {**base, "features": res.features, "display": res.display(), "cap": cap,
                "neurons": None if found is None else found.get("neurons"),
                "error": None if found is None else found["error"],
                "time_s": None if found is None else found["time_s"],
                "evaluations": evals, "search_s": time.perf_counter() - t0, "seeds": seeds,
                # a rank near the grid size is a grid artefact (the Gram has rank <= n_grid)
                "grid_limited": bool(res.reached and method in RANK_METHODS
                                     and res.features > n_grid / 4)}


def run(instances: list[str] | None = None, epsilons: tuple[float, ...] = EPSILONS,
        methods: tuple[str, ...] = METHODS, cfg: Config | None = None,
        cache: RowCache | None = None, progress: Callable[[str], None] | None = None,
        jobs: list[tuple[str, str, float]] | None = None, deadline: float | None = None,
        benches: dict[str, InstanceBench] | None = None) -> list[dict[str, Any]]:
    """Rows for ``jobs`` (default: every ``instance × method × ε``), cached in ``cache``.

    Jobs not started before ``deadline`` (a ``time.monotonic()`` value) give "not run" rows
    (not cached, so ``--resume`` completes them later). ``benches`` shares grids and
    eigendecompositions between calls.
    """
    cfg = cfg or Config()
    if jobs is None:
        jobs = [(n, m, e) for n in (instances or list(INSTANCES)) for m in methods
                for e in epsilons]
    benches = {} if benches is None else benches
    rows = []
    for name, method, eps in jobs:
        inst = cfg.instance(INSTANCES[name])
        key = f"features|{inst.name}|{inst.grid_k}|{method}|{eps:g}|{_cfg_key(cfg)}"
        row = cache.get(key) if cache is not None else None
        if row is None and deadline is not None and time.monotonic() > deadline:
            row = {"instance": inst.name, "label": inst.label(), "method": method, "eps": eps,
                   "features": None, "display": "not run", "cap": None, "neurons": None,
                   "time_s": None, "evaluations": {}, "not_run": "time budget of the run"}
        elif row is None:
            if progress:
                progress(f"{inst.name} {method} eps={eps:g}")
            if name not in benches:
                benches[name] = InstanceBench(inst, cfg)
            row = benches[name].row(method, eps)
            if cache is not None:
                cache.put(key, row)
        rows.append(row)
    return rows


def _cfg_key(cfg: Config) -> str:
    return (f"s{cfg.seeds}-r{cfg.rff_cap}-n{cfg.nystrom_cap}-m{cfg.mlp_cap}-b{cfg.mlp_budget_s:g}"
            f"-d{cfg.mlp_depth}-w{cfg.mlp_min_width}")


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown table: one line per (instance, method), one column per ε."""
    epsilons = sorted({r["eps"] for r in rows}, reverse=True)
    out = ["| instance | method | " + " | ".join(f"m at eps={e:g}" for e in epsilons) +
           " | hidden neurons (MLP) |", "|---|---|" + "---|" * len(epsilons) + "---|"]
    keys = list(dict.fromkeys((r["instance"], r["method"]) for r in rows))
    for inst, method in keys:
        cells, neurons = [], []
        for e in epsilons:
            r = next((r for r in rows if (r["instance"], r["method"], r["eps"]) ==
                      (inst, method, e)), None)
            cells.append("" if r is None else r["display"] + ("*" if r.get("grid_limited")
                                                              else ""))
            if r is not None and r.get("neurons"):
                neurons.append(str(r["neurons"]))
        label = next(r["label"] for r in rows if r["instance"] == inst)
        out.append(f"| {label} | {LABELS.get(method, method)} | " + " | ".join(cells) +
                   f" | {', '.join(neurons) or '-'} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--instances", default=",".join(INSTANCES))
    ap.add_argument("--methods", default=",".join(METHODS))
    args = ap.parse_args(argv)
    cfg = Config.quick() if args.quick else Config()
    cache = RowCache(CACHE_DIR / ("features_quick.json" if args.quick else "features.json"),
                     resume=args.resume)
    rows = run(args.instances.split(","), methods=tuple(args.methods.split(",")), cfg=cfg,
               cache=cache, progress=lambda s: print(s, flush=True))
    print(table(rows))


if __name__ == "__main__":
    main()
