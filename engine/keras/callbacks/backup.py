"""`BackupAndRestore`: resume an interrupted `fit` where it stopped.

The backup is one file, `<backup_dir>/backup.npz`: the model's weights
(`model.get_weights()`), the values of the optimizer's variables
(`model.optimizer.variables`: slots such as Adam's moments, and the step counter) and a
small JSON record `{"epoch", "step", ...}` of where to resume. It is written to a
temporary file and renamed into place, so a run killed while saving keeps the previous
backup.

The contract with `Model.fit`, which makes resuming work:
1. Build the model and the optimizer (create `optimizer.variables`) before calling
   `callbacks.on_train_begin()`; an optimizer without its variables yet cannot receive
   the saved state (a warning says so and training resumes with a fresh optimizer).
2. After `on_train_begin()`, read `resume_epoch` of each `BackupAndRestore` in the list:
   when it is not None, start the epoch loop at `resume_epoch` instead of
   `initial_epoch`, and skip the first `resume_step` steps of that epoch (non-zero only
   with an integer `save_freq`; a loop that cannot skip redoes the epoch in full).
3. Call `on_train_end()` only when training finishes (all epochs, or
   `model.stop_training` set by a callback), not when an exception or Ctrl-C ends it:
   the backup is deleted there (with `delete_checkpoint`), and must survive interrupts.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from engine.keras.callbacks.atomic import write_atomically
from engine.keras.callbacks.base import Callback

__all__ = ["BackupAndRestore"]

_FILE = "backup.npz"
_FORMAT = 1


class BackupAndRestore(Callback):
    """Backs up training state during `fit`, and restores it when `fit` is run again.

    If training is interrupted (a crash, a preempted machine, Ctrl-C), running the same
    `fit` again with the same `backup_dir` restores the weights and the optimizer's state
    and continues from the first epoch not completed (see the module docstring for what
    `fit` does with `resume_epoch`). When training finishes, the backup is deleted.

    Args:
        backup_dir: a directory for the backup (created if needed), used by this training
            run only.
        save_freq: "epoch" (back up at the end of each epoch) or an int: back up after
            every that many training batches.
        delete_checkpoint: delete the backup when training finishes.

    Raises:
        ValueError: for an empty `backup_dir` or a bad `save_freq`.

    Example:
        >>> import tempfile, types
        >>> weights = [np.zeros(2)]
        >>> model = types.SimpleNamespace(stop_training=False, optimizer=None,
        ...     get_weights=lambda: [w.copy() for w in weights],
        ...     set_weights=lambda values: weights.__setitem__(0, values[0]))
        >>> backup = engine.keras.callbacks.BackupAndRestore(tempfile.mkdtemp())
        >>> callbacks = engine.keras.callbacks.CallbackList([backup], model=model, epochs=5)
        >>> callbacks.on_train_begin()
        >>> for epoch in range(2):  # then the run is killed during epoch 2
        ...     weights[0] += 1.0
        ...     callbacks.on_epoch_end(epoch, {})
        >>> weights[0][:] = -7.0  # the killed run's half-done epoch
        >>> callbacks.on_train_begin()  # the next run
        >>> backup.resume_epoch, weights[0]
        (2, array([2., 2.]))
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be a directory path; got "
                             f"{backup_dir!r}.")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' or a positive int "
                             f"(a number of batches); got save_freq={save_freq!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self.resume_epoch = None
        self.resume_step = 0
        self._epoch = 0
        self._last_batch = -1
        self._batches_since_save = 0
        self._last_epoch_done = None

    @property
    def backup_path(self) -> str:
        """The backup file's path."""
        return os.path.join(self.backup_dir, _FILE)

    def _wants(self, hook):
        return hook == "on_train_batch_end" and self.save_freq != "epoch"

    def on_train_begin(self, logs=None):
        """Restores the backup, if there is one, and sets `resume_epoch`/`resume_step`."""
        self.resume_epoch, self.resume_step = None, 0
        self._last_epoch_done = None
        self._batches_since_save, self._last_batch = 0, -1
        if os.path.exists(self.backup_path):
            self._restore()

    def on_epoch_begin(self, epoch, logs=None):
        """Notes the epoch for batch-frequency backups."""
        self._epoch = epoch
        self._last_batch = -1

    def on_train_batch_end(self, batch, logs=None):
        """Backs up after every `save_freq` batches (when `save_freq` is an int)."""
        advanced = batch + 1 if batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        self._batches_since_save += advanced
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            steps = self.params.get("steps")
            if steps is not None and batch + 1 >= steps:
                self._save(self._epoch + 1, 0)
            else:
                self._save(self._epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        """Backs up the finished epoch (when `save_freq="epoch"`)."""
        self._last_epoch_done = epoch
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0)

    def on_train_end(self, logs=None):
        """Deletes the backup when training has finished (see `delete_checkpoint`)."""
        epochs = self.params.get("epochs")
        finished = (epochs is None or getattr(self.model, "stop_training", False) or (
            self._last_epoch_done is not None and self._last_epoch_done + 1 >= epochs))
        if self.delete_checkpoint and finished and os.path.exists(self.backup_path):
            os.remove(self.backup_path)
            if not os.listdir(self.backup_dir):
                os.rmdir(self.backup_dir)

    def _save(self, epoch, step):
        weights = [np.asarray(w) for w in self.model.get_weights()]
        slots = [np.asarray(v) for v in _optimizer_variables(self.model)]
        arrays = {}
        for prefix, values in (("weight", weights), ("optimizer", slots)):
            for i, value in enumerate(values):
                # NumPy files cannot keep ml_dtypes (bfloat16...): store those as float32.
                arrays[f"{prefix}_{i}"] = value.astype(np.float32) if value.dtype.kind == "V" \
                    else value
        record = {"format": _FORMAT, "epoch": epoch, "step": step,
                  "weight_dtypes": [w.dtype.name for w in weights],
                  "optimizer_dtypes": [v.dtype.name for v in slots]}
        arrays["record"] = np.array(json.dumps(record))

        def write(path):
            with open(path, "wb") as file:
                np.savez(file, **arrays)

        write_atomically(self.backup_path, write)

    def _restore(self):
        with np.load(self.backup_path, allow_pickle=False) as data:
            record = json.loads(str(data["record"]))
            weights = [_as_dtype(data[f"weight_{i}"], name)
                       for i, name in enumerate(record["weight_dtypes"])]
            slots = [_as_dtype(data[f"optimizer_{i}"], name)
                     for i, name in enumerate(record["optimizer_dtypes"])]
        current = [np.shape(w) for w in self.model.get_weights()]
        if current != [w.shape for w in weights]:
            raise ValueError(
                f"BackupAndRestore: the backup {self.backup_path!r} holds weights of shapes "
                f"{[w.shape for w in weights]}, but the model's are {current}: it was made by "
                "another model. Delete it or use another backup_dir for this model.")
        self.model.set_weights(weights)
        self._restore_optimizer(slots)
        self.resume_epoch, self.resume_step = record["epoch"], record["step"]
        self._last_epoch_done = record["epoch"] - 1

    def _restore_optimizer(self, slots):
        if not slots:
            return
        variables = _optimizer_variables(self.model)
        if len(variables) < len(slots):
            _build_optimizer(self.model)  # a fresh run's optimizer has no slots until a step
            variables = _optimizer_variables(self.model)
        shapes = [tuple(np.shape(v)) for v in variables]
        if shapes != [s.shape for s in slots]:
            warnings.warn(
                f"BackupAndRestore: the optimizer's state was not restored: the backup holds "
                f"{len(slots)} optimizer variables, the optimizer has {len(variables)}"
                f"{' (not built yet)' if not variables else ''}. Training resumes with a "
                "fresh optimizer state. (fit should build the optimizer before "
                "on_train_begin.)", RuntimeWarning, stacklevel=3)
            return
        for variable, value in zip(variables, slots):
            variable.assign(value)


def _optimizer_variables(model) -> list:
    variables = getattr(getattr(model, "optimizer", None), "variables", None)
    if variables is None:
        return []
    return list(variables() if callable(variables) else variables)


def _build_optimizer(model) -> None:
    """Creates the optimizer's slots for the model's trainable variables, in the order the
    first training step would (`train_step` updates `model.trainable_variables`)."""
    build = getattr(getattr(model, "optimizer", None), "build", None)
    trainable = getattr(model, "trainable_variables", None)
    if callable(build) and trainable:
        build(list(trainable))


def _as_dtype(array, name):
    try:
        return array.astype(np.dtype(name), copy=False)
    except TypeError:  # a dtype NumPy does not know here (ml_dtypes missing)
        return array
