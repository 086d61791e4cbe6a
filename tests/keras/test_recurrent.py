"""Recurrent layers against NumPy: SimpleRNN, LSTM, GRU, RNN(cell), StackedRNNCells.

Also: masks, go_backwards, initial and stateful states, dropout, gradients against finite
differences, eager vs traced vs functional, configs, and errors.
"""

import numpy as np
import pytest

import engine

L = engine.keras.layers
R = np.random.default_rng(3)
BATCH, TIME, FEATURES, UNITS = 2, 5, 3, 4


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _np_simple(x, h, kernel, recurrent, bias):
    return np.tanh(x @ kernel + h @ recurrent + bias), []


def _np_lstm(x, states, kernel, recurrent, bias):
    h, c = states
    u = h.shape[1]
    z = x @ kernel + h @ recurrent + bias
    i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), [c]


def _np_gru(reset_after):
    def step(x, h, kernel, recurrent, bias):
        u = h.shape[1]
        if reset_after:
            xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=1)
            rz, rr, rh = np.split(h @ recurrent + bias[1], 3, axis=1)
            z, r = _sigmoid(xz + rz), _sigmoid(xr + rr)
            hh = np.tanh(xh + r * rh)
        else:
            xz, xr, xh = np.split(x @ kernel + bias, 3, axis=1)
            z = _sigmoid(xz + h @ recurrent[:, :u])
            r = _sigmoid(xr + h @ recurrent[:, u:2 * u])
            hh = np.tanh(xh + (r * h) @ recurrent[:, 2 * u:])
        return z * h + (1 - z) * hh, []
    return step


def _np_rnn(step, x, weights, states, mask=None, go_backwards=False):
    """Keras semantics: masked steps keep the states and repeat the previous output."""
    order = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    outputs, previous = [], np.zeros_like(states[0])
    for t in order:
        h, rest = step(x[:, t], states[0] if len(states) == 1 else states, *weights)
        new = [h] + rest
        keep = np.ones((len(h), 1), bool) if mask is None else mask[:, t:t + 1]
        states = [np.where(keep, n, s) for n, s in zip(new, states)]
        previous = np.where(keep, h, previous)
        outputs.append(previous)
    return np.stack(outputs, 1), states


LAYERS = {
    "simple_rnn": (lambda **kw: L.SimpleRNN(UNITS, **kw), _np_simple, 1),
    "lstm": (lambda **kw: L.LSTM(UNITS, **kw), _np_lstm, 2),
    "gru": (lambda **kw: L.GRU(UNITS, **kw), _np_gru(True), 1),
    "gru_v1": (lambda **kw: L.GRU(UNITS, reset_after=False, **kw), _np_gru(False), 1),
}


