"""The 3-D Keras layers against direct NumPy loops; gradients, tracing, configs, fit, errors.

Conv3D, Conv3DTranspose, MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D,
GlobalAveragePooling3D, UpSampling3D, ZeroPadding3D and Cropping3D.
"""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from engine.keras.layers.conv_arguments import deconv_output_length
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients
from tests.ops.test_conv3d import ref_conv3d, ref_conv3d_transpose
from tests.ops.test_pool3d import ref_pool3d

keras = engine.keras
layers = engine.keras.layers
RNG = np.random.default_rng(7)


def to_first(a):
    return np.transpose(a, (0, 4, 1, 2, 3))


def to_last(a):
    return np.transpose(a, (0, 2, 3, 4, 1))


def randomize(layer, x):
    """Builds `layer` on `x` and gives every weight random values; returns them."""
    layer(x)
    weights = [RNG.normal(size=w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def check_traced_and_functional(layer, x):
    """engine.function and a functional Model compute what the eager layer does."""
    eager = layer(x).numpy()
    traced = engine.function(lambda t: layer(t))(x).numpy()
    np.testing.assert_allclose(traced, eager, rtol=1e-5, atol=1e-6)
    inputs = keras.Input(shape=x.shape[1:], dtype=x.dtype.name)
    outputs = layer(inputs)
    assert outputs.shape.as_list() == [None, *eager.shape[1:]]
    np.testing.assert_allclose(keras.Model(inputs, outputs)(x).numpy(), eager, rtol=1e-5,
                               atol=1e-6)


# --- Conv3D -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3),
    dict(kernel_size=(2, 3, 2), strides=(2, 1, 2), padding="same", activation="relu"),
    dict(kernel_size=2, dilation_rate=(2, 1, 2), use_bias=False),
    dict(kernel_size=3, strides=2, padding="same", data_format="channels_first"),
    dict(kernel_size=(1, 2, 2), groups=2),
])
def test_conv3d_matches_direct_loops(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = RNG.normal(size=(2, 5, 6, 4, 4))
    layer = layers.Conv3D(4, dtype="float64", **kwargs)
    weights = randomize(layer, to_first(x) if first else x)
    kernel, groups = weights[0], layer.groups
    channels = x.shape[-1] // groups
    parts = [ref_conv3d(x[..., g * channels:(g + 1) * channels],
                        kernel[..., g * 2:(g + 1) * 2] if groups > 1 else kernel,
                        layer.strides, layer.padding.upper(), layer.dilation_rate)
             for g in range(groups)]
    expected = np.concatenate(parts, axis=-1) + (weights[1] if layer.use_bias else 0)
    if kwargs.get("activation") == "relu":
        expected = np.maximum(expected, 0)
    got = layer(to_first(x) if first else x).numpy()
    np.testing.assert_allclose(to_last(got) if first else got, expected, rtol=1e-10)


def test_conv3d_weights_and_gradients():
    layer = layers.Conv3D(3, (2, 3, 2), strides=(1, 2, 1), padding="same", name="c",
                          dtype="float64")
    x = RNG.normal(size=(2, 4, 5, 3, 2))
    randomize(layer, x)
    assert [(w.name, w.shape.as_list()) for w in layer.weights] == [
        ("c/kernel:0", [2, 3, 2, 2, 3]), ("c/bias:0", [3])]
    xv = engine.Variable(x)
    check_layer_gradients(lambda: layer(xv), [xv, layer.kernel, layer.bias])


# --- Conv3DTranspose --------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=(2, 3, 2), strides=(2, 1, 3)),
    dict(kernel_size=3, strides=2, output_padding=(1, 0, 1)),
    dict(kernel_size=2, dilation_rate=2, padding="same"),
    dict(kernel_size=3, strides=2, padding="same", data_format="channels_first"),
])
def test_conv3d_transpose_matches_the_reference(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = RNG.normal(size=(2, 3, 2, 3, 4))
    layer = layers.Conv3DTranspose(2, dtype="float64", **kwargs)
    kernel, bias = randomize(layer, to_first(x) if first else x)
    assert kernel.shape == (*layer.kernel_size, 2, 4)  # (kd, kh, kw, filters, in_channels)
    pads = layer.output_padding or (None,) * 3
    out = [deconv_output_length(n, k, layer.padding, p, s, d) for n, k, p, s, d in zip(
        x.shape[1:4], layer.kernel_size, pads, layer.strides, layer.dilation_rate)]
    expected = ref_conv3d_transpose(x, kernel, (2, *out, 2), layer.strides,
                                    layer.padding.upper(), layer.dilation_rate) + bias
    got = layer(to_first(x) if first else x).numpy()
    np.testing.assert_allclose(to_last(got) if first else got, expected, rtol=1e-10)


def test_conv3d_transpose_gradients():
    layer = layers.Conv3DTranspose(2, 2, strides=2, dtype="float64")
    x = RNG.normal(size=(1, 2, 3, 2, 3))
    randomize(layer, x)
    xv = engine.Variable(x)
    check_layer_gradients(lambda: layer(xv), [xv, layer.kernel, layer.bias])


# --- pooling ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(pool_size=3, strides=2, padding="same"),
    dict(pool_size=(2, 3, 1), strides=(1, 2, 2)),
    dict(pool_size=2, strides=1, padding="same", data_format="channels_first"),
])
def test_pool3d_layers_match_direct_loops(kind, kwargs):
    first = kwargs.get("data_format") == "channels_first"
    cls = layers.MaxPooling3D if kind == "max" else layers.AveragePooling3D
    layer = cls(**kwargs)
    x = RNG.normal(size=(2, 5, 4, 6, 3)).astype(np.float32)
    got = layer(to_first(x) if first else x).numpy()
    expected = ref_pool3d(x.astype(np.float64), layer.pool_size, layer.strides,
                          layer.padding.upper(), kind)
    np.testing.assert_allclose(to_last(got) if first else got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, reduce", [(layers.GlobalMaxPooling3D, np.max),
                                         (layers.GlobalAveragePooling3D, np.mean)])
