r"""Binary kernel ridge regression on a finite feature pair, and its representer theorem (ours).

**Statement** (ours; the paper's own representer statement is not available to us). Data:
:math:`x_1..x_n \in X`, :math:`y_1..y_{n'} \in Y`, responses :math:`z_{ij}` for every pair;
finite feature maps :math:`\Phi: X \to \mathbb R^{m}`, :math:`\Psi: Y \to \mathbb R^{m'}` (rows
:math:`\Phi_i = \Phi(x_i)`, :math:`\Psi_j = \Psi(y_j)`). For :math:`\lambda > 0` the problem

.. math::
    \min_{W \in \mathbb R^{m \times m'}} \sum_{ij} (z_{ij} - \Phi_i^\top W \Psi_j)^2
    + \lambda \|W\|_F^2

is strictly convex with the unique minimiser :math:`W^*`, and setting the gradient to zero gives
:math:`\lambda W^* = \sum_{ij} \rho_{ij}\, \Phi_i \Psi_j^\top` with the residuals
:math:`\rho = Z - \Phi W^* \Psi^\top`. So :math:`W^* = \Phi^\top A \Psi` with
:math:`A = \rho/\lambda`
lies in the span of the data's feature outer products, and the learned function is the finite
kernel expansion

.. math::
    f(x, y) = \Phi(x)^\top W^* \Psi(y)
    = \sum_{ij} A_{ij}\, k_X(x, x_i)\, k_Y(y_j, y),\qquad k_X = \langle\Phi,\Phi\rangle,\
    k_Y = \langle\Psi,\Psi\rangle,

where A solves :math:`K_X A K_Y + \lambda A = Z` (substitute :math:`W = \Phi^\top A \Psi` in the
normal equations :math:`\Phi^\top\Phi W \Psi^\top\Psi + \lambda W = \Phi^\top Z \Psi`; the solution
is unique because :math:`K_X, K_Y \succeq 0` and λ > 0). The binary kernel :math:`k_X k_Y` need
not be Mercer on X × Y pairs in any joint sense; nothing above uses more than the two Gram
matrices. Two independent solvers check it: the full (m m')-dimensional normal equations
(Kronecker form) and the (n n')-dimensional expansion (eigendecompositions of the Gram
matrices).
"""

from __future__ import annotations

import numpy as np


def solve_full(Phi: np.ndarray, Psi: np.ndarray, Z: np.ndarray, lam: float) -> np.ndarray:
    """W* from (ΨᵀΨ ⊗ ΦᵀΦ + λI) vec W = vec(ΦᵀZΨ) (column-major vec)."""
    m, mp = Phi.shape[1], Psi.shape[1]
    G = np.kron(Psi.T @ Psi, Phi.T @ Phi) + lam * np.eye(m * mp)
    rhs = (Phi.T @ Z @ Psi).reshape(-1, order="F")
    return np.linalg.solve(G, rhs).reshape(m, mp, order="F")


def solve_expansion(KX: np.ndarray, KY: np.ndarray, Z: np.ndarray, lam: float) -> np.ndarray:
    """A with K_X A K_Y + λA = Z (symmetric eigendecompositions of the Gram matrices)."""
    a, U = np.linalg.eigh(KX)
    b, V = np.linalg.eigh(KY)
    return U @ ((U.T @ Z @ V) / (np.outer(a, b) + lam)) @ V.T


def span_residual(W: np.ndarray, Phi_S: np.ndarray, Psi_T: np.ndarray) -> float:
    """‖W − P W Q‖_F / ‖W‖_F: distance of W from span{Φ_i Ψ_jᵀ : i ∈ S, j ∈ T}.

    P (Q) is the orthogonal projector onto the span of the rows of ``Phi_S`` (``Psi_T``); the
    span of the outer products is exactly {P B Q} (ours, elementary).
    """
    def projector(F: np.ndarray) -> np.ndarray:
        U, s, _ = np.linalg.svd(F.T, full_matrices=False)
        U = U[:, s > 1e-12 * max(s.max(), 1e-300)]
        return U @ U.T

    P, Q = projector(Phi_S), projector(Psi_T)
    return float(np.linalg.norm(W - P @ W @ Q) / max(np.linalg.norm(W), 1e-300))


def representer_report(Phi: np.ndarray, Psi: np.ndarray, Z: np.ndarray, lam: float,
                       Phi_new: np.ndarray, Psi_new: np.ndarray,
                       subset: tuple[list[int], list[int]] | None = None) -> dict:
    """Both solvers, their agreement, the optimality identity and the span residual."""
    W = solve_full(Phi, Psi, Z, lam)
    A = solve_expansion(Phi @ Phi.T, Psi @ Psi.T, Z, lam)
    W_exp = Phi.T @ A @ Psi
    rho = Z - Phi @ W @ Psi.T
    f_full = Phi_new @ W @ Psi_new.T
    f_exp = (Phi_new @ Phi.T) @ A @ (Psi @ Psi_new.T)  # Σ A_ij k_X(x, x_i) k_Y(y_j, y)
    scale = max(np.abs(f_full).max(), np.abs(Z).max(), 1e-300)
    S, T = subset if subset is not None else (list(range(len(Phi))), list(range(len(Psi))))
    return {
        "weights_rel_diff": float(np.linalg.norm(W - W_exp) / max(np.linalg.norm(W), 1e-300)),
        "prediction_rel_diff": float(np.abs(f_full - f_exp).max() / scale),
        "optimality_rel": float(np.linalg.norm(lam * W - Phi.T @ rho @ Psi)
                                / max(lam * np.linalg.norm(W), 1e-300)),
        "span_residual": span_residual(W, Phi[S], Psi[T]),
        "subset": {"x": list(S), "y": list(T)}, "n": len(Phi), "n_prime": len(Psi),
        "m": Phi.shape[1], "m_prime": Psi.shape[1], "lambda": lam,
    }
