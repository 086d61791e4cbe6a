"""Depthwise convolution ops (`engine.nn.depthwise_conv2d`, `separable_conv2d`).

The registered ops mirror TensorFlow's: `DepthwiseConv2dNative` with filters
`(height, width, in_channels, channel_multiplier)`, and its gradients
`DepthwiseConv2dNativeBackpropInput` and `DepthwiseConv2dNativeBackpropFilter`. They take
`Conv2D`'s attributes (less `use_cudnn_on_gpu`) and share its shape inference and
data-format handling (see `conv_ops`). As there, each op's gradient is written with the
other two, so every order of derivative is available, and a vjp skips the input gradients
the tape does not need.
"""

from __future__ import annotations

from engine.dispatch import dispatch
from engine.ops import conv_kernels as _ck
from engine.ops import window_attrs as _w
from engine.ops.conv_ops import (  # shape inference and gradient helpers shared with Conv2D
    _CONV_ATTRS,
    _backprop_filter_infer,
    _backprop_input_infer,
    _conv_attrs,
    _conv_infer,
    _geometry_ok,
    _needs,
    conv2d,
    dispatch_sized,
    sizes_input,
)
from engine.ops.shape_tensors import shape_of_tensor
from engine.ops.widening import computes_in_float32
from engine.registry import FLOAT, OpDef, register

__all__ = ["depthwise_conv2d", "separable_conv2d"]

_HWIM = "(height, width, in_channels, channel_multiplier)"


_DW_ATTRS = {k: v for k, v in _CONV_ATTRS.items() if k != "use_cudnn_on_gpu"}


@computes_in_float32  # NumPy's einsum refuses bfloat16
def _depthwise_kernel(xp, x, w, strides, padding, explicit_paddings=(), data_format="NHWC",
                      dilations=_w.ONES):
    s, d, pads = _w.kernel_args("depthwise_conv2d", strides, padding, explicit_paddings,
                                data_format, dilations)
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("depthwise_conv2d: input and filter shapes do not fit")
    return _ck.depthwise_conv2d(xp, x, w, s, d, pads)


@computes_in_float32
def _dw_backprop_input_kernel(xp, w, dy, *runtime, input_sizes=None, strides=None,
                              padding=None, explicit_paddings=(), data_format="NHWC",
                              dilations=_w.ONES):
    input_sizes = sizes_input("depthwise_conv2d_backprop_input",
                              "DepthwiseConv2dNativeBackpropInput", "input_sizes", runtime,
                              input_sizes)
    s, d, pads = _w.kernel_args("depthwise_conv2d_backprop_input", strides, padding,
                                explicit_paddings, data_format, dilations)
    if not _geometry_ok(tuple(input_sizes), w.shape, dy.shape, s, d, pads, depthwise=True):
        raise ValueError("depthwise_conv2d_backprop_input: shapes do not fit")
    return _ck.depthwise_conv2d_backprop_input(xp, dy, w, tuple(input_sizes), s, d, pads)


@computes_in_float32
def _dw_backprop_filter_kernel(xp, x, dy, *runtime, filter_sizes=None, strides=None,
                               padding=None, explicit_paddings=(), data_format="NHWC",
                               dilations=_w.ONES):
    filter_sizes = sizes_input("depthwise_conv2d_backprop_filter",
                               "DepthwiseConv2dNativeBackpropFilter", "filter_sizes", runtime,
                               filter_sizes)
    s, d, pads = _w.kernel_args("depthwise_conv2d_backprop_filter", strides, padding,
                                explicit_paddings, data_format, dilations)
    if not _geometry_ok(x.shape, tuple(filter_sizes), dy.shape, s, d, pads, depthwise=True):
        raise ValueError("depthwise_conv2d_backprop_filter: shapes do not fit")
    return _ck.depthwise_conv2d_backprop_filter(xp, x, dy, tuple(filter_sizes), s, d, pads)


def _depthwise_vjp(ctx, g):
    x, w = ctx.inputs
    attrs = _conv_attrs(ctx)
    dx = dw = None
    if _needs(ctx, 0):
        dx = dispatch_sized(_DW_BACKPROP_INPUT, (w, g), "input_sizes", shape_of_tensor(x, 4),
                            attrs)
    if _needs(ctx, 1):
        dw = dispatch_sized(_DW_BACKPROP_FILTER, (x, g), "filter_sizes", shape_of_tensor(w, 4),
                            attrs)
    return dx, dw


