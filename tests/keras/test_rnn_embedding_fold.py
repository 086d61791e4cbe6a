"""Embedding -> LSTM/GRU: the fused op reads the Embedding's table and ids (the fold).

With a small table the layers pass the table and the ids to `LSTMSequence`/`GRUSequence`
instead of the gathered inputs. Outputs, states and every gradient (the table's included)
must equal the unfolded run's (`embedding_folding` off), eagerly and traced; where folding
does not pay or does not apply (a large vocabulary, input dropout), the layers do not fold.
"""

import numpy as np
import pytest

import engine
from engine import hooks

L = engine.keras.layers
R = np.random.default_rng(8)
BATCH, TIME, VOCAB, FEATURES, UNITS = 3, 7, 5, 6, 5
FUSED_OP = {"lstm": "LSTMSequence", "gru": "GRUSequence"}
LAYERS = {"lstm": L.LSTM, "gru": L.GRU}


@pytest.fixture
def folding_off(optimizer_options):
    return lambda on: optimizer_options({"embedding_folding": on})


def _model(kind, vocab=VOCAB, bidirectional=False, mask_zero=False, **kwargs):
    embedding = L.Embedding(vocab, FEATURES, mask_zero=mask_zero, dtype="float64")
    rnn = LAYERS[kind](UNITS, return_sequences=True, return_state=True, dtype="float64",
                       **kwargs)
    if bidirectional:
        rnn = L.Bidirectional(rnn, dtype="float64")
    time_major = kwargs.get("time_major", False)
    ids_shape = (TIME, BATCH) if time_major else (BATCH, TIME)
    embedding.build(ids_shape)
    rnn.build(ids_shape + (FEATURES,))
    for layer in (embedding, rnn):
        layer.set_weights([R.standard_normal(w.shape) * 0.5 for w in layer.get_weights()])
    return embedding, rnn, ids_shape


def _step(embedding, rnn, training=False):
    def run(ids):
        with engine.GradientTape() as tape:
            outs = rnn(embedding(ids), training=training)
            loss = sum(engine.reduce_sum(o * o * (k + 1.0)) for k, o in enumerate(outs))
        weights = embedding.trainable_weights + rnn.trainable_weights
        return list(outs) + tape.gradient(loss, weights)
    return run


def _first_input_ranks(fn, op):
    """Runs `fn`; returns its results and the rank of `op`'s first input in every run."""
    ranks = []

    def note(event):
        if event.op == op:
            ranks.append(len(event.input_shapes[0]))
    with hooks.subscribe("op", note):
        result = fn()
    return [r.numpy() for r in result], ranks


def _ids(shape, vocab=VOCAB):
    ids = R.integers(0, vocab, shape).astype(np.int32)
    ids.flat[:3] = vocab - 1                         # repeated ids
    return engine.constant(ids)


def _assert_same(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("options", [{}, {"go_backwards": True}, {"time_major": True},
                                     {"mask_zero": True}, {"bidirectional": True}])
def test_folded_equals_unfolded_eagerly(kind, options, folding_off):
    embedding, rnn, shape = _model(kind, **options)
    ids = _ids(shape)
    if options.get("mask_zero"):
        ids = engine.constant(np.where(R.random(shape) < 0.3, 0, ids.numpy()))
    got, folded = _first_input_ranks(lambda: _step(embedding, rnn)(ids), FUSED_OP[kind])
    folding_off(False)
    want, unfolded = _first_input_ranks(lambda: _step(embedding, rnn)(ids), FUSED_OP[kind])
    assert folded and set(folded) == {2}       # the table, (rows, features)
    assert unfolded and set(unfolded) == {3}   # the gathered inputs
    _assert_same(got, want)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_folded_equals_unfolded_traced_with_unknown_dims(kind, folding_off):
    embedding, rnn, shape = _model(kind)
    ids = _ids(shape)
    signature = [engine.TensorSpec([None, None], engine.int32)]
    traced = engine.function(_step(embedding, rnn), input_signature=signature)
    graph = traced.get_concrete_function().graph
    fused = [op for op in graph.get_operations() if op.type == FUSED_OP[kind]]
    assert len(fused) == 1 and fused[0].inputs[0].shape.rank == 2
    assert not [op for op in graph.get_operations() if op.type == "UnsortedSegmentSum"]
    got = [t.numpy() for t in traced(ids)]
    folding_off(False)
    want = [t.numpy() for t in engine.function(_step(embedding, rnn))(ids)]
    _assert_same(got, want)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_no_fold_where_it_does_not_pay_or_apply(kind):
    # A vocabulary larger than twice the features: the gathered rows are fewer FLOPs.
    embedding, rnn, shape = _model(kind, vocab=4 * FEATURES)
    _, ranks = _first_input_ranks(lambda: _step(embedding, rnn)(_ids(shape, 4 * FEATURES)),
                                  FUSED_OP[kind])
    assert set(ranks) == {3}
    # Input dropout while training applies to the gathered inputs.
    embedding, rnn, shape = _model(kind, dropout=0.3)
    ids = _ids(shape)
    _, ranks = _first_input_ranks(lambda: _step(embedding, rnn, training=True)(ids),
                                  FUSED_OP[kind])
    assert set(ranks) == {3}
    _, ranks = _first_input_ranks(lambda: _step(embedding, rnn)(ids), FUSED_OP[kind])
    assert set(ranks) == {2}


def test_a_sequential_char_model_trains_the_same_folded(folding_off):
    tokens = R.integers(0, VOCAB, (16, TIME + 1)).astype(np.int32)
    results = []
    for on in (True, False):
        folding_off(on)
        engine.keras.utils.set_random_seed(4)
        model = engine.keras.Sequential([
            engine.keras.Input(shape=(TIME,), dtype="int32"), L.Embedding(VOCAB, FEATURES),
            L.LSTM(UNITS, return_sequences=True), L.Dense(VOCAB)])
        model.compile(optimizer="adam", loss=engine.keras.losses.SparseCategoricalCrossentropy(
            from_logits=True))
        (history,), ranks = _first_input_ranks(lambda: [engine.constant(model.fit(
            tokens[:, :-1], tokens[:, 1:], batch_size=8, epochs=3, verbose=0).history["loss"])],
            "LSTMSequence")
        assert set(ranks) == ({2} if on else {3})
        results.append((history, model.get_weights()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_a_folded_graph_round_trips_through_json():
    import json

    from engine.graph.executor import Program

    embedding, rnn, shape = _model("gru", mask_zero=True)
    ids = _ids(shape)
    traced = engine.function(_step(embedding, rnn))
    data, arrays = traced.get_concrete_function(ids).graph.as_dict()
    rebuilt = engine.Graph.from_dict(json.loads(json.dumps(data)), arrays,
                                     variables=embedding.weights + rnn.weights)
    assert {"GRUSequence", "GRUSequenceGrad"} <= {n.type for n in rebuilt.nodes}
    _assert_same(Program(rebuilt)([ids.numpy()]), [t.numpy() for t in traced(ids)])
