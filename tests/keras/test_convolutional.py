"""Convolution layers against direct NumPy loops: Conv1D/2D, their transposes, depthwise and
separable convolutions; gradients, tracing, the functional API, configs and errors."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


# --- references --------------------------------------------------------------------------
def same_pads(size, k, s, d):
    """TensorFlow's SAME padding (before, after) of one axis."""
    span = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + span - size, 0)
    return total // 2, total - total // 2


def conv_ref(x, w, strides, padding, dilation, groups=1):
    """NHWC convolution by direct loops: every output sums its window's products."""
    n, h, wd, c = x.shape
    kh, kw, cg, f = w.shape
    if padding == "same":
        pads = [same_pads(h, kh, strides[0], dilation[0]), same_pads(wd, kw, strides[1],
                                                                      dilation[1])]
    else:
        pads = [(0, 0), (0, 0)]
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    oh = (xp.shape[1] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (xp.shape[2] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    fg = f // groups
    out = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    row, col = i * strides[0] + a * dilation[0], j * strides[1] + b * dilation[1]
                    patch = xp[:, row, col]
                    for g in range(groups):
                        out[:, i, j, g * fg:(g + 1) * fg] += (
                            patch[:, g * cg:(g + 1) * cg] @ w[a, b, :, g * fg:(g + 1) * fg])
    return out


def depthwise_ref(x, w, strides, padding, dilation):
    """Output channel c * m + j is input channel c convolved with w[..., c, j]."""
    kh, kw, c, m = w.shape
    out = [conv_ref(x[..., ch:ch + 1], w[:, :, ch:ch + 1, :], strides, padding, dilation)
           for ch in range(c)]
    return np.concatenate(out, axis=-1)


def transpose_ref(x, w, out_hw, strides, padding, dilation):
    """The adjoint by definition: x[i] * w[a] lands on output i * s + a * d - before."""
    n, h, wd, c = x.shape
    kh, kw, f, _ = w.shape
    before = [same_pads(out_hw[a], w.shape[a], strides[a], dilation[a])[0]
              if padding == "same" else 0 for a in range(2)]
    y = np.zeros((n,) + tuple(out_hw) + (f,))
    for i in range(h):
        for j in range(wd):
            for a in range(kh):
                for b in range(kw):
                    p = i * strides[0] + a * dilation[0] - before[0]
                    q = j * strides[1] + b * dilation[1] - before[1]
                    if 0 <= p < out_hw[0] and 0 <= q < out_hw[1]:
                        y[:, p, q] += x[:, i, j] @ w[a, b].T
    return y


def deconv_length(n, k, s, d, padding, output_padding):
    """Keras' output length of a transposed convolution (its documented formula)."""
    span = (k - 1) * d + 1
    if output_padding is None:
        return n * s + max(span - s, 0) if padding == "valid" else n * s
    pad = span // 2 if padding == "same" else 0
    return (n - 1) * s + span - 2 * pad + output_padding


def to_last(x):
    return np.moveaxis(x, 1, -1)


def to_first(x):
    return np.moveaxis(x, -1, 1)


def randomize(layer, x, seed=0):
    """Builds `layer` on `x` and gives it random weights (biases too); returns them."""
    layer(x)
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def check_grads(layer, x):
    """The layer's gradients (input and weights) against float64 finite differences."""
    xv = engine.Variable(np.asarray(x, np.float64))
    check_layer_gradients(lambda: layer(xv), [xv] + layer.trainable_weights)


def check_traced_and_functional(layer, x):
    """engine.function and a functional Model compute what the eager layer does."""
    eager = layer(x).numpy()
    np.testing.assert_allclose(engine.function(lambda t: layer(t))(x).numpy(), eager,
                               rtol=1e-6, atol=1e-6)
    inputs = keras.Input(shape=x.shape[1:], dtype=x.dtype.name)
    outputs = layer(inputs)
    assert outputs.shape.as_list() == [None, *eager.shape[1:]]
    model = keras.Model(inputs, outputs)
    np.testing.assert_allclose(model(x).numpy(), eager, rtol=1e-6, atol=1e-6)


# --- Conv2D / Conv1D ---------------------------------------------------------------------
CONV2D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=(3, 2), strides=(2, 1), padding="same"),
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=2, dilation_rate=(2, 3), padding="same"),
    dict(kernel_size=3, strides=2, dilation_rate=2),
    dict(kernel_size=3, groups=2, padding="same"),
    dict(kernel_size=(2, 3), groups=4, strides=2),
    dict(kernel_size=3, strides=2, groups=2, padding="same", data_format="channels_first"),
]


