"""Keras callbacks, driven by a scripted training loop over a small fake model.

`FakeModel` provides what the callbacks use (the contract with `Model.fit`): weights,
`stop_training`, save/load methods and an optimizer whose learning rate lives in an
engine variable. `run_fit` plays `fit`'s part: the hook order, `stop_training` checks,
and resuming from `BackupAndRestore`.
"""

import csv
import importlib
import io
import json
import os
import re
import warnings

import numpy as np
import pytest

import engine
from engine.keras import callbacks as cbks

progbar_module = importlib.import_module("engine.keras.callbacks.progbar")


class FakeOptimizer:
    """An optimizer whose rate is an engine variable, read and set as a float."""

    def __init__(self, learning_rate=0.1, built=True):
        self._rate = engine.Variable(learning_rate, trainable=False, dtype="float64")
        self.variables = ([engine.Variable(0, dtype="int64", name="iterations"),
                           engine.Variable(np.zeros((2, 3)), name="m")] if built else [])

    @property
    def learning_rate(self):
        return self._rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._rate.assign(value)


class FakeModel:
    def __init__(self, shapes=((2, 3), (3,)), optimizer=None):
        self.weights = [np.zeros(shape) for shape in shapes]
        self.optimizer = optimizer if optimizer is not None else FakeOptimizer()
        self.stop_training = False
        self.saved = []

    def train_one_epoch(self, epoch):
        """Stands in for an epoch's updates: weights and optimizer state change."""
        self.weights = [w + epoch + 1 for w in self.weights]
        for variable in getattr(self.optimizer, "variables", []):
            variable.assign_add(np.ones_like(np.asarray(variable)))

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, values):
        assert [np.shape(v) for v in values] == [w.shape for w in self.weights]
        self.weights = [np.array(v, dtype=w.dtype) for v, w in zip(values, self.weights)]

    def save_weights(self, filepath, overwrite=True):
        with open(filepath, "wb") as file:
            np.savez(file, *self.weights)
        self.saved.append(filepath)

    def load_weights(self, filepath):
        with np.load(filepath) as data:
            self.set_weights([data[f"arr_{i}"] for i in range(len(self.weights))])

    def save(self, filepath):
        with open(filepath, "w") as file:
            json.dump({"weights": [w.tolist() for w in self.weights]}, file)
        self.saved.append(filepath)


def run_fit(callbacks, model, epoch_logs, steps=3, batch_logs=None, initial_epoch=0,
            verbose=0):
    """Plays `Model.fit`'s part: epoch_logs[e] are epoch e's results, batch_logs[e][b]
    (default: the epoch's logs) batch b's."""
    epochs = len(epoch_logs)
    callback_list = cbks.CallbackList(callbacks, add_history=True, model=model,
                                      verbose=verbose, epochs=epochs, steps=steps)
    model.stop_training = False
    callback_list.on_train_begin()
    start, skip = initial_epoch, 0
    for callback in callback_list:
        if isinstance(callback, cbks.BackupAndRestore) and callback.resume_epoch is not None:
            start, skip = callback.resume_epoch, callback.resume_step
    logs = None
    for epoch in range(start, epochs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(skip if epoch == start else 0, steps):
            callback_list.on_train_batch_begin(batch)
            logs = dict((batch_logs or {}).get(epoch, {}).get(batch, epoch_logs[epoch]))
            callback_list.on_train_batch_end(batch, logs)
            if model.stop_training:
                break
        model.train_one_epoch(epoch)
        logs = dict(epoch_logs[epoch])
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return callback_list._history


def losses(*values, key="val_loss"):
    return [{"loss": v + 0.5, key: v} for v in values]


# --- CallbackList and Callback -----------------------------------------------------------

class Recorder(cbks.Callback):
    def __init__(self, name, calls):
        super().__init__()
        self.name, self.calls = name, calls

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((self.name, epoch, dict(logs)))
        logs[f"seen_by_{self.name}"] = 1.0

    def on_batch_end(self, batch, logs=None):  # the old name still gets train batches
        self.calls.append((self.name, "batch", batch))


def test_callback_list_calls_hooks_in_order_and_shares_epoch_logs():
    calls = []
    history = run_fit([Recorder("a", calls), Recorder("b", calls)], FakeModel(),
                      losses(1.0, 0.5), steps=2)
    assert [c[:2] for c in calls] == [("a", "batch"), ("b", "batch")] * 2 + [
        ("a", 0), ("b", 0)] + [("a", "batch"), ("b", "batch")] * 2 + [("a", 1), ("b", 1)]
    assert "seen_by_a" in calls[5][2] and "seen_by_b" not in calls[4][2]
    assert history.history["seen_by_b"] == [1.0, 1.0]  # History comes last and sees all


def test_callback_list_adds_defaults_once():
    history, progbar = cbks.History(), cbks.ProgbarLogger()
    plain = cbks.CallbackList([cbks.TerminateOnNaN()], add_history=True, add_progbar=True)
    assert [type(c) for c in plain] == [cbks.ProgbarLogger, cbks.TerminateOnNaN, cbks.History]
    given = cbks.CallbackList([history, progbar], add_history=True, add_progbar=True)
    assert given.callbacks == [history, progbar]
    assert cbks.CallbackList(None).callbacks == []


def test_callback_list_passes_model_and_params():
    nan, model = cbks.TerminateOnNaN(), FakeModel()
    callback_list = cbks.CallbackList([nan], model=model, epochs=3, steps=7, verbose=0)
    assert nan.model is model and nan.params == {"epochs": 3, "steps": 7, "verbose": 0}
    late = cbks.History()
    callback_list.append(late)
    assert late.model is model and late.params["steps"] == 7 and len(callback_list) == 2


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match="LambdaCallback"):
        cbks.CallbackList([lambda epoch, logs: None])
    with pytest.raises(ValueError, match="mode"):
        cbks.CallbackList([]).needs_batch_hooks("training")


