"""Regression and margin losses as functions, one value per sample (Keras 2 formulas).

Each averages (or sums) an elementwise error over the last axis: `(batch, d)` inputs
give `(batch,)` losses. Labels are cast to the predictions' dtype; shapes must broadcast.
The hinge losses accept labels in {-1, 1} or {0, 1}: when every label is 0 or 1 they are
mapped to {-1, 1}, decided on the values at run time (with `engine.where`, so this works
inside `engine.function`).
"""

from __future__ import annotations

import math

import engine
from engine.keras.backend import epsilon
from engine.keras.losses.inputs import prepare

__all__ = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "huber", "log_cosh", "hinge", "squared_hinge",
           "categorical_hinge", "cosine_similarity"]


def mean_squared_error(y_true, y_pred):
    """Mean squared error per sample: `mean(square(y_true - y_pred), axis=-1)`.

    Args:
        y_true: targets.
        y_pred: predictions.

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.losses.mean_squared_error([[0.0, 1.0], [0.0, 0.0]],
        ...                                        [[1.0, 1.0], [1.0, 0.0]]).numpy()
        array([0.5, 0.5], dtype=float32)
    """
    y_true, y_pred = prepare("mean_squared_error", y_true, y_pred)
    return engine.reduce_mean(engine.math.squared_difference(y_pred, y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error per sample: `mean(abs(y_true - y_pred), axis=-1)`.

    Args:
        y_true: targets.
        y_pred: predictions.

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.losses.mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]]).numpy()
        array([1.5], dtype=float32)
    """
    y_true, y_pred = prepare("mean_absolute_error", y_true, y_pred)
    return engine.reduce_mean(engine.math.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Mean absolute percentage error: `100 * mean(abs((y_true - y_pred) / y_true), -1)`.

    `|y_true|` is floored at 1e-7 so that zero targets give large but finite values.

    Args:
        y_true: targets.
        y_pred: predictions.

    Returns:
        The losses (in percent), `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.losses.mean_absolute_percentage_error([[2.0, 4.0]],
        ...                                                    [[1.0, 5.0]]).numpy()
        array([37.5], dtype=float32)
    """
    y_true, y_pred = prepare("mean_absolute_percentage_error", y_true, y_pred)
    scale = engine.maximum(engine.math.abs(y_true), epsilon())
    return 100.0 * engine.reduce_mean(engine.math.abs((y_true - y_pred) / scale), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean squared logarithmic error: `mean(square(log1p(y_pred) - log1p(y_true)), -1)`.

    Both are floored at 1e-7 before the log, as in Keras.

    Args:
        y_true: targets (non-negative).
        y_pred: predictions (non-negative).

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> round(float(engine.keras.losses.mean_squared_logarithmic_error([np.e - 1], [0.0])), 5)
        1.0
    """
    y_true, y_pred = prepare("mean_squared_logarithmic_error", y_true, y_pred)
    first = engine.math.log(engine.maximum(y_pred, epsilon()) + 1.0)
    second = engine.math.log(engine.maximum(y_true, epsilon()) + 1.0)
    return engine.reduce_mean(engine.math.squared_difference(first, second), axis=-1)


def huber(y_true, y_pred, delta: float = 1.0):
    """Huber loss per sample: quadratic for errors up to `delta`, linear beyond.

    `0.5 * e**2` where `|e| <= delta`, else `delta * |e| - 0.5 * delta**2`, averaged over
    the last axis.

    Args:
        y_true: targets.
        y_pred: predictions.
        delta: where the quadratic part turns linear.

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.losses.huber([[0.0, 0.0]], [[0.5, 3.0]]).numpy()
        array([1.3125], dtype=float32)
    """
    y_true, y_pred = prepare("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = engine.math.abs(error)
    quadratic = 0.5 * engine.math.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return engine.reduce_mean(engine.where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """Logarithm of the hyperbolic cosine of the error, averaged over the last axis.

    Computed as `x + softplus(-2x) - log(2)`, which does not overflow for large errors.

    Args:
        y_true: targets.
        y_pred: predictions.

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> round(float(engine.keras.losses.log_cosh([0.0], [1.0])), 5)
        0.43378
    """
    y_true, y_pred = prepare("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    return engine.reduce_mean(x + engine.math.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def _signed_labels(y_true):
    """Maps {0, 1} labels to {-1, 1}; labels with any other value are kept as they are."""
    is_binary = engine.reduce_all(engine.logical_or(engine.equal(y_true, 0.0),
                                                    engine.equal(y_true, 1.0)))
    return engine.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """Hinge loss per sample: `mean(maximum(1 - y_true * y_pred, 0), -1)`.

    Args:
        y_true: labels in {-1, 1} (or {0, 1}, converted).
        y_pred: scores.

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.losses.hinge([[0.0, 1.0]], [[0.6, 0.4]]).numpy()
        array([1.1], dtype=float32)
    """
    y_true, y_pred = prepare("hinge", y_true, y_pred)
    y_true = _signed_labels(y_true)
    return engine.reduce_mean(engine.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Squared hinge loss per sample: `mean(square(maximum(1 - y_true * y_pred, 0)), -1)`.

    Args:
        y_true: labels in {-1, 1} (or {0, 1}, converted).
        y_pred: scores.

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.losses.squared_hinge([[0.0, 1.0]], [[0.6, 0.4]]).numpy()
        array([1.46], dtype=float32)
    """
    y_true, y_pred = prepare("squared_hinge", y_true, y_pred)
    y_true = _signed_labels(y_true)
    margin = engine.maximum(1.0 - y_true * y_pred, 0.0)
    return engine.reduce_mean(engine.math.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """Categorical hinge loss per sample: the best wrong score minus the true score, plus 1.

    `maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)` over the last axis.

    Args:
        y_true: one-hot labels.
        y_pred: scores, one per class.

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> engine.keras.losses.categorical_hinge([[0.0, 1.0]], [[0.6, 0.4]]).numpy()
        array([1.2], dtype=float32)
    """
    y_true, y_pred = prepare("categorical_hinge", y_true, y_pred)
    positive = engine.reduce_sum(y_true * y_pred, axis=-1)
    negative = engine.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return engine.maximum(negative - positive + 1.0, 0.0)


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """Negative cosine similarity along `axis`: -1 for the same direction, 1 for opposite.

    Args:
        y_true: targets.
        y_pred: predictions.
        axis: the axis along which the vectors lie.

    Returns:
        The losses, `y_pred`'s shape without `axis`.

    Example:
        >>> engine.keras.losses.cosine_similarity([[0.0, 1.0], [1.0, 1.0]],
        ...                                       [[1.0, 0.0], [1.0, 1.0]]).numpy()
        array([-0.        , -0.99999994], dtype=float32)
    """
    y_true, y_pred = prepare("cosine_similarity", y_true, y_pred)
    y_true = engine.math.l2_normalize(y_true, axis=axis)
    y_pred = engine.math.l2_normalize(y_pred, axis=axis)
    return -engine.reduce_sum(y_true * y_pred, axis=axis)