def _random_weights(layer):
    weights = [R.standard_normal(w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_forward_against_numpy(name, go_backwards, masked):
    make, step, n_states = LAYERS[name]
    layer = make(return_sequences=True, return_state=True, go_backwards=go_backwards,
                 dtype="float64")
    x = R.standard_normal((BATCH, TIME, FEATURES))
    mask = R.random((BATCH, TIME)) > 0.3 if masked else None
    states = [R.standard_normal((BATCH, UNITS)) for _ in range(n_states)]
    layer(x, initial_state=states)
    weights = _random_weights(layer)
    outs = layer(x, mask=None if mask is None else engine.constant(mask),
                 initial_state=[engine.constant(s) for s in states])
    want_y, want_states = _np_rnn(step, x, weights, states, mask, go_backwards)
    np.testing.assert_allclose(outs[0].numpy(), want_y, rtol=1e-10, atol=1e-12)
    for got, want in zip(outs[1:], want_states):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    last = make(go_backwards=go_backwards, dtype="float64")
    last(x)
    last.set_weights(weights)
    np.testing.assert_allclose(last(x).numpy(), _np_rnn(
        step, x, weights, [np.zeros((BATCH, UNITS))] * n_states, None, go_backwards)[0][:, -1],
        rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradients_against_finite_differences(name):
    make, _, _ = LAYERS[name]
    layer = make(return_sequences=True, dtype="float64")
    x = R.standard_normal((BATCH, TIME, FEATURES))
    mask = engine.constant(R.random((BATCH, TIME)) > 0.2)
    layer(x)
    _random_weights(layer)
    cotangent = R.standard_normal((BATCH, TIME, UNITS))

    def loss():
        return float(np.sum(layer(x, mask=mask).numpy() * cotangent))

    xt = engine.constant(x)
    with engine.GradientTape() as tape:
        tape.watch(xt)
        y = engine.reduce_sum(layer(xt, mask=mask) * cotangent)
    grads = tape.gradient(y, [xt] + layer.trainable_weights)
    eps = 1e-6
    direction = R.standard_normal(x.shape)
    numeric = (float(np.sum(layer(x + eps * direction, mask=mask).numpy() * cotangent))
               - float(np.sum(layer(x - eps * direction, mask=mask).numpy() * cotangent))) / (
        2 * eps)
    assert abs(numeric - np.sum(grads[0].numpy() * direction)) < 1e-6 * max(1, abs(numeric))
    for var, grad in zip(layer.trainable_weights, grads[1:]):
        value = var.numpy()
        direction = R.standard_normal(value.shape)
        var.assign(value + eps * direction)
        up = loss()
        var.assign(value - eps * direction)
        down = loss()
        var.assign(value)
        numeric = (up - down) / (2 * eps)
        assert abs(numeric - np.sum(grad.numpy() * direction)) < 1e-6 * max(1, abs(numeric))


def test_stacked_cells_equal_two_layers():
    cells = [L.LSTMCell(UNITS, dtype="float64"), L.SimpleRNNCell(3, dtype="float64")]
    stacked = L.RNN(cells, return_sequences=True, return_state=True, dtype="float64")
    x = R.standard_normal((BATCH, TIME, FEATURES))
    outs = stacked(x)
    assert [o.shape.as_list() for o in outs] == [[BATCH, TIME, 3], [BATCH, UNITS],
                                                 [BATCH, UNITS], [BATCH, 3]]
    first = L.RNN(L.LSTMCell(UNITS, dtype="float64"), return_sequences=True, dtype="float64")
    second = L.RNN(L.SimpleRNNCell(3, dtype="float64"), return_sequences=True, dtype="float64")
    second(first(x))
    weights = stacked.get_weights()
    first.set_weights(weights[:3])
    second.set_weights(weights[3:])
    np.testing.assert_allclose(outs[0].numpy(), second(first(x)).numpy(), rtol=1e-12)
    config = L.serialize(stacked)
    clone = L.deserialize(config)
    clone(x)
    clone.set_weights(weights)
    np.testing.assert_allclose(clone(x)[0].numpy(), outs[0].numpy(), rtol=1e-12)


def test_stateful_layers_carry_states_across_calls():
    layer = L.LSTM(UNITS, stateful=True, dtype="float64")
    x = R.standard_normal((BATCH, 2 * TIME, FEATURES))
    whole = L.LSTM(UNITS, dtype="float64")
    whole(x)
    layer(x[:, :TIME])
    whole.set_weights(layer.get_weights())
    layer.reset_states()
    layer(x[:, :TIME])
    np.testing.assert_allclose(layer(x[:, TIME:]).numpy(), whole(x).numpy(), rtol=1e-10)
    assert len(layer.weights) == 3 and len(layer.states) == 2
    layer.reset_states()
    assert all(np.all(s.numpy() == 0) for s in layer.states)
    first = layer(x[:, :TIME]).numpy()
    layer.reset_states([np.zeros((BATCH, UNITS))] * 2)
    np.testing.assert_allclose(layer(x[:, :TIME]).numpy(), first)
    with pytest.raises(ValueError, match="reset_states: got 1 states"):
        layer.reset_states([np.zeros((BATCH, UNITS))])
    # traced: the variables are read and assigned in the graph
    traced = L.GRU(UNITS, stateful=True)
    step = engine.function(lambda x: traced(x))
    x32 = x.astype(np.float32)
    a, b = step(x32[:, :TIME]).numpy(), step(x32[:, :TIME]).numpy()
    assert not np.allclose(a, b)
    traced.reset_states()
    np.testing.assert_allclose(step(x32[:, :TIME]).numpy(), a, rtol=1e-6)


def test_model_reset_states_resets_every_stateful_layer():
    K = engine.keras
    inner = K.Sequential([K.Input((TIME, UNITS), batch_size=BATCH),
                          L.Bidirectional(L.GRU(UNITS, stateful=True, return_sequences=True))])
    model = K.Sequential([K.Input((TIME, FEATURES), batch_size=BATCH),
                          L.LSTM(UNITS, stateful=True, return_sequences=True), inner,
                          L.SimpleRNN(UNITS)])          # not stateful: left alone
    x = R.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    assert model.stateful and inner.stateful and not model.layers[-1].stateful
    assert not K.Sequential([L.Dense(2)]).stateful and not L.Dense(2).stateful
    first = model.predict(x, batch_size=BATCH, verbose=0)
    states = model.layers[0].states + inner.layers[0].forward_layer.states + (
        inner.layers[0].backward_layer.states)
    assert len(states) == 4 and all(np.abs(s.numpy()).sum() > 0 for s in states)
    assert not np.allclose(model.predict(x, batch_size=BATCH, verbose=0), first)
    model.reset_states()
    assert all(np.all(s.numpy() == 0) for s in states)
    np.testing.assert_allclose(model.predict(x, batch_size=BATCH, verbose=0), first, rtol=1e-6)


def test_masked_outputs_repeat_the_previous_output():
    layer = L.SimpleRNN(UNITS, return_sequences=True, dtype="float64")
    x = R.standard_normal((1, 4, FEATURES))
    mask = engine.constant([[False, True, False, True]])
    y = layer(x, mask=mask).numpy()[0]
    np.testing.assert_array_equal(y[0], 0)             # nothing before the first step
    np.testing.assert_array_equal(y[2], y[1])
    zero = L.SimpleRNN(UNITS, return_sequences=True, zero_output_for_mask=True,
                       dtype="float64")
    zero(x)
    zero.set_weights(layer.get_weights())
    np.testing.assert_array_equal(zero(x, mask=mask).numpy()[0, 2], 0)
    assert engine.reduce_all(layer(x, mask=mask)._keras_mask == mask)


def test_recurrent_dropout_only_while_training():
    layer = L.SimpleRNN(UNITS, recurrent_dropout=0.5, dropout=0.5, return_sequences=True)
    x = np.ones((BATCH, TIME, FEATURES), np.float32)
    base = layer(x).numpy()
    np.testing.assert_array_equal(layer(x, training=False).numpy(), base)
    assert not np.allclose(layer(x, training=True).numpy(), base)
    # the input mask is the same at every step: with no recurrence, equal inputs give equal
    # outputs at every step
    flat = L.SimpleRNN(UNITS, dropout=0.5, recurrent_initializer="zeros",
                       return_sequences=True)
    y = flat(x, training=True).numpy()
    np.testing.assert_allclose(y, np.repeat(y[:, :1], TIME, axis=1), rtol=1e-6)


def test_eager_traced_and_functional_agree():
    layer = L.LSTM(UNITS, return_sequences=True)
    x = R.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    eager = layer(x).numpy()
    np.testing.assert_allclose(engine.function(lambda t: layer(t))(x).numpy(), eager,
                               rtol=1e-6)
    inputs = engine.keras.Input(shape=(TIME, FEATURES))
    model = engine.keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model(x).numpy(), eager, rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), eager, rtol=1e-6)


def test_a_training_step_lowers_the_loss():
    model = engine.keras.Sequential([L.GRU(8, input_shape=(TIME, FEATURES)), L.Dense(1)])
    model.compile(optimizer=engine.keras.optimizers.SGD(0.1), loss="mse")
    x = R.standard_normal((16, TIME, FEATURES)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None].astype(np.float32)
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first


@pytest.mark.parametrize("name", list(LAYERS))
def test_config_round_trip(name):
    layer = LAYERS[name][0](return_sequences=True, go_backwards=True, dropout=0.1,
                            kernel_regularizer="l2", name="rec")
    x = R.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    y = layer(x).numpy()
    config = L.serialize(layer)
    assert config["class_name"] == type(layer).__name__ and "cell" not in config["config"]
    clone = L.deserialize(config)
    assert clone.get_config() == layer.get_config()
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y, rtol=1e-6)
    assert len(layer.losses) == 1  # the kernel regularizer


