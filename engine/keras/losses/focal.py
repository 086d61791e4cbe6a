"""Focal losses: cross-entropies that down-weight the examples a model already gets right.

Lin et al. (2017) scale each cross-entropy term by `(1 - p_t) ** gamma`, where `p_t` is
the probability the model gives the true label: confident right predictions add almost
nothing, so training concentrates on the hard examples. `gamma = 0` gives back the plain
cross-entropy. `alpha` weights the classes: for the binary loss, `alpha` weighs the
positive labels and `1 - alpha` the negative ones (only with `apply_class_balancing`); for
the categorical loss every term is multiplied by `alpha` (a number, or one per class).

The formulas are Keras 2's: probabilities are clipped to `[eps, 1 - eps]` for the log but
not for the focal factor of the binary loss; categorical predictions are rescaled to sum
to 1 first; with `from_logits=True` the binary log loss is the overflow-free
`sigmoid_cross_entropy_with_logits` and the categorical one works on `softmax(y_pred)`.
"""

from __future__ import annotations

import numbers

import engine
from engine.keras.backend import epsilon
from engine.keras.losses.base import LossFunctionWrapper
from engine.keras.losses.classes import _check_smoothing
from engine.keras.losses.inputs import prepare
from engine.keras.losses.probabilistic import _broadcast_pair, categorical_inputs
from engine.keras.losses.reduction import Reduction

__all__ = ["binary_focal_crossentropy", "categorical_focal_crossentropy",
           "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy"]


def _check_gamma(who: str, gamma) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not gamma >= 0:
        raise ValueError(f"{who}: got gamma={gamma!r}; expected a number >= 0, the focusing "
                         "exponent (0 gives plain cross-entropy; 2.0 is the usual choice).")
    return float(gamma)


def _check_alpha(who: str, alpha, per_class: bool):
    """`alpha` as a float in [0, 1] (binary) or a float / list of floats >= 0 (categorical)."""
    values = list(alpha) if per_class and isinstance(alpha, (list, tuple)) else [alpha]
    numeric = all(isinstance(a, numbers.Real) and not isinstance(a, bool) for a in values)
    if numeric and values and per_class and all(a >= 0 for a in values):
        return [float(a) for a in values] if isinstance(alpha, (list, tuple)) else float(alpha)
    if numeric and not per_class and 0.0 <= alpha <= 1.0:
        return float(alpha)
    expected = ("a number >= 0 or a list of one number >= 0 per class" if per_class else
                "a number in [0, 1], the weight of the positive class (negatives get "
                "1 - alpha)")
    raise ValueError(f"{who}: got alpha={alpha!r}; expected {expected}. 0.25 is the usual "
                     "choice.")


