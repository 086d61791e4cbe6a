"""Gather and scatter ops.

`gather`, `gather_nd`, `scatter_nd`, `tensor_scatter_nd_update/add`,
`unsorted_segment_sum`, `segment_sum` and `boolean_mask` (`one_hot` is in `one_hot_ops`).

Gathers and scatters are each other's gradients: the gradient of `gather` is a segment sum
(dense, fast enough for Embedding layers) and that of `gather_nd` a `scatter_nd` (with
batch_dims, both scatter at coordinates that start with the batch position). Traced with
unknown dimensions, the sizes come from `shape(params)` at run time. The array-level kernels
live in `gather_kernels`; this module holds the ops' inference, gradients and public functions.

Index errors: a gather index out of range raises `InvalidIndexError` (engine.errors), an
`InvalidArgumentError` (as in TensorFlow) that is also an `IndexError` (as in NumPy). As in
TensorFlow on CPUs, negative gather indices are errors, not counted from the end.
"""

from __future__ import annotations

import math

import numpy as np

from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError, UnimplementedError
from engine.ops import array_ops as _a
from engine.ops import gather_kernels as _gk
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import static_args as _sa
from engine.ops.fill_ops import ones_like, zeros_like
from engine.ops.join_ops import concat
from engine.ops.reduce_ops import reduce_max, reduce_sum
from engine.ops.scan_ops import cumsum
from engine.ops.select_ops import where
from engine.ops.static_args import concrete_shape, static_int
from engine.registry import INTEGER, NUMERIC, OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = [
    "gather", "gather_nd", "scatter_nd", "tensor_scatter_nd_update", "tensor_scatter_nd_add",
    "unsorted_segment_sum", "segment_sum", "boolean_mask",
]


# --- shapes in gradient rules ------------------------------------------------------------------
# Gradient rules run eagerly (all shapes known) and traced, where a dimension may be None
# until the graph runs: they use static sizes where known (eagerly, always) and ops elsewhere.
def _is_symbolic(x) -> bool:
    """Whether `x` is a symbolic tensor (traced, or Keras functional wiring)."""
    return getattr(x, "_node", None) is not None


def _dim(x, axis: int):
    """`x.shape[axis]` as an int, or as a scalar int32 tensor where it is unknown."""
    dims = x._value.shape
    size = None if dims is None else dims[axis]
    return size if size is not None else _a.shape(x)[axis]


def _known_rank(op: str, x, what: str) -> int:
    """The rank of `x`; UnimplementedError when it is unknown while tracing."""
    rank = x._value.ndim
    if rank is None:
        raise UnimplementedError(f"{op} gradient: {what} has unknown rank while tracing. Give "
                                 "engine.function an input_signature with known ranks, e.g. "
                                 "TensorSpec([None, 3]) instead of TensorSpec(None).")
    return rank


def _with_batch_coordinates(indices, b: int):
    """Coordinates (B..., I..., depth) prefixed with their position in the b batch axes.

    Returns (B..., I..., b + depth): `[i_0, ..., i_b-1, *indices[i_0, ..., i_b-1, ...]]`.
    """
    frame = ones_like(reduce_sum(indices, axis=-1, keepdims=True))  # (B..., I..., 1)
    positions = [cumsum(frame, axis=k, exclusive=True) for k in range(b)]
    return concat(positions + [indices], axis=-1)


# --- gather -----------------------------------------------------------------------------------
def _gather_infer(params, indices, axis=0, batch_dims=0):
    _inf.check_dtype("gather", indices, INTEGER, "indices")
    pr, ir = params.shape.rank, indices.shape.rank
    if pr is None or ir is None:
        return TensorSpec(None, params.dtype)
    if pr == 0:
        raise ShapeError("gather: params is a scalar; expected a tensor of rank >= 1.")
    axis = _inf.normalize_axis("gather", axis, pr)
    b = batch_dims + ir if batch_dims < 0 else batch_dims
    if not 0 <= b <= min(ir, axis):
        raise ShapeError(f"gather: batch_dims={batch_dims} does not fit indices of rank {ir} "
                         f"and axis={axis}; expected 0 <= batch_dims <= min(rank(indices), "
                         "axis).")
    if not params.shape[:b].is_compatible_with(indices.shape[:b]):
        raise ShapeError(f"gather: params shape {params.shape} and indices shape "
                         f"{indices.shape} differ in the first batch_dims={b} dimensions.")
    dims = params.shape.as_list()
    return TensorSpec(dims[:axis] + indices.shape.as_list()[b:] + dims[axis + 1:],
                      params.dtype)


