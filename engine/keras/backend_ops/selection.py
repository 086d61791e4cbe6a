"""Keras 2 backend selection functions: `gather`, `one_hot`, `switch`, `in_top_k`.

Keras 2's rule kept here: `switch` lines a lower-rank condition up with the leading axes
of the branches (a per-sample condition selects whole rows).
"""

from __future__ import annotations

import engine as _engine
from engine import convert_to_tensor
from engine import dtypes as _dt
from engine import math as _math

__all__ = ["gather", "one_hot", "switch", "in_top_k"]


def gather(reference, indices):
    """The rows `reference[indices]` (along the first axis).

    Args:
        reference: a tensor.
        indices: an int tensor of row indices.

    Returns:
        A tensor of shape `indices.shape + reference.shape[1:]`.

    Example:
        >>> engine.keras.backend.gather([10, 20, 30], [2, 0]).numpy().tolist()
        [30, 10]
    """
    return _engine.gather(reference, indices)


def one_hot(indices, num_classes):
    """One-hot vectors for integer `indices`: a new last axis of `num_classes`.

    Args:
        indices: an int tensor.
        num_classes: the length of the new axis.

    Returns:
        A float32 tensor.

    Example:
        >>> engine.keras.backend.one_hot([0, 2], 3).numpy().tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    return _engine.one_hot(indices, num_classes)


def switch(condition, then_expression, else_expression):
    """Picks `then_expression` where `condition` holds and `else_expression` elsewhere.

    The branches may be tensors or functions of no arguments. A condition of lower rank
    than the branches is lined up with their leading axes (Keras 2's rule), e.g. a
    per-sample `(batch,)` condition for `(batch, units)` branches.

    Args:
        condition: a bool tensor (or a scalar).
        then_expression: a tensor, or a function returning one.
        else_expression: a tensor, or a function returning one.

    Returns:
        A tensor.

    Example:
        >>> cond = np.array([True, False])
        >>> engine.keras.backend.switch(cond, np.ones((2, 2)), np.zeros((2, 2))).numpy()
        array([[1., 1.],
               [0., 0.]])
    """
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    condition = convert_to_tensor(condition)
    if condition.dtype != _dt.bool:
        condition = _math.not_equal(condition, 0)
    then_value, else_value = convert_to_tensor(then_value), convert_to_tensor(else_value)
    extra = max(len(then_value.shape), len(else_value.shape)) - len(condition.shape)
    if len(condition.shape) and extra > 0:
        condition = _engine.reshape(condition, _engine.concat(
            [_engine.shape(condition), [1] * extra], 0))
    return _engine.where(condition, then_value, else_value)


def in_top_k(predictions, targets, k):
    """Whether each target class is among the `k` highest predictions of its row.

    Args:
        predictions: a float tensor `(batch, classes)`.
        targets: an int tensor `(batch,)` of class indices.
        k: how many top predictions count.

    Returns:
        A bool tensor `(batch,)`.

    Example:
        >>> scores = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]
        >>> engine.keras.backend.in_top_k(scores, [2, 0], 2).numpy().tolist()
        [True, True]
    """
    return _math.in_top_k(targets, predictions, k)
