"""`TextVectorization`: text to token indices or bag-of-words vectors.

Each string is standardized (lowercased with Unicode rules after decoding, and/or
stripped of ASCII punctuation with Keras' regex), split (on ASCII whitespace, as
`tf.strings.split` does, or into characters), optionally turned into n-grams (all
n-grams of the first width, then of the next, joined by a space), and looked up in a
`StringLookup` whose mask token is "" (index 0: padding) and OOV token "[UNK]" (index 1).
This runs as NumPy/Python code on the host (`host.on_host`: eagerly at once, as a
py_function node in traced functions and `engine.data` pipelines); the "multi_hot",
"count" and "tf_idf" encodings of the padded indices are engine ops.

Callables: `standardize(strings)` receives a 1-D string tensor and returns strings of the
same length; `split(strings)` receives a 1-D string tensor and returns one list of tokens
per string. They run on the host with eager tensors, so they may use `.numpy()` and
Python string methods (engine has no string ops). Register them with
`engine.keras.utils.register_keras_serializable` for `get_config`/`from_config`.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, ShapeError
from engine.keras.layers.preprocessing.category_encoding import (
    COUNT,
    INT,
    MULTI_HOT,
    TF_IDF,
    encode_categorical,
)
from engine.keras.layers.preprocessing.host import on_host, strings_array
from engine.keras.layers.preprocessing.preprocessing_layer import (
    PreprocessingLayer,
    check_output_mode,
)
from engine.keras.layers.preprocessing.string_lookup import StringLookup
from engine.ops import math_ops

__all__ = ["TextVectorization"]

LOWER_AND_STRIP_PUNCTUATION = "lower_and_strip_punctuation"
LOWER, STRIP_PUNCTUATION = "lower", "strip_punctuation"
WHITESPACE, CHARACTER = "whitespace", "character"
_STRIP = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')


def _resolve_callable(value, allowed: tuple, what: str):
    """A built-in mode name, None, a callable, or a registered callable's name."""
    if value is None or callable(value) or value in allowed:
        return value
    if isinstance(value, str):
        from engine.keras.serialization import get_registered_object  # noqa: PLC0415

        found = get_registered_object(value)
        if callable(found):
            return found
    raise ValueError(f"TextVectorization: unknown {what}={value!r}; expected None, "
                     f"{', '.join(repr(a) for a in allowed)}, a callable, or the name of a "
                     "callable registered with register_keras_serializable.")


def _ngram_widths(ngrams):
    if ngrams is None:
        return None
    if isinstance(ngrams, (int, np.integer)) and not isinstance(ngrams, bool) and ngrams >= 1:
        return tuple(range(1, int(ngrams) + 1))
    if isinstance(ngrams, (tuple, list)) and ngrams and all(
            isinstance(n, (int, np.integer)) and n >= 1 for n in ngrams):
        return tuple(int(n) for n in ngrams)
    raise ValueError(f"TextVectorization: ngrams must be None, a positive integer or a tuple "
                     f"of positive integers; got {ngrams!r}.")


