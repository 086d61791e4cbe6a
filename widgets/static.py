"""The dashboard's text fallback: progress lines while training, text charts at the end.

Used outside a notebook, with `EAGERLAB_WIDGETS=static`, or `TrainingDashboard(mode=
"static")`. When `fit` already prints a progress bar (`verbose != 0` adds a
`ProgbarLogger`), this view prints only the final report; with `verbose=0` it prints its
own progress:

    epoch 1/3 - 12/12 batches - 0s - 4,800 samples/s - 2.1 ms/step - loss: 0.7012 - ...

one line per epoch, and between them (epochs longer than `line_interval` seconds) a line
with a bar and an ETA at most every `line_interval` seconds; on a terminal the bar is
redrawn in place instead. At the end it prints the dashboard's repr, one line of timing,
and a text chart per metric (`text_chart`), so logs and `nbval` get a stable picture of
the run. `TrainingDashboard.figure()` draws the same charts with plotly.
"""

from __future__ import annotations

import math
import sys
import time

from widgets.charts import chart_panels
from widgets.controller import TrainingController
from widgets.formatting import (
    SEPARATOR,
    format_duration,
    format_rate,
    format_step_time,
    format_value,
    metrics_line,
)
from widgets.progress import Progress

__all__ = ["TextView", "text_chart"]

_MARKERS = {"train (batch)": ".", "train (epoch)": "o", "validation": "x"}
_BAR_WIDTH = 20


def text_chart(title: str, series: list, width: int = 60, height: int = 8) -> str:
    """Draws (x, y) series as characters: a small chart for logs and text outputs.

    Args:
        title: the chart's title.
        series: `(label, marker, x, y)` tuples; later series draw over earlier ones.
        width, height: the plot area in characters.

    Returns:
        The chart as lines of text (no trailing newline).

    Example:
        >>> print(text_chart("loss", [("train", "o", [1, 2, 3], [0.9, 0.5, 0.4])],
        ...                  width=12, height=3))
        loss  [o train]
          0.9000 |o
                 |
          0.4000 +------o----o
                  1          3
    """
    points = [(label, marker, list(x), list(y)) for label, marker, x, y in series]
    xs = [v for _, _, x, _ in points for v in x]
    ys = [v for _, _, _, y in points for v in y if math.isfinite(v)]
    legend = "  ".join(f"{marker} {label}" for label, marker, _, _ in points)
    if not ys:
        return f"{title}  [{legend}]\n  (no finite values)"
    x_low, x_high, y_low, y_high = min(xs), max(xs), min(ys), max(ys)
    grid = [[" "] * width for _ in range(height)]
    for _, marker, x, y in points:
        for xv, yv in zip(x, y):
            if not math.isfinite(yv):
                continue
            col = _scale(xv, x_low, x_high, width - 1)
            row = height - 1 - _scale(yv, y_low, y_high, height - 1)
            grid[row][col] = marker
    top, bottom = format_value(y_high), format_value(y_low)
    pad = max(len(top), len(bottom)) + 2
    lines = [f"{title}  [{legend}]"]
    for row, cells in enumerate(grid):
        label = top if row == 0 else ""
        axis = "+" if row == height - 1 else "|"
        if row == height - 1:
            label, cells = bottom, ["-" if c == " " else c for c in cells]
        lines.append(f"{label:>{pad}} {axis}{''.join(cells)}".rstrip())
    left, right = f"{x_low:g}", f"{x_high:g}"
    lines.append(" " * (pad + 2) + left + right.rjust(width - len(left)))
    return "\n".join(lines)


