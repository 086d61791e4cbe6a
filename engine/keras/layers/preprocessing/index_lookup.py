"""`IndexLookup`: the vocabulary logic `StringLookup` and `IntegerLookup` share.

Index layout (Keras 2): in "int" mode with a `mask_token`, index 0 is the mask; then come
`num_oov_indices` out-of-vocabulary (OOV) indices; then the vocabulary's tokens. In the
other modes the mask takes no index: masked inputs are dropped from the encoding.
An input not in the vocabulary maps to the first OOV index, or, with several OOV
indices, to one chosen by hashing it (FarmHash `Fingerprint64` for strings, `x mod
num_oov_indices` for integers, as in TensorFlow).

`adapt` counts the tokens (and, for "tf_idf", the documents each occurs in: each row of
a batch is a document, a rank-1 batch one document) and keeps the most frequent ones,
ties broken by the token, descending, as Keras sorts them. idf is
`log(1 + documents / (1 + documents with the token))`; the OOV indices get the mean idf.

The vocabulary lives in the config (`get_config()["vocabulary"]`, special tokens first,
with the idf weights), so a layer rebuilt from its config looks up the same indices. A
function traced before `adapt` or `set_vocabulary` keeps the vocabulary it saw (as Keras
2's lookup tables do); trace it again afterwards.
"""

from __future__ import annotations

import collections
import itertools
import os

import numpy as np

from engine.errors import InvalidArgumentError
from engine.keras.layers.preprocessing.category_encoding import (
    COUNT,
    INT,
    MULTI_HOT,
    ONE_HOT,
    TF_IDF,
    encode_categorical,
)
from engine.keras.layers.preprocessing.host import host_array
from engine.keras.layers.preprocessing.preprocessing_layer import (
    PreprocessingLayer,
    check_output_mode,
)

__all__ = ["IndexLookup"]

_MODES = (INT, ONE_HOT, MULTI_HOT, COUNT, TF_IDF)


