"""Convolution layers: `Conv1D`, `Conv2D`, `Conv1DTranspose`, `Conv2DTranspose`.

Weights have Keras' names, shapes and order, so they load from and into Keras models as
they are: `kernel` of shape `kernel_size + (in_channels // groups, filters)` (transposed
convolutions: `kernel_size + (filters, in_channels)`) and `bias` of shape `(filters,)`.

The layers compute with the engine's convolution ops (`engine.nn.conv1d`, `conv2d`,
`conv2d_transpose`, `depthwise_conv2d`), which take channels-first inputs by transposing
to channels-last and back. Two cases the ops lack are built from other ops here:
- grouped convolutions (`groups > 1`): one convolution per group on a split of the
  channels, concatenated; when every group holds one input channel this is a depthwise
  convolution, which the engine has, so that case runs as one op;
- transposed convolutions of an unknown batch size (the functional API wires models with
  batch `None`; `engine.function` with an `input_signature` may too): the op needs the
  output's full shape, so there the layer spreads the input with zeros (the stride) and
  convolves with the flipped kernel, which is the same linear map.
"""

from __future__ import annotations

import numpy as np

from engine.errors import ShapeError
from engine.keras import activations, constraints, initializers, regularizers
from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.conv_arguments import (
    deconv_output_length,
    engine_format,
    fold_batch,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    require_rank,
)
from engine.ops import array_ops, conv_ops, depthwise_conv_ops, join_ops, manip_ops, nn_ops

__all__ = ["Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose"]

_LAYOUTS = {(1, "channels_last"): "(batch, steps, channels)",
            (1, "channels_first"): "(batch, channels, steps)",
            (2, "channels_last"): "(batch, height, width, channels)",
            (2, "channels_first"): "(batch, channels, height, width)"}


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
        """Adds the bias and applies the activation."""
        if self.use_bias:
            y = nn_ops.bias_add(y, self.bias, data_format=self._format)
        if self.activation is not activations.linear:
            y = self.activation(y)
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
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint)})
        return config


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


