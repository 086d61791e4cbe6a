"""3-D pooling ops (`engine.nn.max_pool3d`, `avg_pool3d`) on `pool3d_kernels`.

Registered ops mirror TensorFlow's: `MaxPool3D`, `MaxPool3DGrad`, `MaxPool3DGradGrad`,
`AvgPool3D` and `AvgPool3DGrad`, with `ksize` and `strides` as NDHWC 5-tuples and
`padding` `'SAME'` or `'VALID'`. `AvgPool3DGrad`'s `orig_input_shape`, a tensor in TF,
is an attribute when tracing knows every size, else an extra 1-D int input read at run
time. They compute in NDHWC; the public functions transpose NCDHW input.

Every order of derivative exists, as in 2-D (`pool_ops`): `MaxPool3DGrad` is linear in
its `grad` and `MaxPool3DGradGrad` is its adjoint, so each is the other's gradient;
`AvgPool3D` and `AvgPool3DGrad` are each other's adjoints.
"""

from __future__ import annotations

from engine.errors import ShapeError
from engine.ops import infer as _inf
from engine.ops import pool3d_kernels as _pk3
from engine.ops import window3d_attrs as _w3
from engine.ops import window_attrs as _w
from engine.ops.pool_grads import avg_pool_vjps, max_pool_vjps
from engine.ops.shape_tensors import run_time_ints
from engine.ops.widening import computes_in_float32
from engine.registry import FLOAT, REAL, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["max_pool3d", "avg_pool3d"]

_ATTRS = {"ksize": None, "strides": None, "padding": None, "data_format": "NDHWC"}


def _args(op: str, attrs: dict) -> tuple:
    return _w3.pool_args(op, tuple(attrs["ksize"]), tuple(attrs["strides"]), attrs["padding"],
                         attrs.get("data_format", "NDHWC"))


def _pooled(op: str, x_shape, k, s, padding) -> list:
    """The pooled shape of `x_shape` (a list that may hold None)."""
    n, *in_dhw, c = x_shape
    return [n, *_w3.spatial_out(op, in_dhw, k, s, (1, 1, 1), padding), c]


def _same_shape(op: str, what: str, got: TensorSpec, expected: list) -> None:
    if not got.shape.is_compatible_with(expected):
        raise ShapeError(f"{op}: got {what} of shape {got.shape}; expected {tuple(expected)}, "
                         "the pooled shape of orig_input with these ksize, strides and "
                         "padding.")


def _pool_infer(op: str, allowed):
    def infer(x, **attrs):
        _inf.check_dtype(op, x, allowed)
        k, s, padding = _args(op, attrs)
        return TensorSpec(_pooled(op, _w3.rank5(op, x, "input", _w3.NDHWC_LAYOUT), k, s,
                                  padding), x.dtype)

    return infer


def _pool_kernel(op: str, pool):
    def kernel(xp, x, ksize, strides, padding, data_format="NDHWC"):
        k, s, padding = _w3.pool_args(op, ksize, strides, padding, data_format)
        if x.ndim != 5:
            raise ValueError(f"{op}: expected a 5-D input")  # infer explains
        return pool(xp, x, k, s, padding)

    return kernel


# --- max pooling ------------------------------------------------------------------------------
def _max_grad_infer(op: str, forward_shaped_grad: bool):
    def infer(x, y, g, **attrs):
        dtype = _inf.same_dtype(op, x, y, g)
        _inf.check_dtype(op, x, REAL)
        k, s, padding = _args(op, attrs)
        x_shape = _w3.rank5(op, x, "orig_input", _w3.NDHWC_LAYOUT)
        pooled = _pooled(op, x_shape, k, s, padding)
        _same_shape(op, "orig_output", y, pooled)
        if forward_shaped_grad:
            _same_shape(op, "grad", g, pooled)
            return TensorSpec(x_shape, dtype)
        if not g.shape.is_compatible_with(x_shape):
            raise ShapeError(f"{op}: got grad of shape {g.shape}; expected the shape of "
                             f"orig_input {x.shape}.")
        return TensorSpec(pooled, dtype)

    return infer


def _max_grad_kernel(grad_grad: bool):
    op = "max_pool3d_grad_grad" if grad_grad else "max_pool3d_grad"

    def kernel(xp, x, y, g, ksize, strides, padding, data_format="NDHWC"):
        k, s, padding = _w3.pool_args(op, ksize, strides, padding, data_format)
        pooled = _pooled(op, x.shape, k, s, padding) if x.ndim == 5 else None
        if pooled is None or list(y.shape) != pooled or (
                list(g.shape) != (list(x.shape) if grad_grad else pooled)):
            raise ValueError(f"{op}: shapes do not fit")  # infer explains
        if grad_grad:
            return _pk3.max_pool3d_grad_grad(xp, x, y, g, k, s, padding)
        return _pk3.max_pool3d_grad(xp, x, y, g, k, s, padding)

    return kernel


_MAX_OPS: dict = {}  # the gradient ops, once registered below
_max_pool_vjp, _max_grad_vjp, _max_grad_grad_vjp = max_pool_vjps(_MAX_OPS)


_MAX_POOL = register(OpDef(
    "max_pool3d", "MaxPool3D", ("input",), _pool_infer("max_pool3d", REAL),
    _pool_kernel("max_pool3d", _pk3.max_pool3d), vjp=_max_pool_vjp, attrs=dict(_ATTRS),
    dtypes=REAL, doc="3-D max pooling of an NDHWC input."))
