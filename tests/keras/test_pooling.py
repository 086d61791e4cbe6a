"""Pooling layers against direct NumPy loops; masks, gradients, tracing, configs, errors."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


def window_bounds(size, k, s, padding):
    """`[(start, stop)]` of each window along one axis, clipped to the input (TF's SAME)."""
    before = 0
    if padding == "same":
        out = -(-size // s)
        before = max((out - 1) * s + k - size, 0) // 2
    else:
        out = (size - k) // s + 1
    return [(max(i * s - before, 0), min(i * s - before + k, size)) for i in range(out)]


def pool_ref(x, reduce, pool, strides, padding):
    """NHWC pooling: `reduce` over each window's valid (unpadded) entries."""
    rows = window_bounds(x.shape[1], pool[0], strides[0], padding)
    cols = window_bounds(x.shape[2], pool[1], strides[1], padding)
    out = np.zeros((x.shape[0], len(rows), len(cols), x.shape[3]))
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            out[:, i, j] = reduce(x[:, r0:r1, c0:c1], axis=(1, 2))
    return out


def check_traced_and_functional(layer, x, **kwargs):
    """engine.function and a functional Model compute what the eager layer does."""
    eager = layer(x, **kwargs).numpy()
    traced = engine.function(lambda t: layer(t, **kwargs))(x).numpy()
    np.testing.assert_allclose(traced, eager, rtol=1e-6, atol=1e-7)
    inputs = keras.Input(shape=x.shape[1:], dtype=x.dtype.name)
    outputs = layer(inputs)
    assert outputs.shape.as_list() == [None, *eager.shape[1:]]
    np.testing.assert_allclose(keras.Model(inputs, outputs)(x).numpy(), layer(x).numpy(),
                               rtol=1e-6, atol=1e-7)


REDUCERS = {"max": np.max, "avg": np.mean}
CLASSES = {("max", 1): layers.MaxPooling1D, ("max", 2): layers.MaxPooling2D,
           ("avg", 1): layers.AveragePooling1D, ("avg", 2): layers.AveragePooling2D}


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(pool_size=3, strides=2, padding="same"),
    dict(pool_size=(3, 2), strides=(1, 2)),
    dict(pool_size=2, strides=1, padding="same", data_format="channels_first"),
])
def test_pool2d_matches_direct_loops(kind, kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 3))
    layer = CLASSES[kind, 2](dtype="float64", **kwargs)
    got = layer(np.moveaxis(x, -1, 1) if first else x).numpy()
    expected = pool_ref(x, REDUCERS[kind], layer.pool_size, layer.strides, layer.padding)
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if first else got, expected,
                               rtol=1e-12)
    assert layer.strides == (layer.pool_size if "strides" not in kwargs else layer.strides)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(pool_size=3, strides=2, padding="same"),
    dict(pool_size=2, strides=1, data_format="channels_first"),
])
def test_pool1d_matches_direct_loops(kind, kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = np.random.default_rng(1).normal(size=(2, 9, 3))
    layer = CLASSES[kind, 1](dtype="float64", **kwargs)
    got = layer(np.moveaxis(x, -1, 1) if first else x).numpy()
    expected = pool_ref(x[:, None], REDUCERS[kind], (1,) + layer.pool_size,
                        (1,) + layer.strides, layer.padding)[:, 0]
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if first else got, expected,
                               rtol=1e-12)


