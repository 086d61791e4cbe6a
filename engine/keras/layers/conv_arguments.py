"""The arguments of convolution, pooling and resampling layers, checked once at construction.

Keras layers take window arguments in a loose form (`kernel_size=3` or `(3, 3)`,
`padding="Same"`, `data_format=None`); the helpers here turn them into the strict form the
layers keep in their configs (tuples of ints, lower-case names, a resolved data format) and
say what was wrong, naming the layer and the argument. They also hold the size arithmetic
the layers share with Keras (`deconv_output_length`) and the bookkeeping for inputs with
more than one batch axis (`fold_batch`).
"""

from __future__ import annotations

import numpy as np

from engine.errors import ShapeError
from engine.ops import array_ops
from engine.tensor_shape import TensorShape

__all__ = ["normalize_tuple", "normalize_padding", "normalize_data_format", "require_rank",
           "channel_axis", "deconv_output_length", "fold_batch", "engine_format",
           "normalize_pairs"]


def normalize_tuple(value, n: int, name: str, layer: str, allow_zero: bool = False) -> tuple:
    """An int or `n` ints as a tuple of `n` positive (or, with `allow_zero`, >= 0) ints.

    Args:
        value: the argument as given.
        n: how many ints (one per spatial axis).
        name: the argument's name, for the error.
        layer: the layer's class name, for the error.
        allow_zero: whether 0 is allowed.

    Returns:
        A tuple of `n` Python ints.

    Raises:
        ValueError: for another length, a non-integer or a value too small.

    Example:
        >>> from engine.keras.layers.conv_arguments import normalize_tuple
        >>> normalize_tuple(3, 2, "kernel_size", "Conv2D")
        (3, 3)
    """
    lowest = 0 if allow_zero else 1
    expected = (f"expected an int or a tuple of {n} ints, each >= {lowest}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        items = (int(value),) * n
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise ValueError(f"{layer}: got {name}={value!r}; {expected}.") from None
        if len(items) != n or not all(isinstance(v, (int, np.integer)) and
                                      not isinstance(v, bool) for v in items):
            raise ValueError(f"{layer}: got {name}={value!r}; {expected}.")
        items = tuple(int(v) for v in items)
    if min(items) < lowest:
        raise ValueError(f"{layer}: got {name}={value!r}; {expected}.")
    return items


def normalize_padding(value, layer: str, allowed=("valid", "same")) -> str:
    """`padding` in lower case, checked against `allowed`.

    Args:
        value: the argument as given ("valid", "SAME", ...).
        layer: the layer's class name, for the error.
        allowed: the accepted values.

    Returns:
        The lower-case name.

    Raises:
        ValueError: for anything else.

    Example:
        >>> from engine.keras.layers.conv_arguments import normalize_padding
        >>> normalize_padding("SAME", "Conv2D")
        'same'
    """
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        hint = (" 'causal' padding exists for 1-D convolutions only." if padding == "causal"
                else "")
        raise ValueError(f"{layer}: got padding={value!r}; expected one of "
                         f"{', '.join(repr(a) for a in allowed)}.{hint}")
    return padding


def normalize_data_format(value, layer: str) -> str:
    """`data_format`, with None meaning `engine.keras.backend.image_data_format()`.

    Args:
        value: "channels_last", "channels_first" or None.
        layer: the layer's class name, for the error.

    Returns:
        "channels_last" or "channels_first".

    Raises:
        ValueError: for anything else.

    Example:
        >>> from engine.keras.layers.conv_arguments import normalize_data_format
        >>> normalize_data_format(None, "Conv2D")
        'channels_last'
    """
    if value is None:
        from engine.keras import backend  # noqa: PLC0415 - backend imports layers lazily

        return backend.image_data_format()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: got data_format={value!r}; expected 'channels_last' "
                         "(batch, ..., channels) or 'channels_first' (batch, channels, ...).")
    return value


def normalize_pairs(value, n: int, name: str, layer: str) -> tuple:
    """Padding or cropping amounts as `n` `(before, after)` pairs of ints >= 0.

    Accepts an int (the same everywhere), `n` ints (symmetric per axis), or `n` pairs; for
    `n == 1` also a single pair.

    Args:
        value: the argument as given.
        n: the number of spatial axes.
        name: the argument's name, for the error.
        layer: the layer's class name, for the error.

    Returns:
        A tuple of `n` `(before, after)` tuples.

    Raises:
        ValueError: for another form or negative amounts.

    Example:
        >>> from engine.keras.layers.conv_arguments import normalize_pairs
        >>> normalize_pairs((1, 2), 2, "padding", "ZeroPadding2D")
        ((1, 1), (2, 2))
    """
    form = ("an int, a pair (before, after)" if n == 1 else
            f"an int, a tuple of {n} ints, or a tuple of {n} (before, after) pairs")
    error = ValueError(f"{layer}: got {name}={value!r}; expected {form}, all >= 0.")

    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if is_int(value):
        pairs = ((int(value), int(value)),) * n
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise error from None
        if n == 1 and len(items) == 2 and all(is_int(v) for v in items):
            pairs = ((int(items[0]), int(items[1])),)
        elif len(items) != n:
            raise error
        elif all(is_int(v) for v in items):
            pairs = tuple((int(v), int(v)) for v in items)
        else:
            try:
                pairs = tuple(tuple(int(v) for v in pair) for pair in items)
            except (TypeError, ValueError):
                raise error from None
            if any(len(p) != 2 for p in pairs) or not all(
                    is_int(v) for pair in items for v in pair):
                raise error
    if any(v < 0 for pair in pairs for v in pair):
        raise error
    return pairs


