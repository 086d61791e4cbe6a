"""More special functions of `engine.math`: `erfc`, `igamma`, `igammac`, `betainc`, `zeta`.

Registered ops with kernels written against `xp` (NumPy only: no SciPy), computed in
float64 and returned in the input's dtype:
- `erfc`: the Taylor series of erf for |x| < 1, Laplace's continued fraction beyond (so
  `erfc(10)` keeps full relative precision instead of rounding `1 - erf` to 0);
- `igamma`/`igammac`: the regularized incomplete gamma functions P(a, x) and Q(a, x), from
  the power series when x < a + 1 and from the Legendre continued fraction otherwise,
  evaluated with the modified Lentz method;
- `betainc`: the regularized incomplete beta function from its continued fraction, on
  whichever side of the symmetry `I_x(a, b) = 1 - I_{1-x}(b, a)` converges fast;
- `zeta`: the Hurwitz zeta function (Euler-Maclaurin, shared with `polygamma`).

Gradients follow TensorFlow: with respect to x only for `igamma`, `igammac` and `betainc`
(engine has no derivative in `a` or `b`: TensorFlow's `igamma` has one, see the notes) and
with respect to q for `zeta`.
"""

from __future__ import annotations

import math

import numpy as np

from engine.dispatch import dispatch
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.special_ops import _hurwitz_zeta64, _lgamma64, lgamma
from engine.registry import FLOAT, OpDef, register

__all__ = ["erfc", "igamma", "igammac", "betainc", "zeta"]

_TINY = 1e-300
_EPS = 1e-16
_MAX_STEPS = 2000
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _float64_kernel(fn):
    """A kernel computing `fn` in float64 and returning the first input's dtype."""

    def kernel(xp, *arrays):
        dtype = arrays[0].dtype
        wide = xp.broadcast_arrays(*[a.astype(np.float64) for a in arrays])
        with np.errstate(all="ignore"):  # NaN and inf outside the domain, as in TF
            out = fn(xp, *wide)
        return out.astype(dtype, copy=False)

    return kernel


# --- erfc -------------------------------------------------------------------------------------
def _erf_taylor(xp, x):
    """erf(x) = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)); 30 terms reach 1e-17 at |x| < 1."""
    term, total, x2 = x, x, x * x
    for n in range(1, 30):
        term = -term * x2 / n
        total = total + term / (2 * n + 1)
    return _TWO_OVER_SQRT_PI * total


def _erfc_fraction(xp, x):
    """erfc(x) for x >= 1: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
    evaluated from the bottom; 200 levels give ~1e-17 at x = 1."""
    tail = xp.zeros(x.shape)
    for k in range(200, 0, -1):
        tail = (k / 2) / (x + tail)
    return xp.exp(-x * x) / math.sqrt(math.pi) / (x + tail)


def _erfc64(xp, x):
    ax = xp.abs(x)
    big = xp.where(ax >= 1, ax, 1.0)
    upper = _erfc_fraction(xp, big)  # erfc(|x|) for |x| >= 1
    upper = xp.where(x < 0, 2 - upper, upper)
    out = xp.where(ax < 1, 1 - _erf_taylor(xp, xp.where(ax < 1, x, 0.0)), upper)
    return xp.where(xp.isnan(x), xp.nan, out)


def _g_erfc(ctx, g):
    x = ctx.inputs[0]
    return (_m.multiply(g, _m.multiply(-_TWO_OVER_SQRT_PI, _u.exp(_u.negative(_u.square(x))))),)


_ERFC = register(OpDef("erfc", "Erfc", ("x",), _inf.elementwise("erfc", FLOAT),
                       _float64_kernel(_erfc64), vjp=_g_erfc, dtypes=FLOAT,
                       doc="The complementary error function 1 - erf(x)."))


def erfc(x, name=None):
    """The complementary error function `1 - erf(x)`, accurate where it is tiny.

    Args:
        x: a floating tensor.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.erfc([0.0, 1.0, 5.0]).numpy()
        array([1.0000000e+00, 1.5729921e-01, 1.5374598e-12], dtype=float32)
    """
    return dispatch(_ERFC, (x,))


# --- incomplete gamma -------------------------------------------------------------------------
def _gamma_series(xp, a, x):
    """P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)), for x < a + 1."""
    term = xp.ones(a.shape)
    total = xp.ones(a.shape)
    for n in range(1, _MAX_STEPS):
        term = term * x / (a + n)
        total = total + term
        if not bool(xp.any(xp.abs(term) > _EPS * xp.abs(total))):
            break
    return total * xp.exp(a * xp.log(x) - x - _lgamma64(xp, a + 1))


