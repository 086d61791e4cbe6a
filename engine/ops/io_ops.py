"""The file and byte ops of `engine.io`.

`read_file`, `write_file`, `serialize_tensor`, `parse_tensor` and `decode_csv`.
They run on the host (string tensors hold Python bytes). Inside `engine.function` each is
a `py_function` node, so files are read and written each time the graph runs, not while it
is traced. `write_file` is atomic: it writes a temporary file in the target's directory and
renames it over the target, so readers see the old contents or the new, never half.

`serialize_tensor` writes this engine's own self-describing format, NOT TensorFlow's
`TensorProto`: the magic `b"EGLT"`, a format byte (1), a little-endian uint32 header length,
a UTF-8 JSON header `{"dtype": ..., "shape": [...]}`, then the values in C order
(little-endian raw bytes; for strings, each as a uint64 length then its bytes).
"""

from __future__ import annotations

import csv
import json
import os
import struct
import tempfile

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError, NotFoundError
from engine.tensor import Tensor

__all__ = ["read_file", "write_file", "serialize_tensor", "parse_tensor", "decode_csv"]

_MAGIC = b"EGLT\x01"
_CSV_DTYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.int64, _dt.string)


def _in_graph() -> bool:
    from engine import context  # noqa: PLC0415

    return context.THREAD.graph is not None


def _py_function(func, inp, tout):
    from engine.graph.runtime_ops import py_function  # noqa: PLC0415 - graph sits above ops

    return py_function(func, inp, tout)


def path_of(op: str, filename) -> str:
    """A file name (str, bytes, os.PathLike or a scalar string tensor) as a str."""
    if isinstance(filename, Tensor) or hasattr(filename, "numpy"):
        filename = filename.numpy()
        if isinstance(filename, np.ndarray):
            raise InvalidArgumentError(f"{op}: got a filename tensor of shape {filename.shape}; "
                                       "expected a scalar string.")
    if isinstance(filename, (str, bytes, os.PathLike)):
        return os.fsdecode(filename)
    raise InvalidArgumentError(f"{op}: got filename {filename!r}; expected a str, bytes, path "
                               "or scalar string tensor.")


def atomic_write(path: str, data, what: str = "write_file") -> None:
    """Writes `data` (bytes, or an iterable of bytes chunks) to `path` through a temporary
    file in the same directory and `os.replace`, so `path` is never left half-written.
    `what` names the caller in the error for a missing directory."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise NotFoundError(f"{what}: the directory {directory!r} of {path!r} does not "
                            "exist; create it first (engine.io.gfile.makedirs).")
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in ([data] if isinstance(data, (bytes, bytearray, memoryview)) else data):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _scalar_string(data: bytes):
    """A scalar string tensor holding `data` exactly (NumPy's bytes_ drops trailing NULs)."""
    array = np.empty((), dtype=object)
    array[()] = data
    return convert_to_tensor(array, dtype=_dt.string)


def _read_bytes(op: str, path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise NotFoundError(f"{op}: {path!r} does not exist.") from None
    except IsADirectoryError:
        raise InvalidArgumentError(f"{op}: {path!r} is a directory; expected a file.") from None


def _bytes_of(op: str, value) -> bytes:
    if isinstance(value, Tensor) or hasattr(value, "numpy"):
        value = value.numpy()
        if isinstance(value, np.ndarray):  # not a scalar (np.asarray would drop final NULs)
            raise InvalidArgumentError(f"{op}: got contents of shape {value.shape}; expected a "
                                       "scalar string.")
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):  # np.bytes_ too
        return bytes(value)
    raise InvalidArgumentError(f"{op}: got contents of type {type(value).__name__}; expected "
                               "bytes, str or a scalar string tensor.")


def read_file(filename, name=None):
    """Reads a whole file into a scalar string tensor of its bytes.

    Inside `engine.function` the file is read each time the graph runs.

    Args:
        filename: the path (str, or a scalar string tensor).
        name: ignored.

    Returns:
        A scalar `engine.string` tensor.

    Raises:
        NotFoundError: if the file does not exist.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "hello.txt")
        >>> engine.io.write_file(path, "hello")
        >>> engine.io.read_file(path).numpy()
        b'hello'
    """
    if _in_graph():
        out = _py_function(lambda f: bytes(_read_bytes("read_file", path_of("read_file", f))),
                           [filename], _dt.string)
        from engine.ops.array_ops import reshape  # noqa: PLC0415

        return reshape(out, [])
    path = path_of("read_file", filename)
    return _scalar_string(_read_bytes("read_file", path))


def write_file(filename, contents, name=None):
    """Writes `contents` to a file atomically (a temporary file, then a rename).

    Inside `engine.function` the file is written each time the graph runs.

    Args:
        filename: the path (str, or a scalar string tensor); missing parent directories
            are created, as in TensorFlow.
        contents: bytes, str (written as UTF-8) or a scalar string tensor.
        name: ignored.

    Returns:
        None.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "out.bin")
        >>> engine.io.write_file(path, engine.constant(b"\\x00\\x01"))
        >>> open(path, "rb").read()
        b'\\x00\\x01'
    """
    def write(f, data):
        path = path_of("write_file", f)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)  # as TensorFlow
        atomic_write(path, _bytes_of("write_file", data))

    if _in_graph():
        _py_function(write, [filename, contents], [])
        return None
    write(filename, contents)
    return None