class TextVectorization(PreprocessingLayer):
    """Maps text to sequences of token indices or to token-count vectors.

    Args:
        max_tokens: the largest vocabulary size, including the padding ("", int mode) and
            OOV ("[UNK]") tokens.
        standardize: "lower_and_strip_punctuation", "lower", "strip_punctuation", None or
            a callable (see the module docstring).
        split: "whitespace", "character", None (each string is one token) or a callable.
        ngrams: None, n (all n-grams of 1 to n tokens) or a tuple of n-gram widths.
        output_mode: "int" (index sequences padded with 0), "multi_hot", "count",
            "tf_idf", or None (the standardized tokens themselves).
        output_sequence_length: pad or cut "int" outputs to this many tokens.
        pad_to_max_tokens: make non-int outputs `max_tokens` wide.
        vocabulary: a list of tokens or a file with one per line (else `adapt`).
        idf_weights: the idf weight of each vocabulary token ("tf_idf").
        sparse, ragged: only False.
        encoding: the text encoding (default UTF-8).

    Example:
        >>> layer = engine.keras.layers.TextVectorization(
        ...     vocabulary=["earth", "wind", "and", "fire"], output_sequence_length=4)
        >>> layer([["earth wind and also fire"], ["fire and earth michigan"]]).numpy()
        array([[2, 3, 4, 1],
               [5, 4, 2, 1]])
    """

    def __init__(self, max_tokens=None, standardize=LOWER_AND_STRIP_PUNCTUATION,
                 split=WHITESPACE, ngrams=None, output_mode=INT, output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", **kwargs):
        check_output_mode("TextVectorization", output_mode,
                          (INT, MULTI_HOT, COUNT, TF_IDF, None))
        if kwargs.get("dtype") is None:
            from engine.keras import backend  # noqa: PLC0415

            kwargs["dtype"] = {INT: "int64", None: "string"}.get(output_mode, backend.floatx())
        super().__init__(**kwargs)
        self._standardize = _resolve_callable(
            standardize, (LOWER_AND_STRIP_PUNCTUATION, LOWER, STRIP_PUNCTUATION), "standardize")
        self._split = _resolve_callable(split, (WHITESPACE, CHARACTER), "split")
        self._ngrams_arg = list(ngrams) if isinstance(ngrams, tuple) else ngrams
        self._ngrams = _ngram_widths(ngrams)
        if output_sequence_length is not None:
            if output_mode != INT:
                raise ValueError(f"TextVectorization: output_sequence_length works with "
                                 f"output_mode='int' only; got output_mode={output_mode!r}.")
            if not isinstance(output_sequence_length, (int, np.integer)) or \
                    output_sequence_length < 1:
                raise ValueError(f"TextVectorization: output_sequence_length must be a "
                                 f"positive integer or None; got {output_sequence_length!r}.")
        if sparse or ragged:
            raise ValueError("TextVectorization: sparse=True and ragged=True are not "
                             "supported (the engine has neither); outputs are padded dense "
                             "tensors.")
        self._output_mode = output_mode
        self._output_sequence_length = None if output_sequence_length is None else int(
            output_sequence_length)
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, mask_token="", vocabulary=vocabulary,
            idf_weights=idf_weights, pad_to_max_tokens=pad_to_max_tokens,
            output_mode=INT if output_mode is None else output_mode, encoding=encoding,
            name=f"{self.name}_lookup")

    # --- vocabulary ---------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The token of each index (padding "" and OOV "[UNK]" first, in int mode).

        Args:
            include_special_tokens: include the padding and OOV tokens.

        Returns:
            A list of strings.
        """
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The number of indices, special tokens included.

        Returns:
            An int.
        """
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Replaces the vocabulary (see `StringLookup.set_vocabulary`).

        Args:
            vocabulary: a list of tokens or the path of a file with one per line.
            idf_weights: one weight per token ("tf_idf" mode).
        """
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    # --- adapt --------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Forgets the token counts gathered so far."""
        self._lookup_layer.reset_state()

    def update_state(self, data) -> None:
        """Counts the tokens of one batch of text.

        Args:
            data: a batch of strings, shape `(batch,)` or `(batch, 1)`.
        """
        strings = self._strings(data)
        lookup = self._lookup_layer
        if self._makes_rows():
            lookup._count_rows(self._rows(strings))
        else:
            lookup._count_rows(lookup._token_rows(self._standardized(strings)))

    def finalize_state(self) -> None:
        """Keeps the most frequent tokens as the vocabulary."""
        self._lookup_layer.finalize_state()

    # --- text processing (host) ---------------------------------------------------------
    def _strings(self, values) -> np.ndarray:
        try:
            return strings_array(values, self._encoding)
        except TypeError as err:
            raise DTypeError(f"{self.name}: expected text (string) inputs; {err}") from None

    def _makes_rows(self) -> bool:
        return self._split is not None or self._ngrams is not None

    def _standardized(self, strings: np.ndarray) -> np.ndarray:
        mode = self._standardize
        if mode is None:
            return strings
        if callable(mode):
            result = mode(convert_to_tensor(strings.reshape(-1)))
            return self._strings(result).reshape(strings.shape)
        enc = self._encoding
        lower = mode in (LOWER, LOWER_AND_STRIP_PUNCTUATION)
        strip = mode in (STRIP_PUNCTUATION, LOWER_AND_STRIP_PUNCTUATION)
        out = []
        for s in strings.reshape(-1).tolist():
            text = s.decode(enc, errors="replace")
            if lower:
                text = text.lower()
            if strip:
                text = _STRIP.sub("", text)
            out.append(text.encode(enc))
        array = np.empty(len(out), dtype=object)
        array[:] = out
        return array.reshape(strings.shape)

    def _rows(self, strings: np.ndarray) -> list:
        """The token lists of a batch of strings (of shape (batch,), (batch, 1) or ())."""
        if self._split is None:  # pre-split tokens: each row (last axis) is a sequence
            if strings.ndim not in (1, 2):
                raise ShapeError(f"{self.name}: with split=None and ngrams, inputs must be one "
                                 f"token sequence or a batch of them; got shape "
                                 f"{strings.shape}.")
            tokens = self._standardized(strings).reshape(-1, strings.shape[-1])
            rows = tokens.tolist()
        else:
            if strings.ndim > 2 or (strings.ndim == 2 and strings.shape[-1] != 1):
                raise ShapeError(f"{self.name}: to split text, inputs must have shape "
                                 f"(batch,) or (batch, 1); got {strings.shape}.")
            rows = self._split_strings(self._standardized(strings).reshape(-1))
        if self._ngrams is not None:
            rows = [self._ngram_row(row) for row in rows]
        return rows

    def _split_strings(self, strings: np.ndarray) -> list:
        if self._split == WHITESPACE:
            return [s.split() for s in strings.tolist()]
        if self._split == CHARACTER:
            enc = self._encoding
            return [[c.encode(enc) for c in s.decode(enc, errors="replace")]
                    for s in strings.tolist()]
        result = self._split(convert_to_tensor(strings))
        if hasattr(result, "numpy"):
            result = result.numpy()
        return [self._strings(list(row)).reshape(-1).tolist() for row in result]

    def _ngram_row(self, tokens: list) -> list:
        out = []
        for width in self._ngrams:
            out.extend(b" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
        return out

    def _pad(self, flat: np.ndarray, lengths: np.ndarray, fill) -> np.ndarray:
        """Rows given flat with their lengths, as a `(batch, length)` array padded or cut."""
        length = self._output_sequence_length
        if length is None:
            length = int(lengths.max()) if len(lengths) else 0
        out = np.full((len(lengths), length), fill, dtype=flat.dtype)
        if flat.size:
            row_of = np.repeat(np.arange(len(lengths)), lengths)
            column = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            keep = column < length
            out[row_of[keep], column[keep]] = flat[keep]
        return out

    def _flat_rows(self, strings: np.ndarray) -> tuple:
        """`(tokens, lengths)`: the tokens of all rows in one object array, and row sizes."""
        rows = self._rows(strings)
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        flat = np.empty(int(lengths.sum()), dtype=object)
        flat[:] = list(itertools.chain.from_iterable(rows))
        return flat, lengths

    def _host_ids(self, inputs: np.ndarray) -> np.ndarray:
        """The padded index array of a batch of text (the py_function body)."""
        strings = self._strings(inputs)
        lookup = self._lookup_layer
        pad = 0 if self._output_mode == INT else -1
        if self._makes_rows():
            tokens, lengths = self._flat_rows(strings)
            out = self._pad(lookup.lookup_array(tokens), lengths, pad)
            return out.reshape(-1) if self._squeezes(strings) else out
        ids = lookup.lookup_array(self._standardized(strings))
        return self._fit_length(ids, pad)

    def _host_tokens(self, inputs: np.ndarray) -> np.ndarray:
        """The standardized (and split) tokens, padded with "" (output_mode=None)."""
        strings = self._strings(inputs)
        if self._makes_rows():
            tokens, lengths = self._flat_rows(strings)
            out = self._pad(tokens, lengths, b"")
            return out.reshape(-1) if self._squeezes(strings) else out
        return self._fit_length(self._standardized(strings), b"")

    def _squeezes(self, strings: np.ndarray) -> bool:
        """Whether the input is one text (a scalar, or one pre-split token sequence)."""
        return strings.ndim == 0 or (self._split is None and strings.ndim == 1)

    def _fit_length(self, values: np.ndarray, fill) -> np.ndarray:
        length = self._output_sequence_length
        if length is None or values.ndim == 0:
            return values
        cut = values[..., :length]
        pad = [(0, 0)] * (values.ndim - 1) + [(0, length - cut.shape[-1])]
        return np.pad(cut, pad, constant_values=fill)

    # --- call ---------------------------------------------------------------------------
    def _output_shape(self, shape) -> list | None:
        dims = shape.dims
        if dims is None:
            return None
        length = self._output_sequence_length
        if self._makes_rows():
            batch = [] if len(dims) == 0 else dims[:1]
            if self._split is None and len(dims) == 1:
                batch = []
            return batch + [length]
        if length is not None and dims:
            return dims[:-1] + [length]
        return list(dims)

    def compute_output_shape(self, input_shape, dtype=None):
        """The output shape for string inputs of `input_shape`."""
        return super().compute_output_shape(input_shape, dtype or _dt.string)

    def call(self, inputs):
        if inputs.dtype is not _dt.string:
            raise DTypeError(f"{self.name}: expected string inputs; got a {inputs.dtype.name} "
                             "tensor.")
        shape = self._output_shape(inputs.shape)
        if self._output_mode is None:
            return on_host(self._host_tokens, [inputs], _dt.string, shape)
        ids = on_host(self._host_ids, [inputs], _dt.int64, shape)
        if self._output_mode == INT:
            return ids if self._dtype is _dt.int64 else math_ops.cast(ids, self._dtype)
        lookup = self._lookup_layer
        depth = lookup._depth()
        idf = lookup._idf_weights(depth) if self._output_mode == TF_IDF else None
        return encode_categorical(ids, self._output_mode, depth, self._dtype, self.name,
                                  idf_weights=idf, drop_negative=True)

    def get_config(self) -> dict:
        """The layer's arguments, with the current vocabulary."""
        from engine.keras.serialization import serialize_object  # noqa: PLC0415

        lookup = self._lookup_layer
        config = super().get_config()
        lookup_config = lookup.get_config()
        config.update({
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize if not callable(self._standardize)
            else serialize_object(self._standardize),
            "split": self._split if not callable(self._split)
            else serialize_object(self._split),
            "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "vocabulary": lookup_config["vocabulary"], "idf_weights": lookup_config["idf_weights"],
            "sparse": False, "ragged": False, "encoding": self._encoding})
        return config
