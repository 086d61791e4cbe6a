"""Datasets on disk: `save`, `Dataset.load` and `snapshot` (format: `engine.data.savefile`).

`save` writes every element, each to the shard `shard_func` picks (shard 0 by default),
and publishes the folder atomically. `load` reads it back: `reader_func` receives a
dataset whose elements are the shards' datasets and returns the dataset to yield (by
default the shards interleaved one element at a time, so one shard reads in order).

`snapshot(path)` saves while iterating: the first complete iteration writes the elements
under `path/<fingerprint>` as it yields them, later iterations (in this process or a later
one) read them back. The fingerprint covers the pipeline's steps, their settings, the code
of their functions and in-memory data, but not values captured by closures or the
contents of files read; use a new path when those change.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from engine import dtypes as _dt
from engine import nest
from engine.data import savefile, structure
from engine.data.functions import UserFunction
from engine.data.node import Node, close, first_element
from engine.data.sources import ListNode
from engine.data.transforms import InterleaveNode
from engine.tensor import Tensor, wrap
from engine.tensor_shape import TensorSpec

__all__ = ["Saving"]


def _path(path, what: str) -> str:
    if hasattr(path, "numpy"):
        path = path.numpy()
    if isinstance(path, bytes):
        path = path.decode()
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise TypeError(f"{what}: path must be a non-empty folder path; got {path!r}.")
    return os.fspath(path)


def _shard_function(shard_func, node: Node, what: str):
    """A function element -> shard number (always 0 without `shard_func`)."""
    if shard_func is None:
        return lambda element: 0
    fn = UserFunction(shard_func, node.element_spec, f"{what} (shard_func)",
                      lambda: first_element(node, what))
    if not fn.eager and fn.output_spec != TensorSpec([], _dt.int64):
        raise TypeError(f"{what}: shard_func must return a scalar int64 shard number; it "
                        f"returns {fn.output_spec}. Cast it: engine.cast(..., engine.int64).")

    def shard_of(element):
        value = fn(element)
        if not isinstance(value, Tensor) or value._value.size != 1:
            raise TypeError(f"{what}: shard_func returned {value!r}; expected a scalar int64.")
        shard = int(value._value)
        if shard < 0:
            raise ValueError(f"{what}: shard_func returned {shard}; expected a shard number "
                             ">= 0.")
        return shard
    return shard_of


class SavedShardNode(Node):
    kind = "SavedShardDataset"

    def __init__(self, folder: str, file_name: str, count: int, spec, compression):
        self.folder, self.file_name, self.count = folder, file_name, count
        self.spec, self.compression = spec, compression

    def _spec(self):
        return self.spec

    def cardinality(self) -> int:
        return self.count

    def iterate(self, options):
        pack = structure.packer(self.spec)
        dtypes = [s.dtype for s in nest.flatten(self.spec)]
        for arrays in savefile.read_shard(self.folder, self.file_name, dtypes,
                                          self.compression, "Dataset.load"):
            yield pack([wrap(a) for a in arrays])


def _reader_output(folder: str, metadata: dict, spec, reader_func, what: str) -> Node:
    """The node that yields a saved dataset's elements through `reader_func`."""
    from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this

    shards = [Dataset._new(SavedShardNode(folder, name, count, spec, metadata["compression"]))
              for name, count in metadata["shards"]]
    if not shards:
        return ListNode([], spec)
    shard_datasets = Dataset._new(ListNode(shards, structure.DatasetSpec(spec)))
    if reader_func is None:
        return InterleaveNode(shard_datasets._node, _identity, len(shards), 1, None, what, spec)
    if not callable(reader_func):
        raise TypeError(f"{what}: reader_func must be a function from a dataset of shard "
                        f"datasets to a dataset; got {type(reader_func).__name__}.")
    result = reader_func(shard_datasets)
    if not isinstance(result, Dataset):
        raise TypeError(f"{what}: reader_func must return a Dataset; it returned "
                        f"{type(result).__name__}. Return e.g. "
                        "shards.interleave(lambda shard: shard).")
    savefile.check_spec(spec, result.element_spec, f"{what} (reader_func)")
    return result._node


