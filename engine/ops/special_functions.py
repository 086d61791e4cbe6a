"""`engine.math.special`: Bessel functions, Dawson's integral, Ei, Fresnel integrals, Spence.

Registered ops (TensorFlow's raw ops) with NumPy-only kernels, computed in float64 and
returned in the input's dtype: `BesselJ0`, `BesselJ1`, `BesselY0`, `BesselY1`, `BesselK0e`,
`BesselK1e`, `Dawsn`, `Expint`, `FresnelCos`, `FresnelSin`, `Spence`. `bessel_k0` and
`bessel_k1` are `exp(-x)` times the scaled ones; the modified `bessel_i*` come from
`engine.ops.more_extras`.

How each is computed (all from the textbook formulas; about 1e-13 relative or better):
- J and Y: the power series for x < 5 (its largest term is below I0(5) ~ 27, so rounding
  stays near 1e-15); Bessel's integrals J_n = (1/pi) int_0^pi cos(n t - x sin t) dt and
  Y_n = (1/pi) int_0^pi sin(x sin t - n t) dt - (1/pi) int_0^inf (e^{nt} + (-1)^n e^{-nt})
  e^{-x sinh t} dt by Gauss-Legendre quadrature for 5 <= x <= 25 (analytic integrands, so
  the error falls exponentially with the nodes); Hankel's asymptotic expansion beyond.
- K: the series with digamma weights for x <= 2, else the scaled integral
  e^x K_n(x) = int_0^inf e^{-x (cosh t - 1)} cosh(n t) dt by Gauss-Legendre.
- Dawson's F: its Taylor series for |x| < 0.5, else Rybicki's sum
  F(x) ~ (1/sqrt(pi)) sum over odd n of exp(-(x - n h)^2) / n with h = 1/4.
- Ei: the power series for |x| <= 40 (x > 0) or |x| <= 1 (x < 0), the continued fraction of
  E1 for x < -1, and the asymptotic series for x > 40.
- Fresnel: Gauss-Legendre on int_0^x cos / sin(pi t^2 / 2) dt for |x| <= 6, the
  asymptotic auxiliary functions f, g beyond.
- Spence (the dilogarithm Li2(1 - x)): its power series near 1 with the reflection and
  inversion identities elsewhere.
"""

from __future__ import annotations

import math

import numpy as np

from engine.dispatch import dispatch
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.fill_ops import ones_like
from engine.ops.more_extras import bessel_i0, bessel_i0e, bessel_i1, bessel_i1e
from engine.ops.select_ops import where
from engine.registry import FLOAT, OpDef, register

__all__ = ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0", "bessel_j1",
           "bessel_y0", "bessel_y1", "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e",
           "dawsn", "expint", "fresnel_cos", "fresnel_sin", "spence"]

_EULER = 0.57721566490153286061
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)  # on [-1, 1]


def _gauss(xp, f, lo, hi):
    """int_lo^hi f(t) dt per element, by 96-point Gauss-Legendre (lo, hi arrays)."""
    nodes, weights = xp.asarray(_NODES), xp.asarray(_WEIGHTS)
    half = ((hi - lo) / 2)[..., None]
    t = (lo + hi)[..., None] / 2 + half * nodes
    return (f(t) * weights).sum(axis=-1) * half[..., 0]


# --- J and Y ----------------------------------------------------------------------------------
def _jy_series(xp, x, order):
    """(J_n(x), sum of the Y series' digamma-weighted terms) for n = 0, 1 and small x > 0."""
    q = -x * x / 4
    term = xp.ones_like(x) if order == 0 else x / 2
    j = term.copy()
    digammas = (-_EULER if order == 0 else 1 - 2 * _EULER)  # psi(1) [+ psi(2)]
    weighted = term * digammas
    for k in range(1, 40):
        term = term * q / (k * (k + order))
        digammas += 1.0 / k if order == 0 else 1.0 / k + 1.0 / (k + 1)
        j = j + term
        weighted = weighted + term * digammas
    return j, weighted


def _j_small(xp, x, order):
    return _jy_series(xp, x, order)[0]


def _y_small(xp, x, order):
    j, weighted = _jy_series(xp, x, order)
    log_half = xp.log(x / 2)
    if order == 0:  # Y0 = (2/pi) [ln(x/2) J0 + sum psi(k+1) (-x^2/4)^k / k!^2]
        return (2 / math.pi) * (log_half * j - weighted)
    # Y1 = -2/(pi x) + (2/pi) ln(x/2) J1 - (1/pi) (x/2) sum (psi(k+1)+psi(k+2)) (...)^k/(k!(k+1)!)
    return -2 / (math.pi * x) + (2 / math.pi) * log_half * j - weighted / math.pi


