"""`PreprocessingLayer`: a layer whose state is computed from data by `adapt`.

`adapt(data)` runs eagerly, outside any traced function: it resets the state, feeds the
data batch by batch to `update_state`, then calls `finalize_state`, which stores the
result where `call` reads it (non-trainable weights for statistics, the vocabulary for
lookups). The state is merged batch by batch, so data larger than memory (an
`engine.data.Dataset`) can be adapted in one pass.
"""

from __future__ import annotations

import numpy as np

from engine import context, nest
from engine.errors import TracingError
from engine.keras.layers.base import Layer
from engine.keras.layers.preprocessing.host import values_array
from engine.tensor import Tensor

__all__ = ["PreprocessingLayer", "ValuesInputLayer", "adapt_batches", "check_output_mode"]

_THREAD = context.THREAD


class ValuesInputLayer(Layer):
    """A layer with one input, which may be given as (nested) Python lists of values.

    The base `Layer` reads a list as a list of inputs; preprocessing layers take data, so
    `layer([["a"], ["b"]])` means one input of shape (2, 1), as in Keras. Layers with an
    integer or string dtype leave floating inputs as they are (no autocast).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self._dtype.is_floating:
            # Inputs are data: only a floating layer casts floating inputs to its dtype.
            self._autocast = False

    def __call__(self, *args, **kwargs):
        if args and isinstance(args[0], (list, tuple, str, bytes, np.ndarray)) and not any(
                isinstance(x, Tensor) or getattr(x, "_is_variable", False)
                for x in nest.flatten(args[0])):
            args = (values_array(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)


class PreprocessingLayer(ValuesInputLayer):
    """Base class of the layers that learn their state from data with `adapt`.

    Subclasses implement `update_state(batch)` (merge one batch into the running state),
    `reset_state()` and `finalize_state()` (turn the running state into what `call`
    uses).

    Example:
        >>> layer = engine.keras.layers.Normalization(axis=None)
        >>> layer.adapt(np.array([1.0, 2.0, 3.0]))
        >>> layer.is_adapted
        True
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._is_adapted = False

    @property
    def is_adapted(self) -> bool:
        """Whether `adapt` has run on this layer."""
        return self._is_adapted

    def update_state(self, data) -> None:
        """Merges one batch of data into the running state; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_state.")

    def reset_state(self) -> None:
        """Forgets the state gathered so far."""

    def finalize_state(self) -> None:
        """Turns the running state into what `call` uses."""

    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Computes the layer's state from `data`, replacing any earlier state.

        Args:
            data: a NumPy array, a list, a tensor, or an `engine.data.Dataset` of batches.
            batch_size: rows per batch for arrays and tensors (default 32); not allowed
                for datasets, which are batched already.
            steps: use only this many batches (default: all of them).

        Raises:
            TracingError: inside `engine.function`.
            TypeError / ValueError: for data that is not an array, tensor or dataset.

        Example:
            >>> layer = engine.keras.layers.StringLookup()
            >>> layer.adapt(["b", "a", "b"])
            >>> layer.get_vocabulary()
            ['[UNK]', 'b', 'a']
        """
        if _THREAD.graph is not None:
            raise TracingError(f"{self.name}: adapt() cannot run inside engine.function; call "
                               "it eagerly before building the model or tracing.")
        batches = adapt_batches(data, batch_size, steps, f"{self.name}.adapt")
        self.reset_state()
        for batch in batches:
            if not self.built:
                self._adapt_build(batch)
            self.update_state(batch)
        self.finalize_state()
        self._is_adapted = True

    def _adapt_build(self, batch) -> None:
        """Builds the layer from the first batch's shape (with an unknown batch size)."""
        self._maybe_build(batch)


def adapt_batches(data, batch_size, steps, what: str):
    """Yields the batches of `data` (tensors) for `adapt`.

    Args:
        data: a NumPy array, list, tensor or `engine.data.Dataset`.
        batch_size: rows per batch for arrays (default 32).
        steps: the number of batches to yield at most (None: all).
        what: the caller's name for messages.

    Returns:
        An iterator of tensors.
    """
    from engine.data import Dataset  # noqa: PLC0415 - only adapt needs datasets

    if steps is not None and (not isinstance(steps, (int, np.integer)) or steps < 1):
        raise ValueError(f"{what}: steps must be a positive integer or None; got {steps!r}.")
    if isinstance(data, Dataset):
        if batch_size is not None:
            raise ValueError(f"{what}: batch_size={batch_size!r} was given with a Dataset; "
                             "datasets are batched already. Use dataset.batch(n) instead.")
        return _dataset_batches(data, steps, what)
    if isinstance(data, (tuple, dict)):
        raise TypeError(f"{what}: got a {type(data).__name__}; expected one array, tensor or "
                        "Dataset of the layer's inputs (without labels).")
    if isinstance(data, Tensor) or getattr(data, "_is_variable", False):
        array = np.asarray(data.numpy())
    elif isinstance(data, (np.ndarray, list, np.generic, str, bytes, int, float)):
        array = values_array(data)
    else:
        raise TypeError(f"{what}: got {type(data).__name__}; expected a NumPy array, a list, "
                        "a tensor or an engine.data.Dataset.")
    if batch_size is None:
        batch_size = 32
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{what}: batch_size must be a positive integer; got "
                         f"{batch_size!r}.")
    return _array_batches(array, int(batch_size), steps)


def _array_batches(array: np.ndarray, batch_size: int, steps):
    from engine.convert import convert_to_tensor  # noqa: PLC0415

    if array.ndim == 0:
        yield convert_to_tensor(array)
        return
    count = -(-len(array) // batch_size)
    if steps is not None:
        count = min(count, steps)
    for k in range(count):
        yield convert_to_tensor(array[k * batch_size:(k + 1) * batch_size])


def _dataset_batches(dataset, steps, what: str):
    for k, element in enumerate(dataset):
        if steps is not None and k >= steps:
            return
        if not isinstance(element, Tensor):
            raise TypeError(f"{what}: the dataset yields {type(element).__name__} elements; "
                            "expected one tensor per element (the layer's inputs). Drop the "
                            "labels first: dataset.map(lambda x, y: x).")
        yield element


def check_output_mode(layer: str, output_mode, allowed: tuple) -> str:
    """`output_mode`, or a ValueError naming the layer and the allowed values."""
    if output_mode not in allowed:
        raise ValueError(f"{layer}: unknown output_mode={output_mode!r}; expected one of "
                         f"{', '.join(repr(m) for m in allowed)}.")
    return output_mode
