"""Pooling ops (`engine.nn.max_pool2d`, `avg_pool2d`, 1-D and generic forms) on `pool_kernels`.

Registered ops mirror TensorFlow's: `MaxPool`, `MaxPoolGrad`, `MaxPoolGradGrad`, `AvgPool`
and `AvgPoolGrad`, with TF's attributes (`ksize` and `strides` as NHWC 4-tuples, `padding`
with `explicit_paddings`). `AvgPoolGrad`'s `orig_input_shape`, a tensor input in TF, is an
attribute when tracing knows every size; otherwise the attr keeps the known sizes and the
node takes `engine.shape(x)` as a second input, read at run time (see `shape_tensors`).
They compute in NHWC; the public functions transpose NCHW/NCW input (see `window_attrs.run_nhwc`).

Every order of derivative is available: `MaxPoolGrad` is linear in its `grad` and
`MaxPoolGradGrad` is its adjoint (a gather at each window's first maximum), so each is the
other's gradient (with respect to the other inputs, the argmax positions are piecewise
constant: no gradient). `AvgPool` and `AvgPoolGrad` are each other's adjoints.
"""

from __future__ import annotations

import functools

import numpy as np

from engine.dispatch import dispatch
from engine.errors import ShapeError, UnimplementedError
from engine.ops import infer as _inf
from engine.ops import pool3d_ops as _p3
from engine.ops import pool_kernels as _pk
from engine.ops import window_attrs as _w
from engine.ops.eager_jit import PROVIDERS
from engine.ops.pool_grads import avg_pool_vjps, max_pool_vjps
from engine.ops.pool_reorder import pool_first
from engine.ops.shape_tensors import run_time_ints
from engine.ops.widening import computes_in_float32
from engine.registry import FLOAT, REAL, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "max_pool", "avg_pool", "pool"]


# --- pooling ----------------------------------------------------------------------------------
_POOL_ATTRS = {"ksize": None, "strides": None, "padding": None, "explicit_paddings": (),
               "data_format": "NHWC"}


@functools.lru_cache(maxsize=256)
def _pool_params(op: str, ksize: tuple, strides: tuple, padding: str,
                 explicit_paddings: tuple, data_format: str) -> tuple:
    """Validated `((kh, kw), (sh, sw), padding)` for the pooling kernels."""
    s, _, pads = _w.kernel_args(op, strides, padding, explicit_paddings, data_format)
    if len(ksize) != 4 or ksize[0] != 1 or ksize[3] != 1 or min(ksize) < 1:
        raise ShapeError(f"{op}: got ksize {list(ksize)}; expected 4 positive values "
                         "[1, kh, kw, 1] (pooling over the batch or channel axis is not "
                         "supported).")
    k = (ksize[1], ksize[2])
    if not isinstance(pads, str) and any(p >= k[a] for a in range(2) for p in pads[a]):
        raise ShapeError(f"{op}: explicit padding {list(pads)} reaches the window size "
                         f"{list(k)}; expected each pad smaller than the window, so that no "
                         "window lies wholly in the padding.")
    return k, s, pads


def _pool_attrs(op: str, attrs: dict) -> tuple:
    return _pool_params(op, tuple(attrs["ksize"]), tuple(attrs["strides"]), attrs["padding"],
                        tuple(attrs.get("explicit_paddings", ())),
                        attrs.get("data_format", "NHWC"))


def _pooled(op: str, x_shape, k, s, pads) -> list:
    """The pooled shape of `x_shape` (a list that may hold None)."""
    n, h, w, c = x_shape
    return [n, *_w.spatial_out(op, (h, w), k, s, (1, 1), pads), c]


def _pool_infer(op: str, allowed):
    def infer(x, **attrs):
        _inf.check_dtype(op, x, allowed)
        k, s, pads = _pool_attrs(op, attrs)
        shape = _pooled(op, _w.rank4(op, x, "input", _w.NHWC_LAYOUT), k, s, pads)
        return TensorSpec(shape, x.dtype)

    return infer


