"""Padding, cropping, upsampling, Reshape, Permute and RepeatVector against NumPy."""

import math

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


def bilinear_ref(x, sh, sw):
    """TF 2's `tf.image.resize(..., "bilinear")` of NHWC `x`, pixel by pixel (half-pixel
    centers; a source coordinate's neighbours clamped to the image)."""
    n, h, w, c = x.shape

    def source(i, scale, size):
        pos = (i + 0.5) / scale - 0.5
        low = math.floor(pos)
        return max(low, 0), min(math.ceil(pos), size - 1), pos - low

    out = np.zeros((n, h * sh, w * sw, c))
    for i in range(h * sh):
        y0, y1, fy = source(i, sh, h)
        for j in range(w * sw):
            x0, x1, fx = source(j, sw, w)
            top = x[:, y0, x0] * (1 - fx) + x[:, y0, x1] * fx
            bottom = x[:, y1, x0] * (1 - fx) + x[:, y1, x1] * fx
            out[:, i, j] = top * (1 - fy) + bottom * fy
    return out


def channels_first(fn):
    """`fn` of NHWC arrays applied to NCHW ones."""
    return lambda x: np.moveaxis(fn(np.moveaxis(x, 1, -1)), -1, 1)


CASES = [  # (layer factory, input shape, NumPy reference)
    (lambda: layers.ZeroPadding1D(2), (2, 4, 3),
     lambda x: np.pad(x, ((0, 0), (2, 2), (0, 0)))),
    (lambda: layers.ZeroPadding1D((0, 3)), (2, 4, 3),
     lambda x: np.pad(x, ((0, 0), (0, 3), (0, 0)))),
    (lambda: layers.ZeroPadding2D(), (2, 3, 4, 2),
     lambda x: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))),
    (lambda: layers.ZeroPadding2D((1, 2)), (2, 3, 4, 2),
     lambda x: np.pad(x, ((0, 0), (1, 1), (2, 2), (0, 0)))),
    (lambda: layers.ZeroPadding2D(((1, 0), (0, 2)), data_format="channels_first"), (2, 2, 3, 4),
     lambda x: np.pad(x, ((0, 0), (0, 0), (1, 0), (0, 2)))),
    (lambda: layers.Cropping1D(), (2, 5, 3), lambda x: x[:, 1:-1]),
    (lambda: layers.Cropping1D((2, 0)), (2, 5, 3), lambda x: x[:, 2:]),
    (lambda: layers.Cropping2D(1), (2, 5, 6, 2), lambda x: x[:, 1:-1, 1:-1]),
    (lambda: layers.Cropping2D(((0, 2), (1, 0))), (2, 5, 6, 2), lambda x: x[:, :-2, 1:]),
    (lambda: layers.Cropping2D((1, 2), data_format="channels_first"), (2, 2, 5, 6),
     lambda x: x[:, :, 1:-1, 2:-2]),
    (lambda: layers.UpSampling1D(3), (2, 4, 3), lambda x: np.repeat(x, 3, axis=1)),
    (lambda: layers.UpSampling2D(), (2, 3, 4, 2),
     lambda x: np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)),
    (lambda: layers.UpSampling2D((1, 3), data_format="channels_first"), (2, 2, 3, 4),
     lambda x: np.repeat(x, 3, axis=3)),
    (lambda: layers.UpSampling2D((2, 3), interpolation="bilinear"), (2, 3, 4, 2),
     lambda x: bilinear_ref(x, 2, 3)),
    (lambda: layers.UpSampling2D(2, interpolation="bilinear", data_format="channels_first"),
     (2, 2, 3, 4), channels_first(lambda x: bilinear_ref(x, 2, 2))),
    (lambda: layers.Reshape((-1, 2)), (2, 3, 4), lambda x: x.reshape(2, 6, 2)),
    (lambda: layers.Reshape((4, 3)), (2, 3, 4), lambda x: x.reshape(2, 4, 3)),
    (lambda: layers.Reshape((2, -1, 3)), (2, 3, 4), lambda x: x.reshape(2, 2, 2, 3)),
    (lambda: layers.Permute((2, 1)), (2, 3, 4), lambda x: x.transpose(0, 2, 1)),
    (lambda: layers.Permute((3, 1, 2)), (2, 3, 4, 5), lambda x: x.transpose(0, 3, 1, 2)),
    (lambda: layers.RepeatVector(3), (2, 4), lambda x: np.repeat(x[:, None], 3, axis=1)),
]