_MAX_POOL_GRAD = register(OpDef(
    "max_pool3d_grad", "MaxPool3DGrad", ("orig_input", "orig_output", "grad"),
    _max_grad_infer("max_pool3d_grad", True), _max_grad_kernel(False), vjp=_max_grad_vjp,
    attrs=dict(_ATTRS), dtypes=REAL,
    doc="Gradient of MaxPool3D: each window's gradient goes to its first maximum."))
_MAX_POOL_GRAD_GRAD = register(OpDef(
    "max_pool3d_grad_grad", "MaxPool3DGradGrad", ("orig_input", "orig_output", "grad"),
    _max_grad_infer("max_pool3d_grad_grad", False), _max_grad_kernel(True),
    vjp=_max_grad_grad_vjp, attrs=dict(_ATTRS), dtypes=REAL,
    doc="Gradient of MaxPool3DGrad: `grad` read at each window's first maximum."))
_MAX_OPS.update(grad=_MAX_POOL_GRAD, grad_grad=_MAX_POOL_GRAD_GRAD)


# --- average pooling --------------------------------------------------------------------------
_AVG_OPS: dict = {}  # the average pool and its gradient op, once registered below
_avg_pool_vjp, _avg_grad_vjp = avg_pool_vjps(_AVG_OPS, 5)


def _avg_grad_infer(g, *runtime, orig_input_shape=None, **attrs):
    op = "avg_pool3d_grad"
    _inf.check_dtype(op, g, FLOAT)
    k, s, padding = _args(op, attrs)
    x_shape = _w3.sizes_attr(op, orig_input_shape, "orig_input_shape", *runtime[:1])
    _same_shape(op, "grad", g, _pooled(op, x_shape, k, s, padding))
    return TensorSpec(x_shape, g.dtype)


@computes_in_float32
def _avg_grad_kernel(xp, g, *runtime, orig_input_shape=None, ksize=None, strides=None,
                     padding=None, data_format="NDHWC"):
    op = "avg_pool3d_grad"
    if runtime:
        orig_input_shape = run_time_ints(op, "AvgPool3DGrad", "orig_input_shape", runtime[0],
                                         orig_input_shape)
    k, s, padding = _w3.pool_args(op, ksize, strides, padding, data_format)
    x_shape = tuple(orig_input_shape)
    if len(x_shape) != 5 or list(g.shape) != _pooled(op, x_shape, k, s, padding):
        raise ValueError(f"{op}: shapes do not fit")  # infer explains
    return _pk3.avg_pool3d_grad(xp, g, x_shape, k, s, padding)


_AVG_POOL = register(OpDef(
    "avg_pool3d", "AvgPool3D", ("input",), _pool_infer("avg_pool3d", FLOAT),
    computes_in_float32(_pool_kernel("avg_pool3d", _pk3.avg_pool3d)), vjp=_avg_pool_vjp,
    attrs=dict(_ATTRS), dtypes=FLOAT,
    doc="3-D average pooling of an NDHWC input (padding is not counted)."))
_AVG_POOL_GRAD = register(OpDef(
    "avg_pool3d_grad", "AvgPool3DGrad", ("grad",), _avg_grad_infer, _avg_grad_kernel,
    vjp=_avg_grad_vjp, attrs={"orig_input_shape": None, **_ATTRS}, dtypes=FLOAT,
    same_dtype=(0,),
    doc="Gradient of AvgPool3D: each window spreads grad / count over its elements."))
_AVG_OPS.update(pool=_AVG_POOL, grad=_AVG_POOL_GRAD)


# --- public functions -------------------------------------------------------------------------
def _pool(op: str, op_def, input, ksize, strides, padding, data_format):
    first = _w.is_channels_first(op, data_format, "NDHWC", "NCDHW")
    attrs = _w3.op_attrs(op, first, strides, padding, ksize=ksize)
    if first:
        _w3.check_input_rank(op, input)
    return _w3.run_ndhwc(op_def, input, (), attrs, first)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """3-D max pooling; raw op `MaxPool3D`. Padded positions never win.

    Args:
        input: `(batch, depth, height, width, channels)` (NDHWC), or NCDHW with
            `data_format`.
        ksize: the window: an int or a list of 1, 3 or 5 ints.
        strides: an int or a list of 1, 3 or 5 ints.
        padding: `'SAME'` or `'VALID'`.
        data_format: `'NDHWC'` (default) or `'NCDHW'`.
        name: ignored in eager mode.

    Returns:
        `(batch, out_depth, out_height, out_width, channels)` (or NCDHW).

    Raises:
        ShapeError: for a non-5-D input, a bad `ksize` or `strides`, or a window larger
            than the padded input.

    Example:
        >>> x = engine.reshape(engine.range(8.0), [1, 2, 2, 2, 1])
        >>> engine.nn.max_pool3d(x, 2, 2, "VALID").numpy().ravel()
        array([7.], dtype=float32)
    """
    return _pool("max_pool3d", _MAX_POOL, input, ksize, strides, padding, data_format)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """3-D average pooling; raw op `AvgPool3D`. Padded positions are not counted.

    Args:
        input: `(batch, depth, height, width, channels)` (NDHWC), or NCDHW with
            `data_format`.
        ksize, strides, padding, data_format: as in `max_pool3d`.
        name: ignored in eager mode.

    Returns:
        `(batch, out_depth, out_height, out_width, channels)` (or NCDHW).

    Example:
        >>> x = engine.reshape(engine.range(8.0), [1, 2, 2, 2, 1])
        >>> engine.nn.avg_pool3d(x, 2, 2, "VALID").numpy().ravel()
        array([3.5], dtype=float32)
    """
    return _pool("avg_pool3d", _AVG_POOL, input, ksize, strides, padding, data_format)
