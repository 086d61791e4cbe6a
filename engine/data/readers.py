"""Datasets read from text files: lines (`TextLineDataset`) and CSV records.

`CsvDataset` parses records into tuples of scalars; `make_csv_dataset` builds a whole
batched pipeline of `(features dict, label)` from CSV files with a header.

Files are read lazily, line by line, on every iteration; `compression_type` may be "" (or
None), "GZIP" or "ZLIB" (a ZLIB file is decompressed whole). Lines lose their trailing
"\\n" or "\\r\\n". File names may be a string, a list of strings, a string tensor, or a
dataset of strings (read in that order).
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import zlib

import numpy as np

from engine import dtypes as _dt
from engine.data import structure
from engine.data.dataset import Dataset
from engine.data.node import Node, check_count, close
from engine.data.transforms import InterleaveNode
from engine.errors import InvalidArgumentError, NotFoundError
from engine.tensor import wrap
from engine.tensor_shape import TensorSpec

__all__ = ["TextLineDataset", "CsvDataset", "make_csv_dataset"]

_CSV_DTYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.int64, _dt.string)


def _string_scalar(value: bytes):
    array = np.empty((), dtype=object)
    array[()] = value
    return wrap(array)


def _file_names(filenames, what: str):
    """A list of file names, or the node of a dataset of file names."""
    if isinstance(filenames, Dataset):
        spec = filenames.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype != _dt.string or spec.shape.rank:
            raise TypeError(f"{what}: a dataset of file names must have string scalar "
                            f"elements; got {spec}.")
        return filenames._node
    if hasattr(filenames, "numpy"):
        filenames = filenames.numpy()
    names = [filenames] if isinstance(filenames, (str, bytes)) else list(
        np.asarray(filenames, dtype=object).reshape(-1))
    if not names:
        raise ValueError(f"{what}: got no file names.")
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def _each_file(names, options):
    if isinstance(names, Node):
        elements = names.iterate(options)
        try:
            for name in elements:
                yield structure.host_array(name)[()].decode()
        finally:
            close(elements)
    else:
        yield from names


def _compression(value, what: str) -> str:
    kind = (value or "").upper()
    if kind not in ("", "GZIP", "ZLIB"):
        raise ValueError(f"{what}: compression_type must be '', 'GZIP' or 'ZLIB'; got "
                         f"{value!r}.")
    return kind


def _open_binary(path: str, compression: str, what: str = "Dataset"):
    """`path` opened for reading bytes, decompressed; a missing file is a NotFoundError
    (also a FileNotFoundError) that names the reader."""
    try:
        if compression == "GZIP":
            return gzip.open(path, "rb")
        if compression == "ZLIB":
            with open(path, "rb") as file:
                return io.BytesIO(zlib.decompress(file.read()))
        return open(path, "rb")
    except FileNotFoundError:
        raise NotFoundError(f"{what}: the file {path!r} does not exist.") from None


class TextLineNode(Node):
    kind = "TextLineDataset"

    def __init__(self, names, compression: str):
        self.names = names
        self.inputs = (names,) if isinstance(names, Node) else ()
        self.compression = compression

    def _spec(self):
        return TensorSpec([], _dt.string)

    def iterate(self, options):
        for path in _each_file(self.names, options):
            with _open_binary(path, self.compression, "TextLineDataset") as file:
                for line in file:
                    if line.endswith(b"\n"):
                        line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
                    yield _string_scalar(line)


class TextLineDataset(Dataset):
    """A dataset of the lines of text files, as string scalars.

    Args:
        filenames: a file name, a list of them, a string tensor, or a dataset of names.
        compression_type: "" / None, "GZIP" or "ZLIB".
        buffer_size: accepted for TensorFlow compatibility.
        num_parallel_reads: read this many files at once, interleaving their lines
            (default: one file after the other).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
        >>> with open(path, "w") as f:
        ...     _ = f.write("first\\nsecond\\n")
        >>> [line.decode() for line in engine.data.TextLineDataset(path).as_numpy_iterator()]
        ['first', 'second']
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        what = "TextLineDataset"
        names = _file_names(filenames, what)
        compression = _compression(compression_type, what)
        if num_parallel_reads is None:
            self._node = TextLineNode(names, compression)
            return
        cycle = check_count(num_parallel_reads, what, "num_parallel_reads", 1,
                            allow_minus_one=True)
        files = names if isinstance(names, Node) else Dataset.from_tensor_slices(
            np.array(names, dtype=object))._node
        self._node = InterleaveNode(
            files, lambda f: Dataset._new(TextLineNode([f.numpy().decode()], compression)),
            cycle, 1, cycle, what, spec=TensorSpec([], _dt.string))


