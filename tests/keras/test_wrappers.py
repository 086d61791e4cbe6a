"""TimeDistributed and Bidirectional: against the wrapped layers applied by hand."""

import numpy as np
import pytest

import engine

L = engine.keras.layers
R = np.random.default_rng(9)
BATCH, TIME, FEATURES, UNITS = 2, 5, 3, 4


def test_time_distributed_dense():
    layer = L.TimeDistributed(L.Dense(UNITS, dtype="float64"), dtype="float64")
    x = R.standard_normal((BATCH, TIME, FEATURES))
    y = layer(x).numpy()
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y, x @ kernel + bias, rtol=1e-12)
    assert len(layer.trainable_weights) == 2
    xt = engine.constant(x)
    with engine.GradientTape() as tape:
        tape.watch(xt)
        loss = engine.reduce_sum(layer(xt) ** 2)
    gx, gk, gb = tape.gradient(loss, [xt] + layer.trainable_weights)
    dy = 2 * (x @ kernel + bias)
    np.testing.assert_allclose(gx.numpy(), dy @ kernel.T, rtol=1e-10)
    np.testing.assert_allclose(gk.numpy(), np.einsum("btf,btu->fu", x, dy), rtol=1e-10)
    np.testing.assert_allclose(gb.numpy(), dy.sum(axis=(0, 1)), rtol=1e-10)


def test_time_distributed_traced_with_unknown_lengths_and_masks():
    layer = L.TimeDistributed(L.Dense(UNITS))
    x = R.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    eager = layer(x).numpy()
    for shape in ([None, TIME, FEATURES], [None, None, FEATURES]):
        f = engine.function(lambda t: layer(t), input_signature=[engine.TensorSpec(shape)])
        np.testing.assert_allclose(f(x).numpy(), eager, rtol=1e-6)
    inputs = engine.keras.Input(shape=(None, FEATURES))
    model = engine.keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model(x).numpy(), eager, rtol=1e-6)
    mask = engine.constant(R.random((BATCH, TIME)) > 0.5)
    x_masked = engine.constant(x)
    x_masked._keras_mask = mask
    assert engine.reduce_all(layer(x_masked)._keras_mask == mask)


def test_time_distributed_config_and_errors():
    layer = L.TimeDistributed(L.Dense(2, activation="relu"), name="td")
    clone = L.deserialize(L.serialize(layer))
    assert isinstance(clone.layer, L.Dense) and clone.layer.units == 2
    with pytest.raises(ValueError, match="td"):
        layer(engine.ones([2, 3]))
    with pytest.raises(ValueError, match="expected a Layer"):
        L.TimeDistributed(lambda x: x)


def _by_hand(bidi, x, mask=None):
    """The forward and backward layers run separately, the backward outputs reversed."""
    forward, backward = bidi.forward_layer, bidi.backward_layer
    y = forward(x, mask=mask)
    y_rev = backward(x, mask=mask)
    if bidi.return_sequences:
        y_rev = y_rev[:, ::-1]
    return y.numpy(), y_rev.numpy()


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_merge_modes(merge_mode, return_sequences):
    bidi = L.Bidirectional(L.LSTM(UNITS, return_sequences=return_sequences, dtype="float64"),
                           merge_mode=merge_mode, dtype="float64")
    x = R.standard_normal((BATCH, TIME, FEATURES))
    out = bidi(x)
    assert bidi.backward_layer.go_backwards and not bidi.forward_layer.go_backwards
    y, y_rev = _by_hand(bidi, x)
    want = {"concat": lambda: np.concatenate([y, y_rev], -1), "sum": lambda: y + y_rev,
            "mul": lambda: y * y_rev, "ave": lambda: (y + y_rev) / 2,
            None: lambda: [y, y_rev]}[merge_mode]()
    got = [o.numpy() for o in out] if merge_mode is None else out.numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(bidi.weights) == 6


