"""`Progress`: a snapshot of a running `fit`, as the dashboard's views draw it."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Progress"]


@dataclass(frozen=True)
class Progress:
    """A snapshot of a `TrainingController`, for views to draw.

    Attributes:
        state: one of `STATES`.
        epoch: the current epoch, 1-based (0 before the first).
        epochs: the epoch `fit` stops at (its `epochs` argument), or None.
        batch: batches done in the current epoch.
        steps: batches per epoch, or None while unknown.
        batches_done: batches run in this `fit`.
        epochs_done: epochs finished, counting those before `fit`'s `initial_epoch`.
        eta: seconds left (None while unknown).
        batches_per_second, samples_per_second: recent throughput (None while unknown).
        step_time: seconds the last batch took (None before the first).
        learning_rate: the last learning rate seen (None if the model has none).
        run_eagerly: the mode the last batch ran in (None before the first).
        logs: the last batch's logs (running results of the epoch).
        epoch_logs: the last epoch's logs (`val_*` included).
        nonfinite: `{name: batch}` where each metric first became NaN or inf.

    Example:
        >>> from widgets.controller import TrainingController
        >>> controller = TrainingController(clock=lambda: 0.0)
        >>> controller.progress().state
        'idle'
    """

    state: str
    epoch: int
    epochs: int | None
    batch: int
    steps: int | None
    batches_done: int
    epochs_done: int
    eta: float | None
    batches_per_second: float | None
    samples_per_second: float | None
    step_time: float | None
    learning_rate: float | None
    run_eagerly: bool | None
    logs: dict = field(default_factory=dict)
    epoch_logs: dict = field(default_factory=dict)
    nonfinite: dict = field(default_factory=dict)
