"""`engine.keras.losses`: loss classes and functions with Keras 2 semantics.

A loss function (`mean_squared_error`, `binary_crossentropy`, ...) maps labels and
predictions to one loss per sample. A loss class (`MeanSquaredError`, ...) wraps one and
adds `sample_weight` and a reduction to a scalar (`Loss.__call__`). `get` resolves what
`Model.compile(loss=...)` accepts: a name (`"mse"`, `"sparse_categorical_crossentropy"`,
`"Huber"`), a config dict, a class, an instance or a function.

Example:
    >>> loss = engine.keras.losses.get("sparse_categorical_crossentropy")
    >>> loss([1, 0], [[0.1, 0.9], [0.8, 0.2]]).numpy()
    array([0.10536..., 0.22314...], dtype=float32)
"""

from __future__ import annotations

from engine.keras import serialization as _serialization
from engine.keras.losses.base import Loss, LossFunctionWrapper
from engine.keras.losses.classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from engine.keras.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from engine.keras.losses.probabilistic import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from engine.keras.losses.reduction import Reduction
from engine.keras.losses.regression import (
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    squared_hinge,
)

# Keras 2's short names: the same function objects.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber
bce = BCE = binary_crossentropy

_CLASSES = [Loss, LossFunctionWrapper, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber, LogCosh,
            KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity,
            BinaryFocalCrossentropy, CategoricalFocalCrossentropy]
_FUNCTIONS = {
    "binary_crossentropy": binary_crossentropy, "bce": bce, "BCE": BCE,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error, "mse": mse, "MSE": MSE,
    "mean_absolute_error": mean_absolute_error, "mae": mae, "MAE": MAE,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mape,
    "MAPE": MAPE,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": msle,
    "MSLE": MSLE,
    "huber": huber, "huber_loss": huber_loss, "log_cosh": log_cosh, "logcosh": logcosh,
    "kl_divergence": kl_divergence, "kld": kld, "KLD": KLD,
    "kullback_leibler_divergence": kullback_leibler_divergence,
    "poisson": poisson, "hinge": hinge, "squared_hinge": squared_hinge,
    "categorical_hinge": categorical_hinge, "cosine_similarity": cosine_similarity,
    "binary_focal_crossentropy": binary_focal_crossentropy,
    "categorical_focal_crossentropy": categorical_focal_crossentropy,
}
_TABLE = {**{cls.__name__: cls for cls in _CLASSES}, **_FUNCTIONS}

__all__ = [cls.__name__ for cls in _CLASSES] + list(_FUNCTIONS) + [
    "Reduction", "get", "serialize", "deserialize"]


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


def get(identifier):
    """The loss named or described by `identifier`, as `Model.compile(loss=...)` takes it.

    A function's name gives the function (`"mse"` gives `mean_squared_error`); a class's
    name gives an instance with default options (`"Huber"`). Dicts from `serialize`,
    classes, instances and functions are accepted too; custom losses registered with
    `engine.keras.utils.register_keras_serializable` resolve by name.

    Args:
        identifier: a string, a config dict, a class, a `Loss`, a function, or None.

    Returns:
        A loss function or `Loss` instance (None for None).

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for a value that cannot be a loss.

    Example:
        >>> engine.keras.losses.get("mse") is engine.keras.losses.mean_squared_error
        True
        >>> engine.keras.losses.get("Huber")
        <Huber name='huber_loss' reduction='auto'>
    """
    return _serialization.resolve(identifier, _TABLE, "loss")


def serialize(loss):
    """A loss as plain data: a function's name, or `{"class_name", "config"}` for a `Loss`.

    Args:
        loss: a loss function or `Loss` instance.

    Returns:
        A string or a JSON-able dict that `deserialize` turns back into the loss.

    Example:
        >>> engine.keras.losses.serialize(engine.keras.losses.Huber(delta=2.0))
        {'class_name': 'Huber',
         'config': {'reduction': 'auto', 'name': 'huber_loss', 'delta': 2.0}}
    """
    return _serialization.serialize_object(loss)


def deserialize(config, custom_objects: dict | None = None):
    """The loss that `serialize` described.

    Args:
        config: a string or a `{"class_name", "config"}` dict.
        custom_objects: `{name: class or function}` for custom losses.

    Returns:
        A loss function or `Loss` instance.

    Example:
        >>> engine.keras.losses.deserialize(
        ...     {"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
        <BinaryCrossentropy name='binary_crossentropy' reduction='auto'>
    """
    return _serialization.resolve(config, _TABLE, "loss", custom_objects)
