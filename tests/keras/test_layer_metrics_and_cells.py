"""Keras 2 gaps: `Layer.add_metric`, RNN cells with nested inputs and states, and the
positional `training` argument (`model(x, True)`).

add_metric: a Mean per name, updated in `call`, eagerly and traced; `layer.metrics`,
`model.metrics`, fit/evaluate logs (with `val_`), reset each epoch, the guide's
LogisticEndpoint, and the errors. Nested cells: the RNN guide's NestedCell end to end
(functional model, fit), and a nested linear cell against NumPy with return_sequences,
return_state, go_backwards and masks, unrolled and in a while loop.
"""

import numpy as np
import pytest

import engine

K = engine.keras
L = K.layers


# --- add_metric -----------------------------------------------------------------------------
class ActivityMean(L.Layer):
    """Reports the mean of its inputs as the metric "activity"."""

    def call(self, x):
        self.add_metric(engine.reduce_mean(x), name="activity")
        return x


def _activity_model():
    inputs = K.Input((2,))
    outputs = L.Dense(1, kernel_initializer="ones")(ActivityMean()(inputs))
    model = K.Model(inputs, outputs)
    return model


def test_add_metric_is_a_mean_over_calls_listed_by_the_layer_and_its_parents():
    layer = ActivityMean()
    layer(engine.constant([[1.0, 3.0]]))
    layer(engine.constant([[5.0, 7.0]]))
    assert [m.name for m in layer.metrics] == ["activity"]
    assert float(layer.metrics[0].result()) == pytest.approx(4.0)

    class Outer(L.Layer):
        def __init__(self):
            super().__init__()
            self.inner = layer

        def call(self, x):
            return self.inner(x)

    assert Outer().metrics == layer.metrics


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_add_metric_in_fit_and_evaluate_logs_resets_each_epoch(run_eagerly):
    model = _activity_model()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=run_eagerly)
    x = np.full((8, 2), 2.0, np.float32)
    y = np.zeros((8, 1), np.float32)
    x_val = np.full((4, 2), 6.0, np.float32)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0,
                        validation_data=(x_val, y[:4]))
    # Each epoch starts afresh: the mean of the epoch's inputs, not of all calls so far.
    assert history.history["activity"] == pytest.approx([2.0, 2.0])
    assert history.history["val_activity"] == pytest.approx([6.0, 6.0])
    assert model.metrics_names == ["loss", "activity"]
    loss, activity = model.evaluate(x_val, y[:4], verbose=0)
    assert activity == pytest.approx(6.0)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["activity"] == pytest.approx(2.0)
    metric = model.metrics[-1]
    assert all(isinstance(v, engine.Variable) for v in metric.variables)