def _j_integral(xp, x, order):
    zero = xp.zeros_like(x)
    return _gauss(xp, lambda t: xp.cos(order * t - x[..., None] * xp.sin(t)), zero,
                  zero + math.pi) / math.pi


def _y_integral(xp, x, order):
    zero = xp.zeros_like(x)
    xs = x[..., None]
    oscillating = _gauss(xp, lambda t: xp.sin(xs * xp.sin(t) - order * t), zero, zero + math.pi)
    sign = 1.0 if order == 0 else -1.0
    decaying = _gauss(xp, lambda t: (xp.exp(order * t) + sign * xp.exp(-order * t))
                      * xp.exp(-xs * xp.sinh(t)), zero, xp.arcsinh(45.0 / x))
    return (oscillating - decaying) / math.pi


def _hankel(xp, x, order):
    """(P, Q) of Hankel's expansion: J = sqrt(2/(pi x)) (P cos c - Q sin c), c = x - (2n+1)pi/4."""
    mu = 4.0 * order * order
    p, q = xp.ones_like(x), xp.zeros_like(x)
    term = xp.ones_like(x)
    for k in range(1, 40):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8 * x)
        if k % 2:
            q = q + (term if k % 4 == 1 else -term)
        else:
            p = p + (term if k % 4 == 0 else -term)
    return p, q


def _jy64(xp, x, order, want_y):
    a = xp.abs(x)
    small = xp.clip(a, 1e-300, 5.0)
    mid = xp.clip(a, 5.0, 25.0)
    big = xp.maximum(a, 25.0)
    p, q = _hankel(xp, big, order)
    phase = big - (2 * order + 1) * math.pi / 4
    amplitude = xp.sqrt(2 / (math.pi * big))
    if want_y:
        far = amplitude * (p * xp.sin(phase) + q * xp.cos(phase))
        out = xp.where(a < 5, _y_small(xp, small, order),
                       xp.where(a <= 25, _y_integral(xp, mid, order), far))
        out = xp.where(x == 0, -xp.inf, out)
        return xp.where(x < 0, xp.nan, out)
    far = amplitude * (p * xp.cos(phase) - q * xp.sin(phase))
    out = xp.where(a < 5, _j_small(xp, xp.clip(a, 0.0, 5.0), order),
                   xp.where(a <= 25, _j_integral(xp, mid, order), far))
    return out if order == 0 else xp.sign(x) * out


# --- K ----------------------------------------------------------------------------------------
def _k_small(xp, x, order):
    """K_n(x) for 0 < x <= 2 from the series with digamma weights (all terms positive)."""
    q = x * x / 4
    log_half = xp.log(x / 2)
    if order == 0:  # K0 = -ln(x/2) I0 + sum psi(k+1) q^k / k!^2
        term, i0, psi = xp.ones_like(x), xp.ones_like(x), -_EULER
        weighted = psi * xp.ones_like(x)
        for k in range(1, 30):
            term = term * q / (k * k)
            psi += 1.0 / k
            i0 = i0 + term
            weighted = weighted + term * psi
        return -log_half * i0 + weighted
    # K1 = 1/x + ln(x/2) I1 - (x/4) sum (psi(k+1) + psi(k+2)) q^k / (k! (k+1)!)
    term, i1_sum, psis = xp.ones_like(x), xp.ones_like(x), 1 - 2 * _EULER
    weighted = psis * xp.ones_like(x)
    for k in range(1, 30):
        term = term * q / (k * (k + 1))
        psis += 1.0 / k + 1.0 / (k + 1)
        i1_sum = i1_sum + term
        weighted = weighted + term * psis
    return 1 / x + log_half * (x / 2) * i1_sum - (x / 4) * weighted


def _ke64(xp, x, order):
    """e^x K_n(x): NaN for x < 0, inf at 0."""
    small = xp.clip(x, 1e-300, 2.0)
    big = xp.maximum(x, 2.0)
    zero = xp.zeros_like(big)
    xs = big[..., None]
    integral = _gauss(xp, lambda t: xp.exp(-xs * (xp.cosh(t) - 1)) * xp.cosh(order * t), zero,
                      xp.arccosh(1 + 45.0 / big))
    out = xp.where(x <= 2, _k_small(xp, small, order) * xp.exp(small), integral)
    out = xp.where(x == 0, xp.inf, out)
    return xp.where(x < 0, xp.nan, out)


