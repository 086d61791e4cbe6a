"""Confusion-matrix counts at thresholds, and the `Precision` and `Recall` metrics.

`update_confusion_matrix` adds one batch's true/false positives/negatives at each
threshold to the given variables, with Keras 2's rules: a prediction is positive when
`y_pred > threshold` (strictly); a label is positive when it is non-zero; `top_k` keeps
only the k highest predictions of each sample (the rest become -1e10); `class_id` looks at
one class column; weights are lined up with `y_pred` and broadcast to it.

Two ways to count, with equal results:
- comparison: `(thresholds, predictions)` booleans, summed over predictions; fine for
  the few thresholds of precision and recall;
- buckets, for the evenly spaced thresholds of `AUC` (`0 - eps, 1/(n-1), ..., 1 + eps`):
  each prediction lands in bucket `ceil(p * (n - 1)) - 1`; a segment sum per bucket and a
  reversed cumulative sum give the counts at every threshold in O(predictions + n).
"""

from __future__ import annotations

import engine
from engine.keras.losses.inputs import as_tensor, match_ranks, shape_text
from engine.keras.losses.reduction import check_sample_weight, divide_no_nan, match_weight_rank
from engine.keras.metrics.base import Metric

__all__ = ["Precision", "Recall"]

NEG_INF = -1e10  # what top_k filtering gives the predictions outside the top k
KINDS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def add_confusion_counts(metric, shape) -> dict:
    """Adds the four count variables of `KINDS` of `shape` to `metric`, also as its
    attributes (`metric.true_positives`, ...); returns them by kind."""
    counts = {kind: metric.add_weight(kind, shape=shape) for kind in KINDS}
    for kind, variable in counts.items():
        setattr(metric, kind, variable)
    return counts


def parse_thresholds(who: str, thresholds, default: float) -> list:
    """The thresholds as a list of floats in [0, 1] (`[default]` for None)."""
    if thresholds is None:
        return [default]
    values = [thresholds] if isinstance(thresholds, (int, float)) else list(thresholds)
    bad = [t for t in values if t is None or not 0.0 <= t <= 1.0]
    if bad or not values:
        raise ValueError(f"{who}: got thresholds={thresholds!r}; expected a number or a "
                         f"non-empty list of numbers in [0, 1] (out of range: {bad}).")
    return [float(t) for t in values]


def _filter_top_k(x, k: int):
    classes = x.shape[-1]
    _, indices = engine.math.top_k(x, k, sorted=False)
    in_top = engine.reduce_sum(engine.one_hot(indices, classes, dtype=x.dtype), axis=-2)
    return x * in_top + NEG_INF * (1.0 - in_top)


def update_confusion_matrix(variables: dict, y_true, y_pred, thresholds, top_k=None,
                            class_id=None, sample_weight=None, multi_label=False,
                            label_weights=None, evenly_spaced=False, who="metric") -> None:
    """Adds one batch's confusion counts at each threshold to `variables`.

    Args:
        variables: `{kind: Variable}` for kinds in `KINDS`; each of shape
            `(len(thresholds),)`, or `(len(thresholds), num_labels)` with `multi_label`.
        y_true: labels (non-zero is positive).
        y_pred: predictions, compared with each threshold.
        thresholds: a list of floats.
        top_k: keep only the top k predictions per sample.
        class_id: count only this class (the last axis' index).
        sample_weight: weights that broadcast to `y_pred` after lining up ranks.
        multi_label: count each label (last axis of 2-D inputs) separately.
        label_weights: per-label weights multiplied into the sample weights (not
            multi-label).
        evenly_spaced: the thresholds are AUC's evenly spaced ones, with the edges at
            `-eps` and `1 + eps`: count with buckets.
        who: the metric's name, for error messages.
    """
    dtype = next(iter(variables.values())).dtype
    y_true = engine.cast(as_tensor(y_true), dtype)
    y_pred = engine.cast(as_tensor(y_pred), dtype)
    y_true, y_pred = match_ranks(y_true, y_pred)
    if not y_true.shape.is_compatible_with(y_pred.shape):
        raise ValueError(f"{who}: got y_true of shape {shape_text(y_true.shape)} and y_pred of "
                         f"shape {shape_text(y_pred.shape)}; expected the same shape.")
    weights = None
    if sample_weight is not None:
        weights = engine.cast(as_tensor(sample_weight), dtype)
        weights = match_weight_rank(y_pred, weights)
        check_sample_weight(who, weights, y_pred)
        weights = weights * engine.ones_like(y_pred)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        weights = None if weights is None else weights[..., class_id]
    if label_weights is not None and not multi_label:
        label_weights = engine.cast(as_tensor(label_weights), dtype)
        weights = label_weights * engine.ones_like(y_pred) if weights is None else \
            weights * label_weights
    positive = engine.cast(engine.not_equal(y_true, 0.0), dtype)
    count = _bucket_counts if evenly_spaced else _threshold_counts
    counts = count(positive, y_pred, weights, thresholds, multi_label, set(variables))
    for kind, variable in variables.items():
        variable.assign_add(counts[kind])


