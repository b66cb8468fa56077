r"""scikit-learn Gaussian-process kernels as symbolic relations on a box (and plain callables).

:func:`relation_from_kernel` turns a kernel object of :mod:`sklearn.gaussian_process.kernels`
into a :class:`~verify.relations.base.Relation` whose sympy expression equals, to rounding, what
``kernel(X, Y)`` computes (scikit-learn's documented formulas). With the scaled distance
:math:`d = \lVert (x - y) / \ell \rVert_2` (``ℓ`` a scalar or one length scale per coordinate):

.. math::

    \mathrm{RBF} = e^{-d^2/2},\qquad
    \mathrm{Matern}_{1/2} = e^{-d},\quad
    \mathrm{Matern}_{3/2} = (1 + \sqrt3\, d)\, e^{-\sqrt3\, d},\quad
    \mathrm{Matern}_{5/2} = (1 + \sqrt5\, d + \tfrac53 d^2)\, e^{-\sqrt5\, d},

    \mathrm{RationalQuadratic} = \Big(1 + \frac{\lVert x-y\rVert^2}{2\alpha\ell^2}\Big)^{-\alpha},
    \qquad
    \mathrm{ExpSineSquared} = \exp\!\Big(-\frac{2\sin^2(\pi\lVert x-y\rVert/p)}{\ell^2}\Big),

    \mathrm{DotProduct} = \sigma_0^2 + \langle x, y\rangle,\qquad
    \mathrm{ConstantKernel} = c,

and ``+``, ``*`` and ``**`` (``Sum``, ``Product``, ``Exponentiation``) of these. ``Matern`` with
``ν = ∞`` is the RBF; other ν need Bessel functions and are refused. ``WhiteKernel`` is refused:
it is :math:`\sigma^2\,\mathbf 1[x = y]`, not continuous, so none of the approximation theorems
applies. In 1-D the distance is written ``Abs(x0 - y0)/ℓ`` (and ``sin²`` of ``π(x0 − y0)/p``,
equal because ``sin²`` is even), which the certifier handles better than ``sqrt((x0 - y0)^2)``.

:func:`relation_from_callable` accepts any paired Python/torch function; such a relation has no
symbolic form, so the checks that need one (sympy symmetry proof, certification) say why they
cannot run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
import torch

from verify.relations.base import Relation, vector_symbols
from verify.relations.domain import Box
from verify.relations.parse import parse_domain


class UnsupportedKernel(ValueError):
    """The kernel cannot be written as a continuous symbolic relation (the message says why)."""


def _f(v: Any) -> sympy.Float:
    return sympy.Float(float(v))


def _length_scales(kernel, dim: int) -> list[sympy.Float]:
    ls = np.atleast_1d(np.asarray(kernel.length_scale, dtype=float))
    if ls.size == 1:
        return [_f(ls[0])] * dim
    if ls.size != dim:
        raise UnsupportedKernel(f"{type(kernel).__name__} has {ls.size} length scales but the "
                                f"domain has dimension {dim}")
    return [_f(v) for v in ls]


def _scaled_distance(xs, ys, scales) -> tuple[sympy.Expr, sympy.Expr]:
    """``(d, d²)`` of ``(x − y)/ℓ``; in 1-D ``d = |x0 − y0|/ℓ``."""
    terms = [(a - b) / s for a, b, s in zip(xs, ys, scales)]
    d2 = sympy.Add(*[t**2 for t in terms])
    d = sympy.Abs(terms[0]) if len(terms) == 1 else sympy.sqrt(d2)
    return d, d2


def kernel_expression(kernel, xs: tuple[sympy.Symbol, ...],
                      ys: tuple[sympy.Symbol, ...]) -> sympy.Expr:
    """The sympy expression of a scikit-learn kernel in the symbols ``xs``, ``ys``."""
    from sklearn.gaussian_process import kernels as K

    dim = len(xs)
    if isinstance(kernel, K.WhiteKernel):
        raise UnsupportedKernel("WhiteKernel is noise_level·1[x = y]: not continuous, so no "
                                "approximation theorem applies (drop it from the kernel)")
    if isinstance(kernel, K.Sum):
        return kernel_expression(kernel.k1, xs, ys) + kernel_expression(kernel.k2, xs, ys)
    if isinstance(kernel, K.Product):
        return kernel_expression(kernel.k1, xs, ys) * kernel_expression(kernel.k2, xs, ys)
    if isinstance(kernel, K.Exponentiation):
        return kernel_expression(kernel.kernel, xs, ys) ** _f(kernel.exponent)
    if isinstance(kernel, K.ConstantKernel):
        return _f(kernel.constant_value)
    if isinstance(kernel, K.DotProduct):
        return _f(kernel.sigma_0) ** 2 + sympy.Add(*[a * b for a, b in zip(xs, ys)])
    if isinstance(kernel, K.Matern):  # before RBF: Matern subclasses RBF
        d, d2 = _scaled_distance(xs, ys, _length_scales(kernel, dim))
        nu = float(kernel.nu)
        if nu == 0.5:
            return sympy.exp(-d)
        if nu == 1.5:
            return (1 + sympy.sqrt(3) * d) * sympy.exp(-sympy.sqrt(3) * d)
        if nu == 2.5:
            return (1 + sympy.sqrt(5) * d + sympy.Rational(5, 3) * d2) * sympy.exp(
                -sympy.sqrt(5) * d)
        if np.isinf(nu):
            return sympy.exp(-d2 / 2)
        raise UnsupportedKernel(f"Matern with nu = {nu:g} needs Bessel functions; supported: "
                                "nu = 0.5, 1.5, 2.5, inf")
    if isinstance(kernel, K.RBF):
        _, d2 = _scaled_distance(xs, ys, _length_scales(kernel, dim))
        return sympy.exp(-d2 / 2)
    if isinstance(kernel, K.RationalQuadratic):
        ls = np.atleast_1d(np.asarray(kernel.length_scale, dtype=float))
        if ls.size != 1:
            raise UnsupportedKernel("RationalQuadratic takes a scalar length scale only")
        alpha, ell = _f(kernel.alpha), _f(ls[0])
        d2 = sympy.Add(*[(a - b) ** 2 for a, b in zip(xs, ys)])
        return (1 + d2 / (2 * alpha * ell**2)) ** (-alpha)
    if isinstance(kernel, K.ExpSineSquared):
        ls = np.atleast_1d(np.asarray(kernel.length_scale, dtype=float))
        if ls.size != 1:
            raise UnsupportedKernel("ExpSineSquared takes a scalar length scale only")
        ell, p = _f(ls[0]), _f(kernel.periodicity)
        dist = (xs[0] - ys[0]) if dim == 1 else sympy.sqrt(
            sympy.Add(*[(a - b) ** 2 for a, b in zip(xs, ys)]))
        return sympy.exp(-2 * sympy.sin(sympy.pi * dist / p) ** 2 / ell**2)
    raise UnsupportedKernel(
        f"kernel {type(kernel).__name__} is not supported; supported: RBF, Matern (nu 0.5, 1.5, "
        "2.5, inf), RationalQuadratic, ExpSineSquared, DotProduct, ConstantKernel and their "
        "sums, products and powers (or pass a plain callable: relation_from_callable)")


def _box(domain: Box | str) -> Box:
    return parse_domain(domain) if isinstance(domain, str) else domain


def relation_from_kernel(kernel, domain: Box | str, *, name: str | None = None) -> Relation:
    """A symbolic relation ``k(x, y)`` on ``domain × domain`` from a scikit-learn kernel."""
    box = _box(domain)
    xs, ys = vector_symbols("x", box.dim), vector_symbols("y", box.dim)
    expr = kernel_expression(kernel, xs, ys)
    return Relation(name or f"sklearn {kernel!r}", box, box, expr=expr, x_syms=xs, y_syms=ys,
                    params={"sklearn_kernel": repr(kernel)})


def relation_from_callable(fn: Callable[[torch.Tensor, torch.Tensor], Any], x_box: Box | str,
                           y_box: Box | str | None = None, *,
                           name: str = "user callable") -> Relation:
    """A relation from a paired function ``fn(x (n, dx), y (n, dy)) -> (n,)``.

    ``fn`` receives float64 torch tensors; it may return a tensor (kept differentiable) or
    anything numpy can read. There is no symbolic form, so the relation cannot be certified.
    """
    xb = _box(x_box)
    yb = xb if y_box is None else _box(y_box)

    def paired(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = fn(x, y)
        if not isinstance(out, torch.Tensor):
            out = torch.as_tensor(np.asarray(out, dtype=np.float64), dtype=x.dtype,
                                  device=x.device)
        return out.reshape(torch.broadcast_shapes(x.shape[:-1], y.shape[:-1]))

    return Relation.from_torch(name, paired, xb, yb,
                               params={"callable": getattr(fn, "__name__", repr(fn))})


__all__ = ["UnsupportedKernel", "kernel_expression", "relation_from_callable",
           "relation_from_kernel"]
