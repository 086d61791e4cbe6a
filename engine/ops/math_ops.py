"""Elementwise math: arithmetic, comparisons, logic, and unary functions.

Piecewise-constant ops (floor, ceil, round, sign, floordiv) have no gradient rule: tapes
do not record them, so gradients through them are None, as in TensorFlow.

Each op is one `OpDef` built from a row of the tables below: its names, the array-module
function that computes it, the dtypes it accepts, and its gradient written with the
public functions of this module (so gradients are differentiable again).

The public functions (`add`, `exp`, …) and the tensor operators (`+`, `-x`, …) share
`dispatch.make_binary` / `make_unary` fast paths.
"""

from __future__ import annotations

import math as _pymath

from engine import dtypes as _dt
from engine.dispatch import dispatch, make_binary, make_unary
from engine.ops import infer as _inf
from engine.registry import BOOL, FLOAT, INEXACT, INTEGER, NUMERIC, REAL, OpDef, register

__all__: list[str] = []


def _binary(name, tf_name, ufunc, dtypes, vjp, doc, out_bool=False, kernel=None,
            inputs=("x", "y")):
    op = register(OpDef(
        name, tf_name, inputs, _inf.elementwise(name, dtypes, _dt.bool if out_bool else None),
        kernel=kernel, ufunc=None if kernel else ufunc, vjp=vjp, dtypes=dtypes,
        broadcasts=True, doc=doc))
    fast, reflected = make_binary(op)

    if inputs == ("y", "x"):  # atan2(y, x): TensorFlow's names, in TensorFlow's order
        def public(y, x, name=None):
            return fast(y, x)
    else:
        def public(x, y, name=None):
            return fast(x, y)

    public.__name__ = public.__qualname__ = op.name
    args = ", ".join(inputs)
    public.__doc__ = (f"{doc}\n\n    Elementwise with NumPy broadcasting; raw op `{tf_name}`.\n\n"
                      f"    Args:\n        {args}: tensors or values of the same dtype.\n"
                      f"        name: ignored in eager mode.\n\n    Returns:\n        A tensor.\n")
    public.op = op
    public.fast = fast
    public.reflected = reflected
    __all__.append(op.name)
    return public


