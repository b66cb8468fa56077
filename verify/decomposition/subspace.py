r"""Weight decay and a latent data subspace (ours; docs/math.md, "Ng, Luo & Qiu").

If every training input lies in a k-dimensional subspace S, the loss gradient with respect to
the first layer is :math:`\nabla_{W_1}\mathcal L = \sum_n \delta_n x_n^\top`, whose rows lie in
S, so :math:`\nabla_{W_1}\mathcal L\,P_\perp = 0` (:math:`P_\perp` the projector onto
:math:`S^\perp`). Plain gradient descent with weight decay λ and step η therefore maps

.. math::

    W_1 P_\perp \ \mapsto\ (1 - \eta\lambda)\, W_1 P_\perp \quad\text{exactly, every step,}

so :math:`\|W_1^{(T)} P_\perp\| = (1-\eta\lambda)^T \|W_1^{(0)} P_\perp\| \to 0` and the top-k
right singular subspace of :math:`W_1` converges to S (its principal angles to S go to 0) as
long as :math:`W_1 P_S` stays of full rank k. Adam rescales each coordinate of the update, which
does not commute with :math:`P_\perp` unless S is spanned by coordinate axes; without weight
decay :math:`W_1 P_\perp` stays at its initial value.

In float64 the factor holds up to rounding; we accept a deviation
:math:`\|W^{(t+1)}P_\perp - (1-\eta\lambda)W^{(t)}P_\perp\|_F \le 10^{-12}\|W^{(t)}\|_F` (ours).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import subspace_angles

#: float64 tolerance of the exact factor, relative to ‖W_t‖_F (ours)
FACTOR_TOL = 1e-12


def subspace_basis(d: int, k: int, aligned: bool, rng: np.random.Generator) -> np.ndarray:
    """An orthonormal basis (d, k) of S: the first k axes, or a random rotation of them."""
    if aligned:
        return np.eye(d)[:, :k]
    q, _ = np.linalg.qr(rng.standard_normal((d, k)))
    return q


def run_experiment(*, d: int, k: int, width: int, n: int, aligned: bool, optimizer: str,
                   lr: float, weight_decay: float, steps: int,
                   rng: np.random.Generator) -> dict:
    """Train a one-hidden-layer tanh network on data in S; track ``W_1 P_⊥`` every step."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run(torch, d=d, k=k, width=width, n=n, aligned=aligned, optimizer=optimizer,
                    lr=lr, weight_decay=weight_decay, steps=steps, rng=rng)
    finally:
        torch.set_num_threads(threads)


def _run(torch, *, d, k, width, n, aligned, optimizer, lr, weight_decay, steps, rng) -> dict:
    Q = subspace_basis(d, k, aligned, rng)
    c = rng.uniform(-1, 1, size=(n, k))
    x = c @ Q.T
    y = np.sin(2 * c[:, 0]) + np.cos(2 * c[:, -1]) + c[:, -1]
    P_perp = np.eye(d) - Q @ Q.T
    off_subspace = float(np.abs(x @ P_perp).max() / np.abs(x).max())  # hypothesis: x in S
    X, Y = torch.as_tensor(x), torch.as_tensor(y)
    W1 = torch.as_tensor(rng.standard_normal((width, d)) / np.sqrt(d)).requires_grad_()
    b1 = torch.as_tensor(rng.standard_normal(width) * 0.1).requires_grad_()
    W2 = torch.as_tensor(rng.standard_normal((1, width)) / np.sqrt(width)).requires_grad_()
    b2 = torch.zeros(1, dtype=torch.float64).requires_grad_()
    params = [W1, b1, W2, b2]
    if optimizer == "gd":
        opt = torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}; use 'gd' or 'adam'")
    factor = 1.0 - lr * weight_decay
    W0perp = W1.detach().numpy() @ P_perp
    worst_dev, factors = 0.0, []
    for _ in range(steps):
        before = W1.detach().numpy().copy()
        opt.zero_grad()
        loss = ((torch.tanh(X @ W1.T + b1) @ W2.T + b2).reshape(-1) - Y).pow(2).mean()
        loss.backward()
        opt.step()
        after = W1.detach().numpy()
        bp, ap = before @ P_perp, after @ P_perp
        worst_dev = max(worst_dev, float(np.linalg.norm(ap - factor * bp)
                                         / np.linalg.norm(before)))
        factors.append(float(np.linalg.norm(ap) / np.linalg.norm(bp)))
    W = W1.detach().numpy()
    Vk = np.linalg.svd(W)[2][:k].T
    angles = subspace_angles(Vk, Q)
    return {
        "inputs_off_subspace_rel": off_subspace,
        "optimizer": optimizer, "aligned": aligned, "lr": lr, "weight_decay": weight_decay,
        "steps": steps, "claimed_factor": factor,
        "max_factor_deviation_rel_W": worst_dev,
        "measured_factor_range": [min(factors), max(factors)],
        "perp_norm_initial": float(np.linalg.norm(W0perp)),
        "perp_norm_final": float(np.linalg.norm(W @ P_perp)),
        "perp_norm_predicted": float(factor ** steps * np.linalg.norm(W0perp)),
        "sin_max_principal_angle": float(np.sin(angles.max())),
        "principal_angles": angles, "final_loss": float(loss.detach()),
    }
