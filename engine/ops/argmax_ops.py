"""argmax and argmin: the index of the largest / smallest value along one axis.

Primitives (TensorFlow's raw ops): ArgMax, ArgMin. Ties give the first index. They are
not differentiable (an index has no gradient), so the tape does not record them.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.errors import DTypeError, ShapeError
from engine.ops import infer as _inf
from engine.ops import static_args as _sa
from engine.registry import BOOL, REAL, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["argmax", "argmin"]


# TensorFlow's ArgMax/ArgMin accept these index dtypes.
_OUTPUT_TYPES = (_dt.int16, _dt.uint16, _dt.int32, _dt.int64)


def _arg_infer(name):
    def infer(x, axis=0, output_type=_dt.int64):
        _inf.check_dtype(name, x, REAL | BOOL)
        out_type = _dt.as_dtype(output_type)
        if out_type not in _OUTPUT_TYPES:
            raise DTypeError(f"{name}: got output_type {out_type.name}; expected int16, "
                             "uint16, int32 or int64.")
        rank = x.shape.rank
        if rank is None:
            return TensorSpec(None, out_type)
        if rank == 0:
            raise ShapeError(f"{name}: got a scalar; expected a tensor of rank >= 1.")
        axis = _inf.normalize_axis(name, axis, rank)
        if x.shape[axis] == 0:
            raise ShapeError(f"{name}: axis {axis} of shape {x.shape} is empty; there is no "
                             "index to return. Check the input's shape.")
        return TensorSpec([d for i, d in enumerate(x.shape) if i != axis], out_type)

    return infer


def _arg_op(name: str, tf_name: str, extreme: str) -> OpDef:
    """Registers argmax or argmin; `name` is also the array-module function's name."""

    def kernel(xp, x, axis=0, output_type=_dt.int64):
        if x.ndim == 0 or _dt.as_dtype(output_type) not in _OUTPUT_TYPES:
            # NumPy would return 0 for a scalar and cast to any dtype; `infer` says why not
            raise ValueError(f"{name}: invalid input rank or output_type")
        index = getattr(xp, name)(x, axis=axis)
        return index.astype(_dt.as_dtype(output_type)._np, copy=False)

    return register(OpDef(name, tf_name, ("input",), _arg_infer(name), kernel,
                          attrs={"axis": 0, "output_type": _dt.int64}, dtypes=REAL | BOOL,
                          tf_args={"dimension": "axis"},
                          doc=f"Index of the {extreme} element along an axis (first on ties)."))


_ARGMAX = _arg_op("argmax", "ArgMax", "largest")
_ARGMIN = _arg_op("argmin", "ArgMin", "smallest")


def _arg_attrs(axis, output_type) -> dict:
    axis = _sa.static_axis(axis)
    return {"axis": 0 if axis is None else int(axis), "output_type": _dt.as_dtype(output_type)}


def argmax(input, axis=None, output_type=_dt.int64, name=None):
    """The index of the largest value along `axis` (0 when None); the first one on ties.

    Args:
        input: a real or bool tensor.
        axis: the axis to search (an int; None means 0, as in TF).
        output_type: int64 (default, as in TF), int32, int16 or uint16.
        name: ignored in eager mode.

    Returns:
        An integer tensor with `axis` removed. Not differentiable.

    Example:
        >>> engine.argmax(engine.constant([[1, 5], [7, 4]]), axis=1).numpy()
        array([1, 0])
    """
    return dispatch(_ARGMAX, (input,), _arg_attrs(axis, output_type))


def argmin(input, axis=None, output_type=_dt.int64, name=None):
    """The index of the smallest value along `axis` (0 when None); the first one on ties.

    Args:
        input: a real or bool tensor.
        axis: the axis to search (an int; None means 0, as in TF).
        output_type: int64 (default, as in TF), int32, int16 or uint16.
        name: ignored in eager mode.

    Returns:
        An integer tensor with `axis` removed. Not differentiable.

    Example:
        >>> engine.argmin(engine.constant([[1, 5], [7, 4]]), axis=1).numpy()
        array([0, 1])
    """
    return dispatch(_ARGMIN, (input,), _arg_attrs(axis, output_type))

