"""Activations and softmax (`engine.nn.relu`, `gelu`, `softmax`, …), re-exported by `nn_ops`.

Each activation is one `OpDef` with a numerically safe kernel and a gradient written with
engine ops, so gradients nest. Piecewise-linear activations get TensorFlow's gradient ops
(`ReluGrad`, `Relu6Grad`, `LeakyReluGrad`): one fused kernel for the backward pass, and
their own gradients are the same op again (they are linear in the upstream gradient).

`Gelu` and `Silu` are eagerlab ops: TensorFlow composes them in Python and has no raw op
of that name.
"""

from __future__ import annotations

import math as _pymath

import numpy as np

from engine.dispatch import dispatch, make_unary
from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops import unary_ops as _u
from engine.ops.widening import computes_in_float32
from engine.registry import FLOAT, REAL, OpDef, register

__all__ = [
    "relu", "relu6", "elu", "selu", "gelu", "leaky_relu", "silu", "swish", "softsign",
    "softmax", "log_softmax",
]


def _any_rank(kernel):
    """Runs `kernel` on 0-d inputs as shape (1,): NumPy's ufuncs return scalars for 0-d
    arrays, which the `out=` arguments of in-place kernels do not accept."""

    def wrapped(xp, x, **attrs):
        if x.ndim == 0:
            return kernel(xp, x.reshape(1), **attrs).reshape(())
        return kernel(xp, x, **attrs)

    return wrapped


def _activation(name, tf_name, kernel, vjp, doc, dtypes=FLOAT, attrs=None):
    return register(OpDef(name, tf_name, ("features",), _inf.elementwise(name, dtypes), kernel,
                          vjp=vjp, attrs=attrs, dtypes=dtypes, doc=doc))


def _grad_op(name, tf_name, kernel, doc, attrs=None):
    """A gradient op `f(gradients, features)`, linear in `gradients`: it is its own vjp."""

    def vjp(ctx, g):
        return dispatch(op, (g, ctx.inputs[1]), ctx.attrs), None

    op = register(OpDef(name, tf_name, ("gradients", "features"),
                        _inf.elementwise(name, REAL), kernel, vjp=vjp, attrs=attrs,
                        dtypes=REAL, doc=doc))
    return op


# --- relu, relu6, leaky_relu: piecewise linear, with TF's fused gradient ops -----------------
_RELU_GRAD = _grad_op("relu_grad", "ReluGrad", lambda xp, g, f: xp.multiply(g, f > 0),
                      "Gradient of Relu: gradients where features > 0, else 0.")
_RELU6_GRAD = _grad_op("relu6_grad", "Relu6Grad",
                       lambda xp, g, f: xp.multiply(g, (f > 0) & (f < 6)),
                       "Gradient of Relu6: gradients where 0 < features < 6, else 0.")


def _leaky_relu_grad_kernel(xp, g, f, alpha=0.2):
    # g * (1 if f > 0 else alpha), arithmetic rather than `where`, which is slow on CPUs.
    factor = (f > 0).astype(g.dtype)
    factor *= 1 - alpha
    factor += alpha
    factor *= g
    return factor


_LEAKY_RELU_GRAD = _grad_op("leaky_relu_grad", "LeakyReluGrad", _leaky_relu_grad_kernel,
                            "Gradient of LeakyRelu.", attrs={"alpha": 0.2})


@computes_in_float32  # `x * alpha` would make bfloat16 float32
def _leaky_relu_kernel(xp, x, alpha=0.2):
    if 0 <= alpha <= 1:
        return xp.maximum(x, x * alpha)
    return xp.maximum(x, 0) + xp.minimum(x, 0) * alpha


_ZERO_ROWS: dict = {}  # dtype -> a read-only row of zeros for `_relu_kernel`
_ROW = 1024


def _relu_kernel(xp, x):
    # NumPy's maximum against a scalar runs ~2.3x slower than against an array (measured on
    # NumPy 2.4, float32 and float64, 64K to 1M elements), so large contiguous float inputs
    # are viewed as rows of 1024 and compared with one row of zeros.
    if xp is not np or x.size < 4 * _ROW or x.dtype.kind != "f" or not x.flags.c_contiguous:
        return xp.maximum(x, 0)
    zeros = _ZERO_ROWS.get(x.dtype)
    if zeros is None:
        zeros = _ZERO_ROWS[x.dtype] = np.zeros(_ROW, x.dtype)
        zeros.flags.writeable = False
    out = np.empty_like(x)
    src, dst = x.reshape(-1), out.reshape(-1)
    split = x.size - x.size % _ROW
    np.maximum(src[:split].reshape(-1, _ROW), zeros, out=dst[:split].reshape(-1, _ROW))
    np.maximum(src[split:], 0, out=dst[split:])
    return out