def _compiled(name: str, xp, inputs: tuple, k, s, pads):
    """The compiled kernel's result (`engine.ops.eager_jit`), or None: NumPy's runs."""
    fast = PROVIDERS.get(name)
    return fast(inputs, k, s, pads) if fast is not None and xp is np else None


def _pool_kernel(op: str, pool):
    compiled = "max_pool" if op == "max_pool2d" else None

    def kernel(xp, x, ksize, strides, padding, explicit_paddings=(), data_format="NHWC"):
        k, s, pads = _pool_params(op, ksize, strides, padding, explicit_paddings, data_format)
        if x.ndim != 4:
            raise ValueError(f"{op}: expected a 4-D input")  # infer explains
        if compiled is not None:
            out = _compiled(compiled, xp, (x,), k, s, pads)
            if out is not None:
                return out
        return pool(xp, x, k, s, pads)

    return kernel


def _same_shape(op: str, what: str, got: TensorSpec, expected: list) -> None:
    if not got.shape.is_compatible_with(expected):
        raise ShapeError(f"{op}: got {what} of shape {got.shape}; expected {tuple(expected)}, "
                         "the pooled shape of orig_input with these ksize, strides and "
                         "padding.")


def _max_pool_grad_infer(op: str, forward_shaped_grad: bool):
    def infer(x, y, g, **attrs):
        dtype = _inf.same_dtype(op, x, y, g)
        _inf.check_dtype(op, x, REAL)
        k, s, pads = _pool_attrs(op, attrs)
        x_shape = _w.rank4(op, x, "orig_input", _w.NHWC_LAYOUT)
        pooled = _pooled(op, x_shape, k, s, pads)
        _same_shape(op, "orig_output", y, pooled)
        if forward_shaped_grad:
            _same_shape(op, "grad", g, pooled)
            return TensorSpec(x_shape, dtype)
        if not g.shape.is_compatible_with(x_shape):
            raise ShapeError(f"{op}: got grad of shape {g.shape}; expected the shape of "
                             f"orig_input {x.shape}.")
        return TensorSpec(pooled, dtype)

    return infer


def _max_pool_grad_kernel(grad_grad: bool):
    op = "max_pool2d_grad_grad" if grad_grad else "max_pool2d_grad"

    def kernel(xp, x, y, g, ksize, strides, padding, explicit_paddings=(), data_format="NHWC"):
        k, s, pads = _pool_params(op, ksize, strides, padding, explicit_paddings, data_format)
        pooled = _pooled(op, x.shape, k, s, pads) if x.ndim == 4 else None
        if pooled is None or list(y.shape) != pooled or (
                list(g.shape) != (list(x.shape) if grad_grad else pooled)):
            raise ValueError(f"{op}: shapes do not fit")  # infer explains
        if grad_grad:
            return _pk.max_pool2d_grad_grad(xp, x, y, g, k, s, pads)
        out = _compiled("max_pool_grad", xp, (x, y, g), k, s, pads)
        return out if out is not None else _pk.max_pool2d_grad(xp, x, y, g, k, s, pads)

    return kernel


_MAX_OPS: dict = {}  # the gradient ops, once registered below
_max_pool_vjp, _max_pool_grad_vjp, _max_pool_grad_grad_vjp = max_pool_vjps(_MAX_OPS)


_MAX_POOL = register(OpDef(
    "max_pool2d", "MaxPool", ("input",), _pool_infer("max_pool2d", REAL),
    _pool_kernel("max_pool2d", _pk.max_pool2d), vjp=_max_pool_vjp, attrs=dict(_POOL_ATTRS),
    dtypes=REAL, doc="2-D max pooling of an NHWC input."))