@pytest.mark.parametrize("make, shape, ref", CASES)
def test_matches_numpy_in_every_mode(make, shape, ref):
    x = np.random.default_rng(0).normal(size=shape)
    layer = make()
    layer = type(layer).from_config({**layer.get_config(), "dtype": "float64"})
    expected = ref(x)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(engine.function(lambda t: layer(t))(x).numpy(), expected,
                               rtol=1e-12, atol=1e-14)
    # An unknown batch size, as in the functional API and input signatures.
    spec = engine.TensorSpec([None, *shape[1:]], engine.float64)
    traced = engine.function(lambda t: layer(t), input_signature=[spec])
    np.testing.assert_allclose(traced(x).numpy(), expected, rtol=1e-12, atol=1e-14)
    inputs = keras.Input(shape=shape[1:], dtype="float64")
    outputs = layer(inputs)
    assert outputs.shape.as_list() == [None, *expected.shape[1:]]
    model = keras.Model(inputs, outputs)  # computes in floatx(), float32
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-6, atol=1e-6)
    xv = engine.Variable(x)
    check_layer_gradients(lambda: layer(xv), [xv])
    check_config_round_trip(layer, x)


def test_bilinear_upsampling_keeps_the_mean_of_a_ramp_and_its_corners():
    x = engine.constant([[[[0.0], [4.0]]]])  # (1, 1, 2, 1)
    layer = layers.UpSampling2D((1, 2), interpolation="bilinear")
    np.testing.assert_allclose(layer(x).numpy().ravel(), [0.0, 1.0, 3.0, 4.0])


def test_configs_hold_normalized_arguments():
    assert layers.ZeroPadding2D(2).get_config()["padding"] == ((2, 2), (2, 2))
    assert layers.ZeroPadding1D(2).get_config()["padding"] == (2, 2)
    assert layers.Cropping1D(1).get_config()["cropping"] == (1, 1)
    assert layers.Cropping2D((1, 2)).get_config()["cropping"] == ((1, 1), (2, 2))
    assert layers.UpSampling2D(3).get_config()["size"] == (3, 3)
    assert layers.Reshape([2, -1]).get_config()["target_shape"] == (2, -1)
    assert layers.Permute([2, 1]).get_config()["dims"] == (2, 1)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.ZeroPadding2D(((1, 2, 3), (0, 0))), "padding"),
    (lambda: layers.ZeroPadding1D(-1), "padding"),
    (lambda: layers.Cropping2D((1, 2, 3)), "cropping"),
    (lambda: layers.UpSampling2D(interpolation="bicubic"), "interpolation"),
    (lambda: layers.UpSampling1D(0), "size"),
    (lambda: layers.Reshape((-1, -1)), "target_shape"),
    (lambda: layers.Reshape((0, 2)), "target_shape"),
    (lambda: layers.Permute((1, 3)), "permutation"),
    (lambda: layers.Permute((0, 1)), "permutation"),
    (lambda: layers.RepeatVector(0), "n=0"),
])
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer():
    with pytest.raises(ShapeError, match=r"crop \(Cropping2D\).*removes all 3"):
        layers.Cropping2D(((1, 2), (0, 0)), name="crop")(np.zeros((1, 3, 4, 1), np.float32))
    with pytest.raises(ShapeError, match=r"rs \(Reshape\).*not a multiple of 5"):
        layers.Reshape((-1, 5), name="rs")(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ShapeError, match=r"Reshape.*12 values.*\(5, 2\)"):
        layers.Reshape((5, 2))(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ShapeError, match=r"RepeatVector.*rank 2"):
        layers.RepeatVector(2)(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ShapeError, match=r"Permute.*rank 3"):
        layers.Permute((2, 1))(np.zeros((2, 3, 4, 5), np.float32))
