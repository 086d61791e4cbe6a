"""3-D reshaping layers: `ZeroPadding3D`, `Cropping3D` and `UpSampling3D`, over volumes.

They are the rank-3 forms of the 2-D layers in `reshaping.py` and share their blocks:
zero padding with `engine.pad`, cropping by slicing, nearest-neighbour upsampling by one
`tile` and a reshape (which also works for sizes known only when the graph runs). The
spatial axes are depth, height and width: axes 1-3 for "channels_last", 2-4 for
"channels_first".
"""

from __future__ import annotations

from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.conv_arguments import normalize_data_format, normalize_tuple
from engine.keras.layers.reshaping import _Cropping, _Padding, _repeat_nearest, _spatial_axes

__all__ = ["ZeroPadding3D", "Cropping3D", "UpSampling3D"]


class ZeroPadding3D(_Padding):
    """Pads the depth, height and width of volumes with zeros.

    Args:
        padding: an int (everywhere), 3 ints (both sides of each axis), or
            `((front, back), (top, bottom), (left, right))`.
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).

    Example:
        >>> layer = engine.keras.layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))
        >>> layer(engine.ones([1, 2, 2, 2, 3])).shape
        TensorShape([1, 3, 4, 4, 3])
    """

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(3, padding, data_format, **kwargs)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class Cropping3D(_Cropping):
    """Crops the depth, height and width of volumes.

    Args:
        cropping: an int (everywhere), 3 ints (both ends of each axis), or
            `((front, back), (top, bottom), (left, right))`, the entries removed.
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).

    Example:
        >>> layer = engine.keras.layers.Cropping3D(((1, 0), (1, 1), (0, 2)))
        >>> layer(engine.ones([1, 4, 4, 4, 2])).shape
        TensorShape([1, 3, 2, 2, 2])
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, cropping, data_format, **kwargs)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class UpSampling3D(Layer):
    """Nearest-neighbour upsampling of volumes: repeats entries along depth, height, width.

    Each entry is repeated `size[0]`, `size[1]` and `size[2]` times along the three axes.

    Args:
        size: an int or 3 ints, the factors.
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).

    Example:
        >>> x = engine.reshape(engine.range(2.0), [1, 1, 1, 2, 1])
        >>> engine.keras.layers.UpSampling3D((2, 1, 2))(x).numpy().ravel()
        array([0., 0., 1., 1., 0., 0., 1., 1.], dtype=float32)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.size = normalize_tuple(size, 3, "size", cls)
        self.data_format = normalize_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=5)
        self._axes = _spatial_axes(self.data_format, 3)

    def call(self, inputs):
        return _repeat_nearest(inputs, self.size, self._axes)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
