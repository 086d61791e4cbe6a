"""TensorFlow 2's static assertions and predicates: dtype checks, iterables, monotonicity.

These never add an `Assert` node: `assert_integer` and `assert_type` check what is known
while tracing (or at once, eagerly) and raise `DTypeError` (a TypeError);
`assert_proper_iterable` raises TypeError; `is_numeric_tensor` returns a Python bool and
`is_non_decreasing` / `is_strictly_increasing` return a scalar boolean tensor. They are
re-exported by `engine.ops.assert_ops`, which holds the `Assert` op and the value checks.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import tensor_or_variable
from engine.errors import DTypeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops.reduce_ops import reduce_all
from engine.registry import INTEGER, NUMERIC, REAL
from engine.tensor import Tensor

__all__ = [
    "assert_integer", "assert_type", "assert_proper_iterable", "is_numeric_tensor",
    "is_non_decreasing", "is_strictly_increasing",
]




def _header(message, text: str) -> str:
    return f"{message}\n{text}" if message else text


# --- dtypes ----------------------------------------------------------------------------------

def _dtype_check(api: str, what: str, dtype, ok: bool, expected: str, message) -> None:
    if not ok:
        raise DTypeError(_header(message, f"{api}: {what} has dtype {dtype.name}; expected "
                                          f"{expected}."))


def assert_integer(x, message=None, name=None) -> None:
    """Asserts that `x` has an integer dtype (a static check: DTypeError, a TypeError).

    Args:
        x: a tensor.
        message: text to put first in the error message.
        name: ignored.

    Example:
        >>> engine.debugging.assert_integer(engine.constant([1, 2]))
        >>> engine.debugging.assert_integer(engine.constant([1.0]))
        Traceback (most recent call last):
        ...
        engine.errors.DTypeError: assert_integer: x has dtype float32; expected an integer ...
    """
    dtype = tensor_or_variable(x).dtype
    _dtype_check("assert_integer", "x", dtype, dtype in INTEGER,
                 "an integer dtype (cast it with engine.cast)", message)


def assert_type(tensor, tf_type, message=None, name=None) -> None:
    """Asserts that `tensor` has dtype `tf_type` (a static check: DTypeError, a TypeError).

    Args:
        tensor: a tensor or variable.
        tf_type: the expected dtype.
        message: text to put first in the error message.
        name: ignored.

    Example:
        >>> engine.debugging.assert_type(engine.constant([1.0]), engine.float32)
        >>> engine.debugging.assert_type(engine.constant([1]), engine.float32)
        Traceback (most recent call last):
        ...
        engine.errors.DTypeError: assert_type: tensor has dtype int32; expected float32.
    """
    dtype, expected = tensor_or_variable(tensor).dtype, _dt.as_dtype(tf_type)
    _dtype_check("assert_type", "tensor", dtype, dtype is expected, expected.name, message)



# --- iterables and predicates ----------------------------------------------------------------
def assert_proper_iterable(values) -> None:
    """Asserts that `values` is an iterable of values, not a tensor, array or string.

    Args:
        values: the object to check.

    Raises:
        TypeError: if `values` is a tensor, an array, a string, or not iterable.

    Example:
        >>> engine.debugging.assert_proper_iterable([engine.constant(1), 2])
        >>> engine.debugging.assert_proper_iterable(engine.constant([1, 2]))
        Traceback (most recent call last):
        ...
        TypeError: assert_proper_iterable: got Tensor; expected an iterable of values ...
    """
    single = (Tensor, np.ndarray, np.generic, str, bytes)
    if isinstance(values, single) or hasattr(values, "_read") or not hasattr(values,
                                                                             "__iter__"):
        raise TypeError(f"assert_proper_iterable: got {type(values).__name__}; expected an "
                        "iterable of values (a list, tuple or set), not a tensor, array, "
                        "string or single value.")


def is_numeric_tensor(tensor) -> bool:
    """Whether `tensor` is a tensor with a numeric (not bool or string) dtype.

    Args:
        tensor: any object.

    Returns:
        A Python bool.

    Example:
        >>> engine.debugging.is_numeric_tensor(engine.constant([1.0]))
        True
        >>> engine.debugging.is_numeric_tensor(engine.constant([True]))
        False
    """
    return isinstance(tensor, Tensor) and tensor.dtype in NUMERIC


def _monotone(api: str, compare, relation: str, example: str, result: str):
    def check(x, name=None):
        x = tensor_or_variable(x)
        _inf.check_dtype(api, x, REAL, "x")
        flat = _a.reshape(x, [-1])
        return reduce_all(compare(flat[:-1], flat[1:]))

    check.__name__ = check.__qualname__ = api
    check.__doc__ = f"""Whether each entry of `x` (flattened) is {relation} the one before.

    Args:
        x: a real numeric tensor (fewer than 2 entries: True).
        name: ignored.

    Returns:
        A scalar boolean tensor.

    Example:
        >>> engine.debugging.{api}({example}).numpy()
        {result}
    """
    return check


is_non_decreasing = _monotone("is_non_decreasing", _m.less_equal, ">=", "[1, 2, 2]",
                              "np.True_")
is_strictly_increasing = _monotone("is_strictly_increasing", _m.less, ">", "[1, 2, 2]",
                                   "np.False_")
