"""Keras 2 backend reductions (`K.mean`, `K.sum`, `K.argmax`, `K.cumsum`, ...).

Keras 2 rules kept here: `mean`, `std` and `var` of booleans are taken in `floatx()`;
`any` and `all` read their input as booleans; `argmax`/`argmin` default to the last axis
and the cumulative ones to the first.
"""

from __future__ import annotations

import engine as _engine
from engine import convert_to_tensor
from engine import dtypes as _dt
from engine import math as _math

__all__ = ["mean", "sum", "max", "min", "prod", "std", "var", "any", "all", "argmax",
           "argmin", "cumsum", "cumprod"]

_REDUCE_DOC = """{summary}

    Args:
        x: a tensor.
        axis: an axis or list of axes to reduce (None: all).
        keepdims: keep the reduced axes with length 1.

    Returns:
        A tensor.

    Example:
        >>> x = [[1.0, 2.0], [3.0, 6.0]]
        >>> engine.keras.backend.{name}(x, axis=1).numpy().tolist()
        {result}
    """


def _floating(x):
    from engine.keras.backend import floatx  # noqa: PLC0415 - backend re-exports this module

    x = convert_to_tensor(x)
    return _engine.cast(x, floatx()) if x.dtype == _dt.bool else x


def _boolean(x):
    x = convert_to_tensor(x)
    return x if x.dtype == _dt.bool else _engine.cast(x, _dt.bool)


def _reduction(name: str, op, prepare, summary: str, result: str):
    def function(x, axis=None, keepdims=False):
        return op(prepare(x), axis=axis, keepdims=keepdims)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = _REDUCE_DOC.format(summary=summary, name=name, result=result)
    return function


mean = _reduction("mean", _math.reduce_mean, _floating, "The mean along axes.", "[1.5, 4.5]")
sum = _reduction("sum", _math.reduce_sum, convert_to_tensor,  # noqa: A001
                 "The sum along axes.", "[3.0, 9.0]")
max = _reduction("max", _math.reduce_max, convert_to_tensor,  # noqa: A001
                 "The maximum along axes.", "[2.0, 6.0]")
min = _reduction("min", _math.reduce_min, convert_to_tensor,  # noqa: A001
                 "The minimum along axes.", "[1.0, 3.0]")
prod = _reduction("prod", _math.reduce_prod, convert_to_tensor, "The product along axes.",
                  "[2.0, 18.0]")
std = _reduction("std", _math.reduce_std, _floating,
                 "The standard deviation along axes (dividing by n).", "[0.5, 1.5]")
var = _reduction("var", _math.reduce_variance, _floating,
                 "The variance along axes (dividing by n).", "[0.25, 2.25]")
any = _reduction("any", _math.reduce_any, _boolean,  # noqa: A001
                 "Logical or along axes (non-zero values count as True).", "[True, True]")
all = _reduction("all", _math.reduce_all, _boolean,  # noqa: A001
                 "Logical and along axes (non-zero values count as True).", "[True, True]")


def argmax(x, axis=-1):
    """The index of the largest value along an axis.

    Args:
        x: a tensor.
        axis: the axis (default: the last).

    Returns:
        An int64 tensor.

    Example:
        >>> engine.keras.backend.argmax([[1.0, 5.0, 2.0]]).numpy().tolist()
        [1]
    """
    return _math.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """The index of the smallest value along an axis.

    Args:
        x: a tensor.
        axis: the axis (default: the last).

    Returns:
        An int64 tensor.

    Example:
        >>> engine.keras.backend.argmin([[1.0, 5.0, 0.5]]).numpy().tolist()
        [2]
    """
    return _math.argmin(x, axis=axis)


def cumsum(x, axis=0):
    """The running sum along an axis.

    Args:
        x: a tensor.
        axis: the axis (default: the first).

    Returns:
        A tensor of the same shape.

    Example:
        >>> engine.keras.backend.cumsum([1.0, 2.0, 3.0]).numpy().tolist()
        [1.0, 3.0, 6.0]
    """
    return _math.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    """The running product along an axis.

    Args:
        x: a tensor.
        axis: the axis (default: the first).

    Returns:
        A tensor of the same shape.

    Example:
        >>> engine.keras.backend.cumprod([1.0, 2.0, 3.0]).numpy().tolist()
        [1.0, 2.0, 6.0]
    """
    return _math.cumprod(x, axis=axis)