def _gather_vjp(ctx, g):
    params, indices = ctx.inputs
    axis, b = ctx.attrs.get("axis", 0), ctx.attrs.get("batch_dims", 0)
    if axis == 0:  # the Embedding hot path (batch_dims <= axis is 0 too)
        return unsorted_segment_sum(g, indices, _dim(params, 0)), None
    rank = _known_rank("gather", params, "params")
    n_indices = _known_rank("gather", indices, "indices")
    axis %= rank
    b = b + n_indices if b < 0 else b
    n_i = n_indices - b
    # g: (B..., pre..., I..., post...) -> (B..., I..., pre..., post...)
    perm = (tuple(range(b)) + tuple(range(axis, axis + n_i)) + tuple(range(b, axis))
            + tuple(range(axis + n_i, rank - 1 + n_i)))
    moved = _a.transpose(g, perm)
    # The gradient laid out as (B..., N, pre..., post...): slices are summed into axis b.
    order = tuple(range(b)) + (axis,) + tuple(range(b, axis)) + tuple(range(axis + 1, rank))
    dims = params._value.shape
    if b == 0:
        summed = unsorted_segment_sum(moved, indices, _dim(params, axis))
    elif None not in dims:  # one segment sum over ids offset by the flat batch position
        n, size = math.prod(dims[:b]), dims[axis]
        offsets = (np.arange(n) * size).reshape(dims[:b] + (1,) * n_i)
        ids = _a.reshape(_m.add(indices, offsets.astype(indices._value.dtype)), [-1])
        flat = _a.reshape(moved, (-1,) + tuple(dims[k] for k in order[b + 1:]))
        summed = _a.reshape(unsorted_segment_sum(flat, ids, n * size),
                            tuple(dims[k] for k in order))
    else:  # sizes known only when the graph runs: scatter at (batch position, index)
        coords = _with_batch_coordinates(_a.expand_dims(indices, -1), b)  # (B..., I..., b + 1)
        summed = tensor_scatter_nd_add(zeros_like(_a.transpose(params, order)), coords, moved)
    return _a.transpose(summed, tuple(order.index(k) for k in range(rank))), None