# --- serialize_tensor / parse_tensor --------------------------------------------------------
def _serialize(array: np.ndarray, dtype) -> bytes:
    header = json.dumps({"dtype": dtype.name, "shape": list(array.shape)}).encode("utf-8")
    if dtype is _dt.string:
        body = b"".join(struct.pack("<Q", len(bytes(v))) + bytes(v) for v in array.reshape(-1))
    else:
        body = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")
                                                  if array.dtype.byteorder == ">" else
                                                  array.dtype).tobytes()
    return _MAGIC + struct.pack("<I", len(header)) + header + body


def _parse(data: bytes, out_type) -> np.ndarray:
    bad = "parse_tensor: the input is not a tensor written by engine.io.serialize_tensor"
    if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + 4:
        raise InvalidArgumentError(f"{bad} (it lacks the b'EGLT\\x01' header; TensorFlow's "
                                   "TensorProto bytes are not read).")
    start = len(_MAGIC) + 4
    (length,) = struct.unpack_from("<I", data, len(_MAGIC))
    try:
        header = json.loads(data[start:start + length].decode("utf-8"))
        dtype, shape = _dt.as_dtype(header["dtype"]), tuple(int(d) for d in header["shape"])
    except (ValueError, KeyError, TypeError):
        raise InvalidArgumentError(f"{bad} (its header is damaged).") from None
    if dtype is not out_type:
        raise DTypeError(f"parse_tensor: the serialized tensor has dtype {dtype.name}; "
                         f"out_type is {out_type.name}. Pass out_type=engine.{dtype.name}.")
    body, count = data[start + length:], int(np.prod(shape, dtype=np.int64))
    if dtype is _dt.string:
        items, pos = [], 0
        for _ in range(count):
            if pos + 8 > len(body):
                raise InvalidArgumentError(f"{bad} (it is truncated).")
            (n,) = struct.unpack_from("<Q", body, pos)
            if pos + 8 + n > len(body):
                raise InvalidArgumentError(f"{bad} (it is truncated).")
            items.append(bytes(body[pos + 8:pos + 8 + n]))
            pos += 8 + n
        if pos != len(body):
            raise InvalidArgumentError(f"{bad} (its length does not match its shape).")
        array = np.empty(count, dtype=object)
        array[:] = items
        return array.reshape(shape)
    if len(body) != count * dtype.size:
        raise InvalidArgumentError(f"{bad} ({len(body)} value bytes; shape {list(shape)} of "
                                   f"{dtype.name} needs {count * dtype.size}).")
    return np.frombuffer(body, dtype=dtype._np).reshape(shape).copy()


def serialize_tensor(tensor, name=None):
    """Serializes a tensor to a scalar string holding its dtype, shape and values.

    This engine's format, not TensorFlow's protobuf; see the module docstring.

    Args:
        tensor: a tensor of any dtype.
        name: ignored.

    Returns:
        A scalar `engine.string` tensor; `parse_tensor` reads it back.

    Example:
        >>> s = engine.io.serialize_tensor(engine.constant([[1, 2]]))
        >>> engine.io.parse_tensor(s, engine.int32).numpy()
        array([[1, 2]], dtype=int32)
    """
    def run(t):
        return bytes(_serialize(np.asarray(t.numpy()), t.dtype))

    if _in_graph():
        from engine.ops.array_ops import reshape  # noqa: PLC0415

        return reshape(_py_function(run, [tensor], _dt.string), [])
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    return _scalar_string(run(tensor))


def parse_tensor(serialized, out_type, name=None):
    """Reads a tensor written by `serialize_tensor`.

    Args:
        serialized: a scalar string tensor (or bytes).
        out_type: the dtype the serialized tensor must have.
        name: ignored.

    Returns:
        The tensor, with its dtype and shape.

    Raises:
        InvalidArgumentError: for bytes not in this format; DTypeError if the dtype differs
            from `out_type`.

    Example:
        >>> s = engine.io.serialize_tensor(engine.constant([b"a", b"bc"]))
        >>> engine.io.parse_tensor(s, engine.string).numpy()
        array([b'a', b'bc'], dtype=object)
    """
    out_type = _dt.as_dtype(out_type)

    def run(s):
        return _parse(_bytes_of("parse_tensor", s), out_type)

    if _in_graph():
        return _py_function(run, [serialized], out_type)
    array = run(serialized)
    return convert_to_tensor(array, dtype=out_type)


