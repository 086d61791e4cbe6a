"""String conversion ops (TensorFlow's `tf.strings`): numbers to and from text, and hashes.

`to_number` parses strings as numbers, `as_string` prints numbers printf-style, `format`
prints whole tensors into a template as TensorFlow prints them, and `to_hash_bucket_fast`
hashes strings to buckets with FarmHash (`engine.ops.fingerprint`). Like the other string
ops (see `engine.ops.string_ops`), each is one CPU-only registry entry.
"""

from __future__ import annotations

import math
import re

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError
from engine.ops.fingerprint import fingerprint64
from engine.ops.string_ops import (
    _STRING,
    _check_strings,
    _encode,
    _flat,
    _map,
    _normalized,
    _run,
    _text,
    _unary_infer,
)
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["to_number", "to_hash_bucket_fast", "as_string", "format"]


# --- numbers and hashes ----------------------------------------------------------------------
_NUMBER_TYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.int64)
_INTEGER_TEXT = re.compile(rb"[ \t\n\v\f\r]*[+-]?[0-9]+[ \t\n\v\f\r]*")
# strtod's spellings that Python's float() lacks: hex floats ("0x1.8p3") and "nan(chars)"
_HEX_FLOAT = re.compile(rb"\s*[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
                        rb"([pP][+-]?[0-9]+)?\s*")
_NAN_CHARS = re.compile(rb"\s*[+-]?nan\([0-9A-Za-z_]*\)\s*", re.IGNORECASE)


def _number_type(out_type) -> _dt.DType:
    dtype = _dt.as_dtype(out_type)
    if dtype not in _NUMBER_TYPES:
        raise DTypeError(f"to_number: got out_type={dtype.name}; expected float32, float64, "
                         "int32 or int64.")
    return dtype


def _hex_float(s: bytes) -> float:
    try:
        return float.fromhex(s.decode("ascii"))
    except OverflowError:  # strtod gives +-inf
        return -math.inf if s.strip().startswith(b"-") else math.inf


def _number(s: bytes, dtype: _dt.DType, index: int, shape):
    """The number `s` spells (whitespace around it allowed, as in TensorFlow)."""
    problem = "expected a number such as b'-1.5e3'"
    if dtype.is_integer:
        problem = "expected an integer such as b'-42'"
        if _INTEGER_TEXT.fullmatch(s):
            info = np.iinfo(dtype.as_numpy_dtype)
            if info.min <= int(s) <= info.max:
                return int(s)
            problem = f"the value is out of the range of {dtype.name}"
    elif b"_" not in s:  # Python's float() accepts 1_000; TensorFlow does not
        try:
            return float(s)
        except ValueError:
            if _HEX_FLOAT.fullmatch(s):
                return _hex_float(s)
            if _NAN_CHARS.fullmatch(s):
                return math.nan
    where = tuple(int(k) for k in np.unravel_index(index, shape))
    raise InvalidArgumentError(f"to_number: cannot convert the string {s!r} at index {where} "
                               f"to {dtype.name}: {problem}. Clean the text first (e.g. "
                               "engine.strings.strip or regex_replace).", op="StringToNumber")


def _to_number_infer(x, out_type=_dt.float32):
    _check_strings("to_number", x, "string_tensor")
    return TensorSpec(x.shape, _number_type(out_type))


def _to_number_kernel(xp, x, out_type=_dt.float32):
    dtype = _number_type(out_type)
    values = [_number(s, dtype, i, x.shape) for i, s in enumerate(_flat(x))]
    with np.errstate(over="ignore"):  # float32 overflows to inf, as strtof does
        return np.array(values, dtype=dtype.as_numpy_dtype).reshape(x.shape)


_TO_NUMBER = register(OpDef("to_number", "StringToNumber", ("string_tensor",),
                            _to_number_infer, _to_number_kernel,
                            attrs={"out_type": _dt.float32}, gpu=False,
                            doc="Parses each string as a number of out_type."))