def _identity(shard):
    return shard


class LoadNode(Node):
    kind = "LoadDataset"

    def __init__(self, path: str, element_spec, compression, reader_func):
        what = "Dataset.load"
        metadata = savefile.read_metadata(path, what)
        saved = savefile.decode_spec(metadata["element_spec"])
        if element_spec is not None:
            savefile.check_spec(saved, element_spec, what)
        if compression is not None and savefile.compression_of(compression, what) != \
                metadata["compression"]:
            raise ValueError(f"{what}: compression={compression!r}, but {path!r} was saved "
                             f"with compression={metadata['compression']!r}. Pass that, or "
                             "None to use the saved setting.")
        self.spec = saved if element_spec is None else element_spec
        self.output = _reader_output(path, metadata, self.spec, reader_func, what)
        self.count = (sum(n for _, n in metadata["shards"]) if reader_func is None
                      else self.output.cardinality())
        self.inputs = (self.output,)

    def _spec(self):
        return self.spec

    def cardinality(self) -> int:
        return self.count

    def iterate(self, options):
        return self.output.iterate(options)


def fingerprint(node: Node) -> str:
    """A hex digest of a pipeline's steps, settings, function code and in-memory data."""
    digest = hashlib.sha256()
    stack = [node]
    while stack:
        current = stack.pop()
        digest.update(f"{current.kind}:{current.cardinality()};".encode())
        for key, value in sorted(vars(current).items()):
            if not key.startswith("_") and key not in ("seeds", "inputs"):
                digest.update(key.encode())
                _digest_value(digest, value)
        stack.extend(current.inputs)
    return digest.hexdigest()[:20]


def _digest_value(digest, value) -> None:
    code = getattr(getattr(value, "func", value), "__code__", None)
    if code is not None:
        digest.update(code.co_code + repr((code.co_consts, code.co_names)).encode())
    elif isinstance(value, np.ndarray):
        data = value.tobytes() if value.dtype.kind != "O" else repr(value.tolist()).encode()
        digest.update(repr((value.shape, value.dtype.str)).encode() + data)
    elif isinstance(value, (list, tuple)) and len(value) < 1000:
        for item in value:
            _digest_value(digest, item)
    elif isinstance(value, (int, float, str, bool, bytes, range, type(None))):
        digest.update(repr(value).encode())
    elif isinstance(value, Tensor):
        _digest_value(digest, structure.host_array(value))


class SnapshotNode(Node):
    kind = "SnapshotDataset"

    def __init__(self, node: Node, path: str, compression, reader_func, shard_func):
        self.inputs = (node,)
        self.folder = os.path.join(path, fingerprint(node))
        self.compression = compression
        self.reader_func = reader_func
        self.shard_of = _shard_function(shard_func, node, "Dataset.snapshot")
        savefile.encode_spec(node.element_spec, "Dataset.snapshot")  # raises if unsaveable

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def iterate(self, options):
        what = "Dataset.snapshot"
        if os.path.exists(os.path.join(self.folder, savefile.METADATA)):
            metadata = savefile.read_metadata(self.folder, what)
            yield from _reader_output(self.folder, metadata, self.element_spec,
                                      self.reader_func, what).iterate(options)
            return
        flatten = structure.flattener(self.element_spec)
        writer = savefile.SaveWriter(self.folder, self.element_spec, self.compression, what)
        source, completed = self.inputs[0].iterate(options), False
        try:
            for element in source:
                writer.write(self.shard_of(element),
                             [structure.host_array(t) for t in flatten(element)])
                yield element
            completed = True
        finally:
            close(source)
            if completed:
                writer.commit(replace=False)
            else:
                writer.abort()


