"""`engine.nn`'s ops: bias_add and normalization here; activations and losses re-exported.

`engine/nn.py` imports this module (and the conv modules) with `*`, so everything in `__all__`,
including the activations of `activation_ops` and the losses of `nn_losses`, is
`engine.nn.<name>`.
"""

from __future__ import annotations

from engine.convert import convert_to_tensor, tensor_or_variable
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops import unary_ops as _u
from engine.ops.activation_ops import *  # noqa: F403 - part of engine.nn
from engine.ops.activation_ops import __all__ as _activations_all
from engine.ops.fill_ops import ones_like
from engine.ops.join_ops import concat
from engine.ops.nn_losses import *  # noqa: F403 - part of engine.nn
from engine.ops.nn_losses import __all__ as _losses_all
from engine.ops.widening import BFLOAT16, run_in_float32
from engine.registry import NUMERIC, OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["bias_add", "moments", "batch_normalization", *_activations_all, *_losses_all]


# --- bias_add -----------------------------------------------------------------------------------
def _channel_axis(data_format: str, rank: int) -> int:
    return 1 if data_format.startswith("NC") else rank - 1


def _bias_add_infer(value, bias, data_format="NHWC"):
    op = "bias_add"
    dtype = _inf.same_dtype(op, value, bias)
    rank = value.shape.rank
    if rank is not None and rank < 2:
        raise ShapeError(f"{op}: got value of shape {value.shape}; expected rank >= 2 "
                         "(a batch axis and a channel axis).")
    if bias.shape.rank not in (None, 1):
        raise ShapeError(f"{op}: got bias of shape {bias.shape}; expected a 1-D bias, one "
                         "value per channel.")
    if rank is not None and bias.shape.rank == 1:
        axis = _channel_axis(data_format, rank)
        c, b = value.shape[axis], bias.shape[0]
        if c is not None and b is not None and c != b:
            raise ShapeError(f"{op}: got value of shape {value.shape} with {c} channels (axis "
                             f"{axis}, data_format {data_format!r}) and a bias of {b}; "
                             "expected one bias per channel.")
    return TensorSpec(value.shape, dtype)


def _bias_add_kernel(xp, value, bias, data_format="NHWC"):
    axis = _channel_axis(data_format, value.ndim)
    if bias.ndim != 1 or value.ndim < 2 or value.shape[axis] != bias.shape[0]:
        raise ValueError("bias_add: shapes do not fit")  # infer explains
    if axis != value.ndim - 1:
        bias = bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return value + bias


def _bias_add_grad_infer(g, data_format="NHWC"):
    rank = g.shape.rank
    if rank is not None and rank < 2:
        raise ShapeError(f"bias_add_grad: got out_backprop of shape {g.shape}; expected rank "
                         ">= 2.")
    c = None if rank is None else g.shape[_channel_axis(data_format, rank)]
    return TensorSpec([c], g.dtype)


def _bias_add_grad_kernel(xp, g, data_format="NHWC"):
    axis = _channel_axis(data_format, g.ndim)
    c = g.shape[axis]
    if g.size == 0:
        return xp.zeros((c,), g.dtype)
    if g.dtype is BFLOAT16:  # bfloat16 sums stall past 256 terms: add in float32
        return run_in_float32(_bias_add_grad_kernel, xp, g, data_format=data_format)
    if axis == g.ndim - 1 and g.dtype.kind == "f" and g.flags.c_contiguous:
        # A GEMV with a ones vector is ~8x faster than sum(axis=0) on (rows, c) in NumPy.
        rows = g.size // c
        return xp.matmul(xp.ones((rows,), g.dtype), g.reshape(rows, c))
    return g.sum(axis=tuple(a for a in range(g.ndim) if a != axis))


def _bias_add_grad_vjp(ctx, g):
    out_backprop = ctx.inputs[0]
    rank = out_backprop._value.ndim
    channels_first = ctx.attrs.get("data_format", "NHWC").startswith("NC")
    if channels_first and rank is None:  # traced with an unknown rank: (c, 1, ..., 1)
        ones = ones_like(_a.shape(out_backprop)[2:])
        g = _a.reshape(g, concat([convert_to_tensor([-1], ones.dtype), ones], 0))
    elif channels_first and rank > 2:
        g = _a.reshape(g, (-1,) + (1,) * (rank - 2))
    # `broadcast_like`: sizes known only when the graph runs come from shape(out_backprop).
    return (_a.broadcast_like(g, out_backprop),)


