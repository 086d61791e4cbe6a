"""Max pooling right after a convolution pools before the convolution's bias and activation.

A per-channel bias and an activation that never decreases commute with a max, so
`MaxPooling2D(Conv2D(..., activation="relu"))` may add the bias and apply the relu to the
pooled tensor. Outputs and every gradient must equal the unreordered run's
(`max_pool_reordering` off), eagerly and traced, and layers whose activation or pooling
does not commute must not reorder.
"""

import numpy as np
import pytest

import engine

L = engine.keras.layers
R = np.random.default_rng(17)


@pytest.fixture
def reordering(optimizer_options):
    return lambda on: optimizer_options({"max_pool_reordering": on})


CASES = {
    "conv2d relu": (lambda: L.Conv2D(4, 3, activation="relu"), lambda: L.MaxPooling2D(2),
                    (2, 9, 8, 3)),
    "conv2d tanh same": (lambda: L.Conv2D(4, 3, activation="tanh", padding="same"),
                         lambda: L.MaxPooling2D(3, strides=2, padding="same"), (2, 7, 8, 3)),
    "channels first": (lambda: L.Conv2D(4, 3, activation="elu", data_format="channels_first"),
                       lambda: L.MaxPooling2D(2, data_format="channels_first"), (2, 3, 8, 9)),
    "no bias": (lambda: L.Conv2D(4, 3, activation="relu", use_bias=False),
                lambda: L.MaxPooling2D(2), (2, 8, 8, 3)),
    "no activation": (lambda: L.Conv2D(4, 3), lambda: L.MaxPooling2D(2), (2, 8, 8, 3)),
    "conv1d": (lambda: L.Conv1D(4, 3, activation="relu"), lambda: L.MaxPooling1D(2),
               (2, 11, 3)),
    "global 2d": (lambda: L.Conv2D(4, 3, activation="relu"), lambda: L.GlobalMaxPooling2D(),
                  (2, 7, 6, 3)),
    "global 1d keepdims": (lambda: L.Conv1D(4, 3, activation="sigmoid"),
                           lambda: L.GlobalMaxPooling1D(keepdims=True), (2, 9, 3)),
}


def _pair(case):
    make_conv, make_pool, shape = CASES[case]
    engine.keras.backend.set_floatx("float64")
    try:
        conv, pool = make_conv(), make_pool()
    finally:
        engine.keras.backend.set_floatx("float32")
    conv.build(shape)
    conv.set_weights([R.standard_normal(w.shape) for w in conv.get_weights()])
    return conv, pool, engine.constant(R.standard_normal(shape))


def _step(conv, pool):
    def run(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = pool(conv(x))
            loss = engine.reduce_sum(y * y * engine.cast(engine.range(y.shape[-1]) + 1,
                                                         y.dtype))
        return [y] + tape.gradient(loss, [x] + conv.trainable_weights)
    return run


FINISHING = ("BiasAdd", "Relu", "Tanh", "Elu", "Sigmoid")


def _finished_shapes(fn, x):
    """Output shapes of the bias and activation nodes of `fn` traced (fusion off, so they
    stay nodes; dead-code elimination on, so the unpooled ones go when nothing reads
    them)."""
    options = engine.config.optimizer.get_experimental_options()
    engine.config.optimizer.set_experimental_options({"elementwise_fusion": False})
    try:
        graph = engine.function(fn).get_concrete_function(x).graph
    finally:
        engine.config.optimizer.set_experimental_options(options)
    return {tuple(node.outputs[0].shape) for node in graph.nodes if node.type in FINISHING
            and node.outputs[0].shape.rank > 1}


@pytest.mark.parametrize("case", list(CASES))
def test_reordered_equals_pooling_after_the_activation(case, reordering):
    conv, pool, x = _pair(case)
    shapes = _finished_shapes(_step(conv, pool), x)
    got = [t.numpy() for t in engine.function(_step(conv, pool))(x)]
    eager = [t.numpy() for t in _step(conv, pool)(x)]
    reordering(False)
    plain_shapes = _finished_shapes(_step(conv, pool), x)
    want = [t.numpy() for t in engine.function(_step(conv, pool))(x)]
    pooled = got[0].shape
    if case != "no activation" or conv.use_bias:
        assert pooled in shapes and pooled not in plain_shapes
        assert len(shapes) == 1  # the full-size bias and activation are gone
    for g, e, w in zip(got, eager, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(e, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make_conv, make_pool", [
    (lambda: L.Conv2D(4, 3, activation="gelu"), lambda: L.MaxPooling2D(2)),  # dips below 0
    (lambda: L.Conv2D(4, 3, activation="relu"), lambda: L.AveragePooling2D(2)),
    (lambda: L.Conv2D(4, 3, activation="relu"), lambda: L.MaxPooling2D(
        2, data_format="channels_first")),
])
def test_no_reordering_where_it_does_not_commute(make_conv, make_pool):
    conv, pool = make_conv(), make_pool()
    x = engine.constant(R.standard_normal((2, 8, 8, 3)).astype(np.float32))
    shapes = _finished_shapes(lambda x: [pool(conv(x))], x)
    assert shapes == {(2, 6, 6, 4)}


def test_eager_outputs_remember_nothing():
    # Eagerly the bias and activation have run; a remembered pre-activation would only
    # keep a second output-sized tensor alive.
    conv = L.Conv2D(4, 3, activation="relu")
    y = conv(engine.constant(R.standard_normal((2, 8, 8, 3)).astype(np.float32)))
    assert getattr(y, "_keras_fold", None) is None


def test_a_keras_cnn_trains_the_same_reordered(reordering):
    x = R.standard_normal((32, 10, 10, 1)).astype(np.float32)
    labels = R.integers(0, 3, 32)
    results = []
    for on in (True, False):
        reordering(on)
        engine.keras.utils.set_random_seed(2)
        model = engine.keras.Sequential([
            engine.keras.Input(shape=(10, 10, 1)), L.Conv2D(4, 3, activation="relu"),
            L.MaxPooling2D(2), L.Flatten(), L.Dense(3)])
        model.compile(optimizer="adam", loss=engine.keras.losses.SparseCategoricalCrossentropy(
            from_logits=True))
        history = model.fit(x, labels, batch_size=8, epochs=2, verbose=0)
        results.append((history.history["loss"], model.get_weights()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
