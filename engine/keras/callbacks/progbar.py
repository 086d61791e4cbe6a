"""Text progress bars: `Progbar` draws one, `ProgbarLogger` drives it from `fit`.

The output looks like Keras':

    Epoch 2/5
     37/100 [==========>...................] - ETA: 1s - loss: 0.4512
    100/100 [==============================] - 2s 15ms/step - loss: 0.4107 - val_loss: 0.4420

with `verbose=1`, and one line per epoch with `verbose=2`:

    100/100 - 2s - loss: 0.4107 - val_loss: 0.4420 - 2s/epoch - 15ms/step

How often it prints (the rule that keeps notebooks readable):
- On a terminal (`sys.stdout.isatty()`), `verbose=1` redraws the bar in place with `\\r`,
  at most once per `interval` seconds (0.1 s: ten redraws a second), then ends the line
  with the final state.
- Anywhere else (Jupyter, a log file, captured output) every line stays, so `verbose=1`
  prints an intermediate line only when at least `LOG_INTERVAL` (10) seconds have passed
  since the last line and, with a known number of steps, the bar has reached a further
  quarter (25%, 50%, 75%): at most three intermediate lines and one final line per epoch,
  none but the final line for epochs shorter than ten seconds. With an unknown number of
  steps the gap doubles after each line (10 s, 20 s, 40 s, ...).
- `verbose=2` prints only the final line of each epoch.
Between prints, an update only adds the values to running sums and reads the clock; it
formats nothing.
"""

from __future__ import annotations

import numbers
import sys
import time

from engine.keras.callbacks.base import Callback
from engine.keras.callbacks.console import is_terminal, print_msg, write_line_end, write_partial

__all__ = ["Progbar", "ProgbarLogger"]

TERMINAL_INTERVAL = 0.1
LOG_INTERVAL = 10.0
_clock = time.monotonic
# Log keys that are bookkeeping, not results.
_NOT_SHOWN = frozenset({"batch", "size", "num_steps", "outputs"})