@pytest.mark.parametrize("kwargs", CONV2D_CASES)
def test_conv2d_matches_direct_loops(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = np.random.default_rng(0).normal(size=(2, 7, 8, 4))
    layer = layers.Conv2D(8, dtype="float64", **kwargs)
    x_in = to_first(x) if first else x
    kernel, bias = randomize(layer, x_in)
    assert kernel.shape == layer.kernel_size + (4 // layer.groups, 8)
    expected = conv_ref(x, kernel, layer.strides, layer.padding, layer.dilation_rate,
                        layer.groups) + bias
    got = layer(x_in).numpy()
    np.testing.assert_allclose(to_last(got) if first else got, expected, rtol=1e-10, atol=1e-12)


CONV1D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=4, strides=2, padding="same"),
    dict(kernel_size=3, dilation_rate=2, padding="causal"),
    dict(kernel_size=2, groups=3, padding="causal", data_format="channels_first"),
    dict(kernel_size=3, groups=3, strides=2),
]


@pytest.mark.parametrize("kwargs", CONV1D_CASES)
def test_conv1d_matches_direct_loops(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = np.random.default_rng(1).normal(size=(2, 9, 3))
    layer = layers.Conv1D(6, activation="tanh", dtype="float64", **kwargs)
    x_in = to_first(x) if first else x
    kernel, bias = randomize(layer, x_in)
    padded = x
    padding = layer.padding
    if padding == "causal":  # output t sees inputs <= t: pad the front only
        padded = np.pad(x, ((0, 0), ((kernel.shape[0] - 1) * layer.dilation_rate[0], 0), (0, 0)))
        padding = "valid"
    expected = conv_ref(padded[:, None], kernel[None], (1,) + layer.strides, padding,
                        (1,) + layer.dilation_rate, layer.groups)[:, 0]
    got = layer(x_in).numpy()
    np.testing.assert_allclose(to_last(got) if first else got, np.tanh(expected + bias),
                               rtol=1e-10, atol=1e-12)
    if layer.padding == "causal":  # the last step does not change earlier outputs
        changed = x_in.copy()
        changed[(..., -1) if first else (slice(None), -1)] += 1.0
        y = layer(changed).numpy()
        np.testing.assert_array_equal((y[..., :-1] if first else y[:, :-1]),
                                      (got[..., :-1] if first else got[:, :-1]))


@pytest.mark.parametrize("layer, shape", [
    (lambda: layers.Conv2D(3, 3, groups=3, padding="same", dtype="float64"), (2, 5, 4, 6)),
    (lambda: layers.Conv2D(4, (2, 3), strides=2, dilation_rate=1, dtype="float64"),
     (1, 6, 7, 2)),
    (lambda: layers.Conv1D(4, 3, padding="causal", dilation_rate=2, groups=2,
                           dtype="float64"), (2, 6, 4)),
])
def test_conv_gradients_match_finite_differences(layer, shape):
    layer = layer()
    x = np.random.default_rng(2).normal(size=shape)
    randomize(layer, x)
    check_grads(layer, x)


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"), (2, 6, 6, 3)),
    (lambda: layers.Conv1D(4, 3, padding="causal", groups=2), (2, 7, 4)),
    (lambda: layers.Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 4, 5, 2)),
    (lambda: layers.Conv1DTranspose(3, 3, strides=2, output_padding=1), (2, 4, 2)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (2, 5, 5, 3)),
    (lambda: layers.SeparableConv1D(4, 3, padding="causal"), (2, 6, 3)),
])
def test_traced_functional_and_config_round_trip(make, shape):
    layer = make()
    x = np.random.default_rng(3).normal(size=shape).astype(np.float32)
    randomize(layer, x)
    check_traced_and_functional(layer, x)
    check_config_round_trip(layer, x)


