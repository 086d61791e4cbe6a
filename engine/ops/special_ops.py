"""Special functions of `engine.math`: `lgamma`, `digamma`, `polygamma`, `erfinv`, `ndtri`.

Registered ops with NumPy-only kernels (no SciPy): computed in float64 and returned in the
input's dtype. `lgamma`: Lanczos' approximation (g = 7, 9 terms) with the reflection formula;
`digamma`: the recurrence and the asymptotic series; `polygamma`: the Hurwitz zeta function
by Euler-Maclaurin summation; `erfinv` and `ndtri`: Wichura's AS241 normal quantile. Each
is the derivative of the one before, so gradients nest.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from engine.dispatch import dispatch
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.fill_ops import ones_like
from engine.registry import FLOAT, OpDef, register

__all__ = ["lgamma", "digamma", "polygamma", "erfinv", "ndtri"]


# --- special functions (NumPy only: computed in float64, returned in the input's dtype) --------
_LANCZOS_G = 7.0  # Lanczos' approximation with g = 7 and 9 terms: ~1e-15 relative in Gamma
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30),
              Fraction(5, 66), Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510),
              Fraction(43867, 798), Fraction(-174611, 330), Fraction(854513, 138),
              Fraction(-236364091, 2730))  # B_2, B_4, ..., B_24
_EULER_MACLAURIN = tuple(float(b / math.factorial(2 * k)) for k, b in enumerate(_BERNOULLI, 1))
# Wichura's AS241 (Applied Statistics 37, 1988) rational approximations of the normal
# quantile, highest power first: (numerator, denominator) for |p - 0.5| <= 0.425, then for
# r = sqrt(-log(min(p, 1 - p))) <= 5 (in r - 1.6) and beyond (in r - 5). ~1e-16 relative.
_AS241 = (
    ((2509.0809287301226727, 33430.575583588128105, 67265.770927008700853,
      45921.953931549871457, 13731.693765509461125, 1971.5909503065514427,
      133.14166789178437745, 3.387132872796366608),
     (5226.495278852854561, 28729.085735721942674, 39307.89580009271061,
      21213.794301586595867, 5394.1960214247511077, 687.1870074920579083,
      42.313330701600911252, 1.0)),
    ((7.7454501427834140764e-4, 0.0227238449892691845833, 0.24178072517745061177,
      1.27045825245236838258, 3.64784832476320460504, 5.7694972214606914055,
      4.6303378461565452959, 1.42343711074968357734),
     (1.05075007164441684324e-9, 5.475938084995344946e-4, 0.0151986665636164571966,
      0.14810397642748007459, 0.68976733498510000455, 1.6763848301838038494,
      2.05319162663775882187, 1.0)),
    ((2.01033439929228813265e-7, 2.71155556874348757815e-5, 0.0012426609473880784386,
      0.026532189526576123093, 0.29656057182850489123, 1.7848265399172913358,
      5.4637849111641143699, 6.6579046435011037772),
     (2.04426310338993978564e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5,
      7.868691311456132591e-4, 0.0148753612908506148525, 0.13692988092273580531,
      0.59983220655588793769, 1.0)),
)


def _lgamma64(xp, v):
    """log|Gamma(v)|: Lanczos for v >= 0.5, the reflection formula below; inf at the poles."""
    reflect = v < 0.5
    z = xp.where(reflect, -v, v - 1)  # Lanczos evaluates Gamma(z + 1); z + k >= 0.5 below
    series = xp.full(v.shape, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], 1):
        series = series + c / (z + k)
    t = z + (_LANCZOS_G + 0.5)
    positive = 0.5 * math.log(2 * math.pi) + (z + 0.5) * xp.log(t) - t + xp.log(series)
    sin_pi = xp.abs(xp.sin(math.pi * (v - xp.floor(v))))  # |sin(pi v)|, reduced exactly
    out = xp.where(reflect, math.log(math.pi) - xp.log(sin_pi) - positive, positive)
    out = xp.where((v == 1) | (v == 2), 0.0, out)  # exact zeros, not +-1e-16
    return xp.where(xp.isinf(v), xp.inf, out)


def _digamma64(xp, v):
    """psi(v): recurrence up to v >= 10, then the asymptotic series; reflection for v < 0."""
    reflect = v < 0
    w = xp.where(reflect, 1 - v, v)
    shift = xp.zeros(v.shape)
    for _ in range(10):  # psi(w) = psi(w + 1) - 1 / w
        small = w < 10
        shift = shift - xp.where(small, 1 / w, 0.0)
        w = xp.where(small, w + 1, w)
    inv2 = 1 / (w * w)
    tail = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    psi = xp.log(w) - 0.5 / w - tail + shift
    frac = v - xp.floor(v)
    out = xp.where(reflect, psi - math.pi / xp.tan(math.pi * frac), psi)
    return xp.where((v <= 0) & (frac == 0), xp.nan, out)  # poles: NaN, as in TF


def _hurwitz_zeta64(xp, s, q):
    """zeta(s, q) = sum over j >= 0 of (q + j)^-s, for s > 1: the terms up to q + j >= 12,
    then the Euler-Maclaurin tail with 12 Bernoulli terms."""
    finite = xp.isfinite(q)
    lowest = float(xp.min(xp.where(finite, q, 12.0))) if q.size else 12.0
    steps = max(0, math.ceil(12.0 - lowest))  # grows with -min(q): slow for very negative q
    total = xp.zeros(q.shape)
    for j in range(steps):
        total = total + (q + j) ** -s
    w = q + steps
    total = total + w ** (1 - s) / (s - 1) + 0.5 * w ** -s
    rising, power, inv_w2 = s, w ** (-s - 1), 1 / (w * w)
    for k, c in enumerate(_EULER_MACLAURIN, 1):
        total = total + c * rising * power
        rising = rising * (s + 2 * k - 1) * (s + 2 * k)
        power = power * inv_w2
    return xp.where(xp.isnan(q) | (q == -xp.inf), xp.nan, total)


def _polygamma64(xp, n, v):
    """psi^(n)(v) = (-1)^(n+1) n! zeta(n + 1, v) for integer n >= 1, psi for n = 0, else NaN."""
    whole = (n >= 0) & (n == xp.floor(n))
    order = xp.where(whole & (n >= 1), n, 1.0)
    sign = xp.where(xp.fmod(order, 2) == 1, 1.0, -1.0)
    out = sign * xp.exp(_lgamma64(xp, order + 1)) * _hurwitz_zeta64(xp, order + 1, v)
    out = xp.where(n == 0, _digamma64(xp, v), out)
    return xp.where(whole, out, xp.nan)


def _horner(coefficients, r):
    out = coefficients[0]
    for c in coefficients[1:]:
        out = out * r + c
    return out


def _normal_quantile64(xp, q, tail):
    """The standard normal quantile at p from q = p - 0.5 and tail = min(p, 1 - p), both
    exact (so erfinv keeps full precision near 0 and near +-1): AS241."""
    central = xp.abs(q) <= 0.425
    r = 0.180625 - q * q
    inner = q * _horner(_AS241[0][0], r) / _horner(_AS241[0][1], r)
    t = xp.sqrt(-xp.log(xp.where(central, 0.5, tail)))  # NaN outside [0, 1]
    near = t <= 5
    u = xp.where(near, t - 1.6, t - 5)
    outer = xp.where(near, _horner(_AS241[1][0], u) / _horner(_AS241[1][1], u),
                     _horner(_AS241[2][0], u) / _horner(_AS241[2][1], u))
    outer = xp.copysign(xp.where(tail == 0, xp.inf, outer), q)
    return xp.where(central, inner, outer)


def _in_float64(fn):
    """A kernel computing `fn(xp, *float64 arrays)` and returning the first input's dtype."""

    def kernel(xp, *arrays):
        with np.errstate(all="ignore"):  # poles and the edges of the domain give inf / NaN
            wide = xp.broadcast_arrays(*[a.astype(np.float64) for a in arrays])
            return xp.asarray(fn(xp, *wide)).astype(arrays[-1].dtype)

    return kernel


