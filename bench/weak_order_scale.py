"""Rank utility of large weak orders: time and peak memory, key path and matrix path.

Two ways to give a weak order of ``n`` elements with ``k`` indifference classes (class index
drawn with a seeded generator):

* ``key``: :class:`verify.orders.WeakOrder` from a key function, rank utility by sorting
  (O(n log n), no matrix, no edges), plus the one-pass ``represents`` check;
* ``matrix``: :class:`verify.orders.Preorder` from the ``n x n`` boolean matrix, hypotheses
  checked and rank utility from down-set sizes (O(n^2), no graph).

The issue's target: 10^4 elements in < 5 s and < 500 MB. Peak memory is ``tracemalloc``'s peak
(Python and numpy allocations) during the measured call. Writes
``reports/benchmarks/weak_order_scale.json`` and ``.md``. Run:
``python -m bench.weak_order_scale [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.common import OUT_DIR, machine_info
from verify.orders import Preorder, WeakOrder, rank_utility
from verify.reports import atomic_write

TARGET_S = 5.0
TARGET_MB = 500.0


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, its wall time in seconds and its tracemalloc peak in MB."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        value = fn()
        wall = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return value, wall, peak / 2**20


def one_row(n: int, k: int, path: str, seed: int = 0) -> dict[str, Any]:
    ranks = np.random.default_rng(seed).integers(0, k, size=n)
    if path == "key":
        def work():
            order = WeakOrder.from_key(range(n), lambda i: int(ranks[i]))
            u = rank_utility(order)
            assert order.represents(u) is None
            return u
    else:
        leq = ranks[:, None] <= ranks[None, :]

        def work():
            return rank_utility(Preorder(list(range(n)), leq))
    u, wall, peak = measure(work)
    truth = np.unique(ranks, return_inverse=True)[1]
    correct = all(u[i] == int(truth[i]) for i in range(n))
    return {"n": n, "classes": k, "path": path, "wall_s": round(wall, 4),
            "peak_mb": round(peak, 1), "correct": correct,
            "meets_target": wall < TARGET_S and peak < TARGET_MB}


def markdown(rows: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    lines = [
        "# Weak orders at scale: rank utility",
        "",
        f"Measured {machine['date_utc']} on {machine['processor']} ({machine['cpu_count']} "
        f"cores); command `python -m bench.weak_order_scale`. Target: 10^4 elements in "
        f"< {TARGET_S:g} s and < {TARGET_MB:g} MB (tracemalloc peak).",
        "",
        "| n | classes | path | wall (s) | peak (MB) | correct | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['n']} | {r['classes']} | {r['path']} | {r['wall_s']} | "
                     f"{r['peak_mb']} | {r['correct']} | {'yes' if r['meets_target'] else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes; writes nothing")
    args = ap.parse_args(argv)
    sizes = [(200, 10, "key"), (200, 10, "matrix")] if args.quick else [
        (1_000, 50, "key"), (10_000, 100, "key"), (100_000, 1000, "key"),
        (5_000, 50, "matrix"), (10_000, 100, "matrix"),
    ]
    rows = [one_row(n, k, path) for n, k, path in sizes]
    if not args.quick:
        machine = machine_info()
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        atomic_write(OUT_DIR / "weak_order_scale.json",
                     json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")
        atomic_write(OUT_DIR / "weak_order_scale.md", markdown(rows, machine))
    print(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
