"""The built-in loss classes: each wraps one loss function with its options (Keras 2 names).

`get_config()` returns the options plus `reduction` and `name`, so that
`type(loss).from_config(loss.get_config())` rebuilds an equal loss.
"""

from __future__ import annotations

from engine.keras.losses import probabilistic as _p
from engine.keras.losses import regression as _r
from engine.keras.losses.base import LossFunctionWrapper
from engine.keras.losses.inputs import as_tensor, match_ranks
from engine.keras.losses.reduction import Reduction

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "Huber", "LogCosh", "KLDivergence", "Poisson",
           "Hinge", "SquaredHinge", "CategoricalHinge", "CosineSimilarity"]

_AUTO = Reduction.AUTO


def _check_smoothing(who: str, label_smoothing) -> float:
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"{who}: got label_smoothing={label_smoothing!r}; expected a number "
                         "in [0, 1] (0 disables smoothing; 0.1 is a common choice).")
    return float(label_smoothing)


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy between binary labels and predicted probabilities (or logits).

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards 0.5 by this fraction.
        axis: the axis averaged over for each sample.
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> bce = engine.keras.losses.BinaryCrossentropy()
        >>> float(bce([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]))
        0.8149...
        >>> bce = engine.keras.losses.BinaryCrossentropy(from_logits=True)
        >>> float(bce([[1.0]], [[100.0]]))
        0.0
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = _AUTO, name: str = "binary_crossentropy"):
        super().__init__(_p.binary_crossentropy, reduction=reduction, name=name,
                         from_logits=bool(from_logits),
                         label_smoothing=_check_smoothing(name, label_smoothing), axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between one-hot (or probability) labels and predicted distributions.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards `1 / num_classes` by this fraction.
        axis: the class axis.
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> cce = engine.keras.losses.CategoricalCrossentropy()
        >>> float(cce([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ...           [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
        1.176939...
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = _AUTO, name: str = "categorical_crossentropy"):
        super().__init__(_p.categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=bool(from_logits),
                         label_smoothing=_check_smoothing(name, label_smoothing), axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between integer class labels and predicted distributions.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        ignore_class: a label value to leave out (e.g. padding): its samples get loss 0
            and do not count in the mean.
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> scce = engine.keras.losses.SparseCategoricalCrossentropy()
        >>> float(scce([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
        1.176939...
        >>> scce = engine.keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
        >>> float(scce([1, -1], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]))
        0.05129...
    """

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str = _AUTO, name: str = "sparse_categorical_crossentropy"):
        super().__init__(_p.sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=bool(from_logits), ignore_class=ignore_class)

    def _losses_and_mask(self, y_true, y_pred):
        y_true, y_pred = match_ranks(as_tensor(y_true), as_tensor(y_pred))
        return _p.sparse_losses_and_mask(y_true, y_pred, **self._fn_kwargs)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of the squared errors: `mean(square(y_true - y_pred))`.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> mse = engine.keras.losses.MeanSquaredError()
        >>> float(mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]))
        0.5
        >>> float(mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]],
        ...           sample_weight=[0.7, 0.3]))
        0.25
    """

    def __init__(self, reduction: str = _AUTO, name: str = "mean_squared_error"):
        super().__init__(_r.mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of the absolute errors: `mean(abs(y_true - y_pred))`.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> float(engine.keras.losses.MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]]))
        1.5
    """

    def __init__(self, reduction: str = _AUTO, name: str = "mean_absolute_error"):
        super().__init__(_r.mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error: `100 * mean(abs((y_true - y_pred) / y_true))`.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> mape = engine.keras.losses.MeanAbsolutePercentageError()
        >>> float(mape([[2.0, 4.0]], [[1.0, 5.0]]))
        37.5
    """

    def __init__(self, reduction: str = _AUTO, name: str = "mean_absolute_percentage_error"):
        super().__init__(_r.mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error: `mean(square(log1p(y_pred) - log1p(y_true)))`.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> msle = engine.keras.losses.MeanSquaredLogarithmicError()
        >>> round(float(msle([[np.e - 1]], [[0.0]])), 5)
        1.0
    """

    def __init__(self, reduction: str = _AUTO, name: str = "mean_squared_logarithmic_error"):
        super().__init__(_r.mean_squared_logarithmic_error, reduction=reduction, name=name)


class LogCosh(LossFunctionWrapper):
    """Mean of `log(cosh(y_pred - y_true))`: like MSE for small errors, like MAE for large.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> round(float(engine.keras.losses.LogCosh()([[0.0]], [[1.0]])), 5)
        0.43378
    """

    def __init__(self, reduction: str = _AUTO, name: str = "log_cosh"):
        super().__init__(_r.log_cosh, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))` per sample.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> float(engine.keras.losses.KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]]))
        0.1438410...
    """

    def __init__(self, reduction: str = _AUTO, name: str = "kl_divergence"):
        super().__init__(_p.kl_divergence, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """Poisson loss: `mean(y_pred - y_true * log(y_pred))` for count data.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> float(engine.keras.losses.Poisson()([[1.0, 0.0]], [[1.0, 2.0]]))
        1.5
    """

    def __init__(self, reduction: str = _AUTO, name: str = "poisson"):
        super().__init__(_p.poisson, reduction=reduction, name=name)


class Hinge(LossFunctionWrapper):
    """Hinge loss `mean(maximum(1 - y_true * y_pred, 0))`, labels in {-1, 1} or {0, 1}.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> float(engine.keras.losses.Hinge()([[0.0, 1.0]], [[0.6, 0.4]]))
        1.100000...
    """

    def __init__(self, reduction: str = _AUTO, name: str = "hinge"):
        super().__init__(_r.hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss `mean(square(maximum(1 - y_true * y_pred, 0)))`.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> float(engine.keras.losses.SquaredHinge()([[0.0, 1.0]], [[0.6, 0.4]]))
        1.46000...
    """

    def __init__(self, reduction: str = _AUTO, name: str = "squared_hinge"):
        super().__init__(_r.squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss: the best wrong score minus the true score plus 1, floored at 0.

    Args:
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> float(engine.keras.losses.CategoricalHinge()([[0.0, 1.0]], [[0.6, 0.4]]))
        1.2000000...
    """

    def __init__(self, reduction: str = _AUTO, name: str = "categorical_hinge"):
        super().__init__(_r.categorical_hinge, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for errors up to `delta`, linear beyond (robust to outliers).

    Args:
        delta: where the quadratic part turns linear (a positive number).
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> float(engine.keras.losses.Huber()([[0.0, 0.0]], [[0.5, 3.0]]))
        1.3125
    """

    def __init__(self, delta: float = 1.0, reduction: str = _AUTO, name: str = "huber_loss"):
        if not float(delta) > 0:
            raise ValueError(f"{name}: got delta={delta!r}; expected a positive number, the "
                             "error size where the loss turns from quadratic to linear.")
        super().__init__(_r.huber, reduction=reduction, name=name, delta=float(delta))


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity between labels and predictions along `axis`.

    -1 means the same direction (the best value), 0 orthogonal, 1 opposite.

    Args:
        axis: the axis along which the vectors lie.
        reduction: see `engine.keras.losses.Loss`.
        name: the loss's name.

    Example:
        >>> cos = engine.keras.losses.CosineSimilarity()
        >>> float(cos([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]))
        -0.4999999...
    """

    def __init__(self, axis: int = -1, reduction: str = _AUTO, name: str = "cosine_similarity"):
        super().__init__(_r.cosine_similarity, reduction=reduction, name=name, axis=axis)
