"""Convolution layers: `Conv1D`, `Conv2D`, `Conv1DTranspose`, `Conv2DTranspose`.

Weights have Keras' names, shapes and order, so they load from and into Keras models as
they are: `kernel` of shape `kernel_size + (in_channels // groups, filters)` (transposed
convolutions: `kernel_size + (filters, in_channels)`) and `bias` of shape `(filters,)`.

The layers are thin: `Conv1D` and `Conv2D` fix the rank of `Conv`, whose build and call
(grouped convolutions included) are in `convolutional_base.py`; the transposed layers are
in `convolutional_transpose.py`. Both are re-exported here.
"""

from __future__ import annotations

from engine.keras.layers.convolutional_base import (  # noqa: F401 - re-exported
    Conv,
    _pad_causal,
    depthwise,
)
from engine.keras.layers.convolutional_transpose import (  # noqa: F401 - re-exported
    Conv1DTranspose,
    Conv2DTranspose,
    ConvTranspose,
)

__all__ = ["Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose"]


class Conv1D(Conv):
    """1-D convolution over `(batch, steps, channels)` (temporal convolution).

    Args:
        filters: the number of output channels.
        kernel_size: an int (or a 1-tuple), the window length.
        strides, dilation_rate: an int or a 1-tuple.
        padding: "valid", "same" or "causal" (output `t` sees inputs up to `t` only: the
            input is padded on the left by `dilation_rate * (kernel_size - 1)`).
        data_format, groups, activation, use_bias: as in `Conv`.
        kernel_initializer, bias_initializer: as in `Conv`.
        kernel_regularizer, bias_regularizer, activity_regularizer: as in `Conv`.
        kernel_constraint, bias_constraint: as in `Conv`.

    Example:
        >>> layer = engine.keras.layers.Conv1D(4, 3, padding="causal")
        >>> layer(engine.ones([2, 10, 3])).shape
        TensorShape([2, 10, 4])
    """

    _PADDINGS = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv2D(Conv):
    """2-D convolution over images `(batch, height, width, channels)`.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a pair, the window's height and width.
        strides, dilation_rate: an int or a pair.
        padding: "valid" or "same" (output size `ceil(input / stride)`).
        data_format, groups, activation, use_bias: as in `Conv`.
        kernel_initializer, bias_initializer: as in `Conv`.
        kernel_regularizer, bias_regularizer, activity_regularizer: as in `Conv`.
        kernel_constraint, bias_constraint: as in `Conv`.

    Example:
        >>> layer = engine.keras.layers.Conv2D(8, (3, 3), strides=2, activation="relu")
        >>> layer(engine.ones([1, 9, 9, 3])).shape
        TensorShape([1, 4, 4, 8])
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)
