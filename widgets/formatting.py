"""Text for the dashboard's views: durations, rates, metric values and status lines.

The widget view and the text fallback show the same words, so both format through here.
"""

from __future__ import annotations

import math

from widgets.progress import Progress

__all__ = ["format_duration", "format_value", "format_rate", "format_step_time",
           "status_line", "metrics_line"]

SEPARATOR = " - "


def format_duration(seconds: float | None) -> str:
    """A duration as `h:mm:ss`, `m:ss` or `Ns` ("?" when unknown).

    Args:
        seconds: the duration, or None.

    Returns:
        A short string.

    Example:
        >>> format_duration(3725), format_duration(75), format_duration(4.2), format_duration(None)
        ('1:02:05', '1:15', '4s', '?')
    """
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_value(value: float) -> str:
    """A metric value with four decimals, or in scientific notation when tiny or huge.

    Args:
        value: a float.

    Returns:
        A string.

    Example:
        >>> format_value(0.41071), format_value(1.5e-5), format_value(float("nan"))
        ('0.4107', '1.5000e-05', 'nan')
    """
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.4e}"
    return f"{value:.4f}"


def format_rate(progress: Progress) -> str:
    """Throughput: samples per second when the batch size is known, else batches.

    Args:
        progress: a `Progress` snapshot.

    Returns:
        A string such as "1,234 samples/s" ("? samples/s" while unknown).

    Example:
        >>> import dataclasses
        >>> from widgets.controller import TrainingController
        >>> progress = TrainingController(clock=lambda: 0.0).progress()
        >>> format_rate(dataclasses.replace(progress, batches_per_second=20.0,
        ...                                 samples_per_second=640.0))
        '640 samples/s'
    """
    if progress.samples_per_second is not None:
        return f"{progress.samples_per_second:,.0f} samples/s"
    if progress.batches_per_second is not None:
        return f"{progress.batches_per_second:,.1f} batches/s"
    return "? samples/s"


def format_step_time(seconds: float | None) -> str:
    """Time per step in s, ms or us.

    Args:
        seconds: the step time, or None.

    Returns:
        A string such as "3.2 ms/step".

    Example:
        >>> format_step_time(0.0032), format_step_time(1.5), format_step_time(None)
        ('3.2 ms/step', '1.50 s/step', '? ms/step')
    """
    if seconds is None:
        return "? ms/step"
    if seconds >= 1:
        return f"{seconds:.2f} s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms/step"
    return f"{seconds * 1e6:.0f} us/step"


def status_line(progress: Progress) -> str:
    """Timing, throughput, learning rate and execution mode, on one line.

    Args:
        progress: a `Progress` snapshot.

    Returns:
        e.g. "ETA 0:12 - 1,234 samples/s - 3.2 ms/step - lr 1.0000e-02 - graph".

    Example:
        >>> from widgets.controller import TrainingController
        >>> status_line(TrainingController(clock=lambda: 0.0).progress())
        'ETA ? - ? samples/s - ? ms/step'
    """
    parts = [f"ETA {format_duration(progress.eta)}", format_rate(progress),
             format_step_time(progress.step_time)]
    if progress.learning_rate is not None:
        parts.append(f"lr {format_value(progress.learning_rate)}")
    if progress.run_eagerly is not None:
        parts.append("eager" if progress.run_eagerly else "graph")
    return SEPARATOR.join(parts)


def metrics_line(progress: Progress) -> str:
    """The last batch's running results and the last epoch's validation results.

    Args:
        progress: a `Progress` snapshot.

    Returns:
        e.g. "loss: 0.4107 - accuracy: 0.9100 - val_loss: 0.4420", with a note for
        metrics that became NaN or inf.

    Example:
        >>> import dataclasses
        >>> from widgets.controller import TrainingController
        >>> progress = TrainingController(clock=lambda: 0.0).progress()
        >>> metrics_line(dataclasses.replace(progress, logs={"loss": 0.5},
        ...                                  epoch_logs={"loss": 0.6, "val_loss": 0.7}))
        'loss: 0.5000 - val_loss: 0.7000'
    """
    values = dict(progress.logs or progress.epoch_logs)
    values.update({k: v for k, v in progress.epoch_logs.items() if k.startswith("val_")})
    parts = [f"{name}: {format_value(value)}" for name, value in values.items()]
    parts += [f"{name} not finite since batch {batch}"
              for name, batch in progress.nonfinite.items()]
    return SEPARATOR.join(parts)
