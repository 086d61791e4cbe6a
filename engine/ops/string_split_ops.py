"""String splitting ops (TensorFlow's `tf.strings`): split one string, and dense n-grams.

For inputs of rank >= 1, TensorFlow's `split`, `bytes_split` and `unicode_split` return
RaggedTensors, which engine does not have: these take one string (a scalar) and return a
1-D tensor; other ranks raise `UnimplementedError` naming a dense alternative. `ngrams`
needs no ragged tensors: over a dense tensor's last axis every row has as many n-grams.
"""

from __future__ import annotations

import numpy as np

from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, UnimplementedError
from engine.ops.string_ops import (
    _STRING,
    _check_strings,
    _encode,
    _flat,
    _normalized,
    _run,
    _strings_1d,
    _text,
)
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["split", "bytes_split", "unicode_split", "ngrams"]


# --- splitting one string; n-grams -----------------------------------------------------------
_DENSE_ALTERNATIVES = {
    "split": "a dense, padded token matrix comes from engine.keras.layers.TextVectorization("
             "standardize=None, output_mode=None)",
    "bytes_split": "pad the strings to one length n (engine.strings.join) and take "
                   "engine.strings.substr(x[..., None], engine.range(n), [1] * n)",
    "unicode_split": "a dense, padded character matrix comes from engine.keras.layers."
                     "TextVectorization(standardize=None, split='character', output_mode=None)",
}


def _ragged_error(op: str, shape) -> UnimplementedError:
    return UnimplementedError(
        f"{op}: got an input of shape {tuple(shape)}; for rank >= 1 TensorFlow returns a "
        "RaggedTensor, which engine does not have. Pass one string (a scalar) to get a 1-D "
        f"tensor, e.g. map {op} over engine.data.Dataset.from_tensor_slices(strings); or "
        f"{_DENSE_ALTERNATIVES[op]}.", op=op)


def _one_string(op: str, x: np.ndarray) -> bytes:
    """The string a scalar input holds (a rank known only when the graph runs, say)."""
    if x.ndim:
        raise _ragged_error(op, x.shape)
    return _flat(x)[0]


def _scalar_infer(op: str, check=None):
    """An `infer` for ops that split one string into a 1-D tensor of unknown length."""

    def infer(x, **attrs):
        _check_strings(op, x)
        if check is not None:
            check(**attrs)
        if x.shape.rank not in (None, 0):
            raise _ragged_error(op, x.shape.as_list())
        return TensorSpec([None], _STRING)

    return infer


def _split_kernel(xp, x, sep="", maxsplit=-1):
    s = _one_string("split", x)
    parts = s.split(_encode(sep) if sep else None, maxsplit)  # None: runs of ASCII whitespace
    return _strings_1d(parts)


def _bytes_split_kernel(xp, x):
    s = _one_string("bytes_split", x)
    return _strings_1d([s[i:i + 1] for i in range(len(s))])


_CODECS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}
_ERRORS = ("strict", "replace", "ignore")


def _check_decoding(input_encoding="UTF-8", errors="replace", replacement_char=0xFFFD):
    if input_encoding.upper() not in _CODECS or errors not in _ERRORS:
        raise InvalidArgumentError(
            f"unicode_split: got input_encoding={input_encoding!r}, errors={errors!r}; "
            f"expected an encoding in {sorted(_CODECS)} and errors in {list(_ERRORS)}.",
            op="unicode_split")
    if not (0 <= replacement_char <= 0x10FFFF and not 0xD800 <= replacement_char <= 0xDFFF):
        raise InvalidArgumentError(f"unicode_split: got replacement_char={replacement_char}; "
                                   "expected a Unicode code point (not a surrogate).",
                                   op="unicode_split")


def _characters(data: bytes, codec: str, errors: str, replacement: int) -> list:
    """The characters of `data`; each invalid sequence is replaced, dropped or an error."""
    chars: list = []
    while True:
        try:
            return chars + list(data.decode(codec))
        except UnicodeDecodeError as exc:
            if errors == "strict":
                raise InvalidArgumentError(
                    f"unicode_split: the string {data!r} is not valid {codec} at byte "
                    f"{exc.start} ({exc.reason}); pass errors='replace' or 'ignore'.",
                    op="unicode_split") from None
            chars += list(data[:exc.start].decode(codec))
            chars += [chr(replacement)] if errors == "replace" else []
            data = data[exc.end:]


