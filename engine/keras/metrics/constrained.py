"""One rate at its best while another is held to a minimum: sensitivity at specificity, etc.

Each metric counts true/false positives/negatives at `num_thresholds` evenly spaced
thresholds in [0, 1] (`confusion.update_confusion_matrix`, the bucketed count AUC uses),
computes two rates at every threshold and reports the highest value of one among the
thresholds where the other reaches the target (0 when none does):

| metric                     | target rate, >= value | reported, maximized |
| `SensitivityAtSpecificity` | specificity           | sensitivity (recall) |
| `SpecificityAtSensitivity` | sensitivity           | specificity          |
| `PrecisionAtRecall`        | recall                | precision            |
| `RecallAtPrecision`        | precision             | recall               |
"""

from __future__ import annotations

import numbers

import engine
from engine.keras.losses.reduction import divide_no_nan
from engine.keras.metrics.base import Metric
from engine.keras.metrics.confusion import KINDS, add_confusion_counts, update_confusion_matrix

__all__ = ["SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
           "RecallAtPrecision"]


def _rates(tp, fp, tn, fn) -> dict:
    return {"sensitivity": divide_no_nan(tp, tp + fn), "recall": divide_no_nan(tp, tp + fn),
            "specificity": divide_no_nan(tn, tn + fp), "precision": divide_no_nan(tp, tp + fp)}


class _RateAtRate(Metric):
    """The best `_reported` rate among thresholds where `_target` rate >= `value`."""

    _target = ""
    _reported = ""

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                not 0.0 <= value <= 1.0:
            raise ValueError(f"{self.name}: got {self._target}={value!r}; expected a number in "
                             f"[0, 1], the lowest {self._target} to accept.")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, numbers.Integral) \
                or num_thresholds < 1:
            raise ValueError(f"{self.name}: got num_thresholds={num_thresholds!r}; expected an "
                             "integer > 0 (200 is the default).")
        self.value = float(value)
        self.num_thresholds, self.class_id = int(num_thresholds), class_id
        n = self.num_thresholds
        # Keras 2's thresholds: 0 and 1 at the ends (a single threshold is 0.5).
        self.thresholds = [0.5] if n == 1 else [i / (n - 1) for i in range(n)]
        self._counts = add_confusion_counts(self, (n,))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch's confusion counts at every threshold.

        Args:
            y_true: labels, 0 or 1 (non-zero counts as positive).
            y_pred: probabilities in [0, 1], the shape of `y_true`.
            sample_weight: None, a scalar, one weight per sample, or per-prediction weights.
        """
        update_confusion_matrix(self._counts, y_true, y_pred, self.thresholds,
                                class_id=self.class_id, sample_weight=sample_weight,
                                evenly_spaced=self.num_thresholds > 1, who=self.name)

    def result(self):
        """The best reported rate where the target rate is reached (0 if nowhere).

        Returns:
            A scalar tensor.
        """
        rates = _rates(*(engine.identity(self._counts[kind]) for kind in KINDS))
        feasible = engine.greater_equal(rates[self._target], self.value)
        reported = rates[self._reported]
        # Rates are >= 0, so masking infeasible thresholds with 0 keeps the max (and gives 0
        # when no threshold is feasible).
        return engine.reduce_max(engine.where(feasible, reported, engine.zeros_like(reported)))

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        return {self._target: self.value, "num_thresholds": self.num_thresholds,
                "class_id": self.class_id, **super().get_config()}


_ARGS = """
    Args:
        {target}: the lowest {target} to accept, in [0, 1].
        num_thresholds: how many evenly spaced thresholds in [0, 1] to try (1 means 0.5).
        class_id: look at this class only (an index into the last axis).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Raises:
        ValueError: for `{target}` outside [0, 1] or `num_thresholds` < 1.
"""


class SensitivityAtSpecificity(_RateAtRate):
    """The best sensitivity (recall) at thresholds whose specificity is >= `specificity`.
    {args}
    Example:
        >>> m = engine.keras.metrics.SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
    """

    _target, _reported = "specificity", "sensitivity"

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_RateAtRate):
    """The best specificity at thresholds whose sensitivity (recall) is >= `sensitivity`.
    {args}
    Example:
        >>> m = engine.keras.metrics.SpecificityAtSensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _target, _reported = "sensitivity", "specificity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_RateAtRate):
    """The best precision at thresholds whose recall is >= `recall`.
    {args}
    Example:
        >>> m = engine.keras.metrics.PrecisionAtRecall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
    """

    _target, _reported = "recall", "precision"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_RateAtRate):
    """The best recall at thresholds whose precision is >= `precision`.
    {args}
    Example:
        >>> m = engine.keras.metrics.RecallAtPrecision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.5
    """

    _target, _reported = "precision", "recall"

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


for _cls in (SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall,
             RecallAtPrecision):
    _cls.__doc__ = _cls.__doc__.replace("{args}", _ARGS.format(target=_cls._target))

