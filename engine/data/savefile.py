"""The on-disk format of `Dataset.save`, `Dataset.load` and `Dataset.snapshot`.

A saved dataset is a folder:

    dataset.json          format and version, the element spec, the compression, and
                          each shard's file and element count
    shard-00000.records   the elements of shard 0, as `engine.data.cachefile` records
    ...                   (gzip-compressed as a whole for compression="GZIP")

It is written into a hidden folder beside the target (`.NAME.*.partial`), `dataset.json`
last, and renamed into place only when every element is written. So a folder at the
target path is always complete: an interrupted save leaves at most a `.partial` folder,
which nothing reads (the writer removes it when it fails with an exception).
"""

from __future__ import annotations

import collections
import gzip
import json
import os
import shutil
import tempfile

from engine import dtypes as _dt
from engine import nest
from engine.data import cachefile
from engine.errors import NotFoundError
from engine.tensor_shape import TensorSpec

__all__ = ["SaveWriter", "check_spec", "compression_of", "decode_spec", "encode_spec",
           "read_metadata", "read_shard"]

FORMAT = "engine.data saved dataset"
VERSION = 1
METADATA = "dataset.json"


def compression_of(value, what: str, auto: bool = False):
    """"GZIP" or None, from the names TensorFlow takes; raises for the others."""
    name = (value or "").upper() if isinstance(value, str) or value is None else value
    if name in ("", "NONE") or (auto and name == "AUTO"):
        return None
    if name == "GZIP":
        return "GZIP"
    allowed = '"GZIP", "AUTO" or None' if auto else '"GZIP" or None'
    raise ValueError(f"{what}: compression must be {allowed}; got {value!r}.")


# --- the element spec as JSON -----------------------------------------------------------
def encode_spec(spec, what: str):
    """A JSON-ready description of a nested spec (tuples, namedtuples, dicts, TensorSpecs)."""
    if isinstance(spec, TensorSpec):
        dims = None if spec.shape.rank is None else spec.shape.as_list()
        return {"tensor": {"shape": dims, "dtype": spec.dtype.name}}
    if isinstance(spec, tuple) and hasattr(spec, "_fields"):
        return {"namedtuple": type(spec).__name__, "fields": list(spec._fields),
                "items": [encode_spec(s, what) for s in spec]}
    if isinstance(spec, tuple):
        return {"tuple": [encode_spec(s, what) for s in spec]}
    if isinstance(spec, dict):
        for key in spec:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"{what}: dict keys must be str or int to be saved; got "
                                f"{key!r}.")
        return {"dict": [[key, encode_spec(s, what)] for key, s in spec.items()]}
    raise TypeError(f"{what}: cannot save elements holding {spec!r}; only tensors nested in "
                    "tuples and dicts can be saved (batch windows first).")


def decode_spec(data):
    """The nested spec that `encode_spec` described."""
    if "tensor" in data:
        return TensorSpec(data["tensor"]["shape"], _dt.as_dtype(data["tensor"]["dtype"]))
    if "namedtuple" in data:
        kind = collections.namedtuple(data["namedtuple"], data["fields"])
        return kind(*[decode_spec(s) for s in data["items"]])
    if "tuple" in data:
        return tuple(decode_spec(s) for s in data["tuple"])
    return {key: decode_spec(s) for key, s in data["dict"]}


# --- writing ------------------------------------------------------------------------------
def _shard_name(shard: int) -> str:
    return f"shard-{shard:05d}.records"


class SaveWriter:
    """Writes elements (flat lists of arrays) by shard; `commit` publishes the folder."""

    def __init__(self, path: str, spec, compression, what: str):
        self.path = os.path.abspath(path)
        self.what = what
        self.encoded_spec = encode_spec(spec, what)
        self.dtypes = [s.dtype for s in nest.flatten(spec)]
        self.compression = compression
        parent = os.path.dirname(self.path)
        os.makedirs(parent, exist_ok=True)
        self.temp = tempfile.mkdtemp(prefix=f".{os.path.basename(self.path)}.",
                                     suffix=".partial", dir=parent)
        self.files: dict = {}  # shard -> open file
        self.counts: dict = {}  # shard -> elements written

    def write(self, shard: int, arrays: list) -> None:
        file = self.files.get(shard)
        if file is None:
            name = os.path.join(self.temp, _shard_name(shard))
            file = gzip.open(name, "wb") if self.compression else open(name, "wb")
            file.write(cachefile.encode_header(self.dtypes))
            self.files[shard], self.counts[shard] = file, 0
        file.write(cachefile.encode_record(arrays))
        self.counts[shard] += 1

    def commit(self, replace: bool = True) -> bool:
        """Publishes the folder; with `replace=False` keeps an existing one instead.

        Returns:
            Whether this writer's folder is now at the path.
        """
        for shard, file in self.files.items():
            file.write(cachefile.encode_end(self.counts[shard]))
            file.close()
        self.files = {}
        metadata = {"format": FORMAT, "version": VERSION, "element_spec": self.encoded_spec,
                    "compression": self.compression,
                    "shards": [[_shard_name(s), n] for s, n in sorted(self.counts.items())]}
        with open(os.path.join(self.temp, METADATA), "w") as file:
            json.dump(metadata, file)
            file.flush()
            os.fsync(file.fileno())
        if os.path.exists(self.path):
            if not replace:
                self.abort()
                return False
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(self.path)}.",
                                   suffix=".old", dir=os.path.dirname(self.path))
            os.replace(self.path, os.path.join(old, "dataset"))
            os.replace(self.temp, self.path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.rename(self.temp, self.path)
            except OSError:  # another writer published first (snapshot)
                self.abort()
                return False
        return True

    def abort(self) -> None:
        for file in self.files.values():
            file.close()
        self.files = {}
        shutil.rmtree(self.temp, ignore_errors=True)


# --- reading ------------------------------------------------------------------------------
def read_metadata(path: str, what: str) -> dict:
    """The metadata of the saved dataset at `path`; raises NotFoundError if there is none."""
    name = os.path.join(os.fspath(path), METADATA)
    try:
        with open(name) as file:
            metadata = json.load(file)
    except FileNotFoundError:
        raise NotFoundError(f"{what}: no saved dataset at {os.fspath(path)!r} ({name!r} does "
                            "not exist). Check the path; a save that did not finish leaves "
                            "nothing there.") from None
    if metadata.get("format") != FORMAT or metadata.get("version") != VERSION:
        raise ValueError(f"{what}: {name!r} is not a version {VERSION} {FORMAT}; save the "
                         "dataset again with this version of engine.data.")
    return metadata


def read_shard(folder: str, file_name: str, dtypes: list, compression, what: str):
    """Yields the elements of one shard file as flat lists of arrays."""
    name = os.path.join(folder, file_name)
    with (gzip.open(name, "rb") if compression else open(name, "rb")) as file:
        yield from cachefile.read_records(file, dtypes, name, what, "saved dataset",
                                          "Save the dataset again")


def check_spec(saved, given, what: str) -> None:
    """Raises unless `given` (a user's element_spec) describes the saved elements."""
    try:
        nest.assert_same_structure(saved, given, check_types=False)
        ok = all(a.dtype == b.dtype and a.shape.is_compatible_with(b.shape) for a, b in
                 zip(nest.flatten(saved), nest.flatten(given)))
    except (TypeError, ValueError, AttributeError):
        ok = False
    if not ok:
        raise TypeError(f"{what}: element_spec {given} does not match the saved elements, "
                        f"{saved}. Pass element_spec=None to use the saved spec.")

