"""`engine.keras.utils`: serialization registry, seeding and small data helpers.

Also Keras 2's other utilities (`Sequence`, `get_file`, the `*_dataset_from_*` loaders,
`pad_sequences`, custom object scopes, image file helpers), re-exported from the modules
that define them.
"""

from __future__ import annotations

import random as _random

import numpy as np

from engine.keras.array_datasets import (  # noqa: F401 - re-exported
    normalize,
    split_dataset,
    timeseries_dataset_from_array,
)
from engine.keras.callbacks.progbar import Progbar  # noqa: F401 - re-exported
from engine.keras.custom_objects import (  # noqa: F401 - re-exported
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    serialize_keras_object,
)
from engine.keras.data_sequence import Sequence  # noqa: F401 - re-exported
from engine.keras.directory_datasets import (  # noqa: F401 - re-exported
    image_dataset_from_directory,
    text_dataset_from_directory,
)
from engine.keras.file_download import get_file  # noqa: F401 - re-exported
from engine.keras.image_io import (  # noqa: F401 - re-exported
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)
from engine.keras.models.data_adapter import (  # noqa: F401 - re-exported
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from engine.keras.preprocessing.sequence import pad_sequences  # noqa: F401 - re-exported
from engine.keras.serialization import (  # noqa: F401 - re-exported
    get_registered_object,
    register_keras_serializable,
)
from engine.keras.source_inputs import get_source_inputs  # noqa: F401 - re-exported

__all__ = ["register_keras_serializable", "get_registered_object", "to_categorical",
           "unpack_x_y_sample_weight", "pack_x_y_sample_weight", "set_random_seed",
           # Keras 2's further utilities, each defined in a module named for its concept
           "Sequence", "Progbar", "get_file", "image_dataset_from_directory",
           "text_dataset_from_directory", "timeseries_dataset_from_array", "pad_sequences",
           "normalize", "custom_object_scope", "CustomObjectScope", "get_custom_objects",
           "serialize_keras_object", "deserialize_keras_object", "get_registered_name",
           "get_source_inputs", "split_dataset", "load_img", "img_to_array", "array_to_img",
           "save_img"]


def __dir__():
    # The public API and the dunders, not the modules imported here (np, random).
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy's global RNG and the engine (`engine.random.set_seed`).

    As Keras 2's `tf.keras.utils.set_random_seed`: after it, a program that builds and
    trains a model the same way gets the same initial weights, shuffles and dropout masks.

    Args:
        seed: a non-negative integer.

    Raises:
        ValueError: if `seed` is not an integer.

    Example:
        >>> engine.keras.utils.set_random_seed(7)
        >>> a = engine.keras.layers.Dense(2).add_weight("w", shape=[3]).numpy()
        >>> engine.keras.utils.set_random_seed(7)
        >>> bool((a == engine.keras.layers.Dense(2).add_weight("w", shape=[3]).numpy()).all())
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed: expected an integer seed; received seed={seed!r}. "
                         "Pass e.g. set_random_seed(42).")
    from engine.ops import random_ops  # noqa: PLC0415

    seed = int(seed)
    _random.seed(seed)
    np.random.seed(seed)
    random_ops.set_seed(seed)


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
