"""Convolution and pooling gradients traced with unknown (None) batch and spatial sizes.

The input-gradient ops (`Conv2DBackpropInput`, `DepthwiseConv2dNativeBackpropInput`,
`AvgPoolGrad`, and the filter gradients alike) take the sizes as a run-time shape tensor
input when tracing does not know them; each case is traced once and called with two sizes.
"""

import json

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from engine.graph.executor import Program

S = engine.TensorSpec
F64 = engine.float64
keras = engine.keras
L = keras.layers


def conv2d(x, w):
    return engine.nn.conv2d(x, w, 2, "SAME")


def conv1d(x, w):
    return engine.nn.conv1d(x, w, 2, "VALID")


def depthwise(x, w):
    return engine.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")


def conv2d_transpose(x, w):
    n, h, wd = engine.shape(x)[0], engine.shape(x)[1], engine.shape(x)[2]
    return engine.nn.conv2d_transpose(x, w, [n, 2 * h, 2 * wd, 2], 2, "SAME")


def conv1d_transpose(x, w):
    n, wd = engine.shape(x)[0], engine.shape(x)[1]
    return engine.nn.conv1d_transpose(x, w, [n, 2 * wd, 2], 2, "SAME")


def avg_pool2d(x, w):
    return engine.nn.avg_pool2d(x * w, 2, 2, "SAME")


def avg_pool1d(x, w):
    return engine.nn.avg_pool1d(x * w, 3, 2, "VALID")


def max_pool2d(x, w):
    return engine.nn.max_pool2d(x * w, 2, 2, "SAME")


# (op, input shape with None where traced unknown, filter shape, two input shapes)
CASES = {
    "conv2d": (conv2d, (None, None, None, 2), (3, 3, 2, 3), [(2, 5, 6, 2), (3, 4, 4, 2)]),
    "conv1d": (conv1d, (None, None, 2), (3, 2, 3), [(2, 7, 2), (1, 5, 2)]),
    "depthwise": (depthwise, (None, None, None, 2), (3, 3, 2, 2), [(2, 5, 4, 2), (1, 3, 6, 2)]),
    "conv2d_transpose": (conv2d_transpose, (None, None, None, 3), (3, 3, 2, 3),
                         [(2, 3, 2, 3), (1, 2, 4, 3)]),
    "conv1d_transpose": (conv1d_transpose, (None, None, 3), (3, 2, 3), [(2, 3, 3), (1, 5, 3)]),
    "avg_pool2d": (avg_pool2d, (None, None, None, 2), (2,), [(2, 5, 4, 2), (3, 4, 6, 2)]),
    "avg_pool1d": (avg_pool1d, (None, None, 2), (2,), [(2, 7, 2), (1, 5, 2)]),
    "max_pool2d": (max_pool2d, (None, None, None, 2), (2,), [(2, 5, 4, 2), (3, 4, 6, 2)]),
}


def grad_function(op, x_spec, w_shape):
    """The traced gradient of `sum(op(x, w) * u)` for x of unknown sizes."""

    @engine.function(input_signature=[S(list(x_spec), F64), S(list(w_shape), F64),
                                      S([None] * len(x_spec), F64)])
    def grads(x, w, u):
        with engine.GradientTape() as tape:
            tape.watch([x, w])
            y = op(x, w)
            loss = engine.reduce_sum(y * u)
        return y, tape.gradient(loss, [x, w])

    return grads


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_with_unknown_sizes_match_finite_differences(name):
    op, x_spec, w_shape, shapes = CASES[name]
    grads = grad_function(op, x_spec, w_shape)
    rng = np.random.default_rng(0)
    w = rng.standard_normal(w_shape)
    for shape in shapes:  # one trace, two sizes
        x = rng.standard_normal(shape)
        want = op(engine.constant(x), engine.constant(w)).numpy()
        u = rng.standard_normal(want.shape)
        y, (gx, gw) = grads(x, w, u)
        np.testing.assert_allclose(y.numpy(), want, rtol=1e-12, atol=1e-12)
        vx, vw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
        eps = 1e-6

        def f(sign, x=x, vx=vx, vw=vw, u=u):
            out = op(engine.constant(x + sign * eps * vx), engine.constant(w + sign * eps * vw))
            return float(np.sum(out.numpy() * u))

        numeric = (f(1) - f(-1)) / (2 * eps)
        analytic = float(np.sum(gx.numpy() * vx) + np.sum(gw.numpy() * vw))
        assert abs(analytic - numeric) <= 1e-6 * max(1.0, abs(numeric)), (analytic, numeric)