class IndexLookup(PreprocessingLayer):
    """Maps tokens to indices through a vocabulary (base of StringLookup/IntegerLookup).

    Subclasses define `_to_tokens(values)` (Python tokens from user values),
    `_token_rows(data)` (documents of a batch, for adapt), `_key(token)` (the form compared
    with inputs), `_public(token)` (the form `get_vocabulary` returns), `_read_file(path)`,
    `_lookup(inputs)` and `_invert(inputs)`.
    """

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                 idf_weights, invert, output_mode, sparse, pad_to_max_tokens, token_dtype,
                 **kwargs):
        kind = type(self).__name__
        if output_mode == "binary":  # Keras 2's old name
            output_mode = MULTI_HOT
        check_output_mode(kind, output_mode, _MODES)
        if kwargs.get("dtype") is None:
            from engine.keras import backend  # noqa: PLC0415

            kwargs["dtype"] = (token_dtype if invert else "int64") if output_mode == INT \
                else backend.floatx()
        super().__init__(**kwargs)
        if max_tokens is not None and (not isinstance(max_tokens, (int, np.integer))
                                       or max_tokens <= 1):
            raise ValueError(f"{kind}: max_tokens must be None or an integer > 1; got "
                             f"{max_tokens!r}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{kind}: pad_to_max_tokens=True needs max_tokens to be set.")
        if not isinstance(num_oov_indices, (int, np.integer)) or num_oov_indices < 0:
            raise ValueError(f"{kind}: num_oov_indices must be an integer >= 0; got "
                             f"{num_oov_indices!r}.")
        if invert and output_mode != INT:
            raise ValueError(f"{kind}: invert=True works with output_mode='int' only; got "
                             f"output_mode={output_mode!r}.")
        if sparse:
            raise ValueError(f"{kind}: sparse=True is not supported (the engine has no sparse "
                             "tensors); use sparse=False.")
        if idf_weights is not None and output_mode != TF_IDF:
            raise ValueError(f"{kind}: idf_weights are only used with output_mode='tf_idf'; "
                             f"got output_mode={output_mode!r}.")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self._token_dtype = token_dtype
        self._tokens: list = []  # the learned or given tokens, in index order
        self._idf = None  # (vocabulary_size,) float array in "tf_idf" mode
        self._has_vocabulary = False
        self._counts = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ValueError(f"{kind}: idf_weights were given without a vocabulary.")

    # --- index layout -------------------------------------------------------------------
    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == INT else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def _mask_value(self) -> int:
        """The index masked inputs get: 0 in "int" mode, -1 (dropped) in the others."""
        return 0 if self.output_mode == INT else -1

    def _special_tokens(self) -> list:
        return [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices

    # --- vocabulary ---------------------------------------------------------------------
    def vocabulary_size(self) -> int:
        """The number of indices: mask and OOV indices included.

        Returns:
            An int.
        """
        return self._token_start() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The token of each index.

        Args:
            include_special_tokens: include the mask and OOV tokens at their indices.

        Returns:
            A list of tokens, in index order.
        """
        tokens = [self._public(t) for t in self._tokens]
        if not include_special_tokens:
            return tokens
        return self._special_tokens() + tokens

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Replaces the vocabulary (and, in "tf_idf" mode, the idf weights).

        Args:
            vocabulary: a list, array or tensor of tokens, or the path of a text file with
                one token per line. It may start with the special tokens (mask, then the
                OOV tokens), as `get_vocabulary()` returns them.
            idf_weights: one weight per vocabulary entry ("tf_idf" mode only).

        Raises:
            ValueError: for repeated tokens, misplaced special tokens, a vocabulary larger
                than `max_tokens`, or missing/mismatched idf weights.
        """
        kind = self.name
        if self.output_mode == TF_IDF and idf_weights is None:
            raise ValueError(f"{kind}: output_mode='tf_idf' needs idf_weights with the "
                             "vocabulary (one weight per token).")
        if self.output_mode != TF_IDF and idf_weights is not None:
            raise ValueError(f"{kind}: idf_weights are only used with output_mode='tf_idf'.")
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == TF_IDF:
                raise ValueError(f"{kind}: output_mode='tf_idf' cannot load the vocabulary from "
                                 "a file; pass a list with idf_weights.")
            if not os.path.isfile(vocabulary):
                raise ValueError(f"{kind}: the vocabulary file {str(vocabulary)!r} does not "
                                 "exist.")
            vocabulary = self._read_file(vocabulary)
        tokens = self._to_tokens(vocabulary)
        if not tokens:
            raise ValueError(f"{kind}: cannot set an empty vocabulary.")
        specials = [self._key(t) if t is not None else None for t in self._special_tokens()]
        start = self._token_start()
        found_specials = bool(specials) and tokens[:start] == specials
        if found_specials:
            tokens = tokens[start:]
        seen, repeated = set(), []
        for t in tokens:
            if t in seen:
                repeated.append(self._public(t))
            seen.add(t)
        if repeated:
            raise ValueError(f"{kind}: the vocabulary repeats {repeated[:10]}; each token may "
                             "appear once.")
        order = f"{[self._public(t) if t is not None else None for t in specials]}"
        if self.mask_token is not None and self._key(self.mask_token) in seen:
            raise ValueError(f"{kind}: the vocabulary contains the mask token "
                             f"{self.mask_token!r} after its start. Leave special tokens out, "
                             f"or put them first, in this order: {order}.")
        if self.invert and self.oov_token is not None and self._key(self.oov_token) in seen:
            raise ValueError(f"{kind}: the vocabulary contains the OOV token "
                             f"{self.oov_token!r} after its start. Leave special tokens out, "
                             f"or put them first, in this order: {order}.")
        size = start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{kind}: the vocabulary has {size} entries (special tokens "
                             f"included); max_tokens={self.max_tokens}.")
        idf = None
        if self.output_mode == TF_IDF:
            given = np.asarray(host_array(idf_weights), np.float64)
            if given.ndim != 1 or len(given) != len(tokens) + (start if found_specials else 0):
                raise ValueError(f"{kind}: idf_weights must be 1-D with one weight per "
                                 f"vocabulary entry ({len(tokens)}); got shape {given.shape}.")
            front = [] if found_specials else [given.mean()] * start
            idf = np.concatenate([front, given])
        self._set_tokens(tokens, idf)

    def _set_tokens(self, tokens: list, idf) -> None:
        self._tokens = list(tokens)
        self._idf = idf
        self._has_vocabulary = True
        self._table_changed()

    def _table_changed(self) -> None:
        """Rebuilds what `call` uses after the vocabulary changed (subclasses)."""

    def _depth(self) -> int:
        if self.pad_to_max_tokens:
            return self.max_tokens
        if not self._has_vocabulary:
            raise RuntimeError(
                f"{self.name}: with output_mode={self.output_mode!r} and "
                "pad_to_max_tokens=False the output size is the vocabulary size, so the layer "
                "needs its vocabulary before it is called: pass vocabulary=..., or call "
                "adapt(data) first.")
        return self.vocabulary_size()

    def _idf_weights(self, depth: int) -> np.ndarray:
        idf = self._idf if self._idf is not None else np.zeros(0)
        return np.concatenate([idf, np.zeros(depth - len(idf))])

    # --- adapt --------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Forgets the token counts gathered so far."""
        self._counts = (collections.Counter(), collections.Counter(), 0)

    def update_state(self, data) -> None:
        """Counts the tokens of one batch (and, for "tf_idf", their documents).

        Args:
            data: a batch of tokens (array or tensor).
        """
        self._count_rows(self._token_rows(data))

    def _count_rows(self, rows: list) -> None:
        if self._counts is None:
            self.reset_state()
        counts, documents, num_documents = self._counts
        counts.update(itertools.chain.from_iterable(rows))
        if self.output_mode == TF_IDF:
            for row in rows:
                documents.update(set(row))
            num_documents += len(rows)
        self._counts = (counts, documents, num_documents)

    def finalize_state(self) -> None:
        """Keeps the most frequent tokens as the vocabulary."""
        if self._counts is None:
            return
        counts, documents, num_documents = self._counts
        self._counts = None
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        tokens = _ranked(counts)
        if self.max_tokens is not None:
            tokens = tokens[:max(self.max_tokens - self._token_start(), 0)]
        idf = None
        if self.output_mode == TF_IDF:
            frequencies = np.array([documents[t] for t in tokens], np.float64)
            learned = np.log(1.0 + num_documents / (1.0 + frequencies))
            mean = learned.mean() if len(learned) else 0.0
            idf = np.concatenate([np.full(self._token_start(), mean), learned])
        self._set_tokens(tokens, idf)

    # --- call ---------------------------------------------------------------------------
    def call(self, inputs):
        if self.invert:
            return self._invert(inputs)
        ids = self._lookup(inputs)
        if self.output_mode == INT:
            return ids
        depth = self._depth()
        idf = self._idf_weights(depth) if self.output_mode == TF_IDF else None
        return encode_categorical(ids, self.output_mode, depth, self._dtype, self.name,
                                  idf_weights=idf, drop_negative=self.mask_token is not None)

    def compute_output_shape(self, input_shape, dtype=None):
        """The output shape for inputs of `input_shape` (tokens, or ids with `invert`).

        `dtype` defaults to the dtype the layer reads: its tokens' dtype, or int64 ids.
        """
        if dtype is None:
            dtype = "int64" if self.invert else self._token_dtype
        return super().compute_output_shape(input_shape, dtype)

    def _oov_error(self, values) -> InvalidArgumentError:
        shown = [self._public(v) for v in list(values)[:5]]
        return InvalidArgumentError(
            f"{self.name}: with num_oov_indices=0 every input must be in the vocabulary; got "
            f"out-of-vocabulary values {shown}. Set num_oov_indices=1 (or more) to map them "
            "to an OOV index.")

    def get_config(self) -> dict:
        """The layer's arguments, with the current vocabulary (and idf weights)."""
        config = super().get_config()
        vocabulary = self.get_vocabulary() if self._has_vocabulary else None
        idf = None
        if self._idf is not None:
            idf = [float(w) for w in self._idf]
        config.update({
            "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
            "mask_token": self.mask_token, "oov_token": self.oov_token,
            "vocabulary": vocabulary, "idf_weights": idf, "invert": self.invert,
            "output_mode": self.output_mode, "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens})
        return config


def _ranked(counts: collections.Counter) -> list:
    """The tokens by count, then by token, both descending (Keras' order)."""
    keys = list(counts)
    if not keys:
        return []
    frequencies = np.fromiter(counts.values(), dtype=np.int64, count=len(keys))
    if isinstance(keys[0], int):
        tokens = np.asarray(keys, dtype=np.int64)
    else:
        tokens = np.empty(len(keys), dtype=object)
        tokens[:] = keys
    order = np.lexsort((tokens, frequencies))[::-1]
    return [keys[i] for i in order.tolist()]