def test_bidirectional_masks_states_and_gradients():
    bidi = L.Bidirectional(L.GRU(UNITS, return_sequences=True, return_state=True,
                                 dtype="float64"), dtype="float64")
    x = engine.constant(R.standard_normal((BATCH, TIME, FEATURES)))
    mask = np.ones((BATCH, TIME), bool)
    mask[0, 3:] = False
    mask = engine.constant(mask)
    states = [engine.constant(R.standard_normal((BATCH, UNITS))) for _ in range(2)]
    with engine.GradientTape() as tape:
        tape.watch([x] + states)
        y, h_fwd, h_bwd = bidi(x, mask=mask, initial_state=states)
        loss = engine.reduce_sum(y * y) + engine.reduce_sum(h_fwd * h_bwd)
    grads = tape.gradient(loss, [x] + states + bidi.trainable_weights)
    assert all(g is not None for g in grads)
    np.testing.assert_array_equal(y.numpy()[0, 3:], 0)     # masked steps output zeros
    assert engine.reduce_all(y._keras_mask == mask)
    fwd = bidi.forward_layer(x, mask=mask, initial_state=states[:1])
    np.testing.assert_allclose(h_fwd.numpy(), fwd[1].numpy(), rtol=1e-12)
    # against the traced step
    f = engine.function(lambda x, m: bidi(x, mask=m, initial_state=states))
    for got, want in zip(f(x, mask), (y, h_fwd, h_bwd)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10)


def test_bidirectional_custom_backward_layer_config_and_errors():
    forward = L.LSTM(UNITS, return_sequences=True)
    backward = L.GRU(UNITS, return_sequences=True, go_backwards=True)
    bidi = L.Bidirectional(forward, backward_layer=backward, merge_mode="sum")
    x = R.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    y = bidi(x).numpy()
    assert bidi.backward_layer is backward
    clone = L.deserialize(L.serialize(bidi))
    clone(x)
    clone.set_weights(bidi.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y, rtol=1e-6)
    assert isinstance(clone.backward_layer, L.GRU)
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards must be the opposite"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2, go_backwards=True,
                                                        return_sequences=True))
    with pytest.raises(ValueError, match="recurrent layer"):
        L.Bidirectional(L.Dense(2))


def test_bidirectional_in_a_functional_model_trains():
    inputs = engine.keras.Input(shape=(None, FEATURES))
    hidden = L.Bidirectional(L.LSTM(UNITS, return_sequences=True))(inputs)
    outputs = L.TimeDistributed(L.Dense(1))(hidden)
    model = engine.keras.Model(inputs, outputs)
    model.compile(optimizer=engine.keras.optimizers.Adam(0.02), loss="mse")
    x = R.standard_normal((8, TIME, FEATURES)).astype(np.float32)
    y = np.cumsum(x.sum(-1, keepdims=True), axis=1).astype(np.float32)
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first


class _SumCell(L.Layer):
    """A user's RNN cell, unknown to engine.keras.layers: h = x @ k + h."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.k = self.add_weight("k", shape=(input_shape[-1], self.units))

    def call(self, x, states):
        h = engine.matmul(x, self.k) + states[0]
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_custom_cells_survive_bidirectional_and_deserialize():
    # Bidirectional copies the layer through its config: the user's cell class must travel
    bi = L.Bidirectional(L.RNN(_SumCell(2)))
    assert type(bi.backward_layer.cell) is _SumCell and bi.backward_layer.go_backwards
    out = bi(np.ones((3, 4, 5), np.float32))
    assert out.shape == (3, 4)
    # and deserialize hands custom_objects to the wrappers' nested objects
    again = L.deserialize(L.serialize(bi),
                                     custom_objects={"_SumCell": _SumCell})
    assert type(again.forward_layer.cell) is _SumCell
    rnn = L.deserialize(L.serialize(L.RNN(_SumCell(3))),
                                   custom_objects={"_SumCell": _SumCell})
    assert type(rnn.cell) is _SumCell and rnn.cell.units == 3
