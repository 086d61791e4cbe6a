"""Regressions found by porting advanced Keras 2 programs (callbacks, imbalanced data,
cloning): each test failed before its fix."""

import warnings

import numpy as np
import pytest

import engine

keras = engine.keras


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    return model


def data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("float32")


def test_evaluate_and_predict_show_progress_when_verbose(capsys):
    model = small_model()
    x, y = data()
    model.evaluate(x, y, batch_size=8, verbose=0)
    model.predict(x, batch_size=8, verbose=0)
    assert capsys.readouterr().out == ""
    model.evaluate(x, y, batch_size=8, verbose=1)
    assert "4/4 [" in capsys.readouterr().out
    model.predict(x, batch_size=8, verbose=2)
    assert capsys.readouterr().out.startswith("4/4 - ")


def test_predict_calls_the_predict_hooks():
    model = small_model()
    x, _ = data()
    seen = []
    callback = keras.callbacks.LambdaCallback(
        on_predict_begin=lambda logs: seen.append("begin"),
        on_predict_batch_end=lambda batch, logs: seen.append((batch, logs["outputs"].shape)),
        on_predict_end=lambda logs: seen.append("end"))
    model.predict(x, batch_size=16, verbose=0, callbacks=[callback])
    assert seen == ["begin", (0, (16, 1)), (1, (16, 1)), "end"]


def test_class_weight_with_flat_binary_labels_weights_each_sample():
    # Labels of shape (batch,) and a (batch, 1) sigmoid output, as in Keras 2 tutorials.
    x, y = data()
    weighted = small_model().evaluate(x, y, sample_weight=np.where(y > 0, 3.0, 1.0),
                                      batch_size=32, verbose=0)
    model = small_model()
    p = model.predict(x, verbose=0).ravel()
    per_sample = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    want = np.mean(per_sample * np.where(y > 0, 3.0, 1.0))
    np.testing.assert_allclose(weighted, want, rtol=1e-4)
    history = small_model().fit(x, y, class_weight={0: 1.0, 1: 3.0}, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_backup_and_restore_restores_a_fresh_optimizer(tmp_path):
    x, y = data()

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("preempted")

    uninterrupted = small_model()
    uninterrupted.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
    with pytest.raises(RuntimeError, match="preempted"):
        small_model().fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False,
                          callbacks=[keras.callbacks.BackupAndRestore(tmp_path), Interrupt()])
    resumed = small_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        history = resumed.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False,
                              callbacks=[keras.callbacks.BackupAndRestore(tmp_path)])
    assert history.epoch == [2]
    for got, want in zip(resumed.optimizer.variables, uninterrupted.optimizer.variables):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5)
    for got, want in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_clone_model_applies_clone_function_to_functional_models():
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2, name="head")(keras.layers.Dense(3)(inputs))
    model = keras.Model(inputs, outputs)
    cloned = []

    def regularized(layer):
        cloned.append(layer.name)
        config = {**layer.get_config(), "kernel_regularizer": keras.regularizers.l2(1e-3)}
        return type(layer).from_config(config)

    clone = keras.models.clone_model(model, clone_function=regularized)
    assert cloned == [layer.name for layer in model.layers[1:]]
    assert len(clone.losses) == 2 and clone.layers[-1].kernel_regularizer is not None


def test_functional_models_and_inputs_are_named_as_in_keras_2():
    keras.backend.clear_session()
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    assert (model.name, model.layers[0].name) == ("model", "input_1")
    other = keras.Input((3,))
    assert keras.Model(other, other).name == "model_1" and other.name.startswith("input_2")
    keras.backend.clear_session()
    again = keras.Input((3,))
    assert keras.Model(again, keras.layers.Dense(1)(again)).name == "model"
