"""`TruePositives`, `FalsePositives`, `TrueNegatives`, `FalseNegatives`: weighted counts.

Each keeps one confusion-matrix cell at each threshold, counted by
`confusion.update_confusion_matrix` with Keras 2's rules (`y_pred > threshold` is a
positive prediction, a non-zero label a positive label), in a variable named
"accumulator" as in Keras.
"""

from __future__ import annotations

import engine
from engine.keras.metrics.base import Metric
from engine.keras.metrics.confusion import parse_thresholds, update_confusion_matrix

__all__ = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]


class _ConfusionCount(Metric):
    """The (weighted) number of predictions in one cell of the confusion matrix."""

    _kind = ""

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(self.name, thresholds, 0.5)
        self.accumulator = self.add_weight("accumulator", shape=(len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch's count at each threshold.

        Args:
            y_true: labels, 0 or 1 (non-zero counts as positive).
            y_pred: predicted probabilities, the shape of `y_true`.
            sample_weight: None, a scalar, one weight per sample, or per-prediction weights.
        """
        update_confusion_matrix({self._kind: self.accumulator}, y_true, y_pred,
                                self.thresholds, sample_weight=sample_weight, who=self.name)

    def result(self):
        """The count at each threshold (a scalar for a single threshold).

        Returns:
            A tensor.
        """
        value = engine.identity(self.accumulator)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        """The constructor arguments (`thresholds` as given).

        Returns:
            A JSON-able dict.
        """
        return {"thresholds": self.init_thresholds, **super().get_config()}


class TruePositives(_ConfusionCount):
    """The (weighted) number of positive labels predicted positive.

    Args:
        thresholds: a number or list of numbers in [0, 1]; `y_pred > threshold` is a
            positive prediction. Default 0.5. With a list, `result()` has one count per
            threshold.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
        >>> float(m.result())
        1.0
    """

    _kind = "true_positives"


class FalsePositives(_ConfusionCount):
    """The (weighted) number of negative labels predicted positive.

    Args:
        thresholds: a number or list of numbers in [0, 1]; `y_pred > threshold` is a
            positive prediction. Default 0.5.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.FalsePositives(thresholds=[0.2, 0.6])
        >>> m.update_state([0, 1, 0, 0], [0.3, 0.9, 0.7, 0.1])
        >>> m.result().numpy()
        array([2., 1.], dtype=float32)
    """

    _kind = "false_positives"


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of negative labels predicted negative.

    Args:
        thresholds: a number or list of numbers in [0, 1]; `y_pred > threshold` is a
            positive prediction. Default 0.5.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.TrueNegatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _kind = "true_negatives"


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of positive labels predicted negative.

    Args:
        thresholds: a number or list of numbers in [0, 1]; `y_pred > threshold` is a
            positive prediction. Default 0.5.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.FalseNegatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _kind = "false_negatives"
