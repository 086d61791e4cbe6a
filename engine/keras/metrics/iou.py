"""Intersection-over-union metrics for segmentation: `IoU`, `MeanIoU` and their variants.

The state is a `(num_classes, num_classes)` confusion matrix (rows: true class,
columns: predicted class) of weighted counts, accumulated in float64 as Keras does. For
class c, IoU = TP / (TP + FP + FN) = cm[c, c] / (row sum + column sum - cm[c, c]); the
result averages it over the target classes that appeared as a label or a prediction.

`IoU` averages over chosen `target_class_ids`; `MeanIoU` over all classes; `BinaryIoU`
thresholds probabilities into classes 0 and 1 first; `OneHotIoU` and `OneHotMeanIoU`
take one-hot labels (and scores), whose argmax gives the class.
"""

from __future__ import annotations

import numbers

import engine
from engine.keras.losses.inputs import as_tensor, match_ranks, shape_text
from engine.keras.losses.reduction import (
    check_sample_weight,
    divide_no_nan,
    match_weight_rank,
)
from engine.keras.metrics.base import Metric

__all__ = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]


class IoU(Metric):
    """The mean over `target_class_ids` of intersection-over-union, from a confusion matrix.

    Args:
        num_classes: the number of classes (labels are in [0, num_classes)).
        target_class_ids: the classes whose IoU is averaged (a list of indices).
        name: the metric's name.
        dtype: the dtype of the result.
        ignore_class: a label value to leave out (e.g. "void" pixels).
        sparse_y_true: whether labels are class indices (else one-hot or scores, whose
            argmax along `axis` is taken).
        sparse_y_pred: whether predictions are class indices (else scores, argmax taken).
        axis: the class axis for the argmax.

    Raises:
        ValueError: for `num_classes` < 1 or a target class outside [0, num_classes).

    Example:
        >>> m = engine.keras.metrics.IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, num_classes: int, target_class_ids, name: str | None = None,
                 dtype=None, ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(name=name, dtype=dtype)
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
                or num_classes < 1:
            raise ValueError(f"{self.name}: got num_classes={num_classes!r}; expected a "
                             "positive number of classes.")
        self.num_classes = int(num_classes)
        ids = [target_class_ids] if isinstance(target_class_ids, numbers.Integral) else \
            list(target_class_ids)
        bad = [i for i in ids
               if not isinstance(i, numbers.Integral) or not 0 <= i < self.num_classes]
        if bad or not ids:
            raise ValueError(f"{self.name}: got target_class_ids={target_class_ids!r}; "
                             f"expected a non-empty list of class indices in [0, "
                             f"{self.num_classes}) (out of range: {bad}). Raise num_classes "
                             "or drop those ids.")
        self.target_class_ids = [int(i) for i in ids]
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
        """The mean IoU over the target classes present (0 before any update).

        Returns:
            A scalar tensor of the metric's dtype.
        """
        cm = engine.identity(self.total_cm)
        predicted = engine.reduce_sum(cm, axis=0)
        actual = engine.reduce_sum(cm, axis=1)
        diagonal = engine.eye(self.num_classes, dtype=cm.dtype)
        true_positives = engine.reduce_sum(cm * diagonal, axis=0)
        union = predicted + actual - true_positives
        if self.target_class_ids != list(range(self.num_classes)):
            ids = engine.constant(self.target_class_ids, engine.int32)
            true_positives, union = engine.gather(true_positives, ids), engine.gather(union, ids)
        present = engine.reduce_sum(engine.cast(engine.not_equal(union, 0.0), engine.float64))
        iou = divide_no_nan(true_positives, union)
        return engine.cast(divide_no_nan(engine.reduce_sum(iou), present), self._dtype)

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis,
                **super().get_config()}


class MeanIoU(IoU):
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
        classes = int(num_classes) if isinstance(num_classes, numbers.Integral) else 0
        super().__init__(num_classes, list(range(max(classes, 1))), name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        """The constructor arguments (every class is a target).

        Returns:
            A JSON-able dict.
        """
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU for binary labels and probabilities: `y_pred >= threshold` is class 1.

    Args:
        target_class_ids: the classes whose IoU is averaged: `[0]`, `[1]` or `[0, 1]`.
        threshold: predictions at or above it are class 1, below it class 0.
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
        >>> m = engine.keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise ValueError(f"{self.name}: got threshold={threshold!r}; expected a number "
                             "(predictions at or above it count as class 1).")
        self.threshold = float(threshold)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Thresholds the predictions into classes 0 and 1, then adds them to the matrix.

        Args:
            y_true: labels, 0 or 1.
            y_pred: probabilities (or scores), the shape of `y_true`.
            sample_weight: None, a scalar, one weight per sample, or one per label.
        """
        y_true = engine.cast(as_tensor(y_true), self._dtype)
        y_pred = engine.cast(as_tensor(y_pred), self._dtype)
        y_pred = engine.cast(engine.greater_equal(y_pred, self.threshold), self._dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class OneHotIoU(IoU):
    """IoU for one-hot labels and class scores (argmax along `axis` gives each class).

    Args:
        num_classes: the number of classes (the size of `axis`).
        target_class_ids: the classes whose IoU is averaged.
        name: the metric's name.
        dtype: the dtype of the result.
        ignore_class: a class to leave out.
        sparse_y_pred: whether predictions are already class indices.
        axis: the class axis.

    Example:
        >>> m = engine.keras.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
        ...                 [0.1, 0.4, 0.5]], sample_weight=[0.1, 0.2, 0.3, 0.4])
        >>> round(float(m.result()), 4)
        0.0714
    """

    def __init__(self, num_classes: int, target_class_ids, name: str | None = None,
                 dtype=None, ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1):
        super().__init__(num_classes, target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """Mean IoU over all classes, for one-hot labels and class scores.

    Args:
        num_classes: the number of classes (the size of `axis`).
        name: the metric's name.
        dtype: the dtype of the result.
        ignore_class: a class to leave out.
        sparse_y_pred: whether predictions are already class indices.
        axis: the class axis.

    Example:
        >>> m = engine.keras.metrics.OneHotMeanIoU(num_classes=3)
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
        ...                 [0.1, 0.4, 0.5]], sample_weight=[0.1, 0.2, 0.3, 0.4])
        >>> round(float(m.result()), 4)
        0.0476
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype=None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1):
        super().__init__(num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        """The constructor arguments.

        Returns:
            A JSON-able dict.
        """
        config = super().get_config()
        del config["sparse_y_true"]
        return config
