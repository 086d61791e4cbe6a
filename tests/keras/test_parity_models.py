"""Keras 2 parity of models and the training loop: names of logs, step data, hooks.

Each test pins a behaviour where eagerlab differed from tf.keras (Keras 2) in a
differential comparison.
"""

import numpy as np
import pytest

import engine
from engine import keras
from engine.keras import layers

X = np.linspace(-1, 1, 30, dtype=np.float32).reshape(10, 3)
Y = (X.sum(1, keepdims=True) * 0.5).astype(np.float32)


def _dense_model():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def _two_outputs(name_1="o1", name_2="o2"):
    x = keras.Input(shape=(3,))
    return keras.Model(x, [layers.Dense(1, name=name_1)(x), layers.Dense(1, name=name_2)(x)])


def test_metric_given_as_string_keeps_that_name():
    model = _dense_model()
    history = model.fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y))
    assert list(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert list(model.train_on_batch(X, Y, return_dict=True)) == ["loss", "mae"]
    model.compile(optimizer="sgd", loss="mse", metrics=["mean_absolute_error"])
    assert list(model.evaluate(X, Y, verbose=0, return_dict=True)) == [
        "loss", "mean_absolute_error"]


def test_weighted_metrics_get_the_prefix_only_when_the_name_is_taken():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], weighted_metrics=["mae", "mse"])
    logs = model.evaluate(X, Y, sample_weight=np.ones(10), verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "weighted_mae", "mse"]

    model = _two_outputs()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], weighted_metrics=["mae"])
    logs = model.evaluate(X, [Y, Y], verbose=0, return_dict=True)
    assert list(logs) == ["loss", "o1_loss", "o2_loss", "o1_mae", "o1_weighted_mae",
                          "o2_mae", "o2_weighted_mae"]


def test_two_metrics_of_the_same_name_raise():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mae"])
    with pytest.raises(ValueError, match="two metrics are named 'mae'"):
        model.evaluate(X, Y, verbose=0)


def test_metrics_are_empty_until_the_first_batch():
    model = _dense_model()
    assert model.metrics == [] and model.metrics_names == []
    model.evaluate(X, Y, verbose=0)
    assert model.metrics_names == ["loss", "mae"]


def test_fit_validation_calls_the_test_hooks_of_the_callbacks():
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_test_begin(self, logs=None):
            seen.append("test_begin")

        def on_test_batch_end(self, batch, logs=None):
            seen.append(("test_batch_end", batch, sorted(logs)))

        def on_test_end(self, logs=None):
            seen.append(("test_end", sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            seen.append("epoch_end")

    _dense_model().fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False,
                       validation_data=(X[:3], Y[:3]), callbacks=[Recorder()])
    assert seen == ["test_begin", ("test_batch_end", 0, ["loss", "mae"]),
                    ("test_end", ["loss", "mae"]), "epoch_end"]


def test_steps_receive_a_lone_x_unwrapped():
    seen = []

    class Doubled(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="ones")

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            seen.append(type(data))
            return {"loss": engine.reduce_mean(self(data))}

        def predict_step(self, data):
            return {"twice": self(data) * 2.0, "once": self(data)}

    model = Doubled()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    out = model.predict(np.ones((5, 2), np.float32), batch_size=2, verbose=0)
    np.testing.assert_allclose(out["twice"], np.full((5, 1), 4.0))
    model.fit(np.ones((4, 2), np.float32), epochs=1, verbose=0)
    assert seen and all(kind is not tuple for kind in seen)


def test_output_names_are_the_layer_names_made_unique():
    _two_outputs()  # layers named o1 and o2 exist already: names are the user's anyway
    model = _two_outputs()
    assert model.output_names == ["o1", "o2"]
    x = keras.Input(shape=(3,), name="features")
    dense = layers.Dense(3, name="d")
    hidden = dense(x)
    model = keras.Model(x, [dense(hidden), layers.Dense(1, name="e")(hidden), hidden])
    assert model.output_names == ["d", "e", "d_1"]
    x = keras.Input(shape=(3,), name="features")
    assert keras.Model(x, layers.Dense(1)(x)).input_names == ["features"]
    model.compile(optimizer="sgd", loss="mse")
    logs = model.evaluate(X, [X, Y, X], verbose=0, return_dict=True)
    assert list(logs) == ["loss", "d_loss", "e_loss", "d_1_loss"]


def test_evaluate_lists_metrics_names_first_then_other_keys_sorted():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def test_step(self, data):
            return {"zz": 1.0, "aa": 2.0}

    model = Custom()
    model.compile(optimizer="sgd", loss="mse")
    model(X)
    assert model.evaluate(X, Y, verbose=0) == [2.0, 1.0]
    assert model.test_on_batch(X, Y) == [2.0, 1.0]


def test_fit_params_are_verbose_epochs_steps_and_batch_size():
    got = {}

    class Params(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            got.update(self.params)

    _dense_model().fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[Params()])
    # Keras 2's three keys, plus batch_size (the training dashboard's samples/s)
    assert got == {"verbose": 0, "epochs": 3, "steps": 3, "batch_size": 4}