def _unicode_split_kernel(xp, x, input_encoding="UTF-8", errors="replace",
                          replacement_char=0xFFFD):
    codec = _CODECS[input_encoding.upper()]
    chars = _characters(_one_string("unicode_split", x), codec, errors, replacement_char)
    return _strings_1d([c.encode(codec) for c in chars])


_SPLIT = register(OpDef(
    "string_split", "StringSplitScalar", ("input",),
    _scalar_infer("split"), _split_kernel,
    attrs={"sep": "", "maxsplit": -1}, gpu=False,
    doc="Splits one string at sep (or runs of whitespace) into a 1-D tensor."))
_BYTES_SPLIT = register(OpDef(
    "bytes_split", "StringBytesSplitScalar", ("input",),
    _scalar_infer("bytes_split"), _bytes_split_kernel, gpu=False,
    doc="Splits one string into its bytes (a 1-D tensor)."))
_UNICODE_SPLIT = register(OpDef(
    "unicode_split", "UnicodeSplitScalar", ("input",),
    _scalar_infer("unicode_split", _check_decoding), _unicode_split_kernel,
    attrs={"input_encoding": "UTF-8", "errors": "replace", "replacement_char": 0xFFFD},
    gpu=False, doc="Splits one string into its characters (a 1-D tensor)."))


def split(input, sep=None, maxsplit=-1, name=None):
    """Splits one string at `sep` into a 1-D string tensor.

    With `sep` None (or ''), splits at runs of ASCII whitespace and drops empty parts;
    otherwise each `sep` separates (so empty parts stay). At most `maxsplit` splits
    (-1: all). TensorFlow returns a RaggedTensor for inputs of rank >= 1; engine takes a
    scalar only and raises UnimplementedError otherwise.

    Args:
        input: one string (a scalar string tensor).
        sep: the separator, or None for whitespace.
        maxsplit: the most splits (-1: no limit).

    Returns:
        A 1-D string tensor.

    Example:
        >>> engine.strings.split("hello  big world").numpy()
        array([b'hello', b'big', b'world'], dtype=object)
        >>> engine.strings.split("a,,b", sep=",").numpy()
        array([b'a', b'', b'b'], dtype=object)
    """
    attrs = {"sep": "" if sep is None else _text("split", "sep", sep), "maxsplit": int(maxsplit)}
    return _run(_SPLIT, [convert_to_tensor(input)], attrs)


def bytes_split(input, name=None):
    """Splits one string into its bytes, a 1-D string tensor (a scalar input only).

    Args:
        input: one string (a scalar string tensor).

    Returns:
        A 1-D string tensor with one byte per element.

    Example:
        >>> engine.strings.bytes_split("héllo"[:2]).numpy()
        array([b'h', b'\\xc3', b'\\xa9'], dtype=object)
    """
    return _run(_BYTES_SPLIT, [convert_to_tensor(input)], {})


def unicode_split(input, input_encoding, errors="replace", replacement_char=0xFFFD,
                  name=None):
    """Splits one string into its characters, each encoded in `input_encoding`.

    Args:
        input: one string (a scalar string tensor).
        input_encoding: 'UTF-8', 'UTF-16-BE' or 'UTF-32-BE'.
        errors: for invalid text: 'replace' (by `replacement_char`), 'ignore' or 'strict'
            (an InvalidArgumentError).
        replacement_char: the code point that replaces invalid text.

    Returns:
        A 1-D string tensor with one character per element.

    Example:
        >>> [c.decode() for c in engine.strings.unicode_split("Aß😀", "UTF-8").numpy()]
        ['A', 'ß', '😀']
    """
    attrs = {"input_encoding": _text("unicode_split", "input_encoding", input_encoding),
             "errors": errors, "replacement_char": int(replacement_char)}
    return _run(_UNICODE_SPLIT, [convert_to_tensor(input)], attrs)


def _ngram_count(length: int, widths, pad_width: int, preserve: bool) -> int:
    """N-grams per row (TensorFlow's rule); padding never exceeds width - 1."""
    pads = [min(w - 1 if pad_width < 0 else pad_width, w - 1) for w in widths]
    count = sum(max(0, length + 2 * p - w + 1) for w, p in zip(widths, pads))
    return 1 if preserve and length > 0 and count == 0 else count


def _check_ngrams_rank(rank: int, shape) -> None:
    if rank == 0:
        raise ShapeError(f"ngrams: got data of shape {tuple(shape)}; expected rank >= 1 "
                         "(n-grams are taken along the last axis).")


