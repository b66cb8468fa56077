"""The fitting problem: boxes, the model's flat parameters, Gram evaluators, the training pool.

Training works on the *Gram* of a pool of points (``n`` points give ``n²`` pairs for ``n``
network evaluations); for the symmetric model the pool Gram is symmetrised, i.e. each pair is
trained with its swap. The loss is :math:`(\\operatorname{mean}|\\hat r - r|^p)^{1/p}` (ours;
the motivation is in bench/trainer_gain.py).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.func import functional_call, jacfwd

from verify.models import InnerProductModel


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def chebyshev_lobatto_grid(lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    """Tensor grid of ``k`` Chebyshev–Lobatto points per axis (ends included), ``(k**d, d)``."""
    t = -np.cos(np.pi * np.arange(k) / max(k - 1, 1)) if k > 1 else np.zeros(1)
    axes = [lo[i] + (t + 1) * (hi[i] - lo[i]) / 2 for i in range(lo.size)]
    return np.stack([m.reshape(-1) for m in np.meshgrid(*axes, indexing="ij")], axis=1)


def uniform_grid(lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    axes = [np.linspace(lo[i], hi[i], k) for i in range(lo.size)]
    return np.stack([m.reshape(-1) for m in np.meshgrid(*axes, indexing="ij")], axis=1)


class Problem:
    """The relation, the boxes, the model's flat parameters and Gram evaluators."""

    def __init__(self, rel_fn, model: InnerProductModel, xlo, xhi, ylo, yhi, device, dtype):
        self.rel_fn, self.model = rel_fn, model
        self.xlo, self.xhi, self.ylo, self.yhi = xlo, xhi, ylo, yhi
        self.device, self.dtype = device, dtype
        self.sym = model.symmetric
        self.names = [n for n, _ in model.named_parameters()]
        self.shapes = [p.shape for _, p in model.named_parameters()]
        self.sizes = [p.numel() for _, p in model.named_parameters()]
        self.n_phi = sum(s for n, s in zip(self.names, self.sizes) if n.startswith("phi."))

    def t(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(
            np.asarray(a, dtype=np.float64), dtype=self.dtype, device=self.device
        )

    def theta(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self.model.parameters()]).clone()

    def set_theta(self, theta: torch.Tensor) -> None:
        with torch.no_grad():
            for p, chunk in zip(self.model.parameters(), torch.split(theta, self.sizes)):
                p.copy_(chunk.reshape(p.shape))

    def params(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        return {
            n: c.reshape(s)
            for n, c, s in zip(self.names, torch.split(theta, self.sizes), self.shapes)
        }

    def feats(self, theta: torch.Tensor, X: torch.Tensor, Y: torch.Tensor):
        P = self.params(theta)
        phi = functional_call(
            self.model.phi, {k[4:]: v for k, v in P.items() if k.startswith("phi.")}, (X,)
        )
        if self.sym:
            return phi, None
        psi = functional_call(
            self.model.psi, {k[4:]: v for k, v in P.items() if k.startswith("psi.")}, (Y,)
        )
        return phi, psi

    def target_gram(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        n, m = X.shape[0], Y.shape[0]
        with torch.no_grad():
            K = self.rel_fn(X.repeat_interleave(m, 0), Y.repeat(n, 1)).reshape(n, m)
        return 0.5 * (K + K.T) if self.sym else K

    def gram(self, theta, X, Y) -> torch.Tensor:
        phi, psi = self.feats(theta, X, Y)
        return phi @ (phi if psi is None else psi).T

    def net_jac(self, net, theta_net: torch.Tensor, X: torch.Tensor):
        """``(F, J)``: features ``F = net(X)`` (n, m) and ``J = dF/dθ_net`` (n, m, P_net).

        The last layer is linear, so its block is written down directly; the hidden block is
        ``W_L · d(last hidden)/dθ`` (analytic for one hidden layer, forward-mode autodiff else).
        """
        cfg = net.config
        w, m, depth = cfg.width, cfg.out_dim, cfg.depth
        sizes = [p.numel() for p in net.parameters()]
        shapes = [p.shape for p in net.parameters()]
        chunks = [c.reshape(s) for c, s in zip(torch.split(theta_net, sizes), shapes)]
        WL, bL = chunks[-2], chunks[-1]
        n_hid = sum(sizes[:-2])
        act = net._act
        if depth == 1:
            W0, b0 = chunks[0], chunks[1]
            z = (X @ W0.T + b0).detach().requires_grad_(True)
            with torch.enable_grad():
                a_t = act(z)
                (ds,) = torch.autograd.grad(a_t.sum(), z)
            a = a_t.detach()
            n, d = X.shape
            # da_h/dW0[h, :] = σ'(z_h) x, da_h/db0[h] = σ'(z_h); flat order: W0 (w, d), b0 (w,)
            eye = torch.eye(w, dtype=X.dtype, device=X.device)
            JW = torch.einsum("ih,hg,ij->ihgj", ds, eye, X).reshape(n, w, w * d)
            Jb = ds[:, :, None] * eye[None]
            Ja = torch.cat([JW, Jb], dim=2)
        else:

            def hidden(t):
                cs = [c.reshape(s) for c, s in zip(torch.split(t, sizes[:-2]), shapes[:-2])]
                h = X
                for i in range(depth):
                    h = act(h @ cs[2 * i].T + cs[2 * i + 1])
                return h

            th = theta_net[:n_hid]
            a = hidden(th)
            Ja = jacfwd(hidden)(th)
        n = X.shape[0]
        F = a @ WL.T + bL
        eye_m = torch.eye(m, dtype=X.dtype, device=X.device)
        J_hid = torch.einsum("kh,ihp->ikp", WL, Ja)
        J_W = torch.einsum("kl,ih->iklh", eye_m, a).reshape(n, m, m * w)
        J_b = eye_m[None].expand(n, m, m)
        return F, torch.cat([J_hid, J_W, J_b], dim=2)


class Pool:
    """Training points: one set for the symmetric model, two for the asymmetric one."""

    def __init__(self, prob: Problem, X: np.ndarray, Y: np.ndarray, max_points: int):
        self.prob, self.max_points = prob, max_points
        self.X = prob.t(X)
        self.Y = self.X if prob.sym else prob.t(Y)
        self.K = prob.target_gram(self.X, self.Y)

    def add(self, xs: torch.Tensor, ys: torch.Tensor) -> int:
        """Add points (dropped when already present or when the pool is full); returns #added."""

        def merge(P, new):
            added = 0
            for q in new:
                if P.shape[0] >= self.max_points:
                    break
                if torch.min((P - q).abs().amax(dim=1)) > 1e-9:
                    P = torch.cat([P, q[None]], 0)
                    added += 1
            return P, added

        if self.prob.sym:
            self.X, a = merge(self.X, torch.cat([xs, ys], 0))
            self.Y = self.X
        else:
            self.X, a1 = merge(self.X, xs)
            self.Y, a2 = merge(self.Y, ys)
            a = a1 + a2
        if a:
            self.K = self.prob.target_gram(self.X, self.Y)
        return a


def lp_loss(r: torch.Tensor, p: float) -> torch.Tensor:
    """``(mean |r|^p)^{1/p}``, computed scaled by ``max |r|`` so large ``p`` does not underflow."""
    a = r.abs()
    s = a.max().detach().clamp_min(1e-300)
    return s * ((a / s) ** p).mean() ** (1.0 / p)