def _unary(name, tf_name, ufunc, dtypes, vjp, doc, out_dtype=None, kernel=None):
    op = register(OpDef(
        name, tf_name, ("x",), _inf.elementwise(name, dtypes, out_dtype), kernel=kernel,
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


# --- gradient rules (ctx.inputs, ctx.outputs are tensors; g is the upstream gradient) ----
def _g_add(ctx, g):
    return g, g


def _g_sub(ctx, g):
    return g, negative(g)


def _g_mul(ctx, g):
    x, y = ctx.inputs
    return multiply(g, y), multiply(g, x)


def _g_div(ctx, g):
    x, y = ctx.inputs
    gx = divide(g, y)
    return gx, negative(multiply(gx, divide(x, y)))


def _g_pow(ctx, g):
    x, y = ctx.inputs
    z = ctx.outputs[0]
    gx = multiply(g, multiply(y, pow(x, subtract(y, 1))))
    safe_log = where_positive_log(x)
    return gx, multiply(g, multiply(z, safe_log))


def where_positive_log(x):
    """log(x) where x > 0, else 0 (the exponent gradient of pow at x <= 0)."""
    from engine.ops.array_ops import where  # noqa: PLC0415 - array_ops imports this module

    positive = greater(x, 0)
    return where(positive, log(where(positive, x, 1)), 0)


def _g_max(ctx, g):
    x, y = ctx.inputs
    mask = cast(greater_equal(x, y), g.dtype)
    return multiply(g, mask), multiply(g, subtract(1, mask))


def _g_min(ctx, g):
    x, y = ctx.inputs
    mask = cast(less_equal(x, y), g.dtype)
    return multiply(g, mask), multiply(g, subtract(1, mask))


def _g_sqdiff(ctx, g):
    x, y = ctx.inputs
    d = multiply(g, multiply(2, subtract(x, y)))
    return d, negative(d)


def _g_mod(ctx, g):
    x, y = ctx.inputs
    return g, negative(multiply(g, floor(divide(x, y))))


def _g_atan2(ctx, g):
    y, x = ctx.inputs
    denom = add(square(x), square(y))
    return multiply(g, divide(x, denom)), negative(multiply(g, divide(y, denom)))


add = _binary("add", "AddV2", "add", NUMERIC, _g_add, "Returns x + y.")
subtract = _binary("subtract", "Sub", "subtract", NUMERIC, _g_sub, "Returns x - y.")
multiply = _binary("multiply", "Mul", "multiply", NUMERIC, _g_mul, "Returns x * y.")
divide = _binary("divide", "RealDiv", "true_divide", INEXACT, _g_div,
                 "Returns x / y for floating tensors (use truediv for integers).")
floordiv = _binary("floordiv", "FloorDiv", "floor_divide", REAL, None,
                   "Returns floor(x / y) (Python's `//`).")
floormod = _binary("floormod", "FloorMod", "mod", REAL, _g_mod,
                   "Returns x mod y with the sign of y (Python's `%`).")
pow = _binary("pow", "Pow", "power", NUMERIC, _g_pow, "Returns x ** y.")  # noqa: A001
maximum = _binary("maximum", "Maximum", "maximum", REAL, _g_max, "Returns max(x, y).")
minimum = _binary("minimum", "Minimum", "minimum", REAL, _g_min, "Returns min(x, y).")
squared_difference = _binary("squared_difference", "SquaredDifference", None, NUMERIC,
                             _g_sqdiff, "Returns (x - y) ** 2.",
                             kernel=lambda xp, x, y: xp.square(xp.subtract(x, y)))
atan2 = _binary("atan2", "Atan2", "arctan2", FLOAT, _g_atan2,
                "Returns atan(y / x), the angle of the point (x, y) from the x axis.",
                inputs=("y", "x"))
mod = floormod
__all__.append("mod")

_CMP = NUMERIC | BOOL
equal = _binary("equal", "Equal", "equal", None, None, "Returns x == y.", out_bool=True)
not_equal = _binary("not_equal", "NotEqual", "not_equal", None, None, "Returns x != y.",
                    out_bool=True)
less = _binary("less", "Less", "less", REAL, None, "Returns x < y.", out_bool=True)
less_equal = _binary("less_equal", "LessEqual", "less_equal", REAL, None, "Returns x <= y.",
                     out_bool=True)
greater = _binary("greater", "Greater", "greater", REAL, None, "Returns x > y.", out_bool=True)
greater_equal = _binary("greater_equal", "GreaterEqual", "greater_equal", REAL, None,
                        "Returns x >= y.", out_bool=True)
logical_and = _binary("logical_and", "LogicalAnd", "logical_and", BOOL, None,
                      "Returns x AND y for boolean tensors.")
logical_or = _binary("logical_or", "LogicalOr", "logical_or", BOOL, None,
                     "Returns x OR y for boolean tensors.")
logical_xor = _binary("logical_xor", "LogicalXor", "logical_xor", BOOL, None,
                      "Returns x XOR y for boolean tensors.")
bitwise_and = _binary("bitwise_and", "BitwiseAnd", "bitwise_and", INTEGER, None,
                      "Returns the bitwise AND of integer tensors.")
bitwise_or = _binary("bitwise_or", "BitwiseOr", "bitwise_or", INTEGER, None,
                     "Returns the bitwise OR of integer tensors.")
bitwise_xor = _binary("bitwise_xor", "BitwiseXor", "bitwise_xor", INTEGER, None,
                      "Returns the bitwise XOR of integer tensors.")


def truediv(x, y, name=None):
    """Returns x / y; integers are converted to floating point first (as in TF).

    int8/int16/uint8 give float32, int32/int64 give float64.

    Args:
        x, y: tensors or values of the same dtype.
        name: ignored in eager mode.

    Returns:
        A floating tensor.

    Example:
        >>> engine.truediv(engine.constant([3]), 2).numpy()
        array([1.5])
    """
    from engine.convert import convert_to_tensor  # noqa: PLC0415

    x = x if hasattr(x, "dtype") else convert_to_tensor(x)
    if x.dtype.is_integer:
        target = _dt.float32 if x.dtype.size <= 2 else _dt.float64
        y = y if hasattr(y, "dtype") else convert_to_tensor(y, x.dtype)
        return divide(cast(x, target), cast(y, target))
    return divide(x, y)


__all__.append("truediv")


# --- unary ------------------------------------------------------------------------------
def _u(fn):
    """Adapts `fn(x, y, g)` (input, output, upstream) to the vjp calling convention."""

    def vjp(ctx, g):
        return (fn(ctx.inputs[0], ctx.outputs[0], g),)

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
    return xp.rint(x) if x.dtype.kind in "fc" else x.copy()


negative = _unary("negative", "Neg", "negative", NUMERIC, _u(lambda x, y, g: negative(g)),
                  "Returns -x.")
abs = _unary("abs", "Abs", "abs", REAL, _u(lambda x, y, g: multiply(g, sign(x))),  # noqa: A001
             "Returns |x|.")
sign = _unary("sign", "Sign", "sign", REAL, None, "Returns -1, 0 or 1 by the sign of x.")
exp = _unary("exp", "Exp", "exp", INEXACT, _u(lambda x, y, g: multiply(g, y)), "Returns e ** x.")
expm1 = _unary("expm1", "Expm1", "expm1", INEXACT,
               _u(lambda x, y, g: multiply(g, exp(x))), "Returns exp(x) - 1, accurate near 0.")
log = _unary("log", "Log", "log", INEXACT, _u(lambda x, y, g: divide(g, x)),
             "Returns the natural logarithm of x.")
log1p = _unary("log1p", "Log1p", "log1p", INEXACT, _u(lambda x, y, g: divide(g, add(x, 1))),
               "Returns log(1 + x), accurate near 0.")
sqrt = _unary("sqrt", "Sqrt", "sqrt", INEXACT,
              _u(lambda x, y, g: divide(multiply(g, 0.5), y)), "Returns the square root of x.")
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


# --- cast ---------------------------------------------------------------------------------
def _cast_infer(x, dtype):
    return _inf.spec(x.shape, dtype)


def _cast_kernel(xp, x, dtype):
    target = _dt.as_dtype(dtype)._np
    if xp.__name__ != "numpy":  # CuPy has no bfloat16 or string arrays: say so clearly
        from engine.backend import cupy_backend  # noqa: PLC0415 - GPU only

        cupy_backend.check_dtype(target, "cast")
    return x.astype(target)


def _cast_vjp(ctx, g):
    x = ctx.inputs[0]
    if x.dtype.is_differentiable and g.dtype.is_differentiable:
        return (cast(g, x.dtype),)
    return (None,)


_CAST = register(OpDef("cast", "Cast", ("x",), lambda x, dtype: _inf.spec(x.shape, dtype),
                       _cast_kernel, vjp=_cast_vjp, attrs={"dtype": None},
                       tf_args={"DstT": "dtype"}, doc="Converts x to another dtype."))


def cast(x, dtype, name=None):
    """Converts `x` to `dtype` (floats to ints truncate toward zero, as in TF).

    Args:
        x: a tensor, variable or value.
        dtype: the target dtype.

    Returns:
        A tensor of `dtype`; `x` itself if it already has that dtype.

    Example:
        >>> engine.cast(engine.constant([1.7, -1.7]), engine.int32).numpy()
        array([ 1, -1], dtype=int32)
    """
    dtype = _dt.as_dtype(dtype)
    if getattr(x, "dtype", None) is dtype and not hasattr(x, "_read"):
        return x
    return dispatch(_CAST, (x,), {"dtype": dtype})


__all__.append("cast")


# --- complex parts --------------------------------------------------------------------------
def _real_part_infer(name):
    def infer(x):
        return _inf.spec(x.shape, x.dtype.real_dtype)

    return infer


def _conj_kernel(xp, x):
    return xp.conj(x) if x.dtype.kind == "c" else x


_CONJ = register(OpDef("conj", "Conj", ("input",), lambda x: x, _conj_kernel,
                       vjp=lambda ctx, g: (conj(g),), dtypes=NUMERIC,
                       doc="Complex conjugate (real tensors pass through)."))
_REAL = register(OpDef("real", "Real", ("input",), _real_part_infer("real"),
                       lambda xp, x: xp.real(x).copy() if x.dtype.kind == "c" else x,
                       vjp=lambda ctx, g: (cast(g, ctx.inputs[0].dtype),), dtypes=NUMERIC,
                       doc="Real part of a complex tensor."))
_IMAG = register(OpDef("imag", "Imag", ("input",), _real_part_infer("imag"),
                       lambda xp, x: xp.imag(x).copy() if x.dtype.kind == "c" else xp.zeros_like(x),
                       vjp=lambda ctx, g: (multiply(cast(g, ctx.inputs[0].dtype), 1j),),
                       dtypes=NUMERIC, doc="Imaginary part of a complex tensor."))


def conj(x, name=None):
    """The complex conjugate of `x`; real tensors are returned unchanged.

    Args:
        x: a tensor.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.math.conj(engine.constant([1 + 2j])).numpy()
        array([1.-2.j])
    """
    return dispatch(_CONJ, (x,))


def real(input, name=None):
    """The real part of a complex tensor (real tensors are returned unchanged).

    Args:
        input: a tensor.
        name: ignored in eager mode.

    Returns:
        A real tensor: float32 for complex64, float64 for complex128.

    Example:
        >>> engine.math.real([1 + 2j, 3 - 4j]).numpy()
        array([1., 3.])
    """
    return dispatch(_REAL, (input,))


def imag(input, name=None):
    """The imaginary part of a complex tensor (zeros for real tensors).

    Args:
        input: a tensor.
        name: ignored in eager mode.

    Returns:
        A real tensor: float32 for complex64, float64 for complex128.

    Example:
        >>> engine.math.imag([1 + 2j, 3 - 4j]).numpy()
        array([ 2., -4.])
    """
    return dispatch(_IMAG, (input,))


__all__ += ["conj", "real", "imag"]


# --- docstring examples of the generated functions (run by tests/test_docs.py) --------------
_EXAMPLES = {
    "add": ("engine.add([1.0, 2.0], 3.0)", "array([4., 5.], dtype=float32)"),
    "subtract": ("engine.subtract([5, 7], [1, 2])", "array([4, 5], dtype=int32)"),
    "multiply": ("engine.multiply([1.0, 2.0], 3.0)", "array([3., 6.], dtype=float32)"),
    "divide": ("engine.divide([1.0, 3.0], 2.0)", "array([0.5, 1.5], dtype=float32)"),
    "floordiv": ("engine.math.floordiv([7, -7], 2)", "array([ 3, -4], dtype=int32)"),
    "floormod": ("engine.math.floormod([7, -7], 3)", "array([1, 2], dtype=int32)"),
    "pow": ("engine.pow([2.0, 3.0], 2.0)", "array([4., 9.], dtype=float32)"),
    "maximum": ("engine.maximum([1.0, 5.0], [3.0, 2.0])", "array([3., 5.], dtype=float32)"),
    "minimum": ("engine.minimum([1.0, 5.0], [3.0, 2.0])", "array([1., 2.], dtype=float32)"),
    "squared_difference": ("engine.math.squared_difference([1.0, 5.0], 2.0)",
                           "array([1., 9.], dtype=float32)"),
    "atan2": ("engine.math.atan2([1.0, 1.0], [1.0, -1.0])",
              "array([0.785398..., 2.356194...], dtype=float32)"),
    "equal": ("engine.equal([1, 2, 3], 2)", "array([False,  True, False])"),
    "not_equal": ("engine.not_equal([1, 2, 3], 2)", "array([ True, False,  True])"),
    "less": ("engine.less([1, 2, 3], 2)", "array([ True, False, False])"),
    "less_equal": ("engine.less_equal([1, 2, 3], 2)", "array([ True,  True, False])"),
    "greater": ("engine.greater([1, 2, 3], 2)", "array([False, False,  True])"),
    "greater_equal": ("engine.greater_equal([1, 2, 3], 2)", "array([False,  True,  True])"),
    "logical_and": ("engine.math.logical_and([True, True], [True, False])",
                    "array([ True, False])"),
    "logical_or": ("engine.math.logical_or([True, False], [False, False])",
                   "array([ True, False])"),
    "logical_xor": ("engine.math.logical_xor([True, True], [True, False])",
                    "array([False,  True])"),
    "bitwise_and": ("engine.math.bitwise_and([12, 10], 6)", "array([4, 2], dtype=int32)"),
    "bitwise_or": ("engine.math.bitwise_or([12, 10], 6)", "array([14, 14], dtype=int32)"),
    "bitwise_xor": ("engine.math.bitwise_xor([12, 10], 6)", "array([10, 12], dtype=int32)"),
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
