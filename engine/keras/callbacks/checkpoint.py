"""`ModelCheckpoint`: save the model or its weights during training."""

from __future__ import annotations

import math
import os

from engine.keras.callbacks.atomic import write_atomically
from engine.keras.callbacks.base import Callback
from engine.keras.callbacks.console import print_msg
from engine.keras.callbacks.monitor import resolve_mode, warn_missing_metric

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Saves the model (or only its weights) every epoch or every few batches.

    `filepath` may hold `str.format` fields filled from the logs at save time, plus
    `epoch` (1-based) and, with an integer `save_freq`, `batch` (1-based within the
    epoch): `"ckpt/weights.{epoch:02d}-{val_loss:.2f}.h5"` saves `weights.03-0.41.h5`
    after the third epoch. A field missing from the logs raises a KeyError that lists
    the available keys. Each save writes to a temporary name and renames it into place,
    so an interrupted save leaves the previous file intact.

    With `save_best_only`, it saves only when `monitor` improves on the best value seen
    by this callback (across `fit` calls; `initial_value_threshold` sets the starting
    best), so a fixed `filepath` always holds the best model.

    Args:
        filepath: where to save (a path or template, see above).
        monitor: the logs key compared by `save_best_only`.
        verbose: 1 prints a line for each save (and each skipped save).
        save_best_only: save only when `monitor` improves.
        save_weights_only: save with `model.save_weights(path, overwrite=True)` instead of
            `model.save(path)`.
        mode: "min", "max", or "auto" (from the metric's name).
        save_freq: "epoch", or an int: save after every that many training batches (the
            monitored value is then the running value of the batch logs).
        initial_value_threshold: the value the first save must beat with `save_best_only`.

    Raises:
        ValueError: for an unknown mode or a bad `save_freq`.

    Example:
        >>> import os, tempfile, types
        >>> model = types.SimpleNamespace(
        ...     save_weights=lambda path, overwrite=True: open(path, "w").close())
        >>> folder = tempfile.mkdtemp()
        >>> checkpoint = engine.keras.callbacks.ModelCheckpoint(
        ...     os.path.join(folder, "w.{epoch:02d}-{loss:.2f}.h5"), monitor="loss",
        ...     save_best_only=True, save_weights_only=True)
        >>> callbacks = engine.keras.callbacks.CallbackList([checkpoint], model=model)
        >>> callbacks.on_train_begin()
        >>> for epoch, loss in enumerate([0.9, 0.7, 0.8]):
        ...     callbacks.on_epoch_end(epoch, {"loss": loss})
        >>> sorted(os.listdir(folder))
        ['w.01-0.90.h5', 'w.02-0.70.h5']
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch",
                 initial_value_threshold: float | None = None):
        super().__init__()
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive int "
                             f"(a number of batches); got save_freq={save_freq!r}.")
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = resolve_mode(mode, monitor, "ModelCheckpoint")
        self.save_freq = save_freq
        if initial_value_threshold is not None:
            self.best = float(initial_value_threshold)
        else:
            self.best = math.inf if self.mode == "min" else -math.inf
        self._epoch = 0
        self._batches_since_save = 0
        self._last_batch = -1

    def _wants(self, hook):
        return hook == "on_train_batch_end" and self.save_freq != "epoch"

    def on_train_begin(self, logs=None):
        """Checks that the model can be saved the way asked for, before any training."""
        method = "save_weights" if self.save_weights_only else "save"
        if not callable(getattr(self.model, method, None)):
            hint = (" Pass save_weights_only=True to save only the weights."
                    if not self.save_weights_only else "")
            raise TypeError(f"ModelCheckpoint(save_weights_only={self.save_weights_only}) "
                            f"saves with model.{method}(filepath), but the model "
                            f"({type(self.model).__name__}) has no {method} method.{hint}")

    def on_epoch_begin(self, epoch, logs=None):
        """Notes the epoch for batch-frequency saves."""
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        """Saves after every `save_freq` batches (when `save_freq` is an int)."""
        # Steps may advance by more than one per call (several steps per execution).
        advanced = batch + 1 if batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        self._batches_since_save += advanced
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        """Saves at the end of the epoch (when `save_freq="epoch"`)."""
        self._last_batch = -1
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _save(self, epoch, batch, logs):
        filepath = self._file_path(epoch, batch, logs)
        where = f"Epoch {epoch + 1}" + (f", batch {batch + 1}" if batch is not None else "")
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warn_missing_metric(self, self.monitor, logs, "saving the best model")
                return
            current = float(current)
            if not self._improves(current):
                if self.verbose > 0:
                    print_msg(f"{where}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print_msg(f"{where}: {self.monitor} improved from {self.best:.5f} to "
                          f"{current:.5f}, saving model to {filepath}")
            self.best = current
        elif self.verbose > 0:
            print_msg(f"{where}: saving model to {filepath}")
        if self.save_weights_only:
            write_atomically(filepath, lambda path: self.model.save_weights(path,
                                                                            overwrite=True))
        else:
            write_atomically(filepath, self.model.save)

    def _improves(self, current) -> bool:
        if math.isnan(current):
            return False
        return current < self.best if self.mode == "min" else current > self.best

    def _file_path(self, epoch, batch, logs) -> str:
        values = dict(logs)
        values["epoch"] = epoch + 1
        if batch is not None:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint: filepath {self.filepath!r} uses the field {error.args[0]!r}, "
                f"which is not in the logs. Available fields: {', '.join(sorted(values))}. "
                "Use one of them, or escape literal braces as {{ and }}.") from None
