"""Static tables (TensorFlow's `tf.lookup.StaticHashTable` and `StaticVocabularyTable`).

A static table is filled once from an initializer when it is built, then only read. It is
state captured by reference, like a variable: inside `engine.function` or a
`Dataset.map` its lookups are graph nodes that read the table when the graph runs.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.errors import DTypeError, ShapeError
from engine.graph.trace import init_scope
from engine.lookup.initializers import as_tensor
from engine.ops import lookup_ops as _lk
from engine.ops.math_ops import add, cast, not_equal
from engine.ops.select_ops import where
from engine.ops.string_convert_ops import as_string, to_hash_bucket_fast

__all__ = ["StaticHashTable", "StaticVocabularyTable"]


def _check_initializer(what: str, initializer) -> None:
    if not hasattr(initializer, "contents") or not hasattr(initializer, "key_dtype"):
        raise TypeError(f"{what}: got initializer={initializer!r}; expected an "
                        "engine.lookup.KeyValueTensorInitializer or TextFileInitializer.")


class _Table:
    """What every table shares: its state, dtypes, size, export and lookup."""

    _state: _lk.TableState
    _default: object

    @property
    def key_dtype(self) -> _dt.DType:
        """The keys' dtype."""
        return self._state.key_dtype

    @property
    def value_dtype(self) -> _dt.DType:
        """The values' dtype."""
        return self._state.value_dtype

    @property
    def default_value(self):
        """The value of absent keys (a tensor)."""
        return self._default

    @property
    def name(self) -> str:
        """The table's name (unique in this process)."""
        return self._state.name

    def size(self, name=None):
        """The number of entries, an int64 scalar tensor (read when it runs)."""
        return _lk.size(self._state)

    def export(self, name=None) -> tuple:
        """`(keys, values)`: every entry, as two tensors (read when it runs)."""
        return _lk.export(self._state)

    def _keys(self, keys, dtype=None):
        return as_tensor(f"{type(self).__name__}.lookup: keys", keys,
                         self.key_dtype if dtype is None else dtype)

    def lookup(self, keys, name=None):
        """The value of each key; `default_value` where a key is absent.

        Args:
            keys: a tensor (any shape) or list of keys of the table's key dtype.
            name: ignored (TensorFlow compatibility).

        Returns:
            A tensor of shape `keys.shape` (plus the value shape) and the value dtype.

        Raises:
            DTypeError: if the keys' dtype is not the table's key dtype.
        """
        return _lk.find(self._state, self._keys(keys), self._default)

    def __getitem__(self, keys):
        return self.lookup(keys)


class StaticHashTable(_Table):
    """An immutable hash table, filled once from an initializer.

    Args:
        initializer: a `KeyValueTensorInitializer` or `TextFileInitializer`.
        default_value: the value of absent keys: a scalar of the initializer's value dtype.
        name: ignored (TensorFlow compatibility).
        experimental_is_anonymous: ignored.

    Raises:
        DTypeError: for a key/value dtype pair no table takes, or a mismatched default.
        FailedPreconditionError: if the initializer maps one key to two values.

    Example:
        >>> init = engine.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2])
        >>> table = engine.lookup.StaticHashTable(init, default_value=-1)
        >>> table.lookup(engine.constant(["b", "z", "a"])).numpy()
        array([ 2, -1,  1], dtype=int32)
    """

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        _check_initializer("StaticHashTable", initializer)
        key_dtype, value_dtype = _lk.check_dtypes("StaticHashTable", initializer.key_dtype,
                                                  initializer.value_dtype)
        with init_scope():
            self._default = as_tensor("StaticHashTable: default_value", default_value,
                                      value_dtype)
            if self._default.shape.rank != 0:
                raise ShapeError(f"StaticHashTable: got default_value of shape "
                                 f"{self._default.shape}; expected a scalar.")
            self._state = _lk.TableState("hash_table", key_dtype, value_dtype)
            _lk.initialize(self._state, *initializer.contents())
        self._initializer = initializer

    @property
    def initializer(self):
        """The initializer the table was filled from."""
        return self._initializer


