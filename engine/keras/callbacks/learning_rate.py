"""Callbacks that set the optimizer's learning rate between epochs.

Both read and write `model.optimizer.learning_rate` as a Python float: the optimizer keeps
the rate where its compiled train step reads it at run time (a variable), so a new value
takes effect at the next step, traced or not. Both add the rate to the epoch's logs as
`lr`, so `History` and `CSVLogger` record it.
"""

from __future__ import annotations

import inspect
import math

from engine.keras.callbacks.base import Callback
from engine.keras.callbacks.console import print_msg
from engine.keras.callbacks.monitor import resolve_mode, warn_missing_metric

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch from `schedule`.

    Args:
        schedule: `schedule(epoch)` or `schedule(epoch, lr)` (epoch 0-based, `lr` the
            current rate) returning the new rate as a number.
        verbose: 1 prints each new rate.

    Raises:
        TypeError: if `schedule` is not callable.

    Example:
        >>> import types
        >>> model = types.SimpleNamespace(optimizer=types.SimpleNamespace(learning_rate=0.1))
        >>> halve = engine.keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)
        >>> callbacks = engine.keras.callbacks.CallbackList([halve], model=model)
        >>> for epoch in range(3):
        ...     callbacks.on_epoch_begin(epoch)
        >>> model.optimizer.learning_rate
        0.0125
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function of (epoch) or "
                            f"(epoch, lr); got {schedule!r}.")
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        """Sets the optimizer's learning rate to `schedule(epoch[, lr])`."""
        optimizer = _optimizer(self.model, "LearningRateScheduler")
        if self._takes_lr:
            value = self.schedule(epoch, get_learning_rate(optimizer, "LearningRateScheduler"))
        else:
            value = self.schedule(epoch)
        try:
            rate = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"LearningRateScheduler: schedule({epoch}) returned {value!r} "
                            f"({type(value).__name__}); expected a number (the learning "
                            "rate).") from None
        optimizer.learning_rate = rate
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{rate}.")

    def on_epoch_end(self, epoch, logs=None):
        """Records the rate in the logs as `lr`."""
        if logs is not None:
            logs["lr"] = get_learning_rate(_optimizer(self.model, "LearningRateScheduler"),
                                           "LearningRateScheduler")


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` stops improving.

    At each epoch end: a value better than the best by more than `min_delta` resets the
    wait counter; otherwise, outside a cooldown, the counter grows, and when it reaches
    `patience` the rate becomes `max(lr * factor, min_lr)` (if it is above `min_lr`)
    and a cooldown of `cooldown` epochs starts, during which the counter stays at 0.
    The rate before any change is added to the logs as `lr`.

    Args:
        monitor: the logs key to watch.
        factor: what to multiply the rate by, in (0, 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: "min", "max", or "auto" (from the metric's name).
        min_delta: the least change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the smallest rate it sets.

    Raises:
        ValueError: for a factor outside (0, 1), an unknown mode or negative counts.

    Example:
        >>> import types
        >>> model = types.SimpleNamespace(optimizer=types.SimpleNamespace(learning_rate=0.1))
        >>> reduce = engine.keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5,
        ...                                                   patience=1)
        >>> callbacks = engine.keras.callbacks.CallbackList([reduce], model=model)
        >>> callbacks.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
        ...     callbacks.on_epoch_end(epoch, {"loss": loss})
        >>> model.optimizer.learning_rate
        0.025
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0):
        super().__init__()
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1) (the rate is "
                             f"multiplied by it); got factor={factor}.")
        if patience < 0 or cooldown < 0:
            raise ValueError(f"ReduceLROnPlateau: patience and cooldown must be >= 0; got "
                             f"patience={patience}, cooldown={cooldown}.")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = resolve_mode(mode, monitor, "ReduceLROnPlateau")
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        """Forgets the best value, the wait counter and any cooldown."""
        self._reset()

    def in_cooldown(self) -> bool:
        """Whether a cooldown after a reduction is still running.

        Returns:
            A bool.

        Example:
            >>> engine.keras.callbacks.ReduceLROnPlateau(cooldown=2).in_cooldown()
            False
        """
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        """Compares the epoch's value with the best one and reduces the rate if it is time."""
        logs = logs if logs is not None else {}
        optimizer = _optimizer(self.model, "ReduceLROnPlateau")
        rate = get_learning_rate(optimizer, "ReduceLROnPlateau")
        logs["lr"] = rate
        current = logs.get(self.monitor)
        if current is None:
            warn_missing_metric(self, self.monitor, logs, "learning rate reduction")
            return
        current = float(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        # A float32 variable holding min_lr reads back up to 6e-8 (relatively) above it.
        if self.wait >= self.patience and rate > self.min_lr * (1 + 1e-6):
            new_rate = max(rate * self.factor, self.min_lr)
            optimizer.learning_rate = new_rate
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                          f"{new_rate}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0

    def _improves(self, current) -> bool:
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta


def get_learning_rate(optimizer, owner: str) -> float:
    """`float(optimizer.learning_rate)`, with an error that says why it is not a number."""
    value = optimizer.learning_rate
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: the optimizer's learning_rate is {value!r}, not a number. "
                        "A learning rate schedule object already sets the rate each step; "
                        "use either it or this callback, not both.") from None


def _optimizer(model, owner: str):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise AttributeError(f"{owner}: the model has no optimizer with a learning_rate "
                             f"(model.optimizer is {optimizer!r}). Compile the model with an "
                             "optimizer before fitting.")
    return optimizer


def _takes_two_arguments(schedule) -> bool:
    try:
        parameters = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # no signature (some builtins): use the newer form
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)