@pytest.mark.parametrize("name", ["conv2d", "depthwise", "avg_pool2d", "conv2d_transpose"])
def test_second_order_gradients_with_unknown_sizes(name):
    """The backprop ops' own gradients (which take the sizes tensor too) trace and run."""
    op, x_spec, w_shape, shapes = CASES[name]

    def hvp(x, w, v):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                loss = engine.reduce_sum(op(x, w) ** 2)
            g = inner.gradient(loss, x)
            gv = engine.reduce_sum(g * v)
        return outer.gradient(gv, x)

    traced = engine.function(hvp, input_signature=[S(list(x_spec), F64), S(list(w_shape), F64),
                                                    S(list(x_spec), F64)])
    rng = np.random.default_rng(1)
    w = engine.constant(rng.standard_normal(w_shape))
    for shape in shapes:
        x, v = engine.constant(rng.standard_normal(shape)), engine.constant(
            rng.standard_normal(shape))
        np.testing.assert_allclose(traced(x, w, v).numpy(), hvp(x, w, v).numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_backprop_nodes_take_the_sizes_as_a_tensor_and_keep_known_sizes():
    op, x_spec, w_shape, _ = CASES["conv2d"]
    graph = grad_function(op, (None, 6, None, 2), w_shape).get_concrete_function().graph
    node = next(n for n in graph.nodes if n.type == "Conv2DBackpropInput")
    assert len(node.inputs) == 3 and node.attrs["input_sizes"] == (None, 6, None, 2)
    assert node.outputs[0].shape.as_list() == [None, 6, None, 2]
    # Known sizes need no tensor: the eager path and fully known traces are unchanged.
    graph = grad_function(op, (2, 6, 6, 2), w_shape).get_concrete_function().graph
    node = next(n for n in graph.nodes if n.type == "Conv2DBackpropInput")
    assert len(node.inputs) == 2 and node.attrs["input_sizes"] == (2, 6, 6, 2)


def test_graphs_with_sized_backprops_round_trip_through_json():
    rng = np.random.default_rng(2)
    for name in ("conv2d", "depthwise", "avg_pool2d"):
        op, x_spec, w_shape, shapes = CASES[name]
        grads = grad_function(op, x_spec, w_shape)
        graph = grads.get_concrete_function().graph
        data, arrays = graph.as_dict()
        program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
        w = rng.standard_normal(w_shape)
        for shape in shapes:
            x = rng.standard_normal(shape)
            u = rng.standard_normal(op(engine.constant(x), engine.constant(w)).shape)
            got = program([x, w, u])
            y, (gx, gw) = grads(x, w, u)
            want = [y, gx, gw]
            assert len(got) == len(want)
            for a, b in zip(got, want):
                np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-12)


def test_run_time_sizes_that_contradict_the_trace_are_reported():
    w, dy = engine.ones([3, 3, 2, 3]), engine.ones([2, 3, 3, 3])

    @engine.function(input_signature=[S([4], engine.int32)])
    def backprop(sizes):
        return engine.ops.conv_ops.dispatch_sized(
            engine.ops.conv_ops._CONV2D_BACKPROP_INPUT, (w, dy), "input_sizes",
            ((None, 5, 5, 2), sizes), {"strides": (1, 2, 2, 1), "padding": "SAME"})

    assert backprop(engine.constant([2, 5, 5, 2])).shape == (2, 5, 5, 2)
    with pytest.raises(InvalidArgumentError, match="input_sizes is .* when the graph runs"):
        backprop(engine.constant([2, 6, 5, 2]))


