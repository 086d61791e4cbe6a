r"""String ops (TensorFlow's `tf.strings`): elementwise text functions on string tensors.

String tensors hold NumPy object arrays of `bytes` (`engine.string`; `str` is encoded as
UTF-8 on conversion). Each op is one registry entry with a NumPy kernel, so it runs
eagerly, inside `engine.function` and in `engine.data` maps; none is differentiable (tapes
do not record them). As in TensorFlow, string kernels exist for the CPU only
(`gpu=False`): the public functions place their op on /CPU:0 even inside
`engine.device("/GPU:0")` (TensorFlow's soft placement), and numeric results (`length`,
`to_number`, ...) stay there until a GPU op copies them.

This module holds the helpers the string-op modules share, and the ops for case, strip,
length, substr and joining. Regular expressions are in `engine.ops.string_regex_ops`,
conversions (`to_number`, `as_string`, `format`, `to_hash_bucket_fast`) in
`engine.ops.string_convert_ops`, splitting and n-grams in `engine.ops.string_split_ops`.

"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import infer as _inf
from engine.ops.shape_tensors import is_symbolic
from engine.registry import OpDef, register
from engine.scopes import device as _device
from engine.tensor_shape import TensorSpec

__all__ = ["lower", "upper", "strip", "length", "substr", "join", "reduce_join"]

_STRING = _dt.string
_UNITS = ("BYTE", "UTF8_CHAR")


# --- shared helpers --------------------------------------------------------------------------
def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")  # invalid bytes round-trip unchanged


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _text(op: str, what: str, value) -> str:
    """A static string argument (str, bytes or an eager scalar string tensor) as str."""
    if is_symbolic(value):
        raise InvalidArgumentError(f"{op}: {what} must be known when tracing; got a symbolic "
                                   "tensor. Pass a Python string.", op=op)
    if hasattr(value, "numpy"):
        value = np.asarray(value.numpy())
        value = value[()] if value.shape == () else value
    if isinstance(value, bytes):
        return _decode(value)
    if not isinstance(value, str):
        raise DTypeError(f"{op}: got {what}={value!r}; expected a string (str or bytes).")
    return value


def _normalized(x: np.ndarray) -> np.ndarray:
    """`x`, with any `str` elements of an object array encoded as UTF-8 bytes."""
    if x.dtype != object:
        return x
    items = x.reshape(-1).tolist()
    if all(type(v) is bytes for v in items):
        return x
    return _strings_1d([v.encode() if isinstance(v, str) else v for v in items]).reshape(
        x.shape)


def _flat(x: np.ndarray) -> list:
    """The elements of `x` as a flat list of Python values (strings as bytes)."""
    return _normalized(x).reshape(-1).tolist()


def _strings_1d(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _map(fn, x: np.ndarray, dtype=object) -> np.ndarray:
    """`fn` applied to each element of `x` (as Python values); same shape."""
    out = np.empty(x.shape, dtype=dtype)
    out.reshape(-1)[:] = [fn(v) for v in _flat(x)]
    return out


def _check_strings(op: str, spec: TensorSpec, what: str = "input") -> None:
    if spec.dtype is not _STRING:
        raise DTypeError(f"{op}: got {what} of dtype {spec.dtype.name}; expected a string "
                         "tensor. Convert numbers first with engine.strings.as_string.")


def _check_unit(op: str, unit) -> None:
    if unit not in _UNITS:
        raise InvalidArgumentError(f"{op}: got unit={unit!r}; expected 'BYTE' or "
                                   "'UTF8_CHAR'.", op=op)


def _unary_infer(op: str, out_dtype=_STRING, check=None):
    """An `infer` for one string input whose output has its shape."""

    def infer(x, **attrs):
        _check_strings(op, x)
        if check is not None:
            check(op, **attrs)
        return TensorSpec(x.shape, out_dtype)

    return infer


def _run(op: OpDef, inputs: list, attrs: dict):
    """Checks the inputs with the op's `infer` (also eagerly), then runs it on /CPU:0."""
    op.infer(*[TensorSpec(t.shape, t.dtype) for t in inputs], **attrs)
    with _device("/CPU:0"):  # string kernels are CPU-only, as in TensorFlow
        return dispatch(op, tuple(inputs), attrs)


# --- case, whitespace, length ----------------------------------------------------------------
def _check_encoding(op: str, encoding="") -> None:
    if str(encoding).lower() not in ("", "utf-8", "utf8"):
        raise InvalidArgumentError(f"{op}: got encoding={encoding!r}; expected '' (ASCII "
                                   "letters only) or 'utf-8' (all of Unicode).", op=op)


