"""Turning what `fit`/`evaluate`/`predict` receive into batches of tensors.

Accepted: NumPy arrays, engine tensors, lists/tuples/dicts of them (`x`, `y`,
`sample_weight` separately), an `engine.data.Dataset` (elements `x`, `(x, y)` or
`(x, y, sample_weight)`), a `keras.utils.Sequence` of such batches, or a Python
generator/iterator yielding such tuples.
Arrays are sliced per batch without copying the whole set; shuffling permutes indices.
"""

from __future__ import annotations

import math

import numpy as np

from engine import nest
from engine.context import THREAD
from engine.convert import convert_to_tensor
from engine.errors import ShapeError
from engine.keras import data_sequence as _sequence
from engine.tensor import Tensor, wrap

__all__ = ["DataHandler", "unpack_x_y_sample_weight", "pack_x_y_sample_weight",
           "train_validation_split", "check_dataset_is_batched", "check_steps",
           "validation_epochs", "num_samples"]


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch: `x`, `(x,)`, `(x, y)` or `(x, y, sw)`.

    Args:
        data: one batch.

    Returns:
        A 3-tuple (missing parts are None).

    Example:
        >>> engine.keras.utils.unpack_x_y_sample_weight((1, 2))
        (1, 2, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"A batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple "
                     f"of {len(data)} items.")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The inverse of `unpack_x_y_sample_weight`.

    Args:
        x, y, sample_weight: the parts (y and sample_weight may be None).

    Returns:
        `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

    Example:
        >>> engine.keras.utils.pack_x_y_sample_weight(1, 2)
        (1, 2)
    """
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def check_steps(value, name: str) -> None:
    """Raises ValueError unless `value` (a step count such as `steps_per_epoch`) is None or
    a positive integer."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer or None; got {value!r}.")


def validation_epochs(freq):
    """`fit`'s `validation_freq` as `validates(epoch) -> bool` (epochs counted from 0):
    every `freq` epochs for an int, else the listed epochs (counted from 1)."""
    if isinstance(freq, (int, np.integer)) and not isinstance(freq, bool):
        if freq <= 0:
            raise ValueError(f"validation_freq must be a positive integer or a list of "
                             f"epochs (from 1); got {freq!r}.")
        return lambda epoch: (epoch + 1) % freq == 0
    try:
        if isinstance(freq, (str, bytes)):
            raise TypeError(freq)
        epochs = {int(e) for e in freq}
    except (TypeError, ValueError):
        raise ValueError(f"validation_freq must be a positive integer or a list of epochs "
                         f"(from 1); got {freq!r}.") from None
    return lambda epoch: epoch + 1 in epochs


def _is_array_like(value) -> bool:
    return isinstance(value, (np.ndarray, Tensor)) or getattr(value, "_is_variable", False)


def _to_host(value):
    if isinstance(value, Tensor) or getattr(value, "_is_variable", False):
        return np.asarray(value)
    if isinstance(value, (list, float, int)) and not _is_nested_arrays(value):
        return np.asarray(value)
    return value


def _structure_to_host(value):
    # As Keras 2: a list of Python scalars (strings included) is one array of samples,
    # not a list of inputs.
    if isinstance(value, dict):
        return {k: _structure_to_host(v) for k, v in value.items()}
    if isinstance(value, list) and _is_list_of_scalars(value):
        return np.asarray(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_structure_to_host(v) for v in value)
    return _to_host(value)


def _is_list_of_scalars(value) -> bool:
    if isinstance(value, (str, bytes, int, float, bool)):
        return True
    return isinstance(value, list) and bool(value) and _is_list_of_scalars(value[0])


def _is_nested_arrays(value) -> bool:
    return isinstance(value, (list, tuple)) and value and all(
        _is_array_like(v) or isinstance(v, (list, tuple, dict)) for v in value)


def num_samples(arrays) -> int:
    """The common first dimension of every array in `arrays` (a nest), with a clear error
    when they differ or there are none."""
    sizes = {int(np.shape(a)[0]) for a in nest.flatten(arrays) if a is not None}
    if len(sizes) > 1:
        x, y = arrays if isinstance(arrays, tuple) and len(arrays) == 2 else (arrays, None)
        x_sizes = sorted({int(np.shape(a)[0]) for a in nest.flatten(x) if a is not None})
        y_sizes = sorted({int(np.shape(a)[0]) for a in nest.flatten(y) if a is not None})
        raise ValueError(f"x has {x_sizes} samples and y has {y_sizes} (the first "
                         f"dimension of each array); they must match.")
    if not sizes:
        raise ValueError("No data: x is empty or None.")
    return sizes.pop()


def train_validation_split(arrays, validation_split: float):
    """Splits the last `validation_split` fraction off each array (before shuffling)."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1); got {validation_split}.")
    n = num_samples(arrays)
    cut = int(math.floor(n * (1.0 - validation_split)))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={validation_split} of {n} samples leaves an empty "
                         "training or validation set.")
    first = nest.map_structure(lambda a: None if a is None else a[:cut], arrays)
    second = nest.map_structure(lambda a: None if a is None else a[cut:], arrays)
    return first, second


def check_dataset_is_batched(dataset, input_shapes, what: str) -> None:
    """Raises if `dataset` yields single examples where the model wants batches.

    Checked once per call of `fit`/`evaluate`/`predict`, from `element_spec` alone (no
    element is read): a dataset whose `x` has no unknown leading dimension looks unbatched,
    and if each of its shapes is the model's input shape without the batch axis, the
    user forgot `.batch(...)`.

    Args:
        dataset: an `engine.data.Dataset`.
        input_shapes: the model's input shapes (batch axis included), flat; None if unknown.
        what: the caller's name for the message ("fit", "evaluate", "predict").

    Raises:
        ShapeError: for elements that are the model's inputs minus the batch axis.
    """
    if not input_shapes:
        return
    x, _, _ = unpack_x_y_sample_weight(dataset.element_spec)
    specs = nest.flatten(x)
    if len(specs) != len(input_shapes) or not all(_is_example(spec.shape, want) for spec, want
                                                  in zip(specs, input_shapes)):
        return
    got = ", ".join(str(tuple(spec.shape.as_list())) for spec in specs)
    wanted = ", ".join(str((None, *s.as_list()[1:])) for s in input_shapes)
    raise ShapeError(f"{what}: the model expects inputs of shape {wanted} (batch axis first), "
                     f"but the Dataset yields unbatched elements of shape {got}: call "
                     f".batch(batch_size) on it before {what} (e.g. ds.batch(32)).")


def _is_example(shape, want) -> bool:
    """True if `shape` (from an element_spec) is one example of inputs of shape `want`."""
    if shape.rank is None or want.rank is None or shape.rank != want.rank - 1:
        return False
    dims = shape.as_list()
    if dims and dims[0] is None:  # an unknown leading dimension: a batch axis
        return False
    return all(d is None or w is None or d == w for d, w in zip(dims, want.as_list()[1:]))


class DataHandler:
    """Batches for one `fit`/`evaluate`/`predict` call, epoch by epoch.

    Args:
        x, y, sample_weight: the data (see the module docstring).
        batch_size: samples per batch for arrays (default 32).
        steps_per_epoch: batches per epoch (default: the whole data; required to bound
            infinite datasets and generators).
        shuffle: shuffle arrays each epoch (datasets shuffle themselves).
        class_weight: `{class: weight}` turned into sample weights from `y`.
        continuing: whether epochs of `steps_per_epoch` go on through longer data
            (fit's training data, TensorFlow's rule) rather than start it again (as
            validation does at every epoch).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, seed=None, continuing=False):
        self._steps = steps_per_epoch
        self._class_weight = class_weight
        self._continuing = continuing
        self._cursor = 0  # the next batch of the pass over arrays (`_array_slices`)
        self._yielded = False  # whether any batch came from the dataset or generator yet
        self.ran_out = False  # the last epoch found the data at its end (see `_iterate`)
        self.epoch_batches = None  # batches of the last epoch of a dataset or generator
        self._dataset = None
        self._iterator = None
        self._arrays = None
        from engine import data as _data  # noqa: PLC0415

        if isinstance(x, _data.Dataset):
            if y is not None or sample_weight is not None:
                raise ValueError("fit: with a Dataset, y and sample_weight come from the "
                                 "dataset's elements (x, y, sample_weight); do not pass them.")
            if batch_size is not None:
                raise ValueError("fit: do not give batch_size with a Dataset; batch the "
                                 "dataset instead (ds.batch(n)).")
            self._dataset = x
            # As in TensorFlow: a new iterator each epoch when the epoch is the whole
            # dataset; otherwise (steps_per_epoch over a repeated or longer dataset) one
            # iterator goes on across epochs, so each epoch sees the next batches.
            self._recreate = not continuing or steps_per_epoch is None or (
                int(steps_per_epoch) == x._node.cardinality())
            self._ongoing = None
        elif isinstance(x, _sequence.Sequence):  # len(x) batches an epoch, by index
            if y is not None or sample_weight is not None:
                raise ValueError("fit: a Sequence returns (x, y, sample_weight) batches "
                                 "itself; do not pass y or sample_weight.")
            self._iterator = _sequence.sequence_batches(x, shuffle, seed)
            self._steps = len(x) if steps_per_epoch is None else steps_per_epoch
        elif hasattr(x, "__next__") or (hasattr(x, "__iter__") and not isinstance(
                x, (np.ndarray, list, tuple, dict, Tensor))):
            if y is not None:
                raise ValueError("fit: a generator yields (x, y) itself; do not pass y.")
            self._iterator = iter(x)
        else:
            x, y, sample_weight = (_structure_to_host(v) if v is not None else None
                                   for v in (x, y, sample_weight))
            self._arrays = (x, y, sample_weight)
            self._n = num_samples((x, y))
            self._batch_size = 32 if batch_size is None else int(batch_size)
            if self._batch_size <= 0:
                raise ValueError(f"batch_size must be positive; got {batch_size}.")
            self._shuffle = shuffle
            if seed is None and shuffle:
                # Drawn from engine.random, so engine.random.set_seed makes shuffles repeat.
                from engine import dtypes as _dt  # noqa: PLC0415
                from engine.ops import random_ops  # noqa: PLC0415

                seed = int(random_ops.uniform([], 0, 2**31 - 1, dtype=_dt.int64))
            self._rng = np.random.default_rng(seed)
            if sample_weight is not None:
                for sw in nest.flatten(sample_weight):
                    if sw is not None and np.shape(sw)[0] != self._n:
                        raise ValueError(f"sample_weight has {np.shape(sw)[0]} entries for "
                                         f"{self._n} samples; give one weight per sample.")

    @property
    def dataset(self):
        """The `engine.data.Dataset` given as `x`, or None."""
        return self._dataset

    @property
    def steps_per_epoch(self) -> int | None:
        """Batches per epoch, if known."""
        if self._steps is not None:
            return int(self._steps)
        if self._arrays is not None:
            return int(math.ceil(self._n / self._batch_size))
        if self._dataset is not None:
            n = int(self._dataset.cardinality())
            return n if n >= 0 else None
        return None

    def epoch(self):
        """An iterator over one epoch's batches `(x, y, sample_weight)` as tensors.

        A Dataset is read ahead by a background thread (`Dataset.prefetch`, unless its
        last step is one already), so its input work (maps, file reads, a generator)
        overlaps the steps, as `tf.data`'s prefetching does in TensorFlow. Each epoch
        starts the dataset afresh when it is the whole dataset (no `steps_per_epoch`, or
        as many steps as the dataset has); otherwise an epoch goes on where the last one
        stopped, as a generator's do.

        Under an `engine.device` scope of a GPU (when `epoch()` is called), each batch's
        numeric tensors are copied there once, so that the step reads device inputs: no
        copy for each op that reads them, and a traced step can be captured as a CUDA
        graph. Strings stay on the CPU, as every string tensor does.
        """
        if self._arrays is not None:
            batches = self._array_batches()
        elif self._dataset is not None:
            if self._recreate:
                batches = self._iterate(iter(_read_ahead(self._dataset)))
            else:
                if self._ongoing is None:
                    self._ongoing = iter(_read_ahead(self._dataset))
                batches = self._iterate(self._ongoing)
        else:
            batches = self._iterate(self._iterator)
        scopes = THREAD.devices
        if not scopes or scopes[-1].device_type != "GPU":
            return batches
        device = scopes[-1]
        return (nest.map_structure(lambda t: _placed(t, device), batch) for batch in batches)

    def _array_slices(self):
        """`(start, stop, order)` of each batch of one epoch of arrays.

        The batches walk passes over the data (`ceil(n / batch_size)` batches, the last
        one partial), with a new shuffle order for each pass. Fit's training data goes on
        where the last epoch stopped (TensorFlow's rule, which matters when
        `steps_per_epoch` is not a whole pass); the others start a pass every epoch.
        """
        n, size = self._n, self._batch_size
        per_pass = math.ceil(n / size)
        if not self._continuing:
            self._cursor = 0
        for _ in range(self.steps_per_epoch):
            if self._cursor == 0:
                self._order = self._rng.permutation(n) if self._shuffle else None
            start = self._cursor * size
            self._cursor = (self._cursor + 1) % per_pass
            yield start, min(start + size, n), self._order

    def _array_batches(self):
        x, y, sw = self._arrays
        plain = self._class_weight is None and all(
            a is None or type(a) is np.ndarray for a in (x, y, sw))
        if plain:  # the common case: plain arrays, sliced without the nesting machinery
            for start, stop, order in self._array_slices():
                if order is None:
                    yield tuple(None if a is None else wrap(np.ascontiguousarray(a[start:stop]))
                                for a in (x, y, sw))
                else:
                    idx = order[start:stop]
                    yield tuple(None if a is None else wrap(a.take(idx, axis=0))
                                for a in (x, y, sw))
            return
        for start, stop, order in self._array_slices():
            if order is None:
                take = (lambda a, s=start, e=stop: None if a is None else _tensor(a[s:e]))
            else:
                idx = order[start:stop]
                take = (lambda a, i=idx: None if a is None else _tensor(np.take(a, i, axis=0)))
            bx = nest.map_structure(take, x)
            by = nest.map_structure(take, y) if y is not None else None
            bsw = nest.map_structure(take, sw) if sw is not None else None
            if self._class_weight is not None and by is not None:
                bsw = _apply_class_weight(by, bsw, self._class_weight)
            yield bx, by, bsw

    def ran_out_message(self, what: str, epoch: int, epochs: int) -> str:
        """The warning for `ran_out`: where the data ended and how much `what` needs."""
        steps = self._steps
        where = (f"after {self.epoch_batches} of the {steps} steps of epoch {epoch + 1}"
                 if self.epoch_batches else f"at the start of epoch {epoch + 1}")
        need = (f"steps_per_epoch * epochs = {steps * epochs} batches" if steps
                else "a full pass of the data for every epoch")
        return (f"{what}: the training data ran out {where}; training stops here (the "
                f"weights and history so far are kept). Give at least {need}: "
                "ds.repeat() for a dataset, a generator that does not end, or fewer "
                "steps_per_epoch.")

    def _iterate(self, iterator):
        steps = self._steps
        k = 0
        self.ran_out = False
        while steps is None or k < steps:
            try:
                element = next(iterator)
            except StopIteration:
                if k == 0 and not self._yielded:
                    raise ValueError("The dataset or generator yielded no batches; check "
                                     "that it is not empty.") from None
                # Fewer batches than steps_per_epoch, or none for this epoch: an iterator
                # that goes on across epochs (a generator, a dataset with steps) has ended.
                self.ran_out = k == 0 or steps is not None
                self.epoch_batches = k
                return
            self._yielded = True
            bx, by, bsw = unpack_x_y_sample_weight(element)
            bx, by, bsw = (None if v is None else nest.map_structure(_tensor, v)
                           for v in (bx, by, bsw))
            if self._class_weight is not None and by is not None:
                bsw = _apply_class_weight(by, bsw, self._class_weight)
            yield bx, by, bsw
            k += 1
        self.epoch_batches = k


def _tensor(value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return wrap(np.ascontiguousarray(value))
    return convert_to_tensor(value)


def _read_ahead(dataset):
    """`dataset` with a read-ahead thread at its end (`Dataset.prefetch(AUTOTUNE)`)."""
    from engine.data.buffering import PrefetchNode  # noqa: PLC0415 - as in __init__
    from engine.data.node import AUTOTUNE  # noqa: PLC0415

    return dataset if isinstance(dataset._node, PrefetchNode) else dataset.prefetch(AUTOTUNE)


def _placed(value, device):
    if isinstance(value, Tensor) and value._value.dtype.kind in "biufc":
        return value._to(device)
    return value


def _apply_class_weight(y, sample_weight, class_weight: dict):
    labels = np.asarray(nest.flatten(y)[0])
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(-1)
    labels = labels.reshape(labels.shape[0], -1)[:, 0].astype(np.int64)
    table = np.ones(max(int(labels.max(initial=0)) + 1, max(class_weight) + 1), np.float32)
    for cls, w in class_weight.items():
        table[int(cls)] = w
    weights = table[labels]
    if sample_weight is not None:
        weights = weights * np.asarray(nest.flatten(sample_weight)[0]).reshape(-1)
    return wrap(weights.astype(np.float32))
