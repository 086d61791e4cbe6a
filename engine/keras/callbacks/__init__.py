"""`engine.keras.callbacks`: code that `fit`, `evaluate` and `predict` call as they run.

Pass callbacks to `fit(callbacks=[...])`. `fit` wraps them in a `CallbackList` with a
`ProgbarLogger` (when `verbose != 0`) and a `History` (which it returns), then calls the
hooks: `on_train_begin`, `on_epoch_begin`, `on_train_batch_begin`/`_end` per step,
`on_epoch_end` with the epoch's results, `on_train_end`. See `base.py` for the hooks and
their logs, `progbar.py` for what is printed and how often, and `backup.py` for how `fit`
resumes from a `BackupAndRestore` backup.

| callback               | does                                                        |
|------------------------|-------------------------------------------------------------|
| `History`              | records each epoch's logs (returned by `fit`)               |
| `ProgbarLogger`        | prints a progress bar per epoch                             |
| `EarlyStopping`        | stops when a metric stops improving; can restore the best   |
| `ModelCheckpoint`      | saves the model or weights (every epoch, or the best)       |
| `BackupAndRestore`     | resumes an interrupted `fit`                                |
| `LearningRateScheduler`| sets the learning rate per epoch from a function            |
| `ReduceLROnPlateau`    | lowers the learning rate when a metric plateaus             |
| `CSVLogger`            | writes one CSV row per epoch                                |
| `TerminateOnNaN`       | stops on a NaN or infinite loss                             |
| `LambdaCallback`       | a callback made of plain functions                          |
| `TensorBoard`          | writes TensorBoard event files (`tensorboard` extra)        |
"""

from __future__ import annotations

from engine.keras.callbacks.backup import BackupAndRestore
from engine.keras.callbacks.base import Callback, CallbackList
from engine.keras.callbacks.checkpoint import ModelCheckpoint
from engine.keras.callbacks.csv_logger import CSVLogger
from engine.keras.callbacks.early_stopping import EarlyStopping
from engine.keras.callbacks.history import History
from engine.keras.callbacks.lambda_callback import LambdaCallback
from engine.keras.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from engine.keras.callbacks.progbar import Progbar, ProgbarLogger
from engine.keras.callbacks.tensorboard import TensorBoard
from engine.keras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "Progbar", "EarlyStopping",
           "ModelCheckpoint", "BackupAndRestore", "LearningRateScheduler",
           "ReduceLROnPlateau", "CSVLogger", "TerminateOnNaN", "LambdaCallback", "TensorBoard"]


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
