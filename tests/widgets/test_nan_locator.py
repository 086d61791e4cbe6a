"""widgets.NanLocator: a graph-mode fit that produces a NaN gets the exact batch replayed."""

import numpy as np
import pytest

import engine
from engine import hooks
from widgets.nan_locator import NanLocator

keras = engine.keras


def _data():
    x = np.linspace(0.5, 2.0, 24, dtype=np.float32).reshape(12, 2)
    x[7, 1] = -1.0  # batch 1 (rows 4-7) takes the log of a negative number
    return x, np.ones((12, 1), np.float32)


def _sequential():
    engine.random.set_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="first"),
                              keras.layers.Lambda(lambda t: engine.math.log(t * t + 1.0),
                                                  name="safe_log"),
                              keras.layers.Lambda(engine.math.log, name="unsafe_log"),
                              keras.layers.Dense(1, name="out")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _raw_log_model():
    engine.random.set_seed(0)
    inputs = keras.Input((2,))
    logged = keras.layers.Lambda(engine.math.log, name="log_input")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(logged))
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_graph_mode_nan_is_traced_to_the_layer_and_op_of_the_exact_batch():
    model = _raw_log_model()
    x, y = _data()
    before = {}

    def remember(event):  # the weights when batch 1 of epoch 0 began
        if event.step == 1 and not before:
            before.update({v.name: v.numpy().copy() for v in model.variables})

    locator = NanLocator(verbose=False)
    with hooks.subscribe("train_batch", remember):
        history = model.fit(x, y, batch_size=4, epochs=5, shuffle=False, verbose=0,
                            callbacks=[locator])
    assert not model.run_eagerly  # the NaN came from the traced step
    assert (locator.epoch, locator.step) == (0, 1)
    assert locator.report.layer == "log_input" and locator.report.op == "Log"
    assert locator.report.op_inputs[0]["min"] == -1.0
    np.testing.assert_array_equal(np.asarray(locator.batch[0]), x[4:8])
    assert np.isnan(locator.logs["loss"])
    assert len(history.history["loss"]) == 1  # stopped after the failing epoch
    for v in model.variables:  # the weights from before the failing step
        np.testing.assert_array_equal(v.numpy(), before[v.name])
    assert hooks.listeners("train_batch") == []


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_stop_false_keeps_training_and_the_first_report():
    model = _raw_log_model()
    x, y = _data()
    locator = NanLocator(stop=False, verbose=False)
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                        callbacks=[locator])
    assert len(history.history["loss"]) == 3
    assert (locator.epoch, locator.step, locator.report.op) == (0, 1, "Log")


def test_finite_training_reports_nothing_and_leaves_no_listener(capsys):
    model = _sequential()
    x, y = _data()
    x = np.abs(x)
    locator = NanLocator()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[locator])
    assert locator.report is None and locator.batch is None
    assert capsys.readouterr().out == ""
    assert hooks.listeners("train_batch") == []


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_subclassed_model_with_a_custom_train_step():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.scale = keras.layers.Dense(2, name="scale", kernel_initializer="ones")
            self.out = keras.layers.Dense(1, name="out")

        def call(self, x):
            return self.out(engine.math.sqrt(self.scale(x)))

        def train_step(self, data):
            x, y = data
            with engine.GradientTape() as tape:
                loss = engine.reduce_mean(engine.square(self(x) - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"loss": loss}

    engine.random.set_seed(0)
    model = Custom()
    model.compile(optimizer="sgd")
    x, y = _data()
    x[5] = [-3.0, -3.0]  # sqrt of a negative sum in batch 1
    locator = NanLocator(verbose=True)
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[locator])
    assert locator.step == 1 and locator.report.op == "Sqrt"
    assert locator.report.layer == model.name and "before layer out" in locator.report.message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_in_the_data_is_named_as_such():
    model = _raw_log_model()
    x, y = _data()
    x = np.abs(x)
    x[9, 0] = np.nan
    locator = NanLocator(verbose=False)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[locator])
    assert (locator.step, locator.report.stage) == (2, "data")
    assert "1 NaN" in locator.report.message