class CsvNode(Node):
    kind = "CsvDataset"

    def __init__(self, names, columns: list, select: list | None, header: bool,
                 delimiter: str, quoting: bool, na_value: str, compression: str,
                 ignore_errors: bool = False):
        self.names = names
        self.inputs = (names,) if isinstance(names, Node) else ()
        self.columns = columns  # (dtype, default array or None) per output column
        self.select = select
        self.header = header
        self.delimiter, self.quoting, self.na_value = delimiter, quoting, na_value
        self.compression = compression
        self.ignore_errors = ignore_errors

    def _spec(self):
        return tuple(TensorSpec([], dtype) for dtype, _ in self.columns)

    def iterate(self, options):
        for path in _each_file(self.names, options):
            yield from self._records(path)

    def _records(self, path: str):
        quoting = csv.QUOTE_MINIMAL if self.quoting else csv.QUOTE_NONE
        binary = _open_binary(path, self.compression, "CsvDataset")
        with io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
            rows = csv.reader(text, delimiter=self.delimiter, quoting=quoting)
            if self.header:
                next(rows, None)
            for row in rows:
                if not row:
                    continue
                try:
                    yield self._parse(row, path, rows.line_num)
                except InvalidArgumentError:
                    if not self.ignore_errors:
                        raise

    def _parse(self, row: list, path: str, line: int):
        where = f"{path}:{line}"
        if self.select is None:
            if len(row) != len(self.columns):
                raise InvalidArgumentError(f"CsvDataset: expected {len(self.columns)} fields "
                                           f"but got {len(row)} in record at {where}.")
            fields = row
        else:
            if len(row) <= self.select[-1]:
                raise InvalidArgumentError(f"CsvDataset: record at {where} has {len(row)} "
                                           f"fields; select_cols needs {self.select[-1] + 1}.")
            fields = [row[i] for i in self.select]
        return tuple(_field(value, dtype, default, index, where, self.na_value)
                     for index, (value, (dtype, default)) in enumerate(zip(fields, self.columns)))


def _field(value: str, dtype, default, index: int, where: str, na_value: str):
    if value == "" or value == na_value:
        if default is None:
            raise InvalidArgumentError(f"CsvDataset: field {index} is required but missing in "
                                       f"record at {where}. Give it a default in "
                                       "record_defaults.")
        return wrap(default)
    if dtype == _dt.string:
        return _string_scalar(value.encode())
    try:
        number = int(value) if dtype.is_integer else float(value)
    except ValueError:
        raise InvalidArgumentError(f"CsvDataset: field {index} in record at {where} is not a "
                                   f"valid {dtype.name}: {value!r}.") from None
    if dtype.is_integer and not dtype.min <= number <= dtype.max:
        raise InvalidArgumentError(f"CsvDataset: field {index} in record at {where} is out of "
                                   f"the range of {dtype.name}: {value!r}.")
    return wrap(np.array(number, dtype._np))


def _record_columns(record_defaults, what: str) -> list:
    """`(dtype, default array or None)` per column from TensorFlow-style record_defaults."""
    columns = []
    for i, item in enumerate(record_defaults):
        if isinstance(item, (_dt.DType, type)) or isinstance(item, str) and item in (
                "float32", "float64", "int32", "int64", "string"):
            dtype, default = _dt.as_dtype(item), None
        else:
            array = np.asarray(item.numpy() if hasattr(item, "numpy") else item)
            if array.size == 0:
                dtype, default = _dt.as_dtype(np.float32 if array.dtype == np.float64
                                              else array.dtype), None
            else:
                tensor = structure.to_host_tensor(item, what)
                default = structure.host_array(tensor).reshape(-1)[0:1].reshape(())
                dtype = tensor.dtype
        if dtype not in _CSV_DTYPES:
            raise TypeError(f"{what}: record_defaults[{i}] has dtype {dtype.name}; CSV columns "
                            "may be float32, float64, int32, int64 or string.")
        columns.append((dtype, default))
    if not columns:
        raise ValueError(f"{what}: record_defaults is empty; give one entry per column.")
    return columns