def _threshold_counts(positive, y_pred, weights, thresholds, multi_label, kinds):
    dtype = y_pred.dtype
    if multi_label:  # (thresholds, samples, labels)
        shape = [len(thresholds), 1, 1]
    else:  # (thresholds, predictions)
        shape = [len(thresholds), 1]
        positive, y_pred = engine.reshape(positive, [-1]), engine.reshape(y_pred, [-1])
        weights = None if weights is None else engine.reshape(weights, [-1])
    cut = engine.reshape(engine.constant(thresholds, dtype), shape)
    predicted = engine.cast(engine.greater(engine.expand_dims(y_pred, 0), cut), dtype)
    if weights is not None:
        positive_w, negative_w = positive * weights, (1.0 - positive) * weights
    else:
        positive_w, negative_w = positive, 1.0 - positive
    pairs = {"true_positives": (predicted, positive_w),
             "false_positives": (predicted, negative_w),
             "true_negatives": (1.0 - predicted, negative_w),
             "false_negatives": (1.0 - predicted, positive_w)}
    return {kind: engine.reduce_sum(pairs[kind][0] * pairs[kind][1], axis=1) for kind in kinds}


def _bucket_counts(positive, y_pred, weights, thresholds, multi_label, kinds):
    n = len(thresholds)
    y_pred = engine.clip_by_value(y_pred, 0.0, 1.0)
    if weights is None:
        weights = engine.ones_like(y_pred)
    positive_w, negative_w = positive * weights, (1.0 - positive) * weights
    # A prediction p is above thresholds 0..bucket; the first threshold (-eps) takes p = 0.
    bucket = engine.maximum(engine.math.ceil(y_pred * (n - 1)) - 1.0, 0.0)
    bucket = engine.cast(bucket, engine.int32)
    if multi_label:  # one run of buckets per label: segment b * labels + label
        labels = y_pred.shape[-1]
        bucket = bucket * labels + engine.range(labels)
        segments, out_shape = n * labels, [n, labels]
    else:
        positive_w, negative_w = engine.reshape(positive_w, [-1]), engine.reshape(negative_w, [-1])
        bucket = engine.reshape(bucket, [-1])
        segments, out_shape = n, [n]

    def above(values):  # counts at each threshold: the values in that bucket and higher
        per_bucket = engine.unsorted_segment_sum(values, bucket, segments)
        return engine.cumsum(engine.reshape(per_bucket, out_shape), axis=0, reverse=True)

    counts = {}
    if kinds & {"true_positives", "false_negatives"}:
        counts["true_positives"] = above(positive_w)
        counts["false_negatives"] = engine.reduce_sum(positive_w, axis=0) - \
            counts["true_positives"]
    if kinds & {"false_positives", "true_negatives"}:
        counts["false_positives"] = above(negative_w)
        counts["true_negatives"] = engine.reduce_sum(negative_w, axis=0) - \
            counts["false_positives"]
    return counts


class _PrecisionRecall(Metric):
    """True positives plus false positives (precision) or false negatives (recall)."""

    _other = ""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(self.name, thresholds, default)
        size = (len(self.thresholds),)
        self.true_positives = self.add_weight("true_positives", shape=size)
        setattr(self, self._other, self.add_weight(self._other, shape=size))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch's counts at each threshold.

        Args:
            y_true: labels, 0 or 1 (non-zero counts as positive).
            y_pred: predicted probabilities, the shape of `y_true`.
            sample_weight: None, a scalar, one weight per sample, or per-prediction weights.
        """
        variables = {"true_positives": self.true_positives,
                     self._other: getattr(self, self._other)}
        update_confusion_matrix(variables, y_true, y_pred, self.thresholds, top_k=self.top_k,
                                class_id=self.class_id, sample_weight=sample_weight,
                                who=self.name)

    def result(self):
        """The value at each threshold (a scalar for a single threshold).

        Returns:
            A tensor.
        """
        tp = self.true_positives
        value = divide_no_nan(engine.identity(tp), tp + getattr(self, self._other))
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        """The constructor arguments (`thresholds` as given).

        Returns:
            A JSON-able dict.
        """
        return {"thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id, **super().get_config()}


class Precision(_PrecisionRecall):
    """The fraction of positive predictions that are right: `tp / (tp + fp)`.

    Args:
        thresholds: a number or list of numbers in [0, 1]; `y_pred > threshold` is a
            positive prediction. Default 0.5 (or, with `top_k`, every top-k prediction).
            With a list, `result()` has one value per threshold.
        top_k: count only the `top_k` highest predictions of each sample.
        class_id: count only this class (an index into the last axis).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _other = "false_positives"

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name or "precision", dtype)


class Recall(_PrecisionRecall):
    """The fraction of positive labels predicted positive: `tp / (tp + fn)`.

    Args:
        thresholds: a number or list of numbers in [0, 1]; `y_pred > threshold` is a
            positive prediction. Default 0.5 (or, with `top_k`, every top-k prediction).
            With a list, `result()` has one value per threshold.
        top_k: count only the `top_k` highest predictions of each sample.
        class_id: count only this class (an index into the last axis).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _other = "false_negatives"

    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name or "recall", dtype)
