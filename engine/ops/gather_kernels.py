"""Array-level kernels of the gather, scatter and segment-sum ops, written against `xp`.

Each kernel has the `OpDef` signature `kernel(xp, *arrays, **attrs)`; `gather_ops`
registers them. The dense gradient of a gather is a segment sum, so `segment_rows` is
the hot path of every Embedding layer: a sparse matrix product when SciPy is installed,
a stable sort + `add.reduceat` otherwise (`np.add.at` is several times slower); on a GPU,
CuPy's atomic `add.at` (its `scatter_add`, deprecated in CuPy 14).

Index checks: as in TensorFlow on CPUs, an index outside `[0, size)` (negative ones too)
raises `InvalidIndexError`, naming the first bad entry. The checks run on NumPy only; on
a GPU they would wait for the device, so there a bad gather or scatter index wraps around
(CuPy's indexing) and `unsorted_segment_sum` drops ids outside [0, num_segments).
"""

from __future__ import annotations

import math

import numpy as np

from engine.errors import InvalidArgumentError, InvalidIndexError
from engine.ops.eager_jit import PROVIDERS
from engine.ops.widening import BFLOAT16

_SPARSE_DTYPES = frozenset(np.dtype(t) for t in ("float32", "float64", "complex64",
                                                 "complex128"))
_scipy_sparse = None  # scipy.sparse, False when missing, None until first asked


def _load_scipy_sparse():
    """scipy.sparse if installed (imported on first use, not with the engine), else False."""
    global _scipy_sparse
    if _scipy_sparse is None:
        try:
            import scipy.sparse as sparse  # noqa: PLC0415 - optional, imported lazily
        except ImportError:
            sparse = False
        _scipy_sparse = sparse
    return _scipy_sparse


def segment_rows(xp, rows, ids, num: int):
    """`out[j] = sum(rows[i] for ids[i] == j)` for 2-D `rows` and ids in [0, num).

    The Embedding-gradient hot path: ~30 us for 3200 rows of 64 floats on a CPU with SciPy,
    ~150 us with the NumPy fallback, ~1.3 ms with `np.add.at`.
    """
    n, width = rows.shape
    if rows.dtype is BFLOAT16:  # bfloat16 sums stall past 256 terms: add in float32
        return segment_rows(xp, rows.astype(np.float32), ids, num).astype(rows.dtype)
    if xp is not np:
        return _scatter_add_rows(xp, rows, ids, num)
    if n == 0 or num == 0 or width == 0:
        return np.zeros((num, width), dtype=rows.dtype)
    provider = PROVIDERS.get("segment_rows")  # a compiled loop, same bits (eager_jit)
    out = provider(rows, ids, num) if provider is not None else None
    if out is not None:
        return out
    sparse = _load_scipy_sparse() if rows.dtype in _SPARSE_DTYPES else False
    if sparse:
        # A (num, n) matrix with one 1 per column: column i puts row i into segment ids[i].
        ones = np.ones(n, dtype=rows.dtype)
        matrix = sparse.csc_matrix((ones, ids, np.arange(n + 1)), shape=(num, n))
        return np.asarray(matrix @ rows)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts_flag = np.empty(n, dtype=bool)
    starts_flag[0] = True
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=starts_flag[1:])
    starts = np.flatnonzero(starts_flag)
    sums = np.add.reduceat(np.take(rows, order, axis=0), starts, axis=0)
    out = np.zeros((num, width), dtype=rows.dtype)
    out[sorted_ids[starts]] = sums
    return out


# CuPy's add.at (CUDA atomicAdd) takes only these dtypes; the others are added as one of
# them: complex as (real, imag) float pairs, int64 as uint64 (two's complement sums wrap the
# same way), narrow integers and bools widened to 32 bits and narrowed back (wrapping, as
# NumPy's sums do; a bool sum is "any").
_ATOMIC_ADD_DTYPES = frozenset(np.dtype(t) for t in ("float16", "float32", "float64", "int32",
                                                     "uint32", "uint64"))
_ATOMIC_ADD_AS = {np.dtype("int64"): np.dtype("uint64"),
                  np.dtype("complex64"): np.dtype("float32"),
                  np.dtype("complex128"): np.dtype("float64")}


