"""`Discretization`: buckets numbers by boundaries, given or learned as quantiles by `adapt`.

`adapt` keeps Keras 2's streaming quantile summary: a `(2, k)` array of sorted values and
their weights (how many inputs each stands for).
- A batch is summarized by sorting it and keeping every `step`-th value with weight
  `step`, where `step = max(1, int(size * epsilon))`, so a summary has about `1/epsilon`
  entries.
- Compressing to accuracy `e` interpolates, at the cumulative-weight fractions
  `e, 2e, ..., 1`, the values and the cumulative weights (summaries shorter than `1/e`
  are kept as they are).
- The bin boundaries are the values of the summary compressed to `1/num_bins`, without
  the last one.
- Two summaries merge into the sorted union of their values, where the cumulative weight
  is the sum of both summaries' cumulative weights, each interpolated at that value.
  Keras 2 instead concatenates the entries and re-sorts them, which counts none of an
  entry's weight at values of the other summary below it; over many small batches (its
  default batch size is 32) that drifts every boundary upwards (by 0.3 standard
  deviations for the median of 20000 normal values in batches of 32). Data adapted in
  one batch gets exactly Keras' boundaries.
The boundaries go
into a non-trainable weight (`bin_boundaries`, shape `(num_bins - 1,)`, NaN until
adapted; fewer learned boundaries are padded with +inf, which changes no bucket of a
finite value), read by traced functions when they run. Bucketing is a binary search with
engine ops; boundaries are float32, as in TensorFlow's Bucketize.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.keras.layers.preprocessing.category_encoding import (
    COUNT,
    INT,
    MULTI_HOT,
    ONE_HOT,
    encode_categorical,
)
from engine.keras.layers.preprocessing.host import host_array
from engine.keras.layers.preprocessing.preprocessing_layer import (
    PreprocessingLayer,
    check_output_mode,
)
from engine.keras.layers.preprocessing.search import searchsorted
from engine.ops import math_ops

__all__ = ["Discretization"]

_THREAD = context.THREAD


def summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """The `(2, k)` quantile summary (values, weights) of a batch."""
    values = np.sort(values.reshape(-1).astype(np.float32))
    step = int(len(values) * epsilon)  # Keras: size / (1 / epsilon), truncated
    start, stride = step, max(step, 1)
    kept = values[start::stride]
    return np.stack([kept, np.full(kept.shape, float(stride), np.float32)])


def compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Compresses a summary to about `1 / epsilon` entries."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_fractions = cum_weights / cum_weights[-1]
    values = np.interp(fractions, cum_fractions, summary[0])
    cum_weights = np.interp(fractions, cum_fractions, cum_weights)
    weights = np.diff(cum_weights, prepend=0.0)
    return np.stack([values, weights]).astype(np.float32)


def merge_summaries(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    """One summary of the data of two.

    At every value of either summary, the merged cumulative weight is the sum of both
    summaries' cumulative weights there, each interpolated between its own entries.
    """
    if first.shape[1] == 0 or second.shape[1] == 0:
        merged = second if first.shape[1] == 0 else first
        return compress(merged, epsilon)
    values = np.sort(np.concatenate([first[0], second[0]]), kind="stable")
    cumulative = np.zeros(len(values))
    for summary in (first, second):
        cumulative += np.interp(values, summary[0], summary[1].cumsum(), left=0.0)
    merged = np.stack([values, np.diff(cumulative, prepend=0.0)]).astype(np.float32)
    return compress(merged, epsilon)


class Discretization(PreprocessingLayer):
    """Buckets numbers into ranges: bucket `i` holds `boundaries[i-1] <= x < boundaries[i]`.

    Args:
        bin_boundaries: sorted boundaries; `[0., 1., 2.]` makes the buckets `(-inf, 0)`,
            `[0, 1)`, `[1, 2)` and `[2, inf)`. Do not call `adapt` then.
        num_bins: the number of buckets whose boundaries `adapt` learns as quantiles.
        epsilon: the quantile summary's error tolerance (smaller is more precise).
        output_mode: "int" (bucket indices, int64), "one_hot", "multi_hot" or "count".
        sparse: only False.

    Example:
        >>> x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])
        >>> engine.keras.layers.Discretization(bin_boundaries=[0., 1., 2.])(x).numpy()
        array([[0, 2, 3, 1],
               [1, 3, 2, 1]])
        >>> layer = engine.keras.layers.Discretization(num_bins=4, epsilon=0.01)
        >>> layer.adapt(x)
        >>> layer(x).numpy()
        array([[0, 2, 3, 2],
               [1, 3, 3, 1]])
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode=INT,
                 sparse=False, **kwargs):
        output_mode = check_output_mode("Discretization", output_mode,
                                        (INT, ONE_HOT, MULTI_HOT, COUNT))
        dtype = kwargs.get("dtype")
        if dtype is None or (output_mode == INT and not _dt.as_dtype(dtype).is_integer):
            from engine.keras import backend  # noqa: PLC0415

            kwargs["dtype"] = "int64" if output_mode == INT else backend.floatx()
        super().__init__(**kwargs)
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Discretization: give bin_boundaries or num_bins, not both; got "
                             f"num_bins={num_bins!r} and bin_boundaries={bin_boundaries!r}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: give bin_boundaries (fixed buckets) or num_bins "
                             "(buckets learned by adapt).")
        if num_bins is not None and (not isinstance(num_bins, (int, np.integer))
                                     or num_bins < 1):
            raise ValueError(f"Discretization: num_bins must be a positive integer; got "
                             f"{num_bins!r}.")
        if not 0 < float(epsilon) < 1:
            raise ValueError(f"Discretization: epsilon must be in (0, 1); got {epsilon!r}.")
        if sparse:
            raise ValueError("Discretization: sparse=True is not supported (the engine has no "
                             "sparse tensors); use sparse=False.")
        self.output_mode = output_mode
        self.sparse = False
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = float(epsilon)
        self.input_bin_boundaries = None
        if bin_boundaries is not None:
            boundaries = np.asarray(host_array(bin_boundaries), np.float64).reshape(-1)
            if np.any(np.diff(boundaries) < 0):
                raise ValueError(f"Discretization: bin_boundaries must be sorted ascending; "
                                 f"got {boundaries.tolist()}.")
            self.input_bin_boundaries = boundaries.tolist()
            self._fixed = boundaries.astype(np.float32)
        self._summary = None

    @property
    def bin_boundaries(self) -> list:
        """The boundaries in use (given, or learned by `adapt`; empty before it)."""
        if self.input_bin_boundaries is not None:
            return list(self.input_bin_boundaries)
        if not self.built:
            return []
        values = np.asarray(self.boundaries.numpy())
        return [float(v) for v in values if np.isfinite(v)]

    def build(self, input_shape):
        if self.input_bin_boundaries is None:
            size = self.num_bins - 1

            def unadapted(shape, dtype=None):
                return np.full(shape, np.nan, np.float32)

            self.boundaries = self.add_weight("bin_boundaries", shape=(size,), dtype="float32",
                                              initializer=unadapted, trainable=False)
        self.built = True

    def _depth(self) -> int:
        if self.input_bin_boundaries is not None:
            return len(self.input_bin_boundaries) + 1
        return self.num_bins

    def call(self, inputs):
        dtype = inputs.dtype
        if not (dtype.is_floating or dtype.is_integer):
            raise TypeError(f"{self.name}: expected numeric inputs; got a {dtype.name} "
                            "tensor.")
        if dtype is not _dt.float32 and dtype is not _dt.float64:
            inputs = math_ops.cast(inputs, _dt.float64 if dtype.is_integer else _dt.float32)
        if self.input_bin_boundaries is not None:
            boundaries, size = self._fixed.astype(inputs.dtype.as_numpy_dtype), len(self._fixed)
        else:
            if _THREAD.graph is None:
                self._check_adapted()
            boundaries, size = self.boundaries, self.num_bins - 1
            if inputs.dtype is not _dt.float32:
                boundaries = math_ops.cast(boundaries, inputs.dtype)
        buckets = searchsorted(boundaries, inputs, size, side="right")
        if self.output_mode == INT:
            return buckets if self._dtype is _dt.int64 else math_ops.cast(buckets, self._dtype)
        return encode_categorical(buckets, self.output_mode, self._depth(), self._dtype,
                                  self.name)

    def _check_adapted(self) -> None:
        if self.num_bins > 1 and np.isnan(np.asarray(self.boundaries.numpy())).any():
            raise RuntimeError(f"{self.name}: the bin boundaries are not learned yet. Call "
                               "adapt(data) first, pass bin_boundaries=, or restore adapted "
                               "weights with set_weights/load_weights.")

    # --- adapt --------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Forgets the quantile summary gathered so far."""
        self._summary = np.zeros((2, 0), np.float32)

    def update_state(self, data) -> None:
        """Merges one batch into the quantile summary.

        Args:
            data: a batch of numbers (array or tensor).
        """
        if self.input_bin_boundaries is not None:
            raise ValueError(f"{self.name}: cannot adapt a Discretization layer created with "
                             "bin_boundaries; create it with num_bins to learn them.")
        array = host_array(data)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: adapt needs numeric data; got values of dtype "
                            f"{array.dtype}.")
        if self._summary is None:
            self.reset_state()
        batch = summarize(array, self.epsilon)
        self._summary = merge_summaries(batch, self._summary, self.epsilon)

    def finalize_state(self) -> None:
        """Computes the boundaries from the summary into the `bin_boundaries` weight."""
        if self.input_bin_boundaries is not None or self._summary is None:
            return
        if self._summary.shape[1] == 0:
            raise ValueError(f"{self.name}: adapt got no data (every batch was empty).")
        learned = compress(self._summary, 1.0 / self.num_bins)[0, :-1]
        size = self.num_bins - 1
        padded = np.full(size, np.inf, np.float32)
        padded[:min(size, len(learned))] = learned[:size]
        self.boundaries.assign(padded)
        self._summary = None

    def get_config(self) -> dict:
        """The layer's arguments (learned boundaries are the `bin_boundaries` weight)."""
        config = super().get_config()
        config.update({"bin_boundaries": self.input_bin_boundaries, "num_bins": self.num_bins,
                       "epsilon": self.epsilon, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config
