"""Convolution ops (`engine.nn.conv2d`, `conv2d_transpose`, …) on `conv_kernels`.

The registered ops mirror TensorFlow's raw ops attribute for attribute: `Conv2D`,
`Conv2DBackpropInput` and `Conv2DBackpropFilter` here, `DepthwiseConv2dNative` and its two
backprops in `depthwise_conv_ops` (which shares this module's shape inference). So
`engine.raw_ops.Conv2D(input=x, filter=w, strides=[1, 1, 1, 1], padding="VALID")` works
as in TF:

- `strides` and `dilations`: 4-tuples in NHWC order, batch and channel entries 1;
- `padding`: `"SAME"`, `"VALID"` or `"EXPLICIT"` with `explicit_paddings`, a flat
  8-tuple `(0, 0, top, bottom, left, right, 0, 0)`;
- `input_sizes` / `filter_sizes`, tensor inputs in TF, are attributes here when tracing
  knows every size (always, eagerly). When a size is known only when the graph runs (a
  gradient traced with `TensorSpec([None, 8, 8, 1])`), the attr keeps the known sizes, None
  elsewhere, and the node takes the sizes as a third input, a 1-D int tensor
  (`engine.shape(x)`), which the kernel reads (see `shape_tensors`).

Data formats: the ops compute in NHWC only (TensorFlow's CPU kernels do the same). The
public functions accept `data_format="NCHW"` / `"NCW"` and transpose to NHWC and back with
`engine.transpose`, so gradients flow through the transposes; a raw op given NCHW raises
`UnimplementedError`.

Gradients are the linear-algebra identities, written with the ops themselves, so every
order of derivative is available: the gradient of `Conv2DBackpropInput` is a `Conv2D` and
a `Conv2DBackpropFilter`, and so on. A vjp skips the input gradients the tape says it
does not need (`ctx.needs_input_grad`, when the tape provides it), such as the gradient
of a first layer's input images.

The pooling ops live in `pool_ops.py` and are re-exported here, so that `engine.nn`
(which imports this module) has them too; `window_attrs.py` holds what both share.
"""
from __future__ import annotations

import numpy as np

from engine.dispatch import dispatch
from engine.errors import ShapeError, TracingError, UnimplementedError
from engine.ops import array_ops as _a
from engine.ops import conv_kernels as _ck
from engine.ops import infer as _inf
from engine.ops import static_args as _sa
from engine.ops import window_attrs as _w
from engine.ops.eager_jit import PROVIDERS
from engine.ops.shape_tensors import run_time_ints, shape_argument, shape_of_tensor
from engine.ops.widening import BFLOAT16, run_in_float32
from engine.registry import FLOAT, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = [
    "conv1d", "conv2d", "conv2d_transpose", "conv1d_transpose", "convolution",
]


def _channels_match(op: str, got, expected, x: TensorSpec, w_shape, w_what: str) -> None:
    if got is not None and expected is not None and got != expected:
        raise ShapeError(
            f"{op}: the input has {got} channels (shape {x.shape}) but the {w_what} of shape "
            f"{w_shape} expects {expected} input channels (the filter's third axis); "
            "expected them to match. Check the filter's in_channels or the previous layer.")


# --- Conv2D and its gradients ---------------------------------------------------------------
_CONV_ATTRS = {"strides": None, "use_cudnn_on_gpu": True, "padding": None,
               "explicit_paddings": (), "data_format": "NHWC", "dilations": _w.ONES}


def _conv_infer(op: str, filter_layout: str, depthwise: bool):
    """`infer` of a forward convolution (Conv2D or DepthwiseConv2dNative)."""

    def infer(x, w, **attrs):
        dtype = _inf.same_dtype(op, x, w)
        _inf.check_dtype(op, x, FLOAT)
        strides, dilations, pads = _w.attrs_args(op, attrs)
        n, h, wd, c = _w.rank4(op, x, "input", _w.NHWC_LAYOUT)
        kh, kw, wc, wo = _w.rank4(op, w, "filter", filter_layout)
        _channels_match(op, c, wc, x, w.shape, "filter")
        oh, ow = _w.spatial_out(op, (h, wd), (kh, kw), strides, dilations, pads)
        if depthwise:
            in_c = c if c is not None else wc
            wo = None if in_c is None or wo is None else in_c * wo
        return TensorSpec([n, oh, ow, wo], dtype)

    return infer


