"""`ProfileCallback`: profiles a range of training batches during `fit`.

Like TensorFlow's `TensorBoard(profile_batch=(start, stop))`, batches are counted from 1
across epochs (the first batch of `fit` is batch 1), and the range is inclusive. The
profile starts in `on_train_batch_begin` of batch `start`, marks one step per batch
(named `"batch <n>"`), and stops in `on_train_batch_end` of batch `stop`, so nothing is
subscribed to the engine outside that range. If `fit` ends inside the range (fewer
batches, `stop_training`, an interrupt), `on_train_end` stops it. If `fit` raises, the
training loop calls no further hook: call `callback.close()` (the listener would
otherwise stay subscribed, leaving dispatch on its slow path).

The first profiled batch of a traced train step also compiles the executor's instrumented
program (once per traced function, a few milliseconds), so that step reads slower than
the others; start the range a batch early and skip it, as TensorFlow's default
`profile_batch=2` skips the first batch's tracing.
"""

from __future__ import annotations

import datetime
import os
import socket
import warnings

from engine.keras.callbacks import Callback
from profiler.profile import Profile

__all__ = ["ProfileCallback"]


def _batch_range(batches) -> tuple[int, int]:
    """`batches` (an int, a pair, or `"start,stop"`) as an inclusive `(start, stop)`."""
    given = batches
    if isinstance(batches, str):
        try:
            batches = tuple(int(b) for b in batches.split(","))
        except ValueError:
            batches = None
    if isinstance(batches, int) and not isinstance(batches, bool):
        batches = (batches, batches)
    if (not isinstance(batches, (tuple, list)) or len(batches) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in batches)
            or not 1 <= batches[0] <= batches[1]):
        raise ValueError(f"ProfileCallback: got batches={given!r}; expected a batch number "
                         "n >= 1, or a pair (start, stop) with 1 <= start <= stop (batches "
                         "count from 1 across epochs, both ends included), e.g. "
                         "batches=(10, 20).")
    return int(batches[0]), int(batches[1])


class ProfileCallback(Callback):
    """A Keras callback that profiles training batches `start` to `stop` of `fit`.

    After `fit`, the profile is on `callback.profile` (a `profiler.Profile`, one step per
    batch); with `log_dir`, its Chrome trace is also written to
    `log_dir/plugins/profile/<date_time>/<host>.trace.json.gz` (TensorFlow's layout for
    profile runs), and `callback.trace_path` names the file.

    Args:
        batches: `(start, stop)`, counted from 1 across epochs, both included; or one
            batch number; or the string `"start,stop"`.
        log_dir: a directory for the Chrome trace, or None.
        memory: measure host memory too (`Profile(memory=True)`; slower).
        max_events: op events written in full to the trace; the rest are aggregated.

    Raises:
        ValueError: for a bad `batches` or `max_events`.

    Example:
        >>> keras = engine.keras
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> callback = profiler.ProfileCallback(batches=(2, 3))
        >>> _ = model.fit(np.ones((16, 4), "float32"), np.zeros((16, 2), "float32"),
        ...               batch_size=4, verbose=0, callbacks=[callback])
        >>> [s["name"] for s in callback.profile.steps()]
        ['batch 2', 'batch 3']
    """

    def __init__(self, batches=(10, 20), log_dir=None, memory: bool = False,
                 max_events: int | None = 100_000):
        super().__init__()
        if max_events is not None and (type(max_events) is not int or max_events < 1):
            raise ValueError(f"ProfileCallback: got max_events={max_events!r}; expected a "
                             "positive int, or None to write every event in full.")
        self.start_batch, self.stop_batch = _batch_range(batches)
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.memory = memory
        self.max_events = max_events
        self.profile: Profile | None = None
        self.trace_path: str | None = None
        self._batch = 0

    def on_train_begin(self, logs=None):
        """Resets the batch count (each `fit` counts from batch 1)."""
        self.close()
        self.profile = None
        self.trace_path = None
        self._batch = 0

    def on_train_batch_begin(self, batch, logs=None):
        """Starts the profile at batch `start`; marks a step per batch in the range."""
        self._batch += 1
        if self._batch == self.start_batch:
            self.profile = Profile(memory=self.memory).start()
            self.trace_path = None
        if self.profile is not None and self.profile.recording:
            self.profile.step(f"batch {self._batch}")

    def on_train_batch_end(self, batch, logs=None):
        """Stops the profile after batch `stop`."""
        if self._batch == self.stop_batch:
            self._finish()

    def on_train_end(self, logs=None):
        """Stops a profile still running (fit ended inside the range); warns if none ran."""
        if self.profile is not None and self.profile.recording:
            self._finish()
        elif self._batch < self.start_batch:
            warnings.warn(f"ProfileCallback: fit ran {self._batch} batches, so batches "
                          f"{self.start_batch}..{self.stop_batch} were never reached and "
                          "nothing was profiled. Choose a range within the batches fit "
                          "runs.", stacklevel=2)

    def close(self) -> None:
        """Stops a profile that is still recording (e.g. after `fit` raised)."""
        if self.profile is not None and self.profile.recording:
            self.profile.stop()

    def _finish(self) -> None:
        self.profile.stop()
        if self.log_dir is not None:
            run = datetime.datetime.now().strftime("%Y_%m_%d_%H_%M_%S")
            host = socket.gethostname() or "localhost"
            path = os.path.join(self.log_dir, "plugins", "profile", run,
                                f"{host}.trace.json.gz")
            self.trace_path = self.profile.export_chrome_trace(path, self.max_events)
