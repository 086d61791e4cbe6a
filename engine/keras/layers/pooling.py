"""Pooling layers: windowed (`MaxPooling1D/2D`, `AveragePooling1D/2D`) and global ones.

The windowed layers run the engine's pooling ops (`engine.nn.max_pool1d`, ...), which
take channels-first inputs by transposing. Max pooling never picks a padded position and
average pooling does not count them, as in Keras. The global layers reduce over every
spatial axis; `GlobalAveragePooling1D` averages only the steps its input's mask keeps.
Keras' short aliases (`MaxPool2D`, `GlobalAvgPool1D`, ...) name the same classes.
"""

from __future__ import annotations

from engine.graph import passes
from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.conv_arguments import (
    engine_format,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from engine.ops import array_ops, math_ops, pool3d_ops, pool_ops, reduce_ops

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
           "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D"]

def _finished_later(layer, inputs):
    """`(pre, finish)` when `inputs` are a traced convolution's `finish(pre)` (bias, then
    an activation that never decreases) and `layer` takes a max over spatial positions: the
    max commutes with them, so the layer may pool `pre` and finish the smaller result (W3's
    first block: the bias and relu passes, forward and backward, shrink 4x). None otherwise
    or when the `max_pool_reordering` option is off. (`engine.nn.max_pool2d` does the same
    for traced NHWC code, see `engine.ops.pool_reorder`; this also covers 1-D, channels-first
    and global pooling.)"""
    source = getattr(inputs, "_keras_fold", None)
    if (source is None or source[0] != "finish" or source[3] != layer.data_format
            or not passes.get_experimental_options()["max_pool_reordering"]):
        return None
    return source[1], source[2]


_POOLS = {(1, "max"): pool_ops.max_pool1d, (2, "max"): pool_ops.max_pool2d,
          (1, "avg"): pool_ops.avg_pool1d, (2, "avg"): pool_ops.avg_pool2d,
          (3, "max"): pool3d_ops.max_pool3d, (3, "avg"): pool3d_ops.avg_pool3d}