def _conv2d_kernel(xp, x, w, strides, padding, explicit_paddings=(), data_format="NHWC",
                   dilations=_w.ONES, use_cudnn_on_gpu=True):
    s, d, pads = _w.kernel_args("conv2d", strides, padding, explicit_paddings, data_format,
                                dilations)
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[2]:
        raise ValueError("conv2d: input and filter shapes do not fit")  # infer explains
    if x.dtype is BFLOAT16:  # ml_dtypes' matmul would return float32 from a slow loop
        return run_in_float32(_ck.conv2d, xp, x, w, strides=s, dilations=d, padding=pads)
    return _ck.conv2d(xp, x, w, s, d, pads)


def _needs(ctx, index: int) -> bool:
    """Whether the tape wants the gradient of input `index` (True if it does not say)."""
    needs = ctx.needs_input_grad
    return True if needs is None else bool(needs[index])


def _conv_attrs(ctx) -> dict:
    return {k: ctx.attrs[k] for k in ("strides", "padding", "explicit_paddings", "data_format",
                                      "dilations") if k in ctx.attrs}


class ConvGradients:
    """The backprop calls and the vjps of one convolution family (2-D or 3-D).

    `ops` maps "conv", "input" and "filter" to the forward op and its two backprop ops,
    filled in once they are registered. The forward's gradient is the two backprops; each
    backprop is bilinear, so its gradients are the other backprop and the forward
    convolution of the incoming gradient.

    Args:
        rank: the inputs' rank (4 for 2-D convolution, 5 for 3-D).
        ops: the op table described above.
        attrs_of: `ctx -> attrs` that the backprop ops take from the forward's.
    """

    def __init__(self, rank: int, ops: dict, attrs_of):
        self.rank, self.ops, self.attrs_of = rank, ops, attrs_of

    def backprop_input(self, input_sizes: tuple, w, dy, attrs: dict):
        return dispatch_sized(self.ops["input"], (w, dy), "input_sizes", input_sizes, attrs)

    def backprop_filter(self, x, filter_sizes: tuple, dy, attrs: dict):
        return dispatch_sized(self.ops["filter"], (x, dy), "filter_sizes", filter_sizes, attrs)

    def conv_vjp(self, ctx, g):
        x, w = ctx.inputs
        attrs, rank = self.attrs_of(ctx), self.rank
        dx = self.backprop_input(shape_of_tensor(x, rank), w, g, attrs) if _needs(ctx, 0) \
            else None
        dw = self.backprop_filter(x, shape_of_tensor(w, rank), g, attrs) if _needs(ctx, 1) \
            else None
        return dx, dw

    def input_vjp(self, ctx, g):
        # dx = B_in(w, dy): d/dw is a filter backprop with g as the input, d/d(dy) the
        # forward convolution of g
        w, dy = ctx.inputs[:2]
        attrs = self.attrs_of(ctx)
        gw = self.backprop_filter(g, shape_of_tensor(w, self.rank), dy, attrs) \
            if _needs(ctx, 0) else None
        gdy = dispatch(self.ops["conv"], (g, w), attrs) if _needs(ctx, 1) else None
        return (gw, gdy) + (None,) * (len(ctx.inputs) - 2)  # the sizes: no gradient

    def filter_vjp(self, ctx, g):
        x, dy = ctx.inputs[:2]
        attrs = self.attrs_of(ctx)
        gx = self.backprop_input(shape_of_tensor(x, self.rank), g, dy, attrs) \
            if _needs(ctx, 0) else None
        gdy = dispatch(self.ops["conv"], (x, g), attrs) if _needs(ctx, 1) else None
        return (gx, gdy) + (None,) * (len(ctx.inputs) - 2)


_GRADS = ConvGradients(4, {}, _conv_attrs)
_conv2d_vjp = _GRADS.conv_vjp


_CONV2D = register(OpDef(
    "conv2d", "Conv2D", ("input", "filter"), _conv_infer("conv2d", _w.HWIO_LAYOUT, False),
    _conv2d_kernel, vjp=_conv2d_vjp, attrs=dict(_CONV_ATTRS), dtypes=FLOAT,
    doc="2-D convolution (cross-correlation) of an NHWC input with an HWIO filter."))


