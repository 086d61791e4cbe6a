"""More `engine.io` byte ops: `matching_files`, `encode_base64`, `decode_base64`, `decode_raw`.

They run on the host over string tensors (Python bytes) and, inside `engine.function`,
become `py_function` nodes, like `read_file`. Base64 uses TensorFlow's web-safe alphabet
(`-` and `_` instead of `+` and `/`); `decode_base64` accepts text with or without `=`.
"""

from __future__ import annotations

import base64
import binascii
import glob as _glob
import re

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError
from engine.ops.io_ops import _in_graph, _py_function, path_of

__all__ = ["matching_files", "encode_base64", "decode_base64", "decode_raw"]

_RAW_DTYPES = (_dt.float16, _dt.bfloat16, _dt.float32, _dt.float64, _dt.int8, _dt.int16,
               _dt.int32, _dt.int64, _dt.uint8, _dt.uint16, _dt.uint32, _dt.uint64,
               _dt.complex64, _dt.complex128, _dt.bool)


def _strings(op: str, value) -> np.ndarray:
    """The bytes a string tensor (or strings) holds, as an object array."""
    x = convert_to_tensor(value, dtype=_dt.string) if not hasattr(value, "dtype") else value
    if getattr(x, "dtype", None) is not _dt.string:
        raise DTypeError(f"{op}: got a tensor of dtype {x.dtype.name}; expected engine.string.")
    return np.asarray(x.numpy(), dtype=object)


def _string_tensor(values: list, shape) -> object:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return convert_to_tensor(array.reshape(shape), dtype=_dt.string)


def _host(op: str, eager, inputs: list, tout):
    """Runs `eager(*inputs)` now, or as a py_function node inside `engine.function`."""
    if _in_graph():
        return _py_function(eager, inputs, tout)
    return eager(*inputs)


def matching_files(pattern, name=None):
    """The sorted files matching a glob pattern (or a list of patterns), as a 1-D string tensor.

    `*` matches any characters but `/` (names starting with `.` included), `?` one
    character and `[...]` a set, as in TensorFlow; `**` is not recursive.

    Args:
        pattern: a pattern, or a list / 1-D string tensor of them.
        name: ignored.

    Returns:
        A 1-D `engine.string` tensor of the paths (empty if none match).

    Example:
        >>> engine.io.matching_files("/no/such/dir/*.txt").numpy()
        array([], dtype=object)
    """
    def run(p):
        patterns = _strings("matching_files", p).reshape(-1)
        found = {m for pat in patterns
                 for m in _glob.glob(path_of("matching_files", pat), include_hidden=True)}
        return _string_tensor([m.encode() for m in sorted(found)], [-1])

    return _host("matching_files", run, [pattern], _dt.string)


def encode_base64(input, pad=False, name=None):  # noqa: A002 - TensorFlow's name
    """Encodes each string in web-safe base64 (`-` and `_`), without `=` unless `pad`.

    Args:
        input: a string tensor.
        pad: whether to end each encoding with `=` padding.
        name: ignored.

    Returns:
        A string tensor of the input's shape.

    Example:
        >>> engine.io.encode_base64(engine.constant([b"\\xfb\\xff", b"hi"])).numpy()
        array([b'-_8', b'aGk'], dtype=object)
    """
    def run(x):
        values = _strings("encode_base64", x)
        out = [base64.urlsafe_b64encode(bytes(v)) for v in values.reshape(-1)]
        out = out if pad else [v.rstrip(b"=") for v in out]
        return _string_tensor(out, values.shape)

    return _host("encode_base64", run, [input], _dt.string)


_WEB_SAFE = re.compile(rb"[A-Za-z0-9_-]*")


def _decode_one(text: bytes) -> bytes:
    body = text.rstrip(b"=")
    if len(body) % 4 == 1 or not _WEB_SAFE.fullmatch(body) or text != body and len(text) % 4:
        raise ValueError(text)
    return base64.b64decode(body + b"=" * (-len(body) % 4), altchars=b"-_", validate=True)


def decode_base64(input, name=None):  # noqa: A002 - TensorFlow's name
    """Decodes web-safe base64 strings (`-` and `_`; `=` padding optional).

    Args:
        input: a string tensor.
        name: ignored.

    Returns:
        A string tensor of the input's shape.

    Raises:
        InvalidArgumentError: for text that is not web-safe base64 (say, with `+` or `/`).

    Example:
        >>> engine.io.decode_base64(engine.constant(["-_8", "aGk="])).numpy()
        array([b'\\xfb\\xff', b'hi'], dtype=object)
    """
    def run(x):
        values = _strings("decode_base64", x)
        out = []
        for i, v in enumerate(values.reshape(-1)):
            try:
                out.append(_decode_one(bytes(v)))
            except (ValueError, binascii.Error):
                raise InvalidArgumentError(
                    f"decode_base64: got {bytes(v)[:40]!r} at flat index {i}; expected web-safe "
                    "base64 (A-Z a-z 0-9 - _, optional = padding). Text using + and / needs "
                    "engine.strings.regex_replace to - and _ first.", op="DecodeBase64") from None
        return _string_tensor(out, values.shape)

    return _host("decode_base64", run, [input], _dt.string)


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """Reinterprets the bytes of each string as a vector of `out_type` numbers.

    Args:
        input_bytes: a string tensor; every string must have the same length, a multiple
            of the item size (unless `fixed_length` is given).
        out_type: the numeric dtype to read (e.g. engine.uint8, engine.float32).
        little_endian: the byte order of the data.
        fixed_length: if given, each string is cut or zero-padded to this many bytes first.
        name: ignored.

    Returns:
        A tensor of shape `input.shape + [length // itemsize]` and dtype `out_type`.

    Raises:
        InvalidArgumentError: strings of different lengths, or a length not a multiple of
            the item size.

    Example:
        >>> engine.io.decode_raw(engine.constant([b"\\x01\\x02\\x03\\x04"]), engine.int16).numpy()
        array([[ 513, 1027]], dtype=int16)
    """
    dtype = _dt.as_dtype(out_type)
    if dtype not in _RAW_DTYPES:
        raise DTypeError(f"decode_raw: got out_type={dtype.name}; expected a numeric dtype "
                         f"({', '.join(d.name for d in _RAW_DTYPES)}).")
    if fixed_length is not None and int(fixed_length) < 0:
        raise InvalidArgumentError(f"decode_raw: got fixed_length={fixed_length}; expected >= 0.")

    def run(x):
        values = _strings("decode_raw", x)
        flat = [bytes(v) for v in values.reshape(-1)]
        if fixed_length is not None:
            flat = [v[:int(fixed_length)].ljust(int(fixed_length), b"\0") for v in flat]
        np_type = np.dtype(dtype.as_numpy_dtype)
        size = np_type.itemsize
        lengths = {len(v) for v in flat}
        if len(lengths) > 1 or any(n % size for n in lengths):
            raise InvalidArgumentError(
                f"decode_raw: got strings of lengths {sorted(lengths)[:5]}; expected one length, "
                f"a multiple of {size} ({dtype.name}). Pass fixed_length to cut or pad them.",
                op="DecodeRaw")
        count = lengths.pop() // size if lengths else 0
        order = "<" if little_endian else ">"
        wire = np_type.newbyteorder(order) if size > 1 else np_type
        data = np.frombuffer(b"".join(flat), dtype=wire).astype(np_type)
        return convert_to_tensor(data.reshape(values.shape + (count,)), dtype=dtype)

    return _host("decode_raw", run, [input_bytes], dtype)
