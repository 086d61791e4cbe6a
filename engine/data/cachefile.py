"""The file format of `Dataset.cache(filename)`: elements written once, read back later.

Layout: a magic line, a JSON header (format version and the components' dtypes), then one
record per element (`E`, then each component as rank, shape and bytes; strings as
length-prefixed items) and an end record (`Z` and the element count). The file is written
under a temporary name in the same folder and renamed into place only when the first
iteration reached the end, so a reader (this process or another) sees a complete cache or
none, and an interrupted iteration leaves nothing behind. The shard files of
`Dataset.save` hold the same records (`engine.data.savefile`).
"""

from __future__ import annotations

import json
import os
import struct
import tempfile

import numpy as np

from engine import dtypes as _dt
from engine.errors import NotFoundError

__all__ = ["CacheWriter", "encode_end", "encode_header", "encode_record", "read_cache",
           "read_records"]

MAGIC = b"EAGERLAB-DATA-CACHE\n"
VERSION = 1
_U64 = struct.Struct("<Q")


class CacheWriter:
    """Writes elements (flat lists of arrays) to a temporary file; `commit` publishes it."""

    def __init__(self, path: str, dtypes: list):
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise NotFoundError(f"Dataset.cache: the folder {folder!r} of the cache file "
                                f"{path!r} does not exist; create it first.")
        self.path = path
        self.dtypes = dtypes
        handle, self.temp_path = tempfile.mkstemp(prefix=os.path.basename(path) + ".",
                                                  suffix=".tmp", dir=folder)
        self.file = os.fdopen(handle, "wb")
        self.file.write(encode_header(dtypes))
        self.count = 0

    def write(self, arrays: list) -> None:
        self.file.write(encode_record(arrays))
        self.count += 1

    def commit(self) -> None:
        self.file.write(encode_end(self.count))
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.temp_path, self.path)

    def abort(self) -> None:
        self.file.close()
        try:
            os.remove(self.temp_path)
        except FileNotFoundError:
            pass


def encode_header(dtypes: list) -> bytes:
    """The magic line and JSON header that open a file of records with these dtypes."""
    header = json.dumps({"version": VERSION, "dtypes": [d.name for d in dtypes]}).encode()
    return MAGIC + _U64.pack(len(header)) + header


def encode_record(arrays: list) -> bytes:
    """One element (a flat list of arrays) as an `E` record."""
    parts = [b"E"]
    for array in arrays:
        parts.append(struct.pack(f"<B{array.ndim}q", array.ndim, *array.shape))
        if array.dtype.kind == "O":
            for item in array.reshape(-1).tolist():
                parts.append(_U64.pack(len(item)))
                parts.append(item)
        else:
            parts.append(np.ascontiguousarray(array).tobytes())
    return b"".join(parts)


def encode_end(count: int) -> bytes:
    """The `Z` record that ends a file of `count` elements."""
    return b"Z" + _U64.pack(count)


def read_cache(path: str, dtypes: list):
    """Yields the elements of a cache file as flat lists of arrays."""
    with open(path, "rb") as file:
        yield from read_records(file, dtypes, path, "Dataset.cache", "cache",
                                "Delete the file to rebuild the cache, or pass another "
                                "filename")


def read_records(file, dtypes: list, path: str, what: str, noun: str, fix: str):
    """Yields the elements of an open record file as flat lists of arrays.

    `what` names the caller in errors, `noun` the kind of file (`cache`) and `fix` says
    what to do about a bad file.
    """
    if file.read(len(MAGIC)) != MAGIC:
        raise ValueError(f"{what}: {path!r} is not an engine.data {noun} file. {fix}.")
    (length,) = _U64.unpack(file.read(8))
    header = json.loads(file.read(length))
    names = [d.name for d in dtypes]
    if header.get("version") != VERSION or header.get("dtypes") != names:
        raise ValueError(f"{what}: {path!r} was written by a pipeline whose elements have "
                         f"dtypes {header.get('dtypes')}; this one has {names}. {fix}.")
    np_dtypes = [_dt.as_dtype(d)._np for d in dtypes]
    count = 0
    while True:
        tag = file.read(1)
        if tag == b"Z":
            (expected,) = _U64.unpack(file.read(8))
            if expected != count:
                raise ValueError(f"{what}: {path!r} is corrupt ({count} of {expected} "
                                 f"elements). {fix}.")
            return
        if tag != b"E":
            raise ValueError(f"{what}: {path!r} is truncated or corrupt after {count} "
                             f"elements. {fix}.")
        yield [_read_array(file, dtype) for dtype in np_dtypes]
        count += 1


def _read_array(file, dtype: np.dtype) -> np.ndarray:
    (ndim,) = file.read(1)
    shape = struct.unpack(f"<{ndim}q", file.read(8 * ndim))
    size = int(np.prod(shape, dtype=np.int64))
    if dtype.kind == "O":
        out = np.empty(size, dtype=object)
        for i in range(size):
            (length,) = _U64.unpack(file.read(8))
            out[i] = file.read(length)
        return out.reshape(shape)
    return np.frombuffer(file.read(size * dtype.itemsize), dtype).reshape(shape)
