"""`engine.data`: input pipelines with `tf.data`'s API, iterated eagerly.

    ds = engine.data.Dataset.from_tensor_slices((x_train, y_train))
    ds = ds.shuffle(60000).batch(128).prefetch(engine.data.AUTOTUNE)
    for x, y in ds:
        ...

See `engine.data.dataset` for how pipelines run, `engine.data.functions` for how `map`
functions are traced, and `engine.data.indexing` for why batching in-memory arrays is fast.

Example:
    >>> ds = engine.data.Dataset.range(6).map(lambda x: x * 2).batch(4)
    >>> [b.tolist() for b in ds.as_numpy_iterator()]
    [[0, 2, 4, 6], [8, 10]]
"""

from engine.data import experimental
from engine.data.dataset import Dataset, Iterator
from engine.data.node import AUTOTUNE, INFINITE, UNKNOWN
from engine.data.options import Options, ThreadingOptions
from engine.data.readers import TextLineDataset
from engine.data.structure import DatasetSpec

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "DatasetSpec",
           "Iterator", "Options", "TextLineDataset", "ThreadingOptions", "experimental"]

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN
