"""Keras 2 backend shape and indexing functions (`K.dot`, `K.batch_dot`, `K.reshape`, ...).

Keras 2 rules kept here: `dot` of N-D tensors contracts the last axis of `x` with the
second-to-last of `y` (Theano's rule); `batch_dot` keeps the batch axis and returns
`(batch, 1)` where the result would be 1-D; `repeat` adds an axis.
"""

from __future__ import annotations

import string

import engine as _engine
from engine import convert_to_tensor, einsum, tensordot
from engine import dtypes as _dt

__all__ = ["dot", "batch_dot", "transpose", "permute_dimensions", "reshape", "expand_dims",
           "squeeze", "concatenate", "stack", "flatten", "batch_flatten", "shape",
           "int_shape", "ndim", "dtype", "tile", "repeat", "repeat_elements", "reverse",
           "arange"]


def _rank(x) -> int:
    return len(convert_to_tensor(x).shape)


def dot(x, y):
    """The matrix product, extended to N-D as Keras 2 does (Theano's rule).

    For N-D inputs the last axis of `x` is contracted with the second-to-last axis of
    `y` (the only axis of a 1-D `y`): shapes `(2, 3, 4)` and `(5, 4, 6)` give
    `(2, 3, 5, 6)`.

    Args:
        x: a tensor.
        y: a tensor.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.dot(np.ones((2, 3, 4)), np.ones((5, 4, 6))).shape
        TensorShape([2, 3, 5, 6])
    """
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    if len(x.shape) <= 2 and len(y.shape) <= 2:
        return tensordot(x, y, axes=1)
    return tensordot(x, y, axes=[[len(x.shape) - 1], [max(len(y.shape) - 2, 0)]])


def _batch_axes(axes, x_rank: int, y_rank: int) -> tuple:
    if axes is None:
        axes = (x_rank - 1, y_rank - 2 if y_rank > 2 else y_rank - 1)
    elif isinstance(axes, int):
        axes = (axes, axes)
    a, b = (int(v) % rank if int(v) < 0 else int(v) for v, rank in zip(axes, (x_rank, y_rank)))
    if a == 0 or b == 0:
        raise ValueError(f"batch_dot: axes={axes!r} includes the batch axis 0; pick axes "
                         "of the per-sample dimensions (>= 1).")
    return a, b


def batch_dot(x, y, axes=None):
    """Per-sample dot products: `x[i]` and `y[i]` contracted along `axes`.

    Args:
        x: a tensor `(batch, ...)` of rank >= 2.
        y: a tensor `(batch, ...)` of rank >= 2.
        axes: an int (the same axis of both) or a pair `(axis_of_x, axis_of_y)`;
            default: the last axis of `x` and the second-to-last of `y` (a batched
            matmul).

    Returns:
        A tensor `(batch, *x_rest, *y_rest)`, or `(batch, 1)` if that would be 1-D.

    Raises:
        ValueError: for rank-1 inputs, the batch axis in `axes`, or unequal sizes.

    Example:
        >>> x = np.ones((32, 20), "float32")
        >>> engine.keras.backend.batch_dot(x, x, axes=1).shape
        TensorShape([32, 1])
    """
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    x_rank, y_rank = len(x.shape), len(y.shape)
    if x_rank < 2 or y_rank < 2:
        raise ValueError(f"batch_dot: got ranks {x_rank} and {y_rank}; both inputs need a "
                         "batch axis and at least one more axis.")
    a, b = _batch_axes(axes, x_rank, y_rank)
    if x.shape[a] is not None and y.shape[b] is not None and x.shape[a] != y.shape[b]:
        raise ValueError(f"batch_dot: axis {a} of x has {x.shape[a]} entries and axis {b} "
                         f"of y has {y.shape[b]}; they must match.")
    letters = iter(string.ascii_letters[2:])
    x_sub = ["a"] + [next(letters) for _ in range(x_rank - 1)]
    y_sub = ["a"] + [next(letters) for _ in range(y_rank - 1)]
    x_sub[a] = y_sub[b] = "b"
    out = [c for c in x_sub + y_sub if c != "b"]
    out = ["a"] + [c for c in out if c != "a"]
    result = einsum(f"{''.join(x_sub)},{''.join(y_sub)}->{''.join(out)}", x, y)
    return _engine.expand_dims(result, 1) if len(out) == 1 else result


def transpose(x):
    """`x` with its axes reversed (a matrix transpose for 2-D `x`).

    Args:
        x: a tensor.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.transpose(np.ones((2, 3))).shape
        TensorShape([3, 2])
    """
    return _engine.transpose(x)


def permute_dimensions(x, pattern):
    """`x` with its axes reordered by `pattern`.

    Args:
        x: a tensor.
        pattern: a tuple of axis indices, e.g. `(0, 2, 1)`.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.permute_dimensions(np.ones((2, 3, 4)), (0, 2, 1)).shape
        TensorShape([2, 4, 3])
    """
    return _engine.transpose(x, perm=list(pattern))


def reshape(x, shape):
    """`x` with a new shape (one entry may be -1).

    Args:
        x: a tensor.
        shape: the new shape.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.reshape(np.arange(6), (2, -1)).shape
        TensorShape([2, 3])
    """
    return _engine.reshape(x, shape)


def expand_dims(x, axis=-1):
    """`x` with a new axis of length 1 at `axis`.

    Args:
        x: a tensor.
        axis: where the axis goes (default: last).

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.expand_dims(np.ones((2, 3))).shape
        TensorShape([2, 3, 1])
    """
    return _engine.expand_dims(x, axis)


