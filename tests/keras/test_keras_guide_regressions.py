"""Regressions found by porting the TensorFlow and Keras 2 guides: variables set as layer
and model attributes, and other behaviours the guides rely on."""

import numpy as np

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
