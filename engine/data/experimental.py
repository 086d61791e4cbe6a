"""`engine.data.experimental`: TensorFlow's `tf.data.experimental` names that eagerlab has.

Constants: `AUTOTUNE`, `INFINITE_CARDINALITY` (-1) and `UNKNOWN_CARDINALITY` (-2).
Functions: `cardinality`, `assert_cardinality`, `enable_debug_mode`, and the CSV readers
`make_csv_dataset` and `CsvDataset`.
"""

from __future__ import annotations

from engine.data.functions import debug_mode_enabled, enable_debug_mode
from engine.data.node import AUTOTUNE, INFINITE, UNKNOWN, check_count
from engine.data.readers import CsvDataset, make_csv_dataset

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "CsvDataset",
           "assert_cardinality", "cardinality", "debug_mode_enabled", "enable_debug_mode",
           "make_csv_dataset"]

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN


def cardinality(dataset):
    """The number of elements of `dataset` (an int64 scalar tensor), as `dataset.cardinality()`.

    Args:
        dataset: an `engine.data.Dataset`.

    Returns:
        The count, `INFINITE_CARDINALITY` or `UNKNOWN_CARDINALITY`.

    Example:
        >>> ds = engine.data.Dataset.range(5).filter(lambda x: x > 2)
        >>> int(engine.data.experimental.cardinality(ds))
        -2
    """
    return dataset.cardinality()


def assert_cardinality(expected_cardinality):
    """A transformation (for `Dataset.apply`) that declares the dataset's cardinality.

    The dataset then reports `expected_cardinality` (so `len()` and Keras' progress work
    for generators and filters), and iterating it raises `FailedPreconditionError` if the
    actual number of elements differs.

    Args:
        expected_cardinality: the number of elements, or `INFINITE_CARDINALITY`.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.range(6).filter(lambda x: x < 3)
        >>> len(ds.apply(engine.data.experimental.assert_cardinality(3)))
        3
    """
    expected = check_count(expected_cardinality, "assert_cardinality",
                           "expected_cardinality", 0, allow_minus_one=True)

    def transformation(dataset):
        return dataset._assert_cardinality(expected)
    return transformation
