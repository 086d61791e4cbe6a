"""`StringLookup`: strings to vocabulary indices (and back), on the host.

The vocabulary is a Python dict from token bytes to index; a batch is looked up with one
`map` over its tokens, OOV tokens with several OOV indices are hashed together with the
vectorized FarmHash of `fingerprint.py`. The lookup runs through `host.on_host`: at once
when eager, as an `engine.py_function` node in traced functions (so it also works in
`engine.data` pipelines and traced train steps). The encodings of the other output modes
are engine ops on the looked-up indices.
"""

from __future__ import annotations

import codecs

import numpy as np

from engine import dtypes as _dt
from engine.errors import DTypeError
from engine.keras.layers.preprocessing.category_encoding import INT, integer_ids
from engine.keras.layers.preprocessing.host import on_host, strings_array
from engine.keras.layers.preprocessing.index_lookup import IndexLookup
from engine.ops.fingerprint import fingerprint64

__all__ = ["StringLookup"]


class _Table(dict):
    """token -> index; missing tokens give -1 (so `map(table.__getitem__, ...)` works)."""

    def __missing__(self, key):
        return -1


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary (given or learned by `adapt`).

    Args:
        max_tokens: the largest vocabulary size, special tokens included (None: no limit).
        num_oov_indices: indices reserved for out-of-vocabulary strings (0: they are
            errors; more than 1: a string's FarmHash picks one).
        mask_token: a string meaning "masked" (index 0 in "int" mode; dropped in the other
            modes), or None.
        oov_token: the string `invert=True` returns for OOV indices.
        vocabulary: a list of strings, or the path of a file with one per line.
        idf_weights: the idf weight of each vocabulary string ("tf_idf" mode).
        encoding: the text encoding of `str` tokens and files (default UTF-8).
        invert: map indices back to strings.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        sparse: only False.
        pad_to_max_tokens: make non-int outputs `max_tokens` wide.

    Example:
        >>> layer = engine.keras.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
        >>> layer([["a", "c", "d"], ["d", "z", "b"]]).numpy()
        array([[1, 3, 4],
               [4, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, encoding="utf-8", invert=False,
                 output_mode=INT, sparse=False, pad_to_max_tokens=False, **kwargs):
        if mask_token is not None and not isinstance(mask_token, str):
            raise TypeError(f"StringLookup: mask_token must be a string or None; got "
                            f"{mask_token!r}.")
        if not isinstance(oov_token, str):
            raise TypeError(f"StringLookup: oov_token must be a string; got {oov_token!r}.")
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"StringLookup: unknown encoding={encoding!r}; use a Python codec "
                             "name such as 'utf-8'.") from None
        self.encoding = encoding
        self._table = _Table()
        self._vocab_array = np.empty(0, dtype=object)
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, sparse, pad_to_max_tokens,
                         "string", **kwargs)
        self._table_changed()

    # --- tokens -------------------------------------------------------------------------
    def _key(self, token) -> bytes:
        return token if isinstance(token, bytes) else str(token).encode(self.encoding)

    def _public(self, token) -> str:
        return token.decode(self.encoding, errors="replace") if isinstance(token, bytes) \
            else token

    def _to_tokens(self, values) -> list:
        array = self._strings(values, "vocabulary")
        if array.ndim > 1:
            raise ValueError(f"{self.name}: the vocabulary must be 1-D; got shape "
                             f"{array.shape}.")
        return array.reshape(-1).tolist()

    def _read_file(self, path) -> list:
        with open(path, encoding=self.encoding) as f:
            lines = f.read().split("\n")
        return lines[:-1] if lines and lines[-1] == "" else lines

    def _strings(self, values, what: str) -> np.ndarray:
        try:
            return strings_array(values, self.encoding)
        except TypeError as err:
            raise DTypeError(f"{self.name}: the {what} must be strings; {err} Use "
                             "IntegerLookup for integers.") from None

    def _token_rows(self, data) -> list:
        array = self._strings(data, "adapt data")
        if array.ndim <= 1:
            return [array.reshape(-1).tolist()]
        return array.reshape(array.shape[0], -1).tolist()

    def _table_changed(self) -> None:
        start = self._token_start()
        self._table = _Table(zip(self._tokens, range(start, start + len(self._tokens))))
        keys = [self._key(t) for t in self._special_tokens()] + list(self._tokens)
        self._vocab_array = np.empty(len(keys), dtype=object)
        self._vocab_array[:] = keys

    # --- lookups ------------------------------------------------------------------------
    def _lookup(self, inputs):
        if inputs.dtype is not _dt.string:
            raise DTypeError(f"{self.name}: expected string inputs; got a {inputs.dtype.name} "
                             "tensor. Use IntegerLookup for integers.")
        return on_host(self.lookup_array, [inputs], _dt.int64, inputs.shape.dims)

    def lookup_array(self, array: np.ndarray) -> np.ndarray:
        """The indices of an array of tokens (NumPy in, NumPy out)."""
        array = strings_array(array, self.encoding)
        flat = array.reshape(-1)
        ids = np.fromiter(map(self._table.__getitem__, flat.tolist()), dtype=np.int64,
                          count=flat.size)
        is_mask = None
        if self.mask_token is not None:
            is_mask = flat == self._key(self.mask_token)
        missing = ids < 0
        if is_mask is not None:
            missing &= ~is_mask
        if missing.any():
            oov_start = self._oov_start()
            if self.num_oov_indices == 0:
                raise self._oov_error(flat[missing])
            if self.num_oov_indices == 1:
                ids[missing] = oov_start
            else:
                buckets = fingerprint64(flat[missing]) % np.uint64(self.num_oov_indices)
                ids[missing] = oov_start + buckets.astype(np.int64)
        if is_mask is not None:
            ids[is_mask] = self._mask_value()
        return ids.reshape(array.shape)

    def _invert(self, inputs):
        ids = integer_ids(inputs, self.name)
        return on_host(self._invert_array, [ids], _dt.string, inputs.shape.dims)

    def _invert_array(self, ids: np.ndarray) -> np.ndarray:
        vocab = self._vocab_array
        out = np.empty(ids.shape, dtype=object)
        out[...] = self._key(self.oov_token)
        inside = (ids >= 0) & (ids < len(vocab))
        out[inside] = vocab[ids[inside]]
        return out

    def get_config(self) -> dict:
        """The layer's arguments, with the current vocabulary."""
        config = super().get_config()
        config["encoding"] = self.encoding
        return config