def test_rnn_with_a_cell_round_trips_and_unit_forget_bias():
    rnn = L.RNN(L.LSTMCell(UNITS), return_state=True)
    rnn(np.ones((BATCH, TIME, FEATURES), np.float32))
    bias = rnn.cell.bias.numpy()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(UNITS), np.ones(UNITS),
                                              np.zeros(2 * UNITS)])
    clone = L.deserialize(L.serialize(rnn))
    assert isinstance(clone.cell, L.LSTMCell) and clone.return_state
    assert L.LSTM(UNITS).units == UNITS and L.GRU(UNITS).reset_after


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="lstm_err"):
        L.LSTM(UNITS, name="lstm_err")(engine.ones([BATCH, FEATURES]))
    with pytest.raises(ValueError, match="got 1 initial states; the layer has 2"):
        L.LSTM(UNITS)(engine.ones([BATCH, TIME, FEATURES]),
                      initial_state=[engine.zeros([BATCH, UNITS])])
    with pytest.raises(ValueError, match="units must be a positive integer"):
        L.GRU(0)
    with pytest.raises(ValueError, match="dropout must be in"):
        L.SimpleRNN(2, dropout=1.5)
    with pytest.raises(ValueError, match="needs a `call"):
        L.RNN(object())
    with pytest.raises(AttributeError, match="stateful=True"):
        L.LSTM(2).reset_states()
    stateful = L.SimpleRNN(2, stateful=True)
    with pytest.raises(ValueError, match="static batch size"):
        engine.function(lambda x: stateful(x), input_signature=[
            engine.TensorSpec([None, TIME, FEATURES])])(np.ones((1, TIME, FEATURES), "f"))
    unrolled = L.SimpleRNN(2, unroll=True)
    with pytest.raises(ValueError, match="unroll=True needs a static number"):
        engine.function(lambda x: unrolled(x), input_signature=[
            engine.TensorSpec([1, None, FEATURES])])(np.ones((1, TIME, FEATURES), "f"))


@pytest.mark.parametrize("name", list(LAYERS))
def test_embedding_masks_make_padding_invisible(name):
    model = engine.keras.Sequential([L.Embedding(10, FEATURES, mask_zero=True),
                                     L.Bidirectional(LAYERS[name][0](dtype="float32"))])
    tokens = np.array([[4, 2, 7, 0, 0], [3, 0, 0, 0, 0]])
    padded = model(tokens).numpy()
    np.testing.assert_allclose(padded[:1], model(tokens[:1, :3]).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(padded[1:], model(tokens[1:, :1]).numpy(), rtol=1e-5, atol=1e-6)


def test_a_plain_python_cell():
    class Accumulate:  # a Keras-style cell that is not a Layer
        state_size = FEATURES

        def call(self, inputs, states):
            total = states[0] + inputs
            return total, [total]

    x = R.standard_normal((BATCH, TIME, FEATURES))
    y = L.RNN(Accumulate(), return_sequences=True, dtype="float64")(x)
    np.testing.assert_allclose(y.numpy(), np.cumsum(x, axis=1), rtol=1e-12)
