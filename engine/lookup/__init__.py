"""Lookup tables (TensorFlow's `tf.lookup`): map string or integer keys to values.

- `StaticHashTable`: filled once from an initializer, then read;
- `StaticVocabularyTable`: a vocabulary whose unknown keys go to hashed OOV buckets;
- `KeyValueTensorInitializer`, `TextFileInitializer` (with `TextFileIndex`): contents;
- `experimental.MutableHashTable`, `experimental.DenseHashTable`: tables with `insert`
  and `remove`.

Tables live on the CPU and are state captured by reference, like variables: their ops
work eagerly, inside `engine.function` and in `engine.data.Dataset.map`, and a traced
lookup reads the table when the graph runs.

Example:
    >>> init = engine.lookup.KeyValueTensorInitializer(["a", "b"], [7, 8])
    >>> engine.lookup.StaticHashTable(init, 0).lookup(engine.constant(["b", "x"])).numpy()
    array([8, 0], dtype=int32)
"""

from engine.lookup import experimental  # noqa: F401
from engine.lookup.initializers import (
    KeyValueTensorInitializer,
    TextFileIndex,
    TextFileInitializer,
)
from engine.lookup.static_tables import StaticHashTable, StaticVocabularyTable

__all__ = ["KeyValueTensorInitializer", "TextFileInitializer", "TextFileIndex",
           "StaticHashTable", "StaticVocabularyTable", "experimental"]