def _ngrams_infer(data, ngram_widths=(2,), separator=" ", left_pad="", right_pad="",
                  pad_width=0, preserve_short_sequences=False):
    _check_strings("ngrams", data, "data")
    if data.shape.rank is None:
        return TensorSpec(None, _STRING)
    _check_ngrams_rank(data.shape.rank, data.shape)
    length = data.shape[-1]
    count = None if length is None else 0 if length == 0 else _ngram_count(
        length, ngram_widths, pad_width, preserve_short_sequences)
    return TensorSpec(data.shape.as_list()[:-1] + [count], _STRING)


def _ngrams_kernel(xp, data, ngram_widths=(2,), separator=" ", left_pad="", right_pad="",
                   pad_width=0, preserve_short_sequences=False):
    _check_ngrams_rank(data.ndim, data.shape)
    length = data.shape[-1]
    rows = _normalized(data).reshape(int(np.prod(data.shape[:-1])), length).tolist()
    sep, left, right = _encode(separator), _encode(left_pad), _encode(right_pad)
    out = []
    for row in rows if length else []:  # no data: no n-grams, padding or not (as TF)
        grams = []
        for w in ngram_widths:
            p = min(w - 1 if pad_width < 0 else pad_width, w - 1)
            padded = [left] * p + row + [right] * p
            grams += [sep.join(padded[i:i + w]) for i in range(len(padded) - w + 1)]
        if preserve_short_sequences and not grams:
            grams = [sep.join([left] * pad_width + row + [right] * pad_width)]
        out.append(grams)
    count = 0 if not length else _ngram_count(length, ngram_widths, pad_width,
                                              preserve_short_sequences)
    return _strings_1d([g for grams in out for g in grams]).reshape(data.shape[:-1] + (count,))


_NGRAMS = register(OpDef(
    "ngrams", "StringNGramsDense", ("data",), _ngrams_infer, _ngrams_kernel,
    attrs={"ngram_widths": (2,), "separator": " ", "left_pad": "", "right_pad": "",
           "pad_width": 0, "preserve_short_sequences": False}, gpu=False,
    doc="N-grams along the last axis of a dense string tensor."))


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """The n-grams along the last axis of `data`: windows of strings joined by `separator`.

    Every row of a dense tensor has as many n-grams, so (unlike TensorFlow's RaggedTensor
    path) the result is a dense tensor of shape `data.shape[:-1] + [count]`.

    Args:
        data: a string tensor of rank >= 1.
        ngram_width: the width, or a list of widths (their n-grams follow each other).
        separator: the string between the parts of an n-gram.
        pad_values: None (no padding), one string for both ends, or (left, right).
        padding_width: pad values added at each end (default: width - 1).
        preserve_short_sequences: give a sequence too short for any n-gram one n-gram of
            the whole (padded) sequence.

    Returns:
        A string tensor of shape `data.shape[:-1] + [count]`.

    Example:
        >>> engine.strings.ngrams(["A", "B", "C", "D"], 2).numpy()
        array([b'A B', b'B C', b'C D'], dtype=object)
        >>> engine.strings.ngrams([["a", "b"]], 2, pad_values="#", separator="").numpy()
        array([[b'#a', b'ab', b'b#']], dtype=object)
    """
    widths = tuple(ngram_width) if isinstance(ngram_width, (list, tuple)) else (ngram_width,)
    if not widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1
                         for w in widths):
        raise ValueError(f"ngrams: got ngram_width={ngram_width!r}; expected an int >= 1 or a "
                         "list of them.")
    if padding_width is not None and (pad_values is None or padding_width < 1):
        raise ValueError(f"ngrams: got padding_width={padding_width!r} with "
                         f"pad_values={pad_values!r}; padding_width must be >= 1 and needs "
                         "pad_values.")
    pads = pad_values if isinstance(pad_values, (list, tuple)) else (pad_values, pad_values)
    if pad_values is not None and (len(pads) != 2 or not all(
            isinstance(v, (str, bytes)) for v in pads)):
        raise DTypeError(f"ngrams: got pad_values={pad_values!r}; expected None, a string or "
                         "a (left, right) pair of strings.")
    attrs = {"ngram_widths": widths, "separator": _text("ngrams", "separator", separator),
             "left_pad": "" if pad_values is None else _text("ngrams", "pad", pads[0]),
             "right_pad": "" if pad_values is None else _text("ngrams", "pad", pads[1]),
             "pad_width": 0 if pad_values is None else (
                 -1 if padding_width is None else int(padding_width)),
             "preserve_short_sequences": bool(preserve_short_sequences)}
    return _run(_NGRAMS, [convert_to_tensor(data)], attrs)
