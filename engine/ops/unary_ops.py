"""Elementwise unary math: exp and log, roots, trigonometry, rounding, NaN/Inf checks.

Also `negative`, `abs`, `sign`, `sigmoid`, `softplus`, `erf`, and logical and bitwise NOT.

Piecewise-constant ops (floor, ceil, round) have no gradient rule: tapes do not record
them, so gradients through them are None, as in TensorFlow; `sign`'s gradient is zeros, as
TensorFlow's is.

Each op is one `OpDef` built from a row of the table below: its names, the array-module
function that computes it, the dtypes it accepts, and its gradient written with public
functions (this module's and the arithmetic of `math_ops`), so gradients are
differentiable again. The public functions and the operators `-x` and `abs(x)` share the
`dispatch.make_unary` fast path.
"""

from __future__ import annotations

import math as _pymath

from engine import dtypes as _dt
from engine.dispatch import make_unary
from engine.ops import infer as _inf
from engine.ops.math_ops import add, cast, conj, divide, equal, multiply, subtract
from engine.registry import BOOL, FLOAT, INEXACT, INTEGER, NUMERIC, REAL, OpDef, register

__all__: list[str] = []


def _unary(name, tf_name, ufunc, dtypes, vjp, doc, out_dtype=None, kernel=None, infer=None):
    op = register(OpDef(
        name, tf_name, ("x",), infer or _inf.elementwise(name, dtypes, out_dtype), kernel=kernel,
        ufunc=None if kernel else ufunc, vjp=vjp, dtypes=dtypes, doc=doc))
    fast = make_unary(op)

    def public(x, name=None):
        return fast(x)

    public.__name__ = public.__qualname__ = op.name
    public.__doc__ = (f"{doc}\n\n    Elementwise; raw op `{tf_name}`.\n\n    Args:\n"
                      f"        x: a tensor.\n        name: ignored in eager mode.\n\n"
                      f"    Returns:\n        A tensor of the same shape.\n")
    public.op = op
    public.fast = fast
    __all__.append(op.name)
    return public


# --- kernels, gradient rules (ctx.inputs, ctx.outputs are tensors) and the table -------
def _u(fn):
    """Adapts `fn(x, y, g)` (input, output, upstream: `g * f'(x)`) to the vjp calling
    convention. Every op built with it is holomorphic on complex inputs, where TensorFlow's
    gradient is the cotangent times the *conjugate* derivative: `conj(fn(x, y, conj(g)))`."""

    def vjp(ctx, g):
        x = ctx.inputs[0]
        if x.dtype.is_complex:
            return (conj(fn(x, ctx.outputs[0], conj(g))),)
        return (fn(x, ctx.outputs[0], g),)

    return vjp


_SQRT_PI_2 = 2.0 / _pymath.sqrt(_pymath.pi)


def _sigmoid_kernel(xp, x):
    # 0.5 * (1 + tanh(x / 2)) never overflows, unlike 1 / (1 + exp(-x)).
    out = xp.multiply(x, 0.5, out=xp.empty_like(x))  # an array even for 0-d x
    xp.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def _softplus_kernel(xp, x):
    # log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), stable for large |x|.
    out = xp.negative(xp.abs(x), out=xp.empty_like(x))
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += xp.maximum(x, 0)
    return out


def _erf_kernel(xp, x):
    if xp.__name__ != "numpy":
        from engine.backend import cupy_backend  # noqa: PLC0415 - GPU only

        return cupy_backend.erf(x)
    try:
        from scipy.special import erf as scipy_erf  # noqa: PLC0415 - optional

        return scipy_erf(x).astype(x.dtype, copy=False)
    except ImportError:
        import numpy as np  # noqa: PLC0415

        return np.vectorize(_pymath.erf, otypes=[x.dtype])(x)


def _rsqrt_kernel(xp, x):
    out = xp.sqrt(x, out=xp.empty_like(x))
    return xp.reciprocal(out, out=out)