def _check_dy(op: str, dy: TensorSpec, expected: list, forward: str) -> None:
    got = _w.rank4(op, dy, "out_backprop", _w.NHWC_LAYOUT)
    for axis, (a, b) in enumerate(zip(got, expected)):
        if a is not None and b is not None and a != b:
            raise ShapeError(
                f"{op}: got out_backprop of shape {dy.shape}; expected {tuple(expected)}, the "
                f"output shape of the forward {forward} (dimension {axis}: {a} != {b}). For "
                "conv2d_transpose, check output_shape, strides and padding: output_shape is "
                "the shape of the forward convolution's input.")


def _backprop_input_infer(op: str, forward: str, filter_layout: str, depthwise: bool):
    def infer(w, dy, *runtime, input_sizes=None, **attrs):
        dtype = _inf.same_dtype(op, w, dy)
        _inf.check_dtype(op, w, FLOAT)
        strides, dilations, pads = _w.attrs_args(op, attrs)
        n, h, wd, c = _w.sizes_attr(op, input_sizes, "input_sizes", *runtime[:1])
        kh, kw, wc, wo = _w.rank4(op, w, "filter", filter_layout)
        if wc is not None and c is not None and wc != c:
            raise ShapeError(f"{op}: input_sizes {[n, h, wd, c]} has {c} channels but the "
                             f"filter of shape {w.shape} expects {wc} (its third axis); "
                             "expected them to match.")
        oh, ow = _w.spatial_out(op, (h, wd), (kh, kw), strides, dilations, pads)
        out_c = wo if not depthwise else (None if wo is None or c is None else c * wo)
        _check_dy(op, dy, [n, oh, ow, out_c], forward)
        return TensorSpec([n, h, wd, c], dtype)

    return infer


def _backprop_filter_infer(op: str, forward: str, depthwise: bool):
    def infer(x, dy, *runtime, filter_sizes=None, **attrs):
        dtype = _inf.same_dtype(op, x, dy)
        _inf.check_dtype(op, x, FLOAT)
        strides, dilations, pads = _w.attrs_args(op, attrs)
        kh, kw, wc, wo = _w.sizes_attr(op, filter_sizes, "filter_sizes", *runtime[:1])
        n, h, wd, c = _w.rank4(op, x, "input", _w.NHWC_LAYOUT)
        if c is not None and wc is not None and c != wc:
            raise ShapeError(f"{op}: the input of shape {x.shape} has {c} channels but "
                             f"filter_sizes {[kh, kw, wc, wo]} expects {wc}; expected them "
                             "to match.")
        oh, ow = _w.spatial_out(op, (h, wd), (kh, kw), strides, dilations, pads)
        out_c = wc * wo if depthwise and None not in (wc, wo) else (None if depthwise else wo)
        _check_dy(op, dy, [n, oh, ow, out_c], forward)
        return TensorSpec([kh, kw, wc, wo], dtype)

    return infer


def _geometry_ok(x_shape, w_shape, dy_shape, s, d, pads, depthwise=False) -> bool:
    """Whether `dy_shape` is the output of a convolution of `x_shape` by `w_shape`."""
    if len(x_shape) != 4 or len(w_shape) != 4 or len(dy_shape) != 4 or x_shape[3] != w_shape[2]:
        return False
    k_hw = tuple(w_shape[:2])
    pads_hw = _ck.resolve_padding(tuple(x_shape[1:3]), k_hw, s, d, pads)
    out = tuple(_ck.conv_output_size(x_shape[1 + a], k_hw[a], s[a], d[a], pads_hw[a])
                for a in range(2))
    out_c = x_shape[3] * w_shape[3] if depthwise else w_shape[3]
    return tuple(dy_shape) == (x_shape[0],) + out + (out_c,)


def sizes_input(op: str, tf_name: str, what: str, runtime: tuple, known):
    """A backprop kernel's sizes: the attr, or the run-time input checked against it."""
    if not runtime:
        return known
    return run_time_ints(op, tf_name, what, runtime[0], known)


