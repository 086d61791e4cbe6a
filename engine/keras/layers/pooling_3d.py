"""3-D pooling layers: `MaxPooling3D`, `AveragePooling3D` and the global ones, over volumes.

They are the rank-3 forms of the 1-D/2-D layers in `pooling.py` (same arguments, configs
and behaviour): the windowed ones run `engine.nn.max_pool3d` / `avg_pool3d`, which take
channels-first input by transposing; max pooling never picks a padded position and
average pooling does not count them. Keras' short aliases (`MaxPool3D`, `AvgPool3D`,
`GlobalMaxPool3D`, `GlobalAvgPool3D`) name the same classes.
"""

from __future__ import annotations

from engine.keras.layers.pooling import _GlobalPooling, _Pooling
from engine.ops import reduce_ops

__all__ = ["MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
           "MaxPool3D", "AvgPool3D", "GlobalMaxPool3D", "GlobalAvgPool3D"]


class MaxPooling3D(_Pooling):
    """The maximum of each `pool_size` window of volumes `(batch, depth, height, width, c)`.

    Args:
        pool_size: the window (an int or 3 ints).
        strides: the step between windows (an int or 3 ints); None means `pool_size`.
        padding: "valid" or "same" (output size `ceil(input / strides)`).
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).

    Example:
        >>> x = engine.reshape(engine.range(64.0), [1, 4, 4, 4, 1])
        >>> engine.keras.layers.MaxPooling3D()(x).numpy().ravel()
        array([21., 23., 29., 31., 53., 55., 61., 63.], dtype=float32)
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(3, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_Pooling):
    """The mean of each `pool_size` window of volumes (padded positions are not counted).

    Args:
        pool_size, strides, padding, data_format: as in `MaxPooling3D`.

    Example:
        >>> x = engine.reshape(engine.range(8.0), [1, 2, 2, 2, 1])
        >>> engine.keras.layers.AveragePooling3D()(x).numpy().ravel()
        array([3.5], dtype=float32)
    """

    _KIND = "avg"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(3, pool_size, strides, padding, data_format, **kwargs)


class GlobalMaxPooling3D(_GlobalPooling):
    """The maximum over depth, height and width of volumes: `(batch, channels)`.

    Args:
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).
        keepdims: keep the spatial axes, with length 1.

    Example:
        >>> x = engine.reshape(engine.range(16.0), [1, 2, 2, 2, 2])
        >>> engine.keras.layers.GlobalMaxPooling3D()(x).numpy()
        array([[14., 15.]], dtype=float32)
    """

    _RANK = 3


class GlobalAveragePooling3D(_GlobalPooling):
    """The mean over depth, height and width of volumes: `(batch, channels)`.

    Args:
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).
        keepdims: keep the spatial axes, with length 1.

    Example:
        >>> x = engine.reshape(engine.range(16.0), [1, 2, 2, 2, 2])
        >>> layer = engine.keras.layers.GlobalAveragePooling3D(keepdims=True)
        >>> layer(x).shape, layer(x).numpy().ravel()
        (TensorShape([1, 1, 1, 1, 2]), array([7., 8.], dtype=float32))
    """

    _RANK = 3
    _REDUCE = staticmethod(reduce_ops.reduce_mean)


MaxPool3D = MaxPooling3D
AvgPool3D = AveragePooling3D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool3D = GlobalAveragePooling3D