def _round_kernel(xp, x):
    return x.copy() if x.dtype.kind in "iu" else xp.rint(x)  # bfloat16's kind is "V"


negative = _unary("negative", "Neg", "negative", NUMERIC, _u(lambda x, y, g: negative(g)),
                  "Returns -x.")
def _abs_infer(x):
    _inf.check_dtype("abs", x, NUMERIC)
    return _inf.spec(x.shape, x.dtype.real_dtype)  # |complex| is real, as TF's ComplexAbs


def _g_abs(ctx, g):
    x = ctx.inputs[0]
    if x.dtype.is_complex:  # g * x / |x|, 0 where x == 0 (TF's ComplexAbs gradient)
        from engine.ops.math_extras import divide_no_nan  # noqa: PLC0415 - imports this module

        return (divide_no_nan(multiply(cast(g, x.dtype), x), cast(ctx.outputs[0], x.dtype)),)
    return (multiply(g, sign(x)),)


def _g_sign(ctx, g):
    from engine.ops.fill_ops import zeros_like  # noqa: PLC0415 - fill_ops imports math ops

    return (zeros_like(ctx.inputs[0]),)  # zeros, not None, as in TensorFlow


abs = _unary("abs", "Abs", "abs", NUMERIC, _g_abs,  # noqa: A001
             "Returns |x| (the magnitude, a real tensor, for complex x).", infer=_abs_infer)
sign = _unary("sign", "Sign", "sign", REAL, _g_sign, "Returns -1, 0 or 1 by the sign of x.")
exp = _unary("exp", "Exp", "exp", INEXACT, _u(lambda x, y, g: multiply(g, y)), "Returns e ** x.")
expm1 = _unary("expm1", "Expm1", "expm1", INEXACT,
               _u(lambda x, y, g: multiply(g, exp(x))), "Returns exp(x) - 1, accurate near 0.")
log = _unary("log", "Log", "log", INEXACT, _u(lambda x, y, g: divide(g, x)),
             "Returns the natural logarithm of x.")
log1p = _unary("log1p", "Log1p", "log1p", INEXACT, _u(lambda x, y, g: divide(g, add(x, 1))),
               "Returns log(1 + x), accurate near 0.")


def _g_sqrt(x, y, g):
    """`g / (2 sqrt(x))`, and 0 where `g` is 0, as TensorFlow's SqrtGrad: a `where` that
    masks `sqrt(x)` at x = 0 gives a zero gradient there, not 0 / 0 = NaN."""
    from engine.ops.fill_ops import ones_like  # noqa: PLC0415 - fill_ops imports math ops
    from engine.ops.select_ops import where  # noqa: PLC0415

    return divide(multiply(g, 0.5), where(equal(g, 0), ones_like(y), y))  # 0 / 1 there


sqrt = _unary("sqrt", "Sqrt", "sqrt", INEXACT, _u(_g_sqrt), "Returns the square root of x.")
rsqrt = _unary("rsqrt", "Rsqrt", None, INEXACT,
               _u(lambda x, y, g: multiply(g, multiply(-0.5, multiply(y, square(y))))),
               "Returns 1 / sqrt(x).", kernel=_rsqrt_kernel)
square = _unary("square", "Square", "square", NUMERIC,
                _u(lambda x, y, g: multiply(g, multiply(2, x))), "Returns x * x.")
reciprocal = _unary("reciprocal", "Reciprocal", "reciprocal", INEXACT,
                    _u(lambda x, y, g: negative(multiply(g, square(y)))), "Returns 1 / x.")
sin = _unary("sin", "Sin", "sin", INEXACT, _u(lambda x, y, g: multiply(g, cos(x))),
             "Returns sin(x).")
cos = _unary("cos", "Cos", "cos", INEXACT, _u(lambda x, y, g: negative(multiply(g, sin(x)))),
             "Returns cos(x).")
tan = _unary("tan", "Tan", "tan", INEXACT,
             _u(lambda x, y, g: multiply(g, add(1, square(y)))), "Returns tan(x).")