def _backprop_input_kernel(xp, w, dy, *runtime, input_sizes=None, strides=None, padding=None,
                           explicit_paddings=(), data_format="NHWC", dilations=_w.ONES,
                           use_cudnn_on_gpu=True, tap_add=None):
    # tap_add: a compiled strided add for the fold (engine.graph.conv_jit); NumPy's otherwise
    input_sizes = sizes_input("conv2d_backprop_input", "Conv2DBackpropInput", "input_sizes",
                              runtime, input_sizes)
    s, d, pads = _w.kernel_args("conv2d_backprop_input", strides, padding, explicit_paddings,
                                data_format, dilations)
    if not _geometry_ok(tuple(input_sizes), w.shape, dy.shape, s, d, pads):
        raise ValueError("conv2d_backprop_input: shapes do not fit")  # infer explains
    if w.dtype is BFLOAT16:
        return run_in_float32(_ck.conv2d_backprop_input, xp, dy, w,
                              input_shape=tuple(input_sizes), strides=s, dilations=d,
                              padding=pads)
    provider = PROVIDERS.get("tap_add")  # a compiled strided add (engine.ops.eager_jit)
    if (tap_add is None and provider is not None and type(dy) is np.ndarray
            and type(w) is np.ndarray and dy.dtype == w.dtype):
        tap_add = provider(dy.dtype)
    return _ck.conv2d_backprop_input(xp, dy, w, tuple(input_sizes), s, d, pads, tap_add)


def _backprop_filter_kernel(xp, x, dy, *runtime, filter_sizes=None, strides=None,
                            padding=None, explicit_paddings=(), data_format="NHWC",
                            dilations=_w.ONES, use_cudnn_on_gpu=True):
    filter_sizes = sizes_input("conv2d_backprop_filter", "Conv2DBackpropFilter",
                               "filter_sizes", runtime, filter_sizes)
    s, d, pads = _w.kernel_args("conv2d_backprop_filter", strides, padding, explicit_paddings,
                                data_format, dilations)
    if not _geometry_ok(x.shape, tuple(filter_sizes), dy.shape, s, d, pads):
        raise ValueError("conv2d_backprop_filter: shapes do not fit")  # infer explains
    if x.dtype is BFLOAT16:
        return run_in_float32(_ck.conv2d_backprop_filter, xp, x, dy,
                              filter_shape=tuple(filter_sizes), strides=s, dilations=d,
                              padding=pads)
    return _ck.conv2d_backprop_filter(xp, x, dy, tuple(filter_sizes), s, d, pads)


_backprop_input_vjp, _backprop_filter_vjp = _GRADS.input_vjp, _GRADS.filter_vjp


_CONV2D_BACKPROP_INPUT = register(OpDef(
    "conv2d_backprop_input", "Conv2DBackpropInput", ("filter", "out_backprop"),
    _backprop_input_infer("conv2d_backprop_input", "conv2d", _w.HWIO_LAYOUT, False),
    _backprop_input_kernel, vjp=_backprop_input_vjp,
    attrs={"input_sizes": None, **_CONV_ATTRS}, dtypes=FLOAT, same_dtype=(0, 1),
    doc="Gradient of Conv2D with respect to its input; also the transposed convolution."))
_CONV2D_BACKPROP_FILTER = register(OpDef(
    "conv2d_backprop_filter", "Conv2DBackpropFilter", ("input", "out_backprop"),
    _backprop_filter_infer("conv2d_backprop_filter", "conv2d", False),
    _backprop_filter_kernel, vjp=_backprop_filter_vjp,
    attrs={"filter_sizes": None, **_CONV_ATTRS}, dtypes=FLOAT, same_dtype=(0, 1),
    doc="Gradient of Conv2D with respect to its filter."))


def dispatch_sized(op_def, inputs: tuple, what: str, sizes: tuple, attrs: dict):
    """Runs a backprop op given its sizes as `(known, runtime)` (see `shape_of_tensor`): the
    run-time shape tensor, when there is one, becomes the node's last input."""
    known, runtime = sizes
    if runtime is not None:
        inputs = inputs + (runtime,)
    return dispatch(op_def, inputs, {what: known, **attrs})


_GRADS.ops.update(conv=_CONV2D, input=_CONV2D_BACKPROP_INPUT, filter=_CONV2D_BACKPROP_FILTER)
_conv2d_backprop_input, _conv2d_backprop_filter = _GRADS.backprop_input, _GRADS.backprop_filter


