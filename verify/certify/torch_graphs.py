"""Replay a batched torch computation as CUDA graphs, one per batch-size bucket (ours).

A leaf batch of the torch enclosure (:mod:`.torch_taylor`) issues tens of thousands of small
kernels (the interval evaluation of the relation's derivatives is most of them), so on a GPU
its time is launch overhead, not arithmetic. :class:`GraphedBatches` captures the computation
once per bucket size (powers of two, rows padded with copies of the first row) with
``torch.cuda.graph`` and then replays it: one launch per batch (PyTorch docs, "CUDA Graphs").
A bucket is captured only once it has been used ``eager_uses`` times eagerly, so a short
certificate never pays for captures.

Soundness does not depend on it: a replay runs the kernels of the eager computation on the
padded inputs, each a float computation covered by the same a-priori bounds. Every new capture
is checked once against an eager evaluation of the same padded inputs (equal up to last-bit
drift, nan-aware); a mismatch or a failed capture turns the graphs off
for good (``disabled`` says why) and the eager result is used. The function must be
row-wise up to batch maxima (a padded row repeats row 0, so maxima over the batch are
unchanged) and must not synchronise with the host.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Fn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, ...]]


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to last-bit drift (a different cuBLAS kernel under capture is still a sound
    float computation; a capture bug, such as unset memory, is not a last-bit difference)."""
    return bool(torch.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))


class GraphedBatches:
    """``fn(lo, hi) -> tuple of (B, ...) tensors``, replayed from CUDA graphs per bucket.

    ``capture=False`` runs the same padding and bucketing eagerly (how the CPU tests check the
    bookkeeping). Batches above ``max_size`` run eagerly."""

    def __init__(self, fn: Fn, *, capture: bool = True, min_size: int = 256,
                 max_size: int = 1 << 16, eager_uses: int = 2):
        self.fn, self.capture = fn, capture
        self.min_size, self.max_size = min_size, max_size
        self.eager_uses = eager_uses  # a bucket is captured on its (eager_uses + 1)-th batch
        self.uses: dict[int, int] = {}
        self.graphs: dict[int, tuple] = {}  # each graph keeps its own memory pool: buckets
        # replay in any order, which a shared pool does not allow (PyTorch docs)
        self.disabled: str | None = None

    def bucket(self, n: int) -> int:
        size = self.min_size
        while size < n:
            size *= 2
        return size

    def _capture(self, s_lo: torch.Tensor, s_hi: torch.Tensor):
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):  # warm-up on a side stream, as the docs ask
            self.fn(s_lo, s_hi)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            out = self.fn(s_lo, s_hi)
        return graph, out

    def __call__(self, lo: torch.Tensor, hi: torch.Tensor) -> tuple[torch.Tensor, ...]:
        n = lo.shape[0]
        if self.disabled is not None or n == 0 or n > self.max_size:
            return self.fn(lo, hi)
        size = self.bucket(n)
        entry = self.graphs.get(size)
        fresh = entry is None
        if fresh and self.uses.get(size, 0) < self.eager_uses:  # short runs never pay a capture
            self.uses[size] = self.uses.get(size, 0) + 1
            return self.fn(lo, hi)
        if fresh:
            s_lo = lo[:1].repeat(size, 1)
            s_hi = hi[:1].repeat(size, 1)
            graph = out = None
            if self.capture:
                try:
                    graph, out = self._capture(s_lo, s_hi)
                except Exception as exc:  # noqa: BLE001 - any capture failure: stay eager
                    self.disabled = f"capture failed: {type(exc).__name__}: {exc}"
                    return self.fn(lo, hi)
            entry = self.graphs[size] = (graph, s_lo, s_hi, out)
        graph, s_lo, s_hi, out = entry
        s_lo[:n].copy_(lo)
        s_hi[:n].copy_(hi)
        s_lo[n:] = lo[:1]
        s_hi[n:] = hi[:1]
        if graph is None:
            res = self.fn(s_lo, s_hi)
        else:
            graph.replay()
            res = out
        if fresh:  # the replay must equal an eager run on the same padded inputs
            ref = self.fn(s_lo, s_hi)
            if not all(_same(a, b) for a, b in zip(res, ref)):
                self.disabled = "a graph replay differed from the eager computation"
                self.graphs.clear()
                res = ref
        return tuple(r[:n] for r in res)
