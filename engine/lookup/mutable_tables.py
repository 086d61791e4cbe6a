"""Mutable tables: tables whose entries change with `insert` and `remove`.

TensorFlow's `tf.lookup.experimental.MutableHashTable` and `DenseHashTable`.

Like a variable, a mutable table is state captured by reference: inside `engine.function`
its inserts, removes and lookups are graph nodes that run in program order, and a traced
lookup sees the entries present when the graph runs (an insert after tracing included).
Values may be scalars or have a fixed shape, that of `default_value`.
"""

from __future__ import annotations

from engine.errors import InvalidArgumentError
from engine.graph.trace import init_scope
from engine.lookup.initializers import as_tensor
from engine.lookup.static_tables import _Table
from engine.ops import lookup_ops as _lk

__all__ = ["MutableHashTable", "DenseHashTable"]


class MutableHashTable(_Table):
    """A hash table whose entries `insert` sets and `remove` deletes.

    Args:
        key_dtype: the keys' dtype (string, int64 or int32).
        value_dtype: the values' dtype.
        default_value: the value of absent keys; its shape is every value's shape.
        name: ignored (TensorFlow compatibility).
        checkpoint: ignored.
        experimental_is_anonymous: ignored.

    Example:
        >>> table = engine.lookup.experimental.MutableHashTable(
        ...     engine.string, engine.int64, default_value=-1)
        >>> table.insert(engine.constant(["a", "b"]), engine.constant([1, 2], engine.int64))
        >>> table.lookup(engine.constant(["a", "c"])).numpy()
        array([ 1, -1])
    """

    _kind = "mutable_hash_table"

    def __init__(self, key_dtype, value_dtype, default_value, name=None, checkpoint=True,
                 experimental_is_anonymous=False):
        what = type(self).__name__
        key_dtype, value_dtype = _lk.check_dtypes(what, key_dtype, value_dtype)
        with init_scope():
            self._default = as_tensor(f"{what}: default_value", default_value, value_dtype)
            reserved = self._reserved(key_dtype)
        self._state = _lk.TableState(self._kind, key_dtype, value_dtype,
                                     tuple(self._default.shape.as_list()), reserved)

    def _reserved(self, key_dtype) -> dict:
        return {}

    def _values(self, values):
        return as_tensor(f"{type(self).__name__}.insert: values", values, self.value_dtype)

    def insert(self, keys, values, name=None) -> None:
        """Sets the value of each key (replacing any old one).

        Args:
            keys: a tensor or list of keys of the key dtype.
            values: their values: shape `keys.shape + default_value.shape`.
            name: ignored (TensorFlow compatibility).

        Raises:
            DTypeError: if keys or values have the wrong dtype.
            ShapeError: if the values' shape does not match the keys'.
        """
        _lk.insert(self._state, self._keys(keys), self._values(values))

    def remove(self, keys, name=None) -> None:
        """Removes the keys' entries; absent keys are ignored.

        Args:
            keys: a tensor or list of keys of the key dtype.
            name: ignored (TensorFlow compatibility).
        """
        _lk.remove(self._state, self._keys(keys))


class DenseHashTable(MutableHashTable):
    """A mutable hash table with two reserved keys, as TensorFlow's open-addressing table.

    `empty_key` and `deleted_key` mark free slots in TensorFlow's table; here they are
    only reserved: inserting, looking up or removing them raises, as there. `export`
    returns the entries (not TensorFlow's whole bucket array with its empty slots).

    Args:
        key_dtype: the keys' dtype (string, int64 or int32).
        value_dtype: the values' dtype.
        default_value: the value of absent keys; its shape is every value's shape.
        empty_key: a key never used.
        deleted_key: another key never used (not equal to `empty_key`).
        initial_num_buckets: ignored (the table grows as needed).
        name: ignored (TensorFlow compatibility).
        checkpoint: ignored.
        experimental_is_anonymous: ignored.

    Raises:
        InvalidArgumentError: if empty_key equals deleted_key.

    Example:
        >>> table = engine.lookup.experimental.DenseHashTable(
        ...     engine.int64, engine.int64, default_value=-1, empty_key=0, deleted_key=-1)
        >>> table.insert(engine.constant([5, 7], engine.int64),
        ...              engine.constant([50, 70], engine.int64))
        >>> table.lookup(engine.constant([5, 6], engine.int64)).numpy()
        array([50, -1])
    """

    _kind = "dense_hash_table"

    def __init__(self, key_dtype, value_dtype, default_value, empty_key, deleted_key,
                 initial_num_buckets=None, name=None, checkpoint=True,
                 experimental_is_anonymous=False):
        self._empty_key, self._deleted_key = empty_key, deleted_key
        super().__init__(key_dtype, value_dtype, default_value, name, checkpoint)

    def _reserved(self, key_dtype) -> dict:
        empty = as_tensor("DenseHashTable: empty_key", self._empty_key, key_dtype)
        deleted = as_tensor("DenseHashTable: deleted_key", self._deleted_key, key_dtype)
        self._empty_key, self._deleted_key = empty, deleted
        empty_value, deleted_value = empty.numpy().tolist(), deleted.numpy().tolist()
        if empty.shape.rank != 0 or deleted.shape.rank != 0:
            raise InvalidArgumentError(f"DenseHashTable: got empty_key {empty_value!r} and "
                                       f"deleted_key {deleted_value!r}; expected scalars.")
        if empty_value == deleted_value:
            raise InvalidArgumentError(f"DenseHashTable: got empty_key == deleted_key == "
                                       f"{empty_value!r}; expected two different keys.")
        return {empty_value: "empty_key", deleted_value: "deleted_key"}

    @property
    def empty_key(self):
        """The reserved empty key (a tensor)."""
        return self._empty_key

    @property
    def deleted_key(self):
        """The reserved deleted key (a tensor)."""
        return self._deleted_key

    def insert_or_assign(self, keys, values, name=None) -> None:
        """The same as `insert`.

        Args:
            keys: a tensor or list of keys of the key dtype.
            values: their values: shape `keys.shape + default_value.shape`.
            name: ignored (TensorFlow compatibility).
        """
        self.insert(keys, values)

    def erase(self, keys, name=None) -> None:
        """The same as `remove`.

        Args:
            keys: a tensor or list of keys of the key dtype.
            name: ignored (TensorFlow compatibility).
        """
        self.remove(keys)