def test_keras_weight_names_shapes_and_config_keys():
    conv = layers.Conv2D(8, 3, name="c")
    conv(np.zeros((1, 5, 5, 3), np.float32))
    assert [(w.name, w.shape.as_list()) for w in conv.weights] == [
        ("c/kernel:0", [3, 3, 3, 8]), ("c/bias:0", [8])]
    assert set(conv.get_config()) >= {
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
        "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
        "kernel_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "bias_constraint"}
    sep = layers.SeparableConv2D(5, 3, depth_multiplier=2, name="s")
    sep(np.zeros((1, 5, 5, 3), np.float32))
    assert [(w.name, w.shape.as_list()) for w in sep.weights] == [
        ("s/depthwise_kernel:0", [3, 3, 3, 2]), ("s/pointwise_kernel:0", [1, 1, 6, 5]),
        ("s/bias:0", [5])]
    assert "kernel_initializer" not in sep.get_config()
    dw = layers.DepthwiseConv2D(3, use_bias=False, name="d")
    dw(np.zeros((1, 5, 5, 3), np.float32))
    assert [w.name for w in dw.weights] == ["d/depthwise_kernel:0"]
    assert "filters" not in dw.get_config()
    tr = layers.Conv2DTranspose(4, 3, name="t")
    tr(np.zeros((1, 5, 5, 3), np.float32))
    assert tr.kernel.shape.as_list() == [3, 3, 4, 3]  # (kh, kw, filters, in_channels)


# --- transposed convolutions ---------------------------------------------------------------
TRANSPOSE_CASES = [
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=3, strides=2),
    dict(kernel_size=(2, 3), strides=(2, 3), padding="same", output_padding=(1, 2)),
    dict(kernel_size=3, dilation_rate=2),
    dict(kernel_size=4, strides=2, padding="same"),
    dict(kernel_size=3, strides=3, output_padding=(2, 1)),
    dict(kernel_size=3, strides=2, dilation_rate=2, padding="same"),
    dict(kernel_size=3, strides=2, padding="same", data_format="channels_first"),
]


@pytest.mark.parametrize("kwargs", TRANSPOSE_CASES)
def test_conv2d_transpose_is_the_adjoint_of_conv2d(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 4, 5, 3))
    layer = layers.Conv2DTranspose(2, dtype="float64", **kwargs)
    x_in = to_first(x) if first else x
    kernel, bias = randomize(layer, x_in)
    pads = layer.output_padding or (None, None)
    out_hw = [deconv_length(n, k, s, d, layer.padding, p) for n, k, s, d, p in zip(
        (4, 5), layer.kernel_size, layer.strides, layer.dilation_rate, pads)]
    got = layer(x_in).numpy()
    got = to_last(got) if first else got
    assert got.shape == (2, *out_hw, 2)
    expected = transpose_ref(x, kernel, out_hw, layer.strides, layer.padding,
                             layer.dilation_rate)
    np.testing.assert_allclose(got, expected + bias, rtol=1e-10, atol=1e-12)
    # <T x, z> == <x, conv(z)>: the transpose's defining property, with conv2d's reference.
    z = rng.normal(size=got.shape)
    forward = conv_ref(z, kernel, layer.strides, layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(np.sum((got - bias) * z), np.sum(x * forward), rtol=1e-10)
    # An unknown batch size (functional wiring, input signatures) takes another path.
    spec = engine.TensorSpec([None] + list(x_in.shape[1:]), engine.float64)
    traced = engine.function(lambda t: layer(t), input_signature=[spec])
    np.testing.assert_allclose(traced(x_in).numpy(), layer(x_in).numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=2, strides=3, output_padding=2),
    dict(kernel_size=3, dilation_rate=2, data_format="channels_first"),
])
def test_conv1d_transpose_matches_the_2d_reference(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = np.random.default_rng(5).normal(size=(2, 5, 3))
    layer = layers.Conv1DTranspose(4, dtype="float64", **kwargs)
    x_in = to_first(x) if first else x
    kernel, bias = randomize(layer, x_in)
    pad = layer.output_padding[0] if layer.output_padding else None
    length = deconv_length(5, layer.kernel_size[0], layer.strides[0], layer.dilation_rate[0],
                           layer.padding, pad)
    expected = transpose_ref(x[:, None], kernel[None], (1, length), (1,) + layer.strides,
                             layer.padding, (1,) + layer.dilation_rate)[:, 0] + bias
    got = layer(x_in).numpy()
    np.testing.assert_allclose(to_last(got) if first else got, expected, rtol=1e-10, atol=1e-12)
    spec = engine.TensorSpec([None] + list(x_in.shape[1:]), engine.float64)
    traced = engine.function(lambda t: layer(t), input_signature=[spec])
    np.testing.assert_allclose(traced(x_in).numpy(), got, rtol=1e-10, atol=1e-12)


def test_transpose_gradients_match_finite_differences():
    x = np.random.default_rng(6).normal(size=(2, 3, 4, 2))
    layer = layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1,
                                   dtype="float64")
    randomize(layer, x)
    check_grads(layer, x)
    spec = engine.TensorSpec([None, 3, 4, 2], engine.float64)
    traced = engine.function(lambda t: layer(t), input_signature=[spec])
    with engine.GradientTape() as tape:
        t = engine.constant(x)
        tape.watch(t)
        eager = engine.reduce_sum(layer(t) ** 2)
    expected = tape.gradient(eager, [t] + layer.trainable_weights)
    with engine.GradientTape() as tape:
        t = engine.constant(x)
        tape.watch(t)
        loss = engine.reduce_sum(traced(t) ** 2)
    for got, want in zip(tape.gradient(loss, [t] + layer.trainable_weights), expected):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