# --- Dawson, Ei, Fresnel, Spence --------------------------------------------------------------
def _dawsn64(xp, x):
    a = xp.abs(x)
    s = xp.minimum(a, 0.5)
    term, total = s.copy(), s.copy()
    for k in range(1, 25):  # F(x) = sum (-1)^k 2^k x^(2k+1) / (1 * 3 * ... * (2k+1))
        term = term * (-2 * s * s) / (2 * k + 1)
        total = total + term
    h = 0.25
    r = xp.clip(a, 0.5, 60.0)
    centre = 2 * xp.floor(r / (2 * h)) + 1  # the odd n nearest below r / h
    rybicki = xp.zeros_like(r)
    for j in range(-30, 31):
        n = centre + 2 * j
        rybicki = rybicki + xp.exp(-(r - n * h) ** 2) / n
    rybicki = rybicki / math.sqrt(math.pi)
    far = xp.maximum(a, 60.0)
    u = 1 / (2 * far * far)
    asymptotic = (1 + u * (1 + 3 * u * (1 + 5 * u * (1 + 7 * u)))) / (2 * far)
    out = xp.where(a < 0.5, total, xp.where(a <= 60, rybicki, asymptotic))
    return xp.sign(x) * out


def _e1_fraction(xp, z):
    """E1(z) for z >= 1: e^-z / (z + 1 - 1/(z + 3 - 4/(z + 5 - 9/(...)))), evaluated backwards."""
    tail = xp.zeros_like(z)
    for k in range(80, 0, -1):
        tail = k * k / (z + 2 * k + 1 - tail)
    return xp.exp(-z) / (z + 1 - tail)


def _expint64(xp, x):
    a = xp.abs(x)
    s = xp.clip(a, 1e-300, 40.0)
    signed = xp.where(x < 0, -s, s)
    term, total = xp.ones_like(s), xp.zeros_like(s)
    for k in range(1, 120):  # Ei(x) = gamma + ln|x| + sum x^k / (k k!)
        term = term * signed / k
        total = total + term / k
    series = _EULER + xp.log(s) + total
    e1 = _e1_fraction(xp, xp.maximum(a, 1.0))
    big = xp.maximum(x, 40.0)
    term, asym = xp.ones_like(big), xp.ones_like(big)
    for k in range(1, 40):
        term = term * k / big
        asym = asym + term
    asym = asym * xp.exp(big) / big
    out = xp.where(x > 40, asym, xp.where(x < -1, -e1, series))
    return xp.where(x == 0, -xp.inf, out)


def _fresnel64(xp, x, which):
    a = xp.abs(x)
    near = xp.minimum(a, 6.0)
    trig = xp.cos if which == "cos" else xp.sin
    integral = _gauss(xp, lambda t: trig(math.pi / 2 * t * t), xp.zeros_like(near), near)
    far = xp.maximum(a, 6.0)
    w = 1 / (math.pi * far * far)  # f ~ (1/(pi x)) sum (-1)^k (4k-1)!! w^2k, g likewise
    f_sum, g_sum = xp.ones_like(far), xp.ones_like(far)
    f_term, g_term = xp.ones_like(far), xp.ones_like(far)
    for k in range(1, 20):
        f_term = -f_term * (4 * k - 3) * (4 * k - 1) * w * w
        g_term = -g_term * (4 * k - 1) * (4 * k + 1) * w * w
        f_sum, g_sum = f_sum + f_term, g_sum + g_term
    f = f_sum / (math.pi * far)
    g = g_sum / (math.pi * math.pi * far ** 3)
    phase = math.pi / 2 * far * far
    if which == "cos":
        asymptotic = 0.5 + f * xp.sin(phase) - g * xp.cos(phase)
    else:
        asymptotic = 0.5 - f * xp.cos(phase) - g * xp.sin(phase)
    return xp.sign(x) * xp.where(a <= 6, integral, asymptotic)


def _li2_series(xp, u):
    term, total = xp.ones_like(u), xp.zeros_like(u)
    for k in range(1, 60):
        term = term * u
        total = total + term / (k * k)
    return total


def _li2_unit(xp, v):
    """Li2(v) for 0 <= v <= 1, by the series or the reflection Li2(v) + Li2(1-v) = ..."""
    low = xp.clip(v, 0.0, 0.5)
    high = xp.clip(v, 0.5, 1.0)
    log_product = xp.log(high) * xp.log1p(-xp.minimum(high, 1 - 1e-300))
    reflected = math.pi ** 2 / 6 - xp.where(high >= 1, 0.0, log_product) - _li2_series(
        xp, 1 - high)
    return xp.where(v <= 0.5, _li2_series(xp, low), reflected)


