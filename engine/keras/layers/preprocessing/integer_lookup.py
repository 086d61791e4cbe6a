"""`IntegerLookup`: integers to vocabulary indices (and back), with engine ops.

The vocabulary becomes an `IntegerTable` (a dense gather table when the values span a
small range, a binary search otherwise) whose constants are captured by traced
functions, so lookups run as ordinary graph nodes on any device.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError
from engine.graph.runtime_ops import py_function
from engine.keras.layers.preprocessing.category_encoding import INT
from engine.keras.layers.preprocessing.host import host_array
from engine.keras.layers.preprocessing.index_lookup import IndexLookup
from engine.keras.layers.preprocessing.search import IntegerTable
from engine.ops import math_ops
from engine.ops.clip_ops import clip_by_value
from engine.ops.gather_ops import gather
from engine.ops.select_ops import where

__all__ = ["IntegerLookup"]

_THREAD = context.THREAD


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class IntegerLookup(IndexLookup):
    """Maps integers to indices through a vocabulary (given or learned by `adapt`).

    Args:
        max_tokens: the largest vocabulary size, special tokens included (None: no limit).
        num_oov_indices: indices reserved for out-of-vocabulary values (0: they are
            errors; more than 1: `value mod num_oov_indices` picks one).
        mask_token: an integer meaning "masked" (index 0 in "int" mode; dropped in the
            other modes), or None.
        oov_token: the value `invert=True` returns for OOV indices (default -1).
        vocabulary: a list of integers, or the path of a file with one per line.
        vocabulary_dtype: "int64" or "int32", the dtype of `invert=True` outputs.
        idf_weights: the idf weight of each vocabulary value ("tf_idf" mode).
        invert: map indices back to values.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        sparse: only False.
        pad_to_max_tokens: make non-int outputs `max_tokens` wide.

    Example:
        >>> layer = engine.keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]])).numpy()
        array([[1, 3, 4],
               [4, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode=INT, sparse=False, pad_to_max_tokens=False, **kwargs):
        if mask_token is not None and not _is_int(mask_token):
            raise TypeError(f"IntegerLookup: mask_token must be an integer or None; got "
                            f"{mask_token!r}.")
        if not _is_int(oov_token):
            raise TypeError(f"IntegerLookup: oov_token must be an integer; got {oov_token!r}.")
        if vocabulary_dtype not in ("int64", "int32"):
            raise ValueError(f"IntegerLookup: vocabulary_dtype must be 'int64' or 'int32'; got "
                             f"{vocabulary_dtype!r}.")
        self.vocabulary_dtype = vocabulary_dtype
        self._table = IntegerTable([], [])
        super().__init__(max_tokens, num_oov_indices,
                         None if mask_token is None else int(mask_token), int(oov_token),
                         vocabulary, idf_weights, invert, output_mode, sparse,
                         pad_to_max_tokens, vocabulary_dtype, **kwargs)
        self._table_changed()

    # --- tokens -------------------------------------------------------------------------
    def _key(self, token) -> int:
        return int(token)

    def _public(self, token) -> int:
        return int(token)

    def _integers(self, values, what: str) -> np.ndarray:
        array = host_array(values)
        if array.dtype.kind not in "iu" and not (array.size == 0 and array.dtype.kind == "f"):
            raise DTypeError(f"{self.name}: the {what} must be integers; got values of dtype "
                             f"{array.dtype}. Use StringLookup for strings.")
        return array.astype(np.int64)

    def _to_tokens(self, values) -> list:
        array = self._integers(values, "vocabulary")
        if array.ndim > 1:
            raise ValueError(f"{self.name}: the vocabulary must be 1-D; got shape "
                             f"{array.shape}.")
        return array.reshape(-1).tolist()

    def _read_file(self, path) -> list:
        with open(path) as f:
            try:
                return [int(line) for line in f.read().split("\n") if line.strip()]
            except ValueError as err:
                raise ValueError(f"{self.name}: the vocabulary file {str(path)!r} must hold "
                                 f"one integer per line: {err}.") from None

    def _token_rows(self, data) -> list:
        array = self._integers(data, "adapt data")
        if array.ndim <= 1:
            return [array.reshape(-1).tolist()]
        return array.reshape(array.shape[0], -1).tolist()

    def _table_changed(self) -> None:
        start = self._token_start()
        self._table = IntegerTable(self._tokens, np.arange(start, start + len(self._tokens)))
        values = [int(t) for t in self._special_tokens()] + list(self._tokens)
        self._vocab_tensor = convert_to_tensor(np.asarray(values, np.int64).reshape(-1))

    # --- lookups ------------------------------------------------------------------------
    def _check_ints(self, inputs):
        if not inputs.dtype.is_integer:
            raise DTypeError(f"{self.name}: expected integer inputs; got a "
                             f"{inputs.dtype.name} tensor. Use StringLookup for strings, or "
                             "cast integral floats with engine.cast(x, 'int64').")
        return inputs if inputs.dtype is _dt.int64 else math_ops.cast(inputs, _dt.int64)

    def _lookup(self, inputs):
        x = self._check_ints(inputs)
        found, value = self._table.lookup(x)
        is_mask = None
        if self.mask_token is not None:
            is_mask = math_ops.equal(x, self.mask_token)
        if self.num_oov_indices == 0:
            self._check_in_vocabulary(x, found, is_mask)
            default = math_ops.cast(-1, _dt.int64)
        elif self.num_oov_indices == 1:
            default = math_ops.cast(self._oov_start(), _dt.int64)
        else:
            default = math_ops.floormod(x, self.num_oov_indices) + self._oov_start()
        ids = where(found, value, default)
        if is_mask is not None:
            ids = where(is_mask, math_ops.cast(self._mask_value(), _dt.int64), ids)
        return ids

    def _check_in_vocabulary(self, x, found, is_mask) -> None:
        known = found if is_mask is None else math_ops.logical_or(found, is_mask)

        def check(values, known):
            values, known = np.asarray(host_array(values)), np.asarray(host_array(known))
            if not known.all():
                raise self._oov_error(values[~known].tolist())

        if _THREAD.graph is None:
            check(x, known)
        else:
            py_function(check, [x, known], None)

    def _invert(self, inputs):
        ids = self._check_ints(inputs)
        vocab = self._vocab_tensor
        size = int(vocab.shape[0])
        oov = math_ops.cast(self.oov_token, _dt.int64)
        if size == 0:
            out = ids * 0 + oov
        else:
            inside = math_ops.logical_and(math_ops.greater_equal(ids, 0),
                                          math_ops.less(ids, size))
            out = where(inside, gather(vocab, clip_by_value(ids, 0, size - 1)), oov)
        dtype = _dt.as_dtype(self.vocabulary_dtype)
        return out if dtype is _dt.int64 else math_ops.cast(out, dtype)

    def get_config(self) -> dict:
        """The layer's arguments, with the current vocabulary."""
        config = super().get_config()
        config["vocabulary_dtype"] = self.vocabulary_dtype
        return config

