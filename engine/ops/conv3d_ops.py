"""3-D convolution ops (`engine.nn.conv3d`, `conv3d_transpose`) on `conv3d_kernels`.

The registered ops mirror TensorFlow's raw ops: `Conv3D`, `Conv3DBackpropInputV2` and
`Conv3DBackpropFilterV2`, with `strides` and `dilations` as NDHWC 5-tuples (batch and
channel entries 1) and `padding` `'SAME'` or `'VALID'`. As for the 2-D ops
(`conv_ops`), the sizes that TF passes as tensors (`input_sizes`, `filter_sizes`) are
attributes when tracing knows them, and otherwise an extra 1-D int input read at run
time. The ops compute in NDHWC; `conv3d` and `conv3d_transpose` accept
`data_format="NCDHW"` by transposing.

Gradients are the linear-algebra identities written with the ops themselves, so every
order of derivative exists: the gradient of `Conv3DBackpropInputV2` is a `Conv3D` and a
`Conv3DBackpropFilterV2`, and so on.
"""

from __future__ import annotations

from engine.dispatch import dispatch
from engine.errors import ShapeError, TracingError
from engine.ops import array_ops as _a
from engine.ops import conv3d_kernels as _k3
from engine.ops import infer as _inf
from engine.ops import static_args as _sa
from engine.ops import window3d_attrs as _w3
from engine.ops import window_attrs as _w
from engine.ops.conv_ops import ConvGradients, _channels_match, dispatch_sized, sizes_input
from engine.ops.shape_tensors import shape_argument
from engine.ops.widening import computes_in_float32
from engine.registry import FLOAT, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["conv3d", "conv3d_transpose"]

_ATTRS = {"strides": None, "padding": None, "data_format": "NDHWC", "dilations": _w3.ONES}


def _attrs_of(ctx) -> dict:
    return {k: ctx.attrs[k] for k in ("strides", "padding", "data_format", "dilations")
            if k in ctx.attrs}


def _fits(x_shape, w_shape, dy_shape, s, d, padding) -> bool:
    """Whether `dy_shape` is the output of a 3-D convolution of `x_shape` by `w_shape`."""
    if len(x_shape) != 5 or len(w_shape) != 5 or len(dy_shape) != 5 or x_shape[4] != w_shape[3]:
        return False
    _, out = _k3.geometry(tuple(x_shape[1:4]), tuple(w_shape[:3]), s, d, padding)
    return tuple(dy_shape) == (x_shape[0], *out, w_shape[4])


# --- Conv3D -----------------------------------------------------------------------------------
def _conv3d_infer(x, w, **attrs):
    op = "conv3d"
    dtype = _inf.same_dtype(op, x, w)
    _inf.check_dtype(op, x, FLOAT)
    s, d, padding = _w3.attrs_args(op, attrs)
    n, *in_dhw, c = _w3.rank5(op, x, "input", _w3.NDHWC_LAYOUT)
    *k_dhw, wc, wo = _w3.rank5(op, w, "filter", _w3.DHWIO_LAYOUT)
    _channels_match(op, c, wc, x, w.shape, "filter")
    return TensorSpec([n, *_w3.spatial_out(op, in_dhw, k_dhw, s, d, padding), wo], dtype)


@computes_in_float32
def _conv3d_kernel(xp, x, w, strides, padding, data_format="NDHWC", dilations=_w3.ONES):
    s, d, padding = _w3.kernel_args("conv3d", strides, padding, data_format, dilations)
    if x.ndim != 5 or w.ndim != 5 or x.shape[4] != w.shape[3]:
        raise ValueError("conv3d: input and filter shapes do not fit")  # infer explains
    return _k3.conv3d(xp, x, w, s, d, padding)


_GRADS = ConvGradients(5, {}, _attrs_of)  # the ops are filled in below, once registered
_conv3d_vjp = _GRADS.conv_vjp


_CONV3D = register(OpDef(
    "conv3d", "Conv3D", ("input", "filter"), _conv3d_infer, _conv3d_kernel, vjp=_conv3d_vjp,
    attrs=dict(_ATTRS), dtypes=FLOAT,
    doc="3-D convolution (cross-correlation) of an NDHWC input with a DHWIO filter."))


# --- its gradients ----------------------------------------------------------------------------
def _check_dy(op: str, dy: TensorSpec, expected: list) -> None:
    got = _w3.rank5(op, dy, "out_backprop", _w3.NDHWC_LAYOUT)
    for axis, (a, b) in enumerate(zip(got, expected)):
        if a is not None and b is not None and a != b:
            raise ShapeError(
                f"{op}: got out_backprop of shape {dy.shape}; expected {tuple(expected)}, the "
                f"output shape of the forward conv3d (dimension {axis}: {a} != {b}). For "
                "conv3d_transpose, check output_shape, strides and padding: output_shape is "
                "the shape of the forward convolution's input.")


