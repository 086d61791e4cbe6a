"""`engine.keras.metrics`: stateful metrics and metric functions with Keras 2 semantics.

A metric object accumulates over batches (`update_state`), reports (`result`) and
starts over (`reset_state`); its state lives in non-trainable `engine.Variable`s created
at construction, so the same metric works eagerly and inside `engine.function`. Metric
functions (`binary_accuracy`, `mse`, ...) give per-sample values; `Model.compile` wraps
them in `MeanMetricWrapper`. `get` resolves names; `resolve_accuracy` and
`resolve_crossentropy` pick the metric that "accuracy" / "acc" and "crossentropy" / "ce"
mean for a model output.

Example:
    >>> m = engine.keras.metrics.get("SparseCategoricalAccuracy")
    >>> m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]])
    >>> float(m.result())
    0.5
"""

from __future__ import annotations

from engine.keras import losses as _losses
from engine.keras import serialization as _serialization
from engine.keras.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from engine.keras.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from engine.keras.metrics.auc import AUC
from engine.keras.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from engine.keras.metrics.confusion import Precision, Recall
from engine.keras.metrics.constrained import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from engine.keras.metrics.counts import (
    FalseNegatives,
    FalsePositives,
    TrueNegatives,
    TruePositives,
)
from engine.keras.metrics.fbeta import F1Score, FBetaScore
from engine.keras.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from engine.keras.metrics.loss_means import (
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanSquaredLogarithmicError,
    Poisson,
    SquaredHinge,
    cosine_similarity,
)
from engine.keras.metrics.r2 import R2Score
from engine.keras.metrics.regression import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
)

# Keras 2's short names: the same function objects.
acc = ACC = accuracy
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

_CLASSES = [Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy,
            CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
            SparseTopKCategoricalAccuracy, Precision, Recall, AUC, MeanSquaredError,
            RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanIoU,
            BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
            CosineSimilarity, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
            LogCoshError, MeanSquaredLogarithmicError, TruePositives, FalsePositives,
            TrueNegatives, FalseNegatives, PrecisionAtRecall, RecallAtPrecision,
            SensitivityAtSpecificity, SpecificityAtSensitivity, IoU, BinaryIoU, OneHotIoU,
            OneHotMeanIoU, FBetaScore, F1Score, R2Score]
_FUNCTIONS = {
    "accuracy": accuracy, "acc": acc, "ACC": ACC, "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error, "mse": mse, "MSE": MSE,
    "mean_absolute_error": mean_absolute_error, "mae": mae, "MAE": MAE,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mape,
    "MAPE": MAPE,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": msle,
    "MSLE": MSLE,
    "kl_divergence": kl_divergence, "kld": kld, "KLD": KLD,
    "kullback_leibler_divergence": kullback_leibler_divergence, "poisson": poisson,
    "hinge": hinge, "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge,
    "log_cosh": log_cosh, "logcosh": logcosh, "cosine_similarity": cosine_similarity,
}
# Class names in snake_case too ("auc", "precision", "root_mean_squared_error"), unless a
# function has that name ("mean_squared_error" is the function, as in Keras).
_TABLE = {**{_serialization.snake_case(cls.__name__): cls for cls in _CLASSES},
          **{cls.__name__: cls for cls in _CLASSES}, **_FUNCTIONS}

__all__ = [cls.__name__ for cls in _CLASSES] + list(_FUNCTIONS) + [
    "get", "serialize", "deserialize", "resolve_accuracy", "resolve_crossentropy"]


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


def get(identifier):
    """The metric named or described by `identifier`, as `Model.compile(metrics=...)` takes it.

    A function's name gives the function (`"mae"`); a class's name gives an instance with
    default options (`"AUC"`). Dicts from `serialize`, classes, instances and functions are
    accepted too. "accuracy" gives the exact-match `accuracy` function, as in Keras;
    `Model.compile` resolves "accuracy" and "crossentropy" with `resolve_accuracy` and
    `resolve_crossentropy` first.

    Args:
        identifier: a string, a config dict, a class, a `Metric`, a function, or None.

    Returns:
        A metric function or `Metric` instance (None for None).

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for a value that cannot be a metric.

    Example:
        >>> engine.keras.metrics.get("mae") is engine.keras.metrics.mean_absolute_error
        True
        >>> engine.keras.metrics.get("AUC").num_thresholds
        200
    """
    if isinstance(identifier, str) and identifier in ("crossentropy", "ce"):
        raise ValueError(f"Metric {identifier!r} depends on the model: binary, categorical or "
                         "sparse categorical cross-entropy. Model.compile resolves it; "
                         "elsewhere call engine.keras.metrics.resolve_crossentropy(loss, "
                         "output_shape) or name the metric directly.")
    return _serialization.resolve(identifier, _TABLE, "metric")