_GATHER = register(OpDef("gather", "GatherV2", ("params", "indices"), _gather_infer,
                         _gk.gather, vjp=_gather_vjp, attrs={"axis": 0, "batch_dims": 0},
                         same_dtype=(),
                         doc="Gathers slices of params along axis at the given indices."))


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Gathers slices of `params` along `axis` at `indices` (TensorFlow's GatherV2).

    The output has shape `params.shape[:axis] + indices.shape[batch_dims:] +
    params.shape[axis + 1:]`. The gradient with respect to `params` is dense (a segment
    sum of the upstream gradient), fast enough for Embedding layers.

    Args:
        params: the tensor to gather from (rank >= 1).
        indices: an integer tensor of indices in [0, params.shape[axis]).
        validate_indices: ignored (indices are always checked on CPUs).
        axis: the axis to gather along (default `batch_dims`).
        batch_dims: leading dimensions shared by params and indices.

    Returns:
        The gathered tensor.

    Raises:
        InvalidIndexError: an index out of range or negative (also an `IndexError`).

    Example:
        >>> engine.gather(engine.constant([[1, 2], [3, 4], [5, 6]]), [2, 0]).numpy()
        array([[5, 6],
               [1, 2]], dtype=int32)
    """
    batch_dims = static_int(batch_dims, "gather batch_dims")
    axis = batch_dims if axis is None else static_int(axis, "gather axis")
    return dispatch(_GATHER, (params, indices), {"axis": axis, "batch_dims": batch_dims})


# --- gather_nd / scatter_nd ---------------------------------------------------------------
def _nd_depth(op: str, indices: TensorSpec):
    _inf.check_dtype(op, indices, INTEGER, "indices")
    if indices.shape.rank is None:
        return None
    if indices.shape.rank == 0:
        raise ShapeError(f"{op}: indices is a scalar; expected rank >= 1 (the last "
                         "dimension holds one coordinate per indexed dimension).")
    return indices.shape[-1]


def _gather_nd_infer(params, indices, batch_dims=0):
    depth = _nd_depth("gather_nd", indices)
    if depth is None or params.shape.rank is None:
        return TensorSpec(None, params.dtype)
    if batch_dims + depth > params.shape.rank or batch_dims > indices.shape.rank - 1:
        raise ShapeError(f"gather_nd: indices of shape {indices.shape} (batch_dims="
                         f"{batch_dims}) index {batch_dims + depth} dimensions of params with "
                         f"shape {params.shape}; expected at most {params.shape.rank}.")
    if not params.shape[:batch_dims].is_compatible_with(indices.shape[:batch_dims]):
        raise ShapeError(f"gather_nd: params shape {params.shape} and indices shape "
                         f"{indices.shape} differ in the first batch_dims={batch_dims} "
                         "dimensions.")
    return TensorSpec(indices.shape[:-1].concatenate(params.shape[batch_dims + depth:]),
                      params.dtype)


def _gather_nd_vjp(ctx, g):
    params, indices = ctx.inputs
    b = ctx.attrs.get("batch_dims", 0)
    coords = _with_batch_coordinates(indices, b) if b else indices
    dims = params._value.shape
    if dims is not None and None not in dims:
        return scatter_nd(coords, g, tuple(dims)), None
    return tensor_scatter_nd_add(zeros_like(params), coords, g), None  # sizes known at run time


_GATHER_ND = register(OpDef("gather_nd", "GatherNd", ("params", "indices"), _gather_nd_infer,
                            _gk.gather_nd, vjp=_gather_nd_vjp, attrs={"batch_dims": 0},
                            same_dtype=(),
                            doc="Gathers slices of params at n-dimensional coordinates."))


def gather_nd(params, indices, batch_dims=0, name=None):
    """Gathers slices of `params` at the coordinates in the last axis of `indices`.

    `indices[..., :]` is a coordinate into the first `indices.shape[-1]` dimensions of
    `params` (after `batch_dims` shared leading ones); the output has shape
    `indices.shape[:-1] + params.shape[batch_dims + indices.shape[-1]:]`.

    Args:
        params: the tensor to gather from.
        indices: integer coordinates, last dimension = number of indexed dimensions.
        batch_dims: leading dimensions shared by params and indices.

    Returns:
        The gathered tensor; its gradient scatters (adds) into zeros like params.

    Raises:
        InvalidIndexError: a coordinate out of range.

    Example:
        >>> engine.gather_nd(engine.constant([[1, 2], [3, 4]]), [[1, 0], [0, 1]]).numpy()
        array([3, 2], dtype=int32)
    """
    return dispatch(_GATHER_ND, (params, indices),
                    {"batch_dims": static_int(batch_dims, "gather_nd batch_dims")})


def _scatter_infer(op: str, shape: TensorShape, indices, updates) -> None:
    """Checks that updates.shape == indices.shape[:-1] + shape[depth:]."""
    depth = _nd_depth(op, indices)
    if depth is None or shape.rank is None or updates.shape.rank is None:
        return
    if depth > shape.rank:
        raise ShapeError(f"{op}: indices of shape {indices.shape} index {depth} dimensions; "
                         f"the output shape {shape} has only {shape.rank}.")
    expected = indices.shape[:-1].concatenate(shape[depth:])
    if not expected.is_compatible_with(updates.shape):
        raise ShapeError(f"{op}: got updates of shape {updates.shape}; expected "
                         f"indices.shape[:-1] + shape[{depth}:] = {expected} (indices "
                         f"{indices.shape}, shape {shape}).")


def _scatter_nd_infer(indices, updates, shape=()):
    _scatter_infer("scatter_nd", TensorShape(shape), indices, updates)
    return TensorSpec(shape, updates.dtype)


_SCATTER_ND = register(OpDef(
    "scatter_nd", "ScatterNd", ("indices", "updates"), _scatter_nd_infer, _gk.scatter_nd,
    vjp=lambda ctx, g: (None, gather_nd(g, ctx.inputs[0])), attrs={"shape": ()},
    same_dtype=(), doc="Adds updates into zeros of a shape at n-dimensional coordinates."))


def scatter_nd(indices, updates, shape, name=None):
    """Scatters `updates` into zeros of `shape` at `indices`; duplicate indices add up.

    Args:
        indices: integer coordinates, shape `(..., depth)`.
        updates: values, shape `indices.shape[:-1] + shape[depth:]`.
        shape: the output shape.

    Returns:
        A tensor of `shape` with the dtype of `updates`.

    Raises:
        ShapeError: when updates do not fit; InvalidIndexError: a coordinate out of range.

    Example:
        >>> engine.scatter_nd([[1], [3], [1]], [1.0, 2.0, 3.0], [4]).numpy()
        array([0., 4., 0., 2.], dtype=float32)
    """
    return dispatch(_SCATTER_ND, (indices, updates),
                    {"shape": _sa.static_shape(shape, "scatter_nd shape")})


def _tensor_scatter_infer(op):
    def infer(tensor, indices, updates):
        _inf.same_dtype(op, tensor, updates)
        _scatter_infer(op, tensor.shape, indices, updates)
        return tensor

    return infer


def _tensor_scatter_update_vjp(ctx, g):
    _, indices, updates = ctx.inputs
    g_tensor = tensor_scatter_nd_update(g, indices, zeros_like(updates))
    return g_tensor, None, gather_nd(g, indices)


_TENSOR_SCATTER_UPDATE = register(OpDef(
    "tensor_scatter_nd_update", "TensorScatterUpdate", ("tensor", "indices", "updates"),
    _tensor_scatter_infer("tensor_scatter_nd_update"), _gk.tensor_scatter_update,
    vjp=_tensor_scatter_update_vjp, same_dtype=(0, 2),
    doc="A copy of tensor with the slices at indices replaced by updates."))
_TENSOR_SCATTER_ADD = register(OpDef(
    "tensor_scatter_nd_add", "TensorScatterAdd", ("tensor", "indices", "updates"),
    _tensor_scatter_infer("tensor_scatter_nd_add"), _gk.tensor_scatter_add,
    vjp=lambda ctx, g: (g, None, gather_nd(g, ctx.inputs[1])), same_dtype=(0, 2),
    doc="A copy of tensor with updates added at indices (duplicates add up)."))


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """A copy of `tensor` whose slices at `indices` are replaced by `updates`.

    With duplicate indices, which update wins is unspecified (as in TensorFlow).

    Args:
        tensor: the tensor to copy.
        indices: integer coordinates, shape `(..., depth)`.
        updates: the new slices, shape `indices.shape[:-1] + tensor.shape[depth:]`.

    Returns:
        The updated copy.

    Raises:
        ShapeError: when updates do not fit; InvalidIndexError: a coordinate out of range.

    Example:
        >>> engine.tensor_scatter_nd_update(engine.zeros([3]), [[0], [2]], [5.0, 6.0]).numpy()
        array([5., 0., 6.], dtype=float32)
    """
    return dispatch(_TENSOR_SCATTER_UPDATE, (tensor, indices, updates))


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """A copy of `tensor` with `updates` added at `indices` (duplicates add up).

    Args:
        tensor: the tensor to copy.
        indices: integer coordinates, shape `(..., depth)`.
        updates: the slices to add, shape `indices.shape[:-1] + tensor.shape[depth:]`.

    Returns:
        The updated copy.

    Raises:
        ShapeError: when updates do not fit; InvalidIndexError: a coordinate out of range.

    Example:
        >>> engine.tensor_scatter_nd_add(engine.ones([3]), [[0], [0]], [5.0, 6.0]).numpy()
        array([12.,  1.,  1.], dtype=float32)
    """
    return dispatch(_TENSOR_SCATTER_ADD, (tensor, indices, updates))


# --- segment sums ---------------------------------------------------------------------------
# `num_segments` is an attribute when it is known while tracing (the output's first dimension
# is then known too) and the node's third input, as in TensorFlow, when it is computed by the
# graph (e.g. `shape(params)[0]` in gather's gradient); the first dimension is then unknown.
def segment_infer(op: str, dtypes):
    """Shape inference of a segment reduction `op` over `dtypes` (the unsorted ones here and
    in `segment_ops`): `(num_segments,) + data.shape[segment_ids.ndim:]`."""
    def infer(data, segment_ids, num_segments_input=None, num_segments=0):
        _inf.check_dtype(op, data, dtypes, "data")
        _inf.check_dtype(op, segment_ids, INTEGER, "segment_ids")
        rows = num_segments
        if num_segments_input is not None:
            _inf.check_dtype(op, num_segments_input, INTEGER, "num_segments")
            if num_segments_input.shape.rank not in (None, 0):
                raise ShapeError(f"{op}: got num_segments of shape {num_segments_input.shape}; "
                                 "expected a scalar.")
            rows = None
        if data.shape.rank is None or segment_ids.shape.rank is None:
            return TensorSpec(None, data.dtype)
        k = segment_ids.shape.rank
        if k > data.shape.rank or not data.shape[:k].is_compatible_with(segment_ids.shape):
            raise ShapeError(f"{op}: data of shape {data.shape} does not start with the shape "
                             f"of segment_ids {segment_ids.shape}.")
        if rows is not None and rows < 0:
            raise ShapeError(f"{op}: num_segments is {rows}; expected >= 0.")
        return TensorSpec([rows] + data.shape.as_list()[k:], data.dtype)

    return infer


_segment_infer = segment_infer("unsorted_segment_sum", NUMERIC)


def _segment_vjp(ctx, g):
    segment_ids = ctx.inputs[1]
    no_grads = (None,) * (len(ctx.inputs) - 1)  # segment_ids (and num_segments)
    ids = segment_ids._value
    if not _is_symbolic(segment_ids) and not (ids.size and bool(ids.min() < 0)):
        return (gather(g, segment_ids),) + no_grads
    # Rows with a negative id were dropped: their gradient is zero. In a graph the ids are
    # known only when it runs, so the rule always masks.
    valid = _m.greater_equal(segment_ids, 0)
    picked = gather(g, _m.maximum(segment_ids, 0))  # (ids..., rest...)
    for _ in range(_known_rank("unsorted_segment_sum", g, "the gradient") - 1):
        valid = _a.expand_dims(valid, -1)
    return (where(valid, picked, zeros_like(picked)),) + no_grads


_SEGMENT_SUM = register(OpDef(
    "unsorted_segment_sum", "UnsortedSegmentSum", ("data", "segment_ids", "num_segments"),
    _segment_infer, _gk.unsorted_segment_sum, vjp=_segment_vjp, attrs={"num_segments": 0},
    same_dtype=(), doc="Sums the slices of data that share a segment id."))


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """`output[j] = sum of data[i...] where segment_ids[i...] == j`.

    `segment_ids` must match the leading dimensions of `data`; negative ids are dropped
    (as in TensorFlow); ids >= num_segments are errors.

    Args:
        data: a numeric tensor.
        segment_ids: integer ids, shape `data.shape[:k]`.
        num_segments: the number of output rows: an int or a scalar integer tensor (traced,
            it may be computed by the graph, e.g. `engine.shape(x)[0]`).

    Returns:
        A tensor of shape `(num_segments,) + data.shape[k:]`.

    Example:
        >>> engine.unsorted_segment_sum(engine.constant([1, 2, 3]), [1, 0, 1], 2).numpy()
        array([2, 4], dtype=int32)
    """
    if _is_symbolic(num_segments):
        return dispatch(_SEGMENT_SUM, (data, segment_ids, num_segments))
    return dispatch(_SEGMENT_SUM, (data, segment_ids),
                    {"num_segments": static_int(num_segments, "unsorted_segment_sum")})


def segment_sum(data, segment_ids, name=None):
    """Sums the rows of `data` by sorted 1-D `segment_ids`; `max(ids) + 1` outputs.

    Args:
        data: a numeric tensor.
        segment_ids: sorted non-negative ids, one per row of `data` (symbolic ones, while
            tracing, are not checked; the number of outputs is then known at run time).

    Returns:
        A tensor of shape `(max(segment_ids) + 1,) + data.shape[1:]`.

    Raises:
        InvalidArgumentError: when the ids are not sorted or negative.

    Example:
        >>> engine.segment_sum(engine.constant([1, 2, 3]), [0, 0, 2]).numpy()
        array([3, 0, 3], dtype=int32)
    """
    if _is_symbolic(segment_ids):
        count = _m.add(reduce_max(concat([[-1], segment_ids], axis=0)), 1)
        return unsorted_segment_sum(data, segment_ids, count)
    ids = np.asarray(segment_ids)
    if ids.ndim != 1 or (ids.size and (ids[0] < 0 or np.any(ids[1:] < ids[:-1]))):
        raise InvalidArgumentError(f"segment_sum: segment_ids must be a sorted 1-D vector of "
                                   f"non-negative ids; got {ids.tolist()[:10]}. Use "
                                   "engine.math.unsorted_segment_sum for unsorted ids.")
    return unsorted_segment_sum(data, segment_ids, int(ids[-1]) + 1 if ids.size else 0)


# --- boolean_mask ---------------------------------------------------------------------------
def boolean_mask(tensor, mask, axis=None, name=None):
    """The elements (or slices) of `tensor` where `mask` is True, like NumPy's `x[mask]`.

    `mask` (bool, rank k) covers dimensions `axis .. axis + k - 1` of `tensor`; those
    become one dimension holding the selected entries. Composite: reshape + gather, so the
    gradient scatters back into zeros.

    Args:
        tensor: a tensor.
        mask: a boolean tensor or array (its values must be known: eager).
        axis: the first dimension the mask covers (default 0).

    Returns:
        The selected values.

    Raises:
        ShapeError: when the mask does not match the tensor's dimensions.

    Example:
        >>> engine.boolean_mask(engine.constant([1, 2, 3]), [True, False, True]).numpy()
        array([1, 3], dtype=int32)
    """
    mask_value = np.asarray(mask)
    if mask_value.dtype != np.bool_:
        raise ShapeError(f"boolean_mask: got a mask of dtype {mask_value.dtype}; expected bool."
                         " Compare first, e.g. x > 0.")
    if not isinstance(tensor, Tensor) and not hasattr(tensor, "_read"):
        tensor = convert_to_tensor(tensor)
    dims = concrete_shape(tensor)
    axis = 0 if axis is None else static_int(axis, "boolean_mask axis")
    axis = axis + len(dims) if axis < 0 else axis
    k = mask_value.ndim
    if k == 0 or axis + k > len(dims) or dims[axis:axis + k] != mask_value.shape:
        raise ShapeError(f"boolean_mask: got a mask of shape {mask_value.shape} for a tensor "
                         f"of shape {dims} at axis {axis}; expected the mask's shape to equal "
                         f"tensor.shape[{axis}:{axis + k}] (and a mask of rank >= 1).")
    flat = tensor if k == 1 else _a.reshape(tensor, dims[:axis] + (-1,) + dims[axis + k:])
    return gather(flat, np.flatnonzero(mask_value), axis=axis)
