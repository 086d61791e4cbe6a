"""Merging layers: elementwise merges, Concatenate and Dot, with masks and shape errors."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers

ELEMENTWISE = [
    (layers.Add, layers.add, lambda xs: sum(xs)),
    (layers.Subtract, layers.subtract, lambda xs: xs[0] - xs[1]),
    (layers.Multiply, layers.multiply, lambda xs: np.prod(np.stack(xs), 0)),
    (layers.Average, layers.average, lambda xs: np.mean(np.stack(xs), 0)),
    (layers.Maximum, layers.maximum, lambda xs: np.max(np.stack(xs), 0)),
    (layers.Minimum, layers.minimum, lambda xs: np.min(np.stack(xs), 0)),
]


@pytest.mark.parametrize("cls,fn,ref", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
def test_elementwise_merges_match_numpy_in_every_mode(rng, cls, fn, ref):
    count = 2 if cls is layers.Subtract else 3
    xs = [rng.normal(size=(4, 3)) for _ in range(count)]
    expected = ref(xs)
    layer = cls(dtype="float64")
    np.testing.assert_allclose(layer(xs).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(fn([engine.constant(x) for x in xs], dtype="float64").numpy(),
                               expected,
                               rtol=1e-12)
    traced = engine.function(lambda *ts: layer(list(ts)))
    np.testing.assert_allclose(traced(*[engine.constant(x) for x in xs]).numpy(), expected,
                               rtol=1e-12)
    inputs = [keras.Input(shape=(3,), dtype="float64") for _ in xs]
    model = keras.Model(inputs, fn(inputs, dtype="float64"))
    np.testing.assert_allclose(model(xs).numpy(), expected, rtol=1e-12)
    variables = [engine.Variable(x + 0.01 * k) for k, x in enumerate(xs)]  # no ties
    check_layer_gradients(lambda: layer(variables), variables)
    check_config_round_trip(layer, xs)


def test_lower_rank_inputs_broadcast_after_the_batch_axis(rng):
    seq, vec = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 3))
    out = layers.Add(dtype="float64")([seq, vec])
    np.testing.assert_allclose(out.numpy(), seq + vec[:, None, :], rtol=1e-12)
    scale = rng.normal(size=(2, 5, 1))
    out = layers.Multiply(dtype="float64")([seq, scale])
    np.testing.assert_allclose(out.numpy(), seq * scale, rtol=1e-12)


def test_elementwise_shape_errors_name_the_layer():
    a, b = np.ones((2, 3), np.float32), np.ones((2, 4), np.float32)
    with pytest.raises(ShapeError, match=r"my_add \(Add\).*\(2, 3\), \(2, 4\)"):
        layers.Add(name="my_add")([a, b])
    with pytest.raises(ShapeError, match="different batch sizes"):
        layers.Add()([np.ones((2, 3), np.float32), np.ones((5, 3), np.float32)])
    with pytest.raises(ValueError, match=r"sub \(Subtract\): expected exactly 2 inputs"):
        layers.Subtract(name="sub")([a, a, a])
    with pytest.raises(ValueError, match="call the layer on a list"):
        layers.Add()(a)
    built = layers.Maximum(name="built_max")
    built([a, a])
    with pytest.raises(ShapeError, match="built_max"):
        built([a, b])
    x = keras.Input(shape=(3,))
    with pytest.raises(ShapeError, match="incompatible shapes"):
        layers.add([x, keras.Input(shape=(4,))])


def test_merge_masks_are_combined_with_logical_and():
    a = np.array([[[1.0], [0.0], [2.0]]], np.float32)
    b = np.array([[[3.0], [4.0], [0.0]]], np.float32)
    out = layers.Add()([layers.Masking()(a), layers.Masking()(b)])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, False]])
    out = layers.Add()([layers.Masking()(a), engine.constant(b)])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    assert getattr(layers.Add()([a, b]), "_keras_mask", None) is None


def test_concatenate_matches_numpy_and_checks_shapes(rng):
    xs = [rng.normal(size=(2, 3, k)) for k in (1, 2, 4)]
    for axis in (-1, 2):
        layer = layers.Concatenate(axis=axis, dtype="float64")
        np.testing.assert_allclose(layer(xs).numpy(), np.concatenate(xs, axis), rtol=0)
    ys = [rng.normal(size=(2, k, 3)) for k in (1, 4)]
    np.testing.assert_allclose(layers.concatenate(ys, axis=1, dtype="float64").numpy(),
                               np.concatenate(ys, 1), rtol=0)
    inputs = [keras.Input(shape=(3, k)) for k in (1, 2, 4)]
    model = keras.Model(inputs, layers.concatenate(inputs))
    np.testing.assert_allclose(model([x.astype(np.float32) for x in xs]).numpy(),
                               np.concatenate(xs, -1), rtol=1e-6)
    variables = [engine.Variable(x) for x in xs]
    layer = layers.Concatenate(dtype="float64")
    check_layer_gradients(lambda: layer(variables), variables)
    check_config_round_trip(layers.Concatenate(axis=1), ys)
    with pytest.raises(ShapeError, match=r"cat \(Concatenate\).*axis 1 differs"):
        layers.Concatenate(name="cat")([np.ones((2, 3, 1)), np.ones((2, 4, 1))])
    with pytest.raises(ShapeError, match="same rank"):
        layers.Concatenate()([np.ones((2, 3)), np.ones((2, 3, 1))])


def test_concatenate_masks():
    a = np.array([[[1.0], [0.0], [2.0]]], np.float32)
    b = np.array([[[3.0], [4.0], [0.0]]], np.float32)
    masked_a, masked_b = layers.Masking()(a), layers.Masking()(b)
    # Along the features: a step is kept only where every input keeps it.
    out = layers.Concatenate()([masked_a, engine.constant(b)])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    # Along the time steps: the masks are joined (an unmasked input counts as all True).
    out = layers.Concatenate(axis=1)([masked_a, engine.constant(b)])
    np.testing.assert_array_equal(out._keras_mask.numpy(),
                                  [[True, False, True, True, True, True]])
    out = layers.Concatenate(axis=1)([masked_a, masked_b])
    np.testing.assert_array_equal(out._keras_mask.numpy(),
                                  [[True, False, True, True, True, False]])
    inp = keras.Input(shape=(3, 1))
    model = keras.Model(inp, layers.Concatenate(axis=1)([layers.Masking()(inp), inp]))
    np.testing.assert_array_equal(model(a)._keras_mask.numpy(),
                                  [[True, False, True, True, True, True]])


@pytest.mark.parametrize("shapes,axes,equation", [
    (((4, 3), (4, 3)), 1, "bi,bi->b"),
    (((4, 5, 3), (4, 3)), (2, 1), "bti,bi->bt"),
    (((4, 5, 3), (4, 6, 3)), (2, 2), "bti,bsi->bts"),
    (((4, 5, 3), (4, 5, 2)), (1, 1), "bti,btj->bij"),
    (((4, 5, 3), (4, 6, 3)), -1, "bti,bsi->bts"),
])
def test_dot_matches_numpy_batch_dot(rng, shapes, axes, equation):
    x1, x2 = (rng.normal(size=s) for s in shapes)
    expected = np.einsum(equation, x1, x2)
    if expected.ndim == 1:
        expected = expected[:, None]
    layer = layers.Dot(axes=axes, dtype="float64")
    np.testing.assert_allclose(layer([x1, x2]).numpy(), expected, rtol=1e-12)
    traced = engine.function(lambda a, b: layer([a, b]))
    np.testing.assert_allclose(traced(engine.constant(x1), engine.constant(x2)).numpy(),
                               expected, rtol=1e-12)
    variables = [engine.Variable(x1), engine.Variable(x2)]
    check_layer_gradients(lambda: layer(variables), variables)


def test_dot_normalize_gives_cosine_similarity(rng):
    x1, x2 = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    cosine = np.sum(x1 * x2, 1) / np.linalg.norm(x1, axis=1) / np.linalg.norm(x2, axis=1)
    out = layers.dot([engine.constant(x1), engine.constant(x2)], axes=1, normalize=True,
                     dtype="float64")
    np.testing.assert_allclose(out.numpy(), cosine[:, None], rtol=1e-10)
    a, b = keras.Input(shape=(4,)), keras.Input(shape=(4,))
    model = keras.Model([a, b], layers.Dot(axes=-1, normalize=True)([a, b]))
    np.testing.assert_allclose(model([x1.astype(np.float32), x2.astype(np.float32)]).numpy(),
                               cosine[:, None], rtol=1e-5)
    check_config_round_trip(layers.Dot(axes=[1, 1], normalize=True), [x1, x2])


def test_dot_errors_name_the_layer():
    with pytest.raises(ShapeError, match=r"d \(Dot\).*size 3 at axis 1.*size 4"):
        layers.Dot(axes=1, name="d")([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="never the batch axis 0"):
        layers.Dot(axes=0)([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Dot(axes=1)([np.ones((2, 3))] * 3)
    with pytest.raises(TypeError, match="axes must be an int or a list/tuple of two ints"):
        layers.Dot(axes=[1, 2, 3])
