"""`FBetaScore` and `F1Score`: the weighted harmonic mean of precision and recall, per class.

For `(batch, classes)` labels and predictions, a prediction is positive when it is above
`threshold`, or, without a threshold, when it is the sample's highest score (ties all
count; all-zero rows predict nothing). The state holds per-class true positives, false
positives, false negatives and label totals (one number each for "micro"), created on the
first update, when the number of classes is known. The result is

    F_beta = (1 + beta**2) * precision * recall / (beta**2 * precision + recall)

per class (None), over all predictions ("micro"), averaged over classes ("macro") or
weighted by each class's share of the positive labels ("weighted"). Every division adds
`epsilon()` to its denominator, as Keras 2 does.
"""

from __future__ import annotations

import numbers

import engine
from engine.keras.backend import epsilon
from engine.keras.losses.inputs import as_tensor, shape_text
from engine.keras.losses.reduction import check_sample_weight, match_weight_rank
from engine.keras.metrics.base import Metric

__all__ = ["FBetaScore", "F1Score"]

_AVERAGES = (None, "micro", "macro", "weighted")
_STATE = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")


class FBetaScore(Metric):
    """The F-beta score of multi-class or multi-label predictions.

    Args:
        average: None (one score per class), "micro" (one score over all predictions),
            "macro" (the mean of the class scores) or "weighted" (the class scores
            weighted by the number of positive labels of each class).
        beta: how much more recall counts than precision (> 0; 1 gives the F1 score).
        threshold: predictions above it are positive; None means the highest score of
            each sample is the positive one.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Raises:
        ValueError: for an unknown `average`, `beta` <= 0, or `threshold` outside (0, 1].

    Example:
        >>> m = engine.keras.metrics.FBetaScore(beta=2.0, threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result().numpy().round(4)
        array([0.3846, 0.9091, 0.8333], dtype=float32)
    """

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold=None,
                 name: str = "fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(f"{self.name}: got average={average!r}; expected one of None, "
                             "'micro', 'macro' or 'weighted'.")
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not beta > 0:
            raise ValueError(f"{self.name}: got beta={beta!r}; expected a number > 0 (1.0 "
                             "weighs precision and recall equally).")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(
                threshold, numbers.Real) or not 0 < threshold <= 1):
            raise ValueError(f"{self.name}: got threshold={threshold!r}; expected None (the "
                             "top score of each sample is positive) or a number in (0, 1].")
        self.average, self.beta = average, float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self._state = None
        if average == "micro":  # one number each, whatever the number of classes
            self._build(())

    def _build(self, shape) -> None:
        self._state = {key: self.add_weight(key, shape=shape) for key in _STATE}
        for key, variable in self._state.items():
            setattr(self, key, variable)

    def _check_inputs(self, y_true, y_pred) -> None:
        a, b = y_true.shape, y_pred.shape
        if a.rank != 2 or b.rank != 2 or b[-1] is None or not a.is_compatible_with(b):
            raise ValueError(
                f"{self.name}: got y_true of shape {shape_text(a)} and y_pred of shape "
                f"{shape_text(b)}; expected both of shape (batch_size, num_classes) with a "
                "known num_classes. One-hot encode integer labels (engine.one_hot) and "
                "reshape single outputs to (batch_size, 1).")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch's per-class counts.

        Args:
            y_true: labels, 0 or 1, of shape `(batch_size, num_classes)`.
            y_pred: scores or probabilities, the shape of `y_true`.
            sample_weight: None, a scalar, or one weight per sample.
        """
        y_true = engine.cast(as_tensor(y_true), self._dtype)
        y_pred = engine.cast(as_tensor(y_pred), self._dtype)
        self._check_inputs(y_true, y_pred)
        if self._state is None:
            self._build((int(y_pred.shape[-1]),))
        if self.threshold is None:
            top = engine.reduce_max(y_pred, axis=-1, keepdims=True)
            # abs(y) > 1e-9 keeps an all-zero row from predicting every class
            positive = engine.logical_and(engine.greater_equal(y_pred, top),
                                          engine.greater(engine.abs(y_pred), 1e-9))
        else:
            positive = engine.greater(y_pred, self.threshold)
        y_pred = engine.cast(positive, self._dtype)
        if sample_weight is not None:
            weights = match_weight_rank(y_pred, engine.cast(as_tensor(sample_weight),
                                                            self._dtype))
            check_sample_weight(self.name, weights, y_pred)
        axis = None if self.average == "micro" else 0

        def weighted_sum(values):
            return engine.reduce_sum(values if sample_weight is None else values * weights,
                                     axis=axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1.0 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1.0 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        """The score per class, or averaged as `average` says (0 before any update).

        Returns:
            A tensor: `(num_classes,)` for `average=None`, else a scalar.
        """
        if self._state is None:
            return engine.constant(0.0, self._dtype)
        eps = epsilon()
        tp = engine.identity(self.true_positives)
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        beta2 = self.beta ** 2
        score = (1.0 + beta2) * (precision * recall) / (beta2 * precision + recall + eps)
        if self.average == "weighted":
            weights = engine.identity(self.intermediate_weights)
            weights = weights / (engine.reduce_sum(weights) + eps)
            return engine.reduce_sum(score * weights)
        if self.average is not None:
            return engine.reduce_mean(score)
        return score

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        return {"average": self.average, "beta": self.beta, "threshold": self.threshold,
                **super().get_config()}


class F1Score(FBetaScore):
    """The F1 score, the harmonic mean of precision and recall (`FBetaScore` with beta 1).

    Args:
        average: None (one score per class), "micro", "macro" or "weighted"; see
            `FBetaScore`.
        threshold: predictions above it are positive; None means the highest score of
            each sample is the positive one.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.F1Score(threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result().numpy().round(4)
        array([0.5   , 0.8   , 0.6667], dtype=float32)
    """

    def __init__(self, average: str | None = None, threshold=None, name: str = "f1_score",
                 dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self) -> dict:
        """The constructor arguments (without `beta`, always 1).

        Returns:
            A JSON-able dict.
        """
        config = super().get_config()
        del config["beta"]
        return config
