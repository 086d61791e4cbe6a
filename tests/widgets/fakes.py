"""Stand-ins for the dashboard tests: a clock, a click-scripted poller, a model, a loop.

`run_fit` plays `Model.fit`'s part exactly as `engine/keras/models/training.py` does it
(hook order, `stop_training` after a batch and after an epoch, `run_eagerly` read at every
batch), so long runs (100k batches) take seconds instead of minutes.
"""

import engine
from engine.keras import callbacks as cbks


class FakeClock:
    """A clock that moves only when told (`advance`) or when `sleep` is called."""

    def __init__(self, start=100.0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds

    sleep = advance


class ScriptedPoller:
    """A live poller whose `poll()` runs `script(poll_number)` (which clicks buttons)."""

    live = True
    reason = ""

    def __init__(self, script=None):
        self.script = script or (lambda n: None)
        self.polls = 0
        self.opened = self.closed = 0

    def open(self):
        self.opened += 1

    def poll(self):
        self.polls += 1
        self.script(self.polls)

    def close(self):
        self.closed += 1


class FakeOptimizer:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = engine.Variable(learning_rate, trainable=False, dtype="float64")


class FakeModel:
    """What the dashboard reads from a model: optimizer, run_eagerly, stop_training."""

    def __init__(self, run_eagerly=False):
        self.optimizer = FakeOptimizer()
        self.run_eagerly = run_eagerly
        self.stop_training = False
        self.modes = []  # run_eagerly at each batch, as fit's step function would read it


def run_fit(model, callbacks, epochs=2, steps=10, loss=lambda epoch, batch: 1.0 / (batch + 1),
            clock=None, step_seconds=0.01, validation=True):
    """Runs fit's loop over fake batches; returns (History, batches run)."""
    callback_list = cbks.CallbackList(callbacks, add_history=True, model=model, verbose=0,
                                      epochs=epochs, steps=steps)
    model.stop_training = False
    callback_list.on_train_begin()
    logs, ran = {}, 0
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            model.modes.append(model.run_eagerly)
            if clock is not None:
                clock.advance(step_seconds)
            ran += 1
            logs = {"loss": loss(epoch, batch), "accuracy": 0.5}
            callback_list.on_train_batch_end(batch, logs)
            if model.stop_training:
                break
        logs = dict(logs)
        if validation:
            logs["val_loss"] = logs["loss"] * 1.1
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return callback_list._history, ran