class TextView:
    """Prints a `fit`'s progress and, at the end, a report with text charts.

    Args:
        stream: where to write (default `sys.stdout`, looked up at each write).
        show_progress: print progress lines (False when a `ProgbarLogger` already does).
        line_interval: the least seconds between two progress lines within an epoch (not
            on a terminal, where the line is redrawn in place at each update).
        width, height: the size of the text charts.
        clock: a function returning seconds (tests pass a fake one).

    Example:
        >>> import io
        >>> from widgets.controller import TrainingController
        >>> controller = TrainingController(clock=lambda: 0.0)
        >>> controller.train_begin(epochs=1, steps=2)
        >>> controller.epoch_begin(0)
        >>> controller.batch_end(0, {"loss": 0.5})
        >>> controller.batch_end(1, {"loss": 0.25})
        >>> controller.epoch_end(0, {"loss": 0.25})
        >>> out = io.StringIO()
        >>> TextView(out).epoch_end(controller.progress())
        >>> out.getvalue()
        'epoch 1/1 - 2/2 batches - ? - ? samples/s - ? ms/step - loss: 0.2500\\n'
    """

    def __init__(self, stream=None, show_progress: bool = True, line_interval: float = 10.0,
                 width: int = 60, height: int = 8, clock=time.monotonic):
        self._stream = stream
        self.show_progress = show_progress
        self.line_interval = line_interval
        self.width, self.height = width, height
        self.clock = clock
        self._last_line = None
        self._epoch_start = None
        self._drawn = 0

    @property
    def stream(self):
        """The output stream."""
        return self._stream if self._stream is not None else sys.stdout

    def train_begin(self, progress: Progress) -> None:
        """Starts the line timer.

        Args:
            progress: the controller's `Progress` at the start.
        """
        self._last_line = self.clock()
        self._drawn = 0

    def epoch_begin(self, progress: Progress) -> None:
        """Starts the epoch's timer.

        Args:
            progress: the controller's `Progress`.
        """
        self._epoch_start = self.clock()

    def update(self, progress: Progress) -> None:
        """Shows progress within an epoch (in place on a terminal, else rarely).

        Args:
            progress: the controller's `Progress`.
        """
        if not self.show_progress or not progress.batches_done:
            return
        line = _progress_line(progress)
        if self._terminal():
            self._write("\r" + line.ljust(self._drawn))
            self._drawn = len(line)
            return
        now = self.clock()
        if self._last_line is None or now - self._last_line >= self.line_interval:
            self._last_line = now
            self._write(line + "\n")

    def epoch_end(self, progress: Progress) -> None:
        """Prints the line of a finished epoch.

        Args:
            progress: the controller's `Progress` after the epoch's results.
        """
        if not self.show_progress:
            return
        steps = progress.steps if progress.steps is not None else progress.batch
        parts = [f"epoch {progress.epoch}/{_or_unknown(progress.epochs)}",
                 f"{progress.batch}/{steps} batches", format_duration(self._epoch_time()),
                 format_rate(progress), format_step_time(progress.step_time)]
        values = metrics_line(_epoch_view(progress))
        line = SEPARATOR.join(parts + ([values] if values else []))
        self._write(("\r" + line.ljust(self._drawn) if self._drawn else line) + "\n")
        self._drawn = 0
        self._last_line = self.clock()

    def train_end(self, controller: TrainingController, title: str) -> None:
        """Prints the report: `title`, one line of timing, and a text chart per metric.

        Args:
            controller: the `TrainingController` after `fit`.
            title: the first line (the dashboard's repr).
        """
        self._write(self.report(controller, title) + "\n")

    def report(self, controller: TrainingController, title: str) -> str:
        """The end-of-training report as text.

        Args:
            controller: the `TrainingController`.
            title: the first line.

        Returns:
            The report (no trailing newline).

        Example:
            >>> from widgets.controller import TrainingController
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=1)
            >>> controller.batch_end(0, {"loss": 0.5}, learning_rate=0.01)
            >>> print(TextView(width=10, height=2).report(controller, "run"))
            run
            time 0s - ? samples/s - 0 us/step
            loss  [. train (batch)]
              0.5000 |
              0.5000 +----.-----
                      1        1
            learning rate: 0.0100 (constant)
        """
        progress = controller.progress()
        mean_step = controller.active_time() / max(controller.batches_done, 1)
        lines = [title, SEPARATOR.join([f"time {format_duration(controller.active_time())}",
                                        format_rate(progress), format_step_time(
                                            mean_step if controller.batches_done else None)])]
        for panel in chart_panels(controller):
            if panel.title.startswith("step time"):
                continue  # timings differ from run to run: the line above has them
            series = [(spec.name, _MARKERS.get(spec.name, "*"), *spec.points(controller))
                      for spec in panel.traces]
            values = {v for _, _, _, y in series for v in y.tolist()}
            if panel.title == "learning rate" and len(values) == 1:
                lines.append(f"learning rate: {format_value(values.pop())} (constant)")
                continue
            lines.append(text_chart(panel.title, series, self.width, self.height))
        return "\n".join(lines)

    def _epoch_time(self) -> float | None:
        return None if self._epoch_start is None else self.clock() - self._epoch_start

    def _terminal(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _progress_line(progress: Progress) -> str:
    steps = progress.steps
    if steps:
        filled = int(_BAR_WIDTH * min(progress.batch / steps, 1.0))
        bar = f"[{'=' * filled}{'.' * (_BAR_WIDTH - filled)}] {progress.batch}/{steps}"
    else:
        bar = f"{progress.batch}/?"
    parts = [f"epoch {progress.epoch}/{_or_unknown(progress.epochs)} {bar}",
             f"ETA {format_duration(progress.eta)}", format_rate(progress),
             format_step_time(progress.step_time)]
    values = metrics_line(progress)
    return SEPARATOR.join(parts + ([values] if values else []))


def _epoch_view(progress: Progress) -> Progress:
    """The progress with the epoch's results shown instead of the last batch's."""
    from dataclasses import replace  # noqa: PLC0415

    return replace(progress, logs=progress.epoch_logs)


def _or_unknown(value) -> str:
    return "?" if value is None else str(value)


def _scale(value: float, low: float, high: float, cells: int) -> int:
    if high == low:
        return cells // 2
    return int(round((value - low) / (high - low) * cells))