@pytest.mark.parametrize("callback, train, test", [
    (cbks.History(), False, False),
    (cbks.EarlyStopping(), False, False),
    (cbks.TerminateOnNaN(), True, False),
    (cbks.LambdaCallback(on_batch_begin=print), True, False),
    (cbks.LambdaCallback(on_test_batch_end=print), False, True),
    (cbks.ModelCheckpoint("x.h5"), False, False),
    (cbks.ModelCheckpoint("x.h5", save_freq=5), True, False),
])
def test_needs_batch_hooks(callback, train, test):
    callback_list = cbks.CallbackList([callback], verbose=0, epochs=1, steps=3)
    assert callback_list.needs_batch_hooks("train") is train
    assert callback_list.needs_batch_hooks("test") is test


def test_progbar_needs_batch_hooks_only_when_it_draws_or_counts():
    def needs(verbose, steps):
        return cbks.CallbackList([cbks.ProgbarLogger()], verbose=verbose, epochs=1,
                                 steps=steps).needs_batch_hooks()
    assert needs(1, 10) and needs(2, None) and not needs(2, 10) and not needs(0, None)


def test_batch_hooks_skip_callbacks_without_them():
    calls = []
    epoch_only = cbks.LambdaCallback(on_epoch_end=lambda e, logs: calls.append(e))
    callback_list = cbks.CallbackList([epoch_only])
    assert callback_list._batch["on_train_batch_end"] == []
    callback_list.on_train_batch_end(0, {})
    callback_list.on_epoch_end(0, {})
    assert calls == [0]


# --- History -----------------------------------------------------------------------------

def test_history_records_epochs_and_attaches_to_model():
    model = FakeModel()
    history = run_fit([], model, losses(1.0, 0.5, 0.25))
    assert model.history is history
    assert history.epoch == [0, 1, 2]
    assert history.history == {"loss": [1.5, 1.0, 0.75], "val_loss": [1.0, 0.5, 0.25]}


# --- monitor modes -----------------------------------------------------------------------

@pytest.mark.parametrize("monitor, expected", [
    ("val_loss", "min"), ("loss", "min"), ("mae", "min"), ("accuracy", "max"),
    ("val_acc", "max"), ("val_sparse_categorical_accuracy", "max"), ("auc", "max"),
    ("val_auc_1", "max"), ("precision", "max"), ("val_mean_squared_error", "min"),
])
def test_auto_mode_follows_the_metric_name(monitor, expected):
    assert cbks.EarlyStopping(monitor=monitor).mode == expected
    assert cbks.ModelCheckpoint("x", monitor=monitor).mode == expected
    assert cbks.ReduceLROnPlateau(monitor=monitor).mode == expected


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError, match="mode must be one of"):
        cbks.EarlyStopping(mode="smallest")


