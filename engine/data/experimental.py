"""`engine.data.experimental`: TensorFlow's `tf.data.experimental` names that eagerlab has.

Constants: `AUTOTUNE`, `INFINITE_CARDINALITY` (-1) and `UNKNOWN_CARDINALITY` (-2).
Datasets: `sample_from_datasets`, `choose_from_datasets`, `Counter`, `RandomDataset`,
`from_list`, `load`, and the CSV readers `make_csv_dataset` and `CsvDataset`.
Transformations for `Dataset.apply` (`engine.data.transformations`): `scan`,
`group_by_window`, `bucket_by_sequence_length`, `rejection_resample`, `ignore_errors`,
`unique`, `take_while`, `enumerate_dataset`, `unbatch`, `snapshot`, `shuffle_and_repeat`,
`map_and_batch`, `parallel_interleave` and `assert_cardinality`.
Functions: `cardinality`, `get_single_element`, `get_structure`, `save`,
`enable_debug_mode`; and `ThreadingOptions`.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.data.functions import debug_mode_enabled, enable_debug_mode
from engine.data.node import AUTOTUNE, INFINITE, UNKNOWN, check_count
from engine.data.options import ThreadingOptions
from engine.data.readers import CsvDataset, make_csv_dataset
from engine.data.transformations import (
    bucket_by_sequence_length,
    enumerate_dataset,
    group_by_window,
    ignore_errors,
    map_and_batch,
    parallel_interleave,
    rejection_resample,
    scan,
    shuffle_and_repeat,
    snapshot,
    take_while,
    unbatch,
    unique,
)

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Counter", "CsvDataset",
           "RandomDataset", "ThreadingOptions", "assert_cardinality",
           "bucket_by_sequence_length", "cardinality", "choose_from_datasets",
           "debug_mode_enabled", "enable_debug_mode", "enumerate_dataset", "from_list",
           "get_single_element", "get_structure", "group_by_window", "ignore_errors", "load",
           "make_csv_dataset", "map_and_batch", "parallel_interleave", "rejection_resample",
           "sample_from_datasets", "save", "scan", "shuffle_and_repeat", "snapshot",
           "take_while", "unbatch", "unique"]

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


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                         rerandomize_each_iteration=None):
    """Mixes datasets at random, as `Dataset.sample_from_datasets`.

    Args:
        datasets: a non-empty list of datasets with the same structure and dtypes.
        weights: one weight per dataset, a dataset of weight vectors, or None (equal).
        seed: the op seed.
        stop_on_empty_dataset: end when a chosen dataset has ended.
        rerandomize_each_iteration: a new mix on every iteration.

    Returns:
        A `Dataset`.

    Example:
        >>> a, b = engine.data.Dataset.range(2), engine.data.Dataset.range(5, 7)
        >>> ds = engine.data.experimental.sample_from_datasets([a, b], seed=3)
        >>> sorted(int(x) for x in ds)
        [0, 1, 5, 6]
    """
    from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this module

    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset,
                                        rerandomize_each_iteration)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    """Mixes datasets in the order of `choice_dataset`, as `Dataset.choose_from_datasets`.

    Args:
        datasets: a non-empty list of datasets with the same structure and dtypes.
        choice_dataset: a dataset of scalar int64 indices into `datasets`.
        stop_on_empty_dataset: end when a chosen dataset has ended.

    Returns:
        A `Dataset`.

    Example:
        >>> a, b = engine.data.Dataset.range(2), engine.data.Dataset.range(5, 7)
        >>> choices = engine.data.Dataset.from_tensor_slices(np.array([1, 0, 1]))
        >>> [int(x) for x in engine.data.experimental.choose_from_datasets([a, b], choices)]
        [5, 0, 6]
    """
    from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this module

    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def Counter(start=0, step=1, dtype=_dt.int64):  # noqa: N802 - TensorFlow's name
    """An endless dataset counting from `start` by `step`, as `Dataset.counter`.

    Args:
        start: the first number.
        step: the difference between consecutive numbers.
        dtype: the elements' dtype (default int64).

    Returns:
        A `Dataset`.

    Example:
        >>> [int(x) for x in engine.data.experimental.Counter(5, -1).take(3)]
        [5, 4, 3]
    """
    from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this module

    return Dataset.counter(start, step, dtype)


def RandomDataset(seed=None, rerandomize_each_iteration=None):  # noqa: N802 - TF's name
    """An endless dataset of random int64 scalars, as `Dataset.random`.

    Args:
        seed: the op seed.
        rerandomize_each_iteration: new numbers on every iteration.

    Returns:
        A `Dataset`.

    Example:
        >>> ds = engine.data.experimental.RandomDataset(seed=1).take(2)
        >>> len(list(ds))
        2
    """
    from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this module

    return Dataset.random(seed, rerandomize_each_iteration)


def get_single_element(dataset):
    """The one element of a dataset that has exactly one, as `Dataset.get_single_element`.

    Args:
        dataset: an `engine.data.Dataset` with one element.

    Returns:
        The element.

    Example:
        >>> ds = engine.data.Dataset.range(3).batch(3)
        >>> engine.data.experimental.get_single_element(ds).numpy()
        array([0, 1, 2])
    """
    return dataset.get_single_element()


def from_list(elements, name=None):
    """A dataset of the given elements, in order (structures must match; shapes may vary).

    Args:
        elements: a non-empty list of elements: tensors or values, nested in tuples and
            dicts alike.
        name: ignored (TensorFlow compatibility).

    Returns:
        A `Dataset` whose spec fits every element (None where shapes differ).

    Raises:
        ValueError: if `elements` is empty.
        TypeError: if the elements' structures or dtypes differ.

    Example:
        >>> ds = engine.data.experimental.from_list([(1, "a"), (2, "b")])
        >>> [(int(x), s) for x, s in ds.as_numpy_iterator()]
        [(1, b'a'), (2, b'b')]
    """
    from engine.data import structure  # noqa: PLC0415
    from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this module
    from engine.data.sources import ListNode  # noqa: PLC0415

    if not isinstance(elements, (list, tuple)) or not elements:
        raise ValueError(f"from_list: elements must be a non-empty list; got {elements!r}. "
                         "Use Dataset.from_tensor_slices for arrays.")
    values = [structure.normalize(e, f"from_list (element {i})")
              for i, e in enumerate(elements)]
    spec = structure.spec_of(values[0])
    for i, value in enumerate(values[1:], 1):
        spec = structure.relax(spec, structure.spec_of(value), f"from_list (element {i})")
    return Dataset._new(ListNode(values, spec))


def save(dataset, path, compression=None, shard_func=None, checkpoint_args=None):
    """Writes `dataset` to the folder `path`, as `Dataset.save`.

    Args:
        dataset: the `Dataset` to write.
        path: the folder to write.
        compression: None or "GZIP".
        shard_func: a function from an element to a scalar int64 shard number.
        checkpoint_args: not supported (must be None).

    Returns:
        None; the folder appears once every element is written.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "ds")
        >>> engine.data.experimental.save(engine.data.Dataset.range(2), path)
        >>> [int(x) for x in engine.data.experimental.load(path)]
        [0, 1]
    """
    dataset.save(path, compression, shard_func, checkpoint_args)


def load(path, element_spec=None, compression=None, reader_func=None):
    """A dataset of the elements saved in the folder `path`, as `Dataset.load`.

    Args:
        path: the folder a save wrote.
        element_spec: the elements' specs; None reads them from the folder.
        compression: None to use the saved setting, or the one it was saved with.
        reader_func: a function from a dataset of shard datasets to a dataset.

    Returns:
        A `Dataset`.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "ds")
        >>> engine.data.Dataset.range(3).save(path, compression="GZIP")
        >>> len(engine.data.experimental.load(path))
        3
    """
    from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this module

    return Dataset.load(path, element_spec, compression, reader_func)


def get_structure(dataset_or_iterator):
    """The nested specs of a dataset's or an iterator's elements (`element_spec`).

    Args:
        dataset_or_iterator: an `engine.data.Dataset` or `engine.data.Iterator`.

    Returns:
        The nested `TensorSpec`s.

    Raises:
        TypeError: for anything else.

    Example:
        >>> engine.data.experimental.get_structure(engine.data.Dataset.range(2))
        TensorSpec(shape=(), dtype=engine.int64, name=None)
    """
    spec = getattr(dataset_or_iterator, "element_spec", None)
    if spec is None:
        raise TypeError(f"get_structure: expected a Dataset or an Iterator; got "
                        f"{type(dataset_or_iterator).__name__}.")
    return spec