def _backprop_input_infer(w, dy, *runtime, input_sizes=None, **attrs):
    op = "conv3d_backprop_input"
    dtype = _inf.same_dtype(op, w, dy)
    _inf.check_dtype(op, w, FLOAT)
    s, d, padding = _w3.attrs_args(op, attrs)
    n, *in_dhw, c = _w3.sizes_attr(op, input_sizes, "input_sizes", *runtime[:1])
    *k_dhw, wc, wo = _w3.rank5(op, w, "filter", _w3.DHWIO_LAYOUT)
    if wc is not None and c is not None and wc != c:
        raise ShapeError(f"{op}: input_sizes {[n, *in_dhw, c]} has {c} channels but the "
                         f"filter of shape {w.shape} expects {wc} (its fourth axis); expected "
                         "them to match.")
    _check_dy(op, dy, [n, *_w3.spatial_out(op, in_dhw, k_dhw, s, d, padding), wo])
    return TensorSpec([n, *in_dhw, c], dtype)


def _backprop_filter_infer(x, dy, *runtime, filter_sizes=None, **attrs):
    op = "conv3d_backprop_filter"
    dtype = _inf.same_dtype(op, x, dy)
    _inf.check_dtype(op, x, FLOAT)
    s, d, padding = _w3.attrs_args(op, attrs)
    *k_dhw, wc, wo = _w3.sizes_attr(op, filter_sizes, "filter_sizes", *runtime[:1])
    n, *in_dhw, c = _w3.rank5(op, x, "input", _w3.NDHWC_LAYOUT)
    if c is not None and wc is not None and c != wc:
        raise ShapeError(f"{op}: the input of shape {x.shape} has {c} channels but "
                         f"filter_sizes {[*k_dhw, wc, wo]} expects {wc}; expected them to "
                         "match.")
    _check_dy(op, dy, [n, *_w3.spatial_out(op, in_dhw, k_dhw, s, d, padding), wo])
    return TensorSpec([*k_dhw, wc, wo], dtype)


@computes_in_float32
def _backprop_input_kernel(xp, w, dy, *runtime, input_sizes=None, strides=None, padding=None,
                           data_format="NDHWC", dilations=_w3.ONES):
    op = "conv3d_backprop_input"
    sizes = tuple(sizes_input(op, "Conv3DBackpropInputV2", "input_sizes", runtime, input_sizes))
    s, d, padding = _w3.kernel_args(op, strides, padding, data_format, dilations)
    if not _fits(sizes, w.shape, dy.shape, s, d, padding):
        raise ValueError(f"{op}: shapes do not fit")  # infer explains
    return _k3.conv3d_backprop_input(xp, dy, w, sizes, s, d, padding)


@computes_in_float32
def _backprop_filter_kernel(xp, x, dy, *runtime, filter_sizes=None, strides=None,
                            padding=None, data_format="NDHWC", dilations=_w3.ONES):
    op = "conv3d_backprop_filter"
    sizes = tuple(sizes_input(op, "Conv3DBackpropFilterV2", "filter_sizes", runtime,
                              filter_sizes))
    s, d, padding = _w3.kernel_args(op, strides, padding, data_format, dilations)
    if not _fits(x.shape, sizes, dy.shape, s, d, padding):
        raise ValueError(f"{op}: shapes do not fit")  # infer explains
    return _k3.conv3d_backprop_filter(xp, x, dy, sizes, s, d, padding)


_backprop_input_vjp, _backprop_filter_vjp = _GRADS.input_vjp, _GRADS.filter_vjp


_BACKPROP_INPUT = register(OpDef(
    "conv3d_backprop_input", "Conv3DBackpropInputV2", ("filter", "out_backprop"),
    _backprop_input_infer, _backprop_input_kernel, vjp=_backprop_input_vjp,
    attrs={"input_sizes": None, **_ATTRS}, dtypes=FLOAT, same_dtype=(0, 1),
    doc="Gradient of Conv3D with respect to its input; also the transposed 3-D convolution."))
_BACKPROP_FILTER = register(OpDef(
    "conv3d_backprop_filter", "Conv3DBackpropFilterV2", ("input", "out_backprop"),
    _backprop_filter_infer, _backprop_filter_kernel, vjp=_backprop_filter_vjp,
    attrs={"filter_sizes": None, **_ATTRS}, dtypes=FLOAT, same_dtype=(0, 1),
    doc="Gradient of Conv3D with respect to its filter."))


