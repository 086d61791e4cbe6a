"""Metrics that average a loss function: errors and cross-entropies, plus the root MSE.

Each is a `MeanMetricWrapper` around the function of `engine.keras.losses`, so the value
after several batches is the weighted mean of the per-sample losses over all of them.
"""

from __future__ import annotations

import engine
from engine.keras import losses as _losses
from engine.keras.losses.inputs import as_tensor, match_ranks
from engine.keras.losses.probabilistic import sparse_losses_and_mask
from engine.keras.losses.reduction import divide_no_nan, match_weight_rank
from engine.keras.metrics.base import Mean, MeanMetricWrapper

__all__ = ["MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy"]


class MeanSquaredError(MeanMetricWrapper):
    """The mean squared error over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.MeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name: str = "mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean absolute error over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.MeanAbsoluteError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name: str = "mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean absolute percentage error over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.MeanAbsolutePercentageError()
        >>> m.update_state([[2.0, 4.0]], [[1.0, 5.0]])
        >>> float(m.result())
        37.5
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype=None):
        super().__init__(_losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """The square root of the mean squared error over all values seen.

    Every element counts once (the mean is not taken per sample first); a per-sample
    weight scales all elements of its sample.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the squared errors of one batch.

        Args:
            y_true: the targets.
            y_pred: the predictions.
            sample_weight: None, a scalar, or one weight per sample.
        """
        y_true = engine.cast(as_tensor(y_true), self._dtype)
        y_pred = engine.cast(as_tensor(y_pred), self._dtype)
        y_true, y_pred = match_ranks(y_true, y_pred)
        super().update_state(engine.math.squared_difference(y_pred, y_true), sample_weight)

    def result(self):
        """The root mean squared error.

        Returns:
            A scalar tensor.
        """
        return engine.sqrt(divide_no_nan(self.total, self.count))


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary cross-entropy over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards 0.5 by this fraction.

    Example:
        >>> m = engine.keras.metrics.BinaryCrossentropy()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        0.8149
    """

    def __init__(self, name: str = "binary_crossentropy", dtype=None, from_logits: bool = False,
                 label_smoothing: float = 0.0):
        super().__init__(_losses.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=float(label_smoothing))


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy (one-hot labels) over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards `1 / num_classes` by this fraction.
        axis: the class axis.

    Example:
        >>> m = engine.keras.metrics.CategoricalCrossentropy()
        >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(float(m.result()), 4)
        1.1769
    """

    def __init__(self, name: str = "categorical_crossentropy", dtype=None,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1):
        super().__init__(_losses.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=float(label_smoothing),
                         axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy (integer labels) over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        from_logits: whether `y_pred` holds logits rather than probabilities.
        ignore_class: a label value left out of the mean (e.g. padding).
        axis: the class axis of `y_pred`.

    Example:
        >>> m = engine.keras.metrics.SparseCategoricalCrossentropy()
        >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(float(m.result()), 4)
        1.1769
    """

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype=None,
                 from_logits: bool = False, ignore_class: int | None = None, axis: int = -1):
        super().__init__(_losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=bool(from_logits), ignore_class=ignore_class, axis=axis)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the cross-entropies of one batch; labels equal to `ignore_class` are skipped.

        Args:
            y_true: integer class labels.
            y_pred: probabilities or logits, classes on `axis`.
            sample_weight: None, a scalar, or one weight per sample.
        """
        y_true, y_pred = match_ranks(self._cast(y_true), self._cast(y_pred))
        losses, valid = sparse_losses_and_mask(y_true, y_pred, **self._fn_kwargs)
        if valid is not None:
            valid = engine.cast(valid, self._dtype)
            if sample_weight is not None:
                weights = engine.cast(as_tensor(sample_weight), self._dtype)
                valid = valid * match_weight_rank(valid, weights)
            sample_weight = valid
        Mean.update_state(self, losses, sample_weight)
