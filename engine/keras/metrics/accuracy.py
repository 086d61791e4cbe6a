"""Accuracy metrics: per-sample match functions and the classes that average them.

The functions return 1.0 where a prediction is right and 0.0 where it is wrong, one
value per sample, with Keras 2's rules: `binary_accuracy` thresholds probabilities,
`categorical_accuracy` compares the argmax of one-hot labels and predictions,
`sparse_categorical_accuracy` compares integer labels with the predictions' argmax, and
the top-k variants count a hit when fewer than k classes score higher than the label's
(so ties at the boundary count as hits, as in `engine.math.in_top_k`).
"""

from __future__ import annotations

import engine
from engine.keras.backend import floatx
from engine.keras.losses.inputs import as_tensor, check_broadcastable, match_ranks, shape_text
from engine.keras.metrics.base import MeanMetricWrapper

__all__ = ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "Accuracy",
           "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy"]


def _floats(x):
    x = as_tensor(x)
    return x if x.dtype.is_floating else engine.cast(x, floatx())


def accuracy(y_true, y_pred):
    """1.0 where `y_pred` equals `y_true` exactly, else 0.0 (elementwise).

    Args:
        y_true: labels.
        y_pred: predicted labels (not probabilities), the shape of `y_true`.

    Returns:
        A `floatx()` tensor of matches, shaped like `y_true`.

    Example:
        >>> engine.keras.metrics.accuracy([1, 2, 3, 4], [0, 2, 3, 4]).numpy()
        array([0., 1., 1., 1.], dtype=float32)
    """
    y_true, y_pred = match_ranks(as_tensor(y_true), as_tensor(y_pred))
    if not y_true.shape.is_compatible_with(y_pred.shape):
        raise ValueError(
            f"accuracy: got y_true of shape {shape_text(y_true.shape)} and y_pred of shape "
            f"{shape_text(y_pred.shape)}; expected the same shape (accuracy compares predicted "
            "labels). For class probabilities use categorical_accuracy (one-hot labels) or "
            "sparse_categorical_accuracy (integer labels).")
    if y_pred.dtype != y_true.dtype:
        y_pred = engine.cast(y_pred, y_true.dtype)
    return engine.cast(engine.equal(y_true, y_pred), floatx())


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """The fraction of right binary predictions per sample (`y_pred > threshold` is 1).

    Args:
        y_true: labels, 0 or 1.
        y_pred: probabilities (or scores compared with `threshold`).
        threshold: the decision threshold.

    Returns:
        A `floatx()` tensor, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.metrics.binary_accuracy([[1.0], [1.0], [0.0], [0.0]],
        ...                                      [[0.98], [1.0], [0.0], [0.6]]).numpy()
        array([1., 1., 1., 0.], dtype=float32)
    """
    y_pred = _floats(y_pred)
    y_true = as_tensor(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = engine.cast(y_true, y_pred.dtype)
    y_true, y_pred = match_ranks(y_true, y_pred)
    check_broadcastable("binary_accuracy", y_true, y_pred)
    predicted = engine.cast(engine.greater(y_pred, threshold), y_pred.dtype)
    matches = engine.cast(engine.equal(y_true, predicted), floatx())
    return engine.reduce_mean(matches, axis=-1)


def _check_one_hot(who: str, sparse_name: str, y_true, y_pred) -> None:
    if y_true.shape.is_compatible_with(y_pred.shape):
        return
    raise ValueError(
        f"{who}: got y_true of shape {shape_text(y_true.shape)} and y_pred of shape "
        f"{shape_text(y_pred.shape)}; expected one-hot labels of y_pred's shape. For integer "
        f"class labels use {sparse_name}.")


def _sparse_labels(who: str, y_true, y_pred):
    """`(labels, reshape)`: labels of shape `y_pred.shape[:-1]`; `reshape` if squeezed."""
    a, b = y_true.shape, y_pred.shape
    if a.rank is None or b.rank is None:
        return y_true, False
    squeezed = False
    if a.rank == b.rank:
        if a[-1] not in (1, None):
            raise ValueError(
                f"{who}: got y_true of shape {shape_text(a)} and y_pred of shape "
                f"{shape_text(b)}; y_true looks one-hot, but this metric expects integer "
                f"class indices of shape {shape_text(b[:-1])}. Use the categorical (not "
                "sparse) metric, or engine.argmax(y_true, axis=-1).")
        y_true, squeezed = engine.squeeze(y_true, -1), True
    if not y_true.shape.is_compatible_with(b[:-1]):
        raise ValueError(
            f"{who}: got y_true of shape {shape_text(a)} and y_pred of shape {shape_text(b)}; "
            f"expected integer class indices of shape {shape_text(b[:-1])}.")
    return y_true, squeezed


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the argmax of `y_pred`, else 0.0.

    Args:
        y_true: integer class indices, `y_pred.shape[:-1]` (or with a trailing 1).
        y_pred: class scores or probabilities, classes last.

    Returns:
        A `floatx()` tensor shaped like `y_true`.

    Example:
        >>> engine.keras.metrics.sparse_categorical_accuracy(
        ...     [2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]).numpy()
        array([0., 1.], dtype=float32)
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    labels, squeezed = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    predicted = engine.argmax(y_pred, axis=-1)
    if predicted.dtype != labels.dtype:
        predicted = engine.cast(predicted, labels.dtype)
    matches = engine.cast(engine.equal(labels, predicted), floatx())
    return engine.expand_dims(matches, -1) if squeezed else matches


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of one-hot `y_true` equals the argmax of `y_pred`, else 0.0.

    Args:
        y_true: one-hot labels, the shape of `y_pred`.
        y_pred: class scores or probabilities, classes last.

    Returns:
        A `floatx()` tensor, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.metrics.categorical_accuracy(
        ...     [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]).numpy()
        array([0., 1.], dtype=float32)
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    _check_one_hot("categorical_accuracy", "sparse_categorical_accuracy", y_true, y_pred)
    return sparse_categorical_accuracy(engine.argmax(y_true, axis=-1), y_pred)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the integer label is among the `k` highest scores of `y_pred`, else 0.0.

    Args:
        y_true: integer class indices, `y_pred.shape[:-1]` (or with a trailing 1).
        y_pred: class scores, classes last.
        k: how many of the top scores count as a hit.

    Returns:
        A `floatx()` tensor shaped like `y_true`.

    Example:
        >>> engine.keras.metrics.sparse_top_k_categorical_accuracy(
        ...     [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]], k=1).numpy()
        array([0., 1.], dtype=float32)
    """
    y_true, y_pred = as_tensor(y_true), _floats(y_pred)
    labels, squeezed = _sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
    # A hit when fewer than k classes score strictly higher than the label's class, so ties
    # at the boundary count as hits (TensorFlow's in_top_k); works for any rank.
    classes = y_pred.shape[-1] if y_pred.shape.rank is not None else None
    if classes is None:
        raise ValueError("sparse_top_k_categorical_accuracy: y_pred needs a static number of "
                         f"classes (last axis); got shape {shape_text(y_pred.shape)}.")
    own = engine.one_hot(engine.cast(labels, engine.int32), classes, dtype=y_pred.dtype)
    own_score = engine.reduce_sum(y_pred * own, axis=-1, keepdims=True)
    higher = engine.reduce_sum(engine.cast(engine.greater(y_pred, own_score), engine.int32),
                               axis=-1)
    matches = engine.cast(engine.less(higher, k), floatx())
    return engine.expand_dims(matches, -1) if squeezed else matches


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the one-hot label's class is among the `k` highest scores, else 0.0.

    Args:
        y_true: one-hot labels, the shape of `y_pred`.
        y_pred: class scores, classes last.
        k: how many of the top scores count as a hit.

    Returns:
        A `floatx()` tensor, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.metrics.top_k_categorical_accuracy(
        ...     [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]], k=2).numpy()
        array([1., 1.], dtype=float32)
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    _check_one_hot("top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", y_true,
                   y_pred)
    return sparse_top_k_categorical_accuracy(engine.argmax(y_true, axis=-1), y_pred, k)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly (for predicted labels, not probabilities).

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions (`y_pred > threshold`) equal binary labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        threshold: the decision threshold.

    Example:
        >>> m = engine.keras.metrics.BinaryAccuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=float(threshold))


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches the argmax of one-hot labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        ...                sample_weight=[0.7, 0.3])
        >>> float(m.result())
        0.3...
    """

    def __init__(self, name: str = "categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions equals the integer labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the `k` highest predictions.

    Args:
        k: how many of the top scores count as a hit.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=int(k))


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest predictions.

    Args:
        k: how many of the top scores count as a hit.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.SparseTopKCategoricalAccuracy(k=1)
        >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=int(k))