# --- decode_csv ------------------------------------------------------------------------------
def _column_defaults(record_defaults) -> list:
    """[(dtype, default value or None when required)] for each column."""
    if not isinstance(record_defaults, (list, tuple)) or not record_defaults:
        raise InvalidArgumentError(f"decode_csv: got record_defaults={record_defaults!r}; "
                                   "expected a non-empty list with one default per column.")
    out = []
    for i, default in enumerate(record_defaults):
        if isinstance(default, _dt.DType):
            out.append((default, None))
            continue
        t = default if isinstance(default, Tensor) else convert_to_tensor(default)
        if t.dtype not in _CSV_DTYPES:
            raise DTypeError(f"decode_csv: record_defaults[{i}] has dtype {t.dtype.name}; "
                             "expected float32, float64, int32, int64 or string.")
        value = np.asarray(t.numpy()).reshape(-1)
        if value.size > 1:
            raise InvalidArgumentError(f"decode_csv: record_defaults[{i}] has {value.size} "
                                       "values; expected one (a default) or none (required).")
        out.append((t.dtype, value[0] if value.size else None))
    return out


def _convert_field(text: str, dtype, column: int, record: bytes):
    try:
        if dtype is _dt.string:
            return text.encode("utf-8")
        if dtype.is_integer:
            value = int(text)
            if not dtype.min <= value <= dtype.max:
                raise ValueError
            return value
        return float(text)
    except ValueError:
        raise InvalidArgumentError(f"decode_csv: field {column} of record {record!r} is "
                                   f"{text!r}; expected a {dtype.name} value.") from None


def _decode(records: np.ndarray, columns: list, delim: str, quotes: bool, na_value: str,
            select_cols) -> list:
    flat = records.reshape(-1)
    out = [np.empty(flat.size, dtype=object if d is _dt.string else d._np) for d, _ in columns]
    for r, record in enumerate(flat):
        text = bytes(record).decode("utf-8")
        reader = csv.reader([text], delimiter=delim, quotechar='"', strict=True,
                            quoting=csv.QUOTE_MINIMAL if quotes else csv.QUOTE_NONE)
        try:
            fields = next(reader, [""])
        except csv.Error as exc:
            raise InvalidArgumentError(f"decode_csv: record {r} ({record!r}) is not valid CSV: "
                                       f"{exc}.") from None
        if select_cols is not None:
            if len(fields) <= select_cols[-1]:
                raise InvalidArgumentError(f"decode_csv: record {r} ({record!r}) has "
                                           f"{len(fields)} fields; select_cols needs column "
                                           f"{select_cols[-1]}.")
            fields = [fields[c] for c in select_cols]
        if len(fields) != len(columns):
            raise InvalidArgumentError(f"decode_csv: record {r} ({record!r}) has {len(fields)} "
                                       f"fields; expected {len(columns)} (one per "
                                       "record_defaults entry).")
        for c, (field, (dtype, default)) in enumerate(zip(fields, columns)):
            if field == "" or field == na_value:
                if default is None:
                    raise InvalidArgumentError(f"decode_csv: field {c} is required but missing "
                                               f"in record {r} ({record!r}).")
                out[c][r] = default
            else:
                out[c][r] = _convert_field(field, dtype, c, record)
    return [o.reshape(records.shape) for o in out]


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, na_value="",
               select_cols=None, name=None):
    """Parses CSV lines into one tensor per column.

    Args:
        records: a string tensor of lines (any shape).
        record_defaults: one entry per column: a one-value list/tensor (the default, whose
            dtype the column takes: float32, float64, int32, int64 or string), or an empty
            list/tensor or a dtype for a required column.
        field_delim: the one-character field separator.
        use_quote_delim: whether double quotes delimit fields (`""` inside is a quote).
        na_value: a field text that also counts as missing.
        select_cols: sorted column indices to keep (then one default per kept column).
        name: ignored.

    Returns:
        A list of tensors of `records`' shape, one per column.

    Raises:
        InvalidArgumentError: for a missing required field, a wrong field count or a field
            that does not parse.

    Example:
        >>> a, b = engine.io.decode_csv(engine.constant(["1,x", ",y"]), [[0], [""]])
        >>> a.numpy(), b.numpy()
        (array([1, 0], dtype=int32), array([b'x', b'y'], dtype=object))
    """
    if not isinstance(field_delim, str) or len(field_delim) != 1:
        raise InvalidArgumentError(f"decode_csv: got field_delim={field_delim!r}; expected one "
                                   "character.")
    if select_cols is not None:
        select_cols = [int(c) for c in select_cols]
        if select_cols != sorted(set(select_cols)) or select_cols[0] < 0:
            raise InvalidArgumentError(f"decode_csv: got select_cols={select_cols}; expected "
                                       "increasing non-negative column indices.")
    columns = _column_defaults(record_defaults)
    dtypes = [d for d, _ in columns]

    def run(lines):
        array = np.asarray(lines.numpy() if hasattr(lines, "numpy") else lines, dtype=object)
        return _decode(array, columns, field_delim, use_quote_delim, na_value, select_cols)

    if _in_graph():
        return _py_function(run, [records], dtypes)
    records = records if isinstance(records, Tensor) else convert_to_tensor(records)
    if records.dtype is not _dt.string:
        raise DTypeError(f"decode_csv: got records of dtype {records.dtype.name}; expected "
                         "engine.string.")
    return [convert_to_tensor(a, dtype=d) for a, d in zip(run(records), dtypes)]