# --- public functions: convolution -------------------------------------------------------------
def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """2-D convolution (cross-correlation, as in TensorFlow); raw op `Conv2D`.

    Args:
        input: `(batch, height, width, in_channels)` (NHWC), or NCHW with `data_format`.
        filters: `(kh, kw, in_channels, out_channels)` (HWIO), same dtype as `input`.
        strides: an int, or a list of 1, 2 or 4 ints (4: in `data_format` order, with 1
            for batch and channels).
        padding: `'SAME'` (output size `ceil(in / stride)`), `'VALID'`, or explicit
            `[[0, 0], [top, bottom], [left, right], [0, 0]]` in `data_format` order.
        data_format: `'NHWC'` (default) or `'NCHW'` (computed by transposing to NHWC).
        dilations: an int or a list of 1, 2 or 4 ints; the spacing of the filter taps.
        name: ignored in eager mode.

    Returns:
        `(batch, out_height, out_width, out_channels)` (or NCHW).

    Raises:
        ShapeError: for non-4-D inputs, channel counts that differ, bad strides/padding,
            or a filter larger than the padded input.

    Example:
        >>> x = engine.ones([1, 5, 5, 1])
        >>> engine.nn.conv2d(x, engine.ones([3, 3, 1, 2]), strides=1, padding="VALID").shape
        TensorShape([1, 3, 3, 2])
    """
    first = _w.is_channels_first("conv2d", data_format, "NHWC", "NCHW")
    attrs = _w.op_attrs("conv2d", 2, first, strides, padding, dilations)
    if first:
        return _w.run_nhwc(_CONV2D, input, (filters,), attrs, True)
    return dispatch(_CONV2D, (input, filters), attrs)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """1-D convolution: `conv2d` at height 1.

    Args:
        input: `(batch, width, in_channels)` (NWC), or NCW with `data_format`.
        filters: `(k, in_channels, out_channels)`.
        stride: an int or a list of 1 or 3 ints.
        padding: `'SAME'`, `'VALID'` or `[[0, 0], [left, right], [0, 0]]`.
        data_format: `'NWC'` (default) or `'NCW'`.
        dilations: an int or a list of 1 or 3 ints.
        name: ignored in eager mode.

    Returns:
        `(batch, out_width, out_channels)` (or NCW).

    Raises:
        ShapeError: for inputs that are not 3-D or channel counts that differ.

    Example:
        >>> x = engine.ones([2, 10, 3])
        >>> engine.nn.conv1d(x, engine.ones([3, 3, 4]), stride=2, padding="SAME").shape
        TensorShape([2, 5, 4])
    """
    first = _w.is_channels_first("conv1d", data_format, "NWC", "NCW")
    _w.check_rank("conv1d", "input", input, 3, "(batch, width, channels)")
    w_shape = _w.check_rank("conv1d", "filters", filters, 3, "(width, in_channels, out_channels)")
    x_shape = _w.shape_of(input)
    c = None if x_shape is None else x_shape[1 if first else 2]
    if w_shape is not None and c is not None and c != w_shape[1]:
        raise ShapeError(f"conv1d: the input has {c} channels (shape {tuple(x_shape)}) but the "
                         f"filters of shape {tuple(w_shape)} expect {w_shape[1]} input "
                         "channels; expected them to match.")
    attrs = _w.op_attrs("conv1d", 1, first, stride, padding, dilations)
    return _w.run_nhwc(_CONV2D, input, (_a.expand_dims(filters, 0),), attrs, first, squeeze_h=True)