def _check_axis(who: str, axis) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"{who}: got axis={axis!r}; expected an integer axis, e.g. -1.")
    return int(axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1):
    """Binary focal cross-entropy per sample: `(1 - p_t) ** gamma * bce`, averaged over `axis`.

    Args:
        y_true: targets in [0, 1], shaped like `y_pred`.
        y_pred: probabilities, or logits with `from_logits=True`.
        apply_class_balancing: weight positive terms by `alpha`, negative ones by
            `1 - alpha`.
        alpha: the positive class's weight, in [0, 1] (used with `apply_class_balancing`).
        gamma: the focusing exponent, >= 0 (0 gives `binary_crossentropy`).
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in [0, 1]; targets move towards 0.5 by this fraction.
        axis: the axis to average over.

    Returns:
        The losses, `y_pred`'s shape without `axis`.

    Example:
        >>> engine.keras.losses.binary_focal_crossentropy(
        ...     [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]], gamma=2.0).numpy()
        array([0.3298..., 0.2057...], dtype=float32)
    """
    who = "binary_focal_crossentropy"
    y_true, y_pred = prepare(who, y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_true, y_pred = _broadcast_pair(y_true, y_pred)
        p = engine.sigmoid(y_pred)
        log_loss = engine.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        p = y_pred
        clipped = engine.clip_by_value(y_pred, epsilon(), 1.0 - epsilon())
        log_loss = -(y_true * engine.math.log(clipped + epsilon())
                     + (1.0 - y_true) * engine.math.log(1.0 - clipped + epsilon()))
    p_true = y_true * p + (1.0 - y_true) * (1.0 - p)  # the probability of the true label
    losses = engine.math.pow(1.0 - p_true, gamma) * log_loss
    if apply_class_balancing:
        losses = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * losses
    return engine.reduce_mean(losses, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1):
    """Categorical focal cross-entropy per sample: `-sum(alpha * (1 - p) ** gamma * t * log p)`.

    Args:
        y_true: one-hot (or probability) labels, the shape of `y_pred`.
        y_pred: probabilities (rescaled to sum to 1 along `axis`), or logits with
            `from_logits=True`.
        alpha: a weight for every class (a number), or one weight per class (a list).
        gamma: the focusing exponent, >= 0.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in [0, 1]; labels move towards `1 / num_classes` by this fraction,
            counting the classes on `axis`.
        axis: the class axis.

    Returns:
        The losses, `y_pred`'s shape without `axis`.

    Raises:
        ValueError: for labels of another shape, such as integer class indices.

    Example:
        >>> engine.keras.losses.categorical_focal_crossentropy(
        ...     [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ...     [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).numpy()
        array([3.2058331e-05, 4.6627346e-01], dtype=float32)
    """
    who = "categorical_focal_crossentropy"
    axis = _check_axis(who, axis)
    y_true, y_pred = categorical_inputs(who, y_true, y_pred, label_smoothing, axis)
    p = engine.nn.softmax(y_pred, axis=axis) if from_logits else y_pred
    p = p / engine.reduce_sum(p, axis=axis, keepdims=True)
    p = engine.clip_by_value(p, epsilon(), 1.0 - epsilon())
    weight = engine.math.pow(1.0 - p, gamma)
    if isinstance(alpha, (list, tuple)):
        alpha = _class_weights(engine.constant(alpha, y_pred.dtype), y_pred.shape.rank, axis)
    return -engine.reduce_sum(alpha * weight * y_true * engine.math.log(p), axis=axis)


def _class_weights(alpha, rank, axis):
    """Per-class weights `(classes,)` reshaped to broadcast along `axis` of a rank-`rank` input."""
    if rank is None or axis % rank == rank - 1:
        return alpha
    shape = [1] * rank
    shape[axis % rank] = -1
    return engine.reshape(alpha, shape)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy scaled by `(1 - p_t) ** gamma`, to focus training on hard examples.

    Args:
        apply_class_balancing: weight positive labels by `alpha` and negative ones by
            `1 - alpha`.
        alpha: the positive class's weight, in [0, 1].
        gamma: the focusing exponent, >= 0 (0 gives `BinaryCrossentropy`).
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards 0.5 by this fraction.
        axis: the axis averaged over for each sample.
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Raises:
        ValueError: for `alpha` outside [0, 1], a negative `gamma`, or `label_smoothing`
            outside [0, 1].

    Example:
        >>> loss = engine.keras.losses.BinaryFocalCrossentropy(gamma=2.0)
        >>> round(float(loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])), 4)
        0.2678
    """

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25,
                 gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str = Reduction.AUTO,
                 name: str = "binary_focal_crossentropy"):
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name,
                         apply_class_balancing=bool(apply_class_balancing),
                         alpha=_check_alpha(name, alpha, per_class=False),
                         gamma=_check_gamma(name, gamma), from_logits=bool(from_logits),
                         label_smoothing=_check_smoothing(name, label_smoothing),
                         axis=_check_axis(name, axis))


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy scaled by `alpha * (1 - p) ** gamma` per class.

    Args:
        alpha: a weight for every class (a number >= 0), or a list of one weight per class
            (e.g. inverse class frequencies).
        gamma: the focusing exponent, >= 0 (0 with `alpha=1` gives
            `CategoricalCrossentropy`).
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards `1 / num_classes` by this fraction.
        axis: the class axis.
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Raises:
        ValueError: for a negative `alpha` or `gamma`, or `label_smoothing` outside [0, 1].

    Example:
        >>> loss = engine.keras.losses.CategoricalFocalCrossentropy()
        >>> round(float(loss([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ...                  [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])), 4)
        0.2332
    """

    def __init__(self, alpha=0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = Reduction.AUTO, name: str = "categorical_focal_crossentropy"):
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         alpha=_check_alpha(name, alpha, per_class=True),
                         gamma=_check_gamma(name, gamma), from_logits=bool(from_logits),
                         label_smoothing=_check_smoothing(name, label_smoothing),
                         axis=_check_axis(name, axis))
