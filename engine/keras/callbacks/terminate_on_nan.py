"""`TerminateOnNaN`: stop training as soon as the loss is NaN or infinite."""

from __future__ import annotations

import math

from engine.keras.callbacks.base import Callback
from engine.keras.callbacks.console import print_msg

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stops training after a batch whose `loss` is NaN or infinite.

    It sets `model.stop_training`, so `fit` ends after that step, and prints the batch.

    Example:
        >>> import types
        >>> model = types.SimpleNamespace(stop_training=False)
        >>> callbacks = engine.keras.callbacks.CallbackList(
        ...     [engine.keras.callbacks.TerminateOnNaN()], model=model)
        >>> callbacks.on_train_batch_end(0, {"loss": 0.5})
        >>> callbacks.on_train_batch_end(1, {"loss": float("nan")})
        Batch 1: Invalid loss, terminating training
        >>> model.stop_training
        True
    """

    def on_batch_end(self, batch, logs=None):
        """Checks the batch's loss."""
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