def channel_axis(data_format: str, rank: int) -> int:
    """The channel axis of a `rank`-D input (1 for channels_first, else the last)."""
    return 1 if data_format == "channels_first" else rank - 1


def engine_format(data_format: str, n: int) -> str:
    """The engine.nn spelling of a Keras data format for `n` spatial axes ("NHWC", "NCW")."""
    spatial = {1: "W", 2: "HW", 3: "DHW"}[n]
    return f"NC{spatial}" if data_format == "channels_first" else f"N{spatial}C"


def require_rank(layer, input_shape, rank: int, what: str, at_least: bool = False) -> TensorShape:
    """The input shape of `layer`, checked to have rank `rank` (or more, with `at_least`).

    `build` runs before `Layer.__call__` checks the input spec, so layers check the rank
    here first and say what they expected.

    Args:
        layer: the layer being built.
        input_shape: its input's shape.
        rank: the expected rank.
        what: the expected layout, e.g. "(batch, height, width, channels)".
        at_least: accept higher ranks (extra leading batch axes).

    Returns:
        The shape as a `TensorShape`.

    Raises:
        ShapeError: naming the layer, the shape received and the layout expected.
    """
    shape = TensorShape(input_shape)
    if shape.rank is None:
        raise ShapeError(f"{layer.name} ({type(layer).__name__}): the input's rank is unknown; "
                         f"expected a tensor of rank {rank}, {what}.")
    if shape.rank < rank or (shape.rank != rank and not at_least):
        more = " or more" if at_least else ""
        raise ShapeError(f"{layer.name} ({type(layer).__name__}): got an input of shape "
                         f"{shape} (rank {shape.rank}); expected rank {rank}{more}, {what}.")
    return shape


def deconv_output_length(length, kernel: int, padding: str, output_padding, stride: int,
                         dilation: int):
    """The output length of a transposed convolution along one axis (Keras' formula).

    Args:
        length: the input length (None if unknown).
        kernel: the kernel size.
        padding: "valid" or "same".
        output_padding: extra length on one side, or None.
        stride: the stride.
        dilation: the dilation rate.

    Returns:
        The output length, or None when `length` is None.

    Example:
        >>> from engine.keras.layers.conv_arguments import deconv_output_length
        >>> deconv_output_length(4, 3, "same", None, 2, 1)
        8
    """
    if length is None:
        return None
    span = (kernel - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(span - stride, 0)
        return length * stride
    pad = span // 2 if padding == "same" else 0
    return (length - 1) * stride + span - 2 * pad + output_padding


def fold_batch(layer, inputs, inner_rank: int):
    """Folds extra leading batch axes into one, for layers that take `batch + inner` inputs.

    Args:
        layer: the layer (for the error).
        inputs: a tensor of rank >= `inner_rank + 1`.
        inner_rank: the rank of one example (spatial axes and channels).

    Returns:
        `(folded, unfold)`: the inputs with one batch axis, and a function that gives an
        output of the folded inputs the original batch axes back.

    Raises:
        ShapeError: when extra batch axes (past the first) or the example's axes are
            unknown, so that the reshape cannot be static.
    """
    dims = inputs.shape.as_list()
    if len(dims) == inner_rank + 1:
        return inputs, _identity
    batch, inner = dims[:-inner_rank], dims[-inner_rank:]
    if None in batch[1:] or None in inner:
        raise ShapeError(f"{layer.name} ({type(layer).__name__}): got an input of shape "
                         f"{inputs.shape} with several batch axes; their sizes (past the "
                         "first) and the example's axes must be known to fold them. Reshape "
                         "the input to a single batch axis first.")

    def unfold(y):
        out_inner = y.shape.as_list()[1:]
        if None in out_inner:
            raise ShapeError(f"{layer.name}: cannot restore batch axes {batch}; the output's "
                             f"shape {y.shape} is not fully known.")
        return array_ops.reshape(y, [-1] + batch[1:] + out_inner)

    return array_ops.reshape(inputs, [-1] + inner), unfold


def _identity(y):
    return y
