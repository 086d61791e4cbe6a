"""`engine.keras.utils`: serialization registry and small data helpers."""

from __future__ import annotations

import numpy as np

from engine.keras.models.data_adapter import (  # noqa: F401 - re-exported
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from engine.keras.serialization import (  # noqa: F401 - re-exported
    get_registered_object,
    register_keras_serializable,
)

__all__ = ["register_keras_serializable", "get_registered_object", "to_categorical",
           "unpack_x_y_sample_weight", "pack_x_y_sample_weight"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encodes integer class labels into a NumPy array.

    Args:
        y: integer labels (any shape; a trailing dimension of 1 is dropped).
        num_classes: the number of classes (default: max label + 1).
        dtype: the output dtype.

    Returns:
        A NumPy array of shape `y.shape + (num_classes,)`.

    Raises:
        ValueError: for labels outside [0, num_classes).

    Example:
        >>> engine.keras.utils.to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    y = np.asarray(y, dtype="int64")
    if y.ndim and y.shape[-1] == 1 and y.ndim > 1:
        y = y[..., 0]
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must be in [0, {num_classes}); got values "
                         f"from {int(y.min())} to {int(y.max())}.")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out