class CsvDataset(Dataset):
    """A dataset of the records of CSV files: one tuple of scalars per line.

    Args:
        filenames: a file name, a list of them, a string tensor, or a dataset of names.
        record_defaults: one entry per (selected) column: a dtype (the column is
            required) or a default value such as `0.0` or `[""]` (used when the field is
            empty or equals `na_value`; its type is the column's).
        compression_type: "" / None, "GZIP" or "ZLIB".
        buffer_size: accepted for TensorFlow compatibility.
        header: skip the first line of each file.
        field_delim: the field separator.
        use_quote_delim: treat double quotes as quoting fields.
        na_value: a string that marks a missing value.
        select_cols: the indices of the columns to keep (increasing).
        exclude_cols: the indices of the columns to drop (instead of `select_cols`).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
        >>> with open(path, "w") as f:
        ...     _ = f.write("x,name\\n1.5,ab\\n,cd\\n")
        >>> ds = engine.data.experimental.CsvDataset(path, [0.0, engine.string], header=True)
        >>> [(float(x), s.decode()) for x, s in ds.as_numpy_iterator()]
        [(1.5, 'ab'), (0.0, 'cd')]
    """

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None, name=None):
        what = "CsvDataset"
        columns = _record_columns(record_defaults, what)
        select = _selected(select_cols, exclude_cols, len(columns), what)
        self._node = CsvNode(_file_names(filenames, what), columns, select, bool(header),
                             field_delim, bool(use_quote_delim), na_value,
                             _compression(compression_type, what))


def _selected(select_cols, exclude_cols, count: int, what: str):
    if select_cols is not None and exclude_cols is not None:
        raise ValueError(f"{what}: give select_cols or exclude_cols, not both.")
    if select_cols is not None:
        select = [check_count(i, what, "select_cols", 0) for i in select_cols]
        if select != sorted(set(select)):
            raise ValueError(f"{what}: select_cols must be increasing and unique; got "
                             f"{select}.")
        if len(select) != count:
            raise ValueError(f"{what}: select_cols has {len(select)} columns but "
                             f"record_defaults has {count}; give one default per column.")
        return select
    if exclude_cols is not None:
        excluded = {check_count(i, what, "exclude_cols", 0) for i in exclude_cols}
        select = [i for i in range(count + len(excluded)) if i not in excluded]
        return select[:count]
    return None


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False,
                     encoding="utf-8"):
    """Reads CSV files into batches of `(features dict, label)`, as TensorFlow's function.

    Column names come from the header (or `column_names`); column types from
    `column_defaults` or, if not given, from the first `num_rows_for_inference` rows
    (int32, int64, float32, float64 or string; missing values read as 0 or "").

    Args:
        file_pattern: a glob pattern or a list of file names/patterns.
        batch_size: records per batch.
        column_names: the column names, if the files have no header.
        column_defaults: one default (or dtype) per selected column, as `CsvDataset`'s.
        label_name: the column returned separately as the label (None: features only).
        select_columns: the names or indices of the columns to keep.
        field_delim: the field separator.
        use_quote_delim: treat double quotes as quoting fields.
        na_value: a string that marks a missing value.
        header: whether each file starts with a header line.
        num_epochs: passes over the data (None: forever, as in TensorFlow).
        shuffle: shuffle the files and the records.
        shuffle_buffer_size: the record shuffle's buffer.
        shuffle_seed: the shuffle's seed.
        prefetch_buffer_size: batches to read ahead (None: `AUTOTUNE`).
        num_parallel_reads: files read at once (default 1).
        sloppy: accepted for TensorFlow compatibility.
        num_rows_for_inference: rows read to infer column types.
        compression_type: "" / None, "GZIP" or "ZLIB".
        ignore_errors: skip records that fail to parse.
        encoding: the files' text encoding (only UTF-8 is supported).

    Returns:
        A `Dataset` of `(dict of name -> batch, label batch)` or of dicts.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
        >>> with open(path, "w") as f:
        ...     _ = f.write("size,price\\n1,10.5\\n2,20.0\\n3,30.5\\n")
        >>> ds = engine.data.experimental.make_csv_dataset(
        ...     path, batch_size=3, label_name="price", num_epochs=1, shuffle=False)
        >>> features, label = next(iter(ds))
        >>> features["size"].numpy(), label.numpy()
        (array([1, 2, 3], dtype=int32), array([10.5, 20. , 30.5], dtype=float32))
    """
    what = "make_csv_dataset"
    if encoding.replace("-", "").lower() != "utf8":
        raise ValueError(f"{what}: only UTF-8 files are supported; got encoding={encoding!r}.")
    patterns = [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)
    files = sorted({f for p in patterns for f in (glob.glob(p) or [])})
    if not files:
        raise InvalidArgumentError(f"{what}: no files match {patterns}.")
    compression = _compression(compression_type, what)
    names = _column_names(files[0], column_names, header, field_delim, compression, what)
    indices = _column_indices(select_columns, names, what)
    selected = [names[i] for i in indices]
    if label_name is not None and label_name in names and label_name not in selected:
        raise ValueError(f"{what}: label_name {label_name!r} is a column but not among "
                         f"select_columns {list(select_columns)}; add it to select_columns.")
    if label_name is not None and label_name not in selected:
        raise ValueError(f"{what}: label_name {label_name!r} is not a column; the columns "
                         f"are {selected}.")
    if column_defaults is None:
        columns = _infer_columns(files[0], indices, header, field_delim, na_value,
                                 compression, num_rows_for_inference)
    else:
        columns = _record_columns(column_defaults, what)
        if len(columns) != len(indices):
            raise ValueError(f"{what}: column_defaults has {len(columns)} entries but "
                             f"{len(indices)} columns are read ({selected}); expected one "
                             "default per selected column. Trim column_defaults to the "
                             "select_columns, or leave it None to infer the types.")
    file_names = Dataset.from_tensor_slices(np.array(files, dtype=object))
    if shuffle:
        file_names = file_names.shuffle(len(files), seed=shuffle_seed)

    def read(path):
        return Dataset._new(CsvNode([path.numpy().decode()], columns,
                                    indices if indices != list(range(len(names))) else None,
                                    header, field_delim, use_quote_delim, na_value,
                                    compression, ignore_errors))
    cycle = 1 if num_parallel_reads is None else check_count(
        num_parallel_reads, what, "num_parallel_reads", 1)
    spec = tuple(TensorSpec([], dtype) for dtype, _ in columns)
    dataset = Dataset._new(InterleaveNode(file_names._node, read, cycle, 1,
                                          None if cycle == 1 else cycle, what, spec=spec))
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    dataset = dataset.repeat(num_epochs).batch(batch_size, drop_remainder=num_epochs is None)

    def to_dict(*values):
        features = dict(zip(selected, values))
        if label_name is None:
            return features
        return features, features.pop(label_name)
    dataset = dataset.map(to_dict)
    return dataset.prefetch(-1 if prefetch_buffer_size is None else prefetch_buffer_size)