class _Pooling(Layer):
    """A windowed pool over `rank` spatial axes; subclasses fix `rank` and `_KIND`."""

    _KIND = "max"

    def __init__(self, rank, pool_size, strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.rank = rank
        self.pool_size = normalize_tuple(pool_size, rank, "pool_size", cls)
        self.strides = self.pool_size if strides is None else normalize_tuple(
            strides, rank, "strides", cls)
        self.padding = normalize_padding(padding, cls)
        self.data_format = normalize_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._pool = _POOLS[rank, self._KIND]
        self._format = engine_format(self.data_format, rank)
        self._op_padding = self.padding.upper()

    def call(self, inputs):
        finish = _finished_later(self, inputs) if self._KIND == "max" else None
        if finish is not None:  # pool the convolution's output, then add its bias, activate
            pre, finish = finish
            return finish(self._pool(pre, self.pool_size, self.strides, self._op_padding,
                                     self._format))
        return self._pool(inputs, self.pool_size, self.strides, self._op_padding, self._format)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


class MaxPooling1D(_Pooling):
    """The maximum of each window of `pool_size` steps of `(batch, steps, features)`.

    Args:
        pool_size: the window length (an int or a 1-tuple).
        strides: the step between windows; None means `pool_size`.
        padding: "valid" or "same" (output length `ceil(steps / strides)`).
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> x = engine.reshape(engine.range(6.0), [1, 6, 1])
        >>> engine.keras.layers.MaxPooling1D(2)(x).numpy().ravel()
        array([1., 3., 5.], dtype=float32)
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last",
                 **kwargs):
        super().__init__(1, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """The mean of each window of `pool_size` steps (padded steps are not counted).

    Args:
        pool_size, strides, padding, data_format: as in `MaxPooling1D`.

    Example:
        >>> x = engine.reshape(engine.range(6.0), [1, 6, 1])
        >>> engine.keras.layers.AveragePooling1D(3)(x).numpy().ravel()
        array([1., 4.], dtype=float32)
    """

    _KIND = "avg"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last",
                 **kwargs):
        super().__init__(1, pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """The maximum of each `pool_size` window of images `(batch, height, width, channels)`.

    Args:
        pool_size: the window (an int or a pair).
        strides: the step between windows (an int or a pair); None means `pool_size`.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).

    Example:
        >>> x = engine.reshape(engine.range(16.0), [1, 4, 4, 1])
        >>> engine.keras.layers.MaxPooling2D()(x).numpy()[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """The mean of each `pool_size` window of images (padded positions are not counted).

    Args:
        pool_size, strides, padding, data_format: as in `MaxPooling2D`.

    Example:
        >>> x = engine.reshape(engine.range(16.0), [1, 4, 4, 1])
        >>> engine.keras.layers.AveragePooling2D()(x).numpy()[0, :, :, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]], dtype=float32)
    """

    _KIND = "avg"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    """Reduces every spatial axis; subclasses fix `rank` and the reduction."""

    _RANK = 1
    _REDUCE = staticmethod(reduce_ops.reduce_max)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self._RANK + 2)
        first = self.data_format == "channels_first"
        self._axes = list(range(2, self._RANK + 2)) if first else list(range(1, self._RANK + 1))

    def call(self, inputs):
        finish = _finished_later(self, inputs) if self._REDUCE is reduce_ops.reduce_max else None
        if finish is not None:
            pre, finish = finish
            return finish(self._REDUCE(pre, self._axes, keepdims=self.keepdims))
        return self._REDUCE(inputs, self._axes, keepdims=self.keepdims)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over the steps of `(batch, steps, features)`: `(batch, features)`.

    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the steps axis, with length 1.

    Example:
        >>> x = engine.constant([[[1.0, 5.0], [3.0, 2.0]]])
        >>> engine.keras.layers.GlobalMaxPooling1D()(x).numpy()
        array([[3., 5.]], dtype=float32)
    """

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps of `(batch, steps, features)`, skipping masked steps.

    With an input mask `(batch, steps)` (from `Embedding(mask_zero=True)` or `Masking`)
    the mean is over the kept steps only; the output carries no mask.

    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the steps axis, with length 1.

    Example:
        >>> x = engine.constant([[[1.0], [3.0], [8.0]]])
        >>> layer = engine.keras.layers.GlobalAveragePooling1D()
        >>> layer(x).numpy(), layer(x, mask=engine.constant([[True, True, False]])).numpy()
        (array([[4.]], dtype=float32), array([[2.]], dtype=float32))
    """

    supports_masking = True
    _REDUCE = staticmethod(reduce_ops.reduce_mean)

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)

    def call(self, inputs, mask=None):
        if mask is None:
            return reduce_ops.reduce_mean(inputs, self._axes, keepdims=self.keepdims)
        weights = math_ops.cast(mask, inputs.dtype)
        features = 1 if self.data_format == "channels_first" else 2
        weights = array_ops.expand_dims(weights, features)  # (batch, steps, 1) or (b, 1, s)
        total = reduce_ops.reduce_sum(inputs * weights, self._axes, keepdims=self.keepdims)
        return total / reduce_ops.reduce_sum(weights, self._axes, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        """None: the steps are gone."""
        return None


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over height and width of images: `(batch, channels)`.

    Args:
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).
        keepdims: keep the spatial axes, with length 1.

    Example:
        >>> x = engine.reshape(engine.range(8.0), [1, 2, 2, 2])
        >>> engine.keras.layers.GlobalMaxPooling2D()(x).numpy()
        array([[6., 7.]], dtype=float32)
    """

    _RANK = 2


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over height and width of images: `(batch, channels)`.

    Args:
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).
        keepdims: keep the spatial axes, with length 1.

    Example:
        >>> x = engine.reshape(engine.range(8.0), [1, 2, 2, 2])
        >>> engine.keras.layers.GlobalAveragePooling2D(keepdims=True)(x).shape
        TensorShape([1, 1, 1, 2])
    """

    _RANK = 2
    _REDUCE = staticmethod(reduce_ops.reduce_mean)


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