class ConvTranspose(Conv):
    """Base of the transposed convolutions: the gradient of a convolution, as a layer.

    The output has the size that a convolution with the same kernel, strides, padding and
    dilation maps to the input's size (`output_padding` picks among the sizes that do, when
    the stride makes several possible). The kernel is `kernel_size + (filters, in_channels)`.

    Args:
        rank: 1 or 2.
        output_padding: an int or `rank` ints, each smaller than the stride; None: Keras'
            default size (`input * stride` for "same").
        filters, kernel_size, strides, padding: as in `Conv`.
        data_format, dilation_rate, activation, use_bias: as in `Conv`.
        kernel_initializer, bias_initializer: as in `Conv`.
        kernel_regularizer, bias_regularizer, activity_regularizer: as in `Conv`.
        kernel_constraint, bias_constraint: as in `Conv`.

    Example:
        >>> layer = engine.keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same")
        >>> layer(engine.ones([1, 4, 4, 8])).shape, layer.kernel.shape
        (TensorShape([1, 8, 8, 3]), TensorShape([3, 3, 3, 8]))
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, groups=1, **kwargs):
        super().__init__(rank, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, groups, **kwargs)
        cls = type(self).__name__
        if self.groups != 1:
            raise ValueError(f"{cls}: got groups={groups!r}; transposed convolutions support "
                             "groups=1 only.")
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, rank, "output_padding", cls,
                                                  allow_zero=True)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"{cls}: got output_padding={self.output_padding} and "
                                 f"strides={self.strides}; expected each output padding to be "
                                 "smaller than its stride.")

    def build(self, input_shape):
        axis, channels = self._input_channels(input_shape, exact=True)
        self.kernel = self._add_kernel(self.kernel_size + (self.filters, channels))
        self._add_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _output_spatial(self, inputs) -> list:
        dims = inputs.shape.as_list()
        spatial = dims[2:] if self.data_format == "channels_first" else dims[1:-1]
        if None in spatial:
            raise ShapeError(f"{self.name} ({type(self).__name__}): got an input of shape "
                             f"{inputs.shape}; the spatial sizes must be known to size the "
                             "output. Give them in the model's Input shape or in the "
                             "function's input_signature.")
        pads = self.output_padding or (None,) * self.rank
        return [deconv_output_length(n, k, self.padding, p, s, d) for n, k, p, s, d in zip(
            spatial, self.kernel_size, pads, self.strides, self.dilation_rate)]

    def call(self, inputs):
        out_spatial = self._output_spatial(inputs)
        batch = inputs.shape[0]
        if batch is None:
            return self._finish(self._transpose_unknown_batch(inputs, out_spatial))
        if self.data_format == "channels_first":
            output_shape = [batch, self.filters] + out_spatial
        else:
            output_shape = [batch] + out_spatial + [self.filters]
        if self.rank == 1:
            y = conv_ops.conv1d_transpose(inputs, self.kernel, output_shape, self.strides,
                                          self._op_padding, self._format, self.dilation_rate)
        else:
            y = conv_ops.conv2d_transpose(inputs, self.kernel, output_shape, self.strides,
                                          self._op_padding, self._format, self.dilation_rate)
        return self._finish(y)

    def _transpose_unknown_batch(self, x, out_spatial):
        """The transposed convolution as a convolution of the zero-spread input (NHWC)."""
        first = self.data_format == "channels_first"
        if first:
            x = array_ops.transpose(x, (0, 2, 1) if self.rank == 1 else (0, 2, 3, 1))
        kernel = self.kernel
        strides, dilations = list(self.strides), list(self.dilation_rate)
        sizes, out_spatial = list(self.kernel_size), list(out_spatial)
        if self.rank == 1:  # a 1-D convolution is a 2-D one of height 1
            x, kernel = array_ops.expand_dims(x, 1), array_ops.expand_dims(kernel, 0)
            strides, dilations, sizes, out_spatial = ([1] + strides, [1] + dilations,
                                                      [1] + sizes, [1] + out_spatial)
        y = _transpose_by_convolution(self, x, kernel, sizes, strides, dilations, out_spatial)
        if self.rank == 1:
            y = array_ops.squeeze(y, 1)
        if first:
            y = array_ops.transpose(y, (0, 2, 1) if self.rank == 1 else (0, 3, 1, 2))
        return y

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(ConvTranspose):
    """Transposed 1-D convolution over `(batch, steps, channels)` (upsamples by `strides`).

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or a 1-tuple.
        padding: "valid" or "same".
        output_padding: an int (or 1-tuple) smaller than the stride, or None.
        data_format, activation, use_bias: as in `Conv`.
        kernel_initializer, bias_initializer: as in `Conv`.
        kernel_regularizer, bias_regularizer, activity_regularizer: as in `Conv`.
        kernel_constraint, bias_constraint: as in `Conv`.

    Example:
        >>> layer = engine.keras.layers.Conv1DTranspose(2, 3, strides=2, padding="same")
        >>> layer(engine.ones([1, 5, 4])).shape
        TensorShape([1, 10, 2])
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, output_padding,
                         data_format, dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv2DTranspose(ConvTranspose):
    """Transposed 2-D convolution (sometimes called deconvolution): upsamples by `strides`.

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or a pair.
        padding: "valid" or "same".
        output_padding: an int or a pair, each smaller than its stride, or None.
        data_format, activation, use_bias: as in `Conv`.
        kernel_initializer, bias_initializer: as in `Conv`.
        kernel_regularizer, bias_regularizer, activity_regularizer: as in `Conv`.
        kernel_constraint, bias_constraint: as in `Conv`.

    Example:
        >>> layer = engine.keras.layers.Conv2DTranspose(2, 3, strides=2)
        >>> layer(engine.ones([1, 4, 4, 3])).shape
        TensorShape([1, 9, 9, 2])
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, output_padding,
                         data_format, dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


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


def _transpose_by_convolution(layer, x, kernel, sizes, strides, dilations, out_hw):
    """`conv2d_transpose` of NHWC `x` without knowing the batch size.

    Output `y[p]` sums `x[i] * kernel[a]` over `p = i * stride + a * dilation - before`,
    `before` being the forward convolution's padding. With `u` the input spread by the
    stride (zeros between the rows) that is a stride-1 convolution of `u`, padded by
    `(k - 1) * dilation - before` in front, with the kernel flipped and its channel axes
    swapped.
    """
    dims = x.shape.as_list()
    h, w, c = dims[1], dims[2], dims[3]
    starts, pads = [], []
    for axis, (n, k, s, d, out) in enumerate(zip((h, w), sizes, strides, dilations, out_hw)):
        span = (k - 1) * d + 1
        forward = -(-out // s) if layer.padding == "same" else (out - span) // s + 1
        if forward != n:
            raise ShapeError(f"{layer.name} ({type(layer).__name__}): an output of size {out} "
                             f"along spatial axis {axis} does not map back to the input size "
                             f"{n} under the forward convolution; check output_padding.")
        total = max((forward - 1) * s + span - out, 0) if layer.padding == "same" else 0
        before = total // 2
        front, back = (k - 1) * d - before, out + before - n * s
        starts.append(max(-front, 0))
        pads.append((max(front, 0), max(back, 0), n * s + min(back, 0)))
    sh, sw = strides
    if sh > 1 or sw > 1:
        x = array_ops.reshape(x, [-1, h, 1, w, 1, c])
        x = manip_ops.pad(x, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]])
        x = array_ops.reshape(x, [-1, h * sh, w * sw, c])
    if starts != [0, 0] or pads[0][2] != h * sh or pads[1][2] != w * sw:
        x = x[:, starts[0]:pads[0][2], starts[1]:pads[1][2], :]
    flipped = array_ops.transpose(manip_ops.reverse(kernel, [0, 1]), (0, 1, 3, 2))
    padding = [[0, 0], list(pads[0][:2]), list(pads[1][:2]), [0, 0]]
    return conv_ops.conv2d(x, flipped, 1, padding, "NHWC", dilations)