_RELU = _activation("relu", "Relu", _relu_kernel,
                    lambda ctx, g: (dispatch(_RELU_GRAD, (g, ctx.outputs[0])),),
                    "Returns max(features, 0).", dtypes=REAL)


def _relu6_kernel(xp, x):
    # Not `clip`: NumPy's clip has no bfloat16 loop and would return float32.
    out = xp.maximum(x, 0)
    return xp.minimum(out, 6, out=out)


_RELU6 = _activation("relu6", "Relu6", _any_rank(_relu6_kernel),
                     lambda ctx, g: (dispatch(_RELU6_GRAD, (g, ctx.inputs[0])),),
                     "Returns min(max(features, 0), 6).", dtypes=REAL)
_LEAKY_RELU = _activation(
    "leaky_relu", "LeakyRelu", _leaky_relu_kernel,
    lambda ctx, g: (dispatch(_LEAKY_RELU_GRAD, (g, ctx.inputs[0]), ctx.attrs),),
    "Returns features if positive, else alpha * features.", attrs={"alpha": 0.2})
_relu_fast = make_unary(_RELU)


def relu(features, name=None):
    """Rectified linear unit: `max(features, 0)`; raw op `Relu`.

    Args:
        features: a real tensor.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.nn.relu(engine.constant([-1.0, 2.0])).numpy()
        array([0., 2.], dtype=float32)
    """
    return _relu_fast(features)


def relu6(features, name=None):
    """`min(max(features, 0), 6)`; raw op `Relu6`.

    Args:
        features: a float tensor.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.nn.relu6(engine.constant([-1.0, 3.0, 9.0])).numpy()
        array([0., 3., 6.], dtype=float32)
    """
    return dispatch(_RELU6, (features,))


def leaky_relu(features, alpha=0.2, name=None):
    """`features` where positive, else `alpha * features`; raw op `LeakyRelu`.

    Args:
        features: a float tensor.
        alpha: the slope for negative inputs.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.nn.leaky_relu(engine.constant([-2.0, 3.0])).numpy()
        array([-0.4,  3. ], dtype=float32)
    """
    return dispatch(_LEAKY_RELU, (features,), {"alpha": float(alpha)})


# --- smooth activations ---------------------------------------------------------------------
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_kernel(xp, x):
    # max(x, 0) + expm1(min(x, 0)): no overflow for large x and no slow `where`.
    out = xp.expm1(xp.minimum(x, 0))
    out += xp.maximum(x, 0)
    return out


def _selu_kernel(xp, x):
    out = xp.expm1(xp.minimum(x, 0))
    out *= _SELU_ALPHA
    out += xp.maximum(x, 0)
    out *= _SELU_SCALE
    return out


def _elu_vjp(ctx, g):
    # exp(x) = y + 1 for x <= 0; 1 for x > 0: both are min(y, 0) + 1.
    return (_m.multiply(g, _m.add(_m.minimum(ctx.outputs[0], 0), 1)),)


def _selu_vjp(ctx, g):
    # scale for x > 0; scale * alpha * exp(x) = y + scale * alpha for x <= 0.
    x, y = ctx.inputs[0], ctx.outputs[0]
    positive = _m.cast(_m.greater(x, 0), g.dtype)
    sa = _SELU_SCALE * _SELU_ALPHA
    factor = _m.add(_m.minimum(y, 0), _m.add(_m.multiply(positive, _SELU_SCALE - sa), sa))
    return (_m.multiply(g, factor),)


_ELU = _activation("elu", "Elu", _any_rank(_elu_kernel), _elu_vjp,
                   "Returns features if positive, else exp(features) - 1.")
_SELU = _activation("selu", "Selu", _any_rank(_selu_kernel), _selu_vjp,
                    "Returns scale * elu(features) with SELU's alpha, as in TF.")


def elu(features, name=None):
    """Exponential linear unit: `x` if `x > 0` else `exp(x) - 1`; raw op `Elu`.

    Args:
        features: a float tensor.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.nn.elu(engine.constant([-1.0, 1.0])).numpy()
        array([-0.63212055,  1.        ], dtype=float32)
    """
    return dispatch(_ELU, (features,))