_MAX_POOL_GRAD = register(OpDef(
    "max_pool2d_grad", "MaxPoolGrad", ("orig_input", "orig_output", "grad"),
    _max_pool_grad_infer("max_pool2d_grad", True), _max_pool_grad_kernel(False),
    vjp=_max_pool_grad_vjp, attrs=dict(_POOL_ATTRS), dtypes=REAL,
    doc="Gradient of MaxPool: each window's gradient goes to its first maximum."))
_MAX_POOL_GRAD_GRAD = register(OpDef(
    "max_pool2d_grad_grad", "MaxPoolGradGrad", ("orig_input", "orig_output", "grad"),
    _max_pool_grad_infer("max_pool2d_grad_grad", False), _max_pool_grad_kernel(True),
    vjp=_max_pool_grad_grad_vjp, attrs=dict(_POOL_ATTRS), dtypes=REAL,
    doc="Gradient of MaxPoolGrad: `grad` read at each window's first maximum."))
_MAX_OPS.update(grad=_MAX_POOL_GRAD, grad_grad=_MAX_POOL_GRAD_GRAD)


_AVG_OPS: dict = {}  # the average pool and its gradient op, once registered below
_avg_pool_vjp, _avg_pool_grad_vjp = avg_pool_vjps(_AVG_OPS, 4)


def _avg_pool_grad_infer(g, *runtime, orig_input_shape=None, **attrs):
    op = "avg_pool2d_grad"
    _inf.check_dtype(op, g, FLOAT)
    k, s, pads = _pool_attrs(op, attrs)
    x_shape = _w.sizes_attr(op, orig_input_shape, "orig_input_shape", *runtime[:1])
    _same_shape(op, "grad", g, _pooled(op, x_shape, k, s, pads))
    return TensorSpec(x_shape, g.dtype)


@computes_in_float32  # bfloat16 window sums stall: add in float32
def _avg_pool_grad_kernel(xp, g, *runtime, orig_input_shape=None, ksize=None, strides=None,
                          padding=None, explicit_paddings=(), data_format="NHWC"):
    if runtime:
        orig_input_shape = run_time_ints("avg_pool2d_grad", "AvgPoolGrad", "orig_input_shape",
                                         runtime[0], orig_input_shape)
    k, s, pads = _pool_params("avg_pool2d_grad", ksize, strides, padding, explicit_paddings,
                              data_format)
    x_shape = tuple(orig_input_shape)
    if len(x_shape) != 4 or list(g.shape) != _pooled("avg_pool2d_grad", x_shape, k, s, pads):
        raise ValueError("avg_pool2d_grad: shapes do not fit")  # infer explains
    return _pk.avg_pool2d_grad(xp, g, x_shape, k, s, pads)


_AVG_POOL = register(OpDef(
    "avg_pool2d", "AvgPool", ("value",), _pool_infer("avg_pool2d", FLOAT),
    computes_in_float32(_pool_kernel("avg_pool2d", _pk.avg_pool2d)), vjp=_avg_pool_vjp,
    attrs=dict(_POOL_ATTRS), dtypes=FLOAT,
    doc="2-D average pooling of an NHWC input (padding is not counted)."))
_AVG_POOL_GRAD = register(OpDef(
    "avg_pool2d_grad", "AvgPoolGrad", ("grad",), _avg_pool_grad_infer, _avg_pool_grad_kernel,
    vjp=_avg_pool_grad_vjp, attrs={"orig_input_shape": None, **_POOL_ATTRS}, dtypes=FLOAT,
    same_dtype=(0,),
    doc="Gradient of AvgPool: each window spreads grad / count over its elements."))
_AVG_OPS.update(pool=_AVG_POOL, grad=_AVG_POOL_GRAD)


