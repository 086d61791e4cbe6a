"""`engine.keras.layers`: the Keras layers, and `serialize`/`deserialize` for them."""

from engine.keras.layers.abstract_rnn_cell import *  # noqa: F401,F403
from engine.keras.layers.activation_layers import *  # noqa: F401,F403
from engine.keras.layers.attention import *  # noqa: F401,F403
from engine.keras.layers.base import InputSpec, Layer  # noqa: F401
from engine.keras.layers.convolutional import *  # noqa: F401,F403
from engine.keras.layers.convolutional_3d import *  # noqa: F401,F403
from engine.keras.layers.convolutional_depthwise import *  # noqa: F401,F403
from engine.keras.layers.core import Activation, Dense, Dropout, Flatten, Lambda  # noqa: F401
from engine.keras.layers.dense_attention import *  # noqa: F401,F403
from engine.keras.layers.einsum_dense import *  # noqa: F401,F403
from engine.keras.layers.embedding import *  # noqa: F401,F403
from engine.keras.layers.functional import Input, InputLayer  # noqa: F401
from engine.keras.layers.group_normalization import *  # noqa: F401,F403
from engine.keras.layers.gru import *  # noqa: F401,F403
from engine.keras.layers.lstm import *  # noqa: F401,F403
from engine.keras.layers.merging import *  # noqa: F401,F403
from engine.keras.layers.noise import *  # noqa: F401,F403
from engine.keras.layers.normalization import *  # noqa: F401,F403
from engine.keras.layers.pooling import *  # noqa: F401,F403
from engine.keras.layers.pooling_3d import *  # noqa: F401,F403
from engine.keras.layers.preprocessing import *  # noqa: F401,F403
from engine.keras.layers.recurrent import *  # noqa: F401,F403
from engine.keras.layers.regularization_layers import *  # noqa: F401,F403
from engine.keras.layers.reshaping import *  # noqa: F401,F403
from engine.keras.layers.reshaping_3d import *  # noqa: F401,F403
from engine.keras.layers.simple_rnn import *  # noqa: F401,F403
from engine.keras.layers.spatial_dropout import *  # noqa: F401,F403
from engine.keras.layers.wrappers import *  # noqa: F401,F403

# Keras 2's long-form aliases of the convolution layers.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D  # noqa: F405
Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose  # noqa: F405
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D  # noqa: F405


def _table() -> dict:
    """`{class name: class}` of every layer exported here."""
    return {name: obj for name, obj in globals().items()
            if isinstance(obj, type) and issubclass(obj, Layer)}


def serialize(layer) -> dict:
    """`{"class_name", "config"}` of a layer.

    Args:
        layer: a layer.

    Returns:
        A JSON-able dict.

    Example:
        >>> engine.keras.layers.serialize(engine.keras.layers.Dense(2, name="d"))["class_name"]
        'Dense'
    """
    from engine.keras.serialization import serialize_object  # noqa: PLC0415

    return serialize_object(layer)


def deserialize(config, custom_objects=None):
    """A layer from `serialize`'s output (custom layers via `custom_objects` or registered).

    Args:
        config: `{"class_name", "config"}`.
        custom_objects: extra `{name: class}`.

    Returns:
        A new layer.

    Example:
        >>> layer = engine.keras.layers.deserialize(
        ...     {"class_name": "Dense", "config": {"units": 2, "name": "d"}})
        >>> layer.units
        2
    """
    from engine.keras.serialization import resolve  # noqa: PLC0415

    table = _table()
    from engine.keras import models  # noqa: PLC0415 - nested models deserialize too

    table.update({"Sequential": models.Sequential, "Functional": models.Functional,
                  "Model": models.Functional})
    return resolve(config, table, "layer", custom_objects)