class Progbar:
    """A text progress bar with ETA, time per step and running metric values.

    Values named in `stateful_metrics` are shown as last given; the others are averaged
    over the updates so far, weighted by how far each update advanced. See the module
    docstring for how often it prints on a terminal and elsewhere.

    Args:
        target: the total number of steps (or samples), or None when unknown.
        width: the bar's width in characters.
        verbose: 0 (silent), 1 (a bar updated as it goes) or 2 (the final line only).
        interval: the least number of seconds between redraws on a terminal.
        stateful_metrics: names whose values are shown as given, not averaged.
        unit_name: the unit of `target` in the time per unit ("step" or "sample").

    Example:
        >>> bar = engine.keras.callbacks.Progbar(target=4, verbose=2)
        >>> for step in range(1, 5):
        ...     bar.update(step, [("loss", 1.0 / step)])  # doctest: +ELLIPSIS
        4/4 - ...s - loss: 0.5208 - ...s/epoch - ...s/step
    """

    def __init__(self, target, width: int = 30, verbose: int = 1,
                 interval: float = TERMINAL_INTERVAL, stateful_metrics=None,
                 unit_name: str = "step"):
        if target is not None:
            if not isinstance(target, numbers.Integral) or target < 0:
                raise ValueError(f"Progbar: target must be a non-negative int or None; got "
                                 f"target={target!r}.")
            target = int(target)
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._terminal = is_terminal(sys.stdout)
        self._start = _clock()
        self._values = {}  # name -> [weighted sum, weight]; weight None: shown as is
        self._seen = 0
        self._first = None  # (time, count) at the first update: excluded from step times
        self._last_print = float("-inf") if self._terminal else self._start
        self._drawn_width = 0
        self._quarter = 0
        self._log_lines = 0

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Moves the bar to `current` and records values.

        Args:
            current: the number of steps (or samples) done.
            values: `(name, value)` pairs (a list or a dict's `items()`).
            finalize: whether this is the last update (default: `current >= target`).

        Example:
            >>> bar = engine.keras.callbacks.Progbar(target=2, verbose=0)
            >>> bar.update(1, [("loss", 3.0)])
            >>> bar.update(2, [("loss", 1.0)])
            >>> bar.average("loss")
            2.0
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if values:
            self._record(current, values)
        self._seen = current
        if self.verbose == 0:
            return
        now = _clock()
        if self._first is None and current > 0:
            self._first = (now, current)
        if finalize:
            self._print_final(current, now)
        elif self.verbose == 1 and self._due(current, now):
            self._print_progress(current, now)

    def add(self, n: int, values=None) -> None:
        """Advances the bar by `n` and records values.

        Args:
            n: how many steps (or samples) were done since the last update.
            values: `(name, value)` pairs.

        Example:
            >>> bar = engine.keras.callbacks.Progbar(target=None, verbose=0)
            >>> bar.add(3)
            >>> bar.add(2)
            >>> bar.seen
            5
        """
        self.update(self._seen + n, values)

    @property
    def seen(self) -> int:
        """The number of steps (or samples) done so far."""
        return self._seen

    def average(self, name: str):
        """The value shown for `name`: its running average, or its last value if stateful.

        Args:
            name: a value's name.

        Returns:
            A float (or the value as given, for non-numbers).

        Raises:
            KeyError: for a name never given.

        Example:
            >>> bar = engine.keras.callbacks.Progbar(target=2, verbose=0,
            ...                                      stateful_metrics=["lr"])
            >>> bar.update(1, [("lr", 0.1)])
            >>> bar.update(2, [("lr", 0.01)])
            >>> bar.average("lr")
            0.01
        """
        total, weight = self._values[name]
        return total if weight is None else total / weight

    def _record(self, current, values):
        step = max(current - self._seen, 1)
        stateful = self.stateful_metrics
        for name, value in values:
            entry = self._values.get(name)
            if name in stateful or entry is not None and entry[1] is None:
                self._values[name] = [value, None]
                continue
            try:
                weighted = value * step
            except TypeError:  # not a number: shown as given
                self._values[name] = [value, None]
                continue
            if entry is None:
                self._values[name] = [weighted, step]
            else:
                entry[0] += weighted
                entry[1] += step

    def _due(self, current, now) -> bool:
        since = now - self._last_print
        if self._terminal:
            return since >= self.interval
        if self.target is None:
            return since >= LOG_INTERVAL * 2 ** self._log_lines
        return since >= LOG_INTERVAL and current < self.target and (
            4 * current // self.target > self._quarter)

    def _print_progress(self, current, now):
        self._last_print = now
        per_unit = self._per_unit(current, now)
        if self.target is None:
            timing = f" - {now - self._start:.0f}s{_format_rate(per_unit, self.unit_name)}"
        else:
            timing = f" - ETA: {_format_eta(per_unit * (self.target - current))}"
        line = self._bar(current) + timing + self._values_text()
        if self._terminal:
            write_partial("\r" + line + " " * max(self._drawn_width - len(line), 0))
            self._drawn_width = len(line)
        else:
            self._log_lines += 1
            if self.target:
                self._quarter = 4 * current // self.target
            print_msg(line)

    def _print_final(self, current, now):
        elapsed = now - self._start
        per_unit = _format_rate(self._per_unit(current, now), self.unit_name)
        if self.verbose == 1:
            line = f"{self._bar(current)} - {elapsed:.0f}s{per_unit}{self._values_text()}"
            if self._terminal:
                write_line_end("\r" + line + " " * max(self._drawn_width - len(line), 0))
            else:
                print_msg(line)
        else:
            target = self.target if self.target is not None else current
            count = f"{current:{len(str(target))}d}/{target}"
            print_msg(f"{count} - {elapsed:.0f}s{self._values_text()} -"
                      f"{_format_rate(elapsed, 'epoch')} -{per_unit}")
        self._drawn_width = 0

    def _per_unit(self, current, now) -> float:
        if not current:
            return 0.0
        if self._first is not None and current > self._first[1]:
            first_time, first_count = self._first
            return (now - first_time) / (current - first_count)
        return (now - self._start) / current

    def _bar(self, current) -> str:
        if self.target is None:
            return f"{current:7d}/Unknown"
        digits = len(str(self.target))
        done = min(current / self.target, 1.0) if self.target else 1.0
        filled = int(self.width * done)
        arrow = ("=" * (filled - 1) + (">" if current < self.target else "=")) if filled else ""
        return f"{current:{digits}d}/{self.target} [{arrow}{'.' * (self.width - filled)}]"

    def _values_text(self) -> str:
        parts = []
        for name, (total, weight) in self._values.items():
            if weight is None and not isinstance(total, (int, float)):
                parts.append(f" - {name}: {total}")
                continue
            value = total if weight is None else total / weight
            parts.append(f" - {name}: {value:.4f}" if abs(value) > 1e-3 else
                         f" - {name}: {value:.4e}")
        return "".join(parts)


def _format_eta(seconds: float) -> str:
    if seconds > 3600:
        return f"{seconds // 3600:.0f}:{(seconds % 3600) // 60:02.0f}:{seconds % 60:02.0f}"
    if seconds > 60:
        return f"{seconds // 60:.0f}:{seconds % 60:02.0f}"
    return f"{seconds:.0f}s"


def _format_rate(seconds: float, unit: str) -> str:
    # Thresholds just below 1 and 1e-3, so that 0.9999 ms reads "1ms", not "1000us".
    if seconds >= 0.9995 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 0.9995e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


class ProgbarLogger(Callback):
    """Prints `fit`'s progress: a bar per epoch with ETA, time per step and metrics.

    `fit` adds one when `verbose != 0`; its `verbose` comes from `params`. It also shows
    the progress of `evaluate` and `predict` when they are called on their own (not the
    validation runs inside `fit`). The final line of an epoch shows the epoch's logs as
    `fit` reports them (what `History` records); the lines before it show running values:
    values named in `stateful_metrics` or in `model.metrics` (running means that the
    model keeps) as given, others averaged over the epoch's batches. See the module
    docstring for how often it prints on a terminal and in notebooks.

    Args:
        count_mode: "steps" (count batches; `params["steps"]` is the total) or "samples"
            (count `logs["size"]` of each batch; `params["samples"]` is the total).
        stateful_metrics: names of values to show as given rather than averaged.

    Raises:
        ValueError: for an unknown `count_mode`.

    Example:
        >>> callbacks = engine.keras.callbacks.CallbackList(
        ...     [engine.keras.callbacks.ProgbarLogger()], epochs=2, steps=3, verbose=2)
        >>> for epoch in range(2):
        ...     callbacks.on_epoch_begin(epoch)
        ...     callbacks.on_epoch_end(epoch, {"loss": 0.5 / (epoch + 1)})  # doctest: +ELLIPSIS
        Epoch 1/2
        3/3 - ...s - loss: 0.5000 - ...s/epoch - ...s/step
        Epoch 2/2
        3/3 - ...s - loss: 0.2500 - ...s/epoch - ...s/step
    """

    def __init__(self, count_mode: str = "steps", stateful_metrics=None):
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise ValueError(f"ProgbarLogger: count_mode must be 'steps' or 'samples'; got "
                             f"count_mode={count_mode!r}.")
        self.use_steps = count_mode == "steps"
        self.stateful_metrics = set(stateful_metrics or ())
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._progbar = None
        self._seen = 0
        self._in_fit = False

    def set_params(self, params):
        """Reads `verbose`, `epochs` and the number of steps (or samples) per epoch."""
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps" if self.use_steps else "samples")

    def _wants(self, hook):
        # Only batch ends move the bar; verbose=2 needs them only to count unknown totals.
        return hook.endswith("_end") and self.verbose != 0 and (
            self.verbose == 1 or self.target is None or not self.use_steps)

    def on_train_begin(self, logs=None):
        """Notes that epochs follow (validation runs inside `fit` get no bar of their own)."""
        self._in_fit = True

    def on_train_end(self, logs=None):
        """Ends `fit`'s reporting."""
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        """Prints `Epoch i/n` (when training for several epochs) and starts a bar."""
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")
        self._start_bar()

    def on_train_batch_end(self, batch, logs=None):
        """Advances the bar."""
        self._advance(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        """Prints the epoch's final line."""
        self._finish(logs)

    def on_test_begin(self, logs=None):
        """Starts a bar for `evaluate`."""
        if not self._in_fit:
            self._start_bar()

    def on_test_batch_end(self, batch, logs=None):
        """Advances `evaluate`'s bar."""
        if not self._in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        """Prints `evaluate`'s final line."""
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        """Starts a bar for `predict`."""
        self._start_bar()

    def on_predict_batch_end(self, batch, logs=None):
        """Advances `predict`'s bar."""
        self._advance(batch, None)

    def on_predict_end(self, logs=None):
        """Prints `predict`'s final line."""
        self._finish(None)

    def _start_bar(self):
        self._seen = 0
        stateful = self.stateful_metrics | _model_metric_names(self.model)
        self._progbar = Progbar(self.target, verbose=self.verbose, stateful_metrics=stateful,
                                unit_name="step" if self.use_steps else "sample")

    def _advance(self, batch, logs):
        bar = self._progbar
        if bar is None:
            return
        if self.use_steps:
            self._seen = batch + 1
        elif logs:
            self._seen += int(logs.get("size", 0)) * int(logs.get("num_steps", 1))
        if self.verbose == 1:
            values = [item for item in logs.items() if item[0] not in _NOT_SHOWN] if logs \
                else None
            bar.update(self._seen, values, finalize=False)

    def _finish(self, logs):
        bar, self._progbar = self._progbar, None
        if bar is None or not self.verbose:
            return
        values = [item for item in (logs or {}).items() if item[0] not in _NOT_SHOWN]
        bar.stateful_metrics.update(name for name, _ in values)  # the final values as given
        current = self._seen or self.target or 0
        if bar.target is None:
            bar.target = current
        bar.update(current, values, finalize=True)


def _model_metric_names(model) -> set:
    """Names of the model's own metrics (running means): shown as the model reports them."""
    try:
        metrics = getattr(model, "metrics", None) or ()
        return {name for name in (getattr(m, "name", None) for m in metrics) if name}
    except (AttributeError, TypeError, RuntimeError):  # a model that cannot list them yet
        return set()