def _scatter_add_rows(xp, rows, ids, num: int):
    """`segment_rows` on a GPU: an atomic scatter-add of the rows into zeros (num, width)."""
    dtype = rows.dtype
    out = xp.zeros((num, rows.shape[1]), dtype=dtype)
    if rows.size == 0 or num == 0:
        return out
    if dtype in _ATOMIC_ADD_DTYPES:
        xp.add.at(out, ids, rows)
        return out
    view = _ATOMIC_ADD_AS.get(dtype)
    if view is not None:  # same bytes, an atomic-add dtype: complex64 -> float32 pairs, ...
        xp.add.at(out.view(view), ids, xp.ascontiguousarray(rows).view(view))
        return out
    wide = np.dtype("uint32") if dtype.kind == "u" else np.dtype("int32")
    total = xp.zeros(out.shape, dtype=wide)
    xp.add.at(total, ids, rows.astype(wide))
    return total.astype(dtype)


# --- index checks -----------------------------------------------------------------------------
def _range_error(op: str, what: str, indices, limits) -> InvalidIndexError:
    """Names the first index outside [0, limit) (limits broadcast against indices)."""
    bad = (indices < 0) | (indices >= limits)
    pos = tuple(int(i) for i in np.argwhere(bad)[0])
    limit = int(np.broadcast_to(limits, indices.shape)[pos])
    text = ", ".join(str(p) for p in pos)
    return InvalidIndexError(
        f"{op}: indices[{text}] = {int(indices[pos])} is not in [0, {limit}) ({what}). "
        "Negative indices are not allowed; check the index range (e.g. an Embedding's "
        "input_dim).", op=op)


def check_range(xp, op: str, indices, limit: int, axis: int) -> None:
    """Raises InvalidIndexError unless 0 <= indices < limit."""
    if xp is np and indices.size and (indices.min() < 0 or indices.max() >= limit):
        raise _range_error(op, f"params.shape[{axis}] = {limit}", indices, limit)


def _check_coordinates(xp, op: str, indices, limits: tuple, what: str) -> None:
    """Raises InvalidIndexError unless 0 <= indices[..., k] < limits[k] for every k."""
    if xp is np and indices.size and ((indices < 0).any() or (indices >= limits).any()):
        raise _range_error(op, f"{what} = {limits}", indices, np.asarray(limits, np.int64))


def _check_indices(op: str, indices) -> None:
    """Coordinates need an integer dtype and a last axis (infer explains the failure)."""
    if indices.dtype.kind not in "iu" or indices.ndim == 0:
        raise TypeError(f"{op}: bad indices")


# --- gather -----------------------------------------------------------------------------------
def gather(xp, params, indices, axis=0, batch_dims=0):
    """GatherV2: `params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis+1:]`."""
    if indices.dtype.kind not in "iu" or params.ndim == 0:
        raise TypeError("gather: bad params or indices")
    axis = axis + params.ndim if axis < 0 else axis
    b = batch_dims + indices.ndim if batch_dims < 0 else batch_dims
    check_range(xp, "gather", indices, params.shape[axis], axis)
    if b == 0:
        return xp.take(params, indices, axis=axis)
    if params.shape[:b] != indices.shape[:b] or b > axis:
        raise ValueError("gather: batch dimensions differ")
    batch = params.shape[:b]
    n = math.prod(batch)
    p = params.reshape((n,) + params.shape[b:])              # (n, pre..., N, post...)
    ind = indices.reshape((n,) + indices.shape[b:])          # (n, I...)
    a = axis - b + 1
    rows = xp.arange(n).reshape((n,) + (1,) * (ind.ndim - 1))
    gathered = p[(rows,) + (slice(None),) * (a - 1) + (ind,)]  # (n, I..., pre..., post...)
    n_i, n_pre = ind.ndim - 1, a - 1
    perm = ((0,) + tuple(range(1 + n_i, 1 + n_i + n_pre)) + tuple(range(1, 1 + n_i))
            + tuple(range(1 + n_i + n_pre, gathered.ndim)))
    out_shape = params.shape[:axis] + indices.shape[b:] + params.shape[axis + 1:]
    return gathered.transpose(perm).reshape(out_shape)


def gather_nd(xp, params, indices, batch_dims=0):
    """GatherNd: `indices[..., :]` are coordinates into `params.shape[b:b + depth]`."""
    _check_indices("gather_nd", indices)
    depth, b = indices.shape[-1], batch_dims
    if b + depth > params.ndim or params.shape[:b] != indices.shape[:b]:
        raise ValueError("gather_nd: indices do not fit params")
    limits = params.shape[b:b + depth]
    _check_coordinates(xp, "gather_nd", indices, limits, f"params.shape[{b}:{b + depth}]")
    out_shape = indices.shape[:-1] + params.shape[b + depth:]
    if depth == 0:
        return xp.broadcast_to(params, out_shape).copy()
    if b == 0:
        return params[tuple(indices[..., k] for k in range(depth))]
    n = math.prod(params.shape[:b])
    p = params.reshape((n,) + params.shape[b:])
    ind = indices.reshape((n, math.prod(indices.shape[b:-1]), depth))
    rows = xp.arange(n).reshape((n, 1))
    return p[(rows,) + tuple(ind[..., k] for k in range(depth))].reshape(out_shape)