def serialize(metric):
    """A metric as plain data: a function's name, or `{"class_name", "config"}`.

    Args:
        metric: a metric function or `Metric` instance.

    Returns:
        A string or a JSON-able dict that `deserialize` turns back into the metric.

    Example:
        >>> engine.keras.metrics.serialize(engine.keras.metrics.BinaryAccuracy(threshold=0.7))
        {'class_name': 'BinaryAccuracy',
         'config': {'name': 'binary_accuracy', 'dtype': 'float32', 'threshold': 0.7}}
    """
    return _serialization.serialize_object(metric)


def deserialize(config, custom_objects: dict | None = None):
    """The metric that `serialize` described (with fresh state).

    Args:
        config: a string or a `{"class_name", "config"}` dict.
        custom_objects: `{name: class or function}` for custom metrics.

    Returns:
        A metric function or `Metric` instance.

    Example:
        >>> engine.keras.metrics.deserialize(
        ...     {"class_name": "Precision", "config": {"thresholds": 0.7}}).thresholds
        [0.7]
    """
    return _serialization.resolve(config, _TABLE, "metric", custom_objects)


def _loss_kind(loss) -> str | None:
    """"binary", "sparse" or None: which cross-entropy `loss` is, if any."""
    if isinstance(loss, (str, dict)):
        try:
            loss = _losses.get(loss)
        except ValueError:  # an unknown loss name: compile reports it when it gets the loss
            return None
    fn = loss.fn if isinstance(loss, _losses.LossFunctionWrapper) else loss
    if fn is _losses.binary_crossentropy:
        return "binary"
    if fn is _losses.sparse_categorical_crossentropy:
        return "sparse"
    return None


def _dims(shape) -> list:
    if shape is None or getattr(shape, "rank", 0) is None:
        return []
    return list(shape)


def _kind(loss, output_shape, y_true_shape) -> str:
    """Keras' rule: "binary", "sparse" or "categorical" for a model output."""
    kind = _loss_kind(loss)
    dims = _dims(output_shape)
    last = dims[-1] if dims else None
    if kind is None and last == 1:
        kind = "binary"
    if kind is None and y_true_shape is not None and dims:
        labels = _dims(y_true_shape)
        if len(labels) < len(dims) or (labels and labels[-1] == 1 and last not in (1, None)):
            kind = "sparse"
    return kind or "categorical"


def resolve_accuracy(loss, output_shape, y_true_shape=None, name: str = "accuracy"):
    """The accuracy metric that "accuracy" or "acc" means for a model output.

    Keras' rule: `BinaryAccuracy` for a binary cross-entropy loss or a last output
    dimension of 1; `SparseCategoricalAccuracy` for a sparse categorical cross-entropy
    loss, or, when `y_true_shape` is known, for labels with fewer axes than the outputs or
    a last label dimension of 1 against several outputs; `CategoricalAccuracy` otherwise.
    As in Keras, the threshold stays 0.5 even for a loss with `from_logits=True`.

    Args:
        loss: the model's loss for this output (a name, function, `Loss` or None).
        output_shape: the output's shape (a tuple or `TensorShape`; the last dimension
            decides).
        y_true_shape: the labels' shape, if known.
        name: the metric's name.

    Returns:
        A new metric object.

    Example:
        >>> engine.keras.metrics.resolve_accuracy("sparse_categorical_crossentropy", (None, 10))
        <SparseCategoricalAccuracy name='accuracy'>
        >>> engine.keras.metrics.resolve_accuracy("mse", (None, 1))
        <BinaryAccuracy name='accuracy'>
    """
    classes = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy,
               "categorical": CategoricalAccuracy}
    return classes[_kind(loss, output_shape, y_true_shape)](name=name)


def resolve_crossentropy(loss, output_shape, y_true_shape=None, name: str = "crossentropy"):
    """The cross-entropy metric that "crossentropy" or "ce" means for a model output.

    The same rule as `resolve_accuracy`, choosing among `BinaryCrossentropy`,
    `SparseCategoricalCrossentropy` and `CategoricalCrossentropy` (on probabilities, as
    in Keras).

    Args:
        loss: the model's loss for this output (a name, function, `Loss` or None).
        output_shape: the output's shape (a tuple or `TensorShape`).
        y_true_shape: the labels' shape, if known.
        name: the metric's name.

    Returns:
        A new metric object.

    Example:
        >>> engine.keras.metrics.resolve_crossentropy("categorical_crossentropy", (None, 3))
        <CategoricalCrossentropy name='crossentropy'>
    """
    classes = {"binary": BinaryCrossentropy, "sparse": SparseCategoricalCrossentropy,
               "categorical": CategoricalCrossentropy}
    return classes[_kind(loss, output_shape, y_true_shape)](name=name)