def test_add_metric_in_a_subclassed_model_call():
    class Model(K.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(1)

        def call(self, x):
            self.add_metric(engine.reduce_max(x), name="x_max")
            return self.dense(x)

    model = Model()
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    history = model.fit(x, np.zeros((4, 1)), batch_size=2, verbose=0, shuffle=False)
    assert history.history["x_max"] == pytest.approx([(3.0 + 7.0) / 2])


class LogisticEndpoint(L.Layer):
    """The Keras 2 guide's layer: a loss by add_loss, an accuracy by add_metric."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = K.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = K.metrics.BinaryAccuracy()

    def call(self, targets, logits, sample_weights=None):
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        acc = self.accuracy_fn(targets, logits, sample_weights)
        self.add_metric(acc, name="accuracy")
        return engine.nn.softmax(logits)


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_logistic_endpoint_guide_example_trains_and_reports_its_metric(run_eagerly):
    inputs = K.Input(shape=(3,), name="inputs")
    targets = K.Input(shape=(10,), name="targets")
    logits = L.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(logits, targets)
    model = K.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam", run_eagerly=run_eagerly)  # no loss argument
    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((3, 3)), "targets": (rng.random((3, 10)) > 0.5) * 1.0}
    history = model.fit(data, epochs=3, verbose=0)
    # As in Keras 2, a Metric's result is tracked under the metric's own name.
    assert set(history.history) == {"loss", "binary_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    accuracy = model.layers[-1].accuracy_fn
    assert model.metrics[-1] is accuracy
    dense = next(layer for layer in model.layers if isinstance(layer, L.Dense))
    logits = dense(data["inputs"].astype(np.float32)).numpy()
    # The guide calls the layer as (logits, targets) on call(targets, logits): the roles swap.
    expected = np.mean(logits == (data["targets"] > 0.5))
    assert model.evaluate(data, verbose=0)[1] == pytest.approx(expected)


def test_add_metric_errors_say_what_to_do():
    class NoName(L.Layer):
        def call(self, x):
            self.add_metric(engine.reduce_mean(x))
            return x

    with pytest.raises(ValueError, match="no name.*name='mean_activation'"):
        NoName()(engine.ones([2, 2]))

    class Summed(L.Layer):
        def call(self, x):
            self.add_metric(engine.reduce_mean(x), name="m", aggregation="sum")
            return x

    with pytest.raises(ValueError, match="aggregation='sum'"):
        Summed()(engine.ones([2, 2]))
    inputs = K.Input((2,))
    outputs = L.Dense(1)(inputs)
    with pytest.raises(ValueError, match="symbolic.*outside of a layer's call.*Move it"):
        L.Dense(1).add_metric(engine.reduce_mean(outputs), name="mean_output")
    model = K.Model(inputs, outputs)
    with pytest.raises(ValueError, match="Keras tensor and no name"):
        model.add_metric(engine.reduce_mean(outputs))
    model.add_metric(engine.reduce_mean(outputs), name="m")
    with pytest.raises(ValueError, match="named 'm' was added already"):
        model.add_metric(engine.reduce_max(outputs), name="m")
    other = K.Input((2,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        model.add_metric(engine.reduce_mean(L.Dense(1)(other)), name="elsewhere")
    assert [t[1] for t in model._metric_tensors] == ["m"]


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_functional_model_add_metric_of_a_keras_tensor(run_eagerly):
    """Keras 2: `model.add_metric(symbolic, name)` on a functional model is computed from
    each batch and averaged over the epoch, in fit's and evaluate's logs."""
    inputs = K.Input((3,))
    hidden = L.Dense(2, kernel_initializer="ones", bias_initializer="zeros")(inputs)
    model = K.Model(inputs, L.Dense(1)(hidden))
    model.add_metric(engine.reduce_mean(hidden), name="mean_hidden")
    model.compile("sgd", "mse", run_eagerly=run_eagerly)
    x = np.arange(24, dtype=np.float32).reshape(8, 3) / 10.0
    logs = model.evaluate(x, np.zeros((8, 1), np.float32), batch_size=4, verbose=0,
                          return_dict=True)
    # hidden = x @ ones: each unit is the row sum; the metric is the mean over both batches
    assert logs["mean_hidden"] == pytest.approx(float(np.mean(x.sum(axis=1))), rel=1e-6)
    history = model.fit(x, np.zeros((8, 1), np.float32), batch_size=4, epochs=2, verbose=0)
    assert len(history.history["mean_hidden"]) == 2
    assert [m.name for m in model.metrics][-1] == "mean_hidden"
    with pytest.raises(ValueError, match="outside of a layer's call"):
        L.Dense(1).add_metric(engine.ones([2]), name="m")


# --- nested RNN cells -----------------------------------------------------------------------
class NestedCell(L.Layer):
    """The Keras 2 RNN guide's cell: two inputs, two states of different ranks."""

    def __init__(self, unit_1, unit_2, unit_3, **kwargs):
        self.unit_1 = unit_1
        self.unit_2 = unit_2
        self.unit_3 = unit_3
        self.state_size = [engine.TensorShape([unit_1]), engine.TensorShape([unit_2, unit_3])]
        self.output_size = [engine.TensorShape([unit_1]), engine.TensorShape([unit_2, unit_3])]
        super().__init__(**kwargs)

    def build(self, input_shapes):
        i1 = input_shapes[0][1]
        i2 = input_shapes[1][1]
        i3 = input_shapes[1][2]
        self.kernel_1 = self.add_weight(shape=(i1, self.unit_1), initializer="uniform",
                                        name="kernel_1")
        self.kernel_2_3 = self.add_weight(shape=(i2, i3, self.unit_2, self.unit_3),
                                          initializer="uniform", name="kernel_2_3")

    def call(self, inputs, states):
        input_1, input_2 = engine.nest.flatten(inputs)
        s1, s2 = states
        output_1 = engine.matmul(input_1, self.kernel_1)
        output_2_3 = engine.einsum("bij,ijkl->bkl", input_2, self.kernel_2_3)
        return (output_1, output_2_3), (s1 + output_1, s2 + output_2_3)

    def get_config(self):
        return {"unit_1": self.unit_1, "unit_2": self.unit_2, "unit_3": self.unit_3}


U1, U2, U3, I1, I2, I3 = 3, 4, 5, 6, 7, 2


def test_nested_cell_guide_example_builds_and_fits():
    cell = NestedCell(U1, U2, U3)
    rnn = L.RNN(cell)
    input_1 = K.Input((None, I1))
    input_2 = K.Input((None, I2, I3))
    outputs = rnn((input_1, input_2))
    assert [o.shape.as_list() for o in outputs] == [[None, U1], [None, U2, U3]]
    assert cell.kernel_2_3.shape.as_list() == [I2, I3, U2, U3]
    model = K.Model([input_1, input_2], outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = [rng.random((16, 5, I1)), rng.random((16, 5, I2, I3))]
    y = [rng.random((16, U1)), rng.random((16, U2, U3))]
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [p.shape for p in model.predict(x, verbose=0)] == [(16, U1), (16, U2, U3)]


def _numpy_nested_run(cell, x1, x2, mask=None, go_backwards=False):
    """The NestedCell recurrence in NumPy: returns (outputs per step, final states)."""
    k1, k23 = cell.kernel_1.numpy(), cell.kernel_2_3.numpy()
    s1 = np.zeros((x1.shape[0], U1), np.float32)
    s2 = np.zeros((x1.shape[0], U2, U3), np.float32)
    steps = range(x1.shape[1])[::-1] if go_backwards else range(x1.shape[1])
    outs, prev = [], (np.zeros_like(s1), np.zeros_like(s2))
    for t in steps:
        o1 = x1[:, t] @ k1
        o2 = np.einsum("bij,ijkl->bkl", x2[:, t], k23)
        keep = np.ones(x1.shape[0], bool) if mask is None else mask[:, t]
        s1 = np.where(keep[:, None], s1 + o1, s1)
        s2 = np.where(keep[:, None, None], s2 + o2, s2)
        prev = (np.where(keep[:, None], o1, prev[0]), np.where(keep[:, None, None], o2, prev[1]))
        outs.append(prev)
    return outs, (s1, s2)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_nested_cell_sequences_states_masks_against_numpy(go_backwards, masked):
    rng = np.random.default_rng(2)
    x1 = rng.random((2, 4, I1)).astype(np.float32)
    x2 = rng.random((2, 4, I2, I3)).astype(np.float32)
    mask = np.array([[True, True, False, True], [True, False, False, False]])
    rnn = L.RNN(NestedCell(U1, U2, U3), return_sequences=True, return_state=True,
                go_backwards=go_backwards)
    kwargs = {"mask": engine.constant(mask)} if masked else {}
    (seq1, seq2), s1, s2 = rnn((engine.constant(x1), engine.constant(x2)), **kwargs)
    outs, (e1, e2) = _numpy_nested_run(rnn.cell, x1, x2, mask if masked else None,
                                       go_backwards)
    np.testing.assert_allclose(seq1.numpy(), np.stack([o[0] for o in outs], 1), rtol=1e-5)
    np.testing.assert_allclose(seq2.numpy(), np.stack([o[1] for o in outs], 1), rtol=1e-5)
    np.testing.assert_allclose(s1.numpy(), e1, rtol=1e-5)
    np.testing.assert_allclose(s2.numpy(), e2, rtol=1e-5)

    # Traced with an unknown number of steps: the while loop gives the same values.
    signature = [engine.TensorSpec([None, None, I1]), engine.TensorSpec([None, None, I2, I3])]
    if masked:
        signature.append(engine.TensorSpec([None, None], engine.bool))

    @engine.function(input_signature=signature)
    def run(a, b, m=None):
        return rnn((a, b), mask=m)

    args = [x1, x2] + ([mask] if masked else [])
    (t1, t2), u1, u2 = run(*args)
    np.testing.assert_allclose(t2.numpy(), seq2.numpy(), rtol=1e-5)
    np.testing.assert_allclose(u1.numpy(), s1.numpy(), rtol=1e-5)
    np.testing.assert_allclose(u2.numpy(), s2.numpy(), rtol=1e-5)


def test_rnn_list_input_still_means_initial_states():
    rnn = L.RNN(L.SimpleRNNCell(3, kernel_initializer="zeros", recurrent_initializer="zeros",
                                activation=None), return_state=True)
    h0 = np.full((2, 3), 5.0, np.float32)
    _, h = rnn([engine.ones([2, 4, 2]), engine.constant(h0)])
    np.testing.assert_allclose(h.numpy(), np.zeros((2, 3)))


# --- the positional training argument -------------------------------------------------------
class RecordsTraining(L.Layer):
    def call(self, inputs, training=None):
        self.seen = training
        return inputs


def test_second_positional_argument_is_training_when_call_takes_it_there():
    layer = RecordsTraining()
    layer(engine.ones([1, 2]), True)
    assert layer.seen is True
    layer(engine.ones([1, 2]), False)
    assert layer.seen is False

    class Model(K.Model):
        def __init__(self):
            super().__init__()
            self.dropout = L.Dropout(0.5)

        def call(self, inputs, training=None):
            return self.dropout(inputs, training)

    model = Model()
    x = engine.ones([4, 50])
    assert np.array_equal(model(x, False).numpy(), x.numpy())
    assert not np.array_equal(model(x, True).numpy(), x.numpy())
    dropout = L.Dropout(0.5)
    assert not np.array_equal(dropout(x, True).numpy(), x.numpy())
    with pytest.raises(TypeError, match="multiple values for argument 'training'"):
        layer(engine.ones([1, 2]), True, training=False)


def test_functional_model_takes_positional_training():
    inputs = K.Input((50,))
    model = K.Model(inputs, L.Dropout(0.5)(inputs))
    x = engine.ones([4, 50])
    assert np.array_equal(model(x, False).numpy(), x.numpy())
    assert not np.array_equal(model(x, True).numpy(), x.numpy())


def test_other_positional_arguments_still_reach_call():
    query, value = engine.ones([2, 3, 4]), engine.ones([2, 5, 4])
    attention = L.MultiHeadAttention(num_heads=2, key_dim=2)
    assert attention(query, value).shape == (2, 3, 4)
    rnn = L.SimpleRNN(3, return_sequences=True)
    x = engine.ones([2, 4, 2])
    mask = engine.constant(np.array([[True] * 4, [True, True, False, False]]))
    np.testing.assert_allclose(rnn(x, mask).numpy(), rnn(x, mask=mask).numpy())
