"""Index plans: pipelines over in-memory rows, batched by slicing instead of stacking.

`from_tensor_slices(arrays)` and `range(...)` can hand out any row at any time. When such a
source is followed by steps that only reorder or select rows (`shuffle`, `take`, `skip`,
`repeat`, `shard`, an in-memory `cache`) and then `batch`, the batch step does not need
the rows one by one: it asks the chain for the *row indices* in order and gathers each
batch from the source arrays at once (a slice view for consecutive rows, one `take` for
the others). Every step computes its index order with the same code that orders elements,
so a pipeline yields the same elements, in the same order, with or without this shortcut.

A plan's `chunks()` yields the row order as `range` objects (consecutive or strided rows,
which slice without copying) and int64 arrays (anything else), in any mix of lengths.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["IndexPlan", "take", "skip", "shard", "as_ints", "from_ints", "batches"]

_CHUNK = 4096  # rows per chunk of a source's order and of re-chunked streams


class IndexPlan:
    """The order in which a pipeline visits the rows of a random-access source.

    Attributes:
        source: a node with `gather(index) -> list of arrays` (one per component).
        chunks: a callable returning an iterator of `range`s and int64 arrays.
        random: True if the order changes from one iteration to the next (a shuffle).
    """

    __slots__ = ("source", "chunks", "random")

    def __init__(self, source, chunks, random: bool = False):
        self.source = source
        self.chunks = chunks
        self.random = random

    def derive(self, chunks, random: bool | None = None) -> IndexPlan:
        """The same source visited in another order."""
        return IndexPlan(self.source, chunks, self.random if random is None else random)


def source_order(size: int):
    """The rows `0..size-1` in order, as ranges of at most `_CHUNK` rows."""
    return (range(start, min(start + _CHUNK, size)) for start in range(0, size, _CHUNK))


def take(chunks, count: int):
    """The first `count` rows of a chunk stream."""
    if count <= 0:
        return
    for chunk in chunks:
        if len(chunk) >= count:
            yield chunk[:count]
            return
        count -= len(chunk)
        yield chunk


def skip(chunks, count: int):
    """A chunk stream without its first `count` rows."""
    for chunk in chunks:
        if count >= len(chunk):
            count -= len(chunk)
            continue
        yield chunk[count:] if count else chunk
        count = 0


def shard(chunks, num_shards: int, index: int):
    """Every `num_shards`-th row of a chunk stream, starting at row `index`."""
    position = 0  # the stream position of the chunk's first row
    for chunk in chunks:
        first = (index - position) % num_shards
        if first < len(chunk):
            yield chunk[first::num_shards]
        position += len(chunk)


def as_ints(chunks):
    """The rows of a chunk stream as Python ints (for steps that reorder row by row)."""
    for chunk in chunks:
        yield from (chunk if isinstance(chunk, range) else chunk.tolist())


def from_ints(ints):
    """Python ints regrouped into int64 arrays of at most `_CHUNK` rows."""
    while True:
        block = np.fromiter(itertools.islice(ints, _CHUNK), np.int64)
        if not block.size:
            return
        yield block


def batches(chunks, batch_size: int, drop_remainder: bool):
    """The rows of a chunk stream regrouped into index batches of `batch_size` rows.

    A batch made of one consecutive (or evenly strided) run stays a `range`.
    """
    pending, count = [], 0
    for chunk in chunks:
        while len(chunk):
            piece = chunk[:batch_size - count]
            chunk = chunk[len(piece):]
            pending.append(piece)
            count += len(piece)
            if count == batch_size:
                yield _join(pending)
                pending, count = [], 0
    if pending and not drop_remainder:
        yield _join(pending)


def _join(pieces: list):
    if len(pieces) == 1:
        return pieces[0]
    first = pieces[0]
    if all(isinstance(p, range) and p.step == 1 for p in pieces) and all(
            a.stop == b.start for a, b in zip(pieces, pieces[1:])):
        return range(first.start, pieces[-1].stop)
    return np.concatenate([np.asarray(p, np.int64) if isinstance(p, range) else p
                           for p in pieces])


def gather(array: np.ndarray, index) -> np.ndarray:
    """The rows `index` (a range or an int64 array) of `array`; a view for ranges."""
    if isinstance(index, range):
        return array[index.start:index.stop:index.step]
    return array.take(index, axis=0)