def to_number(string_tensor, out_type=_dt.float32, name=None):
    """Parses each string as a number (decimal text; whitespace around it is allowed).

    Args:
        string_tensor: a string tensor (or strings).
        out_type: float32, float64, int32 or int64.

    Returns:
        A tensor of `out_type` and the input's shape.

    Raises:
        InvalidArgumentError: naming the first string that is not a number.

    Example:
        >>> engine.strings.to_number(["1.5", " -2e3", "inf"]).numpy()
        array([ 1.5e+00, -2.0e+03,      inf], dtype=float32)
        >>> engine.strings.to_number(["7", "-42"], out_type=engine.int64).numpy()
        array([  7, -42])
    """
    attrs = {"out_type": _number_type(out_type)}
    return _run(_TO_NUMBER, [convert_to_tensor(string_tensor)], attrs)


def _check_buckets(op: str, num_buckets=1) -> None:
    if isinstance(num_buckets, bool) or not isinstance(num_buckets, int) or num_buckets < 1:
        raise InvalidArgumentError(f"{op}: got num_buckets={num_buckets!r}; expected an int "
                                   ">= 1.", op=op)


def _hash_kernel(xp, x, num_buckets=1):
    # FarmHash Fingerprint64, shared with the Keras Hashing layer.
    return (fingerprint64(x) % np.uint64(num_buckets)).astype(np.int64)


_TO_HASH_BUCKET_FAST = register(OpDef(
    "to_hash_bucket_fast", "StringToHashBucketFast", ("input",),
    _unary_infer("to_hash_bucket_fast", _dt.int64, _check_buckets), _hash_kernel,
    attrs={"num_buckets": 1}, gpu=False,
    doc="FarmHash Fingerprint64 of each string modulo num_buckets."))


def to_hash_bucket_fast(input, num_buckets, name=None):
    """Hashes each string to a bucket in [0, num_buckets), as TensorFlow does.

    The hash is FarmHash `Fingerprint64` (also used by `engine.keras.layers.Hashing`), so
    the buckets equal TensorFlow's and do not change between runs.

    Args:
        input: a string tensor (or strings).
        num_buckets: the number of buckets (an int >= 1).

    Returns:
        An int64 tensor of the input's shape.

    Example:
        >>> engine.strings.to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3).numpy()
        array([0, 2, 2])
    """
    buckets = num_buckets if isinstance(num_buckets, int) else int(np.asarray(num_buckets))
    return _run(_TO_HASH_BUCKET_FAST, [convert_to_tensor(input)], {"num_buckets": buckets})


# --- numbers to text -------------------------------------------------------------------------
_FILLS = ("", " ", "0", "-", "+", "#")  # printf flags: TensorFlow puts `fill` before `width`


def _as_string_format(dtype, precision=-1, scientific=False, shortest=False, width=-1,
                      fill="") -> str | None:
    """The printf format TensorFlow uses for `dtype` (None for bools and strings)."""
    inexact = dtype.is_floating or dtype.is_complex
    if not inexact and (scientific or shortest or precision > -1):
        raise InvalidArgumentError(f"as_string: precision, scientific and shortest apply to "
                                   f"floating-point and complex inputs; got {dtype.name}.",
                                   op="as_string")
    if scientific and shortest:
        raise InvalidArgumentError("as_string: got scientific=True and shortest=True; choose "
                                   "one notation.", op="as_string")
    if fill not in _FILLS:
        raise InvalidArgumentError(f"as_string: got fill={fill!r}; expected '' or ' ' (pad "
                                   "with spaces), '0' (zeros), or a printf flag '-', '+', '#'.",
                                   op="as_string")
    if dtype is _dt.bool or dtype is _STRING:
        return None
    if not (inexact or dtype.is_integer):
        raise DTypeError(f"as_string: got input of dtype {dtype.name}; expected numbers, "
                         "bools or strings.")
    spec = "%" + (f"{fill}{width}" if width > -1 else "")
    spec += f".{precision}" if precision > -1 else ""
    spec += ("g" if shortest else "e" if scientific else "f") if inexact else "d"
    return f"({spec},{spec})" if dtype.is_complex else spec


