"""Reshaping layers: padding, cropping, upsampling, `Reshape`, `Permute`, `RepeatVector`.

Padding, cropping and upsampling act on the steps of sequences and the height and width
of images. Every layer here moves or copies values without weights, with engine ops that have
gradients (`pad`, slicing, `tile`, `reshape`, `transpose`, `einsum`). Upsampling works
with sizes unknown when traced (`None` in an `input_signature`): it then reshapes to a
shape built from `engine.shape(x)`.

`UpSampling2D(interpolation="bilinear")` matches Keras 2 (`tf.image.resize`, half-pixel
centers): each spatial axis is multiplied by a fixed interpolation matrix, which also
makes its gradient exact. Where the sizes are unknown when traced, it blends each output
phase from the input and its clamped neighbour instead (the same weights).
"""

from __future__ import annotations

import functools

import numpy as np

from engine.convert import convert_to_tensor
from engine.errors import ShapeError
from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.conv_arguments import (
    normalize_data_format,
    normalize_pairs,
    normalize_tuple,
)
from engine.ops import array_ops, einsum_ops, join_ops, manip_ops, shape_ops
from engine.tensor import Tensor

__all__ = ["ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
           "UpSampling2D", "Reshape", "Permute", "RepeatVector"]


def _describe(layer) -> str:
    return f"{layer.name} ({type(layer).__name__})"


def _spatial_axes(data_format: str, rank: int) -> list:
    """The input axes of the spatial dimensions, in order."""
    return list(range(2, rank + 2)) if data_format == "channels_first" else list(
        range(1, rank + 1))


class _Padding(Layer):
    """Zero padding of the spatial axes (see `ZeroPadding2D`)."""

    def __init__(self, rank, padding, data_format, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.rank = rank
        self.padding = normalize_pairs(padding, rank, "padding", cls)
        self.data_format = normalize_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=rank + 2)
        pads = [[0, 0]] * (rank + 2)
        for axis, pair in zip(_spatial_axes(self.data_format, rank), self.padding):
            pads[axis] = list(pair)
        self._pads = pads

    def call(self, inputs):
        return manip_ops.pad(inputs, self._pads)


class ZeroPadding1D(_Padding):
    """Pads the steps axis of `(batch, steps, features)` with zeros.

    Args:
        padding: an int (both sides) or a pair `(left, right)`.

    Example:
        >>> engine.keras.layers.ZeroPadding1D((1, 2))(engine.ones([1, 2, 1])).numpy().ravel()
        array([0., 1., 1., 0., 0.], dtype=float32)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(1, padding, "channels_last", **kwargs)
        self.padding = self.padding[0]

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["padding"] = self.padding
        return config


class ZeroPadding2D(_Padding):
    """Pads the height and width of images with zeros.

    Args:
        padding: an int (everywhere), a pair `(height_pad, width_pad)` (both sides), or
            `((top, bottom), (left, right))`.
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).

    Example:
        >>> engine.keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(engine.ones([1, 2, 2, 3])).shape
        TensorShape([1, 3, 5, 3])
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(2, padding, data_format, **kwargs)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class _Cropping(Layer):
    """Cropping of the spatial axes (see `Cropping2D`)."""

    def __init__(self, rank, cropping, data_format, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.rank = rank
        self._pairs = normalize_pairs(cropping, rank, "cropping", cls)
        self.cropping = self._pairs
        self.data_format = normalize_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._axes = _spatial_axes(self.data_format, rank)

    def call(self, inputs):
        dims = inputs.shape.as_list()
        index = [slice(None)] * (self.rank + 2)
        for axis, (before, after) in zip(self._axes, self._pairs):
            size = dims[axis]
            if size is not None and before + after >= size:
                raise ShapeError(f"{_describe(self)}: cropping {(before, after)} removes all "
                                 f"{size} entries of axis {axis} of the input of shape "
                                 f"{inputs.shape}; expected to keep at least one. Crop less.")
            index[axis] = slice(before, -after if after else None)
        return inputs[tuple(index)]


class Cropping1D(_Cropping):
    """Crops the steps axis of `(batch, steps, features)`.

    Args:
        cropping: an int (both ends) or a pair `(start, end)`, the steps removed.

    Example:
        >>> x = engine.reshape(engine.range(5.0), [1, 5, 1])
        >>> engine.keras.layers.Cropping1D((1, 2))(x).numpy().ravel()
        array([1., 2.], dtype=float32)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(1, cropping, "channels_last", **kwargs)
        self.cropping = self._pairs[0]

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["cropping"] = self.cropping
        return config


class Cropping2D(_Cropping):
    """Crops the height and width of images.

    Args:
        cropping: an int (everywhere), a pair `(height_crop, width_crop)` (both sides), or
            `((top, bottom), (left, right))`.
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).

    Example:
        >>> engine.keras.layers.Cropping2D(((1, 0), (1, 1)))(engine.ones([1, 4, 4, 2])).shape
        TensorShape([1, 3, 2, 2])
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(2, cropping, data_format, **kwargs)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