_GRADS.ops.update(conv=_CONV3D, input=_BACKPROP_INPUT, filter=_BACKPROP_FILTER)
_backprop_input, _backprop_filter = _GRADS.backprop_input, _GRADS.backprop_filter


# --- public functions -------------------------------------------------------------------------
def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):
    """3-D convolution (cross-correlation, as in TensorFlow); raw op `Conv3D`.

    Args:
        input: `(batch, depth, height, width, in_channels)` (NDHWC), or NCDHW with
            `data_format`.
        filters: `(kd, kh, kw, in_channels, out_channels)` (DHWIO), same dtype as `input`.
        strides: an int, or a list of 1, 3 or 5 ints (5: in `data_format` order, with 1
            for batch and channels).
        padding: `'SAME'` (output size `ceil(in / stride)`) or `'VALID'`.
        data_format: `'NDHWC'` (default) or `'NCDHW'` (computed by transposing to NDHWC).
        dilations: an int or a list of 1, 3 or 5 ints; the spacing of the filter taps.
        name: ignored in eager mode.

    Returns:
        `(batch, out_depth, out_height, out_width, out_channels)` (or NCDHW).

    Raises:
        ShapeError: for non-5-D inputs, channel counts that differ, bad strides or padding,
            or a filter larger than the padded input.

    Example:
        >>> x = engine.ones([1, 4, 5, 6, 2])
        >>> engine.nn.conv3d(x, engine.ones([3, 3, 3, 2, 4]), strides=1, padding="VALID").shape
        TensorShape([1, 2, 3, 4, 4])
    """
    first = _w.is_channels_first("conv3d", data_format, "NDHWC", "NCDHW")
    attrs = _w3.op_attrs("conv3d", first, strides, padding, dilations)
    if first:
        _w3.check_input_rank("conv3d", input)
        return _w3.run_ndhwc(_CONV3D, input, (filters,), attrs, True)
    return dispatch(_CONV3D, (input, filters), attrs)


def _output_sizes(op: str, output_shape, first: bool) -> tuple:
    """`output_shape` as the NDHWC `input_sizes` of `Conv3DBackpropInputV2`: `(known,
    runtime)`, `runtime` a 1-D int tensor when some size is known only when the graph runs."""
    try:
        shape, runtime = tuple(_sa.static_shape(output_shape, f"{op} output_shape")), None
    except TracingError:  # a symbolic size: its value exists only when the graph runs
        shape, runtime = shape_argument(f"{op} output_shape", output_shape)
    if shape is None or len(shape) != 5:
        raise ShapeError(f"{op}: got output_shape {output_shape!r}; expected 5 dimensions "
                         "(the shape of the forward convolution's input).")
    order = _w3.TO_LAST if first else range(5)
    if runtime is None:
        return tuple(shape[i] for i in order), None
    items = [shape[i] if shape[i] is not None else runtime[i] for i in order]
    return shape_argument(f"{op} output_shape", items)


def conv3d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NDHWC",
                     dilations=None, name=None):
    """Transposed 3-D convolution (the gradient of `conv3d`); raw op `Conv3DBackpropInputV2`.

    Args:
        input: `(batch, depth, height, width, in_channels)` (NDHWC), or NCDHW.
        filters: `(kd, kh, kw, out_channels, in_channels)`: the filter of the forward
            `conv3d` that this op transposes.
        output_shape: the 5-D output shape (the forward convolution's input shape); a list
            or a 1-D int tensor.
        strides, padding, data_format, dilations: as in `conv3d`.
        name: ignored in eager mode.

    Returns:
        A tensor of `output_shape`.

    Raises:
        ShapeError: when `output_shape`, `strides` and `padding` do not give `input`'s
            shape under the forward convolution.

    Example:
        >>> y = engine.nn.conv3d_transpose(engine.ones([1, 2, 3, 3, 4]),
        ...                                engine.ones([3, 3, 3, 1, 4]), [1, 4, 6, 6, 1],
        ...                                strides=2, padding="SAME")
        >>> y.shape
        TensorShape([1, 4, 6, 6, 1])
    """
    op = "conv3d_transpose"
    first = _w.is_channels_first(op, data_format, "NDHWC", "NCDHW")
    attrs = _w3.op_attrs(op, first, strides, padding, dilations)
    sizes = _output_sizes(op, output_shape, first)
    if not first:
        return dispatch_sized(_BACKPROP_INPUT, (filters, input), "input_sizes", sizes, attrs)
    _w3.check_input_rank(op, input)
    y = dispatch_sized(_BACKPROP_INPUT, (filters, _a.transpose(input, _w3.TO_LAST)),
                       "input_sizes", sizes, attrs)
    return _a.transpose(y, _w3.TO_FIRST)