asin = _unary("asin", "Asin", "arcsin", INEXACT,
              _u(lambda x, y, g: divide(g, sqrt(subtract(1, square(x))))), "Returns arcsin(x).")
acos = _unary("acos", "Acos", "arccos", INEXACT,
              _u(lambda x, y, g: negative(divide(g, sqrt(subtract(1, square(x)))))),
              "Returns arccos(x).")
atan = _unary("atan", "Atan", "arctan", INEXACT,
              _u(lambda x, y, g: divide(g, add(1, square(x)))), "Returns arctan(x).")
sinh = _unary("sinh", "Sinh", "sinh", INEXACT, _u(lambda x, y, g: multiply(g, cosh(x))),
              "Returns sinh(x).")
cosh = _unary("cosh", "Cosh", "cosh", INEXACT, _u(lambda x, y, g: multiply(g, sinh(x))),
              "Returns cosh(x).")
tanh = _unary("tanh", "Tanh", "tanh", INEXACT,
              _u(lambda x, y, g: multiply(g, subtract(1, square(y)))), "Returns tanh(x).")
asinh = _unary("asinh", "Asinh", "arcsinh", INEXACT,
               _u(lambda x, y, g: divide(g, sqrt(add(square(x), 1)))), "Returns arsinh(x).")
acosh = _unary("acosh", "Acosh", "arccosh", INEXACT,
               _u(lambda x, y, g: divide(g, sqrt(subtract(square(x), 1)))),
               "Returns arcosh(x).")
atanh = _unary("atanh", "Atanh", "arctanh", INEXACT,
               _u(lambda x, y, g: divide(g, subtract(1, square(x)))), "Returns artanh(x).")
sigmoid = _unary("sigmoid", "Sigmoid", None, INEXACT,
                 _u(lambda x, y, g: multiply(g, multiply(y, subtract(1, y)))),
                 "Returns 1 / (1 + exp(-x)), computed without overflow.", kernel=_sigmoid_kernel)
softplus = _unary("softplus", "Softplus", None, FLOAT,
                  _u(lambda x, y, g: multiply(g, sigmoid(x))),
                  "Returns log(1 + exp(x)), computed without overflow.", kernel=_softplus_kernel)
erf = _unary("erf", "Erf", None, FLOAT,
             _u(lambda x, y, g: multiply(g, multiply(_SQRT_PI_2, exp(negative(square(x)))))),
             "Returns the Gauss error function of x.", kernel=_erf_kernel)
floor = _unary("floor", "Floor", "floor", FLOAT, None, "Returns the largest integer <= x.")
ceil = _unary("ceil", "Ceil", "ceil", FLOAT, None, "Returns the smallest integer >= x.")
round = _unary("round", "Round", None, REAL, None,  # noqa: A001
               "Rounds half to even, as TensorFlow does.", kernel=_round_kernel)
logical_not = _unary("logical_not", "LogicalNot", "logical_not", BOOL, None,
                     "Returns NOT x for a boolean tensor.")
invert = _unary("invert", "Invert", "invert", INTEGER, None,
                "Returns the bitwise complement of an integer tensor.")
is_nan = _unary("is_nan", "IsNan", "isnan", FLOAT, None, "Returns True where x is NaN.",
                out_dtype=_dt.bool)
is_inf = _unary("is_inf", "IsInf", "isinf", FLOAT, None, "Returns True where x is +-Inf.",
                out_dtype=_dt.bool)
is_finite = _unary("is_finite", "IsFinite", "isfinite", FLOAT, None,
                   "Returns True where x is neither NaN nor Inf.", out_dtype=_dt.bool)