def _ndtri64(xp, p):
    return _normal_quantile64(xp, p - 0.5, xp.where(p <= 0.5, p, 1 - p))


def _erfinv64(xp, x):
    return _normal_quantile64(xp, x / 2, (1 - xp.abs(x)) / 2) / math.sqrt(2)


def _unary_special(name, tf_name, fn, vjp, doc):
    return register(OpDef(name, tf_name, ("x",), _inf.elementwise(name, FLOAT), _in_float64(fn),
                          vjp=vjp, dtypes=FLOAT, doc=doc))


_LGAMMA = _unary_special("lgamma", "Lgamma", _lgamma64,
                         lambda ctx, g: (_m.multiply(g, digamma(ctx.inputs[0])),),
                         "log|Gamma(x)|.")
_DIGAMMA = _unary_special(
    "digamma", "Digamma", _digamma64,
    lambda ctx, g: (_m.multiply(g, polygamma(ones_like(ctx.inputs[0]), ctx.inputs[0])),),
    "The derivative of lgamma.")
_ERFINV = _unary_special(
    "erfinv", "Erfinv", _erfinv64,
    lambda ctx, g: (_m.multiply(g, _m.multiply(math.sqrt(math.pi) / 2,
                                               _u.exp(_u.square(ctx.outputs[0])))),),
    "The inverse of erf.")
