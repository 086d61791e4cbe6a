"""`engine.lookup.experimental` (TensorFlow's `tf.lookup.experimental`): mutable tables."""

from engine.lookup.mutable_tables import DenseHashTable, MutableHashTable

__all__ = ["DenseHashTable", "MutableHashTable"]