# --- EarlyStopping -----------------------------------------------------------------------

def test_early_stopping_stops_after_patience_and_restores_best_weights(capsys):
    model = FakeModel()
    stopper = cbks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    history = run_fit([stopper], model, losses(1.0, 0.8, 0.9, 0.85, 0.95, 0.7))
    assert history.epoch == [0, 1, 2, 3]  # 0.9 and 0.85 do not beat 0.8
    assert stopper.stopped_epoch == 3 and stopper.best == 0.8 and stopper.best_epoch == 1
    # The weights after epoch 1 (train_one_epoch adds epoch + 1: 1 + 2).
    np.testing.assert_array_equal(model.weights[0], np.full((2, 3), 3.0))
    out = capsys.readouterr().out
    assert "Restoring model weights from the end of the best epoch: 2." in out
    assert "Epoch 4: early stopping" in out


def test_early_stopping_max_mode_and_min_delta():
    logs = [{"val_accuracy": v} for v in (0.5, 0.6, 0.605, 0.61, 0.9)]
    stopper = cbks.EarlyStopping(monitor="val_accuracy", patience=2, min_delta=0.02)
    history = run_fit([stopper], FakeModel(), logs)
    assert history.epoch == [0, 1, 2, 3] and stopper.best == 0.6


def test_early_stopping_runs_out_of_epochs_without_restoring():
    model = FakeModel()
    stopper = cbks.EarlyStopping(patience=5, restore_best_weights=True)
    run_fit([stopper], model, losses(1.0, 0.5, 0.7))
    assert stopper.stopped_epoch == 0 and not model.stop_training
    np.testing.assert_array_equal(model.weights[1], np.full(3, 6.0))  # 1 + 2 + 3: last


def test_early_stopping_baseline_and_warmup():
    model = FakeModel()
    stopper = cbks.EarlyStopping(patience=2, baseline=0.5, restore_best_weights=True)
    history = run_fit([stopper], model, losses(0.9, 0.8, 0.85, 0.1))
    # Improvements that miss the baseline do not reset the wait: it stops at epoch 2.
    assert history.epoch == [0, 1, 2] and stopper.best == 0.8
    np.testing.assert_array_equal(model.weights[0], np.full((2, 3), 3.0))
    warm = cbks.EarlyStopping(patience=0, start_from_epoch=2)
    history = run_fit([warm], FakeModel(), losses(0.1, 0.5, 0.9, 1.0, 0.05))
    assert history.epoch == [0, 1, 2, 3]  # epoch 1's worse loss did not count


def test_missing_monitor_warns_once_naming_the_keys():
    stopper = cbks.EarlyStopping(monitor="val_acc")
    with pytest.warns(RuntimeWarning, match=r"'val_acc'.*Available metrics are: loss, "
                                            r"val_loss") as record:
        run_fit([stopper], FakeModel(), losses(1.0, 0.9, 0.8))
    assert len([w for w in record if "val_acc" in str(w.message)]) == 1


# --- ModelCheckpoint ---------------------------------------------------------------------

def test_checkpoint_names_files_from_the_template_and_saves_only_the_best(tmp_path):
    model = FakeModel()
    template = str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.npz")
    checkpoint = cbks.ModelCheckpoint(template, save_best_only=True, save_weights_only=True)
    run_fit([checkpoint], model, losses(0.9, 0.7, 0.8, 0.6))
    assert sorted(os.listdir(tmp_path)) == ["w.01-0.90.npz", "w.02-0.70.npz", "w.04-0.60.npz"]
    restored = FakeModel()
    restored.load_weights(str(tmp_path / "w.02-0.70.npz"))
    np.testing.assert_array_equal(restored.weights[0], np.full((2, 3), 3.0))


