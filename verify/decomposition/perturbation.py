r"""Layer perturbation bounds under rank-r truncation and their composition (ours, classical).

**Per layer** (docs/math.md, "Ng, Luo & Qiu"; classical): for an :math:`L_\sigma`-Lipschitz
activation and every input :math:`x`,

.. math::

    \|\sigma(Wx + b) - \sigma(W_r x + b)\| \le L_\sigma \|(W - W_r)x\| \le L_\sigma\,
    \sigma_{r+1}(W)\,\|x\| .

**Composition (ours).** Truncating every layer, with :math:`h_l, \tilde h_l` the activations of
the original and the truncated network, :math:`\Delta_0 = 0` and

.. math::

    \Delta_l = L_l\big(\|\tilde W_l\|_2 \Delta_{l-1} + \sigma_{r+1}(W_l)\|h_{l-1}\|\big)
    \ \ge\ \|\tilde h_l - h_l\|

(:math:`L_l = L_\sigma` for hidden layers, 1 for the output layer), by the triangle inequality
on :math:`\tilde W \tilde h - W h = \tilde W(\tilde h - h) + (\tilde W - W)h`. For the features
:math:`\phi, \psi` this gives

.. math::

    |\langle\tilde\phi,\tilde\psi\rangle - \langle\phi,\psi\rangle|
    \le \Delta_\phi \|\psi\| + \|\phi\|\Delta_\psi + \Delta_\phi\Delta_\psi .
"""

from __future__ import annotations

import numpy as np

from verify.decomposition.activations import evaluate
from verify.decomposition.svd import Layers, sigma_at, singular_values, truncate, truncate_layers

#: relative slack for float64 comparisons of a bound that can be attained
REL = 1e-9


def adversarial_input(W: np.ndarray, b: np.ndarray, r: int, unit: int, t: float,
                      use_offset: bool, rng: np.random.Generator) -> np.ndarray:
    """An input that stresses the per-layer bound (ours): ``x = x_0 + t·v``, ``v`` the
    (r+1)-th right singular vector (a random unit vector when ``r ≥ rank``) and, when
    ``use_offset``, ``x_0`` the least-squares point where unit ``unit`` of both ``Wx + b`` and
    ``W_r x + b`` is 0 (``W_r v = 0``, so ``W_r x + b`` stays 0 there and ``Wx + b`` moves by
    ``tσ_{r+1}u_{r+1}``: a non-Lipschitz activation is probed at its worst point)."""
    U, s, Vt = np.linalg.svd(W, full_matrices=True)
    if r < s.size:
        v = Vt[r]
    else:
        v = rng.standard_normal(W.shape[1])
        v /= np.linalg.norm(v)
    x0 = np.zeros(W.shape[1])
    if use_offset:
        i = unit % W.shape[0]
        A = np.stack([W[i], truncate(W, r)[i]])
        x0 = np.linalg.lstsq(A, np.array([-b[i], -b[i]]), rcond=None)[0]
    return x0 + t * v


def layer_violation(W: np.ndarray, b: np.ndarray, x: np.ndarray, r: int, activation: str,
                    lipschitz: float, shift: int = 0) -> dict | None:
    """Evidence if ``‖σ(Wx+b) − σ(W_r x+b)‖ > L·σ_{r+1+shift}·‖x‖`` beyond float slack."""
    s = singular_values(W)
    lhs = float(np.linalg.norm(evaluate(W @ x + b, activation)
                               - evaluate(truncate(W, r) @ x + b, activation)))
    rhs = lipschitz * sigma_at(s, r + 1 + shift) * float(np.linalg.norm(x))
    slack = REL * rhs + 64 * max(W.shape) * np.finfo(float).eps * (
        float(s[0]) * float(np.linalg.norm(x)) + float(np.linalg.norm(b)))
    if lhs > rhs + slack:
        return {"r": r, "lhs": lhs, "rhs": rhs, "x": x, "sigma_index": r + 1 + shift,
                "sigma": sigma_at(s, r + 1 + shift), "ratio": lhs / rhs if rhs > 0 else None}
    return None


def forward_all(layers: Layers, activation: str, X: np.ndarray) -> list[np.ndarray]:
    """``[h_0 = X, h_1, ..., h_L]`` (the last without activation)."""
    hs = [np.asarray(X, dtype=np.float64)]
    for i, (W, b) in enumerate(layers):
        z = hs[-1] @ np.asarray(W).T + b
        hs.append(evaluate(z, activation) if i < len(layers) - 1 else z)
    return hs


def composed_feature_bound(layers: Layers, activation: str, lipschitz: float, r: int,
                           X: np.ndarray, shift: int = 0) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """``(exact ‖φ̃(x) − φ(x)‖, bound Δ_L(x), ‖φ(x)‖)`` per row of ``X`` (ours, see module)."""
    hs = forward_all(layers, activation, X)
    ths = forward_all(truncate_layers(layers, r), activation, X)
    delta = np.zeros(len(X))
    for i, (W, _) in enumerate(layers):
        s = singular_values(W)
        k = min(r, min(W.shape))
        lip = lipschitz if i < len(layers) - 1 else 1.0
        delta = lip * (sigma_at(s, 1) * delta
                       + sigma_at(s, k + 1 + shift) * np.linalg.norm(hs[i], axis=1))
    exact = np.linalg.norm(ths[-1] - hs[-1], axis=1)
    return exact, delta, np.linalg.norm(hs[-1], axis=1)


def inner_product_change(phi: Layers, psi: Layers | None, activation: str, lipschitz: float,
                         r: int, X: np.ndarray, Y: np.ndarray, shift: int = 0) -> dict:
    """Exact ``|⟨φ̃(x),ψ̃(y)⟩ − ⟨φ(x),ψ(y)⟩|`` on paired rows vs the composed bound (ours)."""
    psi = phi if psi is None else psi
    fx, fy = forward_all(phi, activation, X)[-1], forward_all(psi, activation, Y)[-1]
    tx = forward_all(truncate_layers(phi, r), activation, X)[-1]
    ty = forward_all(truncate_layers(psi, r), activation, Y)[-1]
    exact = np.abs((tx * ty).sum(1) - (fx * fy).sum(1))
    _, dx, nx = composed_feature_bound(phi, activation, lipschitz, r, X, shift)
    _, dy, ny = composed_feature_bound(psi, activation, lipschitz, r, Y, shift)
    bound = dx * ny + nx * dy + dx * dy
    slack = REL * bound + 1e-12 * (1 + nx * ny)
    worst = int(np.argmax(exact - bound - slack))
    return {"r": r, "max_exact": float(exact.max()), "max_bound": float(bound.max()),
            "violated": bool(exact[worst] > bound[worst] + slack[worst]),
            "worst": {"x": X[worst], "y": Y[worst], "exact": float(exact[worst]),
                      "bound": float(bound[worst])},
            "median_bound_over_exact": float(np.median(bound / np.maximum(exact, 1e-300)))}