def _sizes(x) -> list:
    """The input's sizes: ints where tracing knows them, else scalar tensors of `shape(x)`."""
    dims = x.shape.as_list()
    if None not in dims[1:]:
        return dims
    runtime = shape_ops.shape(x)
    return [d if d is not None else runtime[k] for k, d in enumerate(dims)]


def _repeat_nearest(x, sizes, axes: list):
    """Repeats every entry along `axes` (spatial, ascending) `sizes` times: one tile."""
    dims = _sizes(x)
    for offset, axis in enumerate(axes):
        x = array_ops.expand_dims(x, axis + offset + 1)  # (..., n, 1, ...)
    multiples = [1] * len(dims)
    for offset, (axis, size) in enumerate(zip(axes, sizes)):
        multiples.insert(axis + offset + 1, size)
    x = manip_ops.tile(x, multiples)
    target = list(dims)
    for axis, size in zip(axes, sizes):
        target[axis] *= size
    return array_ops.reshape(x, [-1] + target[1:])


def _bilinear_along(x, axis: int, scale: int, dims: list):
    """Bilinear upsampling (half-pixel centers) of `x` along `axis` by the integer `scale`.

    Output `i * scale + j` samples the input at `i + t_j`, `t_j = (j + 0.5) / scale - 0.5`,
    so each phase `j` blends `x` with its neighbour (clamped at the edges) by fixed weights,
    whatever the axis' size: this form needs no static size, unlike the matrix.
    """
    def take(start, stop):
        return x[(slice(None),) * axis + (slice(start, stop),)]

    before = join_ops.concat([take(0, 1), take(0, -1)], axis)  # x[i - 1], clamped
    after = join_ops.concat([take(1, None), take(-1, None)], axis)  # x[i + 1], clamped
    phases = []
    for j in range(scale):
        t = (j + 0.5) / scale - 0.5
        lower, upper, frac = (before, x, t + 1.0) if t < 0 else (x, after, t)
        phases.append(lower * (1.0 - frac) + upper * frac if frac else lower)
    y = join_ops.stack(phases, axis + 1)  # (..., n, scale, ...)
    target = list(dims)
    target[axis] = dims[axis] * scale
    return array_ops.reshape(y, [-1] + target[1:])


@functools.lru_cache(maxsize=64)
def _bilinear_matrix(length: int, scale: int) -> np.ndarray:
    """`(length * scale, length)` weights of half-pixel bilinear resizing (TF 2's)."""
    out = length * scale
    source = (np.arange(out) + 0.5) / scale - 0.5
    lower = np.floor(source)
    frac = source - lower
    rows = np.arange(out)
    matrix = np.zeros((out, length))
    np.add.at(matrix, (rows, np.clip(lower, 0, length - 1).astype(int)), 1.0 - frac)
    np.add.at(matrix, (rows, np.clip(lower + 1, 0, length - 1).astype(int)), frac)
    return matrix


class UpSampling1D(Layer):
    """Repeats each step of `(batch, steps, features)` `size` times.

    Args:
        size: the number of copies of each step.

    Example:
        >>> x = engine.constant([[[1.0], [2.0]]])
        >>> engine.keras.layers.UpSampling1D(3)(x).numpy().ravel()
        array([1., 1., 1., 2., 2., 2.], dtype=float32)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 1, "size", type(self).__name__)[0]
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return _repeat_nearest(inputs, [self.size], [1])

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["size"] = self.size
        return config


class UpSampling2D(Layer):
    """Upsamples images by integer factors: nearest (repeats rows and columns) or bilinear.

    Args:
        size: an int or a pair `(rows, columns)`, the factors.
        data_format: "channels_last" or "channels_first" (default:
            `backend.image_data_format()`).
        interpolation: "nearest" or "bilinear" (as TF 2's `tf.image.resize`: half-pixel
            centers, edges clamped).

    Example:
        >>> x = engine.constant([[[[0.0], [4.0]]]])  # (1, 1, 2, 1)
        >>> engine.keras.layers.UpSampling2D((1, 2), interpolation="bilinear")(
        ...     x).numpy().ravel()
        array([0., 1., 3., 4.], dtype=float32)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.size = normalize_tuple(size, 2, "size", cls)
        self.data_format = normalize_data_format(data_format, cls)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"{cls}: got interpolation={interpolation!r}; expected 'nearest' "
                             "or 'bilinear' (other tf.image.resize methods are not "
                             "implemented).")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)
        self._axes = _spatial_axes(self.data_format, 2)

    def call(self, inputs):
        if self.interpolation == "nearest":
            return _repeat_nearest(inputs, self.size, self._axes)
        dims = _sizes(inputs)
        if any(isinstance(d, Tensor) for d in dims[1:]):  # sizes known only when run
            for axis, scale in zip(self._axes, self.size):
                inputs = _bilinear_along(inputs, axis, scale, dims)
                dims[axis] = dims[axis] * scale
            return inputs
        dims = dims[1:]
        dtype = inputs.dtype.as_numpy_dtype
        rows, cols = (convert_to_tensor(_bilinear_matrix(dims[axis - 1], scale).astype(dtype))
                      for axis, scale in zip(self._axes, self.size))
        if self.data_format == "channels_first":
            y = einsum_ops.einsum("oh,nchw->ncow", rows, inputs)
            return einsum_ops.einsum("pw,ncow->ncop", cols, y)
        y = einsum_ops.einsum("oh,nhwc->nowc", rows, inputs)
        return einsum_ops.einsum("pw,nowc->nopc", cols, y)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format,
                       "interpolation": self.interpolation})
        return config


