"""`EarlyStopping`: stop training when a monitored metric stops improving."""

from __future__ import annotations

import math

from engine.keras.callbacks.base import Callback
from engine.keras.callbacks.console import print_msg
from engine.keras.callbacks.monitor import resolve_mode, warn_missing_metric

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved for `patience` epochs.

    At the end of each epoch from `start_from_epoch` on, the value counts as an
    improvement when it beats the best so far by more than `min_delta`; the wait counter
    restarts only when it also beats `baseline` (if given). Training stops when the
    counter reaches `patience` (never after the first epoch). As in Keras 2, the best
    weights are restored only when this callback stops training, not when `fit` simply
    runs out of epochs. Sets `stopped_epoch`, `best`, `best_epoch` and `wait`.

    Args:
        monitor: the logs key to watch ("val_loss", "accuracy", ...).
        min_delta: the least change that counts as an improvement.
        patience: how many epochs without improvement to allow.
        verbose: 1 prints when it stops (and when it restores weights).
        mode: "min", "max", or "auto" (from the metric's name: accuracy-like names
            are maximized, others minimized).
        baseline: a value the metric must beat for training to continue past
            `patience` epochs.
        restore_best_weights: when stopping, set the model's weights back to those of the
            best epoch (`model.get_weights()` is saved after each improvement).
        start_from_epoch: epochs to wait before watching (a warm-up).

    Raises:
        ValueError: for an unknown mode or a negative patience or start_from_epoch.

    Example:
        >>> import types
        >>> model = types.SimpleNamespace(stop_training=False)
        >>> stopper = engine.keras.callbacks.EarlyStopping(monitor="loss", patience=1)
        >>> callbacks = engine.keras.callbacks.CallbackList([stopper], model=model)
        >>> callbacks.on_train_begin()
        >>> for epoch, loss in enumerate([0.5, 0.4, 0.45, 0.41, 0.3]):
        ...     callbacks.on_epoch_end(epoch, {"loss": loss})
        ...     if model.stop_training:
        ...         break
        >>> stopper.stopped_epoch, stopper.best
        (2, 0.4)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__()
        if patience < 0 or start_from_epoch < 0:
            raise ValueError(f"EarlyStopping: patience and start_from_epoch must be >= 0; got "
                             f"patience={patience}, start_from_epoch={start_from_epoch}.")
        self.monitor = monitor
        self.mode = resolve_mode(mode, monitor, "EarlyStopping")
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        """Forgets earlier runs: the best value, the wait counter and saved weights."""
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        """Compares the epoch's value with the best one and stops training if it is time."""
        current = self.get_monitor_value(logs or {})
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # even if nothing ever improves
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print_msg("Restoring model weights from the end of the best epoch: "
                              f"{self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        """Reports the epoch at which training stopped (with verbose=1)."""
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")

    def get_monitor_value(self, logs: dict):
        """The monitored value in `logs`, or None (with a one-time warning) if absent.

        Args:
            logs: an epoch's logs.

        Returns:
            A float, or None.

        Example:
            >>> stopper = engine.keras.callbacks.EarlyStopping(monitor="loss")
            >>> stopper.get_monitor_value({"loss": 0.25})
            0.25
        """
        value = logs.get(self.monitor)
        if value is None:
            warn_missing_metric(self, self.monitor, logs, "early stopping")
            return None
        return float(value)

    def _improves(self, value, reference) -> bool:
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference
