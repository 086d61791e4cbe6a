"""`R2Score`: the coefficient of determination of regression outputs, accumulated over batches.

For each output column, with weights w, R2 = 1 - SS_res / SS_tot, where
SS_res = sum(w * (y - y_hat)**2) and SS_tot = sum(w * y**2) - sum(w * y)**2 / sum(w) (the
weighted spread of the targets around their mean). The state keeps those sums per column,
so several batches give the same score as one. A column whose targets never vary
(SS_tot = 0) scores 0, as in Keras 2 (which gives NaN instead when the predictions are
exact too, and before any update). With `num_regressors` = p > 0 the score is adjusted
for the number of values n seen: 1 - (1 - R2) * (n - 1) / (n - p - 1), left unadjusted
while n - 1 <= p.
"""

from __future__ import annotations

import numbers

import engine
from engine.keras.losses.inputs import as_tensor, shape_text
from engine.keras.losses.reduction import check_sample_weight, divide_no_nan, match_weight_rank
from engine.keras.metrics.base import Metric

__all__ = ["R2Score"]

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination (R squared) of `(batch, outputs)` predictions.

    Args:
        class_aggregation: how the per-output scores combine: "uniform_average" (their
            mean), "variance_weighted_average" (weighted by each output's target variance)
            or None (one score per output).
        num_regressors: the number of independent variables of the model, for the adjusted
            R2 (0: not adjusted).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Raises:
        ValueError: for an unknown `class_aggregation` or a negative `num_regressors`.

    Example:
        >>> m = engine.keras.metrics.R2Score()
        >>> m.update_state([[1], [4], [3]], [[2], [4], [4]])
        >>> round(float(m.result()), 4)
        0.5714
    """

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(f"{self.name}: got class_aggregation={class_aggregation!r}; "
                             "expected None, 'uniform_average' or 'variance_weighted_average'.")
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, numbers.Integral) \
                or num_regressors < 0:
            raise ValueError(f"{self.name}: got num_regressors={num_regressors!r}; expected "
                             "an integer >= 0 (0 leaves the score unadjusted).")
        self.class_aggregation = class_aggregation
        self.num_regressors = int(num_regressors)
        self.num_samples = self.add_weight("num_samples", dtype=engine.int32)
        self._sums = None

    def _build(self, outputs: int) -> None:
        shape = (outputs,)
        self.squared_sum = self.add_weight("squared_sum", shape=shape)
        self.sum = self.add_weight("sum", shape=shape)
        self.total_mse = self.add_weight("residual", shape=shape)
        self.count = self.add_weight("count", shape=shape)
        self._sums = True

    def _line_up(self, y_true, y_pred):
        """Labels and predictions as `(batch, outputs)`; `(batch,)` labels fit `(batch, 1)`."""
        a, b = y_true.shape, y_pred.shape
        if a.rank == 1 and b.rank == 2 and b[-1] == 1:
            y_true = engine.expand_dims(y_true, -1)
        elif b.rank == 1 and a.rank == 2 and a[-1] == 1:
            y_pred = engine.expand_dims(y_pred, -1)
        a, b = y_true.shape, y_pred.shape
        if a.rank != 2 or b.rank != 2 or a[-1] is None or not a.is_compatible_with(b):
            raise ValueError(
                f"{self.name}: got y_true of shape {shape_text(a)} and y_pred of shape "
                f"{shape_text(b)}; expected both of shape (batch_size, num_outputs) with a "
                "known num_outputs. Reshape a single output to (batch_size, 1).")
        return y_true, y_pred

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch's sums per output.

        Args:
            y_true: targets, `(batch_size, num_outputs)`.
            y_pred: predictions, the shape of `y_true`.
            sample_weight: None, a scalar, one weight per sample, or one per value.
        """
        y_true = engine.cast(as_tensor(y_true), self._dtype)
        y_pred = engine.cast(as_tensor(y_pred), self._dtype)
        y_true, y_pred = self._line_up(y_true, y_pred)
        if self._sums is None:
            self._build(int(y_true.shape[-1]))
        weights = engine.ones_like(y_true)
        if sample_weight is not None:
            given = match_weight_rank(y_true, engine.cast(as_tensor(sample_weight),
                                                          self._dtype))
            check_sample_weight(self.name, given, y_true)
            weights = weights * given
        weighted_true = y_true * weights
        self.sum.assign_add(engine.reduce_sum(weighted_true, axis=0))
        self.squared_sum.assign_add(engine.reduce_sum(y_true * weighted_true, axis=0))
        self.total_mse.assign_add(engine.reduce_sum(
            engine.math.squared_difference(y_true, y_pred) * weights, axis=0))
        self.count.assign_add(engine.reduce_sum(weights, axis=0))
        self.num_samples.assign_add(engine.size(y_true, out_type=engine.int32))

    def result(self):
        """The score (one per output with `class_aggregation=None`; 0 before any update).

        Returns:
            A tensor.
        """
        if self._sums is None:
            return engine.constant(0.0, self._dtype)
        total_sum = engine.identity(self.sum)
        mean = divide_no_nan(total_sum, self.count)
        spread = self.squared_sum - total_sum * mean  # SS_tot per output
        # Constant targets (no spread) score 0: Keras 2 turns 1 - x/0 = -inf into 0.
        raw = engine.where(engine.equal(spread, 0.0), engine.zeros_like(spread),
                           1.0 - divide_no_nan(self.total_mse, spread))
        if self.class_aggregation == "uniform_average":
            score = engine.reduce_mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = divide_no_nan(engine.reduce_sum(spread * raw), engine.reduce_sum(spread))
        else:
            score = raw
        if self.num_regressors == 0:
            return score
        n = engine.cast(self.num_samples, self._dtype)
        p = float(self.num_regressors)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        # Keras warns and returns the plain score when there are too few samples.
        return engine.where(n - 1.0 > p, adjusted, score)

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        return {"class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors, **super().get_config()}