_NDTRI = _unary_special(
    "ndtri", "Ndtri", _ndtri64,
    lambda ctx, g: (_m.multiply(g, _m.multiply(math.sqrt(2 * math.pi), _u.exp(
        _m.multiply(0.5, _u.square(ctx.outputs[0]))))),),
    "The standard normal quantile.")
_POLYGAMMA = register(OpDef(
    "polygamma", "Polygamma", ("a", "x"), _inf.elementwise("polygamma", FLOAT),
    _in_float64(_polygamma64), vjp=lambda ctx, g: (
        None, _m.multiply(g, polygamma(_m.add(ctx.inputs[0], 1), ctx.inputs[1]))),
    dtypes=FLOAT, broadcasts=True, doc="The n-th derivative of digamma."))


def lgamma(x, name=None):
    """`log(|Gamma(x)|)`, elementwise; inf at 0 and the negative integers.

    Args:
        x: a floating tensor.

    Returns:
        A tensor like `x`; its gradient is `digamma(x)`.

    Example:
        >>> engine.math.lgamma([0.5, 1.0, 5.0, -0.5]).numpy()
        array([0.5723649, 0.       , 3.1780539, 1.2655121], dtype=float32)
    """
    return dispatch(_LGAMMA, (x,))


def digamma(x, name=None):
    """psi(x), the derivative of `lgamma`; NaN at 0 and the negative integers.

    Args:
        x: a floating tensor.

    Returns:
        A tensor like `x`; its gradient is `polygamma(1, x)`.

    Example:
        >>> engine.math.digamma([1.0, 0.5]).numpy()
        array([-0.5772157, -1.96351  ], dtype=float32)
    """
    return dispatch(_DIGAMMA, (x,))


def polygamma(a, x, name=None):
    """psi^(a)(x), the a-th derivative of digamma, for integer-valued `a >= 0`.

    Non-integer or negative `a` gives NaN. Computed from the Hurwitz zeta function, whose
    cost grows with -min(x) for negative x.

    Args:
        a: the orders, a floating tensor of integer values (broadcast with x).
        x: a floating tensor of x's dtype.

    Returns:
        A tensor of the broadcast shape; differentiable with respect to x only.

    Example:
        >>> engine.math.polygamma([1.0, 2.0], [1.0, 1.0]).numpy()
        array([ 1.644934 , -2.4041138], dtype=float32)
    """
    return dispatch(_POLYGAMMA, (a, x))


def erfinv(x, name=None):
    """The inverse of `erf`: `erf(erfinv(x)) == x` on [-1, 1]; +-inf at +-1, NaN outside.

    Args:
        x: a floating tensor.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.erfinv([0.0, 0.5, -1.0]).numpy()
        array([0.        , 0.47693628,       -inf], dtype=float32)
    """
    return dispatch(_ERFINV, (x,))


def ndtri(x, name=None):
    """The standard normal quantile (inverse CDF): -inf at 0, inf at 1, NaN outside [0, 1].

    Args:
        x: a floating tensor of probabilities.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.ndtri(engine.constant([0.5, 0.975], engine.float64)).numpy()
        array([0.        , 1.95996398])
    """
    return dispatch(_NDTRI, (x,))
