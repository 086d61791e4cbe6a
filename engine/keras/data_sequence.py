"""`Sequence`: a dataset of batches that is indexed (`seq[i]`), with a known length.

A `Sequence` subclass says how many batches an epoch has (`__len__`) and builds batch `i`
(`__getitem__`); `model.fit`, `evaluate` and `predict` take it as `x`, as Keras 2 does:
an epoch reads `len(seq)` batches (in a new random order each epoch when `fit` shuffles),
and `on_epoch_end()` runs once every batch of a pass has been read.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Sequence", "sequence_batches"]


class Sequence:
    """The base class of indexed batch sources for `fit`/`evaluate`/`predict`.

    Subclasses implement `__getitem__(index)` (returning `x`, `(x, y)` or
    `(x, y, sample_weight)` for one batch) and `__len__()` (the number of batches), and
    may override `on_epoch_end()`, e.g. to reshuffle.

    Example:
        >>> class Squares(engine.keras.utils.Sequence):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, i):
        ...         x = np.full((4, 1), float(i), "float32")
        ...         return x, x * x
        >>> seq = Squares()
        >>> len(seq), float(seq[2][1][0, 0])
        (3, 4.0)
        >>> [float(x[0, 0]) for x, _ in seq]
        [0.0, 1.0, 2.0]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index), "
                                  "returning batch number `index`.")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__(), "
                                  "returning the number of batches in an epoch.")

    def on_epoch_end(self):
        """Called after each epoch's batches were read; does nothing unless overridden.

        Example:
            >>> engine.keras.utils.Sequence().on_epoch_end()
        """

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


def _length(sequence) -> int:
    try:
        length = len(sequence)
    except NotImplementedError:
        raise
    except Exception as err:
        raise TypeError(f"Sequence: len() of {type(sequence).__name__} failed ({err}); "
                        "__len__ must return the number of batches as an int.") from err
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length <= 0:
        raise ValueError(f"Sequence: {type(sequence).__name__} has len() == {length!r}; "
                         "expected a positive number of batches.")
    return int(length)


def sequence_batches(sequence, shuffle: bool = False, seed=None):
    """An endless iterator over a `Sequence`'s batches, pass after pass.

    Each pass reads every index once (shuffled if `shuffle`), and calls
    `sequence.on_epoch_end()` as soon as its last batch was read. The data handler reads
    `len(sequence)` batches per epoch from it.

    Args:
        sequence: a `Sequence` (anything with `__len__` and `__getitem__`).
        shuffle: visit the batches in a new random order every pass.
        seed: the seed of that order (None: drawn from `engine.random`).

    Returns:
        An iterator of batches.

    Raises:
        ValueError: for an empty sequence.

    Example:
        >>> class Three(engine.keras.utils.Sequence):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, i):
        ...         return i
        >>> batches = engine.keras.data_sequence.sequence_batches(Three())
        >>> [next(batches) for _ in range(5)]
        [0, 1, 2, 0, 1]
    """
    length = _length(sequence)
    if shuffle and seed is None:
        from engine import dtypes as _dt  # noqa: PLC0415
        from engine.ops import random_ops  # noqa: PLC0415

        seed = int(random_ops.uniform([], 0, 2**31 - 1, dtype=_dt.int64))
    rng = np.random.default_rng(seed)
    return _passes(sequence, length, rng if shuffle else None)


def _passes(sequence, length: int, rng):
    while True:
        order = rng.permutation(length) if rng is not None else range(length)
        for position, index in enumerate(order):
            batch = sequence[int(index)]
            if position == length - 1:
                # The batch is read already, so a reshuffle here cannot change it.
                sequence.on_epoch_end()
            yield batch