def _spence64(xp, x):
    near = xp.clip(1 - x, -0.5, 0.5)
    low = xp.clip(x, 0.0, 0.5)
    log_product = xp.where(low > 0, xp.log(xp.maximum(low, 1e-300)) * xp.log1p(-low), 0.0)
    below = math.pi ** 2 / 6 - log_product - _li2_series(xp, low)
    big = xp.maximum(x, 1.5)
    above = -_li2_unit(xp, (big - 1) / big) - 0.5 * xp.log(big) ** 2
    out = xp.where(x < 0.5, below, xp.where(x <= 1.5, _li2_series(xp, near), above))
    return xp.where(x < 0, xp.nan, out)


# --- registration -----------------------------------------------------------------------------
def _in_float64(fn, *args):
    def kernel(xp, x):
        with np.errstate(all="ignore"):  # the branches not taken may overflow
            return xp.asarray(fn(xp, x.astype(np.float64), *args)).astype(x.dtype)

    return kernel


def _unary(name, tf_name, fn, vjp, doc, *args):
    return register(OpDef(name, tf_name, ("x",), _inf.elementwise(name, FLOAT),
                          _in_float64(fn, *args), vjp=vjp, dtypes=FLOAT, doc=doc))


def _over_x(value, x, at_zero):
    """value / x, with `at_zero` where x == 0 (the limit the gradient rules need)."""
    zero = _m.equal(x, 0)
    return where(zero, at_zero * ones_like(x), _m.divide(value, where(zero, ones_like(x), x)))


def _g_j1(ctx, g):  # J1' = J0 - J1 / x, 1/2 at 0
    x, y = ctx.inputs[0], ctx.outputs[0]
    return (_m.multiply(g, _m.subtract(bessel_j0(x), _over_x(y, x, 0.5))),)


def _g_y1(ctx, g):  # Y1' = Y0 - Y1 / x
    x, y = ctx.inputs[0], ctx.outputs[0]
    return (_m.multiply(g, _m.subtract(bessel_y0(x), _m.divide(y, x))),)


def _g_k1e(ctx, g):  # (e^x K1)' = e^x K1 - e^x (K0 + K1 / x)
    x, y = ctx.inputs[0], ctx.outputs[0]
    return (_m.multiply(g, _m.subtract(_m.subtract(y, bessel_k0e(x)), _m.divide(y, x))),)


def _g_spence(ctx, g):  # d/dx int_1^x ln t / (1 - t) dt = ln x / (1 - x), -1 at x = 1
    x = ctx.inputs[0]
    one = _m.equal(x, 1)
    safe = where(one, 2 * ones_like(x), x)
    slope = _m.divide(_u.log(safe), _m.subtract(1.0, safe))
    return (_m.multiply(g, where(one, -ones_like(x), slope)),)


_J0 = _unary("bessel_j0", "BesselJ0", _jy64,
             lambda ctx, g: (_m.multiply(g, _u.negative(bessel_j1(ctx.inputs[0]))),),
             "The Bessel function of the first kind of order 0.", 0, False)
_J1 = _unary("bessel_j1", "BesselJ1", _jy64, _g_j1,
             "The Bessel function of the first kind of order 1.", 1, False)
_Y0 = _unary("bessel_y0", "BesselY0", _jy64,
             lambda ctx, g: (_m.multiply(g, _u.negative(bessel_y1(ctx.inputs[0]))),),
             "The Bessel function of the second kind of order 0.", 0, True)
_Y1 = _unary("bessel_y1", "BesselY1", _jy64, _g_y1,
             "The Bessel function of the second kind of order 1.", 1, True)
_K0E = _unary("bessel_k0e", "BesselK0e", _ke64, lambda ctx, g: (_m.multiply(
    g, _m.subtract(ctx.outputs[0], bessel_k1e(ctx.inputs[0]))),),
    "The exponentially scaled modified Bessel function K0: exp(x) K0(x).", 0)
_K1E = _unary("bessel_k1e", "BesselK1e", _ke64, _g_k1e,
              "The exponentially scaled modified Bessel function K1: exp(x) K1(x).", 1)
_DAWSN = _unary("dawsn", "Dawsn", _dawsn64, lambda ctx, g: (_m.multiply(g, _m.subtract(
    1.0, _m.multiply(2.0, _m.multiply(ctx.inputs[0], ctx.outputs[0])))),),
    "Dawson's integral exp(-x^2) int_0^x exp(t^2) dt.")
_EXPINT = _unary("expint", "Expint", _expint64, lambda ctx, g: (_m.multiply(
    g, _m.divide(_u.exp(ctx.inputs[0]), ctx.inputs[0])),), "The exponential integral Ei(x).")
