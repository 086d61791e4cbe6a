"""`tf.data.experimental`'s transformation functions, for `Dataset.apply`.

Each function here returns a function from dataset to dataset that calls the `Dataset`
method of the same name, so `ds.apply(engine.data.experimental.scan(0, f))` is
`ds.scan(0, f)`. The methods' docstrings say what each step does.
"""

from __future__ import annotations

from engine.data.node import check_count

__all__ = ["bucket_by_sequence_length", "enumerate_dataset", "group_by_window",
           "ignore_errors", "map_and_batch", "parallel_interleave", "rejection_resample",
           "scan", "shuffle_and_repeat", "snapshot", "take_while", "unbatch", "unique"]


def scan(initial_state, scan_func):
    """A transformation for `Dataset.apply`: `Dataset.scan(initial_state, scan_func)`.

    Args:
        initial_state: the first state.
        scan_func: a function `(state, element) -> (new_state, output)`.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.range(4).apply(
        ...     engine.data.experimental.scan(np.int64(0), lambda s, x: (s + x, s)))
        >>> [int(x) for x in ds]
        [0, 0, 1, 3]
    """
    return lambda dataset: dataset.scan(initial_state, scan_func)


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    """A transformation for `Dataset.apply`: `Dataset.group_by_window(...)`.

    Args:
        key_func: a function from an element to a scalar int64 key.
        reduce_func: a function `(key, window) -> Dataset`.
        window_size: the elements per window.
        window_size_func: instead of `window_size`, a function from key to window size.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.range(6).apply(engine.data.experimental.group_by_window(
        ...     lambda x: x % 2, lambda key, w: w.batch(3), window_size=3))
        >>> [b.tolist() for b in ds.as_numpy_iterator()]
        [[0, 2, 4], [1, 3, 5]]
    """
    return lambda dataset: dataset.group_by_window(key_func, reduce_func, window_size,
                                                   window_size_func)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """A transformation for `Dataset.apply`: `Dataset.bucket_by_sequence_length(...)`.

    Args:
        element_length_func: a function from an element to its length.
        bucket_boundaries: the increasing upper bounds of the buckets.
        bucket_batch_sizes: the batch size of each bucket.
        padded_shapes: the shapes to pad to (default: the batch's longest).
        padding_values: the padding values (default 0).
        pad_to_bucket_boundary: pad to the bucket's boundary - 1.
        no_padding: batch without padding.
        drop_remainder: drop each bucket's last partial batch.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.from_tensor_slices([[1, 0], [2, 2]]).apply(
        ...     engine.data.experimental.bucket_by_sequence_length(
        ...         lambda x: engine.shape(x)[0], [5], [2, 2]))
        >>> [b.tolist() for b in ds.as_numpy_iterator()]
        [[[1, 0], [2, 2]]]
    """
    return lambda dataset: dataset.bucket_by_sequence_length(
        element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes,
        padding_values, pad_to_bucket_boundary, no_padding, drop_remainder)


def rejection_resample(class_func, target_dist, initial_dist=None, seed=None):
    """A transformation for `Dataset.apply`: `Dataset.rejection_resample(...)`.

    Args:
        class_func: a function from an element to its class.
        target_dist: the wanted class probabilities.
        initial_dist: the input's class probabilities (None: estimated).
        seed: the op seed.

    Returns:
        A function from `Dataset` to a `Dataset` of `(class, element)` pairs.

    Example:
        >>> ds = engine.data.Dataset.range(10).apply(
        ...     engine.data.experimental.rejection_resample(lambda x: x % 2, [0.0, 1.0]))
        >>> [int(x) for c, x in ds]
        [1, 3, 5, 7, 9]
    """
    return lambda dataset: dataset.rejection_resample(class_func, target_dist, initial_dist,
                                                      seed)


def ignore_errors(log_warning=False):
    """A transformation for `Dataset.apply`: `Dataset.ignore_errors(log_warning)`.

    Args:
        log_warning: log each skipped error.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.from_tensor_slices([1.0, 0.0]).map(
        ...     lambda x: engine.debugging.check_numerics(1.0 / x, "inf"))
        >>> [float(x) for x in ds.apply(engine.data.experimental.ignore_errors())]
        [1.0]
    """
    return lambda dataset: dataset.ignore_errors(log_warning)


def unique():
    """A transformation for `Dataset.apply`: `Dataset.unique()`.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.from_tensor_slices([1, 1, 2])
        >>> [int(x) for x in ds.apply(engine.data.experimental.unique())]
        [1, 2]
    """
    return lambda dataset: dataset.unique()