# --- public functions: pooling -----------------------------------------------------------------
def _pool(op: str, op_def, input, ksize, strides, padding, data_format, n: int):
    if n == 1:
        first = _w.is_channels_first(op, data_format, "NWC", "NCW")
        _w.check_rank(op, "input", input, 3, "(batch, width, channels)")
    else:
        first = _w.is_channels_first(op, data_format, "NHWC", "NCHW")
    attrs = _w.op_attrs(op, n, first, strides, padding, ksize=ksize)
    if n == 2 and not first:
        moved = pool_first(op_def, input, attrs) if op_def is _MAX_POOL else None
        return moved if moved is not None else dispatch(op_def, (input,), attrs)
    return _w.run_nhwc(op_def, input, (), attrs, first, squeeze_h=n == 1)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """2-D max pooling; raw op `MaxPool`. Padded positions never win.

    Args:
        input: `(batch, height, width, channels)` (NHWC), or NCHW with `data_format`.
        ksize: the window: an int or a list of 1, 2 or 4 ints.
        strides: an int or a list of 1, 2 or 4 ints.
        padding: `'SAME'`, `'VALID'` or explicit `[before, after]` pairs (each smaller than
            the window).
        data_format: `'NHWC'` (default) or `'NCHW'`.
        name: ignored in eager mode.

    Returns:
        `(batch, out_height, out_width, channels)`.

    Raises:
        ShapeError: for a non-4-D input or a window larger than the padded input.

    Example:
        >>> x = engine.reshape(engine.range(16.0), [1, 4, 4, 1])
        >>> engine.nn.max_pool2d(x, 2, 2, "VALID").numpy()[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
    """
    return _pool("max_pool2d", _MAX_POOL, input, ksize, strides, padding, data_format, 2)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """2-D average pooling; raw op `AvgPool`. Padded positions are not counted.

    Args:
        input: `(batch, height, width, channels)` (NHWC), or NCHW with `data_format`.
        ksize, strides, padding, data_format: as in `max_pool2d`.
        name: ignored in eager mode.

    Returns:
        `(batch, out_height, out_width, channels)`.

    Example:
        >>> x = engine.reshape(engine.range(16.0), [1, 4, 4, 1])
        >>> engine.nn.avg_pool2d(x, 2, 2, "VALID").numpy()[0, :, :, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]], dtype=float32)
    """
    return _pool("avg_pool2d", _AVG_POOL, input, ksize, strides, padding, data_format, 2)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """1-D max pooling of `(batch, width, channels)`: `max_pool2d` at height 1.

    Args:
        input: NWC (or NCW with `data_format`).
        ksize, strides: an int or a list of 1 or 3 ints.
        padding: `'SAME'`, `'VALID'` or `[[0, 0], [left, right], [0, 0]]`.
        data_format: `'NWC'` (default) or `'NCW'`.
        name: ignored in eager mode.

    Returns:
        `(batch, out_width, channels)`.

    Example:
        >>> engine.nn.max_pool1d(engine.reshape(engine.range(6.0), [1, 6, 1]), 2, 2,
        ...                      "VALID").numpy().ravel()
        array([1., 3., 5.], dtype=float32)
    """
    return _pool("max_pool1d", _MAX_POOL, input, ksize, strides, padding, data_format, 1)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """1-D average pooling of `(batch, width, channels)`: `avg_pool2d` at height 1.

    Args:
        input, ksize, strides, padding, data_format: as in `max_pool1d`.
        name: ignored in eager mode.

    Returns:
        `(batch, out_width, channels)`.

    Example:
        >>> engine.nn.avg_pool1d(engine.reshape(engine.range(6.0), [1, 6, 1]), 2, 2,
        ...                      "VALID").numpy().ravel()
        array([0.5, 2.5, 4.5], dtype=float32)
    """
    return _pool("avg_pool1d", _AVG_POOL, input, ksize, strides, padding, data_format, 1)


