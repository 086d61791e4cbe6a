"""More metrics that average a loss function: hinges, divergences, log errors, similarity.

Like those of `regression.py`, each is a `MeanMetricWrapper` around a function of
`engine.keras.losses` (or, for cosine similarity, `cosine_similarity` below): the value
after several batches is the weighted mean of the per-sample values over all of them.
"""

from __future__ import annotations

import engine
from engine.keras import losses as _losses
from engine.keras.losses.inputs import prepare
from engine.keras.metrics.base import MeanMetricWrapper

__all__ = ["cosine_similarity", "CosineSimilarity", "Hinge", "SquaredHinge",
           "CategoricalHinge", "KLDivergence", "Poisson", "LogCoshError",
           "MeanSquaredLogarithmicError"]


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """Cosine similarity per sample along `axis`: 1 for the same direction, -1 for opposite.

    The metric's sign is the opposite of the loss `engine.keras.losses.cosine_similarity`,
    as in Keras.

    Args:
        y_true: targets.
        y_pred: predictions.
        axis: the axis along which the vectors lie.

    Returns:
        The similarities, `y_pred`'s shape without `axis`.

    Example:
        >>> engine.keras.metrics.cosine_similarity([[0.0, 1.0], [1.0, 1.0]],
        ...                                        [[1.0, 0.0], [1.0, 1.0]]).numpy()
        array([0.        , 0.99999994], dtype=float32)
    """
    y_true, y_pred = prepare("cosine_similarity", y_true, y_pred)
    y_true = engine.math.l2_normalize(y_true, axis=axis)
    y_pred = engine.math.l2_normalize(y_pred, axis=axis)
    return engine.reduce_sum(y_true * y_pred, axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between labels and predictions over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        axis: the axis along which the vectors lie.

    Example:
        >>> m = engine.keras.metrics.CosineSimilarity()
        >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, name: str = "cosine_similarity", dtype=None, axis: int = -1):
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"{name}: got axis={axis!r}; expected an integer axis, e.g. -1.")
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class Hinge(MeanMetricWrapper):
    """The mean hinge loss over all samples seen (labels in {-1, 1} or {0, 1}).

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.Hinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.3
    """

    def __init__(self, name: str = "hinge", dtype=None):
        super().__init__(_losses.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The mean squared hinge loss over all samples seen (labels in {-1, 1} or {0, 1}).

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.SquaredHinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.86
    """

    def __init__(self, name: str = "squared_hinge", dtype=None):
        super().__init__(_losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The mean categorical hinge loss (one-hot labels) over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.CategoricalHinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        1.4
    """

    def __init__(self, name: str = "categorical_hinge", dtype=None):
        super().__init__(_losses.categorical_hinge, name=name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """The mean Kullback-Leibler divergence of predictions from labels over all samples seen.

    Args:
        name: the metric's name (Keras 2's default, "kullback_leibler_divergence").
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.KLDivergence()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 4)
        0.4581
    """

    def __init__(self, name: str = "kullback_leibler_divergence", dtype=None):
        super().__init__(_losses.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """The mean Poisson loss `mean(y_pred - y_true * log(y_pred))` over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.Poisson()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, name: str = "poisson", dtype=None):
        super().__init__(_losses.poisson, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """The mean of `log(cosh(y_pred - y_true))` over all samples seen.

    Args:
        name: the metric's name (Keras 2's default, "logcosh").
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.LogCoshError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(float(m.result()), 4)
        0.1084
    """

    def __init__(self, name: str = "logcosh", dtype=None):
        super().__init__(_losses.log_cosh, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean of `square(log1p(y_pred) - log1p(y_true))` over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.MeanSquaredLogarithmicError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(float(m.result()), 4)
        0.1201
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype=None):
        super().__init__(_losses.mean_squared_logarithmic_error, name=name, dtype=dtype)