def _case_kernel(method: str):
    def kernel(xp, x, encoding=""):
        if not encoding:
            return _map(getattr(bytes, method), x)  # ASCII letters only, as TensorFlow's ''

        def convert(s):
            return _encode(getattr(_decode(s), method)())

        return _map(convert, x)

    return kernel


_LOWER, _UPPER = (register(OpDef(
    name, tf_name, ("input",), _unary_infer(name, check=_check_encoding), _case_kernel(name),
    attrs={"encoding": ""}, gpu=False, doc=f"Converts each string to {name}case."))
    for name, tf_name in (("lower", "StringLower"), ("upper", "StringUpper")))


def lower(input, encoding="", name=None):
    r"""Converts each string to lowercase.

    Args:
        input: a string tensor (or strings).
        encoding: '' lowers ASCII letters only; 'utf-8' lowers all Unicode letters.

    Returns:
        A string tensor of the input's shape.

    Example:
        >>> engine.strings.lower(["CamelCase", "ÄRGER"], encoding="utf-8").numpy()
        array([b'camelcase', b'\xc3\xa4rger'], dtype=object)
    """
    return _run(_LOWER, [convert_to_tensor(input)], {"encoding": encoding})


def upper(input, encoding="", name=None):
    """Converts each string to uppercase.

    Args:
        input: a string tensor (or strings).
        encoding: '' uppercases ASCII letters only; 'utf-8' all Unicode letters ('ß' -> 'SS').

    Returns:
        A string tensor of the input's shape.

    Example:
        >>> engine.strings.upper(["ab", "straße"], encoding="utf-8").numpy()
        array([b'AB', b'STRASSE'], dtype=object)
    """
    return _run(_UPPER, [convert_to_tensor(input)], {"encoding": encoding})


def _strip_kernel(xp, x):
    return _map(bytes.strip, x)  # ASCII whitespace: space, \t, \n, \v, \f, \r


_STRIP = register(OpDef("strip", "StringStrip", ("input",), _unary_infer("strip"),
                        _strip_kernel, gpu=False,
                        doc="Strips leading and trailing ASCII whitespace."))


def strip(input, name=None):
    """Strips leading and trailing (ASCII) whitespace from each string.

    Args:
        input: a string tensor (or strings).

    Returns:
        A string tensor of the input's shape.

    Example:
        >>> engine.strings.strip(["  hi\\n", "\\tx y "]).numpy()
        array([b'hi', b'x y'], dtype=object)
    """
    return _run(_STRIP, [convert_to_tensor(input)], {})


def _length_kernel(xp, x, unit="BYTE"):
    items = _flat(x)
    lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
    if unit == "UTF8_CHAR" and items:
        # A character starts at every byte that is not a continuation byte (0b10xxxxxx).
        data = np.frombuffer(b"".join(items), dtype=np.uint8)
        trailing = np.concatenate([[0], np.cumsum((data & 0xC0) == 0x80)])
        ends = np.cumsum(lengths)
        lengths = lengths - (trailing[ends] - trailing[ends - lengths])
    return lengths.astype(np.int32).reshape(x.shape)


_LENGTH = register(OpDef("length", "StringLength", ("input",),
                         _unary_infer("length", _dt.int32, _check_unit), _length_kernel,
                         attrs={"unit": "BYTE"}, gpu=False,
                         doc="The length of each string in bytes or UTF-8 characters."))


def length(input, unit="BYTE", name=None):
    """The length of each string, in bytes or in UTF-8 characters.

    Args:
        input: a string tensor (or strings).
        unit: 'BYTE' or 'UTF8_CHAR' (characters of valid UTF-8 text).

    Returns:
        An int32 tensor of the input's shape.

    Example:
        >>> engine.strings.length(["Ärger", "ß", "😀"], unit="UTF8_CHAR").numpy()
        array([5, 1, 1], dtype=int32)
        >>> engine.strings.length(["Ärger", "ß", "😀"]).numpy()
        array([6, 2, 4], dtype=int32)
    """
    return _run(_LENGTH, [convert_to_tensor(input)], {"unit": unit})