def _as_string_infer(x, **attrs):
    _as_string_format(x.dtype, **attrs)
    return TensorSpec(x.shape, _STRING)


def _as_string_kernel(xp, x, **attrs):
    dtype = _dt.from_numpy(x.dtype)
    if dtype is _STRING:
        return _normalized(x)
    if dtype is _dt.bool:
        return np.where(x, b"true", b"false").astype(object)
    spec = _as_string_format(dtype, **attrs)
    if dtype.is_floating and x.dtype.itemsize < 4:  # float16 and bfloat16 print as float
        x = x.astype(np.float32)
    if dtype.is_complex:
        return _map(lambda v: (spec % (v.real, v.imag)).encode(), x)
    return _map(lambda v: (spec % v).encode(), x)


_AS_STRING = register(OpDef(
    "as_string", "AsString", ("input",), _as_string_infer, _as_string_kernel,
    attrs={"precision": -1, "scientific": False, "shortest": False, "width": -1, "fill": ""},
    gpu=False, doc="Formats each number as a string (printf-style)."))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",
              name=None):
    """Converts each number (or bool) to a string, printf-style as in TensorFlow.

    Floats print with `%f` (six decimals) unless `precision`, `scientific` (`%e`) or
    `shortest` (`%g`) says otherwise; integers with `%d`; bools as "true"/"false";
    complex numbers as "(re,im)". String inputs are returned unchanged.

    Args:
        input: a numeric, bool or string tensor.
        precision: digits after the decimal point (floats; -1: printf's default).
        scientific: use scientific notation (floats).
        shortest: use the shorter of fixed and scientific notation (floats).
        width: pad each string to this width (-1: no padding).
        fill: what to pad with: '' or ' ' (spaces, on the left), '0' (zeros); or the printf
            flag '-' (spaces on the right), '+' or '#'.

    Returns:
        A string tensor of the input's shape.

    Example:
        >>> engine.strings.as_string([3.1415926, 2.71828], precision=2).numpy()
        array([b'3.14', b'2.72'], dtype=object)
        >>> engine.strings.as_string([7, -42], width=4, fill="0").numpy()
        array([b'0007', b'-042'], dtype=object)
    """
    attrs = {"precision": int(precision), "scientific": bool(scientific),
             "shortest": bool(shortest), "width": int(width),
             "fill": _text("as_string", "fill", fill)}
    return _run(_AS_STRING, [convert_to_tensor(input)], attrs)


_ESCAPES = {ord("\n"): b"\\n", ord("\r"): b"\\r", ord("\t"): b"\\t", ord('"'): b'\\"',
            ord("'"): b"\\'", ord("\\"): b"\\\\"}


def _quoted(s: bytes) -> bytes:
    """`s` C-escaped between double quotes; UTF-8 bytes stay as they are (TensorFlow's
    `Utf8SafeCEscape`)."""
    out = bytearray(b'"')
    for c in s:
        escape = _ESCAPES.get(c)
        if escape is not None:
            out += escape
        elif c < 0x20 or c == 0x7F:
            out += b"\\%03o" % c
        else:
            out.append(c)
    return bytes(out + b'"')


def _shortest(v, parse, digits: tuple) -> bytes:
    """The `%g` text of `v` with the fewer digits that read back as `v`."""
    text = f"{v:.{digits[0]}g}"
    if parse(text) != v:
        text = f"{v:.{digits[1]}g}"
    return text.encode()


def _element_text(dtype: np.dtype):
    """How TensorFlow's summaries print one element of `dtype`."""
    if dtype.kind == "O":
        return _quoted
    if dtype.kind == "b":
        return lambda v: b"1" if v else b"0"
    if dtype == np.float32:
        return lambda v: _shortest(v, np.float32, (6, 9))
    if dtype == np.float64:
        return lambda v: _shortest(v, float, (15, 17))
    return lambda v: str(int(v)).encode()