# --- depthwise and separable -----------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, depth_multiplier=2),
    dict(kernel_size=(2, 3), strides=2, padding="same"),
    dict(kernel_size=2, dilation_rate=2, depth_multiplier=3, data_format="channels_first"),
])
def test_depthwise_and_separable_conv2d_match_direct_loops(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = np.random.default_rng(7).normal(size=(2, 6, 7, 3))
    x_in = to_first(x) if first else x
    dw = layers.DepthwiseConv2D(dtype="float64", **kwargs)
    kernel, bias = randomize(dw, x_in)
    expected = depthwise_ref(x, kernel, dw.strides, dw.padding, dw.dilation_rate)
    got = dw(x_in).numpy()
    np.testing.assert_allclose(to_last(got) if first else got, expected + bias, rtol=1e-10,
                               atol=1e-12)
    sep = layers.SeparableConv2D(5, dtype="float64", **kwargs)
    depthwise, pointwise, bias = randomize(sep, x_in)
    mid = depthwise_ref(x, depthwise, sep.strides, sep.padding, sep.dilation_rate)
    expected = mid @ pointwise[0, 0] + bias
    got = sep(x_in).numpy()
    np.testing.assert_allclose(to_last(got) if first else got, expected, rtol=1e-10,
                               atol=1e-12)


def test_depthwise_and_separable_conv1d_and_gradients():
    x = np.random.default_rng(8).normal(size=(2, 7, 3))
    dw = layers.DepthwiseConv1D(3, padding="causal", depth_multiplier=2, dtype="float64")
    kernel, bias = randomize(dw, x)
    padded = np.pad(x, ((0, 0), (2, 0), (0, 0)))[:, None]
    expected = depthwise_ref(padded, kernel[None], (1, 1), "valid", (1, 1))[:, 0] + bias
    np.testing.assert_allclose(dw(x).numpy(), expected, rtol=1e-10, atol=1e-12)
    check_grads(dw, x)
    sep = layers.SeparableConv1D(4, 3, strides=2, padding="same", dtype="float64")
    depthwise, pointwise, bias = randomize(sep, x)
    mid = depthwise_ref(x[:, None], depthwise[None], (1, 2), "same", (1, 1))[:, 0]
    np.testing.assert_allclose(sep(x).numpy(), mid @ pointwise[0] + bias, rtol=1e-10,
                               atol=1e-12)
    check_grads(sep, x)


# --- behaviour ---------------------------------------------------------------------------------
def test_extra_batch_axes_are_folded():
    x = np.random.default_rng(9).normal(size=(2, 3, 6, 4)).astype(np.float32)
    layer = layers.Conv1D(5, 3, padding="same")
    y = layer(x)
    assert y.shape == (2, 3, 6, 5)
    np.testing.assert_allclose(y.numpy()[1], layer(x[1]).numpy(), rtol=1e-6)


def test_regularizers_constraints_and_training_step():
    layer = layers.Conv2D(2, 3, kernel_regularizer=keras.regularizers.L2(0.1),
                          kernel_constraint=keras.constraints.NonNeg(), name="reg")
    layer(np.ones((1, 4, 4, 1), np.float32))
    np.testing.assert_allclose(float(layer.losses[0]),
                               0.1 * np.sum(layer.get_weights()[0] ** 2), rtol=1e-5)
    engine.random.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8, 8, 1)).astype(np.float32)
    y = (x[:, 2:6, 2:6, 0].mean(axis=(1, 2)) > 0).astype(np.int32)
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                              layers.SeparableConv2D(4, 3, padding="same"),
                              layers.Conv2DTranspose(2, 2, strides=2), layers.MaxPooling2D(),
                              layers.GlobalAveragePooling2D(), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Conv2D(0, 3), "filters"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), "kernel_size"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), "causal"),
    (lambda: layers.Conv2D(4, 3, padding="full"), "padding"),
    (lambda: layers.Conv2D(6, 3, groups=4), "groups"),
    (lambda: layers.Conv2D(4, 3, data_format="NHWC"), "data_format"),
    (lambda: layers.Conv2D(4, 3, strides=0), "strides"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
    (lambda: layers.Conv2DTranspose(4, 3, groups=2), "groups"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: layers.SeparableConv2D(4, 3, groups=2), "groups"),
])
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer():
    with pytest.raises(ShapeError, match=r"my_conv \(Conv2D\).*rank 4"):
        layers.Conv2D(2, 3, name="my_conv")(np.zeros((4, 5, 5), np.float32))
    layer = layers.Conv2D(2, 3, name="built")
    layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ShapeError, match="built"):
        layer(np.zeros((1, 5, 5, 4), np.float32))
    with pytest.raises(ValueError, match="groups=2 and an input with 3 channels"):
        layers.Conv2D(2, 3, groups=2)(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ShapeError, match="larger than the padded input"):
        layers.Conv2D(2, 5)(np.zeros((1, 3, 3, 1), np.float32))
    with pytest.raises(ShapeError, match=r"\(Conv2DTranspose\).*rank 4"):
        layers.Conv2DTranspose(2, 3)(np.zeros((1, 2, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="channel axis"):
        spec = engine.TensorSpec([None, 5, 5, None], engine.float32)
        engine.function(lambda t: layers.Conv2D(2, 3)(t), input_signature=[spec])(
            np.zeros((1, 5, 5, 3), np.float32))


def test_layers_run_on_the_device_of_their_scope(gpu):
    from tests.fake_gpu import FakeGPUArray

    x = np.random.default_rng(10).normal(size=(2, 6, 6, 3)).astype(np.float32)
    stack = [layers.Conv2D(4, 3, padding="same", groups=1), layers.DepthwiseConv2D(3),
             layers.Conv2DTranspose(2, 3, strides=2),
             layers.UpSampling2D(interpolation="bilinear"), layers.AveragePooling2D()]
    want = x
    for layer in stack:
        want = layer(want)
    with engine.device("/GPU:0"):
        got = engine.constant(x)
        for layer in stack:
            got = layer(got)
            assert isinstance(got._value, FakeGPUArray), type(layer).__name__
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_default_data_format_follows_the_backend():
    backend = keras.backend
    backend.set_image_data_format("channels_first")
    try:
        layer = layers.Conv2D(4, 3)
        pool = layers.MaxPooling2D()
    finally:
        backend.set_image_data_format("channels_last")
    assert layer.data_format == pool.data_format == "channels_first"
    assert layer(np.ones((1, 2, 5, 6), np.float32)).shape == (1, 4, 3, 4)
    assert layers.Conv1D(4, 3).data_format == "channels_last"  # Keras' Conv1D default
    # Unknown spatial sizes are fine (tests/keras/test_unknown_spatial_dims.py).
    assert layers.Conv2DTranspose(2, 3)(keras.Input(shape=(None, None, 3))).shape[-1] == 2