# --- substr ----------------------------------------------------------------------------------
def _positions(pos, size) -> tuple:
    """`pos` and `len` as tensors of one dtype: a Python value adopts the other's dtype."""
    python = (int, list, tuple)
    if isinstance(pos, python) and not isinstance(size, python):
        size = convert_to_tensor(size)
        return convert_to_tensor(pos, size.dtype if size.dtype.is_integer else None), size
    pos = convert_to_tensor(pos)
    wanted = pos.dtype if isinstance(size, python) and pos.dtype.is_integer else None
    return pos, convert_to_tensor(size, wanted)


def _substr_infer(x, pos, size, unit="BYTE"):
    _check_strings("substr", x)
    _check_unit("substr", unit)
    for what, s in (("pos", pos), ("len", size)):
        if s.dtype not in (_dt.int32, _dt.int64):
            raise DTypeError(f"substr: got {what} of dtype {s.dtype.name}; expected int32 or "
                             "int64.")
    _inf.same_dtype("substr", pos, size)
    if not pos.shape.is_compatible_with(size.shape):
        raise ShapeError(f"substr: got pos of shape {pos.shape} and len of shape {size.shape}; "
                         "expected the same shape.")
    return TensorSpec(_inf.broadcast_shapes("substr", x.shape, pos.shape, size.shape), _STRING)


def _char_starts(s: bytes) -> list:
    """The byte offset of each UTF-8 character of `s`, then `len(s)`."""
    return [i for i, c in enumerate(s) if c & 0xC0 != 0x80] + [len(s)]


def _substring(s: bytes, pos: int, size: int, unit: str, index: int, shape) -> bytes:
    bounds = _char_starts(s) if unit == "UTF8_CHAR" else None
    count = len(s) if bounds is None else len(bounds) - 1
    start = pos + count if pos < 0 else pos
    if not 0 <= start <= count:
        raise InvalidArgumentError(
            f"substr: pos {pos} is out of range for the string {s!r} at index "
            f"{tuple(int(k) for k in np.unravel_index(index, shape))} "
            f"({count} {'bytes' if bounds is None else 'characters'}); expected "
            f"-{count} <= pos <= {count}.", op="Substr")
    end = count if size < 0 else min(start + size, count)  # negative len: to the end
    return s[start:end] if bounds is None else s[bounds[start]:bounds[end]]


def _substr_kernel(xp, x, pos, size, unit="BYTE"):
    x, pos, size = np.broadcast_arrays(x, pos, size)
    rows = zip(_flat(x), pos.reshape(-1).tolist(), size.reshape(-1).tolist())
    out = np.empty(x.shape, dtype=object)
    out.reshape(-1)[:] = [_substring(s, p, n, unit, i, x.shape)
                          for i, (s, p, n) in enumerate(rows)]
    return out


_SUBSTR = register(OpDef("substr", "Substr", ("input", "pos", "len"), _substr_infer,
                         _substr_kernel, attrs={"unit": "BYTE"}, same_dtype=(1, 2), gpu=False,
                         doc="Substrings from pos of length len (bytes or UTF-8 characters)."))


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002 - TensorFlow's names
    r"""The substring of each string that starts at `pos` and has `len` units.

    `pos` and `len` (of one shape) broadcast against `input` (TensorFlow allows up to two
    broadcast dimensions; any number works here). A negative `pos` counts from the end; a
    `len` past the end or negative takes the rest of the string.

    Args:
        input: a string tensor (or strings).
        pos: int32 or int64 start positions.
        len: int32 or int64 lengths, of the shape of `pos`.
        unit: 'BYTE' or 'UTF8_CHAR' (positions and lengths in characters).

    Returns:
        A string tensor of the broadcast shape.

    Raises:
        InvalidArgumentError: when a `pos` lies outside its string.

    Example:
        >>> engine.strings.substr(["Hello", "World"], 1, 3).numpy()
        array([b'ell', b'orl'], dtype=object)
        >>> engine.strings.substr("Ärger", [0, -2], [2, 5], unit="UTF8_CHAR").numpy()
        array([b'\xc3\x84r', b'er'], dtype=object)
    """
    pos, len = _positions(pos, len)
    return _run(_SUBSTR, [convert_to_tensor(input), pos, len], {"unit": unit})


# --- joining ---------------------------------------------------------------------------------
def _join_infer(*inputs, separator=""):
    if not inputs:
        raise InvalidArgumentError("join: got no inputs; expected a list of string tensors.",
                                   op="join")
    for i, s in enumerate(inputs):
        _check_strings("join", s, f"inputs[{i}]")
    return TensorSpec(_inf.broadcast_shapes("join", *(s.shape for s in inputs)), _STRING)


