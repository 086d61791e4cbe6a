"""Regressions found by porting the TensorFlow and Keras 2 guides: variables set as layer
and model attributes, and other behaviours the guides rely on."""

import numpy as np
import pytest

import engine

keras = engine.keras


class AttributeDense(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.w = engine.Variable(engine.ones([3, units]), name="w")
        self.extras = {"scale": engine.Variable(2.0, trainable=False)}

    def call(self, x):
        return engine.matmul(x, self.w) * self.extras["scale"]


def test_variables_set_as_layer_attributes_are_tracked():
    layer = AttributeDense(2)
    layer(engine.ones([1, 3]))
    assert [w.name for w in layer.trainable_weights] == ["w:0"]
    assert len(layer.non_trainable_weights) == 1
    assert len(layer.get_weights()) == 2
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_fit_trains_variables_set_as_model_attributes():
    # The "basic training loops" guide: a keras.Model holding two tf.Variables.
    class Linear(keras.Model):
        def __init__(self):
            super().__init__()
            self.w = engine.Variable(5.0)
            self.b = engine.Variable(0.0)

        def call(self, x):
            return self.w * x + self.b

    x = np.linspace(-2, 2, 64).astype(np.float32)
    model = Linear()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, 3.0 * x + 2.0, epochs=20, batch_size=64, verbose=0)
    assert len(model.trainable_variables) == 2
    assert abs(float(model.w) - 3.0) < 0.2 and abs(float(model.b) - 2.0) < 0.3


def test_custom_metrics_get_sparse_targets_with_a_trailing_axis():
    # The "training and evaluation" guide's CategoricalTruePositives reshapes predictions
    # to (batch, 1) and compares them with y_true: Keras 2 passes y_true as (batch, 1).
    class TruePositives(keras.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(name="tp", **kwargs)
            self.count = self.add_weight(name="count", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = engine.reshape(engine.argmax(y_pred, axis=1), (-1, 1))
            same = engine.cast(y_true, "int32") == engine.cast(y_pred, "int32")
            self.count.assign_add(engine.reduce_sum(engine.cast(same, "float32")))

        def result(self):
            return self.count

    rng = np.random.default_rng(0)
    x = rng.random((40, 4)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[TruePositives()])
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert 0 <= history.history["tp"][0] <= 40


def test_a_subclass_given_inputs_and_outputs_is_functional_with_its_train_step():
    # "Customizing what happens in fit": CustomModel(inputs, outputs) with a train_step
    # that calls compiled_loss and compiled_metrics itself.
    calls = []

    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            calls.append(1)
            with engine.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = keras.Input(shape=(4,))
    model = CustomModel(inputs, keras.layers.Dense(1)(inputs))
    assert isinstance(model, CustomModel) and len(model.layers) == 2
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    history = model.fit(rng.random((32, 4)), rng.random((32, 1)), epochs=2, verbose=0)
    assert sorted(history.history) == ["loss", "mae"] and calls


# --- found by porting the TF2 tutorials (regression, text, time series, structured data)


def test_inputs_of_shape_batch_feed_inputs_of_shape_batch_by_one():
    # Keras 2 adds (or drops) a trailing axis of size 1 to match the Input's rank.
    inputs = keras.Input(shape=(1,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    assert model.predict(np.arange(5.0), verbose=0).shape == (5, 2)
    named = {"a": keras.Input(shape=(1,), name="a"), "b": keras.Input(shape=(), name="b")}
    out = keras.layers.concatenate([named["a"], named["b"][:, None]])
    model = keras.Model(named, out)
    got = model({"a": np.ones(3, "float32"), "b": np.ones((3, 1), "float32")})
    assert got.shape == (3, 2)
    seq = keras.Sequential([keras.layers.Normalization(input_shape=[1], axis=None),
                            keras.layers.Dense(1)])
    seq.layers[0].adapt(np.arange(10.0))
    assert seq.predict(np.arange(4.0), verbose=0).shape == (4, 1)


def test_fit_and_predict_take_lists_of_python_scalars():
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.zeros((3, 2)), [0.0, 1.0, 0.0], verbose=0)
    assert model.predict([[1.0, 2.0], [3.0, 4.0]], verbose=0).shape == (2, 1)
    lookup = keras.Sequential([keras.layers.StringLookup(vocabulary=["a", "b"])])
    assert lookup.predict(["a", "b", "c"], verbose=0).tolist() == [1, 2, 0]


def test_subclassed_model_accepts_super_init_self():
    class MyModel(keras.Model):
        def __init__(self):
            super().__init__(self)  # as TF's text generation tutorial writes it
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    assert MyModel()(np.ones((2, 3), "float32")).shape == (2, 1)


def test_model_add_loss_of_a_keras_tensor_counts_in_training():
    inputs = keras.Input(shape=(3,))
    hidden = keras.layers.Dense(2, kernel_initializer="ones")(inputs)
    model = keras.Model(inputs, hidden)
    model.add_loss(engine.reduce_mean(hidden) * 0.0 + 7.0)
    x = np.ones((2, 3), "float32")
    model(x)
    assert [float(v) for v in model.losses] == [7.0]
    model.compile("sgd", "mse")
    assert model.evaluate(x, np.full((2, 2), 3.0), verbose=0) == 7.0
    other = keras.Input(shape=(3,))
    try:
        model.add_loss(engine.reduce_sum(other))
    except ValueError as error:
        assert "disconnected" in str(error)
    else:
        raise AssertionError("a loss on another model's input must be rejected")
    assert model.evaluate(x, np.full((2, 2), 3.0), verbose=0) == 7.0


def test_save_weights_creates_missing_folders(tmp_path):
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    path = tmp_path / "training_2" / "cp-0000.weights.h5"
    model.save_weights(str(path))
    fresh = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    fresh.load_weights(str(path))
    np.testing.assert_array_equal(fresh.get_weights()[0], model.get_weights()[0])


def test_top_level_keras_aliases():
    assert engine.metrics.BinaryAccuracy is keras.metrics.BinaryAccuracy
    assert engine.losses.MeanSquaredError is keras.losses.MeanSquaredError
    assert engine.optimizers.Adam is keras.optimizers.Adam
    assert engine.initializers.Zeros is keras.initializers.Zeros


def test_inputs_by_the_name_of_calls_first_parameter():
    # the Transformer tutorial calls attention layers with keywords only
    mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    x = engine.ones([1, 3, 8])
    np.testing.assert_allclose(mha(query=x, value=x, key=x).numpy(), mha(x, x, x).numpy())
    with pytest.raises(TypeError, match="by name, inputs="):
        keras.layers.Dense(2)(training=True)


def test_losses_read_after_fit_are_values_not_tensors_of_the_trace():
    class ActivityLoss(keras.layers.Layer):
        def call(self, x):
            self.add_loss(engine.reduce_sum(x))
            return x

    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,), kernel_regularizer="l2"),
                              ActivityLoss()])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    assert len(model.losses) == 1  # the weight regularizer; the traced activity loss stays
    float(model.losses[0])
    model(np.ones((1, 3)))  # an eager call's losses are seen again
    assert len(model.losses) == 2 and all(np.isfinite(float(v)) for v in model.losses)