class Saving:
    """Saving and loading (a mixin of `engine.data.Dataset`)."""

    def save(self, path, compression=None, shard_func=None, checkpoint_args=None):
        """Writes every element to the folder `path`, to be read back with `Dataset.load`.

        The folder appears only once every element is written, so an interrupted save
        never looks complete; an existing save at `path` is replaced.

        Args:
            path: the folder to write (created, with its parents).
            compression: None, or "GZIP" to compress the shard files.
            shard_func: a function from an element to a scalar int64 shard number (traced);
                each shard is one file. Default: one shard.
            checkpoint_args: not supported (must be None): a save always runs to the end.

        Returns:
            None; the folder appears once every element is written.

        Raises:
            ValueError: for an unknown compression or `checkpoint_args`.
            TypeError: if the elements hold windows, or `shard_func` returns no int64.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "numbers")
            >>> engine.data.Dataset.range(3).save(path)
            >>> [int(x) for x in engine.data.Dataset.load(path)]
            [0, 1, 2]
        """
        what = "Dataset.save"
        if checkpoint_args is not None:
            raise ValueError(f"{what}: checkpoint_args is not supported (got "
                             f"{checkpoint_args!r}); pass None. A save always runs to the end "
                             "and publishes its folder only then.")
        path, spec = _path(path, what), self.element_spec
        compression = savefile.compression_of(compression, what)
        shard_of = _shard_function(shard_func, self._node, what)
        writer = savefile.SaveWriter(path, spec, compression, what)
        flatten = structure.flattener(spec)
        elements = self._node.iterate(self._node.options)
        try:
            for element in elements:
                writer.write(shard_of(element), [structure.host_array(t)
                                                 for t in flatten(element)])
        except BaseException:
            writer.abort()
            raise
        finally:
            close(elements)
        writer.commit()

    @staticmethod
    def load(path, element_spec=None, compression=None, reader_func=None):
        """A dataset of the elements that `Dataset.save` wrote to the folder `path`.

        Args:
            path: the folder a save wrote.
            element_spec: the elements' nested specs; None reads them from the folder.
            compression: None to use the saved setting, or the one it was saved with.
            reader_func: a function from a dataset of shard datasets to the dataset to
                yield; default: the shards interleaved, one element from each in turn.

        Returns:
            A `Dataset`, whose cardinality is the number of saved elements.

        Raises:
            NotFoundError: if no complete save is at `path`.
            TypeError: if `element_spec` does not match the saved elements.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "pairs")
            >>> engine.data.Dataset.from_tensor_slices(([1, 2], [b"a", b"b"])).save(path)
            >>> ds = engine.data.Dataset.load(path)
            >>> len(ds), [(int(x), s) for x, s in ds.as_numpy_iterator()]
            (2, [(1, b'a'), (2, b'b')])
        """
        from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this

        path = _path(path, "Dataset.load")
        return Dataset._new(LoadNode(path, element_spec, compression, reader_func))

    def snapshot(self, path, compression="AUTO", reader_func=None, shard_func=None,
                 name=None):
        """Saves the elements on the first full iteration and reads them back afterwards.

        The elements go under `path/<fingerprint of the pipeline>` (see the module); an
        iteration that stops early writes nothing.

        Args:
            path: the folder that holds the snapshots.
            compression: "AUTO" or None (no compression), or "GZIP".
            reader_func: as in `Dataset.load`.
            shard_func: as in `save`.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` with the same elements.

        Example:
            >>> import tempfile
            >>> calls = []
            >>> def gen():
            ...     calls.append(1)
            ...     yield from range(3)
            >>> ds = engine.data.Dataset.from_generator(
            ...     gen, output_signature=engine.TensorSpec([], engine.int64))
            >>> ds = ds.snapshot(tempfile.mkdtemp())
            >>> [int(x) for x in ds], [int(x) for x in ds], len(calls)
            ([0, 1, 2], [0, 1, 2], 1)
        """
        what = "Dataset.snapshot"
        compression = savefile.compression_of(compression, what, auto=True)
        return self._new(SnapshotNode(self._node, _path(path, what), compression,
                                      reader_func, shard_func))