def test_global_pooling_3d(cls, reduce):
    x = RNG.normal(size=(2, 3, 4, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(cls()(x).numpy(), reduce(x, axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(cls(data_format="channels_first")(x).numpy(),
                               reduce(x, axis=(2, 3, 4)), rtol=1e-5)
    assert cls(keepdims=True)(x).shape == [2, 1, 1, 1, 6]


def test_pooling_gradients():
    x = engine.Variable(RNG.permutation(120).reshape(1, 4, 5, 3, 2) * 0.1)
    f64 = {"dtype": "float64"}
    for layer in (layers.MaxPooling3D(2, padding="same", **f64),
                  layers.AveragePooling3D(2, 1, **f64), layers.GlobalMaxPooling3D(**f64),
                  layers.GlobalAveragePooling3D(**f64)):
        check_layer_gradients(lambda layer=layer: layer(x), [x])


# --- reshaping --------------------------------------------------------------------------------
def test_upsampling_padding_cropping_3d():
    x = RNG.normal(size=(2, 2, 3, 2, 3)).astype(np.float32)
    up = layers.UpSampling3D((2, 1, 3))(x).numpy()
    np.testing.assert_array_equal(up, np.repeat(np.repeat(x, 2, axis=1), 3, axis=3))
    up_first = layers.UpSampling3D(2, data_format="channels_first")(to_first(x)).numpy()
    np.testing.assert_array_equal(to_last(up_first), x.repeat(2, 1).repeat(2, 2).repeat(2, 3))
    pads = ((1, 0), (0, 2), (1, 1))
    np.testing.assert_array_equal(layers.ZeroPadding3D(pads)(x).numpy(),
                                  np.pad(x, [(0, 0), *pads, (0, 0)]))
    padded_first = layers.ZeroPadding3D(1, data_format="channels_first")(to_first(x)).numpy()
    np.testing.assert_array_equal(to_last(padded_first), np.pad(x, [(0, 0), *[(1, 1)] * 3,
                                                                     (0, 0)]))
    big = RNG.normal(size=(2, 4, 5, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(layers.Cropping3D(((1, 0), (1, 2), (0, 3)))(big).numpy(),
                                  big[:, 1:, 1:3, :3])
    np.testing.assert_array_equal(layers.Cropping3D()(big).numpy(), big[:, 1:3, 1:4, 1:5])
    cropped_first = layers.Cropping3D((1, 2, 1), data_format="channels_first")(to_first(big))
    np.testing.assert_array_equal(to_last(cropped_first.numpy()), big[:, 1:3, 2:3, 1:5])


# --- tracing, configs, training -------------------------------------------------------------
ALL_LAYERS = [
    (lambda: layers.Conv3D(3, 2, strides=(1, 2, 1), padding="same", activation="relu"),
     (2, 3, 4, 4, 2)),
    (lambda: layers.Conv3D(4, 2, groups=2, data_format="channels_first"), (2, 2, 3, 4, 3)),
    (lambda: layers.Conv3DTranspose(2, 3, strides=2, padding="same"), (2, 2, 3, 2, 3)),
    (lambda: layers.Conv3DTranspose(2, 2, strides=2, output_padding=1,
                                    data_format="channels_first"), (2, 3, 2, 2, 2)),
    (lambda: layers.MaxPooling3D(2, padding="same"), (2, 3, 4, 5, 2)),
    (lambda: layers.AveragePooling3D((1, 2, 2), data_format="channels_first"),
     (2, 2, 3, 4, 4)),
    (lambda: layers.GlobalMaxPooling3D(keepdims=True), (2, 3, 4, 2, 2)),
    (lambda: layers.GlobalAveragePooling3D(data_format="channels_first"), (2, 3, 4, 2, 2)),
    (lambda: layers.UpSampling3D((1, 2, 2)), (2, 2, 2, 3, 2)),
    (lambda: layers.ZeroPadding3D(((0, 1), (2, 0), (1, 1))), (2, 2, 2, 3, 2)),
    (lambda: layers.Cropping3D(((0, 1), (1, 0), (1, 1)), data_format="channels_first"),
     (2, 2, 3, 3, 4)),
]


@pytest.mark.parametrize("make, shape", ALL_LAYERS)
def test_traced_functional_and_config_round_trip(make, shape):
    layer = make()
    x = RNG.normal(size=shape).astype(np.float32)
    if layer.weights or hasattr(layer, "kernel_size"):
        randomize(layer, x)
    check_traced_and_functional(layer, x)
    clone = check_config_round_trip(layer, x)
    assert type(clone) is getattr(layers, type(layer).__name__)  # exported by name


def test_config_keys_follow_keras():
    assert set(layers.Conv3D(2, 3).get_config()) >= {
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
        "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer"}
    config = layers.Conv3DTranspose(2, 3, strides=2, output_padding=1).get_config()
    assert config["output_padding"] == (1, 1, 1)
    assert layers.MaxPooling3D().get_config()["pool_size"] == (2, 2, 2)
    assert layers.ZeroPadding3D(2).get_config()["padding"] == ((2, 2),) * 3
    assert layers.Cropping3D((1, 2, 3)).get_config()["cropping"] == ((1, 1), (2, 2), (3, 3))
    assert layers.UpSampling3D(3).get_config()["size"] == (3, 3, 3)
    assert layers.MaxPool3D is layers.MaxPooling3D and layers.AvgPool3D is layers.AveragePooling3D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D


def test_a_small_3d_model_learns():
    engine.random.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4, 4, 4, 1)).astype(np.float32)
    y = (x[:, 1:3, 1:3, 1:3, 0].mean(axis=(1, 2, 3)) > 0).astype(np.int32)
    model = keras.Sequential([
        keras.Input(shape=(4, 4, 4, 1)), layers.Conv3D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling3D(), layers.Conv3DTranspose(2, 2, strides=2), layers.ZeroPadding3D(1),
        layers.Cropping3D(1), layers.UpSampling3D(1), layers.AveragePooling3D(2),
        layers.GlobalAveragePooling3D(), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.02),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# --- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: layers.Conv3D(4, (3, 3)), r"Conv3D: got kernel_size=\(3, 3\); expected an int or "
                                       "a tuple of 3 ints"),
    (lambda: layers.Conv3D(4, 3, padding="causal"), "causal"),
    (lambda: layers.Conv3D(4, 3, strides=(1, 0, 1)), "strides"),
    (lambda: layers.Conv3D(6, 3, groups=4), "groups"),
    (lambda: layers.Conv3DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
    (lambda: layers.MaxPooling3D((2, 2)), "pool_size"),
    (lambda: layers.AveragePooling3D(2, padding="full"), "padding"),
    (lambda: layers.UpSampling3D((2, 2)), "size"),
    (lambda: layers.ZeroPadding3D(-1), "padding"),
    (lambda: layers.Cropping3D(((1, 1), (1, 1))), "cropping"),
    (lambda: layers.GlobalMaxPooling3D(data_format="NDHWC"), "data_format"),
])
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer():
    with pytest.raises(ShapeError, match=r"my_conv \(Conv3D\): got an input of shape .*rank 4"
                                         r".*expected rank 5 or more, \(batch, depth, height, "
                                         r"width, channels\)"):
        layers.Conv3D(2, 3, name="my_conv")(np.zeros((4, 5, 5, 5), np.float32))
    with pytest.raises(ShapeError, match=r"\(Conv3DTranspose\).*rank 6.*expected rank 5"):
        layers.Conv3DTranspose(2, 3)(np.zeros((1, 2, 5, 5, 5, 3), np.float32))
    with pytest.raises(ShapeError, match="larger than the padded input"):
        layers.Conv3D(2, 3)(np.zeros((1, 2, 3, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"\(MaxPooling3D\): expected rank 5, got shape"):
        layers.MaxPooling3D()(np.zeros((1, 4, 4, 1), np.float32))
    with pytest.raises(ShapeError, match=r"cropping \(2, 2\) removes all 4 entries"):
        layers.Cropping3D(((0, 0), (2, 2), (0, 0)))(np.zeros((1, 4, 4, 4, 1), np.float32))
