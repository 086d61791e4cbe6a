"""Shape queries: `shape`, `size` and `rank` of a tensor, as integer tensors.

Eagerly, and while tracing when the shape is fully known, the answers are constants. The
`Shape` and `Size` ops run only in graphs where some dimension is known only at run time;
`engine.ops.shape_tensors` reads what tracing knows of them back into static shapes.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.registry import OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["shape", "size", "rank"]


# --- shape queries -------------------------------------------------------------------------
# Eagerly, and while tracing when the shape is fully known, the answers are constants. The
# ops run only in graphs where some dimension is known only at run time.
def _shape_infer(x, out_type="int32"):
    return TensorSpec([x.shape.rank], _dt.as_dtype(out_type))


def _shape_kernel(xp, x, out_type="int32"):
    return xp.asarray(x.shape, dtype=_dt.as_dtype(out_type)._np)


def _size_kernel(xp, x, out_type="int32"):
    return xp.asarray(x.size, dtype=_dt.as_dtype(out_type)._np)


_SHAPE = register(OpDef("shape", "Shape", ("input",), _shape_infer, _shape_kernel,
                        attrs={"out_type": "int32"},
                        doc="The shape of a tensor as a 1-D integer tensor."))
_SIZE = register(OpDef("size", "Size", ("input",),
                       lambda x, out_type="int32": TensorSpec([], _dt.as_dtype(out_type)),
                       _size_kernel, attrs={"out_type": "int32"},
                       doc="The number of elements of a tensor."))


def _out_type(out_type, caller: str) -> str:
    dtype = _dt.as_dtype(out_type)
    if dtype not in (_dt.int32, _dt.int64):
        raise ValueError(f"{caller}: out_type must be int32 or int64; got {dtype.name}.")
    return dtype.name


def _static_dims(input):
    """The input's shape as a tuple if fully known, else None (a symbolic tensor)."""
    x = input if isinstance(input, Tensor) else convert_to_tensor(input)
    dims = x._value.shape
    return x, (None if dims is None or None in dims else tuple(dims))


def shape(input, out_type=_dt.int32, name=None):
    """The shape of `input` as a 1-D integer tensor.

    Args:
        input: a tensor or value.
        out_type: int32 or int64.
        name: ignored in eager mode.

    Returns:
        A 1-D tensor of length `rank(input)` (computed when the graph runs if some
        dimension is unknown while tracing).

    Example:
        >>> engine.shape(engine.zeros([2, 3])).numpy()
        array([2, 3], dtype=int32)
    """
    kind = _out_type(out_type, "shape")
    x, dims = _static_dims(input)
    if dims is None:
        return dispatch(_SHAPE, (x,), {"out_type": kind})
    return convert_to_tensor(np.asarray(dims, _dt.as_dtype(kind)._np))


def size(input, out_type=_dt.int32, name=None):
    """The number of elements of `input` as a scalar integer tensor.

    Args:
        input: a tensor or value.
        out_type: int32 or int64.
        name: ignored in eager mode.

    Returns:
        A scalar tensor of `out_type`.

    Example:
        >>> engine.size(engine.zeros([2, 3]))
        <engine.Tensor: shape=(), dtype=int32, numpy=6>
    """
    kind = _out_type(out_type, "size")
    x, dims = _static_dims(input)
    if dims is None:
        return dispatch(_SIZE, (x,), {"out_type": kind})
    return convert_to_tensor(np.asarray(int(np.prod(dims)), _dt.as_dtype(kind)._np))


def rank(input, name=None):
    """The number of dimensions of `input` as a scalar int32 tensor.

    Args:
        input: a tensor or value.
        name: ignored in eager mode.

    Returns:
        A scalar int32 tensor.

    Raises:
        ValueError: while tracing a tensor of unknown rank.

    Example:
        >>> engine.rank(engine.zeros([2, 3]))
        <engine.Tensor: shape=(), dtype=int32, numpy=2>
    """
    ndim = convert_to_tensor(input)._value.ndim
    if ndim is None:
        raise ValueError("rank: the tensor's rank is unknown while tracing; give the "
                         "function an input_signature with a known rank.")
    return convert_to_tensor(np.asarray(ndim, np.int32))