def take_while(predicate):
    """A transformation for `Dataset.apply`: `Dataset.take_while(predicate)`.

    Args:
        predicate: a function from an element to a scalar bool.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.range(5).apply(
        ...     engine.data.experimental.take_while(lambda x: x < 2))
        >>> [int(x) for x in ds]
        [0, 1]
    """
    return lambda dataset: dataset.take_while(predicate)


def enumerate_dataset(start=0):
    """A transformation for `Dataset.apply`: `Dataset.enumerate(start)`.

    Args:
        start: the first position.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.range(3, 5).apply(
        ...     engine.data.experimental.enumerate_dataset(1))
        >>> [(int(i), int(x)) for i, x in ds]
        [(1, 3), (2, 4)]
    """
    return lambda dataset: dataset.enumerate(start)


def unbatch():
    """A transformation for `Dataset.apply`: `Dataset.unbatch()`.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.from_tensors([1, 2]).apply(
        ...     engine.data.experimental.unbatch())
        >>> [int(x) for x in ds]
        [1, 2]
    """
    return lambda dataset: dataset.unbatch()


def snapshot(path, compression="AUTO", reader_func=None, shard_func=None):
    """A transformation for `Dataset.apply`: `Dataset.snapshot(...)`.

    Args:
        path: the folder that holds the snapshots.
        compression: "AUTO" or None, or "GZIP".
        reader_func: as in `Dataset.load`.
        shard_func: as in `Dataset.save`.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> import tempfile
        >>> ds = engine.data.Dataset.range(2).apply(
        ...     engine.data.experimental.snapshot(tempfile.mkdtemp()))
        >>> [int(x) for x in ds], [int(x) for x in ds]
        ([0, 1], [0, 1])
    """
    return lambda dataset: dataset.snapshot(path, compression, reader_func, shard_func)


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """A transformation for `Dataset.apply`: `shuffle(buffer_size, seed).repeat(count)`.

    Each pass is shuffled anew.

    Args:
        buffer_size: the shuffle buffer's size.
        count: the number of passes (None or -1: forever).
        seed: the shuffle's op seed.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.range(3).apply(
        ...     engine.data.experimental.shuffle_and_repeat(3, count=2, seed=1))
        >>> sorted(int(x) for x in ds)
        [0, 0, 1, 1, 2, 2]
    """
    return lambda dataset: dataset.shuffle(buffer_size, seed).repeat(count)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    """A transformation for `Dataset.apply`: `map(map_func).batch(batch_size, ...)`.

    Args:
        map_func: a function from an element to a new element.
        batch_size: the batch size.
        num_parallel_batches: accepted for TensorFlow compatibility (give at most one of
            it and `num_parallel_calls`).
        drop_remainder: drop a last partial batch.
        num_parallel_calls: the map's thread count, as in `Dataset.map`.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.range(5).apply(
        ...     engine.data.experimental.map_and_batch(lambda x: x * 10, 2))
        >>> [b.tolist() for b in ds.as_numpy_iterator()]
        [[0, 10], [20, 30], [40]]
    """
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("map_and_batch: give num_parallel_batches or num_parallel_calls, "
                         f"not both; got {num_parallel_batches!r} and "
                         f"{num_parallel_calls!r}.")
    if num_parallel_batches is not None:
        num_parallel_calls = check_count(num_parallel_batches, "map_and_batch",
                                         "num_parallel_batches", 1) * check_count(
            batch_size, "map_and_batch", "batch_size", 1)
    return lambda dataset: dataset.map(map_func, num_parallel_calls).batch(
        batch_size, drop_remainder)


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False,
                        buffer_output_elements=None, prefetch_input_elements=None):
    """A transformation for `Dataset.apply`: `interleave` with each open dataset read ahead.

    Args:
        map_func: a function from an element to a `Dataset`.
        cycle_length: how many datasets are open at once.
        block_length: consecutive elements taken from each.
        sloppy: accepted for TensorFlow compatibility (the order is always deterministic).
        buffer_output_elements: accepted for TensorFlow compatibility.
        prefetch_input_elements: accepted for TensorFlow compatibility.

    Returns:
        A function from `Dataset` to `Dataset`.

    Example:
        >>> ds = engine.data.Dataset.range(2).apply(engine.data.experimental.parallel_interleave(
        ...     lambda x: engine.data.Dataset.from_tensors(x).repeat(2), cycle_length=2))
        >>> [int(x) for x in ds]
        [0, 1, 0, 1]
    """
    return lambda dataset: dataset.interleave(map_func, cycle_length, block_length,
                                              num_parallel_calls=cycle_length)

