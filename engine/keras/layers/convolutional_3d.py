"""3-D convolution layers: `Conv3D` and `Conv3DTranspose`, over volumes.

Inputs are `(batch, depth, height, width, channels)` ("channels_last") or `(batch,
channels, depth, height, width)`. Weights have Keras' names, shapes and order: `kernel`
of shape `kernel_size + (in_channels // groups, filters)` (transposed: `kernel_size +
(filters, in_channels)`) and `bias` of shape `(filters,)`.

Both layers are the rank-3 forms of the 2-D layers' bases (`Conv`, `ConvTranspose`), which
hold the arguments, weights, bias, activation and config; only the op they call differs:
`engine.nn.conv3d` and `conv3d_transpose`. Grouped 3-D convolutions run one convolution
per group, concatenated. A transposed convolution whose batch (or spatial) size is known
only when the graph runs passes the op an output shape built from `engine.shape(x)`.
"""

from __future__ import annotations

from engine.keras.layers.convolutional_base import Conv
from engine.keras.layers.convolutional_transpose import ConvTranspose
from engine.ops import conv3d_ops, join_ops, manip_ops, shape_ops

__all__ = ["Conv3D", "Conv3DTranspose"]


class Conv3D(Conv):
    """3-D convolution over volumes `(batch, depth, height, width, channels)`.

    Args:
        filters: the number of output channels.
        kernel_size: an int or 3 ints, the window's depth, height and width.
        strides: an int or 3 ints.
        padding: "valid" or "same" (output size `ceil(input / stride)`).
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).
        dilation_rate: an int or 3 ints; the spacing of the kernel taps.
        groups: splits the input channels into this many groups, each convolved with
            `filters // groups` filters.
        activation: an activation (name or function), default none.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers (names or objects).
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    Example:
        >>> layer = engine.keras.layers.Conv3D(4, 3, strides=(1, 2, 2), padding="same")
        >>> layer(engine.ones([2, 4, 8, 8, 3])).shape, layer.kernel.shape
        (TensorShape([2, 4, 4, 4, 4]), TensorShape([3, 3, 3, 3, 4]))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        if self.groups == 1:
            return self._conv(x, self.kernel)
        # No depthwise 3-D op: every grouping runs as one convolution per group.
        axis = 1 if self.data_format == "channels_first" else -1
        parts = zip(manip_ops.split(x, self.groups, axis=axis),
                    manip_ops.split(self.kernel, self.groups, axis=-1))
        return join_ops.concat([self._conv(xg, kg) for xg, kg in parts], axis=axis)

    def _conv(self, x, kernel):
        return conv3d_ops.conv3d(x, kernel, self.strides, self._op_padding, self._format,
                                 self.dilation_rate)


class Conv3DTranspose(ConvTranspose):
    """Transposed 3-D convolution (sometimes called deconvolution): upsamples by `strides`.

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or 3 ints.
        padding: "valid" or "same".
        output_padding: an int or 3 ints, each smaller than its stride, or None (Keras'
            default size: `input * stride` for "same").
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).
        activation: an activation (name or function), default none.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers (names or objects).
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    Example:
        >>> layer = engine.keras.layers.Conv3DTranspose(2, 3, strides=2, padding="same")
        >>> layer(engine.ones([1, 2, 3, 4, 5])).shape, layer.kernel.shape
        (TensorShape([1, 4, 6, 8, 2]), TensorShape([3, 3, 3, 2, 5]))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, output_padding,
                         data_format, dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)

    def call(self, inputs):
        out_spatial = self._output_spatial(inputs)
        batch = inputs.shape[0]
        if batch is None:  # known only when the graph runs: the op takes a shape tensor
            batch = shape_ops.shape(inputs)[0]
        if self.data_format == "channels_first":
            output_shape = [batch, self.filters] + out_spatial
        else:
            output_shape = [batch] + out_spatial + [self.filters]
        y = conv3d_ops.conv3d_transpose(inputs, self.kernel, output_shape, self.strides,
                                        self._op_padding, self._format, self.dilation_rate)
        return self._finish(y)
