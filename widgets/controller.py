"""`TrainingController`: the dashboard's logic, in plain Python (no widgets, no kernel).

The dashboard splits into this controller and a view (ipywidgets + plotly, or text). The
controller is what the unit tests drive: it follows `fit` (train, epoch and batch begin
and end), keeps the chart history bounded (`MinMaxSeries`), measures step time, ETA and
throughput with an injectable clock, and holds the state machine of the controls:

    idle --train_begin--> running --pause--> paused --resume--> running
                             |                 | step                ^
                             |                 v                     |
                             |              stepping --batch_end--> paused
                             +--stop (from running, paused, stepping)--> stopping
    train_end: stopping -> stopped; any other state -> finished

`stepping` lets exactly one batch run: the next `batch_end` pauses again. A command that
does not apply in the current state (Step while running) is ignored and returns False.
Time spent paused is left out of the ETA and the throughput.

`Progress` (widgets.progress) is the snapshot views draw; `Throttle` (widgets.throttle)
caps how often they redraw and how often UI events are polled.
"""

from __future__ import annotations

import numbers
import time
from collections import deque

from widgets.history import MinMaxSeries
from widgets.progress import Progress

__all__ = ["TrainingController", "STATES"]

STATES = ("idle", "running", "paused", "stepping", "stopping", "stopped", "finished")
_ACTIVE = ("running", "paused", "stepping", "stopping")
_RATE_WINDOW = 64  # batches over which throughput is measured


