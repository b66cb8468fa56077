"""Vectorised float64 interval arithmetic with outward rounding (ours).

An :class:`Interval` holds two numpy arrays ``lo`` and ``hi`` of the same shape; every
element is one closed interval ``[lo, hi]``, so one object encloses a whole batch of
boxes at once.  The invariant is *containment*: whenever the true real value of an
operation on any points of the input intervals lies in the mathematically exact image,
it lies in the returned interval.

Rounding policy
---------------
* ``+, -, *, /, sqrt`` are correctly rounded in IEEE 754, so the exact result is within
  half an ulp of the float result; moving each bound one ulp outward with
  ``np.nextafter`` gives a rigorous enclosure.
* numpy's ``exp, log, log1p, tanh, sin, cos, power`` are *not* correctly rounded (SIMD
  implementations document errors up to ~4 ulp).  After such a function we widen each
  bound by the relative margin :data:`TRANSCENDENTAL_REL` (2**-40, i.e. 4096 ulp) plus the
  absolute margin :data:`TRANSCENDENTAL_ABS` (1e-300, covering the subnormal range), which
  dominates any documented libm error by three orders of magnitude.  ``sin``/``cos``
  additionally get an absolute margin :data:`TRIG_ABS` and are only evaluated for
  ``|x| <= TRIG_MAX_ARG`` (beyond it they return [-1, 1]).  :func:`rounding_margin_text`
  states this in certificates.

Squares and even powers are computed from endpoints (``x*x`` on [-a, a] is [0, a^2], not
[-a^2, a^2]), see the warning in ``shared/math-notes.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Relative widening after a non-correctly-rounded libm function (4096 ulp).
TRANSCENDENTAL_REL = 2.0**-40
#: Absolute widening after a libm function (covers subnormal results).
TRANSCENDENTAL_ABS = 1e-300
#: Extra absolute widening for sin / cos (their values near zero have no relative bound).
TRIG_ABS = 2.0**-44
#: Beyond this |argument| sin / cos return [-1, 1] (no trust in range reduction).
TRIG_MAX_ARG = 1e6

_INF = np.inf
_PI_LO = np.nextafter(np.pi, -_INF)
_PI_HI = np.nextafter(np.pi, _INF)


def rounding_margin_text() -> str:
    """One line describing the rounding policy, for certificates."""
    return (
        "outward rounding: 1 ulp (np.nextafter) after +,-,*,/,sqrt; "
        f"relative {TRANSCENDENTAL_REL:.2e} + absolute {TRANSCENDENTAL_ABS:.0e} after "
        f"exp/log/tanh/sigmoid/softplus/pow; extra absolute {TRIG_ABS:.2e} after sin/cos"
    )


def _down(a: np.ndarray) -> np.ndarray:
    return np.nextafter(a, -_INF)


def _up(a: np.ndarray) -> np.ndarray:
    return np.nextafter(a, _INF)


def _widen_lo(
    a: np.ndarray, rel: float = TRANSCENDENTAL_REL, ab: float = TRANSCENDENTAL_ABS
) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return _down(a - np.abs(a) * rel - ab)


def _widen_hi(
    a: np.ndarray, rel: float = TRANSCENDENTAL_REL, ab: float = TRANSCENDENTAL_ABS
) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return _up(a + np.abs(a) * rel + ab)


@dataclass(frozen=True)
class Interval:
    """A batch of closed intervals ``[lo, hi]`` (numpy float64 arrays, same shape)."""

    lo: np.ndarray
    hi: np.ndarray

    def __post_init__(self) -> None:
        lo = np.asarray(self.lo, dtype=np.float64)
        hi = np.asarray(self.hi, dtype=np.float64)
        if lo.shape != hi.shape:
            lo, hi = (np.array(a) for a in np.broadcast_arrays(lo, hi))
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    # ---- constructors -------------------------------------------------------------
    @classmethod
    def _raw(cls, lo: np.ndarray, hi: np.ndarray) -> Interval:
        """Internal: wrap float64 arrays of equal shape without copying."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "lo", lo)
        object.__setattr__(obj, "hi", hi)
        return obj

    @classmethod
    def point(cls, x: np.ndarray | float) -> Interval:
        """Degenerate interval ``[x, x]`` of floats (exact: the float *is* the point)."""
        a = np.asarray(x, dtype=np.float64)
        return cls(a, a)

    @classmethod
    def const(cls, value: float) -> Interval:
        """Enclosure of a real constant given as a float that may be inexact (pi, 0.1)."""
        a = np.asarray(float(value), dtype=np.float64)
        return cls(_down(a), _up(a))

    @classmethod
    def rational(cls, p: int, q: int) -> Interval:
        """Rigorous enclosure of the rational p/q (the float quotient is correctly rounded)."""
        a = np.asarray(p / q, dtype=np.float64) if q != 1 else np.asarray(float(p))
        if q == 1 and float(p) == p:
            return cls(a, a)
        return cls(_down(a), _up(a))

    @staticmethod
    def lift(v: Interval | float | np.ndarray) -> Interval:
        """Scalars/arrays are treated as exact floats."""
        return v if isinstance(v, Interval) else Interval.point(v)

    # ---- basic queries ------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.lo.shape

    @property
    def mid(self) -> np.ndarray:
        return 0.5 * (self.lo + self.hi)

    def mid_rad(self) -> tuple[np.ndarray, np.ndarray]:
        """Float ``m`` and ``r`` with ``[lo, hi] ⊆ [m - r, m + r]`` exactly."""
        with np.errstate(invalid="ignore", over="ignore"):
            m = 0.5 * self.lo + 0.5 * self.hi
            r = np.maximum(_up(self.hi - m), _up(m - self.lo))
        m = np.where(np.isfinite(m), m, 0.0)
        r = np.where(np.isnan(r), _INF, r)
        return m, r

    @property
    def width(self) -> np.ndarray:
        return self.hi - self.lo

    def mag(self) -> np.ndarray:
        """max |x| over the interval (an upper bound, exact in floats)."""
        return np.maximum(np.abs(self.lo), np.abs(self.hi))

    def mig(self) -> np.ndarray:
        """min |x| over the interval (a lower bound)."""
        return np.where(
            (self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(np.abs(self.lo), np.abs(self.hi))
        )

    def contains(self, x: np.ndarray | float) -> np.ndarray:
        return (self.lo <= x) & (x <= self.hi)

    def __getitem__(self, idx) -> Interval:
        return Interval(self.lo[idx], self.hi[idx])

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Interval(lo={self.lo!r}, hi={self.hi!r})"

    # ---- set operations -----------------------------------------------------------
    def intersect(self, other: Interval) -> Interval:
        """Intersection (both enclose the same quantity, so it is non-empty in exact
        arithmetic; if floats make it empty we keep the hull, which is still sound)."""
        lo = np.maximum(self.lo, other.lo)
        hi = np.minimum(self.hi, other.hi)
        bad = lo > hi
        if np.any(bad):
            lo = np.where(bad, np.minimum(self.lo, other.lo), lo)
            hi = np.where(bad, np.maximum(self.hi, other.hi), hi)
        return Interval(lo, hi)

    def hull(self, other: Interval) -> Interval:
        return Interval(np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi))

    # ---- arithmetic ---------------------------------------------------------------
    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __add__(self, other) -> Interval:
        o = Interval.lift(other)
        with np.errstate(invalid="ignore", over="ignore"):
            lo, hi = self.lo + o.lo, self.hi + o.hi
        return _fix_nan(Interval(_down(lo), _up(hi)))

    __radd__ = __add__

    def __sub__(self, other) -> Interval:
        o = Interval.lift(other)
        with np.errstate(invalid="ignore", over="ignore"):
            lo, hi = self.lo - o.hi, self.hi - o.lo
        return _fix_nan(Interval(_down(lo), _up(hi)))

    def __rsub__(self, other) -> Interval:
        return Interval.lift(other) - self

    def __mul__(self, other) -> Interval:
        o = Interval.lift(other)
        with np.errstate(invalid="ignore", over="ignore"):
            p1, p2 = self.lo * o.lo, self.lo * o.hi
            p3, p4 = self.hi * o.lo, self.hi * o.hi
            lo = np.minimum(np.minimum(p1, p2), np.minimum(p3, p4))
            hi = np.maximum(np.maximum(p1, p2), np.maximum(p3, p4))
        # 0 * inf gives nan (propagated by minimum/maximum): the exact product set is then
        # unbounded or {0}; be conservative.
        if np.isnan(lo).any() or np.isnan(hi).any():
            lo = np.where(np.isnan(lo), -_INF, lo)
            hi = np.where(np.isnan(hi), _INF, hi)
        return Interval._raw(_down(lo), _up(hi))

    __rmul__ = __mul__

    def reciprocal(self) -> Interval:
        """1/x; [-inf, inf] where the interval contains 0."""
        zero = (self.lo <= 0) & (self.hi >= 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = _down(1.0 / self.hi)
            hi = _up(1.0 / self.lo)
        return Interval(np.where(zero, -_INF, lo), np.where(zero, _INF, hi))

    def __truediv__(self, other) -> Interval:
        return self * Interval.lift(other).reciprocal()

    def __rtruediv__(self, other) -> Interval:
        return Interval.lift(other) * self.reciprocal()

    def square(self) -> Interval:
        """x^2 from endpoints: [0, max(lo^2, hi^2)] when the interval contains 0."""
        a, b = self.lo * self.lo, self.hi * self.hi
        lo = np.where(self.lo >= 0, a, np.where(self.hi <= 0, b, 0.0))
        hi = np.maximum(a, b)
        lo = np.where(lo > 0, _down(lo), lo)  # 0 is exact
        return _fix_nan(Interval(lo, _up(hi)))

    def __pow__(self, n) -> Interval:
        if isinstance(n, (int, np.integer)):
            return self.ipow(int(n))
        raise TypeError("Interval ** supports integer exponents; use rpow for real ones")

    def ipow(self, n: int) -> Interval:
        """Integer power, from endpoints (even powers are non-negative)."""
        if n == 0:
            return Interval.point(np.ones_like(self.lo))
        if n < 0:
            return self.ipow(-n).reciprocal()
        if n == 1:
            return self
        if n == 2:
            return self.square()
        with np.errstate(over="ignore", invalid="ignore"):
            a, b = np.power(self.lo, n), np.power(self.hi, n)
        if n % 2 == 1:  # monotone increasing
            return _fix_nan(Interval(_widen_lo(a), _widen_hi(b)))
        lo = np.where(self.lo >= 0, a, np.where(self.hi <= 0, b, 0.0))
        lo = np.maximum(_widen_lo(lo), 0.0)
        return _fix_nan(Interval(lo, _widen_hi(np.maximum(a, b))))

    def rpow(self, p: float) -> Interval:
        """x^p for real p and x >= 0 (monotone in x); negative parts of x are cut off."""
        lo = np.maximum(self.lo, 0.0)
        hi = self.hi
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            a, b = np.power(lo, p), np.power(hi, p)
        if p >= 0:
            r = Interval(np.maximum(_widen_lo(a), 0.0), _widen_hi(b))
        else:
            r = Interval(np.maximum(_widen_lo(b), 0.0), _widen_hi(a))
        return _nan_if(r, self.hi < 0)

    # ---- elementary functions -----------------------------------------------------
    def sqrt(self) -> Interval:
        """sqrt (correctly rounded in IEEE); parts below 0 are cut off, nan if hi < 0."""
        with np.errstate(invalid="ignore"):
            lo = np.maximum(_down(np.sqrt(np.maximum(self.lo, 0.0))), 0.0)
            hi = _up(np.sqrt(self.hi))
        return _nan_if(Interval(lo, hi), self.hi < 0)

    def exp(self) -> Interval:
        with np.errstate(over="ignore"):
            return Interval(np.maximum(_widen_lo(np.exp(self.lo)), 0.0), _widen_hi(np.exp(self.hi)))

    def log(self) -> Interval:
        """log; lo = -inf where the interval reaches 0, nan where hi <= 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.where(
                self.lo > 0, _widen_lo(np.log(np.where(self.lo > 0, self.lo, 1.0))), -_INF
            )
            hi = _widen_hi(np.log(self.hi))
        return _nan_if(Interval(lo, hi), self.hi <= 0)

    def tanh(self) -> Interval:
        return Interval(
            np.maximum(_widen_lo(np.tanh(self.lo)), -1.0),
            np.minimum(_widen_hi(np.tanh(self.hi)), 1.0),
        )

    def sigmoid(self) -> Interval:
        return Interval(
            np.maximum(_widen_lo(_sigmoid(self.lo)), 0.0),
            np.minimum(_widen_hi(_sigmoid(self.hi)), 1.0),
        )

    def softplus(self) -> Interval:
        return Interval(
            np.maximum(_widen_lo(_softplus(self.lo)), 0.0), _widen_hi(_softplus(self.hi))
        )

    def relu(self) -> Interval:
        return Interval(np.maximum(self.lo, 0.0), np.maximum(self.hi, 0.0))

    def abs(self) -> Interval:
        lo = np.where(self.lo >= 0, self.lo, np.where(self.hi <= 0, -self.hi, 0.0))
        return Interval(lo, self.mag())

    __abs__ = abs

    def minimum(self, other) -> Interval:
        o = Interval.lift(other)
        return Interval(np.minimum(self.lo, o.lo), np.minimum(self.hi, o.hi))

    def maximum(self, other) -> Interval:
        o = Interval.lift(other)
        return Interval(np.maximum(self.lo, o.lo), np.maximum(self.hi, o.hi))

    def sign(self) -> Interval:
        lo = np.where(
            self.lo > 0, 1.0, np.where(self.hi < 0, -1.0, np.where(self.lo == 0, 0.0, -1.0))
        )
        hi = np.where(
            self.hi < 0, -1.0, np.where(self.lo > 0, 1.0, np.where(self.hi == 0, 0.0, 1.0))
        )
        return Interval(lo, hi)

    def heaviside(self) -> Interval:
        """Heaviside step; [0, 1] wherever the interval touches 0 (any H(0) convention)."""
        lo = np.where(self.lo > 0, 1.0, 0.0)
        hi = np.where(self.hi < 0, 0.0, 1.0)
        return Interval(lo, hi)

    def cos(self) -> Interval:
        return _trig(self, shift=0.0)

    def sin(self) -> Interval:
        # sin(x) = cos(x - pi/2): maxima at x/pi - 1/2 even, minima at x/pi - 1/2 odd.
        return _trig(self, shift=0.5)

    # ---- derivatives of activations (for Jacobians) --------------------------------
    def tanh_prime_from_values(self) -> Interval:
        """Given t = tanh(Z) enclosure, 1 - t^2 (tight: monotone in |t|)."""
        return Interval(
            np.maximum(_down(1.0 - self.square().hi), 0.0),
            np.minimum(_up(1.0 - self.square().lo), 1.0),
        )

    def sigmoid_prime_from_values(self) -> Interval:
        """Given s = sigmoid(Z) enclosure, s(1-s) = 1/4 - (s - 1/2)^2 (tight)."""
        q = (self - 0.5).square()
        return Interval(np.maximum(_down(0.25 - q.hi), 0.0), np.minimum(_up(0.25 - q.lo), 0.25))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _fix_nan(iv: Interval) -> Interval:
    """nan bounds (inf - inf) become infinite bounds, which is always sound."""
    return Interval(np.where(np.isnan(iv.lo), -_INF, iv.lo), np.where(np.isnan(iv.hi), _INF, iv.hi))


def _nan_if(iv: Interval, mask: np.ndarray) -> Interval:
    """Mark elements where the function is undefined on the whole interval as nan."""
    if not np.any(mask):
        return iv
    return Interval(np.where(mask, np.nan, iv.lo), np.where(mask, np.nan, iv.hi))


def _trig(x: Interval, shift: float) -> Interval:
    """cos(x - shift*pi) enclosure with extrema handling (ours).

    Extrema of cos(t*pi) sit at integers t (even: +1, odd: -1).  We bracket t = x/pi - shift
    conservatively (using pi rounded both ways and a relative slack), so an extremum that
    might lie in the interval is always included.
    """
    lo, hi = x.lo, x.hi
    fn = np.cos if shift == 0.0 else np.sin
    with np.errstate(invalid="ignore", over="ignore"):
        a, b = fn(lo), fn(hi)
        # conservative t-range: smallest possible lo/pi and largest possible hi/pi
        t_lo = np.minimum(lo / _PI_LO, lo / _PI_HI) - shift
        t_hi = np.maximum(hi / _PI_LO, hi / _PI_HI) - shift
        slack = 1e-12 * (1.0 + np.abs(t_lo) + np.abs(t_hi))
        t_lo, t_hi = t_lo - slack, t_hi + slack
        has_even = np.floor(t_hi / 2.0) >= np.ceil(t_lo / 2.0)
        has_odd = np.floor((t_hi - 1.0) / 2.0) >= np.ceil((t_lo - 1.0) / 2.0)
    rlo = _widen_lo(np.minimum(a, b), ab=TRIG_ABS)
    rhi = _widen_hi(np.maximum(a, b), ab=TRIG_ABS)
    big = (
        ~(np.isfinite(lo) & np.isfinite(hi))
        | (np.abs(lo) > TRIG_MAX_ARG)
        | (np.abs(hi) > TRIG_MAX_ARG)
    )
    big |= (hi - lo) >= 2 * np.pi
    rlo = np.where(has_odd | big, -1.0, np.maximum(rlo, -1.0))
    rhi = np.where(has_even | big, 1.0, np.minimum(rhi, 1.0))
    return Interval(rlo, rhi)


def matvec(W: np.ndarray, x: Interval, b: np.ndarray | None = None) -> Interval:
    """Rigorous enclosure of ``x @ W.T + b`` for exact float matrix ``W`` (out, n) and a
    batch of interval vectors ``x`` (..., n) (ours).

    Midpoint-radius form: x ⊆ m ± r, so W x ⊆ W m ± |W| r.  BLAS rounding (any summation
    order, FMA or not) is bounded by γ_n |W| |m| with γ_n = n u / (1 - n u), u = 2^-53
    (Higham, *Accuracy and Stability of Numerical Algorithms*, Thm 3.5/3.1); sums of
    non-negative terms computed in floats are at most (1 + γ_n) times too small, so we
    inflate the radius by (1 + 2γ) and add an underflow allowance.
    """
    W = np.asarray(W, dtype=np.float64)
    m, r = x.mid_rad()
    out_dim, n = W.shape
    batch = m.shape[:-1]
    m2, r2 = m.reshape(-1, n), r.reshape(-1, n)
    u = 2.0**-53
    g = (n + 3) * u / (1.0 - (n + 3) * u)  # n products + bias: n + 1 terms, +2 for slack
    aW = np.abs(W).T
    with np.errstate(over="ignore", invalid="ignore"):
        y = m2 @ W.T
        s = r2 @ aW
        t = np.abs(m2) @ aW
        if b is not None:
            b = np.asarray(b, dtype=np.float64)
            y = y + b
            t = t + np.abs(b)
        rad = (s + g * t) * (1.0 + 2.0 * g) + (n + 2) * 1e-300
        lo = _down(y - rad)
        hi = _up(y + rad)
    out = _fix_nan(Interval._raw(lo.reshape(*batch, out_dim), hi.reshape(*batch, out_dim)))
    return out


def dot(a: Interval, b: Interval, axis: int = -1) -> Interval:
    """Enclosure of sum_k a_k b_k along ``axis`` (interval products, outward sums)."""
    p = a * b
    return isum(p, axis=axis)


def isum(a: Interval, axis: int = -1) -> Interval:
    """Rigorous sum along an axis: float sum plus a γ_n bound on the rounding (ours)."""
    n = a.lo.shape[axis]
    u = 2.0**-53
    g = (n + 2) * u / (1.0 - (n + 2) * u)
    with np.errstate(invalid="ignore", over="ignore"):
        slo = a.lo.sum(axis=axis)
        shi = a.hi.sum(axis=axis)
        elo = g * np.abs(a.lo).sum(axis=axis) * (1.0 + 2.0 * g) + n * 1e-300
        ehi = g * np.abs(a.hi).sum(axis=axis) * (1.0 + 2.0 * g) + n * 1e-300
    return _fix_nan(Interval(_down(slo - elo), _up(shi + ehi)))


def stack(items: list[Interval], axis: int = -1) -> Interval:
    return Interval(
        np.stack([i.lo for i in items], axis=axis), np.stack([i.hi for i in items], axis=axis)
    )
