"""`History`: the per-epoch results of `fit`, returned by it."""

from __future__ import annotations

from engine.keras.callbacks.base import Callback

__all__ = ["History"]


class History(Callback):
    """Records each epoch's logs; `fit` adds one and returns it.

    After training, `history` maps each metric name to its list of per-epoch values and
    `epoch` lists the epoch indices (0-based; they start at `initial_epoch` when training
    resumes). It sets `model.history` to itself when training begins. A metric that
    appears only in some epochs (validation every few epochs) has only those values.
    As in Keras 2, passing the same `History` to several `fit` calls keeps extending
    `history`, while `epoch` restarts with each call.

    Example:
        >>> history = engine.keras.callbacks.History()
        >>> callbacks = engine.keras.callbacks.CallbackList([history])
        >>> callbacks.on_train_begin()
        >>> for epoch, loss in enumerate([0.8, 0.4]):
        ...     callbacks.on_epoch_end(epoch, {"loss": loss})
        >>> history.history, history.epoch
        ({'loss': [0.8, 0.4]}, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        """Restarts `epoch` and attaches itself to the model as `model.history`."""
        self.epoch = []
        if self.model is not None:
            self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        """Appends the epoch's index and each of its logged values."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