class StaticVocabularyTable(_Table):
    """A string or int64 vocabulary with out-of-vocabulary (OOV) buckets.

    Keys in the vocabulary map to their values (ids); any other key maps to
    `vocab_size + bucket`, where `bucket` is `engine.strings.to_hash_bucket_fast(key,
    num_oov_buckets)` (FarmHash Fingerprint64), integer keys written in decimal first, so
    the buckets equal TensorFlow's.

    Args:
        initializer: string or int64 keys to int64 ids (None: every key is hashed).
        num_oov_buckets: the number of OOV buckets (> 0).
        lookup_key_dtype: the dtype of keys given to `lookup` (default: the initializer's
            key dtype; int32 lookups are allowed for int64 keys).
        name: ignored (TensorFlow compatibility).
        experimental_is_anonymous: ignored.

    Raises:
        ValueError: if num_oov_buckets <= 0.
        DTypeError: for values other than int64, or keys other than string/int64.

    Example:
        >>> init = engine.lookup.KeyValueTensorInitializer(
        ...     ["emerson", "lake", "palmer"], [0, 1, 2], value_dtype=engine.int64)
        >>> table = engine.lookup.StaticVocabularyTable(init, num_oov_buckets=5)
        >>> table.lookup(engine.constant(["lake", "king", "crimson"])).numpy()
        array([1, 6, 7])
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        if int(num_oov_buckets) <= 0:
            raise ValueError(f"StaticVocabularyTable: got num_oov_buckets="
                                       f"{num_oov_buckets}; expected > 0. Use StaticHashTable "
                                       "for a table without OOV buckets.")
        self._num_oov_buckets = int(num_oov_buckets)
        key_dtype = _dt.string if initializer is None else initializer.key_dtype
        if initializer is not None:
            _check_initializer("StaticVocabularyTable", initializer)
            if initializer.value_dtype is not _dt.int64:
                raise DTypeError(f"StaticVocabularyTable: got value_dtype="
                                 f"{initializer.value_dtype.name}; expected int64 ids. Build "
                                 "the initializer with value_dtype=engine.int64.")
        if key_dtype not in (_dt.string, _dt.int64):
            raise DTypeError(f"StaticVocabularyTable: got key_dtype={key_dtype.name}; expected "
                             "string or int64. Build the initializer with key_dtype=engine.int64.")
        lookup = key_dtype if lookup_key_dtype is None else _dt.as_dtype(lookup_key_dtype)
        if lookup is not key_dtype and not (key_dtype is _dt.int64 and lookup is _dt.int32):
            raise DTypeError(f"StaticVocabularyTable: got lookup_key_dtype={lookup.name} for "
                             f"{key_dtype.name} keys; expected {key_dtype.name} (or int32 for "
                             "int64 keys).")
        self._lookup_key_dtype = lookup
        with init_scope():
            self._default = as_tensor("StaticVocabularyTable", -1, _dt.int64)
            self._state = _lk.TableState("vocabulary_table", key_dtype, _dt.int64)
            if initializer is not None:
                _lk.initialize(self._state, *initializer.contents())
            self._vocab_size = len(self._state.data)
        self._initializer = initializer

    @property
    def key_dtype(self) -> _dt.DType:
        """The dtype of keys given to `lookup`."""
        return self._lookup_key_dtype

    @property
    def initializer(self):
        """The initializer the vocabulary was filled from (or None)."""
        return self._initializer

    def size(self, name=None):
        """The vocabulary size plus the number of OOV buckets (an int64 scalar tensor)."""
        return add(_lk.size(self._state), self._num_oov_buckets)

    def lookup(self, keys, name=None):
        """The id of each key: its vocabulary id, or `vocab_size + hash bucket` if absent.

        Args:
            keys: a tensor (any shape) or list of keys of `lookup_key_dtype`.
            name: ignored (TensorFlow compatibility).

        Returns:
            An int64 tensor of the keys' shape.

        Raises:
            DTypeError: if the keys' dtype is not `lookup_key_dtype`.
        """
        keys = self._keys(keys, self._lookup_key_dtype)
        if keys.dtype is not self._state.key_dtype:
            keys = cast(keys, self._state.key_dtype)  # int32 lookups of int64 keys
        text = keys if keys.dtype is _dt.string else as_string(keys)
        buckets = add(to_hash_bucket_fast(text, self._num_oov_buckets), self._vocab_size)
        if not self._vocab_size:
            return buckets
        ids = _lk.find(self._state, keys, self._default)
        return where(not_equal(ids, self._default), ids, buckets)