def _gamma_fraction(xp, a, x):
    """Q(a, x) = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)), x >= a + 1,
    with the modified Lentz method."""
    b = x + 1 - a
    c = xp.full(a.shape, 1 / _TINY)
    d = 1 / b
    h = d
    for i in range(1, _MAX_STEPS):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = xp.where(xp.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, _TINY, c)
        d = 1 / d
        step = d * c
        h = h * step
        if not bool(xp.any(xp.abs(step - 1) > _EPS)):
            break
    return h * xp.exp(a * xp.log(x) - x - _lgamma64(xp, a))


def _igamma_pair(xp, a, x):
    """(P, Q) with NaN outside a > 0, x >= 0 (TF's domain) and the limits at 0 and inf."""
    valid = (a > 0) & (x >= 0)
    use_series = x < a + 1
    safe_a = xp.where(valid, a, 1.0)
    safe_x = xp.where(valid & (x > 0) & xp.isfinite(x), x, 1.0)
    p = _gamma_series(xp, safe_a, xp.where(use_series, safe_x, 0.5 * safe_a))
    q = _gamma_fraction(xp, safe_a, xp.where(use_series, safe_a + 2, safe_x))
    lower = xp.where(use_series, p, 1 - q)
    upper = xp.where(use_series, 1 - p, q)
    lower = xp.where(x == 0, 0.0, xp.where(xp.isinf(x), 1.0, lower))
    upper = xp.where(x == 0, 1.0, xp.where(xp.isinf(x), 0.0, upper))
    bad = ~valid | xp.isnan(a) | xp.isnan(x)
    return xp.where(bad, xp.nan, lower), xp.where(bad, xp.nan, upper)


