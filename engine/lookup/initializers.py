"""Table initializers: where a static table's keys and values come from.

TensorFlow's `tf.lookup.KeyValueTensorInitializer` and `TextFileInitializer`.

An initializer only describes the contents; a table reads them once, when it is built
(eagerly, also when the table is built inside `engine.function`, as TF's `init_scope`).
"""

from __future__ import annotations

import os

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.graph.trace import init_scope
from engine.tensor import Tensor

__all__ = ["KeyValueTensorInitializer", "TextFileInitializer", "TextFileIndex"]


class TextFileIndex:
    """Special column indices for `TextFileInitializer`: the whole line, or its number.

    Example:
        >>> engine.lookup.TextFileIndex.WHOLE_LINE, engine.lookup.TextFileIndex.LINE_NUMBER
        (-2, -1)
    """

    WHOLE_LINE = -2
    LINE_NUMBER = -1


def as_tensor(what: str, value, dtype) -> Tensor:
    """`value` as a tensor of `dtype` (None: its own); a tensor of another dtype is an error."""
    if isinstance(value, Tensor) or getattr(value, "_is_variable", False):
        if dtype is not None and value.dtype is not dtype:
            raise DTypeError(f"{what}: got a {value.dtype.name} tensor; expected {dtype.name}. "
                             f"Cast it with engine.cast(x, engine.{dtype.name}).")
        return value
    try:
        return convert_to_tensor(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        want = dtype.name if dtype is not None else "a tensor"
        raise DTypeError(f"{what}: cannot convert {value!r} to {want}: {exc}") from None


class KeyValueTensorInitializer:
    """A table's contents from two 1-D tensors: `keys[i]` maps to `values[i]`.

    Args:
        keys: a 1-D tensor (or list) of keys.
        values: a 1-D tensor (or list) of values, one per key.
        key_dtype: the keys' dtype (None: inferred; Python ints give int32, as in TF).
        value_dtype: the values' dtype (None: inferred).
        name: ignored (TensorFlow compatibility).

    Raises:
        ShapeError: if keys and values are not 1-D or differ in length.

    Example:
        >>> init = engine.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2],
        ...                                                value_dtype=engine.int64)
        >>> init.key_dtype, init.value_dtype
        (engine.string, engine.int64)
    """

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        key_dtype = None if key_dtype is None else _dt.as_dtype(key_dtype)
        value_dtype = None if value_dtype is None else _dt.as_dtype(value_dtype)
        with init_scope():
            self._keys = as_tensor("KeyValueTensorInitializer: keys", keys, key_dtype)
            self._values = as_tensor("KeyValueTensorInitializer: values", values, value_dtype)
        if self._keys.shape.rank != 1 or self._values.shape.rank != 1:
            raise ShapeError(f"KeyValueTensorInitializer: got keys of shape {self._keys.shape} "
                             f"and values of shape {self._values.shape}; expected two 1-D "
                             "tensors. Flatten them with engine.reshape(x, [-1]).")
        if self._keys.shape[0] != self._values.shape[0]:
            raise ShapeError(f"KeyValueTensorInitializer: got {self._keys.shape[0]} keys and "
                             f"{self._values.shape[0]} values; expected one value per key.")
        self.key_dtype = self._keys.dtype
        self.value_dtype = self._values.dtype

    def contents(self) -> tuple:
        """`(keys, values)`: the tensors a table is filled with."""
        return self._keys, self._values


def _file_name(filename) -> str:
    if isinstance(filename, Tensor):
        filename = np.asarray(filename.numpy())[()]
    if isinstance(filename, bytes):
        filename = filename.decode()
    if not isinstance(filename, (str, os.PathLike)):
        raise DTypeError(f"TextFileInitializer: got filename={filename!r}; expected a path "
                         "(str, bytes or a scalar string tensor).")
    return os.fspath(filename)


def _check_index(what: str, index: int, dtype) -> None:
    if index == TextFileIndex.WHOLE_LINE and dtype is not _dt.string:
        raise DTypeError(f"TextFileInitializer: {what}_index=WHOLE_LINE gives strings; got "
                         f"{what}_dtype={dtype.name}. Use engine.string.")
    if index == TextFileIndex.LINE_NUMBER and dtype is not _dt.int64:
        raise DTypeError(f"TextFileInitializer: {what}_index=LINE_NUMBER gives int64; got "
                         f"{what}_dtype={dtype.name}. Use engine.int64.")
    if index < TextFileIndex.WHOLE_LINE:
        raise InvalidArgumentError(f"TextFileInitializer: got {what}_index={index}; expected "
                                   "a column number >= 0, WHOLE_LINE (-2) or LINE_NUMBER (-1).")


class TextFileInitializer:
    """A table's contents from a text file: one entry per line.

    `key_index` and `value_index` pick what each line gives: a column (split at
    `delimiter`), `TextFileIndex.WHOLE_LINE` (the line, a string) or
    `TextFileIndex.LINE_NUMBER` (its 0-based number, int64). Numeric columns are parsed.

    Args:
        filename: the file's path.
        key_dtype: the keys' dtype.
        key_index: the keys' column, or a `TextFileIndex` value.
        value_dtype: the values' dtype.
        value_index: the values' column, or a `TextFileIndex` value.
        vocab_size: read only this many lines (None: all); the file must have as many.
        delimiter: the column separator.
        name: ignored (TensorFlow compatibility).
        value_index_offset: added to LINE_NUMBER values.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
        >>> _ = open(path, "w").write("cat\\ndog\\n")
        >>> init = engine.lookup.TextFileInitializer(
        ...     path, engine.string, engine.lookup.TextFileIndex.WHOLE_LINE,
        ...     engine.int64, engine.lookup.TextFileIndex.LINE_NUMBER)
        >>> [t.numpy().tolist() for t in init.contents()]
        [[b'cat', b'dog'], [0, 1]]
    """

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index,
                 vocab_size=None, delimiter="\t", name=None, value_index_offset=0):
        self._filename = _file_name(filename)
        self.key_dtype, self.value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
        self._key_index, self._value_index = int(key_index), int(value_index)
        _check_index("key", self._key_index, self.key_dtype)
        _check_index("value", self._value_index, self.value_dtype)
        if vocab_size is not None and int(vocab_size) <= 0:
            raise InvalidArgumentError(f"TextFileInitializer: got vocab_size={vocab_size}; "
                                       "expected a positive number or None.")
        self._vocab_size = None if vocab_size is None else int(vocab_size)
        self._delimiter = delimiter
        self._offset = int(value_index_offset)

    def _lines(self) -> list:
        if not os.path.exists(self._filename):
            from engine.errors import NotFoundError  # noqa: PLC0415

            raise NotFoundError(f"TextFileInitializer: no file {self._filename!r}; expected "
                                "an existing vocabulary file. Check the path.")
        with open(self._filename, "rb") as f:
            lines = f.read().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()  # the final newline ends the last line
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
        if self._vocab_size is not None:
            if len(lines) < self._vocab_size:
                raise InvalidArgumentError(
                    f"TextFileInitializer: vocab_size={self._vocab_size}, but "
                    f"{self._filename!r} has {len(lines)} lines. Pass vocab_size=None or "
                    "a smaller number.")
            lines = lines[:self._vocab_size]
        return lines

    def _column(self, lines: list, index: int, dtype, what: str) -> Tensor:
        if index == TextFileIndex.LINE_NUMBER:
            return convert_to_tensor(np.arange(len(lines), dtype=np.int64) + self._offset)
        sep = self._delimiter.encode() if isinstance(self._delimiter, str) else self._delimiter
        items = []
        for number, line in enumerate(lines):
            if index == TextFileIndex.WHOLE_LINE:
                items.append(line)
                continue
            columns = line.split(sep)
            if index >= len(columns):
                raise InvalidArgumentError(
                    f"TextFileInitializer: line {number} of {self._filename!r} ({line!r}) has "
                    f"{len(columns)} columns; {what}_index={index} needs at least {index + 1}. "
                    "Check the delimiter.")
            items.append(columns[index])
        if dtype is _dt.string:
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return convert_to_tensor(array)
        parse = float if dtype.is_floating else int
        try:
            return convert_to_tensor(np.array([parse(v) for v in items],
                                              dtype=dtype.as_numpy_dtype))
        except ValueError as exc:
            raise InvalidArgumentError(f"TextFileInitializer: a {what} in {self._filename!r} "
                                       f"is not a {dtype.name}: {exc}.") from None

    def contents(self) -> tuple:
        """`(keys, values)`: the tensors a table is filled with, read from the file now."""
        lines = self._lines()
        with init_scope():
            return (self._column(lines, self._key_index, self.key_dtype, "key"),
                    self._column(lines, self._value_index, self.value_dtype, "value"))
