"""Reductions composed of the primitive ones: logsumexp, variance, std and count_nonzero.

As in TensorFlow these are not ops of their own: each is a few calls of `reduce_ops`'
primitives and elementwise math, so the gradients come from those.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.fill_ops import zeros_like
from engine.ops.reduce_ops import reduce_max, reduce_mean, reduce_sum
from engine.ops.select_ops import where
from engine.ops.shape_ops import shape
from engine.registry import FLOAT

__all__ = ["reduce_logsumexp", "reduce_variance", "reduce_std", "count_nonzero"]


def _float_input(op: str, x):
    """`x` as a tensor; DTypeError naming `op` unless it is floating."""
    x = convert_to_tensor(x)
    _inf.check_dtype(op, x, FLOAT)
    return x


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) along `axis`, computed without overflow.

    Subtracts the (finite) maximum before exponentiating, as TensorFlow does; the
    gradient is softmax(x) along the reduced axes.

    Args:
        input_tensor: a floating tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Raises:
        DTypeError: for a non-floating input.

    Example:
        >>> round(float(engine.reduce_logsumexp(engine.constant([0.0, 0.0]))), 6)
        0.693147
    """
    x = _float_input("reduce_logsumexp", input_tensor)
    raw_max = reduce_max(x, axis, keepdims=True)
    shift = _a.stop_gradient(where(_u.is_finite(raw_max), raw_max, zeros_like(raw_max)))
    out = _u.log(reduce_sum(_u.exp(_m.subtract(x, shift)), axis, keepdims=keepdims))
    if not keepdims:
        dims = out._value.shape  # None (unknown rank) or with None entries while tracing
        known = dims is not None and None not in dims
        shift = _a.reshape(shift, tuple(dims) if known else shape(out))
    return _m.add(out, shift)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The (biased, divide-by-N) variance of `input_tensor` along `axis`.

    Args:
        input_tensor: a floating tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Raises:
        DTypeError: for a non-floating input (TF rejects integers too).

    Example:
        >>> float(engine.math.reduce_variance(engine.constant([1.0, 3.0])))
        1.0
    """
    x = _float_input("reduce_variance", input_tensor)
    mean = reduce_mean(x, axis, keepdims=True)
    return reduce_mean(_m.squared_difference(x, mean), axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """The (biased) standard deviation of `input_tensor` along `axis`.

    Args:
        input_tensor: a floating tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        name: ignored in eager mode.

    Returns:
        A tensor of the input's dtype.

    Raises:
        DTypeError: for a non-floating input.

    Example:
        >>> float(engine.math.reduce_std(engine.constant([1.0, 3.0])))
        1.0
    """
    return _u.sqrt(reduce_variance(input_tensor, axis, keepdims))


def count_nonzero(input, axis=None, keepdims=None, dtype=_dt.int64, name=None):
    """The number of non-zero elements of `input` along `axis` (non-empty strings count).

    Args:
        input: a numeric, bool or string tensor.
        axis: None (all axes), an int or a list of ints.
        keepdims: keep the reduced axes with size 1.
        dtype: the integer dtype of the result (int64 by default, as in TF).
        name: ignored in eager mode.

    Returns:
        A tensor of `dtype`.

    Example:
        >>> engine.math.count_nonzero(engine.constant([[0, 1], [2, 0]]), axis=1).numpy()
        array([1, 1])
    """
    x = convert_to_tensor(input)
    zero = b"" if x.dtype is _dt.string else np.zeros((), x.dtype._np)
    flags = _m.cast(_m.not_equal(x, zero), _dt.int64)
    return _m.cast(reduce_sum(flags, axis, keepdims=bool(keepdims)), dtype)