def _output_shape(op: str, output_shape, rank: int, first: bool, one_d: bool = False) -> tuple:
    """`output_shape` as the NHWC `input_sizes` of `Conv2DBackpropInput`: `(known, runtime)`,
    `runtime` a 1-D int tensor when some size is known only when the graph runs."""
    try:
        shape, runtime = tuple(_sa.static_shape(output_shape, f"{op} output_shape")), None
    except TracingError:  # a symbolic size: its value exists only when the graph runs
        shape, runtime = shape_argument(f"{op} output_shape", output_shape)
    if shape is None or len(shape) != rank:
        raise ShapeError(f"{op}: got output_shape {output_shape!r}; expected {rank} dimensions "
                         "(the shape of the forward convolution's input).")
    order = _w.TO_LAST[rank] if first else tuple(range(rank))
    if runtime is None:
        shape = tuple(shape[i] for i in order)
        return (shape[:1] + (1,) + shape[1:] if one_d else shape), None
    items = [shape[i] if shape[i] is not None else runtime[i] for i in order]
    if one_d:
        items.insert(1, 1)
    return shape_argument(f"{op} output_shape", items)


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",
                     dilations=None, name=None):
    """Transposed 2-D convolution (the gradient of `conv2d`); raw op `Conv2DBackpropInput`.

    Args:
        input: `(batch, height, width, in_channels)` (NHWC), or NCHW.
        filters: `(kh, kw, out_channels, in_channels)`: note the order, it is the filter of
            the forward `conv2d` that this op transposes.
        output_shape: the 4-D output shape (the forward convolution's input shape).
        strides, padding, data_format, dilations: as in `conv2d`.
        name: ignored in eager mode.

    Returns:
        A tensor of `output_shape`.

    Raises:
        ShapeError: when `output_shape`, `strides` and `padding` do not give `input`'s
            shape under the forward convolution.

    Example:
        >>> y = engine.nn.conv2d_transpose(engine.ones([1, 3, 3, 2]), engine.ones([3, 3, 1, 2]),
        ...                                [1, 6, 6, 1], strides=2, padding="SAME")
        >>> y.shape
        TensorShape([1, 6, 6, 1])
    """
    first = _w.is_channels_first("conv2d_transpose", data_format, "NHWC", "NCHW")
    attrs = _w.op_attrs("conv2d_transpose", 2, first, strides, padding, dilations)
    sizes = _output_shape("conv2d_transpose", output_shape, 4, first)
    if first:
        y = dispatch_sized(_CONV2D_BACKPROP_INPUT, (filters, _a.transpose(input, _w.TO_LAST[4])),
                           "input_sizes", sizes, attrs)
        return _a.transpose(y, _w.TO_FIRST[4])
    return dispatch_sized(_CONV2D_BACKPROP_INPUT, (filters, input), "input_sizes", sizes, attrs)


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",
                     dilations=None, name=None):
    """Transposed 1-D convolution (the gradient of `conv1d`).

    Args:
        input: `(batch, width, in_channels)`, or NCW.
        filters: `(k, out_channels, in_channels)`.
        output_shape: the 3-D output shape.
        strides, padding, data_format, dilations: as in `conv1d`.
        name: ignored in eager mode.

    Returns:
        A tensor of `output_shape`.

    Example:
        >>> engine.nn.conv1d_transpose(engine.ones([1, 4, 2]), engine.ones([3, 1, 2]),
        ...                            [1, 8, 1], strides=2).shape
        TensorShape([1, 8, 1])
    """
    first = _w.is_channels_first("conv1d_transpose", data_format, "NWC", "NCW")
    attrs = _w.op_attrs("conv1d_transpose", 1, first, strides, padding, dilations)
    sizes = _output_shape("conv1d_transpose", output_shape, 3, first, one_d=True)
    x = _a.transpose(input, _w.TO_LAST[3]) if first else input
    y = dispatch_sized(_CONV2D_BACKPROP_INPUT, (_a.expand_dims(filters, 0), _a.expand_dims(x, 1)),
                       "input_sizes", sizes, attrs)
    y = _a.squeeze(y, 1)
    return _a.transpose(y, _w.TO_FIRST[3]) if first else y


def convolution(input, filters, strides=None, padding="VALID", data_format=None, dilations=None,
                name=None):
    """N-D convolution by the input's rank: `conv1d`, `conv2d` or `conv3d` (input rank 3-5).

    Args:
        input, filters, strides, padding, data_format, dilations: as in `conv1d` / `conv2d`
            / `conv3d`.
        name: ignored in eager mode.

    Returns:
        The convolution's result.

    Raises:
        UnimplementedError: for inputs of another rank than 3, 4 or 5.

    Example:
        >>> engine.nn.convolution(engine.ones([1, 4, 4, 1]), engine.ones([2, 2, 1, 1])).shape
        TensorShape([1, 3, 3, 1])
    """
    shape = _w.shape_of(input)
    rank = None if shape is None else len(shape)
    strides = 1 if strides is None else strides
    if rank == 3:
        return conv1d(input, filters, strides, padding, data_format or "NWC", dilations)
    if rank == 4:
        return conv2d(input, filters, strides, padding, data_format or "NHWC", dilations)
    if rank == 5:
        from engine.ops.conv3d_ops import conv3d  # noqa: PLC0415 - conv3d_ops imports us

        return conv3d(input, filters, strides, padding, data_format or "NDHWC", dilations)
    raise UnimplementedError(f"convolution: got an input of rank {rank}; only 1-D (rank 3), "
                             "2-D (rank 4) and 3-D (rank 5) convolutions are implemented.",
                             op="convolution")


from engine.ops.pool_ops import *  # noqa: E402,F403 - pools are part of engine.nn too
from engine.ops.pool_ops import __all__ as _pool_all  # noqa: E402

__all__ += _pool_all
