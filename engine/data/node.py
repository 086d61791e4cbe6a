"""The steps of an input pipeline: each `Dataset` wraps one `Node`.

A node knows its inputs, the spec of its elements, its cardinality, and how to iterate:
`iterate(options)` returns a fresh Python iterator over elements (nests of tuples and dicts
of host tensors). Iteration is lazy and pull-based: a node asks its input for the next
element only when its own consumer asks. Nodes that can say which rows of an in-memory
source they visit also offer `plan()` (see `engine.data.indexing`).

Nodes are immutable once built, so one pipeline can be iterated many times, by several
iterators at once; all per-iteration state lives in the iterator.
"""

from __future__ import annotations

import functools

from engine.data.options import Options

__all__ = ["AUTOTUNE", "INFINITE", "UNKNOWN", "Node", "check_count", "close", "first_element"]

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2


class Node:
    """One step of a pipeline (internal).

    Subclasses set `kind` (the name shown in reprs), `inputs` (input nodes), and
    implement `_spec()`, `cardinality()` and `iterate(options)`.
    """

    kind = "Dataset"
    inputs: tuple = ()
    own_options: Options | None = None

    @functools.cached_property
    def element_spec(self):
        """The nested specs of the elements (computed once, on first use)."""
        return self._spec()

    def _spec(self):
        raise NotImplementedError(f"{type(self).__name__} (a Dataset node) must implement "
                                  "_spec(): the nested specs of its elements.")

    def cardinality(self) -> int:
        """The number of elements, `INFINITE` or `UNKNOWN`."""
        return UNKNOWN

    def iterate(self, options: Options):
        """A new iterator over the elements."""
        raise NotImplementedError(f"{type(self).__name__} (a Dataset node) must implement "
                                  "iterate(options).")

    def plan(self):
        """An `IndexPlan` if this node's elements are rows of an in-memory source."""
        return None

    @functools.cached_property
    def options(self) -> Options:
        """The options of the pipeline up to this node (inputs first, then its own)."""
        merged = Options()
        for node in self.inputs:
            merged = merged.merge(node.options)
        if self.own_options is not None:
            merged = merged.merge(self.own_options)
        return merged


def check_count(value, what: str, name: str, minimum: int, allow_minus_one: bool = False):
    """`value` as an int >= `minimum` (or -1 where allowed); raises a clear error otherwise."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        count = int(value)
        if count != value:
            raise ValueError
    except (TypeError, ValueError):
        raise TypeError(f"{what}: {name} must be an integer; got {value!r}.") from None
    if count == -1 and allow_minus_one:
        return count
    if count < minimum:
        also = " or -1" if allow_minus_one else ""
        raise ValueError(f"{what}: {name} must be >= {minimum}{also}; got {count}.")
    return count


def close(iterator) -> None:
    """Closes an iterator that can be closed (a generator), so its upstream stops now."""
    method = getattr(iterator, "close", None)
    if method is not None:
        method()


_END = object()


def first_element(node: Node, what: str):
    """The first element of `node` (to learn a spec from); raises if it is empty."""
    elements = node.iterate(node.options)
    try:
        value = next(elements, _END)
    finally:
        close(elements)
    if value is _END:
        raise ValueError(f"{what}: cannot tell the element spec, since it is learned from the "
                         "input's first element and the input is empty.")
    return value
