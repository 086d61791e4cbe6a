"""Keras 2's sequence helpers: `pad_sequences` and `TimeseriesGenerator`.

`pad_sequences` turns a list of variable-length sequences into one NumPy array, padding
(or cutting) each at the start or the end. `TimeseriesGenerator` is a `Sequence` of
(window, target) batches over a series, usable by `model.fit`.
"""

from __future__ import annotations

import numpy as np

from engine.keras.data_sequence import Sequence

__all__ = ["pad_sequences", "TimeseriesGenerator"]

_SIDES = ("pre", "post")


def _check_side(value, what: str) -> None:
    if value not in _SIDES:
        raise ValueError(f"pad_sequences: {what}={value!r}; expected 'pre' or 'post'.")


def _sample_shape(sequences) -> tuple:
    for seq in sequences:
        if len(seq):
            return np.asarray(seq).shape[1:]
    return ()


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (or truncates) sequences to one length and stacks them into a NumPy array.

    Args:
        sequences: a list of sequences (lists or arrays; items may themselves be vectors).
        maxlen: the output length (default: the longest sequence's length).
        dtype: the output dtype (use `object` or a string dtype for strings).
        padding: "pre" or "post": pad before or after each sequence.
        truncating: "pre" or "post": drop values from the start or the end of sequences
            longer than `maxlen`.
        value: the padding value.

    Returns:
        An array of shape `(len(sequences), maxlen, *item_shape)`.

    Raises:
        ValueError: for a bad `padding`/`truncating`, sequences of differing item shapes,
            or a string `value` with a numeric dtype (or the reverse).

    Example:
        >>> engine.keras.utils.pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post")
        array([[2, 3],
               [4, 0]], dtype=int32)
    """
    _check_side(padding, "padding")
    _check_side(truncating, "truncating")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: sequences must be a list of sequences; got "
                         f"{type(sequences).__name__}.")
    lengths = []
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ValueError(f"pad_sequences: sequences[{i}] is {seq!r}; every entry must be "
                             "a sequence (a list or array), e.g. [[1, 2], [3]].")
        lengths.append(len(seq))
    if maxlen is None:
        maxlen = max(lengths, default=0)
    item_shape = _sample_shape(sequences)
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.dtype(dtype) == object
    if isinstance(value, str) and not is_text:
        raise ValueError(f"pad_sequences: value={value!r} is a string but dtype={dtype!r} "
                         "is not; pass dtype=object (or a string dtype) for text.")
    out = np.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)
    for i, seq in enumerate(sequences):
        if not len(seq) or maxlen == 0:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(f"pad_sequences: sequences[{i}] has items of shape "
                             f"{kept.shape[1:]}, others have {item_shape}; all items must "
                             "have one shape.")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out


class TimeseriesGenerator(Sequence):
    """Batches of (window of past steps, target) over a time series, as a `Sequence`.

    Sample `i` is `data[j - length : j : sampling_rate]` with target `targets[j]`, for
    `j` from `start_index + length` to `end_index` (every `stride` steps).

    Args:
        data: the series, indexable along its first axis (e.g. an array `(steps, ...)`).
        targets: the target of each step, as long as `data`.
        length: the window's length, in steps (before `sampling_rate`).
        sampling_rate: keep every `sampling_rate`-th step of a window.
        stride: the number of steps between consecutive windows.
        start_index: the first step that may be in a window.
        end_index: the last step that may be a target (default: the last step).
        shuffle: draw windows in random order (once, at construction).
        reverse: give each window's steps latest first.
        batch_size: windows per batch.

    Raises:
        ValueError: if `data` and `targets` differ in length or no window fits.

    Example:
        >>> data = np.arange(10, dtype="float32").reshape(10, 1)
        >>> gen = engine.keras.preprocessing.sequence.TimeseriesGenerator(
        ...     data, data[:, 0], length=3, batch_size=2)
        >>> len(gen)
        4
        >>> x, y = gen[0]
        >>> x[:, :, 0].tolist(), y.tolist()
        ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [3.0, 4.0])
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError(f"TimeseriesGenerator: data has {len(data)} steps and targets "
                             f"{len(targets)}; they must be as long.")
        self.data, self.targets = data, targets
        self.length, self.sampling_rate, self.stride = int(length), sampling_rate, stride
        self.start_index = start_index + self.length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"TimeseriesGenerator: start_index + length = {self.start_index}"
                             f" > end_index = {self.end_index}: no window fits; use a "
                             "shorter length or a longer series.")
        rows = np.arange(self.start_index, self.end_index + 1, self.stride)
        if shuffle:
            rows = np.random.permutation(rows)
        self._rows = rows

    def __len__(self):
        return -(-len(self._rows) // self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"TimeseriesGenerator: batch {index} of {len(self)}.")
        rows = self._rows[index * self.batch_size:(index + 1) * self.batch_size]
        windows = np.array([self.data[row - self.length:row:self.sampling_rate]
                            for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            windows = windows[:, ::-1, ...]
        return windows, targets