def selu(features, name=None):
    """Scaled ELU, `scale * (x if x > 0 else alpha * (exp(x) - 1))`; raw op `Selu`.

    Args:
        features: a float tensor.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> float(engine.nn.selu(engine.constant(1.0)))
        1.0507010221481323
    """
    return dispatch(_SELU, (features,))


_SQRT_HALF = _pymath.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / _pymath.sqrt(2.0 * _pymath.pi)
_TANH_C = _pymath.sqrt(2.0 / _pymath.pi)
_TANH_A = 0.044715


@computes_in_float32
def _gelu_kernel(xp, x, approximate=False):
    if approximate:
        inner = x * x
        inner *= _TANH_A
        inner += 1
        inner *= x
        inner *= _TANH_C
        out = xp.tanh(inner, out=inner)
    else:
        out = _u._erf_kernel(xp, x * _SQRT_HALF)
    out += 1
    out *= x
    out *= 0.5
    return out


def _gelu_vjp(ctx, g):
    x = ctx.inputs[0]
    if ctx.attrs.get("approximate", False):
        # y = x/2 (1 + t), t = tanh(u), u = c (x + a x^3)
        x2 = _u.square(x)
        t = _u.tanh(_m.multiply(_m.multiply(x, _m.add(_m.multiply(x2, _TANH_A), 1)), _TANH_C))
        du = _m.multiply(_m.add(_m.multiply(x2, 3 * _TANH_A), 1), _TANH_C)
        dt = _m.multiply(_m.subtract(1, _u.square(t)), du)
        dy = _m.multiply(_m.add(_m.add(t, 1), _m.multiply(x, dt)), 0.5)
    else:
        # y = x Phi(x): dy/dx = Phi(x) + x phi(x)
        cdf = _m.multiply(_m.add(_u.erf(_m.multiply(x, _SQRT_HALF)), 1), 0.5)
        pdf = _m.multiply(_u.exp(_m.multiply(_u.square(x), -0.5)), _INV_SQRT_2PI)
        dy = _m.add(cdf, _m.multiply(x, pdf))
    return (_m.multiply(g, dy),)