_FRESNEL_COS = _unary("fresnel_cos", "FresnelCos", _fresnel64, lambda ctx, g: (_m.multiply(
    g, _u.cos(_m.multiply(math.pi / 2, _u.square(ctx.inputs[0])))),),
    "The Fresnel cosine integral int_0^x cos(pi t^2 / 2) dt.", "cos")
_FRESNEL_SIN = _unary("fresnel_sin", "FresnelSin", _fresnel64, lambda ctx, g: (_m.multiply(
    g, _u.sin(_m.multiply(math.pi / 2, _u.square(ctx.inputs[0])))),),
    "The Fresnel sine integral int_0^x sin(pi t^2 / 2) dt.", "sin")
_SPENCE = _unary("spence", "Spence", _spence64, _g_spence,
                 "Spence's function int_1^x ln t / (1 - t) dt, i.e. Li2(1 - x).")


# --- public functions -------------------------------------------------------------------------
_DOC = """{summary}

    Computed in float64 with NumPy only, returned in `x`'s dtype.{extra}

    Args:
        x: a floating tensor.
        name: ignored in eager mode.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.special.{fn}(engine.constant({arg}, engine.float64)).numpy().round(8)
        {result}
"""


def _public(op, summary, arg, result, extra=""):
    def fn(x, name=None):
        return dispatch(op, (x,))

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = _DOC.format(summary=summary, fn=op.name, arg=arg, result=result, extra=extra)
    fn.op = op
    return fn


bessel_j0 = _public(_J0, "The Bessel function of the first kind of order 0, J0(x).", "1.0",
                    "np.float64(0.76519769)")
bessel_j1 = _public(_J1, "The Bessel function of the first kind of order 1, J1(x).", "1.0",
                    "np.float64(0.44005059)")
bessel_y0 = _public(_Y0, "The Bessel function of the second kind of order 0, Y0(x).", "1.0",
                    "np.float64(0.08825696)", " -inf at 0; NaN for x < 0.")
bessel_y1 = _public(_Y1, "The Bessel function of the second kind of order 1, Y1(x).", "1.0",
                    "np.float64(-0.78121282)", " -inf at 0; NaN for x < 0.")
bessel_k0e = _public(_K0E, "The scaled modified Bessel function of the second kind, exp(x) K0(x).",
                     "1.0", "np.float64(1.14446308)", " inf at 0; NaN for x < 0.")
bessel_k1e = _public(_K1E, "The scaled modified Bessel function of the second kind, exp(x) K1(x).",
                     "1.0", "np.float64(1.63615349)", " inf at 0; NaN for x < 0.")
dawsn = _public(_DAWSN, "Dawson's integral, exp(-x^2) times the integral of exp(t^2) on [0, x].",
                "1.0", "np.float64(0.53807951)")
expint = _public(_EXPINT, "The exponential integral Ei(x), the principal value of the integral "
                 "of exp(t)/t up to x.", "1.0", "np.float64(1.89511782)", " -inf at 0.")
fresnel_cos = _public(_FRESNEL_COS, "The Fresnel cosine integral of cos(pi t^2 / 2) on [0, x].",
                      "1.0", "np.float64(0.7798934)")
fresnel_sin = _public(_FRESNEL_SIN, "The Fresnel sine integral of sin(pi t^2 / 2) on [0, x].",
                      "1.0", "np.float64(0.43825915)")
spence = _public(_SPENCE, "Spence's function, the integral of ln(t) / (1 - t) from 1 to x.",
                 "2.0", "np.float64(-0.82246703)", " NaN for x < 0.")


def bessel_k0(x, name=None):
    """The modified Bessel function of the second kind of order 0, K0(x) = exp(-x) K0e(x).

    Args:
        x: a floating tensor (inf at 0, NaN for x < 0).
        name: ignored in eager mode.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.special.bessel_k0(engine.constant(1.0, engine.float64)).numpy().round(8)
        np.float64(0.42102444)
    """
    return _m.multiply(bessel_k0e(x), _u.exp(_u.negative(x)))


def bessel_k1(x, name=None):
    """The modified Bessel function of the second kind of order 1, K1(x) = exp(-x) K1e(x).

    Args:
        x: a floating tensor (inf at 0, NaN for x < 0).
        name: ignored in eager mode.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.special.bessel_k1(engine.constant(1.0, engine.float64)).numpy().round(8)
        np.float64(0.60190723)
    """
    return _m.multiply(bessel_k1e(x), _u.exp(_u.negative(x)))