class Reshape(Layer):
    """Reshapes each example to `target_shape` (the batch axis is kept).

    Args:
        target_shape: the shape of one example; one entry may be -1, inferred from the
            input's size.

    Example:
        >>> engine.keras.layers.Reshape((-1, 2))(engine.ones([3, 2, 3])).shape
        TensorShape([3, 3, 2])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        try:
            target = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise ValueError(f"{cls}: got target_shape={target_shape!r}; expected a tuple of "
                             "ints (one may be -1).") from None
        if target.count(-1) > 1 or any(d < -1 or d == 0 for d in target):
            raise ValueError(f"{cls}: got target_shape={target_shape!r}; expected positive "
                             "sizes, at most one of them -1 (inferred).")
        self.target_shape = target

    def _resolved_target(self, inputs) -> list:
        target = list(self.target_shape)
        example = inputs.shape.as_list()[1:]
        known = int(np.prod([d for d in target if d != -1]))
        if None in example:
            if -1 in target and inputs.shape[0] is None:
                raise ShapeError(f"{_describe(self)}: cannot infer the -1 of target_shape "
                                 f"{self.target_shape} for an input of shape {inputs.shape}; "
                                 "the sizes of the example's axes must be known. Give a full "
                                 "target_shape or known input sizes.")
            return target
        total = int(np.prod(example))
        if -1 in target:
            if total % known:
                raise ShapeError(f"{_describe(self)}: cannot reshape examples of shape "
                                 f"{tuple(example)} ({total} values) to {self.target_shape}: "
                                 f"{total} is not a multiple of {known}.")
            target[target.index(-1)] = total // known
        elif total != known:
            raise ShapeError(f"{_describe(self)}: cannot reshape examples of shape "
                             f"{tuple(example)} ({total} values) to {self.target_shape} "
                             f"({known} values); the number of values must match.")
        return target

    def call(self, inputs):
        target = self._resolved_target(inputs)
        if -1 in target:
            return array_ops.reshape(inputs, [inputs.shape[0]] + target)
        return array_ops.reshape(inputs, [-1] + target)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Permutes the axes of each example (the batch axis stays first).

    Args:
        dims: a permutation of `1 .. rank - 1` (axes are numbered from 1, after the batch).

    Example:
        >>> engine.keras.layers.Permute((2, 1))(engine.ones([4, 3, 5])).shape
        TensorShape([4, 5, 3])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            self.dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            self.dims = None
        if self.dims is None or sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"{type(self).__name__}: got dims={dims!r}; expected a "
                             "permutation of 1, 2, ..., n (axis 0, the batch, is not "
                             "permuted), e.g. (2, 1).")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self._perm = (0,) + self.dims

    def call(self, inputs):
        return array_ops.transpose(inputs, self._perm)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """Repeats each input vector `n` times: `(batch, features)` to `(batch, n, features)`.

    Args:
        n: the number of copies.

    Example:
        >>> engine.keras.layers.RepeatVector(3)(engine.constant([[1.0, 2.0]])).numpy()
        array([[[1., 2.],
                [1., 2.],
                [1., 2.]]], dtype=float32)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{type(self).__name__}: got n={n!r}; expected a positive int.")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return manip_ops.tile(array_ops.expand_dims(inputs, 1), [1, self.n, 1])

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["n"] = self.n
        return config