_GELU = _activation("gelu", "Gelu", _any_rank(_gelu_kernel), _gelu_vjp,
                    "Gaussian error linear unit (eagerlab op; TF composes it in Python).",
                    attrs={"approximate": False})


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit, `x * Phi(x)`.

    Args:
        features: a float tensor.
        approximate: use TF's tanh approximation
            `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` instead of the exact
            `0.5 x (1 + erf(x / sqrt(2)))`.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.nn.gelu(engine.constant([0.0, 1.0])).numpy()
        array([0.       , 0.8413447], dtype=float32)
    """
    return dispatch(_GELU, (features,), {"approximate": bool(approximate)})


@computes_in_float32
def _silu_kernel(xp, x, beta=1.0):
    out = _u._sigmoid_kernel(xp, x * beta if beta != 1.0 else x)
    out *= x
    return out


def _silu_vjp(ctx, g):
    # d/dx x s(bx) = s (1 + b x (1 - s))
    x = ctx.inputs[0]
    beta = ctx.attrs.get("beta", 1.0)
    s = _u.sigmoid(_m.multiply(x, beta) if beta != 1.0 else x)
    bx = _m.multiply(x, beta) if beta != 1.0 else x
    return (_m.multiply(g, _m.multiply(s, _m.add(_m.multiply(bx, _m.subtract(1, s)), 1))),)


_SILU = _activation("silu", "Silu", _any_rank(_silu_kernel), _silu_vjp,
                    "x * sigmoid(beta * x) (eagerlab op; TF composes it in Python).",
                    attrs={"beta": 1.0})


def silu(features, beta=1.0, name=None):
    """Sigmoid linear unit (swish): `features * sigmoid(beta * features)`.

    Args:
        features: a float tensor.
        beta: a Python number (a fused op), or a tensor (composed of engine ops, so that
            it receives a gradient too).
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.nn.silu(engine.constant([0.0, 1.0])).numpy()
        array([0.       , 0.7310586], dtype=float32)
    """
    if isinstance(beta, (int, float)):
        return dispatch(_SILU, (features,), {"beta": float(beta)})
    return _m.multiply(features, _u.sigmoid(_m.multiply(beta, features)))


swish = silu


def _softsign_vjp(ctx, g):
    return (_m.divide(g, _u.square(_m.add(_u.abs(ctx.inputs[0]), 1))),)


_SOFTSIGN = _activation("softsign", "Softsign", lambda xp, x: x / (xp.abs(x) + 1),
                        _softsign_vjp, "Returns features / (|features| + 1).")


def softsign(features, name=None):
    """`features / (abs(features) + 1)`; raw op `Softsign`.

    Args:
        features: a float tensor.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.nn.softsign(engine.constant([-1.0, 3.0])).numpy()
        array([-0.5 ,  0.75], dtype=float32)
    """
    return dispatch(_SOFTSIGN, (features,))


# --- softmax and log_softmax ----------------------------------------------------------------
def _softmax_infer(name):
    def infer(logits, axis=-1):
        _inf.check_dtype(name, logits, FLOAT, "logits")
        if logits.shape.rank == 0:
            raise ShapeError(f"{name}: got a scalar; expected logits of rank >= 1 (the classes "
                             "along `axis`).")
        _inf.normalize_axis(name, axis, logits.shape.rank)
        return logits

    return infer


@computes_in_float32  # bfloat16 sums stall past 256 terms
def _softmax_kernel(xp, x, axis=-1):
    if x.size == 0:
        return x.copy()
    out = x - x.max(axis=axis, keepdims=True)  # the largest exponent is 0: no overflow
    xp.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out


@computes_in_float32
def _log_softmax_kernel(xp, x, axis=-1):
    if x.size == 0:
        return x.copy()
    out = x - x.max(axis=axis, keepdims=True)
    out -= xp.log(xp.exp(out).sum(axis=axis, keepdims=True))
    return out


def _softmax_vjp(ctx, g):
    y = ctx.outputs[0]
    axis = ctx.attrs.get("axis", -1)
    gy = _m.multiply(g, y)
    return (_m.subtract(gy, _m.multiply(y, _r.reduce_sum(gy, axis, keepdims=True))),)


def _log_softmax_vjp(ctx, g):
    axis = ctx.attrs.get("axis", -1)
    total = _r.reduce_sum(g, axis, keepdims=True)
    return (_m.subtract(g, _m.multiply(_u.exp(ctx.outputs[0]), total)),)


_SOFTMAX = register(OpDef(
    "softmax", "Softmax", ("logits",), _softmax_infer("softmax"), _softmax_kernel,
    vjp=_softmax_vjp, attrs={"axis": -1}, dtypes=FLOAT,
    doc="exp(logits) / sum(exp(logits)) along axis (the last by default)."))
_LOG_SOFTMAX = register(OpDef(
    "log_softmax", "LogSoftmax", ("logits",), _softmax_infer("log_softmax"),
    _log_softmax_kernel, vjp=_log_softmax_vjp, attrs={"axis": -1}, dtypes=FLOAT,
    doc="logits - log(sum(exp(logits))) along axis (the last by default)."))


def _axis(axis) -> int:
    axis = _r.axis_attr(-1 if axis is None else axis)
    if len(axis) != 1:
        raise ShapeError(f"softmax: got axis {axis}; expected a single axis.")
    return axis[0]


def softmax(logits, axis=None, name=None):
    """`exp(logits) / reduce_sum(exp(logits), axis)`, computed without overflow.

    Args:
        logits: a float tensor of rank >= 1.
        axis: the class axis (default -1).
        name: ignored in eager mode.

    Returns:
        Probabilities of the same shape, summing to 1 along `axis`.

    Raises:
        ShapeError: for a scalar or an axis out of range.

    Example:
        >>> engine.nn.softmax(engine.constant([1e4, 1e4])).numpy()
        array([0.5, 0.5], dtype=float32)
    """
    return dispatch(_SOFTMAX, (logits,), {"axis": _axis(axis)})


def log_softmax(logits, axis=None, name=None):
    """`logits - log(reduce_sum(exp(logits), axis))`, computed without overflow.

    Args:
        logits: a float tensor of rank >= 1.
        axis: the class axis (default -1).
        name: ignored in eager mode.

    Returns:
        Log-probabilities of the same shape.

    Example:
        >>> engine.nn.log_softmax(engine.constant([0.0, 0.0])).numpy()
        array([-0.6931472, -0.6931472], dtype=float32)
    """
    return dispatch(_LOG_SOFTMAX, (logits,), {"axis": _axis(axis)})