def _by_rank(op: str, input, data_format, one, two, three):
    shape = _w.shape_of(input)
    rank = None if shape is None else len(shape)
    if rank == 3 and data_format in (None, "NWC", "NCW"):
        return one
    if rank == 4 and data_format in (None, "NHWC", "NCHW"):
        return two
    if rank == 5 and data_format in (None, "NDHWC", "NCDHW"):
        return three
    raise UnimplementedError(f"{op}: got an input of rank {rank} with data_format "
                             f"{data_format!r}; only 1-D (rank 3, NWC/NCW), 2-D (rank 4, "
                             "NHWC/NCHW) and 3-D (rank 5, NDHWC/NCDHW) pooling are "
                             "implemented.", op=op)


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """Max pooling by the input's rank: `max_pool1d`, `max_pool2d` or `max_pool3d`.

    Args:
        input, ksize, strides, padding, data_format: as in `max_pool1d` / `max_pool2d`.
        name: ignored in eager mode.

    Returns:
        The pooled tensor.

    Raises:
        UnimplementedError: for inputs of another rank than 3, 4 or 5.

    Example:
        >>> engine.nn.max_pool(engine.ones([1, 4, 4, 2]), 2, 2, "VALID").shape
        TensorShape([1, 2, 2, 2])
    """
    fn = _by_rank("max_pool", input, data_format, max_pool1d, max_pool2d, _p3.max_pool3d)
    return fn(input, ksize, strides, padding, data_format or _DEFAULT_FORMAT[fn])


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    """Average pooling by the input's rank: `avg_pool1d`, `avg_pool2d` or `avg_pool3d`.

    Args:
        input, ksize, strides, padding, data_format: as in `avg_pool1d` / `avg_pool2d`.
        name: ignored in eager mode.

    Returns:
        The pooled tensor.

    Raises:
        UnimplementedError: for inputs of another rank than 3, 4 or 5.

    Example:
        >>> engine.nn.avg_pool(engine.ones([1, 4, 2]), 2, 2, "VALID").shape
        TensorShape([1, 2, 2])
    """
    fn = _by_rank("avg_pool", input, data_format, avg_pool1d, avg_pool2d, _p3.avg_pool3d)
    return fn(input, ksize, strides, padding, data_format or _DEFAULT_FORMAT[fn])


_DEFAULT_FORMAT = {max_pool1d: "NWC", avg_pool1d: "NWC", max_pool2d: "NHWC", avg_pool2d: "NHWC",
                   _p3.max_pool3d: "NDHWC", _p3.avg_pool3d: "NDHWC"}


def pool(input, window_shape, pooling_type, strides=None, padding="VALID", data_format=None,
         dilations=None, name=None):
    """Max or average pooling (`pooling_type` `'MAX'` or `'AVG'`) by the input's rank.

    Args:
        input: a 3-D (NWC/NCW), 4-D (NHWC/NCHW) or 5-D (NDHWC/NCDHW) tensor.
        window_shape: the window, one int per spatial axis.
        pooling_type: `'MAX'` or `'AVG'`.
        strides: one int per spatial axis (default 1).
        padding: `'SAME'` or `'VALID'`.
        data_format: as in `max_pool`.
        dilations: must be 1 (dilated pooling is not implemented).
        name: ignored in eager mode.

    Returns:
        The pooled tensor.

    Raises:
        ValueError: for an unknown `pooling_type`.
        UnimplementedError: for dilated pooling.

    Example:
        >>> engine.nn.pool(engine.ones([1, 4, 4, 1]), [2, 2], "AVG", strides=[2, 2]).shape
        TensorShape([1, 2, 2, 1])
    """
    kinds = {"MAX": max_pool, "AVG": avg_pool}
    if pooling_type not in kinds:
        raise ValueError(f"pool: got pooling_type {pooling_type!r}; expected 'MAX' or 'AVG'.")
    if dilations is not None and any(d != 1 for d in _w.freeze(
            dilations if not isinstance(dilations, int) else [dilations])):
        raise UnimplementedError(f"pool: got dilations {dilations!r}; dilated pooling is not "
                                 "implemented, expected 1.", op="pool")
    return kinds[pooling_type](input, window_shape, 1 if strides is None else strides, padding,
                               data_format)
