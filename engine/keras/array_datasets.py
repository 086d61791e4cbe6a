"""Datasets built from arrays, and the array helper `normalize` (Keras 2's utilities).

`timeseries_dataset_from_array` makes sliding windows over a series, `split_dataset`
cuts a dataset or arrays in two, `normalize` scales vectors to unit norm.
"""

from __future__ import annotations

import numpy as np

from engine import nest

__all__ = ["timeseries_dataset_from_array", "split_dataset", "normalize"]


def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"timeseries_dataset_from_array: {name}={value!r}; expected a "
                         "positive integer.")
    return int(value)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """A dataset of sliding windows over a series (and the target of each window).

    Window `i` starts at step `start_index + p_i` with `p_i = i * sequence_stride` and
    holds `sequence_length` steps taken every `sampling_rate` steps; its target is
    `targets[start_index + p_i]` (so shift `targets` to predict the future). Only steps
    before `end_index` are used.

    Args:
        data: an array (or tensor) of steps, `(steps, ...)`.
        targets: an array of per-step targets, or None for windows only.
        sequence_length: the number of steps in a window.
        sequence_stride: the steps between the starts of consecutive windows.
        sampling_rate: the steps between two steps of a window.
        batch_size: windows per batch (None: unbatched windows).
        shuffle: shuffle the windows (with `seed`).
        seed: the shuffle seed.
        start_index: the first step used (default 0).
        end_index: one past the last step used (default: all).

    Returns:
        An `engine.data.Dataset` of `(windows, targets)` (or windows) batches.

    Raises:
        ValueError: for non-positive sizes or indices outside the data.

    Example:
        >>> x = np.arange(6)
        >>> ds = engine.keras.utils.timeseries_dataset_from_array(
        ...     x, x, sequence_length=3, batch_size=4)
        >>> windows, y = next(iter(ds))
        >>> windows.numpy().tolist(), y.numpy().tolist()
        ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 1, 2, 3])
    """
    from engine import data as _data  # noqa: PLC0415
    from engine import gather  # noqa: PLC0415
    from engine.convert import convert_to_tensor  # noqa: PLC0415

    length = _positive(sequence_length, "sequence_length")
    stride = _positive(sequence_stride, "sequence_stride")
    rate = _positive(sampling_rate, "sampling_rate")
    data = np.asarray(data)
    start = 0 if start_index is None else int(start_index)
    end = len(data) if end_index is None else int(end_index)
    if not 0 <= start < len(data) or not start < end <= len(data):
        raise ValueError(f"timeseries_dataset_from_array: start_index={start_index!r}, "
                         f"end_index={end_index!r} for {len(data)} steps; expected "
                         "0 <= start_index < end_index <= len(data).")
    count = end - start - (length - 1) * rate
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets) - start)
    starts = np.arange(0, max(count, 0), stride, dtype="int64") + start
    if shuffle:
        np.random.RandomState(seed).shuffle(starts)
    windows = starts[:, None] + np.arange(length, dtype="int64") * rate  # (windows, length)
    data_tensor = convert_to_tensor(data)
    dataset = _data.Dataset.from_tensor_slices(windows)
    if batch_size is not None:
        dataset = dataset.batch(int(batch_size))
    if targets is None:
        return dataset.map(lambda idx: gather(data_tensor, idx))
    target_tensor = convert_to_tensor(targets)
    return dataset.map(lambda idx: (gather(data_tensor, idx),
                                    gather(target_tensor, idx[..., 0])))


def _split_size(size, total: int, name: str):
    if size is None:
        return None
    if isinstance(size, float) and 0 < size < 1:
        return int(round(size * total))
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool) and 0 < size < total:
        return int(size)
    raise ValueError(f"split_dataset: {name}={size!r}; expected a float in (0, 1) or an "
                     f"int in [1, {total}) (the dataset has {total} samples).")


def _samples(dataset):
    from engine import data as _data  # noqa: PLC0415

    if isinstance(dataset, _data.Dataset):
        elements = list(dataset.as_numpy_iterator())
        if not elements:
            raise ValueError("split_dataset: the dataset is empty.")
        return nest.map_structure(lambda *parts: np.stack(parts), *elements)
    if isinstance(dataset, (list, tuple, np.ndarray)) or hasattr(dataset, "shape"):
        return nest.map_structure(np.asarray, tuple(dataset) if isinstance(dataset, list)
                                  and not np.isscalar(dataset[0]) else dataset)
    raise TypeError(f"split_dataset: got {type(dataset).__name__}; expected an "
                    "engine.data.Dataset, a NumPy array, or a tuple of arrays.")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a dataset or arrays into two datasets (first `left_size`, last `right_size`).

    Args:
        dataset: an unbatched `engine.data.Dataset`, an array, or a tuple of arrays with
            the samples along the first axis.
        left_size: a fraction in (0, 1) or a number of samples for the first dataset
            (None: what `right_size` leaves).
        right_size: the same for the second dataset (None: what `left_size` leaves).
        shuffle: shuffle the samples before splitting.
        seed: the shuffle seed.

    Returns:
        A tuple of two `engine.data.Dataset`s.

    Raises:
        ValueError: when both sizes are None, out of range, or add up to more than all.

    Example:
        >>> left, right = engine.keras.utils.split_dataset(np.arange(10), left_size=0.8)
        >>> [int(x) for x in right]
        [8, 9]
    """
    from engine import data as _data  # noqa: PLC0415

    if left_size is None and right_size is None:
        raise ValueError("split_dataset: give left_size or right_size (or both), e.g. "
                         "left_size=0.8.")
    samples = _samples(dataset)
    total = int(np.shape(nest.flatten(samples)[0])[0])
    left = _split_size(left_size, total, "left_size")
    right = _split_size(right_size, total, "right_size")
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left == 0 or right == 0:
        raise ValueError(f"split_dataset: left_size={left_size!r} and right_size="
                         f"{right_size!r} give {left} + {right} samples of {total}; each "
                         "side needs at least one and together at most all.")
    order = np.arange(total)
    if shuffle:
        np.random.RandomState(seed).shuffle(order)
    pick = (order[:left], order[total - right:])
    return tuple(_data.Dataset.from_tensor_slices(
        nest.map_structure(lambda a, rows=rows: a[rows], samples)) for rows in pick)


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit norm along `axis` (zero vectors stay zero).

    Args:
        x: a NumPy array (or tensor).
        axis: the axis to normalize along.
        order: the norm's order (2: Euclidean, 1: sum of absolute values).

    Returns:
        A NumPy array, with a leading axis for 1-D input (as in Keras 2).

    Example:
        >>> engine.keras.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    x = np.asarray(x)
    norms = np.atleast_1d(np.linalg.norm(x, order, axis))
    norms[norms == 0] = 1
    return x / np.expand_dims(norms, axis)