def test_checkpoint_best_file_holds_the_best_model(tmp_path):
    model = FakeModel()
    path = tmp_path / "best.json"
    checkpoint = cbks.ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True)
    assert checkpoint.mode == "max"
    run_fit([checkpoint], model, [{"val_accuracy": a} for a in (0.5, 0.8, 0.7)])
    saved = json.loads(path.read_text())["weights"][1]
    assert saved == [3.0, 3.0, 3.0] and checkpoint.best == 0.8  # the epoch-2 weights
    assert os.listdir(tmp_path) == ["best.json"]  # no temporary files left


def test_checkpoint_every_epoch_and_threshold(tmp_path, capsys):
    model = FakeModel()
    every = cbks.ModelCheckpoint(tmp_path / "e{epoch}.json", verbose=1)
    run_fit([every], model, losses(0.9, 0.95))
    assert sorted(os.listdir(tmp_path)) == ["e1.json", "e2.json"]
    assert "Epoch 2: saving model to" in capsys.readouterr().out
    threshold = cbks.ModelCheckpoint(tmp_path / "t.json", save_best_only=True, verbose=1,
                                     initial_value_threshold=0.92)
    run_fit([threshold], model, losses(0.95, 0.9))
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss did not improve from 0.92000" in out
    assert "Epoch 2: val_loss improved from 0.92000 to 0.90000" in out


def test_checkpoint_save_freq_in_batches(tmp_path):
    model = FakeModel()
    checkpoint = cbks.ModelCheckpoint(tmp_path / "b{epoch}-{batch}.npz", save_freq=2,
                                      save_weights_only=True)
    run_fit([checkpoint], model, losses(0.9, 0.8), steps=3)
    # Batches 2, 4 and 6 of 3 per epoch: epoch 1 batch 2, epoch 2 batches 1 and 3.
    assert sorted(os.listdir(tmp_path)) == ["b1-2.npz", "b2-1.npz", "b2-3.npz"]


def test_checkpoint_errors(tmp_path):
    with pytest.raises(KeyError, match=r"'val_acc'.*Available fields: epoch, loss, val_loss"):
        run_fit([cbks.ModelCheckpoint(tmp_path / "{val_acc:.2f}.h5")], FakeModel(),
                losses(0.5))
    model = FakeModel()
    model.save = None
    with pytest.raises(TypeError, match="save_weights_only=True"):
        run_fit([cbks.ModelCheckpoint(tmp_path / "m.h5")], model, losses(0.5))
    with pytest.raises(ValueError, match="save_freq"):
        cbks.ModelCheckpoint("x", save_freq="batch")


def test_checkpoint_interrupted_save_keeps_the_previous_file(tmp_path):
    model = FakeModel()
    path = tmp_path / "m.json"
    run_fit([cbks.ModelCheckpoint(path)], model, losses(0.5))
    before = path.read_text()

    def broken_save(filepath):
        with open(filepath, "w") as file:
            file.write("{half")
        raise KeyboardInterrupt

    model.save = broken_save
    with pytest.raises(KeyboardInterrupt):
        run_fit([cbks.ModelCheckpoint(path)], model, losses(0.5))
    assert path.read_text() == before and os.listdir(tmp_path) == ["m.json"]


def test_checkpoint_replaces_a_directory_format_save(tmp_path):
    model = FakeModel()

    def save_dir(filepath):
        os.makedirs(filepath)
        FakeModel.save(model, os.path.join(filepath, "model.json"))

    model.save = save_dir
    run_fit([cbks.ModelCheckpoint(tmp_path / "saved")], model, losses(0.5, 0.4))
    saved = json.loads((tmp_path / "saved" / "model.json").read_text())
    assert saved["weights"][1] == [3.0, 3.0, 3.0] and os.listdir(tmp_path) == ["saved"]


# --- learning rate -----------------------------------------------------------------------

@pytest.mark.parametrize("schedule", [lambda epoch: 0.1 / (epoch + 1),
                                      lambda epoch, lr: 0.1 / (epoch + 1)])
def test_learning_rate_scheduler_sets_and_logs_the_rate(schedule):
    model = FakeModel()
    seen = []
    spy = cbks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(
        float(model.optimizer.learning_rate)))
    history = run_fit([cbks.LearningRateScheduler(schedule), spy], model, losses(1, 1, 1))
    expected = [0.1 / (e + 1) for e in range(3)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)
    np.testing.assert_allclose(history.history["lr"], expected, rtol=1e-12)