class TrainingController:
    """Follows a `fit`, keeps bounded chart history, and runs the controls' state machine.

    Args:
        max_points: the most points kept (and drawn) per chart series.
        clock: a function returning seconds (`time.perf_counter`; tests pass a fake one).

    Example:
        >>> now = [0.0]
        >>> controller = TrainingController(clock=lambda: now[0])
        >>> controller.train_begin(epochs=1, steps=4)
        >>> controller.epoch_begin(0)
        >>> for batch in range(2):
        ...     controller.batch_begin(batch)
        ...     now[0] += 0.5
        ...     controller.batch_end(batch, {"loss": 1.0 / (batch + 1)})
        >>> progress = controller.progress()
        >>> progress.batch, progress.step_time, progress.eta, progress.logs
        (2, 0.5, 1.0, {'loss': 0.5})
        >>> controller.pause(), controller.state
        (True, 'paused')
        >>> controller.step(), controller.state
        (True, 'stepping')
    """

    def __init__(self, max_points: int = 2000, clock=time.perf_counter):
        MinMaxSeries(max_points)  # validates max_points now, not at the first batch
        self.max_points = max_points
        self.clock = clock
        self.state = "idle"
        self.epochs = None
        self.steps = None
        self.samples_per_batch = None
        self._reset()

    # --- the controls -------------------------------------------------------------------
    def pause(self) -> bool:
        """Pauses after the current batch (from `running`).

        Returns:
            Whether the command applied.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.pause()  # nothing runs yet
            False
        """
        if self.state == "stepping":
            return True  # the step ends paused anyway
        if self.state != "running":
            return False
        self._set_state("paused")
        self._paused_since = self.clock()
        return True

    def resume(self) -> bool:
        """Continues training (from `paused` or `stepping`).

        Returns:
            Whether the command applied.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=1)
            >>> controller.pause(), controller.resume(), controller.state
            (True, True, 'running')
        """
        if self.state not in ("paused", "stepping"):
            return False
        self._end_pause()
        self._set_state("running")
        return True

    def step(self) -> bool:
        """Runs exactly one more batch, then pauses again (from `paused`).

        Returns:
            Whether the command applied.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=3)
            >>> controller.step()  # only while paused
            False
        """
        if self.state != "paused":
            return False
        self._end_pause()
        self._set_state("stepping")
        return True

    def stop(self) -> bool:
        """Ends training after the current batch (from `running`, `paused`, `stepping`).

        Returns:
            Whether the command applied.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=3)
            >>> controller.stop(), controller.stop_requested
            (True, True)
        """
        if self.state not in ("running", "paused", "stepping"):
            return False
        self._end_pause()
        self._set_state("stopping")
        return True

    def request_run_eagerly(self, run_eagerly: bool) -> bool:
        """Asks for `model.run_eagerly = run_eagerly` from the next batch on.

        The dashboard applies the request between batches (`take_run_eagerly_request`).

        Args:
            run_eagerly: True for eager execution, False for the traced graph.

        Returns:
            Whether the request was accepted (only while training).

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=3)
            >>> controller.request_run_eagerly(True), controller.take_run_eagerly_request()
            (True, True)
        """
        if self.state not in _ACTIVE:
            return False
        self._run_eagerly_request = bool(run_eagerly)
        self.revision += 1
        return True

    def take_run_eagerly_request(self) -> bool | None:
        """The pending `run_eagerly` request (None if none), cleared.

        Returns:
            True, False or None.

        Example:
            >>> TrainingController(clock=lambda: 0.0).take_run_eagerly_request() is None
            True
        """
        request, self._run_eagerly_request = self._run_eagerly_request, None
        return request

    @property
    def pending_run_eagerly(self) -> bool | None:
        """The `run_eagerly` request not applied yet (None if none)."""
        return self._run_eagerly_request

    @property
    def waiting(self) -> bool:
        """Whether training should wait here (paused between batches)."""
        return self.state == "paused"

    @property
    def stop_requested(self) -> bool:
        """Whether Stop was pressed (training must end after this batch)."""
        return self.state == "stopping"

    # --- following fit ------------------------------------------------------------------
    def train_begin(self, epochs: int | None, steps: int | None,
                    run_eagerly: bool | None = None) -> None:
        """Starts following a `fit`: resets the history and the state.

        Args:
            epochs: `fit`'s `epochs` (the epoch it stops at), or None.
            steps: batches per epoch, or None if unknown.
            run_eagerly: the model's `run_eagerly` at the start.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=3, steps=10)
            >>> controller.state, controller.progress().epochs
            ('running', 3)
        """
        self._reset()
        self.epochs, self.steps = epochs, steps
        self.run_eagerly = run_eagerly
        self._train_start = self.clock()
        self._set_state("running")

    def epoch_begin(self, epoch: int) -> None:
        """Notes that epoch `epoch` (0-based) starts.

        Args:
            epoch: the epoch's index.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=3, steps=10)
            >>> controller.epoch_begin(1)
            >>> controller.progress().epoch
            2
        """
        self.epoch = epoch
        self.batch = 0
        if self._first_epoch is None:
            self._first_epoch = epoch

    def batch_begin(self, batch: int, run_eagerly: bool | None = None) -> None:
        """Notes that a batch starts (its step time runs from here).

        Args:
            batch: the batch's index in the epoch.
            run_eagerly: the mode it runs in (recorded in `eager_changes` when it changes).

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=2, run_eagerly=False)
            >>> controller.batch_begin(0, run_eagerly=True)
            >>> controller.eager_changes
            [(0, True)]
        """
        self._batch_start = self.clock()
        if run_eagerly is not None and run_eagerly != self.run_eagerly:
            self.eager_changes.append((self.batches_done, bool(run_eagerly)))
            self.run_eagerly = bool(run_eagerly)

    def batch_end(self, batch: int, logs: dict | None, learning_rate: float | None = None
                  ) -> None:
        """Records a finished batch: its logs, learning rate and step time.

        Args:
            batch: the batch's index in the epoch.
            logs: the batch's logs (non-numbers are skipped).
            learning_rate: the optimizer's learning rate, if known.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=2)
            >>> controller.batch_begin(0)
            >>> controller.batch_end(0, {"loss": 0.5, "note": "text"})
            >>> sorted(controller.batch_metrics)
            ['loss']
        """
        now = self.clock()
        self.batches_done += 1
        self.batch = batch + 1
        x = self.batches_done
        if self._batch_start is not None:
            self.last_step_time = now - self._batch_start
            self.step_time.append(x, self.last_step_time)
            self._batch_start = None
        if learning_rate is not None:
            self.learning_rate.append(x, learning_rate)
            self.last_learning_rate = learning_rate
        self.logs = _numbers(logs)
        _append_all(self.batch_metrics, self.logs, x, self.max_points)
        self._recent.append((self._active_time(now), self.batches_done))
        if self.state == "stepping":
            self._set_state("paused")
            self._paused_since = now

    def epoch_end(self, epoch: int, logs: dict | None) -> None:
        """Records an epoch's results (`val_*` included), at the x of its last batch.

        Args:
            epoch: the epoch's index.
            logs: the epoch's logs.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=None)
            >>> controller.epoch_begin(0)
            >>> for batch in range(3):
            ...     controller.batch_end(batch, {"loss": 1.0})
            >>> controller.epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
            >>> controller.steps, sorted(controller.epoch_metrics)
            (3, ['loss', 'val_loss'])
        """
        self.epochs_done = epoch + 1  # counts the epochs before `initial_epoch` too
        if self.steps is None and self.batch:
            self.steps = self.batch  # learned from the first epoch (a generator, say)
        self.epoch_logs = _numbers(logs)
        _append_all(self.epoch_metrics, self.epoch_logs, self.batches_done, self.max_points)
        rate = self.epoch_logs.get("lr", self.epoch_logs.get("learning_rate"))
        if rate is not None and self.last_learning_rate is None:
            self.last_learning_rate = rate

    def train_end(self) -> None:
        """Notes that `fit` returned: the state becomes `stopped` (after Stop) or `finished`.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=3)
            >>> controller.stop(), controller.train_end(), controller.state
            (True, None, 'stopped')
        """
        self._end_pause()
        self._set_state("stopped" if self.state == "stopping" else "finished")

    # --- reading ------------------------------------------------------------------------
    def progress(self) -> Progress:
        """A snapshot of where training is, with ETA and throughput.

        Returns:
            A `Progress`.

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=2, steps=5)
            >>> controller.progress().eta is None  # no batch yet
            True
        """
        now = self.clock()
        per_second = self._batches_per_second()
        samples = None
        if per_second is not None and self.samples_per_batch:
            samples = per_second * self.samples_per_batch
        nonfinite = {name: series.first_nonfinite for name, series in
                     self.batch_metrics.items() if series.first_nonfinite is not None}
        return Progress(
            state=self.state, epoch=self.epoch + 1 if self._first_epoch is not None else 0,
            epochs=self.epochs, batch=self.batch, steps=self.steps,
            batches_done=self.batches_done, epochs_done=self.epochs_done,
            eta=self._eta(now), batches_per_second=per_second, samples_per_second=samples,
            step_time=self.last_step_time, learning_rate=self.last_learning_rate,
            run_eagerly=self.run_eagerly, logs=dict(self.logs),
            epoch_logs=dict(self.epoch_logs), nonfinite=nonfinite)

    def active_time(self) -> float:
        """Seconds since `train_begin`, not counting time spent paused.

        Returns:
            A float (0.0 before training).

        Example:
            >>> TrainingController(clock=lambda: 0.0).active_time()
            0.0
        """
        return self._active_time(self.clock())

    def __repr__(self) -> str:
        epochs = "?" if self.epochs is None else self.epochs
        return (f"TrainingController(state={self.state}, epochs={self.epochs_done}/{epochs}, "
                f"batches={self.batches_done})")

    # --- internals ----------------------------------------------------------------------
    def _reset(self) -> None:
        self.epoch = 0
        self.batch = 0
        self.batches_done = 0
        self.epochs_done = 0
        self.logs = {}
        self.epoch_logs = {}
        self.batch_metrics: dict[str, MinMaxSeries] = {}
        self.epoch_metrics: dict[str, MinMaxSeries] = {}
        self.learning_rate = MinMaxSeries(self.max_points)
        self.step_time = MinMaxSeries(self.max_points)
        self.last_step_time = None
        self.last_learning_rate = None
        self.run_eagerly = None
        self.eager_changes: list[tuple[int, bool]] = []
        self.revision = 0
        self._run_eagerly_request = None
        self._first_epoch = None
        self._batch_start = None
        self._train_start = None
        self._paused_total = 0.0
        self._paused_since = None
        self._recent = deque(maxlen=_RATE_WINDOW)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.revision += 1

    def _end_pause(self) -> None:
        if self._paused_since is not None:
            self._paused_total += self.clock() - self._paused_since
            self._paused_since = None

    def _active_time(self, now: float) -> float:
        if self._train_start is None:
            return 0.0
        paused = self._paused_total
        if self._paused_since is not None:
            paused += now - self._paused_since
        return now - self._train_start - paused

    def _batches_per_second(self) -> float | None:
        if len(self._recent) < 2:
            return None
        (t0, n0), (t1, n1) = self._recent[0], self._recent[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else None

    def _eta(self, now: float) -> float | None:
        if not self.batches_done or self.epochs is None or self.steps is None:
            return None
        remaining = (self.epochs - self.epoch - 1) * self.steps + max(self.steps - self.batch, 0)
        return self._active_time(now) / self.batches_done * max(remaining, 0)


def _numbers(logs) -> dict:
    """The entries of `logs` that are plain numbers, as floats."""
    out = {}
    for key, value in (logs or {}).items():
        if type(value) is float:  # what fit passes: the fast path
            out[key] = value
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def _append_all(series: dict, values: dict, x: float, max_points: int) -> None:
    for key, value in values.items():
        line = series.get(key)
        if line is None:
            line = series[key] = MinMaxSeries(max_points)
        line.append(x, value)