def squeeze(x, axis):
    """`x` without the axis `axis` (which must have length 1).

    Args:
        x: a tensor.
        axis: the axis to remove.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.squeeze(np.ones((2, 1, 3)), 1).shape
        TensorShape([2, 3])
    """
    return _engine.squeeze(x, [axis])


def concatenate(tensors, axis=-1):
    """The tensors joined along an existing axis.

    Args:
        tensors: a list of tensors.
        axis: the axis (default: last).

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.concatenate([np.ones((2, 1)), np.zeros((2, 2))]).shape
        TensorShape([2, 3])
    """
    return _engine.concat(list(tensors), axis)


def stack(x, axis=0):
    """The tensors stacked along a new axis.

    Args:
        x: a list of tensors of one shape.
        axis: where the new axis goes.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.stack([[1, 2], [3, 4]], axis=1).numpy().tolist()
        [[1, 3], [2, 4]]
    """
    return _engine.stack(list(x), axis)


def flatten(x):
    """`x` as a 1-D tensor.

    Args:
        x: a tensor.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.flatten(np.ones((2, 3))).shape
        TensorShape([6])
    """
    return _engine.reshape(x, [-1])


def batch_flatten(x):
    """`x` as `(batch, everything else)`.

    Args:
        x: a tensor of rank >= 1.

    Returns:
        A 2-D tensor.

    Example:
        >>> engine.keras.backend.batch_flatten(np.ones((2, 3, 4))).shape
        TensorShape([2, 12])
    """
    x = convert_to_tensor(x)
    return _engine.reshape(x, _engine.stack([_engine.shape(x)[0], -1]))


def shape(x):
    """The shape of `x` as an int32 tensor (known only at run time inside a function).

    Args:
        x: a tensor.

    Returns:
        A 1-D int32 tensor.

    Example:
        >>> engine.keras.backend.shape(np.ones((2, 3))).numpy().tolist()
        [2, 3]
    """
    return _engine.shape(x)


def int_shape(x):
    """The static shape of `x` as a tuple of ints (None for unknown sizes).

    Args:
        x: a tensor, variable or array.

    Returns:
        A tuple, or None when even the rank is unknown.

    Example:
        >>> engine.keras.backend.int_shape(np.ones((2, 3)))
        (2, 3)
    """
    static = getattr(x, "shape", None)
    if static is None:
        static = convert_to_tensor(x).shape
    if getattr(static, "rank", 0) is None:
        return None
    return tuple(None if d is None else int(d) for d in static)


def ndim(x) -> int:
    """The rank (number of axes) of `x`.

    Args:
        x: a tensor.

    Returns:
        An int.

    Example:
        >>> engine.keras.backend.ndim(np.ones((2, 3)))
        2
    """
    return len(int_shape(x))


def dtype(x) -> str:
    """The dtype of `x`, as a string.

    Args:
        x: a tensor or variable.

    Returns:
        E.g. "float32".

    Example:
        >>> engine.keras.backend.dtype(engine.constant([1, 2]))
        'int32'
    """
    return _dt.as_dtype(convert_to_tensor(x).dtype).name


def tile(x, n):
    """`x` repeated `n[i]` times along each axis `i`.

    Args:
        x: a tensor.
        n: an int (for 1-D `x`) or a list with one count per axis.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.tile([[1, 2]], (2, 1)).numpy().tolist()
        [[1, 2], [1, 2]]
    """
    return _engine.tile(x, [n] if isinstance(n, int) else list(n))


def repeat(x, n):
    """A 2-D `(samples, dim)` tensor repeated into `(samples, n, dim)`.

    Args:
        x: a 2-D tensor.
        n: the number of repetitions.

    Returns:
        A 3-D tensor.

    Raises:
        ValueError: if `x` is not 2-D.

    Example:
        >>> engine.keras.backend.repeat(np.ones((2, 3)), 4).shape
        TensorShape([2, 4, 3])
    """
    x = convert_to_tensor(x)
    if len(x.shape) != 2:
        raise ValueError(f"repeat: got a tensor of shape {x.shape}; expected 2-D "
                         "(samples, dim). Use repeat_elements for other ranks.")
    return _engine.tile(_engine.expand_dims(x, 1), [1, n, 1])


def repeat_elements(x, rep, axis):
    """Each entry of `x` repeated `rep` times along `axis` (NumPy's `np.repeat`).

    Args:
        x: a tensor.
        rep: the number of repetitions.
        axis: the axis.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.repeat_elements([[1, 2]], 2, axis=1).numpy().tolist()
        [[1, 1, 2, 2]]
    """
    return _engine.repeat(x, rep, axis=axis)


def reverse(x, axes):
    """`x` reversed along the given axes.

    Args:
        x: a tensor.
        axes: an int or a list of ints.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.reverse([[1, 2, 3]], axes=1).numpy().tolist()
        [[3, 2, 1]]
    """
    return _engine.reverse(x, [axes] if isinstance(axes, int) else list(axes))


def arange(start, stop=None, step=1, dtype="int32"):
    """A 1-D tensor of evenly spaced values, `start` up to (not including) `stop`.

    With one argument it counts from 0 to `start`, as Python's `range`.

    Args:
        start: the first value (or the end, when `stop` is None).
        stop: the end.
        step: the spacing.
        dtype: the dtype (default int32).

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.arange(4).numpy().tolist()
        [0, 1, 2, 3]
    """
    if stop is None:
        start, stop = 0, start
    return _engine.range(start, stop, step, dtype=dtype)
