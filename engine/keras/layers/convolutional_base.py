"""`Conv`, the base of the convolution layers, and the blocks the other conv layers share.

Weights have Keras' names, shapes and order, so they load from and into Keras models as
they are: `kernel` of shape `kernel_size + (in_channels // groups, filters)` and `bias` of
shape `(filters,)`.

The layers compute with the engine's convolution ops (`engine.nn.conv1d`, `conv2d`,
`depthwise_conv2d`), which take channels-first inputs by transposing to channels-last and
back. Grouped convolutions (`groups > 1`), which the ops lack, are built from other ops
here: one convolution per group on a split of the channels, concatenated; when every group
holds one input channel this is a depthwise convolution, which the engine has, so that case
runs as one op. `depthwise` and `_pad_causal` serve the depthwise and separable layers too
(`convolutional_depthwise.py`); the transposed layers are in `convolutional_transpose.py`.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine.keras import activations, constraints, initializers, regularizers
from engine.keras.activations import MONOTONE_ACTIVATIONS
from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.conv_arguments import (
    engine_format,
    fold_batch,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    require_rank,
)
from engine.keras.layers.weight_options import weight_options_config
from engine.ops import array_ops, conv_ops, depthwise_conv_ops, join_ops, manip_ops, nn_ops

__all__ = ["Conv", "depthwise"]

_LAYOUTS = {(1, "channels_last"): "(batch, steps, channels)",
            (1, "channels_first"): "(batch, channels, steps)",
            (2, "channels_last"): "(batch, height, width, channels)",
            (2, "channels_first"): "(batch, channels, height, width)",
            (3, "channels_last"): "(batch, depth, height, width, channels)",
            (3, "channels_first"): "(batch, channels, depth, height, width)"}


class Conv(Layer):
    """Base of the convolution layers: `activation(conv(inputs, kernel) + bias)`.

    Subclasses fix `rank` (the number of spatial axes). The arguments are Keras'.

    Args:
        rank: 1 or 2.
        filters: the number of output channels.
        kernel_size: an int or `rank` ints.
        strides: an int or `rank` ints.
        padding: "valid", "same" (or "causal" for 1-D convolutions), case-insensitive.
        data_format: "channels_last" (default: `backend.image_data_format()`) or
            "channels_first".
        dilation_rate: an int or `rank` ints.
        groups: splits the input channels into this many groups, each convolved with
            `filters // groups` filters; divides `filters` and the input channels.
        activation: an activation (name or function), default none.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers (names or objects).
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    Example:
        >>> layer = engine.keras.layers.Conv2D(4, 3, padding="same")
        >>> layer(engine.ones([2, 8, 8, 3])).shape, layer.kernel.shape
        (TensorShape([2, 8, 8, 4]), TensorShape([3, 3, 3, 4]))
    """

    _PADDINGS = ("valid", "same")

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.rank = int(rank)
        if filters is not None and (not isinstance(filters, (int, np.integer)) or filters <= 0):
            raise ValueError(f"{cls}: got filters={filters!r}; expected a positive int (the "
                             "number of output channels).")
        self.filters = None if filters is None else int(filters)
        if not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(f"{cls}: got groups={groups!r}; expected a positive int.")
        self.groups = int(groups)
        if self.filters is not None and self.filters % self.groups:
            raise ValueError(f"{cls}: got filters={self.filters} and groups={self.groups}; "
                             "expected filters to be a multiple of groups (each group gets "
                             "filters // groups of them).")
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = normalize_tuple(strides, self.rank, "strides", cls)
        self.padding = normalize_padding(padding, cls, self._PADDINGS)
        self.data_format = normalize_data_format(data_format, cls)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", cls)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=self.rank + 2)
        self._format = engine_format(self.data_format, self.rank)
        # The engine op's padding; causal padding is applied before a VALID convolution.
        self._op_padding = "VALID" if self.padding == "causal" else self.padding.upper()

    # --- build --------------------------------------------------------------------------
    def _input_channels(self, input_shape, exact: bool = False) -> tuple:
        """`(channel axis counted from the end, channels)` of the input, checked."""
        shape = require_rank(self, input_shape, self.rank + 2,
                             _LAYOUTS[self.rank, self.data_format], at_least=not exact)
        axis = -(self.rank + 1) if self.data_format == "channels_first" else -1
        channels = shape[axis]
        if channels is None:
            raise ValueError(f"{self.name} ({type(self).__name__}): the channel axis of the "
                             f"input (axis {axis}) must be known to build the layer; got "
                             f"shape {shape}.")
        return axis, channels

    def build(self, input_shape):
        axis, channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{self.name} ({type(self).__name__}): got groups={self.groups} "
                             f"and an input with {channels} channels (shape {input_shape}); "
                             "expected the channels to be a multiple of groups.")
        self.kernel = self._add_kernel(self.kernel_size + (channels // self.groups,
                                                           self.filters))
        self._add_bias(self.filters)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _add_kernel(self, shape: tuple):
        return self.add_weight("kernel", shape=shape, initializer=self.kernel_initializer,
                               regularizer=self.kernel_regularizer,
                               constraint=self.kernel_constraint)

    def _add_bias(self, size: int) -> None:
        self.bias = self.add_weight("bias", shape=(size,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    # --- call ---------------------------------------------------------------------------
    def call(self, inputs):
        x, unfold = fold_batch(self, inputs, self.rank + 1)
        if self.padding == "causal":
            x = _pad_causal(x, self.kernel_size[0], self.dilation_rate[0], self.data_format)
        return unfold(self._finish(self._convolve(x)))

    def _convolve(self, x):
        kernel = self.kernel
        if self.groups == 1:
            return self._conv(x, kernel)
        if kernel.shape[-2] == 1:  # one input channel per group: a depthwise convolution
            spatial = list(self.kernel_size)
            kernel = array_ops.reshape(kernel, spatial + [self.groups, -1])
            return depthwise(x, kernel, self.strides, self._op_padding, self.data_format,
                             self.dilation_rate)
        axis = 1 if self.data_format == "channels_first" else -1
        parts = zip(manip_ops.split(x, self.groups, axis=axis),
                    manip_ops.split(kernel, self.groups, axis=-1))
        return join_ops.concat([self._conv(xg, kg) for xg, kg in parts], axis=axis)

    def _conv(self, x, kernel):
        if self.rank == 1:
            return conv_ops.conv1d(x, kernel, self.strides, self._op_padding, self._format,
                                   self.dilation_rate)
        return conv_ops.conv2d(x, kernel, self.strides, self._op_padding, self._format,
                               self.dilation_rate)

    def _finish(self, y):
        """Adds the bias and applies the activation.

        When both commute with a max over spatial positions (a per-channel bias, and an
        activation that never decreases), a traced output remembers `y` before them: a max
        pooling layer right after then pools `y` and finishes the smaller result instead,
        and the unpooled bias and activation are dead code. Eagerly they have run already,
        and remembering `y` would keep a tensor of the output's size alive as long as the
        output (the tape holds it until the backward pass), so eager outputs do not.
        """
        pre = y
        if self.use_bias:
            y = nn_ops.bias_add(y, self.bias, data_format=self._format)
        if self.activation is not activations.linear:
            y = self.activation(y)
        if (y is not pre and not context.executing_eagerly()
                and activations.serialize(self.activation) in MONOTONE_ACTIVATIONS):
            y._keras_fold = ("finish", pre, self._finish, self.data_format)
        return y

    # --- config -------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "groups": self.groups,
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            **weight_options_config(self)})
        return config



# --- building blocks shared with the depthwise layers -----------------------------------------
def depthwise(x, kernel, strides, padding: str, data_format: str, dilations):
    """A depthwise convolution of a 1-D or 2-D input (by `len(strides)`), engine padding.

    1-D inputs run as 2-D ones of height 1: `kernel` is `(k, channels, multiplier)` then.

    Args:
        x: the input, `(batch, *spatial, channels)` or channels-first.
        kernel: `(*kernel_size, channels, multiplier)`.
        strides, dilations: one int per spatial axis.
        padding: "SAME" or "VALID".
        data_format: "channels_last" or "channels_first".

    Returns:
        `(batch, *out_spatial, channels * multiplier)` (or channels-first).
    """
    fmt = engine_format(data_format, 2)
    if len(strides) == 2:
        return depthwise_conv_ops.depthwise_conv2d(x, kernel, strides, padding, fmt, dilations)
    height = 2 if data_format == "channels_first" else 1
    y = depthwise_conv_ops.depthwise_conv2d(
        array_ops.expand_dims(x, height), array_ops.expand_dims(kernel, 0),
        (1, strides[0]), padding, fmt, (1, dilations[0]))
    return array_ops.squeeze(y, height)


def _pad_causal(x, kernel: int, dilation: int, data_format: str):
    """Pads the steps axis on the left so that output `t` depends on inputs `<= t` only."""
    left = dilation * (kernel - 1)
    steps = [[left, 0]]
    pads = [[0, 0], [0, 0]] + steps if data_format == "channels_first" else (
        [[0, 0]] + steps + [[0, 0]])
    return manip_ops.pad(x, pads)
