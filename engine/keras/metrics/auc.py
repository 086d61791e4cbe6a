"""`AUC`: the area under the ROC or precision-recall curve, approximated at thresholds.

The metric keeps true/false positive/negative counts at `num_thresholds` thresholds
(evenly spaced in [0, 1], with the end ones just outside it so that every prediction is
above the first and below the last). `result` turns the counts into points of the curve
and sums the areas between neighbouring points:
- "interpolation" on the ROC curve: trapezoids (the mean of neighbouring heights);
- "interpolation" on the PR curve: the precision is interpolated between thresholds as
  Davis & Goadrich (2006) do, `precision = slope * positives + intercept` along each
  step, which integrates in closed form (a log of the ratio of predicted positives);
- "minoring" / "majoring": the lower / upper of neighbouring heights (a Riemann sum).
"""

from __future__ import annotations

import numpy as np

import engine
from engine.keras.backend import epsilon
from engine.keras.losses.reduction import divide_no_nan
from engine.keras.metrics.base import Metric
from engine.keras.metrics.confusion import add_confusion_counts, update_confusion_matrix

__all__ = ["AUC"]

_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """Area under the ROC curve (default) or the precision-recall curve.

    Args:
        num_thresholds: how many thresholds approximate the curve (> 1).
        curve: "ROC" or "PR".
        summation_method: "interpolation" (trapezoids for ROC, Davis-Goadrich
            interpolation for PR), "minoring" or "majoring".
        name: the metric's name.
        dtype: the dtype of the state and result.
        thresholds: explicit thresholds in [0, 1] (then `num_thresholds` is their number
            plus 2: -eps and 1 + eps are added at the ends).
        multi_label: for `(batch, labels)` inputs, compute one AUC per label and average
            them, instead of one AUC over all predictions.
        num_labels: the number of labels with `multi_label`; given, the state is created
            at construction, otherwise on the first update.
        label_weights: weights of the labels: in the average of the per-label AUCs with
            `multi_label`, otherwise multiplied into the sample weights.
        from_logits: apply a sigmoid to `y_pred` first.

    Example:
        >>> m = engine.keras.metrics.AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None, dtype=None,
                 thresholds=None, multi_label: bool = False, num_labels: int | None = None,
                 label_weights=None, from_logits: bool = False):
        super().__init__(name=name or "auc", dtype=dtype)
        if str(curve).lower() not in _CURVES:
            raise ValueError(f"{self.name}: got curve={curve!r}; expected 'ROC' or 'PR'.")
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(f"{self.name}: got summation_method={summation_method!r}; "
                             f"expected one of {', '.join(_SUMMATIONS)}.")
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        if thresholds is not None:
            inner = sorted(float(t) for t in np.ravel(thresholds))
            if any(not 0.0 <= t <= 1.0 for t in inner):
                raise ValueError(f"{self.name}: got thresholds={thresholds!r}; expected "
                                 "values in [0, 1].")
            num_thresholds = len(inner) + 2
            evenly = np.allclose(inner, np.arange(1, num_thresholds - 1) /
                                 (num_thresholds - 1), atol=epsilon())
        else:
            if int(num_thresholds) <= 1:
                raise ValueError(f"{self.name}: got num_thresholds={num_thresholds!r}; "
                                 "expected an integer > 1.")
            num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        self.num_thresholds = num_thresholds
        self._thresholds = [0.0 - epsilon()] + inner + [1.0 + epsilon()]
        self._evenly_spaced = bool(evenly)
        self._given_thresholds = thresholds is not None and not evenly
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [
            float(w) for w in np.ravel(label_weights)]
        self.from_logits = bool(from_logits)
        self._counts = None
        if not self.multi_label:
            self._build(None)
        elif num_labels is not None:
            self._build(int(num_labels))

    @property
    def thresholds(self) -> list:
        """The thresholds, including the two just outside [0, 1]."""
        return list(self._thresholds)

    def _build(self, num_labels) -> None:
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds,
                                                                   num_labels)
        self._counts = add_confusion_counts(self, shape)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch's confusion counts at every threshold.

        Args:
            y_true: labels, 0 or 1 (non-zero counts as positive).
            y_pred: probabilities in [0, 1] (or logits with `from_logits=True`).
            sample_weight: None, a scalar, one weight per sample, or per-prediction weights.
        """
        if self._counts is None:  # multi_label without num_labels: build on first use
            labels = y_pred.shape[-1] if hasattr(y_pred, "shape") else np.shape(y_pred)[-1]
            if labels is None:
                raise ValueError(f"{self.name}: multi_label needs a static number of labels "
                                 "(y_pred's last axis); pass num_labels to the constructor.")
            self.num_labels = int(labels)
            self._build(self.num_labels)
        if self.from_logits:
            y_pred = engine.sigmoid(y_pred)
        update_confusion_matrix(
            self._counts, y_true, y_pred, self._thresholds, sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            evenly_spaced=self._evenly_spaced, who=self.name)

    def result(self):
        """The area under the curve (0 before any update).

        Returns:
            A scalar tensor.
        """
        if self._counts is None:
            return engine.constant(0.0, self._dtype)
        tp, fp = engine.identity(self.true_positives), engine.identity(self.false_positives)
        tn, fn = engine.identity(self.true_negatives), engine.identity(self.false_negatives)
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = _interpolated_pr_areas(tp, fp, fn)
        else:
            recall = divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, divide_no_nan(tp, tp + fp)
            low, high = y[:-1], y[1:]
            if self.summation_method == "interpolation":
                heights = (low + high) / 2.0
            elif self.summation_method == "minoring":
                heights = engine.minimum(low, high)
            else:
                heights = engine.maximum(low, high)
            areas = (x[:-1] - x[1:]) * heights
        if not self.multi_label:
            return engine.reduce_sum(areas)
        by_label = engine.reduce_sum(areas, axis=0)
        if self.label_weights is None:
            return engine.reduce_mean(by_label)
        weights = engine.constant(self.label_weights, self._dtype)
        return divide_no_nan(engine.reduce_sum(by_label * weights), engine.reduce_sum(weights))

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        config = {"num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights,
                  "from_logits": self.from_logits, **super().get_config()}
        if self._given_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config


def _interpolated_pr_areas(tp, fp, fn):
    """The PR-curve area between neighbouring thresholds, Davis-Goadrich interpolated.

    Between thresholds i and i+1, true positives grow linearly with predicted positives
    p: tp = slope * p + intercept. Precision tp / p integrated over recall
    (d tp / (tp + fn)) gives `slope * (dtp + intercept * log(p_i / p_{i+1})) / total`.
    """
    d_tp = tp[:-1] - tp[1:]
    predicted = tp + fp
    d_p = predicted[:-1] - predicted[1:]
    slope = divide_no_nan(d_tp, engine.maximum(d_p, 0.0))
    intercept = tp[1:] - slope * predicted[1:]
    both = engine.logical_and(predicted[:-1] > 0, predicted[1:] > 0)
    ratio = engine.where(both, divide_no_nan(predicted[:-1], engine.maximum(predicted[1:], 0.0)),
                         engine.ones_like(predicted[1:]))
    return divide_no_nan(slope * (d_tp + intercept * engine.math.log(ratio)),
                         engine.maximum(tp[1:] + fn[1:], 0.0))