# --- scatter ----------------------------------------------------------------------------------
def _check_scatter(xp, op: str, shape: tuple, indices, updates) -> int:
    """Validates a scatter's indices and updates against `shape`; returns the depth."""
    _check_indices(op, indices)
    depth = indices.shape[-1]
    if depth > len(shape) or updates.shape != indices.shape[:-1] + shape[depth:]:
        raise ValueError(f"{op}: updates do not fit")
    _check_coordinates(xp, op, indices, shape[:depth], f"shape[:{depth}]")
    return depth


def _scatter_rows(xp, op: str, shape: tuple, indices, updates):
    """Validated (linear ids, 2-D rows, number of slots, slot width) for a scatter."""
    depth = _check_scatter(xp, op, shape, indices, updates)
    outer, inner = shape[:depth], shape[depth:]
    strides = [math.prod(outer[k + 1:]) for k in range(depth)]
    ids = indices.reshape(math.prod(indices.shape[:-1]), depth).astype(np.int64, copy=False)
    linear = ids[:, 0] * strides[0] if depth else xp.zeros(ids.shape[0], np.int64)
    for k in range(1, depth):
        linear = linear + ids[:, k] * strides[k]
    width = math.prod(inner)
    return linear, updates.reshape((linear.shape[0], width)), math.prod(outer), width


def scatter_nd(xp, indices, updates, shape=()):
    """ScatterNd: adds `updates` into zeros of `shape` at the coordinates `indices`."""
    linear, rows, slots, _ = _scatter_rows(xp, "scatter_nd", tuple(shape), indices, updates)
    return segment_rows(xp, rows, linear, slots).reshape(shape)


def tensor_scatter_update(xp, tensor, indices, updates):
    """TensorScatterUpdate: a copy of `tensor` with the slices at `indices` replaced."""
    _check_scatter(xp, "tensor_scatter_nd_update", tensor.shape, indices, updates)
    out = tensor.copy()
    out[tuple(indices[..., k] for k in range(indices.shape[-1]))] = updates
    return out


def tensor_scatter_add(xp, tensor, indices, updates):
    """TensorScatterAdd: a copy of `tensor` with `updates` added at `indices`."""
    op = "tensor_scatter_nd_add"
    linear, rows, slots, width = _scatter_rows(xp, op, tensor.shape, indices, updates)
    added = segment_rows(xp, rows, linear, slots)
    return (tensor.reshape((slots, width)) + added).reshape(tensor.shape)


# --- segment sums -----------------------------------------------------------------------------
def unsorted_segment_sum(xp, data, segment_ids, num_segments_input=None, num_segments=0):
    """UnsortedSegmentSum: sums the slices of `data` by id; negative ids are dropped.

    `num_segments_input`, a scalar array, replaces the attribute when a graph computed it.
    """
    if num_segments_input is not None:
        if num_segments_input.ndim or num_segments_input.dtype.kind not in "iu":
            raise ValueError("unsorted_segment_sum: bad num_segments")  # infer explains
        num_segments = int(num_segments_input)
        if num_segments < 0:
            raise InvalidArgumentError(f"unsorted_segment_sum: num_segments is {num_segments};"
                                       " expected >= 0.", op="unsorted_segment_sum")
    k = segment_ids.ndim
    if segment_ids.dtype.kind not in "iu" or data.shape[:k] != segment_ids.shape:
        raise ValueError("unsorted_segment_sum: bad segment_ids")
    rest = data.shape[k:]
    ids = segment_ids.reshape(-1)
    rows = data.reshape((ids.shape[0], math.prod(rest)))
    if xp is np and ids.size:
        if ids.max() >= num_segments:
            raise _range_error("unsorted_segment_sum", f"num_segments = {num_segments}",
                              np.maximum(segment_ids, 0), num_segments)
        if ids.min() < 0:  # TensorFlow drops negative ids
            keep = ids >= 0
            ids, rows = ids[keep], rows[keep]
    elif xp is not np:
        # No checks on a GPU (they would wait for it): ids outside [0, num_segments) are
        # dropped, as TensorFlow's GPU kernel does, instead of wrapping around.
        keep = (ids >= 0) & (ids < num_segments)
        rows = rows * keep.reshape(-1, 1).astype(rows.dtype)
        ids = xp.where(keep, ids, 0)
    return segment_rows(xp, rows, ids, num_segments).reshape((num_segments,) + rest)
