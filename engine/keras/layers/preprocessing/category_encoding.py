"""`CategoryEncoding`, and `encode_categorical`, the encoder the lookup layers share.

`encode_categorical` turns integer ids into one-hot, multi-hot, count or tf-idf vectors
with engine ops, following Keras 2's rules for shapes: a scalar is a batch of one; in
"one_hot" mode a last dimension other than 1 gets a new axis; the encoded input may then
have rank at most 2, and a rank-1 input encodes as one sample (`(n,)` -> `(depth,)`).
Counts are a `tensor_scatter_nd_add` of ones (or weights) into a `(batch, depth)` zero
matrix, so memory stays that of the output however long each sample is.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.graph.runtime_ops import py_function
from engine.keras.layers.preprocessing.preprocessing_layer import (
    ValuesInputLayer,
    check_output_mode,
)
from engine.ops import array_ops, math_ops, reduce_ops
from engine.ops.fill_ops import ones_like, zeros, zeros_like
from engine.ops.gather_ops import tensor_scatter_nd_add
from engine.ops.join_ops import stack
from engine.ops.one_hot_ops import one_hot
from engine.ops.scan_ops import cumsum
from engine.ops.select_ops import where

__all__ = ["CategoryEncoding", "encode_categorical", "check_id_range"]

INT, ONE_HOT, MULTI_HOT, COUNT, TF_IDF = "int", "one_hot", "multi_hot", "count", "tf_idf"
_THREAD = context.THREAD


def encode_categorical(ids, output_mode: str, depth: int, dtype, layer: str,
                       count_weights=None, idf_weights=None, drop_negative: bool = False):
    """Encodes integer `ids` in `[0, depth)` as vectors of length `depth`.

    Args:
        ids: an integer tensor.
        output_mode: "one_hot", "multi_hot", "count" or "tf_idf".
        depth: the vector length.
        dtype: the output dtype.
        layer: the layer's name, for errors.
        count_weights: per-id weights summed instead of ones ("count" mode), or None.
        idf_weights: a `(depth,)` array multiplying the counts ("tf_idf" mode).
        drop_negative: ids < 0 (masked tokens) add nothing instead of being errors.

    Returns:
        A tensor of shape `(depth,)` or `(batch, depth)`.
    """
    dtype = _dt.as_dtype(dtype)
    shape = ids.shape
    if shape.rank is None:
        raise ShapeError(f"{layer}: output_mode={output_mode!r} needs inputs of known rank; "
                         "got a tensor of unknown rank.")
    if shape.rank == 0:
        ids = array_ops.reshape(ids, [1])
        count_weights = None if count_weights is None else array_ops.reshape(count_weights,
                                                                              [1])
    if output_mode == ONE_HOT and ids.shape[-1] != 1:
        ids = array_ops.expand_dims(ids, -1)
    if ids.shape.rank > 2:
        raise ShapeError(f"{layer}: output_mode={output_mode!r} encodes inputs of rank at "
                         f"most 2 (a batch of id lists); got inputs of shape {shape}, which "
                         f"would give an output of rank {ids.shape.rank}. Reshape the inputs "
                         "or use output_mode='int'.")
    if output_mode == ONE_HOT:
        rows = ids[:, 0] if ids.shape.rank == 2 else ids[0]
        return one_hot(rows, depth, dtype=dtype)  # ids outside [0, depth) give zeros
    updates = ones_like(ids, dtype=dtype) if count_weights is None else math_ops.cast(
        count_weights, dtype)
    if drop_negative:  # a dropped id adds 0 at index 0
        keep = math_ops.greater_equal(ids, 0)
        updates = where(keep, updates, zeros_like(updates))
        ids = where(keep, ids, zeros_like(ids))
    if ids.shape.rank == 1:
        base = zeros([depth], dtype=dtype)
        coords = array_ops.expand_dims(ids, -1)
    else:
        batch_zeros = reduce_ops.reduce_sum(zeros_like(ids), axis=1)  # (batch,)
        base = one_hot(batch_zeros, depth, on_value=_zero(dtype), off_value=_zero(dtype))
        rows = cumsum(ones_like(ids), axis=0) - 1  # the row of each id
        coords = stack([rows, ids], axis=-1)
    out = tensor_scatter_nd_add(base, coords, updates)
    if output_mode == MULTI_HOT:
        return math_ops.minimum(out, _one(dtype))
    if output_mode == TF_IDF:
        return out * np.asarray(idf_weights, dtype=dtype.as_numpy_dtype)
    return out


def _zero(dtype):
    from engine.convert import convert_to_tensor  # noqa: PLC0415

    return convert_to_tensor(np.zeros((), dtype.as_numpy_dtype))


def _one(dtype):
    from engine.convert import convert_to_tensor  # noqa: PLC0415

    return convert_to_tensor(np.ones((), dtype.as_numpy_dtype))


def check_id_range(ids, depth: int, layer: str, what: str = "num_tokens") -> None:
    """Raises InvalidArgumentError if an id is outside [0, depth), eagerly or in a graph.

    In a graph the check is a host node on the ids' minimum and maximum, run each call.
    """
    if ids.shape.num_elements() == 0:
        return
    low, high = reduce_ops.reduce_min(ids), reduce_ops.reduce_max(ids)

    def check(low, high):
        low, high = int(np.asarray(low)), int(np.asarray(high))
        if low < 0 or high >= depth:
            raise InvalidArgumentError(
                f"{layer}: input values must be in [0, {what}={depth}); got values from "
                f"{low} to {high}. Raise {what}, or map the inputs into range first (e.g. "
                "with IntegerLookup or Hashing).")

    if _THREAD.graph is None:
        check(low.numpy(), high.numpy())
    else:
        py_function(check, [low, high], None)


def integer_ids(inputs, layer: str):
    """`inputs` as int64 ids: integers are widened, integral floats cast, others refused."""
    dtype = inputs.dtype
    if dtype.is_integer:
        return inputs if dtype is _dt.int64 else math_ops.cast(inputs, _dt.int64)
    if dtype.is_floating:
        return math_ops.cast(inputs, _dt.int64)
    raise DTypeError(f"{layer}: expected integer inputs; got a {dtype.name} tensor. Map "
                     "strings to integers first with StringLookup or Hashing.")


class CategoryEncoding(ValuesInputLayer):
    """Encodes integer features as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of categories; inputs must be in `[0, num_tokens)`.
        output_mode: "one_hot" (each value a vector; a last dimension of 1 is replaced),
            "multi_hot" (one vector per sample, 1 where a value occurs) or "count" (how
            often each value occurs, or the sum of `count_weights`).
        sparse: only False (the engine has no sparse tensors).

    Call arguments:
        inputs: integers of shape `(batch,)`, `(batch, n)` or a scalar.
        count_weights: weights of the inputs' shape, summed in "count" mode.

    Example:
        >>> layer = engine.keras.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
        >>> layer([[0, 1], [0, 0], [1, 2], [3, 1]]).numpy()
        array([[1., 1., 0., 0.],
               [1., 0., 0., 0.],
               [0., 1., 1., 0.],
               [0., 1., 0., 1.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if num_tokens is None:
            raise ValueError("CategoryEncoding: num_tokens must be set. If the number of "
                             "categories is not known beforehand, use IntegerLookup.")
        if not isinstance(num_tokens, (int, np.integer)) or num_tokens < 1:
            raise ValueError(f"CategoryEncoding: num_tokens must be a positive integer; got "
                             f"{num_tokens!r}.")
        self.num_tokens = int(num_tokens)
        self.output_mode = check_output_mode("CategoryEncoding", output_mode,
                                             (ONE_HOT, MULTI_HOT, COUNT))
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported (the engine has "
                             "no sparse tensors); use sparse=False.")
        self.sparse = False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != COUNT:
            raise ValueError(f"{self.name}: count_weights are only used with output_mode="
                             f"'count'; got output_mode={self.output_mode!r}.")
        ids = integer_ids(inputs, self.name)
        check_id_range(ids, self.num_tokens, self.name)
        if count_weights is not None:
            from engine.convert import convert_to_tensor  # noqa: PLC0415

            count_weights = convert_to_tensor(count_weights)
            if not count_weights.shape.is_compatible_with(ids.shape):
                raise ShapeError(f"{self.name}: count_weights must have the inputs' shape "
                                 f"{ids.shape}; got {count_weights.shape}.")
        return encode_categorical(ids, self.output_mode, self.num_tokens, self.dtype,
                                  self.name, count_weights=count_weights)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config
