"""More of `tf.strings`: Unicode decoding and encoding, keyed hashing, segment joins.

Registered ops with NumPy kernels (strings live on the CPU, as in TensorFlow):
`UnicodeDecodeScalar` (engine's: TensorFlow returns a RaggedTensor for rank >= 1 inputs,
which engine does not have, so, like `engine.strings.unicode_split`, decoding takes one
string and gives a 1-D int32 tensor), `UnicodeEncode` (dense code points
`[..., num_chars]` to strings `[...]`), `StringToHashBucketStrong` (keyed SipHash-2-4,
the same buckets as TensorFlow), `StringToHashBucket` (the legacy MurmurHash64A buckets)
and `UnsortedSegmentJoin`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops.fingerprint import murmur64, siphash64
from engine.ops.static_args import static_int
from engine.ops.string_convert_ops import _check_buckets
from engine.ops.string_ops import _STRING, _check_strings, _flat, _run, _strings_1d
from engine.ops.string_split_ops import _CODECS, _ERRORS, _characters, _one_string
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["unicode_decode", "unicode_encode", "to_hash_bucket", "to_hash_bucket_strong",
           "unsorted_segment_join"]

_INT_TYPES = (_dt.int32, _dt.int64)


def _check_codec(op: str, encoding: str, errors: str, replacement_char: int) -> None:
    if str(encoding).upper() not in _CODECS or errors not in _ERRORS:
        raise InvalidArgumentError(
            f"{op}: got encoding={encoding!r}, errors={errors!r}; expected an encoding in "
            f"{sorted(_CODECS)} and errors in {list(_ERRORS)}.", op=op)
    if not (0 <= replacement_char <= 0x10FFFF and not 0xD800 <= replacement_char <= 0xDFFF):
        raise InvalidArgumentError(f"{op}: got replacement_char={replacement_char}; expected a "
                                   "Unicode code point (not a surrogate).", op=op)


# --- unicode_decode ---------------------------------------------------------------------------
def _decode_infer(x, input_encoding="UTF-8", errors="replace", replacement_char=0xFFFD):
    op = "unicode_decode"
    _check_strings(op, x)
    _check_codec(op, input_encoding, errors, replacement_char)
    if x.shape.rank not in (None, 0):
        raise ShapeError(
            f"{op}: got an input of shape {x.shape}; for rank >= 1 TensorFlow returns a "
            "RaggedTensor, which engine does not have. Pass one string (a scalar), e.g. map "
            "unicode_decode over engine.data.Dataset.from_tensor_slices(strings).")
    return TensorSpec([None], _dt.int32)


def _decode_kernel(xp, x, input_encoding="UTF-8", errors="replace", replacement_char=0xFFFD):
    codec = _CODECS[input_encoding.upper()]
    chars = _characters(_one_string("unicode_decode", x), codec, errors, replacement_char)
    return np.asarray([ord(c) for c in chars], dtype=np.int32)


_DECODE = register(OpDef(
    "unicode_decode", "UnicodeDecodeScalar", ("input",), _decode_infer, _decode_kernel,
    attrs={"input_encoding": "UTF-8", "errors": "replace", "replacement_char": 0xFFFD},
    gpu=False, doc="The Unicode code points of one string (a 1-D int32 tensor)."))


def unicode_decode(input, input_encoding, errors="replace", replacement_char=0xFFFD,  # noqa: A002
                   replace_control_characters=False, name=None):
    """The Unicode code points of one string, as a 1-D int32 tensor.

    Invalid byte sequences become `replacement_char` (errors="replace"), are dropped
    ("ignore") or raise ("strict").

    Args:
        input: one string (a scalar string tensor).
        input_encoding: "UTF-8", "UTF-16-BE" or "UTF-32-BE".
        errors: "replace", "ignore" or "strict".
        replacement_char: the code point that replaces invalid sequences.
        replace_control_characters: whether control characters (below U+0020) are replaced
            by `replacement_char` too.

    Returns:
        A 1-D int32 tensor of code points.

    Raises:
        ShapeError: for an input of rank >= 1 (TensorFlow returns a RaggedTensor).

    Example:
        >>> engine.strings.unicode_decode("héllo", "UTF-8").numpy()
        array([104, 233, 108, 108, 111], dtype=int32)
    """
    attrs = {"input_encoding": str(input_encoding), "errors": errors,
             "replacement_char": int(replacement_char)}
    out = _run(_DECODE, [convert_to_tensor(input)], attrs)
    if replace_control_characters:
        from engine.ops.select_ops import where  # noqa: PLC0415 - only for this option

        out = where(out < 32, np.int32(replacement_char), out)
    return out


# --- unicode_encode ---------------------------------------------------------------------------
def _encode_infer(x, output_encoding="UTF-8", errors="replace", replacement_char=0xFFFD):
    op = "unicode_encode"
    if x.dtype not in _INT_TYPES:
        raise DTypeError(f"{op}: got input of dtype {x.dtype.name}; expected int32 code points. "
                         "Cast it with engine.cast(x, engine.int32).")
    _check_codec(op, output_encoding, errors, replacement_char)
    if x.shape.rank == 0:
        raise ShapeError(f"{op}: got a scalar; expected code points [..., num_chars] (wrap "
                         "one code point in a list).")
    return TensorSpec(None if x.shape.rank is None else x.shape[:-1], _STRING)


def _encode_one(points, codec, errors, replacement_char) -> bytes:
    chars = []
    for p in points:
        if 0 <= p <= 0x10FFFF and not 0xD800 <= p <= 0xDFFF:
            chars.append(chr(p))
        elif errors == "strict":
            raise InvalidArgumentError(f"unicode_encode: code point {p} is out of range for "
                                       "Unicode or is a surrogate; pass errors='replace' or "
                                       "'ignore'.", op="unicode_encode")
        elif errors == "replace":
            chars.append(chr(replacement_char))
    return "".join(chars).encode(codec)


def _encode_kernel(xp, x, output_encoding="UTF-8", errors="replace", replacement_char=0xFFFD):
    codec = _CODECS[output_encoding.upper()]
    rows = x.reshape(int(np.prod(x.shape[:-1])), x.shape[-1]).tolist()  # also for 0 chars
    encoded = [_encode_one(row, codec, errors, replacement_char) for row in rows]
    return _strings_1d(encoded).reshape(x.shape[:-1])


_ENCODE = register(OpDef(
    "unicode_encode", "UnicodeEncode", ("input_values",), _encode_infer, _encode_kernel,
    attrs={"output_encoding": "UTF-8", "errors": "replace", "replacement_char": 0xFFFD},
    gpu=False, doc="Strings from code points along the last axis."))


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                   name=None):
    """Strings from Unicode code points: `[..., num_chars]` int32 gives strings `[...]`.

    One row of code points gives one string (a scalar); a matrix gives a vector. Code
    points that are out of range or surrogates become `replacement_char`, are dropped or
    raise, by `errors`.

    Args:
        input: an int32 tensor of code points (dense; pad rows yourself).
        output_encoding: "UTF-8", "UTF-16-BE" or "UTF-32-BE".
        errors: "replace", "ignore" or "strict".
        replacement_char: the code point that replaces invalid ones.

    Returns:
        A string tensor of shape `input.shape[:-1]`.

    Example:
        >>> engine.strings.unicode_encode([[104, 233], [97, 98]], "UTF-8").numpy()
        array([b'h\\xc3\\xa9', b'ab'], dtype=object)
    """
    attrs = {"output_encoding": str(output_encoding), "errors": errors,
             "replacement_char": int(replacement_char)}
    return _run(_ENCODE, [convert_to_tensor(input)], attrs)


# --- to_hash_bucket -------------------------------------------------------------------------
def _legacy_infer(x, num_buckets=1):
    _check_strings("to_hash_bucket", x)
    _check_buckets("to_hash_bucket", num_buckets)
    return TensorSpec(x.shape, _dt.int64)


def _legacy_kernel(xp, x, num_buckets=1):
    hashes = murmur64(np.asarray(_flat(x), dtype=object)) if x.size else np.zeros(0)
    out = (np.asarray(hashes, np.uint64) % np.uint64(num_buckets)).astype(np.int64)
    return out.reshape(x.shape)


_LEGACY = register(OpDef(
    "to_hash_bucket", "StringToHashBucket", ("string_tensor",), _legacy_infer,
    _legacy_kernel, attrs={"num_buckets": 1}, gpu=False,
    doc="MurmurHash64A of each string modulo num_buckets (TensorFlow's legacy hash)."))


def to_hash_bucket(string_tensor, num_buckets, name=None):
    """Hashes each string to a bucket in [0, num_buckets) with TensorFlow's legacy hash.

    The buckets equal `tf.strings.to_hash_bucket`'s. New code should prefer
    `to_hash_bucket_fast` (FarmHash, faster) or `to_hash_bucket_strong` (keyed).

    Args:
        string_tensor: a string tensor (or strings).
        num_buckets: the number of buckets (an int >= 1).
        name: ignored.

    Returns:
        An int64 tensor of the input's shape.

    Raises:
        InvalidArgumentError: for num_buckets < 1.

    Example:
        >>> engine.strings.to_hash_bucket(["Hello", "TensorFlow", "2.x"], 3).numpy()
        array([2, 0, 1])
    """
    buckets = static_int(num_buckets, "to_hash_bucket num_buckets")
    return _run(_LEGACY, [convert_to_tensor(string_tensor)], {"num_buckets": buckets})


# --- to_hash_bucket_strong --------------------------------------------------------------------
def _strong_infer(x, num_buckets=1, key=(0, 0)):
    _check_strings("to_hash_bucket_strong", x)
    _check_buckets("to_hash_bucket_strong", num_buckets)
    return TensorSpec(x.shape, _dt.int64)


def _strong_kernel(xp, x, num_buckets=1, key=(0, 0)):
    hashes = siphash64(np.asarray(_flat(x), dtype=object), key) if x.size else np.zeros(0)
    out = (np.asarray(hashes, np.uint64) % np.uint64(num_buckets)).astype(np.int64)
    return out.reshape(x.shape)


_STRONG = register(OpDef(
    "to_hash_bucket_strong", "StringToHashBucketStrong", ("input",), _strong_infer,
    _strong_kernel, attrs={"num_buckets": 1, "key": (0, 0)}, gpu=False,
    doc="Keyed SipHash-2-4 of each string modulo num_buckets."))


def to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002
    """Hashes each string to a bucket in [0, num_buckets) with keyed SipHash-2-4.

    The hash and so the buckets equal TensorFlow's; without the key they cannot be
    predicted, which makes the buckets hard to attack.

    Args:
        input: a string tensor (or strings).
        num_buckets: the number of buckets (an int >= 1).
        key: two non-negative integers below 2**64, the 128-bit key.

    Returns:
        An int64 tensor of the input's shape.

    Raises:
        InvalidArgumentError: for a bad num_buckets or key.

    Example:
        >>> engine.strings.to_hash_bucket_strong(["Hello", "TensorFlow"], 1000, [1, 2]).numpy()
        array([274, 926])
    """
    key = tuple(int(k) for k in np.asarray(key).reshape(-1))
    if len(key) != 2 or not all(0 <= k < 2 ** 64 for k in key):
        raise InvalidArgumentError(f"to_hash_bucket_strong: got key={key!r}; expected two "
                                   "non-negative integers below 2**64.",
                                   op="to_hash_bucket_strong")
    buckets = static_int(num_buckets, "to_hash_bucket_strong num_buckets")
    return _run(_STRONG, [convert_to_tensor(input)], {"num_buckets": buckets, "key": key})


# --- unsorted_segment_join --------------------------------------------------------------------
def _join_infer(inputs, segment_ids, num_segments=0, separator=""):
    op = "unsorted_segment_join"
    _check_strings(op, inputs)
    if segment_ids.dtype not in _INT_TYPES:
        raise DTypeError(f"{op}: got segment_ids of dtype {segment_ids.dtype.name}; expected "
                         "int32 or int64.")
    k = segment_ids.shape.rank
    if k is None or inputs.shape.rank is None:
        return TensorSpec(None, _STRING)
    if not inputs.shape[:k].is_compatible_with(segment_ids.shape):
        raise ShapeError(f"{op}: got inputs of shape {inputs.shape} and segment_ids of shape "
                         f"{segment_ids.shape}; expected segment_ids to match the leading "
                         "dimensions of inputs.")
    return TensorSpec([num_segments] + inputs.shape[k:].as_list(), _STRING)


def _join_kernel(xp, inputs, segment_ids, num_segments=0, separator=""):
    k = segment_ids.ndim
    ids = segment_ids.reshape(-1).tolist()
    if any(i < 0 or i >= num_segments for i in ids):
        raise InvalidArgumentError(
            f"unsorted_segment_join: got segment_ids {ids[:10]}; expected ids in [0, "
            f"{num_segments}) (TensorFlow allows no negative ids here).",
            op="unsorted_segment_join")
    rest = inputs.shape[k:]
    rows = _flat(inputs)
    width = int(np.prod(rest)) if rest else 1
    parts = [[[] for _ in range(width)] for _ in range(num_segments)]
    for n, i in enumerate(ids):
        for j in range(width):
            parts[i][j].append(rows[n * width + j])
    sep = separator.encode() if isinstance(separator, str) else separator
    joined = [sep.join(p) for segment in parts for p in segment]
    return _strings_1d(joined).reshape((num_segments,) + tuple(rest))


_JOIN = register(OpDef(
    "unsorted_segment_join", "UnsortedSegmentJoin", ("inputs", "segment_ids"), _join_infer,
    _join_kernel, attrs={"num_segments": 0, "separator": ""}, same_dtype=(), gpu=False,
    doc="Joins the strings that share a segment id, in input order."))


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Joins the strings of each segment (in input order) with `separator`.

    Args:
        inputs: a string tensor.
        segment_ids: integer ids in `[0, num_segments)`, shape `inputs.shape[:k]`.
        num_segments: the number of output rows.
        separator: the string put between joined strings.

    Returns:
        A string tensor `[num_segments] + inputs.shape[k:]`; empty segments hold "".

    Raises:
        InvalidArgumentError: for an id outside `[0, num_segments)`.

    Example:
        >>> engine.strings.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 2, ":").numpy()
        array([b'b', b'a:c'], dtype=object)
    """
    attrs = {"num_segments": static_int(num_segments, "unsorted_segment_join num_segments"),
             "separator": separator}
    return _run(_JOIN, [convert_to_tensor(inputs), convert_to_tensor(segment_ids)], attrs)