def test_learning_rate_scheduler_uses_the_current_rate(capsys):
    model = FakeModel(optimizer=FakeOptimizer(learning_rate=1.0))
    run_fit([cbks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1)], model,
            losses(1, 1, 1))
    assert float(model.optimizer.learning_rate) == 0.125
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.125." in \
        capsys.readouterr().out


def test_learning_rate_errors():
    with pytest.raises(TypeError, match="expected a number"):
        run_fit([cbks.LearningRateScheduler(lambda epoch: "fast")], FakeModel(), losses(1))
    model = FakeModel()
    model.optimizer = None
    with pytest.raises(AttributeError, match="Compile the model"):
        run_fit([cbks.ReduceLROnPlateau()], model, losses(1))
    with pytest.raises(ValueError, match="factor"):
        cbks.ReduceLROnPlateau(factor=1.5)


def reference_plateau(values, rate, factor, patience, cooldown, min_delta, min_lr):
    """The rates after each epoch, by the rule in ReduceLROnPlateau's docstring."""
    best, wait, cool, rates = np.inf, 0, 0, []
    for value in values:
        if cool > 0:
            cool, wait = cool - 1, 0
        if value < best - min_delta:
            best, wait = value, 0
        elif cool == 0:
            wait += 1
            if wait >= patience and rate > min_lr:
                rate, cool, wait = max(rate * factor, min_lr), cooldown, 0
        rates.append(rate)
    return rates


@pytest.mark.parametrize("patience, cooldown, min_lr", [(1, 2, 0.0), (2, 0, 0.0),
                                                         (1, 0, 0.02), (3, 1, 0.0)])
def test_reduce_lr_on_plateau_with_cooldown(patience, cooldown, min_lr):
    values = [1.0, 1.0, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    model = FakeModel()
    rates = []
    spy = cbks.LambdaCallback(on_epoch_end=lambda epoch, logs: rates.append(
        float(model.optimizer.learning_rate)))
    reduce = cbks.ReduceLROnPlateau(factor=0.5, patience=patience, cooldown=cooldown,
                                    min_lr=min_lr)
    history = run_fit([reduce, spy], model, losses(*values))
    expected = reference_plateau(values, 0.1, 0.5, patience, cooldown, 1e-4, min_lr)
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    assert history.history["lr"][0] == pytest.approx(0.1)  # the rate before any change
    assert len(set(expected)) > 2


def test_reduce_lr_on_plateau_spells_out_one_case(capsys):
    model = FakeModel()
    run_fit([cbks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, verbose=1)], model,
            losses(*[1.0] * 6))
    out = capsys.readouterr().out
    # Reductions after epochs 2, 4 and 6: one epoch of patience, two of cooldown.
    assert re.findall(r"Epoch (\d+): ReduceLROnPlateau", out) == ["2", "4", "6"]
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0125)


# --- CSVLogger ---------------------------------------------------------------------------

def read_csv(path, separator=","):
    with open(path, newline="") as file:
        return list(csv.reader(file, delimiter=separator))


def test_csv_logger_writes_a_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    rows_seen = []
    spy = cbks.LambdaCallback(on_epoch_end=lambda e, logs: rows_seen.append(
        len(read_csv(path))))
    run_fit([cbks.CSVLogger(path), spy], FakeModel(), losses(0.5, 0.25))
    assert read_csv(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "0.5"],
                              ["1", "0.75", "0.25"]]
    assert rows_seen == [2, 3]  # complete on disk after every epoch


def test_csv_logger_adds_validation_columns_and_appends(tmp_path):
    path = tmp_path / "log.tsv"
    logs = [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.7}]
    run_fit([cbks.CSVLogger(path, separator="\t")], FakeModel(), logs)
    assert read_csv(path, "\t") == [["epoch", "loss", "val_loss"], ["0", "1.0", "NA"],
                                    ["1", "0.5", "0.7"]]
    run_fit([cbks.CSVLogger(path, separator="\t", append=True)], FakeModel(),
            [{"val_loss": 0.1, "loss": 0.2, "new": 3.0}])
    assert read_csv(path, "\t")[1:] == [["0", "1.0", "NA"], ["1", "0.5", "0.7"],
                                        ["0", "0.2", "0.1"]]
    run_fit([cbks.CSVLogger(path, separator="\t")], FakeModel(), [{"acc": 0.5}])
    assert read_csv(path, "\t") == [["epoch", "acc", "val_acc"], ["0", "0.5", "NA"]]