def _join_kernel(xp, *inputs, separator=""):
    arrays = np.broadcast_arrays(*inputs)
    columns = [_flat(a) for a in arrays]
    out = np.empty(arrays[0].shape, dtype=object)
    out.reshape(-1)[:] = [_encode(separator).join(parts) for parts in zip(*columns)]
    return out


_JOIN = register(OpDef("join", "StringJoin", ("*inputs",), _join_infer, _join_kernel,
                       attrs={"separator": ""}, gpu=False,
                       doc="Joins the strings of several tensors elementwise."))


def join(inputs, separator="", name=None):
    """Joins the strings of a list of tensors elementwise, with `separator` between.

    Args:
        inputs: a list of string tensors of one shape, or scalars (they broadcast).
        separator: the string put between the parts.

    Returns:
        A string tensor of the broadcast shape.

    Example:
        >>> engine.strings.join([["a", "b"], ["x", "y"], "!"], separator="-").numpy()
        array([b'a-x-!', b'b-y-!'], dtype=object)
    """
    if not isinstance(inputs, (list, tuple)):
        raise InvalidArgumentError(f"join: got inputs={inputs!r}; expected a list of string "
                                   "tensors (join the strings of one tensor with "
                                   "engine.strings.reduce_join).", op="join")
    tensors = [convert_to_tensor(x) for x in inputs]
    return _run(_JOIN, tensors, {"separator": _text("join", "separator", separator)})


def _join_order(axis, rank: int) -> list:
    """The reduced axes, outermost first: TensorFlow joins the last listed axis outermost,
    and all axes (axis=None) in row-major order."""
    if axis is None:
        return list(range(rank))
    axes = [axis] if isinstance(axis, int) else list(axis)
    normal = [_inf.normalize_axis("reduce_join", int(a), rank) for a in axes]
    if len(set(normal)) != len(normal):
        raise ShapeError(f"reduce_join: axis {axis} repeats an axis.")
    return normal[::-1]


def _reduce_join_infer(x, axis=None, keepdims=False, separator=""):
    _check_strings("reduce_join", x)
    if x.shape.rank is None:
        return TensorSpec(None, _STRING)
    axes = _join_order(axis, x.shape.rank)
    return TensorSpec(_inf.reduced_shape(x.shape, axes, keepdims), _STRING)


def _reduce_join_kernel(xp, x, axis=None, keepdims=False, separator=""):
    x, order = _normalized(x), _join_order(axis, x.ndim)
    keep = [i for i in range(x.ndim) if i not in order]
    kept = [x.shape[i] for i in keep]
    rows = np.transpose(x, keep + order).reshape(
        int(np.prod(kept)), int(np.prod([x.shape[i] for i in order])))
    out = np.empty(len(rows), dtype=object)
    out[:] = [_encode(separator).join(row) for row in rows.tolist()]
    return out.reshape([1 if i in order else d for i, d in enumerate(x.shape)]
                       if keepdims else kept)


_REDUCE_JOIN = register(OpDef(
    "reduce_join", "ReduceJoin", ("inputs",), _reduce_join_infer, _reduce_join_kernel,
    attrs={"axis": None, "keepdims": False, "separator": ""}, gpu=False,
    tf_args={"reduction_indices": "axis", "keep_dims": "keepdims"},
    doc="Joins the strings along axes (the last listed axis outermost)."))


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Joins the strings of a tensor along `axis`, with `separator` between.

    Args:
        inputs: a string tensor (or strings).
        axis: None (all axes, in row-major order), an int or a list of ints; with several,
            the last listed axis varies slowest, as in TensorFlow.
        keepdims: keep the reduced axes with size 1.
        separator: the string put between the parts.

    Returns:
        A string tensor: the input's shape without (or with size 1 at) the reduced axes.

    Example:
        >>> x = [["a", "b"], ["c", "d"]]
        >>> engine.strings.reduce_join(x, axis=1, separator=",").numpy()
        array([b'a,b', b'c,d'], dtype=object)
        >>> engine.strings.reduce_join(x).numpy(), engine.strings.reduce_join(x, [0, 1]).numpy()
        (b'abcd', b'acbd')
    """
    if axis is not None and not isinstance(axis, int):
        axis = tuple(int(a) for a in np.asarray(
            axis.numpy() if hasattr(axis, "numpy") else axis).reshape(-1))
    attrs = {"axis": axis, "keepdims": bool(keepdims),
             "separator": _text("reduce_join", "separator", separator)}
    return _run(_REDUCE_JOIN, [convert_to_tensor(inputs)], attrs)