# --- docstring examples of the generated functions (run by tests/test_docs.py) --------------
_EXAMPLES = {
    "negative": ("engine.negative([1.0, -2.0])", "array([-1.,  2.], dtype=float32)"),
    "abs": ("engine.abs([-1.5, 2.0])", "array([1.5, 2. ], dtype=float32)"),
    "sign": ("engine.sign([-3.0, 0.0, 2.0])", "array([-1.,  0.,  1.], dtype=float32)"),
    "exp": ("engine.exp([0.0, 1.0])", "array([1.      , 2.718282], dtype=float32)"),
    "expm1": ("engine.math.expm1([0.0, 1e-10])", "array([0.e+00, 1.e-10], dtype=float32)"),
    "log": ("engine.math.log([1.0, 100.0])", "array([0.       , 4.6051702], dtype=float32)"),
    "log1p": ("engine.math.log1p([0.0, 1e-10])", "array([0.e+00, 1.e-10], dtype=float32)"),
    "sqrt": ("engine.sqrt([4.0, 9.0])", "array([2., 3.], dtype=float32)"),
    "rsqrt": ("engine.math.rsqrt([4.0, 0.25])", "array([0.5, 2. ], dtype=float32)"),
    "square": ("engine.square([2, -3])", "array([4, 9], dtype=int32)"),
    "reciprocal": ("engine.math.reciprocal([2.0, 0.5])", "array([0.5, 2. ], dtype=float32)"),
    "sin": ("engine.sin([0.0, np.pi / 2])", "array([0., 1.], dtype=float32)"),
    "cos": ("engine.cos([0.0, np.pi])", "array([ 1., -1.], dtype=float32)"),
    "tan": ("engine.tan([0.0, np.pi / 4])", "array([0., 1.], dtype=float32)"),
    "asin": ("engine.asin([0.0, 1.0])", "array([0.       , 1.5707964], dtype=float32)"),
    "acos": ("engine.acos([1.0, 0.0])", "array([0.       , 1.5707964], dtype=float32)"),
    "atan": ("engine.atan([0.0, 1.0])", "array([0.       , 0.7853982], dtype=float32)"),
    "sinh": ("engine.sinh([0.0, 1.0])", "array([0.       , 1.1752012], dtype=float32)"),
    "cosh": ("engine.cosh([0.0, 1.0])", "array([1.       , 1.5430807], dtype=float32)"),
    "tanh": ("engine.tanh([0.0, 1.0])", "array([0.       , 0.7615942], dtype=float32)"),
    "asinh": ("engine.asinh([0.0, 1.0])", "array([0.       , 0.8813736], dtype=float32)"),
    "acosh": ("engine.acosh([1.0, 2.0])", "array([0.      , 1.316958], dtype=float32)"),
    "atanh": ("engine.atanh([0.0, 0.5])", "array([0.        , 0.54930615], dtype=float32)"),
    "sigmoid": ("engine.sigmoid([-100.0, 0.0, 100.0])", "array([0. , 0.5, 1. ], dtype=float32)"),
    "softplus": ("engine.math.softplus([0.0, 100.0])",
                 "array([  0.6931472, 100.       ], dtype=float32)"),
    "erf": ("engine.math.erf([0.0, 1.0])", "array([0.       , 0.8427008], dtype=float32)"),
    "floor": ("engine.floor([1.5, -1.5])", "array([ 1., -2.], dtype=float32)"),
    "ceil": ("engine.math.ceil([1.5, -1.5])", "array([ 2., -1.], dtype=float32)"),
    "round": ("engine.round([0.5, 1.5, 2.5])", "array([0., 2., 2.], dtype=float32)"),
    "logical_not": ("engine.math.logical_not([True, False])", "array([False,  True])"),
    "invert": ("engine.math.invert([0, 5])", "array([-1, -6], dtype=int32)"),
    "is_nan": ("engine.math.is_nan([1.0, np.nan, np.inf])", "array([False,  True, False])"),
    "is_inf": ("engine.math.is_inf([1.0, np.nan, -np.inf])", "array([False, False,  True])"),
    "is_finite": ("engine.math.is_finite([1.0, np.nan, np.inf])",
                  "array([ True, False, False])"),
}
for _name, (_call, _result) in _EXAMPLES.items():
    globals()[_name].__doc__ += f"\n    Example:\n        >>> {_call}.numpy()\n        {_result}\n"