# --- TerminateOnNaN ----------------------------------------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_terminate_on_nan_stops_at_the_bad_batch(bad, capsys):
    batch_logs = {1: {2: {"loss": bad}}}
    history = run_fit([cbks.TerminateOnNaN()], FakeModel(), losses(1, 1, 1), steps=4,
                      batch_logs=batch_logs)
    assert history.epoch == [0, 1]
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


# --- LambdaCallback ----------------------------------------------------------------------

def test_lambda_callback_calls_each_hook():
    calls = []

    def recorder(name):
        # Epoch and batch hooks get (index, logs); train hooks get (logs).
        return lambda *args: calls.append((name, *args[:-1]))

    hooks = {name: recorder(name) for name in (
        "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin",
        "on_batch_end")}
    run_fit([cbks.LambdaCallback(**hooks)], FakeModel(), losses(1, 1), steps=1)
    assert calls == [("on_train_begin",)] + [
        (hook, epoch if "epoch" in hook else 0) for epoch in (0, 1) for hook in (
            "on_epoch_begin", "on_batch_begin", "on_batch_end", "on_epoch_end")] + [
        ("on_train_end",)]
    tested = []
    callback_list = cbks.CallbackList([cbks.LambdaCallback(on_test_begin=tested.append)])
    callback_list.on_test_begin({"x": 1})
    assert tested == [{"x": 1}]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match="not a callback hook"):
        cbks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="must be a function"):
        cbks.LambdaCallback(on_epoch_end=3)


# --- BackupAndRestore --------------------------------------------------------------------

class Interrupt(cbks.Callback):
    """Ctrl-C at the start of an epoch, or before one of its batches."""

    def __init__(self, at_epoch, at_batch=None):
        super().__init__()
        self.at_epoch, self.at_batch, self.epoch = at_epoch, at_batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        if epoch == self.at_epoch and self.at_batch is None:
            raise KeyboardInterrupt

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == (self.at_epoch, self.at_batch):
            raise KeyboardInterrupt


def optimizer_state(model):
    return [np.asarray(v).copy() for v in model.optimizer.variables]


def test_backup_and_restore_resumes_where_training_stopped(tmp_path):
    backup_dir = tmp_path / "backup"
    uninterrupted = FakeModel()
    run_fit([], uninterrupted, losses(*[1.0] * 5))

    model = FakeModel()
    with pytest.raises(KeyboardInterrupt):
        run_fit([cbks.BackupAndRestore(backup_dir), Interrupt(at_epoch=3)], model,
                losses(*[1.0] * 5))
    assert os.listdir(backup_dir) == ["backup.npz"]

    resumed = FakeModel()  # a new process: fresh weights and optimizer
    backup = cbks.BackupAndRestore(backup_dir)
    history = run_fit([backup], resumed, losses(*[1.0] * 5))
    assert backup.resume_epoch == 3 and history.epoch == [3, 4]
    for got, want in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(optimizer_state(resumed), optimizer_state(uninterrupted)):
        np.testing.assert_array_equal(got, want)
    assert not backup_dir.exists()  # deleted once training finished


def test_backup_in_batches_records_the_step(tmp_path):
    model = FakeModel()
    with pytest.raises(KeyboardInterrupt):
        run_fit([cbks.BackupAndRestore(tmp_path, save_freq=2), Interrupt(1, at_batch=2)],
                model, losses(1.0, 1.0, 1.0), steps=3)
    backup = cbks.BackupAndRestore(tmp_path, save_freq=2, delete_checkpoint=False)
    history = run_fit([backup], FakeModel(), losses(1.0, 1.0, 1.0), steps=3)
    # Batches 2 and 4 were backed up: after batch 4 (epoch 1's first), resume at step 1.
    assert (backup.resume_epoch, backup.resume_step) == (1, 1) and history.epoch == [1, 2]
    assert os.listdir(tmp_path) == ["backup.npz"]  # kept: delete_checkpoint=False


