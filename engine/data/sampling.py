"""Mixing datasets: `sample_from_datasets`, `choose_from_datasets` and `rejection_resample`.

`choose_from_datasets` reads a dataset of indices and yields the next element of the
dataset each index names. `sample_from_datasets` is the same with random indices, drawn
from `weights`. When a chosen dataset has ended, the mix either stops
(`stop_on_empty_dataset=True`) or skips that index and goes on until every dataset has
ended, so the remaining datasets share the draws in proportion to their weights.

`rejection_resample` keeps each element of class `c` with probability proportional to
`target_dist[c] / initial_dist[c]`, so the kept elements follow `target_dist`. Without
`initial_dist` the class frequencies seen so far stand in for it. Random draws follow
the seeding rules of `engine.data.counters`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.data import recovery, structure
from engine.data.counters import SeededNode
from engine.data.functions import UserFunction
from engine.data.node import INFINITE, UNKNOWN, Node, close, first_element
from engine.errors import InvalidArgumentError
from engine.tensor import Tensor, wrap
from engine.tensor_shape import TensorSpec

__all__ = ["Sampling"]

_END = object()


def _distribution(values, what: str, name: str, size: int | None) -> np.ndarray:
    """A probability vector of `size` entries (any number for None), checked."""
    array = np.asarray(values.numpy() if hasattr(values, "numpy") else values, np.float64)
    size = array.size if size is None and array.ndim == 1 else size
    if array.shape != (size,):
        raise ValueError(f"{what}: {name} has shape {array.shape}; expected ({size},), one "
                         "probability per dataset or class.")
    if (array < 0).any() or not np.isfinite(array).all() or array.sum() <= 0:
        raise ValueError(f"{what}: {name} must be finite, non-negative and not all zero; "
                         f"got {array.tolist()}.")
    return array


class DirectedInterleaveNode(Node):
    """The next element of the dataset each element of `selector` names (see the module)."""

    kind = "DirectedInterleaveDataset"

    def __init__(self, selector: Node, datasets: list, stop_on_empty: bool, what: str):
        self.inputs = (selector, *datasets)
        self.stop_on_empty = stop_on_empty
        self.what = what
        spec = datasets[0].element_spec
        for i, node in enumerate(datasets[1:], 1):
            try:
                spec = structure.relax(spec, node.element_spec, what)
            except TypeError as err:
                raise TypeError(f"{what}: dataset {i} does not fit dataset 0: {err} Give "
                                "datasets with the same structure and dtypes.") from None
        self._relaxed = spec

    def _spec(self):
        return self._relaxed

    def cardinality(self) -> int:
        counts = [n.cardinality() for n in self.inputs[1:]]
        if INFINITE not in counts or (self.stop_on_empty and any(c >= 0 for c in counts)):
            return UNKNOWN
        return INFINITE

    def iterate(self, options):
        selector = self.inputs[0].iterate(options)
        sources = [n.iterate(options) for n in self.inputs[1:]]
        alive = len(sources)
        try:
            for choice in selector:
                index = int(structure.host_array(choice))
                if not 0 <= index < len(sources):
                    raise InvalidArgumentError(f"{self.what}: the choice {index} is out of "
                                               f"range; expected an index in [0, "
                                               f"{len(sources)}) of the datasets.")
                if sources[index] is None:
                    continue
                value = next(sources[index], _END)
                if value is not _END:
                    yield value
                    continue
                if self.stop_on_empty:
                    return
                sources[index], alive = None, alive - 1
                if not alive:
                    return
        finally:
            close(selector)
            for source in sources:
                if source is not None:
                    close(source)


class CategoricalNode(SeededNode):
    """Endless random int64 indices, drawn from fixed weights or a dataset of weights."""

    kind = "CategoricalDataset"

    def __init__(self, weights, weights_node, seed, rerandomize):
        super().__init__(seed, rerandomize, "Dataset.sample_from_datasets")
        self.weights = weights  # a probability vector, or None with weights_node
        self.inputs = () if weights_node is None else (weights_node,)

    def _spec(self):
        return TensorSpec([], _dt.int64)

    def cardinality(self) -> int:
        return self.inputs[0].cardinality() if self.inputs else INFINITE

    def iterate(self, options):
        rng = self._rng()
        if not self.inputs:
            cdf = np.cumsum(self.weights / self.weights.sum())
            while True:
                draws = np.searchsorted(cdf, rng.random(1024) * cdf[-1], side="right")
                for index in np.minimum(draws, len(cdf) - 1):
                    yield wrap(np.array(index, np.int64))
        source = self.inputs[0].iterate(options)
        try:
            for weights in source:
                cdf = np.cumsum(_distribution(structure.host_array(weights),
                                              "Dataset.sample_from_datasets", "weights",
                                              len(structure.host_array(weights))))
                index = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")),
                            len(cdf) - 1)
                yield wrap(np.array(index, np.int64))
        finally:
            close(source)


def _datasets(datasets, what: str) -> list:
    from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this

    if isinstance(datasets, Dataset) or not isinstance(datasets, (list, tuple)) or not datasets:
        raise TypeError(f"{what}: datasets must be a non-empty list of Datasets; got "
                        f"{datasets!r}.")
    for i, dataset in enumerate(datasets):
        if not isinstance(dataset, Dataset):
            raise TypeError(f"{what}: datasets[{i}] is a {type(dataset).__name__}; expected "
                            "a Dataset.")
    return [d._node for d in datasets]


class RejectionResampleNode(SeededNode):
    kind = "RejectionResampleDataset"

    def __init__(self, node: Node, class_func, target, initial, seed):
        what = "Dataset.rejection_resample"
        super().__init__(seed, False, what)
        self.inputs = (node,)
        self.fn = UserFunction(class_func, node.element_spec, f"{what} (class_func)",
                               lambda: first_element(node, what))
        if not self.fn.eager:
            spec = self.fn.output_spec
            if (not isinstance(spec, TensorSpec) or spec.dtype not in (_dt.int32, _dt.int64)
                    or spec.shape.rank not in (0, None)):
                raise TypeError(f"{what}: class_func must return a scalar int32 or int64 "
                                f"class; it returns {spec}. Cast it with engine.cast.")
        self.target, self.initial = target, initial

    def _spec(self):
        return (self.fn.output_spec, self.inputs[0].element_spec)

    def iterate(self, options):
        rng, target = self._rng(), self.target
        counts = np.zeros(len(target))
        fn = recovery.guarded(self.fn, options, "Dataset.rejection_resample")
        source = self.inputs[0].iterate(options)
        try:
            for element in source:
                label = fn(element)
                if label is recovery.SKIPPED:
                    continue
                c = self._class(label)
                counts[c] += 1
                initial = counts / counts.sum() if self.initial is None else self.initial
                if initial[c] == 0:
                    raise InvalidArgumentError(f"Dataset.rejection_resample: an element has "
                                               f"class {c}, whose initial_dist probability "
                                               "is 0. Fix initial_dist, or leave it out to "
                                               "estimate it from the data.")
                seen = initial > 0
                ratios = target[seen] / initial[seen]
                if rng.random() * ratios.max() < target[c] / initial[c]:
                    yield label, element
        finally:
            close(source)

    def _class(self, label: Tensor) -> int:
        value = structure.host_array(label)
        if value.size != 1 or value.dtype.kind not in "iu":
            raise TypeError(f"Dataset.rejection_resample: class_func returned {label!r}; "
                            "expected a scalar integer class.")
        c = int(value)
        if not 0 <= c < len(self.target):
            raise InvalidArgumentError(f"Dataset.rejection_resample: class_func returned "
                                       f"class {c}; expected a class in [0, "
                                       f"{len(self.target)}), one per entry of target_dist.")
        return c


class Sampling:
    """Mixing and resampling (a mixin of `engine.data.Dataset`)."""

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        """Mixes datasets at random: each element comes from dataset `i` with `weights[i]`.

        Args:
            datasets: a non-empty list of datasets with the same structure and dtypes.
            weights: one non-negative weight per dataset (normalized), a `Dataset` of such
                weight vectors (one per element), or None for equal weights.
            seed: the op seed; with it (or a global seed) the mix is reproducible.
            stop_on_empty_dataset: end when a chosen dataset has ended, instead of going
                on with the others until all have ended.
            rerandomize_each_iteration: a new mix on every iteration (default False:
                every iteration repeats the first one's choices).

        Returns:
            A `Dataset`; infinite if an input is, else of unknown cardinality.

        Raises:
            ValueError: if `weights` does not have one entry per dataset.

        Example:
            >>> a = engine.data.Dataset.from_tensors(np.int64(0)).repeat()
            >>> b = engine.data.Dataset.from_tensors(np.int64(1)).repeat()
            >>> ds = engine.data.Dataset.sample_from_datasets([a, b], [0.9, 0.1], seed=1)
            >>> bool(0.8 < 1 - np.mean([int(x) for x in ds.take(1000)]) < 1.0)
            True
        """
        from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this

        what = "Dataset.sample_from_datasets"
        nodes = _datasets(datasets, what)
        weights_node = None
        if isinstance(weights, Dataset):
            spec = weights.element_spec
            if (not isinstance(spec, TensorSpec) or spec.dtype not in (_dt.float32, _dt.float64)
                    or spec.shape.as_list() not in ([len(nodes)], [None])):
                raise TypeError(f"{what}: a weights dataset must hold float vectors of "
                                f"length {len(nodes)}; it holds {spec}.")
            weights, weights_node = None, weights._node
        elif weights is None:
            weights = np.ones(len(nodes))
        else:
            try:
                weights = _distribution(weights, what, "weights", len(nodes))
            except ValueError as err:
                raise ValueError(f"{err} Give one weight per dataset (len(datasets) = "
                                 f"{len(nodes)}).") from None
        selector = CategoricalNode(weights, weights_node, seed, rerandomize_each_iteration)
        return Dataset._new(DirectedInterleaveNode(selector, nodes,
                                                   bool(stop_on_empty_dataset), what))

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        """Mixes datasets in a given order: element k comes from dataset `choices[k]`.

        Args:
            datasets: a non-empty list of datasets with the same structure and dtypes.
            choice_dataset: a dataset of scalar int64 indices into `datasets`.
            stop_on_empty_dataset: end when a chosen dataset has ended (the default),
                instead of skipping its indices.

        Returns:
            A `Dataset` of unknown cardinality (infinite if a dataset and the choices are).

        Raises:
            TypeError: if `choice_dataset` does not hold scalar int64 tensors.
            InvalidArgumentError: while iterating, for an index out of range.

        Example:
            >>> a = engine.data.Dataset.range(3)
            >>> b = engine.data.Dataset.range(10, 13)
            >>> choices = engine.data.Dataset.from_tensor_slices(np.array([0, 1, 1, 0]))
            >>> ds = engine.data.Dataset.choose_from_datasets([a, b], choices)
            >>> [int(x) for x in ds]
            [0, 10, 11, 1]
        """
        from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this

        what = "Dataset.choose_from_datasets"
        nodes = _datasets(datasets, what)
        spec = getattr(choice_dataset, "element_spec", None)
        if not isinstance(choice_dataset, Dataset) or spec != TensorSpec([], _dt.int64):
            raise TypeError(f"{what}: choice_dataset must be a Dataset of scalar int64 "
                            f"indices; got {spec if spec is not None else choice_dataset!r}. "
                            "Map it with engine.cast(x, engine.int64).")
        return Dataset._new(DirectedInterleaveNode(choice_dataset._node, nodes,
                                                   bool(stop_on_empty_dataset), what))

    def rejection_resample(self, class_func, target_dist, initial_dist=None, seed=None,
                           name=None):
        """Resamples the elements so that their classes follow `target_dist`.

        Elements are dropped at random (never repeated): class `c` is kept with a
        probability proportional to `target_dist[c] / initial_dist[c]`.

        Args:
            class_func: a function from an element to its class, a scalar int32 or int64
                in `[0, len(target_dist))` (traced).
            target_dist: the wanted class probabilities (non-negative, summing to 1).
            initial_dist: the input's class probabilities; None estimates them from the
                classes seen so far.
            seed: the op seed; with it (or a global seed) the choices are reproducible,
                and every iteration makes the same ones.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of `(class, element)` pairs, of unknown cardinality.

        Raises:
            ValueError: if a distribution is not a probability vector.

        Example:
            >>> ds = engine.data.Dataset.range(4000).rejection_resample(
            ...     lambda x: engine.cast(x % 4 == 0, engine.int64), [0.5, 0.5],
            ...     initial_dist=[0.75, 0.25], seed=3)
            >>> classes = [int(c) for c, x in ds]
            >>> bool(0.45 < np.mean(classes) < 0.55)
            True
        """
        what = "Dataset.rejection_resample"
        target = _distribution(target_dist, what, "target_dist", None)
        if abs(target.sum() - 1) > 1e-3:
            raise ValueError(f"{what}: target_dist must sum to 1; got {target.tolist()} "
                             f"(sum {target.sum():g}). Divide it by its sum.")
        initial = None
        if initial_dist is not None:
            initial = _distribution(initial_dist, what, "initial_dist", len(target))
            if abs(initial.sum() - 1) > 1e-3:
                raise ValueError(f"{what}: initial_dist must sum to 1; got "
                                 f"{initial.tolist()} (sum {initial.sum():g}).")
        return self._new(RejectionResampleNode(self._node, class_func, target, initial, seed))