@pytest.mark.parametrize("cls, axes", [
    (layers.GlobalMaxPooling1D, (1,)), (layers.GlobalAveragePooling1D, (1,)),
    (layers.GlobalMaxPooling2D, (1, 2)), (layers.GlobalAveragePooling2D, (1, 2)),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(cls, axes, data_format, keepdims):
    rank = len(axes) + 2
    x = np.random.default_rng(2).normal(size=(2, 5, 4, 3)[:rank])
    reduce = np.max if "Max" in cls.__name__ else np.mean
    if data_format == "channels_first":
        axes = tuple(a + 1 for a in axes)
    layer = cls(data_format=data_format, keepdims=keepdims, dtype="float64")
    np.testing.assert_allclose(layer(x).numpy(), reduce(x, axis=axes, keepdims=keepdims),
                               rtol=1e-12)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_average_pooling1d_averages_the_kept_steps(data_format):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 5, 2))
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], bool)
    expected = np.stack([x[b, mask[b]].mean(axis=0) for b in range(3)])
    first = data_format == "channels_first"
    x_in = np.moveaxis(x, -1, 1) if first else x
    layer = layers.GlobalAveragePooling1D(data_format=data_format, dtype="float64")
    got = layer(x_in, mask=engine.constant(mask))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    assert getattr(got, "_keras_mask", None) is None
    check_traced_and_functional(layer, x_in, mask=engine.constant(mask))
    # The mask of the inputs (e.g. from a masking layer) is used without being passed.
    t = engine.constant(x_in)
    t._keras_mask = engine.constant(mask)
    np.testing.assert_allclose(layer(t).numpy(), expected, rtol=1e-12)
    xv = engine.Variable(x_in)
    check_layer_gradients(lambda: layer(xv, mask=engine.constant(mask)), [xv])


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.MaxPooling2D(3, strides=2, padding="same", dtype="float64"), (2, 5, 6, 2)),
    (lambda: layers.AveragePooling2D(2, strides=1, padding="same", dtype="float64"),
     (2, 5, 4, 2)),
    (lambda: layers.MaxPooling1D(2, dtype="float64"), (2, 6, 3)),
    (lambda: layers.AveragePooling1D(3, strides=2, padding="same", dtype="float64"),
     (2, 7, 3)),
    (lambda: layers.GlobalMaxPooling2D(dtype="float64"), (2, 3, 4, 2)),
    (lambda: layers.GlobalAveragePooling2D(dtype="float64"), (2, 3, 4, 2)),
])
def test_gradients_traced_functional_and_config(make, shape):
    layer = make()
    # Distinct values: max pooling's gradient is defined where the maximum is unique.
    x = np.random.default_rng(4).permutation(np.prod(shape)).reshape(shape) / 7.0
    xv = engine.Variable(x)
    check_layer_gradients(lambda: layer(xv), [xv])
    check_traced_and_functional(layer, x.astype(np.float64))
    check_config_round_trip(layer, x)


def test_aliases_and_configs_are_keras():
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.GlobalAvgPool1D is layers.GlobalAveragePooling1D
    config = layers.MaxPooling2D(strides=1, name="p").get_config()
    assert {k: config[k] for k in ("pool_size", "strides", "padding", "data_format")} == {
        "pool_size": (2, 2), "strides": (1, 1), "padding": "valid",
        "data_format": "channels_last"}
    layer = layers.deserialize({"class_name": "GlobalAvgPool2D", "config": {"keepdims": True}})
    assert isinstance(layer, layers.GlobalAveragePooling2D) and layer.keepdims


def test_errors_name_the_layer_and_argument():
    with pytest.raises(ShapeError, match=r"'pool' \(MaxPooling2D\).*rank 4"):
        layers.MaxPooling2D(name="pool")(np.zeros((2, 4, 4), np.float32))
    with pytest.raises(ShapeError, match=r"GlobalAveragePooling1D.*rank 3"):
        layers.GlobalAveragePooling1D()(np.zeros((2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="pool_size"):
        layers.AveragePooling2D(pool_size=(2, 2, 2))
    with pytest.raises(ValueError, match="padding"):
        layers.MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match="data_format"):
        layers.GlobalMaxPooling2D(data_format="NCHW")
    with pytest.raises(ShapeError, match="larger than the padded input"):
        layers.MaxPooling2D(4)(np.zeros((1, 3, 3, 1), np.float32))