def _column_names(path, column_names, header, delim, compression, what) -> list:
    if column_names is not None:
        return list(column_names)
    if not header:
        raise ValueError(f"{what}: the files have no header (header=False), so pass "
                         "column_names.")
    with io.TextIOWrapper(_open_binary(path, compression, what), encoding="utf-8",
                          newline="") as text:
        first = next(csv.reader(text, delimiter=delim), None)
    if not first:
        raise ValueError(f"{what}: {path} has no header line.")
    return first


def _column_indices(select_columns, names: list, what: str) -> list:
    if select_columns is None:
        return list(range(len(names)))
    indices = []
    for column in select_columns:
        if isinstance(column, str):
            if column not in names:
                raise ValueError(f"{what}: select_columns names {column!r}, which is not a "
                                 f"column; the columns are {names}.")
            indices.append(names.index(column))
        else:
            indices.append(check_count(column, what, "select_columns", 0))
    return sorted(set(indices))


def _infer_columns(path, indices, header, delim, na_value, compression, rows: int) -> list:
    kinds = [0] * len(indices)  # 0 int32, 1 int64, 2 float32, 3 float64, 4 string
    with io.TextIOWrapper(_open_binary(path, compression, "make_csv_dataset"), encoding="utf-8",
                          newline="") as text:
        reader = csv.reader(text, delimiter=delim)
        if header:
            next(reader, None)
        for row in (r for _, r in zip(range(rows), reader) if r):
            for k, i in enumerate(indices):
                value = row[i] if i < len(row) else ""
                if value not in ("", na_value):
                    kinds[k] = max(kinds[k], _kind_of(value))
    dtypes = [_dt.int32, _dt.int64, _dt.float32, _dt.float64, _dt.string]
    defaults = [0, 0, 0.0, 0.0, b""]
    return [(dtypes[k], np.array(defaults[k], dtype=object if k == 4 else dtypes[k]._np))
            for k in kinds]


def _kind_of(value: str) -> int:
    try:
        number = int(value)
        return 0 if -2**31 <= number < 2**31 else 1
    except ValueError:
        pass
    try:
        number = float(value)
        return 2 if abs(number) <= np.finfo(np.float32).max else 3
    except ValueError:
        return 4
