"""LSTM and GRU: the fused kernels and the generic cell loop give the same numbers.

`LSTM`/`GRU` run `LSTMSequence`/`GRUSequence` when they can; `RNN(LSTMCell)` and
`RNN(GRUCell)` always run the cell loop. With the same weights, outputs, final states and
gradients (inputs, initial states, weights) must agree, eagerly and traced.
"""

import logging

import numpy as np
import pytest

import engine
from engine import hooks

L = engine.keras.layers
R = np.random.default_rng(5)
BATCH, TIME, FEATURES, UNITS = 3, 6, 4, 5
KINDS = {"lstm": (L.LSTM, L.LSTMCell, 2), "gru": (L.GRU, L.GRUCell, 1)}
FUSED_OP = {"lstm": "LSTMSequence", "gru": "GRUSequence"}


def _mask(time_major=False):
    mask = R.random((BATCH, TIME)) > 0.3
    mask[0, :2] = False          # leading masked steps: the output is zeros there
    mask[1, -1] = False
    return mask.T if time_major else mask


def _pair(kind, **kwargs):
    """The fused layer and a cell-loop RNN with the same weights (float64)."""
    layer_cls, cell_cls, _ = KINDS[kind]
    fused = layer_cls(UNITS, dtype="float64", **kwargs)
    loop = L.RNN(cell_cls(UNITS, dtype="float64"), dtype="float64", **kwargs)
    shape = (TIME, BATCH, FEATURES) if kwargs.get("time_major") else (BATCH, TIME, FEATURES)
    fused.build(shape)
    loop.build(shape)
    weights = [R.standard_normal(w.shape) * 0.5 for w in fused.get_weights()]
    fused.set_weights(weights)
    loop.set_weights(weights)
    return fused, loop


def _run(layer, x, mask, states):
    """Outputs and gradients of a loss of every output w.r.t. inputs, states and weights."""
    with engine.GradientTape() as tape:
        tape.watch([x] + states)
        outs = layer(x, mask=mask, initial_state=states)
        loss = sum(engine.reduce_sum(o * o * (k + 1.0)) for k, o in enumerate(outs))
    grads = tape.gradient(loss, [x] + states + layer.trainable_weights)
    return [o.numpy() for o in outs] + [g.numpy() for g in grads]


def _ops_run(fn):
    seen = set()
    with hooks.subscribe("op", lambda event: seen.add(event.op)):
        result = fn()
    return result, seen


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("go_backwards,time_major", [(False, False), (True, False),
                                                     (False, True), (True, True)])
@pytest.mark.parametrize("masked,zero_output", [(False, False), (True, False), (True, True)])
def test_fused_equals_the_cell_loop(kind, go_backwards, time_major, masked, zero_output):
    kwargs = dict(return_sequences=True, return_state=True, go_backwards=go_backwards,
                  time_major=time_major, zero_output_for_mask=zero_output)
    fused, loop = _pair(kind, **kwargs)
    x = engine.constant(R.standard_normal(
        (TIME, BATCH, FEATURES) if time_major else (BATCH, TIME, FEATURES)))
    mask = engine.constant(_mask(time_major)) if masked else None
    states = [engine.constant(R.standard_normal((BATCH, UNITS))) for _ in range(KINDS[kind][2])]
    got, ops = _ops_run(lambda: _run(fused, x, mask, states))
    want, loop_ops = _ops_run(lambda: _run(loop, x, mask, states))
    assert FUSED_OP[kind] in ops and FUSED_OP[kind] + "Grad" in ops
    assert FUSED_OP[kind] not in loop_ops
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_fused_equals_the_cell_loop_traced_and_with_unknown_lengths(kind):
    fused, loop = _pair(kind, return_sequences=True)
    x = engine.constant(R.standard_normal((BATCH, TIME, FEATURES)))
    mask = engine.constant(_mask())

    def step(layer):
        def run(x, mask):
            with engine.GradientTape() as tape:
                tape.watch(x)
                y = layer(x, mask=mask)
                loss = engine.reduce_sum(y * y)
            return [y] + tape.gradient(loss, [x] + layer.trainable_weights)
        return run

    eager = step(loop)(x, mask)
    signature = [engine.TensorSpec([None, None, FEATURES], engine.float64),
                 engine.TensorSpec([None, None], engine.bool)]
    for layer in (fused, loop):  # the loop becomes one While node with unknown lengths
        for sig in (None, signature):
            got = engine.function(step(layer), input_signature=sig)(x, mask)
            for g, w in zip(got, eager):
                np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_input_dropout_matches_the_cell_loop(kind):
    # Both paths draw one (batch, features) mask per call, used at every step.
    layer_cls, cell_cls, _ = KINDS[kind]
    fused, loop = _pair(kind, return_sequences=True)
    fused.cell.dropout = loop.cell.dropout = 0.4
    x = engine.constant(R.standard_normal((BATCH, TIME, FEATURES)))
    results = []
    for layer in (fused, loop):
        engine.random.set_seed(3)
        results.append([layer(x, training=True).numpy(), layer(x, training=False).numpy()])
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-9, atol=1e-12)
    assert not np.allclose(results[0][0], results[0][1])


def test_fallback_is_logged_once_with_the_reason(caplog):
    layer = L.LSTM(UNITS, recurrent_dropout=0.2)
    x = engine.ones([BATCH, TIME, FEATURES])
    with caplog.at_level(logging.WARNING, logger="engine.keras.layers.recurrent"):
        _, ops = _ops_run(lambda: (layer(x), layer(x)))
    assert "LSTMSequence" not in ops
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "recurrent_dropout=0.2" in messages[0]
    caplog.clear()
    for layer, reason in [(L.GRU(UNITS, reset_after=False), "reset_after=False"),
                          (L.LSTM(UNITS, activation="relu"), "activation='relu'"),
                          (L.GRU(UNITS, use_bias=False), "use_bias=False"),
                          (L.LSTM(UNITS, unroll=True), "unroll=True"),
                          (L.GRU(UNITS, recurrent_activation="hard_sigmoid"),
                           "recurrent_activation='hard_sigmoid'")]:
        with caplog.at_level(logging.WARNING, logger="engine.keras.layers.recurrent"):
            layer(x)
        assert reason in caplog.records[-1].getMessage()


def test_functional_model_with_unknown_sequence_length():
    inputs = engine.keras.Input(shape=(None, FEATURES))
    lstm = L.LSTM(UNITS, return_sequences=True)
    outputs = L.GRU(3)(lstm(inputs))
    model = engine.keras.Model(inputs, outputs)
    x = R.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    y = model(x)
    assert y.shape == [BATCH, 3]
    np.testing.assert_allclose(model(x[:, :4]).numpy(), model.layers[-1](
        lstm(x[:, :4])).numpy(), rtol=1e-6)


def test_fused_layers_run_on_the_device_of_their_scope(gpu):
    from tests.fake_gpu import FakeGPUArray

    x = R.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    mask = _mask()
    stack = [L.Bidirectional(L.LSTM(UNITS, return_sequences=True)), L.GRU(UNITS)]
    want = stack[1](stack[0](x, mask=engine.constant(mask)))
    with engine.device("/GPU:0"):
        got = engine.constant(x)
        with engine.GradientTape() as tape:
            tape.watch(got)
            hidden = stack[0](got, mask=engine.constant(mask))
            out = stack[1](hidden)
            loss = engine.reduce_sum(out)
        grads = tape.gradient(loss, [got] + stack[0].trainable_weights)
    for t in [hidden, out] + grads:
        assert isinstance(t._value, FakeGPUArray)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5)
