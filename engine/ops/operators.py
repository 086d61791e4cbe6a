"""Python operators for tensors and variables (`+`, `@`, `<`, `[]`, …).

Installed onto `Tensor` and `Variable` here, above the op definitions, so that
`tensor.py` and `variable.py` need not import the ops. Arithmetic operators use the
dispatch fast paths; `/` follows TensorFlow (integers divide to floats).
"""

from __future__ import annotations

import numbers

import numpy as np

from engine import dtypes as _dt
from engine.ops import math_ops as _m
from engine.ops import matmul_ops as _mm
from engine.ops import unary_ops as _u
from engine.ops.join_ops import unstack
from engine.tensor import Tensor
from engine.variable import Variable


def _truediv(x, y):
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.is_integer:
        return _m.truediv(x, y)
    return _m.divide.fast(x, y)


def _rtruediv(y, x):
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype.is_integer:
        return _m.truediv(x, y)
    return _m.divide.reflected(y, x)


def _logical_or_bitwise(logical, bitwise):
    def operator(x, y):
        return logical(x, y) if x.dtype is _dt.bool else bitwise(x, y)

    def reflected(y, x):
        return logical(x, y) if y.dtype is _dt.bool else bitwise(x, y)

    return operator, reflected


def _invert(x):
    return _u.logical_not(x) if x.dtype is _dt.bool else _u.invert(x)


_COMPARABLE = (Tensor, Variable, numbers.Number, np.ndarray, np.generic, list, tuple)


def _eq(x, y):
    if y is None or not isinstance(y, _COMPARABLE):
        return NotImplemented
    return _m.equal(x, y)


def _ne(x, y):
    if y is None or not isinstance(y, _COMPARABLE):
        return NotImplemented
    return _m.not_equal(x, y)


def _getitem(x, key):
    from engine.ops import slicing_ops  # noqa: PLC0415 - defined above this module

    return slicing_ops.getitem(x, key)


def _iter(x):
    if x.ndim == 0:
        raise TypeError("Cannot iterate over a scalar tensor.")
    return iter(unstack(x))


def _pos(x):
    return x if isinstance(x, Tensor) else x.read_value()


def _install(cls) -> None:
    and_, rand_ = _logical_or_bitwise(_m.logical_and, _m.bitwise_and)
    or_, ror_ = _logical_or_bitwise(_m.logical_or, _m.bitwise_or)
    xor_, rxor_ = _logical_or_bitwise(_m.logical_xor, _m.bitwise_xor)
    table = {
        "__add__": _m.add.fast, "__radd__": _m.add.reflected,
        "__sub__": _m.subtract.fast, "__rsub__": _m.subtract.reflected,
        "__mul__": _m.multiply.fast, "__rmul__": _m.multiply.reflected,
        "__truediv__": _truediv, "__rtruediv__": _rtruediv,
        "__floordiv__": _m.floordiv.fast, "__rfloordiv__": _m.floordiv.reflected,
        "__mod__": _m.floormod.fast, "__rmod__": _m.floormod.reflected,
        "__pow__": _m.pow.fast, "__rpow__": _m.pow.reflected,
        "__matmul__": _mm._matmul_fast, "__rmatmul__": _mm._rmatmul_fast,
        "__lt__": _m.less.fast, "__le__": _m.less_equal.fast,
        "__gt__": _m.greater.fast, "__ge__": _m.greater_equal.fast,
        "__eq__": _eq, "__ne__": _ne,
        "__and__": and_, "__rand__": rand_, "__or__": or_, "__ror__": ror_,
        "__xor__": xor_, "__rxor__": rxor_,
        "__neg__": _u.negative.fast, "__abs__": _u.abs.fast, "__invert__": _invert,
        "__pos__": _pos, "__getitem__": _getitem, "__iter__": _iter,
    }
    for name, fn in table.items():
        setattr(cls, name, fn)


_install(Tensor)
_install(Variable)


def _variable_getitem(variable, key):
    """`variable[key]`: the slice read now, which can also write itself back
    (`v[0].assign(1.0)`, see `engine.ops.slice_update_ops`)."""
    out = _getitem(variable, key)
    if isinstance(out, Tensor):
        out._variable_slice = (variable, key)
    return out


Variable.__getitem__ = _variable_getitem