def test_conv_layers_gradients_with_unknown_batch_on_the_fake_gpu(gpu):
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3, padding="same"),
                              L.AveragePooling2D(), L.DepthwiseConv2D(2), L.Flatten(),
                              L.Dense(2)])

    @engine.function(input_signature=[S([None, 6, 6, 1])])
    def grads(x):
        with engine.GradientTape() as tape:
            loss = engine.reduce_sum(model(x) ** 2)
        return tape.gradient(loss, model.trainable_variables)

    with engine.device("/GPU:0"):
        for n in (2, 3):
            x = engine.constant(np.random.default_rng(n).standard_normal((n, 6, 6, 1)),
                                engine.float32)
            with engine.GradientTape() as tape:
                loss = engine.reduce_sum(model(x) ** 2)
            want = tape.gradient(loss, model.trainable_variables)
            for a, b in zip(grads(x), want):
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


# --- Keras layers: None batch (and None spatial sizes where the layer allows them) ---------
LAYERS = {
    "Conv1D": ((8, 3), lambda: L.Conv1D(4, 3, padding="same", strides=2)),
    "Conv2D": ((8, 8, 2), lambda: L.Conv2D(4, 3, strides=2)),
    "Conv2DTranspose": ((5, 5, 2), lambda: L.Conv2DTranspose(3, 3, strides=2, padding="same")),
    "DepthwiseConv2D": ((8, 8, 2), lambda: L.DepthwiseConv2D(3, depth_multiplier=2)),
    "SeparableConv2D": ((8, 8, 2), lambda: L.SeparableConv2D(3, 3)),
    "UpSampling2D": ((4, 4, 2), lambda: L.UpSampling2D(2)),
    "ZeroPadding2D": ((4, 4, 2), lambda: L.ZeroPadding2D(1)),
    "Cropping2D": ((6, 6, 2), lambda: L.Cropping2D(1)),
    "MaxPooling1D": ((8, 2), lambda: L.MaxPooling1D(2)),
    "AveragePooling1D": ((8, 2), lambda: L.AveragePooling1D(2)),
    "MaxPooling2D": ((8, 8, 2), lambda: L.MaxPooling2D(2)),
    "AveragePooling2D": ((7, 8, 2), lambda: L.AveragePooling2D(2, padding="same")),
    "GlobalAveragePooling1D": ((8, 2), L.GlobalAveragePooling1D),
    "GlobalMaxPooling1D": ((8, 2), L.GlobalMaxPooling1D),
    "GlobalAveragePooling2D": ((8, 8, 2), L.GlobalAveragePooling2D),
    "GlobalMaxPooling2D": ((8, 8, 2), L.GlobalMaxPooling2D),
}


@pytest.mark.parametrize("spatial", [False, True], ids=["batch", "spatial"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_keras_layers_forward_and_gradient_with_unknown_sizes(name, spatial):
    shape, make = LAYERS[name]
    inputs = keras.Input(shape)
    model = keras.Model(inputs, make()(inputs))
    spec = [None] * (len(shape) + 1) if spatial else [None, *shape]
    spec[-1] = shape[-1]

    def step(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = model(x, training=True)
            loss = engine.reduce_sum(y * y)
        return y, tape.gradient(loss, [x] + model.trainable_variables)

    traced = engine.function(step, input_signature=[S(spec)])
    rng = np.random.default_rng(0)
    for n in (2, 3):
        x = engine.constant(rng.standard_normal((n, *shape)).astype("float32"))
        (y, grads), (y_eager, grads_eager) = traced(x), step(x)
        np.testing.assert_allclose(y.numpy(), y_eager.numpy(), rtol=1e-5, atol=1e-5)
        for a, b in zip(grads, grads_eager):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-4)


def test_issue_cnn_training_step_with_unknown_batch():
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              L.Conv2D(4, 3, activation="relu", padding="same"),
                              L.MaxPooling2D(), L.Conv2D(4, 3), L.GlobalAveragePooling2D(),
                              L.Dense(3)])
    sce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(x, y):
        with engine.GradientTape() as tape:
            loss = sce(y, model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)

    traced = engine.function(step, input_signature=[S([None, 8, 8, 1]), S([None], engine.int32)])
    rng = np.random.default_rng(3)
    for n in (4, 5):
        x = rng.standard_normal((n, 8, 8, 1)).astype("float32")
        y = rng.integers(0, 3, n).astype("int32")
        for a, b in zip(traced(x, y), step(engine.constant(x), engine.constant(y))):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
