"""`MeanIoU`: the mean intersection-over-union of classes, for segmentation.

The state is a `(num_classes, num_classes)` confusion matrix (rows: true class,
columns: predicted class) of weighted counts, accumulated in float64 as Keras does. For
class c, IoU = TP / (TP + FP + FN) = cm[c, c] / (row sum + column sum - cm[c, c]); the
result averages it over the classes that appeared as a label or a prediction.
"""

from __future__ import annotations

import engine
from engine.keras.losses.inputs import as_tensor, match_ranks, shape_text
from engine.keras.losses.reduction import (
    check_sample_weight,
    divide_no_nan,
    match_weight_rank,
)
from engine.keras.metrics.base import Metric

__all__ = ["MeanIoU"]


class MeanIoU(Metric):
    """The mean over classes of intersection-over-union, from a running confusion matrix.

    Args:
        num_classes: the number of classes (labels are in [0, num_classes)).
        name: the metric's name.
        dtype: the dtype of the result.
        ignore_class: a label value to leave out (e.g. "void" pixels).
        sparse_y_true: whether labels are class indices (else one-hot or scores, whose
            argmax along `axis` is taken).
        sparse_y_pred: whether predictions are class indices (else scores, argmax taken).
        axis: the class axis for the argmax.

    Example:
        >>> m = engine.keras.metrics.MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype=None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(name=name, dtype=dtype)
        if int(num_classes) < 1:
            raise ValueError(f"{self.name}: got num_classes={num_classes!r}; expected a "
                             "positive number of classes.")
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        self.axis = axis
        self.total_cm = self.add_weight("total_confusion_matrix",
                                        shape=(self.num_classes, self.num_classes),
                                        dtype=engine.float64)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch to the confusion matrix.

        Args:
            y_true: class labels (indices, or one-hot with `sparse_y_true=False`).
            y_pred: predicted classes (indices, or scores with `sparse_y_pred=False`).
            sample_weight: None, a scalar, one weight per sample, or one per label.
        """
        y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = engine.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = engine.argmax(y_pred, axis=self.axis)
        y_true, y_pred = match_ranks(engine.cast(y_true, engine.int64),
                                     engine.cast(y_pred, engine.int64))
        if not y_true.shape.is_compatible_with(y_pred.shape):
            raise ValueError(f"{self.name}: got labels of shape {shape_text(y_true.shape)} and "
                             f"predictions of shape {shape_text(y_pred.shape)}; expected one "
                             "predicted class per label (argmax taken for non-sparse inputs).")
        weights = engine.ones_like(y_true, dtype=engine.float64)
        if sample_weight is not None:
            given = match_weight_rank(y_true, engine.cast(as_tensor(sample_weight),
                                                          engine.float64))
            check_sample_weight(self.name, given, y_true)
            weights = weights * given
        y_true, y_pred = engine.reshape(y_true, [-1]), engine.reshape(y_pred, [-1])
        weights = engine.reshape(weights, [-1])
        if self.ignore_class is not None:
            keep = engine.not_equal(y_true, self.ignore_class)
            weights = weights * engine.cast(keep, engine.float64)
            y_true = engine.where(keep, y_true, engine.zeros_like(y_true))
        cells = y_true * self.num_classes + y_pred
        counts = engine.unsorted_segment_sum(weights, cells, self.num_classes ** 2)
        self.total_cm.assign_add(engine.reshape(counts, [self.num_classes, self.num_classes]))

    def result(self):
        """The mean IoU over the classes present (0 before any update).

        Returns:
            A scalar tensor of the metric's dtype.
        """
        cm = engine.identity(self.total_cm)
        predicted = engine.reduce_sum(cm, axis=0)
        actual = engine.reduce_sum(cm, axis=1)
        diagonal = engine.eye(self.num_classes, dtype=cm.dtype)
        true_positives = engine.reduce_sum(cm * diagonal, axis=0)
        union = predicted + actual - true_positives
        present = engine.reduce_sum(engine.cast(engine.not_equal(union, 0.0), engine.float64))
        iou = divide_no_nan(true_positives, union)
        return engine.cast(divide_no_nan(engine.reduce_sum(iou), present), self._dtype)

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        return {"num_classes": self.num_classes, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis, **super().get_config()}
