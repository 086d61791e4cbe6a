"""Elementwise binary math: arithmetic, comparisons and logic; cast and complex parts.

The piecewise-constant floordiv has no gradient rule: tapes do not record it, so
gradients through it are None, as in TensorFlow.

Each op is one `OpDef` built from a row of the tables below: its names, the array-module
function that computes it, the dtypes it accepts, and its gradient written with the
public functions of this module (so gradients are differentiable again).

The public functions (`add`, `less`, …) and the tensor operators (`+`, `<`, …) share
`dispatch.make_binary` fast paths. The unary functions (`exp`, `negative`, …) are in
`unary_ops`, which sits above this module: its gradient rules use this arithmetic, so the
few rules here that need a unary function import it when they run.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.convert import convert_to_tensor, to_array
from engine.dispatch import dispatch, make_binary
from engine.errors import DTypeError
from engine.ops import infer as _inf
from engine.registry import BOOL, FLOAT, INEXACT, INTEGER, NUMERIC, REAL, OpDef, register
from engine.tensor import Tensor

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


# --- gradient rules (ctx.inputs, ctx.outputs are tensors; g is the upstream gradient) ----
def _g_add(ctx, g):
    return g, g


def _g_sub(ctx, g):
    from engine.ops.unary_ops import negative  # noqa: PLC0415 - sits above this module

    return g, negative(g)


def _conj_if_complex(t):
    """`conj(t)` for complex tensors (TensorFlow's gradient convention: the cotangent times
    the conjugate derivative), `t` itself otherwise."""
    return conj(t) if t.dtype.is_complex else t


def _g_mul(ctx, g):
    x, y = ctx.inputs
    return multiply(g, _conj_if_complex(y)), multiply(g, _conj_if_complex(x))


def _g_div(ctx, g):
    from engine.ops.unary_ops import negative  # noqa: PLC0415 - sits above this module

    x, y = ctx.inputs
    gx = divide(g, _conj_if_complex(y))
    return gx, negative(multiply(gx, _conj_if_complex(divide(x, y))))


def _g_pow(ctx, g):
    x, y = ctx.inputs
    z = ctx.outputs[0]
    if x.dtype.is_complex:  # holomorphic: the conjugate derivatives; log(0) where x == 0
        from engine.ops.select_ops import where  # noqa: PLC0415 - sits above this module
        from engine.ops.unary_ops import log  # noqa: PLC0415 - sits above this module

        zero = equal(x, 0)
        log_x = where(zero, 0, log(where(zero, 1, x)))
        gx = multiply(g, conj(multiply(y, pow(x, subtract(y, 1)))))
        return gx, multiply(g, conj(multiply(z, log_x)))
    gx = multiply(g, multiply(y, pow(x, subtract(y, 1))))
    safe_log = where_positive_log(x)
    return gx, multiply(g, multiply(z, safe_log))


def where_positive_log(x):
    """log(x) where x > 0, else 0 (the exponent gradient of pow at x <= 0)."""
    from engine.ops.select_ops import where  # noqa: PLC0415 - sits above this module
    from engine.ops.unary_ops import log  # noqa: PLC0415 - sits above this module

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
    from engine.ops.unary_ops import negative  # noqa: PLC0415 - sits above this module

    x, y = ctx.inputs
    d = multiply(g, multiply(2, subtract(x, y)))
    return d, negative(d)


def _g_mod(ctx, g):
    from engine.ops.unary_ops import floor, negative  # noqa: PLC0415 - sits above this module

    x, y = ctx.inputs
    return g, negative(multiply(g, floor(divide(x, y))))


def _g_atan2(ctx, g):
    from engine.ops.unary_ops import negative, square  # noqa: PLC0415 - sits above this module

    y, x = ctx.inputs
    denom = add(square(x), square(y))
    return multiply(g, divide(x, denom)), negative(multiply(g, divide(y, denom)))


# Strings too, as in TensorFlow: `engine.constant("a") + "b"` is b"ab" (NumPy adds object
# arrays of bytes elementwise by concatenation).
add = _binary("add", "AddV2", "add", NUMERIC | frozenset((_dt.string,)), _g_add,
              "Returns x + y; for strings, their concatenation.")
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
    x = x if hasattr(x, "dtype") else convert_to_tensor(x)
    if x.dtype.is_integer:
        target = _dt.float32 if x.dtype.size <= 2 else _dt.float64
        y = y if hasattr(y, "dtype") else convert_to_tensor(y, x.dtype)
        return _realdiv.fast(cast(x, target), cast(y, target))
    return _realdiv.fast(x, y)


__all__.append("truediv")

_realdiv = divide
_realdiv_fast = _realdiv.fast


def divide(x, y, name=None):
    """Returns x / y; integers divide in floating point, as with `truediv` (TF's `divide`).

    Elementwise with NumPy broadcasting; raw op `RealDiv` for floating and complex inputs.

    Args:
        x, y: tensors or values of the same dtype.
        name: ignored in eager mode.

    Returns:
        A tensor; float64 for int32/int64 inputs, float32 for smaller integers.

    Example:
        >>> engine.math.divide(engine.constant([1, 3]), 2).numpy()
        array([0.5, 1.5])
    """
    if type(x) is Tensor and x._value.dtype.kind in "fcV":  # floats (bfloat16: "V"): RealDiv
        return _realdiv_fast(x, y)  # the common case, without the checks below
    if not hasattr(x, "dtype") and not hasattr(y, "dtype"):  # plain values: [1, 3] is int32
        x = convert_to_tensor(x)
    if _is_integer_tensor(x):
        return truediv(x, y)
    if _is_integer_tensor(y):  # a Python x takes y's dtype, as in `x / y`
        return truediv(x if hasattr(x, "dtype") else convert_to_tensor(x, y.dtype), y)
    return _realdiv.fast(x, y)


def _is_integer_tensor(x) -> bool:
    dtype = getattr(x, "dtype", None)
    return isinstance(dtype, _dt.DType) and dtype.is_integer


divide.op = _realdiv.op
divide.fast = _realdiv.fast
divide.reflected = _realdiv.reflected


# --- cast ---------------------------------------------------------------------------------
def _cast_infer(x, dtype):
    return _inf.spec(x.shape, dtype)


def _cast_kernel(xp, x, dtype):
    target = _dt.as_dtype(dtype)._np
    if xp.__name__ != "numpy":  # CuPy has no bfloat16 or string arrays: say so clearly
        from engine.backend import cupy_backend  # noqa: PLC0415 - GPU only

        cupy_backend.check_dtype(target, "cast")
    if x.dtype.kind == "c" and target.kind != "c":
        x = x.real  # complex to real keeps the real part, as in TensorFlow (NumPy warns)
    return x.astype(target)


def _cast_vjp(ctx, g):
    x = ctx.inputs[0]
    if x.dtype.is_differentiable and g.dtype.is_differentiable:
        return (cast(g, x.dtype),)
    return (None,)


_CAST = register(OpDef("cast", "Cast", ("x",), lambda x, dtype: _inf.spec(x.shape, dtype),
                       _cast_kernel, vjp=_cast_vjp, attrs={"dtype": None},
                       tf_args={"DstT": "dtype"}, doc="Converts x to another dtype."))


def _python_numbers(x) -> bool:
    """Whether `x` is a Python number (not a bool) or nested lists/tuples of them."""
    if type(x) is list or type(x) is tuple:
        return all(_python_numbers(v) for v in x)
    return type(x) is float or type(x) is int or type(x) is complex


def cast(x, dtype, name=None):
    """Converts `x` to `dtype` (floats to ints truncate toward zero, as in TF).

    Unlike tf.cast, a Python number or nested list of them is converted straight to a float
    or complex `dtype` (`engine.cast(0.1, engine.float64)` is exactly 0.1, not 0.1 rounded
    through float32); tensors, variables and NumPy arrays are cast from their own dtype.

    Args:
        x: a tensor, variable or value.
        dtype: the target dtype.

    Returns:
        A tensor of `dtype`; `x` itself if it already has that dtype.

    Example:
        >>> engine.cast(engine.constant([1.7, -1.7]), engine.int32).numpy()
        array([ 1, -1], dtype=int32)
        >>> float(engine.cast(0.1, engine.float64)) == 0.1
        True
    """
    dtype = _dt.as_dtype(dtype)
    if getattr(x, "dtype", None) is dtype and not hasattr(x, "_read"):
        return x
    if (dtype.is_floating or dtype.is_complex) and _python_numbers(x):
        try:
            x = to_array(x, dtype)  # no float32 step: one rounding, to dtype
        except (DTypeError, ValueError):
            pass  # complex to real (the real part, as TF) or a ragged list (dispatch explains)
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
}
for _name, (_call, _result) in _EXAMPLES.items():
    globals()[_name].__doc__ += f"\n    Example:\n        >>> {_call}.numpy()\n        {_result}\n"