_BIAS_ADD_GRAD = register(OpDef(
    "bias_add_grad", "BiasAddGrad", ("out_backprop",), _bias_add_grad_infer,
    _bias_add_grad_kernel, vjp=_bias_add_grad_vjp, attrs={"data_format": "NHWC"},
    dtypes=NUMERIC, doc="Gradient of BiasAdd: out_backprop summed over all but the channels."))


def _bias_add_vjp(ctx, g):
    return g, dispatch(_BIAS_ADD_GRAD, (g,), ctx.attrs)


_BIAS_ADD = register(OpDef(
    "bias_add", "BiasAdd", ("value", "bias"), _bias_add_infer, _bias_add_kernel,
    vjp=_bias_add_vjp, attrs={"data_format": "NHWC"}, dtypes=NUMERIC,
    doc="Adds a 1-D bias along the channel axis of value."))


def bias_add(value, bias, data_format=None, name=None):
    """Adds a 1-D `bias` along the channel axis of `value`; raw op `BiasAdd`.

    Args:
        value: a tensor of rank >= 2.
        bias: a 1-D tensor, one value per channel, same dtype as `value`.
        data_format: `'N...C'` (channels last, the default, e.g. `'NHWC'`) or `'NC...'`
            (channels at axis 1, e.g. `'NCHW'`).
        name: ignored in eager mode.

    Returns:
        `value + bias`, shaped like `value`.

    Raises:
        ShapeError: when `bias` is not 1-D or its size is not the number of channels.

    Example:
        >>> engine.nn.bias_add(engine.zeros([2, 3]), engine.constant([1.0, 2.0, 3.0])).numpy()
        array([[1., 2., 3.],
               [1., 2., 3.]], dtype=float32)
    """
    fmt = "NHWC" if data_format is None else str(data_format)
    if not (fmt.startswith("NC") or fmt.endswith("C")) or not fmt.startswith("N"):
        raise ValueError(f"bias_add: got data_format {data_format!r}; expected channels last "
                         "('NHWC', 'NWC', ...) or at axis 1 ('NCHW', 'NCW', ...).")
    return dispatch(_BIAS_ADD, (value, bias), {"data_format": "NCHW" if fmt.startswith("NC")
                                                else "NHWC"})


# --- normalization (composites of engine ops) ---------------------------------------------------
def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance of `x` over `axes`.

    Args:
        x: a float tensor.
        axes: an int or a list of ints, the axes to reduce.
        shift: ignored (as in TF 2).
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        `(mean, variance)`. The variance's gradient does not flow through the mean, as in
        TF (it would be zero anyway).

    Example:
        >>> mean, var = engine.nn.moments(engine.constant([1.0, 2.0, 3.0, 4.0]), axes=[0])
        >>> float(mean), float(var)
        (2.5, 1.25)
    """
    axes = _r.axis_attr(axes)
    mean = _r.reduce_mean(x, axes, keepdims=True)
    variance = _r.reduce_mean(_m.squared_difference(x, _a.stop_gradient(mean)), axes,
                              keepdims=True)
    if keepdims:
        return mean, variance
    return _a.squeeze(mean, axes), _a.squeeze(variance, axes)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """`scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`, as TF computes it.

    Args:
        x: the input.
        mean, variance: tensors that broadcast against `x` (e.g. from `moments`).
        offset: the added bias (beta), or None.
        scale: the multiplier (gamma), or None.
        variance_epsilon: a small float that keeps the division finite.
        name: ignored in eager mode.

    Returns:
        The normalized tensor, shaped like `x`.

    Example:
        >>> x = engine.constant([1.0, 3.0])
        >>> engine.nn.batch_normalization(x, 2.0, 1.0, None, None, 0.0).numpy()
        array([-1.,  1.], dtype=float32)
    """
    x = tensor_or_variable(x)
    mean, variance, offset, scale = (_like(v, x) for v in (mean, variance, offset, scale))
    # reciprocal(sqrt()) rather than rsqrt, whose kernel fails on 0-d inputs (for now).
    inv = _u.reciprocal(_u.sqrt(_m.add(variance, variance_epsilon)))
    if scale is not None:
        inv = _m.multiply(inv, scale)
    shift = _u.negative(_m.multiply(mean, inv))
    if offset is not None:
        shift = _m.add(shift, offset)
    return _m.add(_m.multiply(x, inv), shift)


def _is_tensor_like(x) -> bool:
    return isinstance(x, Tensor) or getattr(x, "_is_variable", False)




def _like(value, x):
    """`value` as a tensor of `x`'s dtype, unless it is None, a tensor or a variable."""
    if value is None or _is_tensor_like(value):
        return value
    return convert_to_tensor(value, x.dtype)