def _igamma_density(a, x):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a), as engine ops (so it is differentiable)."""
    log_density = _m.subtract(_m.subtract(_m.multiply(_m.subtract(a, 1), _u.log(x)), x),
                              lgamma(a))
    return _u.exp(log_density)


def _igamma_op(name, tf_name, which, sign, doc):
    def vjp(ctx, g):
        a, x = ctx.inputs
        return None, _m.multiply(g, _m.multiply(sign, _igamma_density(a, x)))

    kernel = _float64_kernel(lambda xp, a, x: _igamma_pair(xp, a, x)[which])
    return register(OpDef(name, tf_name, ("a", "x"), _inf.elementwise(name, FLOAT), kernel,
                          vjp=vjp, dtypes=FLOAT, broadcasts=True, doc=doc))


_IGAMMA = _igamma_op("igamma", "Igamma", 0, 1.0, "The regularized lower incomplete gamma P(a, x).")
_IGAMMAC = _igamma_op("igammac", "Igammac", 1, -1.0,
                      "The regularized upper incomplete gamma Q(a, x) = 1 - P(a, x).")


def igamma(a, x, name=None):
    """The regularized lower incomplete gamma function `P(a, x)` (broadcast).

    `P(a, x) = 1/Gamma(a) * integral from 0 to x of t^(a-1) e^-t dt`, NaN unless a > 0 and
    x >= 0. The gradient is with respect to `x` only (None for `a`; TensorFlow also
    differentiates in `a`).

    Args:
        a: a floating tensor, a > 0.
        x: a tensor of the same dtype, x >= 0.

    Returns:
        A tensor of the broadcast shape, values in [0, 1].

    Example:
        >>> engine.math.igamma([1.0, 2.0], [1.0, 1.0]).numpy()
        array([0.63212055, 0.26424113], dtype=float32)
    """
    return dispatch(_IGAMMA, (a, x))


def igammac(a, x, name=None):
    """The regularized upper incomplete gamma function `Q(a, x) = 1 - P(a, x)` (broadcast).

    Computed directly (not as `1 - igamma`), so small values keep their precision. The
    gradient is with respect to `x` only.

    Args:
        a: a floating tensor, a > 0.
        x: a tensor of the same dtype, x >= 0.

    Returns:
        A tensor of the broadcast shape, values in [0, 1].

    Example:
        >>> engine.math.igammac([1.0, 2.0], [1.0, 1.0]).numpy()
        array([0.36787945, 0.7357589 ], dtype=float32)
    """
    return dispatch(_IGAMMAC, (a, x))


# --- incomplete beta --------------------------------------------------------------------------
def _beta_fraction(xp, a, b, x):
    """The continued fraction of I_x(a, b) * a B(a, b) / (x^a (1-x)^b), modified Lentz."""
    c = xp.ones(a.shape)
    d = 1 - (a + b) * x / (a + 1)
    d = 1 / xp.where(xp.abs(d) < _TINY, _TINY, d)
    h = d
    for m in range(1, _MAX_STEPS):
        m2 = 2 * m
        for coefficient in (m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))):
            d = 1 + coefficient * d
            d = 1 / xp.where(xp.abs(d) < _TINY, _TINY, d)
            c = 1 + coefficient / c
            c = xp.where(xp.abs(c) < _TINY, _TINY, c)
            step = d * c
            h = h * step
        if not bool(xp.any(xp.abs(step - 1) > _EPS)):
            break
    return h


def _betainc64(xp, a, b, x):
    valid = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
    inner = valid & (x > 0) & (x < 1)
    sa, sb = xp.where(valid, a, 1.0), xp.where(valid, b, 1.0)
    sx = xp.where(inner, x, 0.5)
    flip = sx > (sa + 1) / (sa + sb + 2)  # the fraction converges fast on the other side
    fa, fb, fx = xp.where(flip, sb, sa), xp.where(flip, sa, sb), xp.where(flip, 1 - sx, sx)
    log_front = (fa * xp.log(fx) + fb * xp.log1p(-fx) - _lgamma64(xp, fa) - _lgamma64(xp, fb)
                 + _lgamma64(xp, fa + fb))
    part = xp.exp(log_front) * _beta_fraction(xp, fa, fb, fx) / fa
    out = xp.where(flip, 1 - part, part)
    out = xp.where(x == 0, 0.0, xp.where(x == 1, 1.0, out))
    return xp.where(valid, out, xp.nan)


def _g_betainc(ctx, g):
    a, b, x = ctx.inputs
    log_density = _m.add(_m.multiply(_m.subtract(a, 1), _u.log(x)),
                         _m.multiply(_m.subtract(b, 1), _u.log1p(_u.negative(x))))
    log_beta = _m.subtract(_m.add(lgamma(a), lgamma(b)), lgamma(_m.add(a, b)))
    return None, None, _m.multiply(g, _u.exp(_m.subtract(log_density, log_beta)))


_BETAINC = register(OpDef(
    "betainc", "Betainc", ("a", "b", "x"), _inf.elementwise("betainc", FLOAT),
    _float64_kernel(_betainc64), vjp=_g_betainc, dtypes=FLOAT, broadcasts=True,
    doc="The regularized incomplete beta function I_x(a, b)."))


def betainc(a, b, x, name=None):
    """The regularized incomplete beta function `I_x(a, b)` (broadcast).

    `I_x(a, b) = B(x; a, b) / B(a, b)`, NaN unless a > 0, b > 0 and 0 <= x <= 1. The
    gradient is with respect to `x` only (None for `a` and `b`), as in TensorFlow.

    Args:
        a: a floating tensor, a > 0.
        b: a tensor of the same dtype, b > 0.
        x: a tensor of the same dtype, in [0, 1].

    Returns:
        A tensor of the broadcast shape, values in [0, 1].

    Example:
        >>> engine.math.betainc([1.0, 2.0], [1.0, 3.0], [0.5, 0.5]).numpy()
        array([0.5   , 0.6875], dtype=float32)
    """
    return dispatch(_BETAINC, (a, b, x))


# --- Hurwitz zeta -----------------------------------------------------------------------------
def _zeta64(xp, s, q):
    valid = s > 1
    out = _hurwitz_zeta64(xp, xp.where(valid, s, 2.0), q)
    pole = (q <= 0) & (q == xp.floor(q))  # a term (q + j)^-s is 1 / 0
    out = xp.where(pole, xp.inf, out)
    out = xp.where(s == 1, xp.inf, out)
    return xp.where(valid | (s == 1), out, xp.nan)


def _g_zeta(ctx, g):
    x, q = ctx.inputs
    return None, _m.multiply(g, _m.multiply(_u.negative(x), zeta(_m.add(x, 1), q)))


_ZETA = register(OpDef(
    "zeta", "Zeta", ("x", "q"), _inf.elementwise("zeta", FLOAT), _float64_kernel(_zeta64),
    vjp=_g_zeta, dtypes=FLOAT, broadcasts=True,
    doc="The Hurwitz zeta function: the sum over n >= 0 of (q + n)^-x."))


def zeta(x, q, name=None):
    """The Hurwitz zeta function `sum over n >= 0 of (q + n)^-x` (broadcast).

    Defined for x > 1 (inf at x = 1, NaN below). The gradient is with respect to `q`
    (`-x * zeta(x + 1, q)`); TensorFlow has none for `x` either.

    Args:
        x: a floating tensor.
        q: a tensor of the same dtype.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> engine.math.zeta([2.0, 4.0], 1.0).numpy()
        array([1.644934 , 1.0823232], dtype=float32)
    """
    return dispatch(_ZETA, (x, q))