def test_backup_is_kept_when_training_does_not_finish(tmp_path):
    backup = cbks.BackupAndRestore(tmp_path / "b")
    callback_list = cbks.CallbackList([backup], model=FakeModel(), epochs=4)
    callback_list.on_train_begin()
    callback_list.on_epoch_end(0, {})
    callback_list.on_train_end()  # ended after 1 of 4 epochs, without stop_training
    assert os.listdir(tmp_path / "b") == ["backup.npz"]


def test_backup_from_another_model_is_refused(tmp_path):
    run_fit([cbks.BackupAndRestore(tmp_path, delete_checkpoint=False)], FakeModel(),
            losses(1.0))
    with pytest.raises(ValueError, match="another model"):
        run_fit([cbks.BackupAndRestore(tmp_path)], FakeModel(shapes=((4,),)), losses(1.0))


def test_backup_warns_when_the_optimizer_is_not_built(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_fit([cbks.BackupAndRestore(tmp_path), Interrupt(1)], FakeModel(),
                losses(1.0, 1.0))
    model = FakeModel(optimizer=FakeOptimizer(built=False))
    with pytest.warns(RuntimeWarning, match="not built yet"):
        run_fit([cbks.BackupAndRestore(tmp_path)], model, losses(1.0, 1.0))
    np.testing.assert_array_equal(model.weights[1], np.full(3, 3.0))  # weights restored


# --- ProgbarLogger -----------------------------------------------------------------------

class Clock:
    """A fake `time.monotonic` that advances only when told to."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Terminal(io.StringIO):
    def isatty(self):
        return True


def drive_progbar(monkeypatch, verbose, steps=100, epochs=2, seconds_per_step=0.001,
                  stdout=None, known_steps=True, metrics=()):
    clock = Clock()
    monkeypatch.setattr(progbar_module, "_clock", clock)
    if stdout is not None:
        monkeypatch.setattr("sys.stdout", stdout)
    model = FakeModel()
    model.metrics = [type("Metric", (), {"name": name})() for name in metrics]
    callback_list = cbks.CallbackList([], add_progbar=True, model=model, verbose=verbose,
                                      epochs=epochs, steps=steps if known_steps else None)
    callback_list.on_train_begin()
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            clock.now += seconds_per_step
            callback_list.on_train_batch_end(batch, {"loss": float(batch + 1),
                                                     "acc": float(batch)})
        callback_list.on_epoch_end(epoch, {"loss": 0.25, "acc": 0.75, "val_loss": 0.5})
    callback_list.on_train_end()


FINAL_1 = r"100/100 \[=+\] - \d+s \d+(us|ms|s)/step - loss: 0\.2500 - acc: 0\.7500 - " \
          r"val_loss: 0\.5000"


def test_progbar_verbose_2_prints_one_line_per_epoch(monkeypatch, capsys):
    drive_progbar(monkeypatch, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(r"100/100 - 0s - loss: 0\.2500 - acc: 0\.7500 - val_loss: 0\.5000 - "
                        r"100ms/epoch - 1ms/step", lines[1])


def test_progbar_verbose_1_off_terminal_prints_only_the_final_line_of_short_epochs(
        monkeypatch, capsys):
    drive_progbar(monkeypatch, verbose=1, steps=100, seconds_per_step=0.05)  # 5 s epochs
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and "\r" not in "".join(lines)
    assert re.fullmatch(FINAL_1, lines[1]) and re.fullmatch(FINAL_1, lines[3])


def test_progbar_verbose_1_off_terminal_long_epoch_prints_a_handful(monkeypatch, capsys):
    # 1000 steps of 0.1 s: a 100 s epoch gets lines at 25%, 50% and 75%, then the final.
    drive_progbar(monkeypatch, verbose=1, steps=1000, epochs=1, seconds_per_step=0.1)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("/")[0].strip() for line in lines] == ["250", "500", "750", "1000"]
    assert re.fullmatch(r" 250/1000 \[={6}>\.{23}\] - ETA: 1:15 - loss: 125\.5000 - "
                        r"acc: 124\.5000", lines[0])  # averages of the batch values


def test_progbar_unknown_steps_off_terminal_doubles_the_gap(monkeypatch, capsys):
    drive_progbar(monkeypatch, verbose=1, steps=2000, epochs=1, seconds_per_step=0.125,
                  known_steps=False)  # a 250 s epoch: lines at 10, 30, 70 and 150 s
    lines = capsys.readouterr().out.splitlines()
    assert [int(line.split("/")[0]) for line in lines] == [80, 240, 560, 1200, 2000]
    assert lines[0].startswith("     80/Unknown - 10s 125ms/step - loss:")
    assert lines[-1].startswith("2000/2000 [")


def test_progbar_on_a_terminal_redraws_at_most_ten_times_a_second(monkeypatch):
    terminal = Terminal()
    drive_progbar(monkeypatch, verbose=1, steps=1000, epochs=1, seconds_per_step=0.01,
                  stdout=terminal)  # 10 s
    text = terminal.getvalue()
    redraws = text.split("\r")[1:]
    assert 80 <= len(redraws) <= 102 and text.endswith("\n") and text.count("\n") == 1
    assert re.fullmatch(r"   1/1000 \[\.{30}\] - ETA: \d+s - loss: 1\.0000 - acc: 0\.0000e\+00 *",
                        redraws[0])
    assert re.fullmatch(r"1000/1000 \[=+\] - 10s 10ms/step - loss: 0\.2500 - acc: 0\.7500 - "
                        r"val_loss: 0\.5000 *\n", redraws[-1])


def test_progbar_shows_model_metrics_as_given(monkeypatch):
    terminal = Terminal()
    drive_progbar(monkeypatch, verbose=1, steps=10, epochs=1, seconds_per_step=1.0,
                  stdout=terminal, metrics=["loss"])
    redraws = terminal.getvalue().split("\r")
    # Step 4: loss is the model's running mean, shown as given; acc is averaged (0..3).
    assert " 4/10 [" in redraws[4] and "loss: 4.0000 - acc: 1.5000" in redraws[4]


def test_messages_start_on_a_fresh_line_after_a_terminal_bar(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    callback_list = cbks.CallbackList([cbks.TerminateOnNaN()], add_progbar=True,
                                      model=FakeModel(), verbose=1, epochs=1, steps=5)
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    callback_list.on_train_batch_end(0, {"loss": float("nan")})
    assert terminal.getvalue().endswith("- loss: nan\nBatch 0: Invalid loss, terminating "
                                        "training\n")


def test_progbar_shows_evaluate_but_not_validation_inside_fit(monkeypatch, capsys):
    callback_list = cbks.CallbackList([], add_progbar=True, model=FakeModel(), verbose=2,
                                      epochs=1, steps=4)
    callback_list.on_test_begin()
    callback_list.on_test_end({"loss": 0.5})
    assert re.fullmatch(r"4/4 - 0s - loss: 0\.5000 - \S+/epoch - \S+/step\n",
                        capsys.readouterr().out)
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    callback_list.on_test_begin()
    callback_list.on_test_end({"loss": 0.5})
    assert capsys.readouterr().out == ""


def test_progbar_samples_mode_and_bad_count_mode(monkeypatch, capsys):
    logger = cbks.ProgbarLogger(count_mode="samples")
    callback_list = cbks.CallbackList([logger], model=FakeModel(), verbose=2, epochs=1,
                                      samples=70)
    callback_list.on_epoch_begin(0)
    for _ in range(3):
        callback_list.on_train_batch_end(0, {"size": 32 if _ < 2 else 6, "loss": 1.0})
    callback_list.on_epoch_end(0, {"loss": 1.0})
    assert re.match(r"70/70 - 0s - loss: 1\.0000 - \S+/epoch - \S+/sample", capsys.readouterr().out)
    with pytest.raises(ValueError, match="count_mode"):
        cbks.ProgbarLogger(count_mode="epochs")


def test_progbar_batch_updates_do_not_format_between_prints(monkeypatch):
    calls = []
    monkeypatch.setattr(progbar_module.Progbar, "_values_text",
                        lambda self: calls.append(1) or "")
    drive_progbar(monkeypatch, verbose=1, steps=1000, epochs=1, seconds_per_step=0.001)
    assert len(calls) == 1  # the final line only: a 1 s epoch off a terminal


def test_no_warnings_in_a_plain_run():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_fit([cbks.EarlyStopping(), cbks.ReduceLROnPlateau()], FakeModel(), losses(1, 2))
