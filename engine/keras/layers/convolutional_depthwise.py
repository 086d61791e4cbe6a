"""Depthwise and separable convolution layers: `DepthwiseConv1D/2D`, `SeparableConv1D/2D`.

A depthwise convolution filters each input channel on its own with `depth_multiplier`
filters (output channel `c * depth_multiplier + m` is input channel `c` through filter
`m`); a separable convolution follows it with a 1x1 convolution that mixes the channels.
Weights have Keras' names and shapes: `depthwise_kernel` `kernel_size + (in_channels,
depth_multiplier)`, `pointwise_kernel` `(1,) * rank + (in_channels * depth_multiplier,
filters)`, and `bias`. 1-D layers run the 2-D ops at height 1.
"""

from __future__ import annotations

import numpy as np

from engine.keras import constraints, initializers, regularizers
from engine.keras.layers.base import InputSpec
from engine.keras.layers.conv_arguments import fold_batch
from engine.keras.layers.convolutional import Conv, _pad_causal, depthwise
from engine.ops import conv_ops

__all__ = ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]

_DROPPED_KERNEL_KEYS = ("kernel_initializer", "kernel_regularizer", "kernel_constraint")


def _check_groups(cls: str, kwargs: dict) -> int:
    """Pops `groups` (in Keras' configs of these layers, always 1)."""
    groups = kwargs.pop("groups", 1)
    if groups != 1:
        raise ValueError(f"{cls}: got groups={groups!r}; depthwise and separable "
                         "convolutions take groups=1 only (use Conv2D(groups=...)).")
    return 1


def _check_multiplier(cls: str, depth_multiplier) -> int:
    if not isinstance(depth_multiplier, (int, np.integer)) or depth_multiplier < 1:
        raise ValueError(f"{cls}: got depth_multiplier={depth_multiplier!r}; expected a "
                         "positive int (the number of filters per input channel).")
    return int(depth_multiplier)


class _Depthwise(Conv):
    """Depthwise convolution of `rank` spatial axes (see `DepthwiseConv2D`)."""

    def __init__(self, rank, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        groups = _check_groups(type(self).__name__, kwargs)
        super().__init__(rank, None, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, bias_initializer=bias_initializer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = _check_multiplier(type(self).__name__, depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        axis, channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self._add_bias(channels * self.depth_multiplier)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _convolve(self, x):
        return depthwise(x, self.depthwise_kernel, self.strides, self._op_padding,
                         self.data_format, self.dilation_rate)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        for key in ("filters",) + _DROPPED_KERNEL_KEYS:
            config.pop(key)
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint)})
        return config


class DepthwiseConv1D(_Depthwise):
    """Depthwise 1-D convolution: each channel of `(batch, steps, channels)` filtered alone.

    Args:
        kernel_size, strides, dilation_rate: an int or a 1-tuple.
        padding: "valid", "same" or "causal".
        depth_multiplier: filters per input channel; the output has
            `channels * depth_multiplier` channels.
        data_format, activation, use_bias: as in `Conv1D`.
        depthwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: regularizers.
        depthwise_constraint, bias_constraint: constraints.

    Example:
        >>> layer = engine.keras.layers.DepthwiseConv1D(3, depth_multiplier=2)
        >>> layer(engine.ones([1, 8, 4])).shape, layer.depthwise_kernel.shape
        (TensorShape([1, 6, 8]), TensorShape([3, 4, 2]))
    """

    _PADDINGS = ("valid", "same", "causal")

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(_Depthwise):
    """Depthwise 2-D convolution: each channel of an image filtered on its own.

    Args:
        kernel_size, strides, dilation_rate: an int or a pair.
        padding: "valid" or "same".
        depth_multiplier: filters per input channel; the output has
            `channels * depth_multiplier` channels.
        data_format, activation, use_bias: as in `Conv2D`.
        depthwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: regularizers.
        depthwise_constraint, bias_constraint: constraints.

    Example:
        >>> layer = engine.keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)
        >>> layer(engine.ones([1, 5, 5, 3])).shape, layer.depthwise_kernel.shape
        (TensorShape([1, 5, 5, 6]), TensorShape([3, 3, 3, 2]))
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class _Separable(Conv):
    """Separable convolution of `rank` spatial axes (see `SeparableConv2D`)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        groups = _check_groups(type(self).__name__, kwargs)
        super().__init__(rank, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, groups, activation, use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = _check_multiplier(type(self).__name__, depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        axis, channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._add_bias(self.filters)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        x, unfold = fold_batch(self, inputs, self.rank + 1)
        if self.padding == "causal":
            x = _pad_causal(x, self.kernel_size[0], self.dilation_rate[0], self.data_format)
        y = depthwise(x, self.depthwise_kernel, self.strides, self._op_padding,
                      self.data_format, self.dilation_rate)
        y = self._pointwise(y)
        return unfold(self._finish(y))

    def _pointwise(self, y):
        """The 1x1 convolution that mixes the depthwise output's channels."""
        if self.rank == 1:
            return conv_ops.conv1d(y, self.pointwise_kernel, 1, "VALID", self._format)
        return conv_ops.conv2d(y, self.pointwise_kernel, 1, "VALID", self._format)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        for key in _DROPPED_KERNEL_KEYS:
            config.pop(key)
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint)})
        return config


class SeparableConv1D(_Separable):
    """Separable 1-D convolution: a depthwise convolution, then a 1x1 one across channels.

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or a 1-tuple.
        padding: "valid", "same" or "causal".
        depth_multiplier: depthwise filters per input channel.
        data_format, activation, use_bias: as in `Conv1D`.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer: regularizers of the kernels.
        bias_regularizer, activity_regularizer: regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: constraints.

    Example:
        >>> layer = engine.keras.layers.SeparableConv1D(5, 3, padding="same")
        >>> layer(engine.ones([2, 7, 4])).shape, layer.pointwise_kernel.shape
        (TensorShape([2, 7, 5]), TensorShape([1, 4, 5]))
    """

    _PADDINGS = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


class SeparableConv2D(_Separable):
    """Separable 2-D convolution: a depthwise convolution, then a 1x1 one across channels.

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or a pair.
        padding: "valid" or "same".
        depth_multiplier: depthwise filters per input channel.
        data_format, activation, use_bias: as in `Conv2D`.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer: regularizers of the kernels.
        bias_regularizer, activity_regularizer: regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: constraints.

    Example:
        >>> layer = engine.keras.layers.SeparableConv2D(8, 3, depth_multiplier=2)
        >>> layer(engine.ones([1, 6, 6, 3])).shape
        TensorShape([1, 4, 4, 8])
        >>> [w.shape.as_list() for w in layer.weights]
        [[3, 3, 3, 2], [1, 1, 6, 8], [8]]
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)