def _summary(x: np.ndarray, summarize: int) -> bytes:
    """TensorFlow's summary of `x` (`[[1 2 ... 8 9] ...]`), `summarize` items at each end."""
    if x.dtype.kind == "f" and x.dtype.itemsize < 4 or x.dtype.kind == "V":
        x = x.astype(np.float32)
    x = _normalized(x)
    edge = x.size if summarize < 0 else min(summarize, x.size)
    text = _element_text(x.dtype)
    if x.ndim == 0:
        return (text(x[()]) if edge else b"") + (b"..." if x.size > edge else b"")
    return _nested(x, edge, x.ndim, text)


def _nested(x: np.ndarray, edge: int, rank: int, text) -> bytes:
    n = x.shape[0]
    sep = b" " if x.ndim == 1 else b"\n" * (x.ndim - 1) + b" " * (rank - x.ndim + 1)

    def item(i):
        return text(x[i]) if x.ndim == 1 else _nested(x[i], edge, rank, text)

    parts = [b"["]
    for i in range(min(edge, n)):
        parts += [sep, item(i)] if i else [item(i)]
    if n > 2 * edge:
        parts += [sep, b"..."]
    for i in range(max(edge, n - edge), n):
        parts += [sep, item(i)]
    return b"".join(parts + [b"]"])


def _format_infer(*inputs, template="{}", placeholder="{}", summarize=3):
    if not placeholder:
        raise InvalidArgumentError("format: got placeholder=''; expected a non-empty string.",
                                   op="format")
    count = template.count(placeholder)
    if count != len(inputs):
        raise ValueError(f"format: the template {template!r} has {count} placeholder(s) "
                         f"{placeholder!r} but {len(inputs)} input(s) were given; give one "
                         "tensor per placeholder.")
    for i, s in enumerate(inputs):
        if s.dtype.is_complex:
            raise DTypeError(f"format: got inputs[{i}] of dtype {s.dtype.name}; complex "
                             "tensors are not supported (TensorFlow prints them as '?'). "
                             "Format engine.math.real(x) and engine.math.imag(x) instead.")
    return TensorSpec([], _STRING)


def _format_kernel(xp, *inputs, template="{}", placeholder="{}", summarize=3):
    pieces = _encode(template).split(_encode(placeholder))
    out = [pieces[0]]
    for x, piece in zip(inputs, pieces[1:]):
        out += [_summary(x, summarize), piece]
    result = np.empty((), dtype=object)
    result[()] = b"".join(out)
    return result


_FORMAT = register(OpDef(
    "format", "StringFormat", ("*inputs",), _format_infer, _format_kernel,
    attrs={"template": "{}", "placeholder": "{}", "summarize": 3}, same_dtype=(), gpu=False,
    doc="Formats tensors into a template (as TensorFlow prints them)."))


def format(template, inputs, placeholder="{}", summarize=3, name=None):  # noqa: A001
    r"""Formats tensors into a template string, each printed as TensorFlow prints tensors.

    Each placeholder is replaced by the next tensor's summary: `[[1 2 ... 8 9] ...]`, with
    `summarize` entries at each end of every dimension; strings are quoted.

    Args:
        template: the string with placeholders.
        inputs: a tensor, or a list of tensors (one per placeholder).
        placeholder: the placeholder string.
        summarize: entries shown at each end of each dimension (-1: all).

    Returns:
        A scalar string tensor.

    Raises:
        ValueError: when the placeholders and the inputs differ in number.

    Example:
        >>> engine.strings.format("tensor: {}, suffix", engine.range(10)).numpy()
        b'tensor: [0 1 2 ... 7 8 9], suffix'
        >>> engine.strings.format("{} and {}", ([[1.5, 2.0]], "hi")).numpy()
        b'[[1.5 2]] and "hi"'
    """
    values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    attrs = {"template": _text("format", "template", template),
             "placeholder": _text("format", "placeholder", placeholder),
             "summarize": int(summarize)}
    return _run(_FORMAT, [convert_to_tensor(v) for v in values], attrs)