def _dw_backprop_input_vjp(ctx, g):
    w, dy = ctx.inputs[:2]
    attrs = _conv_attrs(ctx)
    gw = gdy = None
    if _needs(ctx, 0):
        gw = dispatch_sized(_DW_BACKPROP_FILTER, (g, dy), "filter_sizes", shape_of_tensor(w, 4),
                            attrs)
    if _needs(ctx, 1):
        gdy = dispatch(_DEPTHWISE, (g, w), attrs)
    return (gw, gdy) + (None,) * (len(ctx.inputs) - 2)  # the sizes: no gradient


def _dw_backprop_filter_vjp(ctx, g):
    x, dy = ctx.inputs[:2]
    attrs = _conv_attrs(ctx)
    gx = gdy = None
    if _needs(ctx, 0):
        gx = dispatch_sized(_DW_BACKPROP_INPUT, (g, dy), "input_sizes", shape_of_tensor(x, 4),
                            attrs)
    if _needs(ctx, 1):
        gdy = dispatch(_DEPTHWISE, (x, g), attrs)
    return (gx, gdy) + (None,) * (len(ctx.inputs) - 2)


_DEPTHWISE = register(OpDef(
    "depthwise_conv2d", "DepthwiseConv2dNative", ("input", "filter"),
    _conv_infer("depthwise_conv2d", _HWIM, True), _depthwise_kernel, vjp=_depthwise_vjp,
    attrs=dict(_DW_ATTRS), dtypes=FLOAT,
    doc="Depthwise 2-D convolution: channel_multiplier filters per input channel."))
_DW_BACKPROP_INPUT = register(OpDef(
    "depthwise_conv2d_backprop_input", "DepthwiseConv2dNativeBackpropInput",
    ("filter", "out_backprop"),
    _backprop_input_infer("depthwise_conv2d_backprop_input", "depthwise_conv2d", _HWIM, True),
    _dw_backprop_input_kernel, vjp=_dw_backprop_input_vjp,
    attrs={"input_sizes": None, **_DW_ATTRS}, dtypes=FLOAT, same_dtype=(0, 1),
    doc="Gradient of DepthwiseConv2dNative with respect to its input."))
_DW_BACKPROP_FILTER = register(OpDef(
    "depthwise_conv2d_backprop_filter", "DepthwiseConv2dNativeBackpropFilter",
    ("input", "out_backprop"),
    _backprop_filter_infer("depthwise_conv2d_backprop_filter", "depthwise_conv2d", True),
    _dw_backprop_filter_kernel, vjp=_dw_backprop_filter_vjp,
    attrs={"filter_sizes": None, **_DW_ATTRS}, dtypes=FLOAT, same_dtype=(0, 1),
    doc="Gradient of DepthwiseConv2dNative with respect to its filter."))


# --- public functions ----------------------------------------------------------------------
def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None,
                     name=None):
    """Depthwise 2-D convolution; raw op `DepthwiseConv2dNative`.

    Each input channel is convolved with its own `channel_multiplier` filters; output
    channel `c * channel_multiplier + m` is input channel `c` through filter `m`.

    Args:
        input: NHWC (or NCHW with `data_format`).
        filter: `(kh, kw, in_channels, channel_multiplier)`.
        strides, padding, data_format, dilations: as in `conv2d`.
        name: ignored in eager mode.

    Returns:
        `(batch, out_height, out_width, in_channels * channel_multiplier)`.

    Example:
        >>> x = engine.ones([1, 4, 4, 3])
        >>> engine.nn.depthwise_conv2d(x, engine.ones([3, 3, 3, 2]), [1, 1, 1, 1], "SAME").shape
        TensorShape([1, 4, 4, 6])
    """
    first = _w.is_channels_first("depthwise_conv2d", data_format, "NHWC", "NCHW")
    attrs = _w.op_attrs("depthwise_conv2d", 2, first, strides, padding, dilations)
    if first:
        return _w.run_nhwc(_DEPTHWISE, input, (filter,), attrs, True)
    return dispatch(_DEPTHWISE, (input, filter), attrs)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,
                     data_format=None, dilations=None, name=None):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution.

    Args:
        input: NHWC (or NCHW).
        depthwise_filter: `(kh, kw, in_channels, channel_multiplier)`.
        pointwise_filter: `(1, 1, in_channels * channel_multiplier, out_channels)`.
        strides, padding, data_format, dilations: of the depthwise step, as in `conv2d`.
        name: ignored in eager mode.

    Returns:
        `(batch, out_height, out_width, out_channels)`.

    Example:
        >>> x = engine.ones([1, 4, 4, 3])
        >>> engine.nn.separable_conv2d(x, engine.ones([3, 3, 3, 2]), engine.ones([1, 1, 6, 5]),
        ...                            [1, 1, 1, 1], "VALID").shape
        TensorShape([1, 2, 2, 5])
    """
    depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format,
                                 dilations)
    return conv2d(depthwise, pointwise_filter, 1, "VALID", data_format or "NHWC")
