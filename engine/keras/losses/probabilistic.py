"""Probabilistic losses as functions: cross-entropies, KL divergence and Poisson.

Each returns one loss per sample (the class axis reduced), as Keras 2's functions do;
the `Loss` classes weight and reduce them. With `from_logits=True` the cross-entropies
use eagerlab's fused, overflow-free ops (`engine.nn.sigmoid_cross_entropy_with_logits`,
`softmax_cross_entropy_with_logits`, `sparse_softmax_cross_entropy_with_logits`). With
probabilities they clip to `[eps, 1 - eps]` before the log, as Keras does (`eps` is
`engine.keras.backend.epsilon()`, 1e-7 by default, read when the loss runs), so a
confident wrong prediction gives a large but finite loss (about 16.1) and a gradient.

Labels that do not fit the loss are refused before any arithmetic: one-hot labels given
to a sparse loss, or integer labels given to a categorical one, raise a ValueError that
names the loss, both shapes and the loss to use instead.
"""

from __future__ import annotations

import engine
from engine.keras.backend import epsilon, floatx
from engine.keras.losses.inputs import as_tensor, prepare, shape_text

__all__ = ["binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "kl_divergence", "poisson"]


def _clip_probabilities(p):
    eps = epsilon()
    return engine.clip_by_value(p, eps, 1.0 - eps)


def _broadcast_pair(a, b):
    """`a` and `b` broadcast to their common shape (the fused ops need equal shapes)."""
    if a.shape.is_fully_defined() and a.shape == b.shape:
        return a, b
    return a + engine.zeros_like(b), b + engine.zeros_like(a)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1):
    """Binary cross-entropy per sample: the elementwise log loss averaged over `axis`.

    Args:
        y_true: targets in [0, 1], shaped like `y_pred`.
        y_pred: probabilities, or logits with `from_logits=True`.
        from_logits: whether `y_pred` holds logits (more accurate and stable).
        label_smoothing: in [0, 1]; targets move towards 0.5 by this fraction.
        axis: the axis to average over.

    Returns:
        The losses, `y_pred`'s shape without `axis`.

    Example:
        >>> engine.keras.losses.binary_crossentropy(
        ...     [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).numpy()
        array([0.9162905 , 0.71355796], dtype=float32)
    """
    y_true, y_pred = prepare("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_true, y_pred = _broadcast_pair(y_true, y_pred)
        losses = engine.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        p = _clip_probabilities(y_pred)
        # Keras adds epsilon inside the logs as well as clipping.
        losses = -(y_true * engine.math.log(p + epsilon())
                   + (1.0 - y_true) * engine.math.log(1.0 - p + epsilon()))
    return engine.reduce_mean(losses, axis=axis)


def _check_categorical_labels(who: str, y_true, y_pred, axis: int) -> None:
    a, b = y_true.shape, y_pred.shape
    if a.rank is None or b.rank is None or a.is_compatible_with(b):
        return
    classes = b[axis] if -b.rank <= axis < b.rank else None
    if a.rank == b.rank - 1 or (a.rank == b.rank and a[-1] == 1 and b[-1] != 1):
        raise ValueError(
            f"{who}: got y_true of shape {shape_text(a)} and y_pred of shape {shape_text(b)}; "
            "y_true looks like integer class indices, but this loss expects one-hot (or "
            "probability) labels of y_pred's shape. Use sparse_categorical_crossentropy "
            "(SparseCategoricalCrossentropy) for integer labels, or one-hot encode them "
            f"with engine.one_hot(labels, {classes}) or engine.keras.utils.to_categorical.")
    raise ValueError(
        f"{who}: got y_true of shape {shape_text(a)} and y_pred of shape {shape_text(b)}; "
        "expected y_true of the same shape as y_pred (one probability per class). Check "
        "the model's number of output classes against the labels.")


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1):
    """Categorical cross-entropy per sample, for one-hot or probability labels.

    Probabilities are first rescaled to sum to 1 along `axis` (as Keras does).

    Args:
        y_true: one-hot (or probability) labels, the shape of `y_pred`.
        y_pred: probabilities, or logits with `from_logits=True`.
        from_logits: whether `y_pred` holds logits (more accurate and stable).
        label_smoothing: in [0, 1]; labels move towards `1 / num_classes` by this fraction,
            `num_classes` being the size of `axis`. (Keras divides by the size of the
            last axis whatever `axis` is, so its smoothed labels do not sum to 1 for
            another axis; eagerlab counts the class axis.)
        axis: the class axis.

    Returns:
        The losses, `y_pred`'s shape without `axis`.

    Raises:
        ValueError: for labels of another shape, such as integer class indices.

    Example:
        >>> engine.keras.losses.categorical_crossentropy(
        ...     [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ...     [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).numpy()
        array([0.05129331, 2.3025851 ], dtype=float32)
    """
    y_true, y_pred = categorical_inputs("categorical_crossentropy", y_true, y_pred,
                                        label_smoothing, axis)
    if from_logits:
        return engine.nn.softmax_cross_entropy_with_logits(y_true, y_pred, axis=axis)
    p = y_pred / engine.reduce_sum(y_pred, axis=axis, keepdims=True)
    return -engine.reduce_sum(y_true * engine.math.log(_clip_probabilities(p)), axis=axis)


