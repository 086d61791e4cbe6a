"""Transposed convolution layers: `Conv1DTranspose`, `Conv2DTranspose`.

A transposed convolution is the gradient of a convolution, as a layer: it upsamples by
`strides`. Its `kernel` has shape `kernel_size + (filters, in_channels)` (Keras' layout) and
its `bias` shape `(filters,)`. The layers run the engine's `conv1d_transpose` and
`conv2d_transpose` ops, which need the output's full shape. Where only the batch size is
unknown (the functional API wires models with batch `None`; `engine.function` with an
`input_signature` may too) the layer instead spreads the input with zeros (the stride) and
convolves with the flipped kernel, which is the same linear map. Where spatial sizes are
unknown too, it passes the op an output shape computed from `engine.shape(x)`.
"""

from __future__ import annotations

from engine.errors import ShapeError
from engine.keras.layers.base import InputSpec
from engine.keras.layers.conv_arguments import deconv_output_length, normalize_tuple
from engine.keras.layers.convolutional_base import Conv
from engine.ops import array_ops, conv_ops, manip_ops, shape_ops
from engine.tensor import Tensor

__all__ = ["Conv1DTranspose", "Conv2DTranspose"]


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
        """The output's spatial sizes: ints, or scalar tensors where the input's are unknown."""
        dims = inputs.shape.as_list()
        first_axis = 2 if self.data_format == "channels_first" else 1
        spatial = dims[first_axis:first_axis + self.rank]
        if None in spatial:  # sizes known only when the graph runs
            runtime = shape_ops.shape(inputs)
            spatial = [n if n is not None else runtime[first_axis + k]
                       for k, n in enumerate(spatial)]
        pads = self.output_padding or (None,) * self.rank
        return [deconv_output_length(n, k, self.padding, p, s, d) for n, k, p, s, d in zip(
            spatial, self.kernel_size, pads, self.strides, self.dilation_rate)]

    def call(self, inputs):
        out_spatial = self._output_spatial(inputs)
        batch = inputs.shape[0]
        symbolic = any(isinstance(n, Tensor) for n in out_spatial)
        if batch is None and not symbolic:
            return self._finish(self._transpose_unknown_batch(inputs, out_spatial))
        if batch is None:  # the op takes a symbolic output_shape
            batch = shape_ops.shape(inputs)[0]
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
