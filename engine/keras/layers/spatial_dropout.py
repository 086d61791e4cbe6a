"""Spatial dropout: `SpatialDropout1D`, `SpatialDropout2D` and `SpatialDropout3D`.

`Dropout` that drops whole feature maps (channels) instead of single units: one keep/drop
decision per example and channel, shared by every time step or pixel. Neighbouring
positions of a feature map are strongly correlated, so dropping single units there hardly
regularizes; dropping the map does. Like `Dropout`, active only with `training=True`, and
the kept channels are scaled by `1 / (1 - rate)`.
"""

from __future__ import annotations

from engine.keras.layers.base import InputSpec
from engine.keras.layers.conv_arguments import normalize_data_format
from engine.keras.layers.core import Dropout
from engine.keras.layers.noise import _number

__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]


class _SpatialDropout(Dropout):
    """A `Dropout` whose noise shape is `(batch, 1, ..., 1, channels)` (or channels first)."""

    _spatial_axes = 1

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        # Keras 2 configs carry noise_shape=None (inherited from Dropout): accept that.
        noise_shape = kwargs.pop("noise_shape", None)
        if noise_shape is not None:
            raise TypeError(f"{type(self).__name__}: got noise_shape={noise_shape!r}; the "
                            "pattern is fixed (one decision per example and channel). Use "
                            "Dropout(rate, noise_shape=...) for another pattern.")
        _number(type(self).__name__, "rate", rate, 0.0, 1.0)
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self._spatial_axes + 2)
        ones = (1,) * self._spatial_axes
        # None entries take the input's size, also when it is known only at run time.
        self.noise_shape = ((None, None, *ones) if self.data_format == "channels_first"
                            else (None, *ones, None))

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.pop("noise_shape")
        if self._spatial_axes > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of `(batch, steps, channels)` inputs while training.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        seed: an int seed for a repeatable pattern, or None.
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.SpatialDropout1D(0.5, seed=1)
        >>> y = layer(engine.ones([1, 3, 4]), training=True).numpy()
        >>> bool((y == y[:, :1]).all())  # each channel is kept or dropped at every step
        True
    """

    _spatial_axes = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of 4-D inputs (images) while training.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: "channels_last", `(batch, rows, cols, channels)`, or "channels_first",
            `(batch, channels, rows, cols)` (default `backend.image_data_format()`).
        seed: an int seed for a repeatable pattern, or None.
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.SpatialDropout2D(0.5, seed=1)
        >>> y = layer(engine.ones([2, 3, 3, 4]), training=True).numpy()
        >>> bool((y == y[:, :1, :1]).all())  # one decision per example and channel
        True
    """

    _spatial_axes = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature maps of 5-D inputs (volumes) while training.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: "channels_last", `(batch, dim1, dim2, dim3, channels)`, or
            "channels_first", `(batch, channels, dim1, dim2, dim3)` (default
            `backend.image_data_format()`).
        seed: an int seed for a repeatable pattern, or None.
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.SpatialDropout3D(0.5, data_format="channels_first")
        >>> layer(engine.ones([1, 2, 2, 2, 2]), training=True).shape
        TensorShape([1, 2, 2, 2, 2])
    """

    _spatial_axes = 3