def categorical_inputs(who: str, y_true, y_pred, label_smoothing: float, axis: int) -> tuple:
    """`(y_true, y_pred)` of a categorical loss `who`: float predictions, labels checked to
    be one-hot-shaped, both prepared, the labels smoothed towards `1 / classes` counting
    the classes on `axis`."""
    y_pred = as_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = engine.cast(y_pred, floatx())
    y_true = as_tensor(y_true)
    _check_categorical_labels(who, y_true, y_pred, axis)
    y_true, y_pred = prepare(who, y_true, y_pred)
    if label_smoothing:
        classes = y_true.shape[axis]
        if classes is None:
            classes = engine.cast(engine.shape(y_true)[axis], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return y_true, y_pred


def _sparse_labels(who: str, y_true, y_pred):
    """Integer labels of shape `y_pred.shape[:-1]` (classes last), or a clear error."""
    a, b = y_true.shape, y_pred.shape
    if a.rank is not None and b.rank is not None:
        if a.rank == b.rank and a[-1] != 1 and a[-1] is not None:
            raise ValueError(
                f"{who}: got y_true of shape {shape_text(a)} and y_pred of shape "
                f"{shape_text(b)}; y_true has y_pred's rank and a last axis of {a[-1]}, so it "
                "looks one-hot, but this loss expects integer class indices of shape "
                f"{shape_text(b[:-1])}. Use categorical_crossentropy (CategoricalCrossentropy) "
                "for one-hot labels, or convert them with engine.argmax(y_true, axis=-1).")
        if a.rank == b.rank:
            y_true = engine.squeeze(y_true, -1)
        if not y_true.shape.is_compatible_with(b[:-1]):
            raise ValueError(
                f"{who}: got y_true of shape {shape_text(a)} and y_pred of shape "
                f"{shape_text(b)}; expected integer class indices of shape "
                f"{shape_text(b[:-1])} (y_pred's shape without the class axis), or with a "
                "trailing axis of 1.")
    if y_true.dtype not in (engine.int32, engine.int64):
        y_true = engine.cast(y_true, engine.int64)
    return y_true


def sparse_losses_and_mask(y_true, y_pred, from_logits=False, axis=-1, ignore_class=None):
    """The sparse cross-entropy per sample and, with `ignore_class`, the valid-label mask."""
    who = "sparse_categorical_crossentropy"
    y_pred = as_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = engine.cast(y_pred, floatx())
    rank = y_pred.shape.rank
    if rank is not None and axis % max(rank, 1) != rank - 1:
        if not -rank <= axis < rank:
            raise ValueError(f"{who}: got axis={axis} for y_pred of rank {rank}; expected an "
                             f"axis in [{-rank}, {rank}).")
        perm = [i for i in range(rank) if i != axis % rank] + [axis % rank]
        y_pred = engine.transpose(y_pred, perm)
    labels = _sparse_labels(who, as_tensor(y_true), y_pred)
    logits = y_pred if from_logits else engine.math.log(_clip_probabilities(y_pred))
    valid = None
    if ignore_class is not None:
        valid = engine.not_equal(labels, ignore_class)
        labels = engine.where(valid, labels, engine.zeros_like(labels))
    losses = engine.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    if valid is not None:
        losses = engine.where(valid, losses, engine.zeros_like(losses))
    return losses, valid


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False, axis: int = -1,
                                    ignore_class: int | None = None):
    """Categorical cross-entropy per sample, for integer class labels.

    Args:
        y_true: integer class indices of shape `y_pred.shape[:-1]` (a trailing axis of 1
            is dropped); float labels holding integers are accepted.
        y_pred: probabilities, or logits with `from_logits=True`.
        from_logits: whether `y_pred` holds logits (more accurate and stable).
        axis: the class axis of `y_pred`.
        ignore_class: a label value whose samples get a loss of 0 (e.g. padding). The
            `SparseCategoricalCrossentropy` class also leaves them out of the mean.

    Returns:
        The losses, shaped like the labels.

    Raises:
        ValueError: for one-hot labels or other shapes that do not fit.

    Example:
        >>> engine.keras.losses.sparse_categorical_crossentropy(
        ...     [1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).numpy()
        array([0.05129344, 2.3025851 ], dtype=float32)
    """
    return sparse_losses_and_mask(y_true, y_pred, from_logits, axis, ignore_class)[0]


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence per sample: `sum(y_true * log(y_true / y_pred), -1)`.

    Both are clipped to `[1e-7, 1]` first, so zeros give finite values.

    Args:
        y_true: target distributions.
        y_pred: predicted distributions.

    Returns:
        The divergences, `y_pred`'s shape without the last axis.

    Example:
        >>> float(engine.keras.losses.kl_divergence([0.5, 0.5], [0.25, 0.75]))
        0.1438410...
    """
    y_true, y_pred = prepare("kl_divergence", y_true, y_pred)
    y_true = engine.clip_by_value(y_true, epsilon(), 1.0)
    y_pred = engine.clip_by_value(y_pred, epsilon(), 1.0)
    return engine.reduce_sum(y_true * engine.math.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Poisson loss per sample: `mean(y_pred - y_true * log(y_pred + 1e-7), -1)`.

    Args:
        y_true: observed counts.
        y_pred: predicted rates (positive).

    Returns:
        The losses, `y_pred`'s shape without the last axis.

    Example:
        >>> float(engine.keras.losses.poisson([1.0, 0.0], [1.0, 2.0]))
        1.5
    """
    y_true, y_pred = prepare("poisson", y_true, y_pred)
    return engine.reduce_mean(y_pred - y_true * engine.math.log(y_pred + epsilon()), axis=-1)
