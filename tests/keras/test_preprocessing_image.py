"""The Keras 2 image preprocessing layers: exact deterministic results, forced random
outcomes, training vs inference, seeds, 3-D and 4-D inputs, traced functions, Dataset.map,
model.fit, configs and errors."""

import json

import numpy as np
import pytest

import engine
import engine.data

layers = engine.keras.layers

IMAGES = np.random.default_rng(7).uniform(0, 255, (3, 6, 8, 2)).astype(np.float32)


def _random_layers():
    return [layers.RandomCrop(4, 5, seed=1), layers.RandomFlip(seed=2),
            layers.RandomRotation(0.2, seed=3), layers.RandomZoom(0.3, 0.2, seed=4),
            layers.RandomTranslation(0.2, 0.3, seed=5), layers.RandomContrast(0.5, seed=6),
            layers.RandomBrightness(0.3, seed=7), layers.RandomHeight(0.4, seed=8),
            layers.RandomWidth(0.4, seed=9)]


def _clone(layer):
    config = json.loads(json.dumps(layers.serialize(layer)))
    clone = layers.deserialize(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    return clone


def _force(layer, value):
    """Makes every draw of `layer` return `value` (shape and dtype as asked)."""
    def uniform(shape, minval, maxval, dtype=engine.float32):
        return engine.fill(shape, engine.cast(value, dtype))

    layer._uniform = uniform
    return layer


# --- deterministic layers ------------------------------------------------------------------
@pytest.mark.parametrize("method", ["bilinear", "nearest", "bicubic", "area"])
def test_resizing_is_image_resize_in_the_layer_dtype(method):
    out = layers.Resizing(4, 3, interpolation=method)(IMAGES.astype(np.uint8))
    assert out.dtype == engine.float32 and out.shape == (3, 4, 3, 2)
    source = IMAGES.astype(np.uint8) if method == "nearest" else IMAGES.astype(np.uint8)
    expected = engine.image.resize(source, [4, 3], method=method).numpy().astype(np.float32)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_resizing_crop_to_aspect_ratio_crops_the_centre_first():
    out = layers.Resizing(3, 3, crop_to_aspect_ratio=True)(IMAGES)  # 6 x 8 -> centre 6 x 6
    expected = engine.image.resize(IMAGES[:, :, 1:7], [3, 3]).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    tall = layers.Resizing(4, 2, crop_to_aspect_ratio=True)(IMAGES[0])  # centre 6 x 3
    np.testing.assert_allclose(tall.numpy(), engine.image.resize(IMAGES[0, :, 2:5], [4, 2]),
                               rtol=1e-6)


def test_center_crop_slices_or_smart_resizes():
    out = layers.CenterCrop(3, 4)(IMAGES)
    np.testing.assert_array_equal(out.numpy(), IMAGES[:, 1:4, 2:6])
    assert layers.CenterCrop(3, 4)(IMAGES.astype(np.uint8)).dtype == engine.float32
    bigger = layers.CenterCrop(8, 4)(IMAGES)  # too tall: centre 6 x 3 window, resized
    np.testing.assert_allclose(bigger.numpy(), engine.image.resize(IMAGES[:, :, 2:5], [8, 4]),
                               rtol=1e-6)


# --- forced outcomes and zero-width ranges --------------------------------------------------
@pytest.mark.parametrize("mode, flipped", [
    ("horizontal", lambda x: x[:, :, ::-1]), ("vertical", lambda x: x[:, ::-1]),
    ("horizontal_and_vertical", lambda x: x[:, ::-1, ::-1])])
def test_random_flip_with_forced_draws(mode, flipped):
    np.testing.assert_array_equal(_force(layers.RandomFlip(mode), 0.9)(IMAGES).numpy(),
                                  flipped(IMAGES))
    np.testing.assert_array_equal(_force(layers.RandomFlip(mode), 0.1)(IMAGES).numpy(), IMAGES)


def test_random_flip_decides_per_image():
    outs = layers.RandomFlip("horizontal", seed=1)(np.repeat(IMAGES[:1], 16, axis=0)).numpy()
    kinds = {bool(np.array_equal(o, IMAGES[0])) for o in outs}
    assert kinds == {True, False}
    assert all(np.array_equal(o, IMAGES[0]) or np.array_equal(o, IMAGES[0, :, ::-1])
               for o in outs)


def test_rotation_by_fixed_angles():
    assert np.array_equal(layers.RandomRotation((0.0, 0.0))(IMAGES).numpy(), IMAGES)
    square = IMAGES[:, :6, :6]
    quarter = layers.RandomRotation((0.25, 0.25), interpolation="nearest")(square)
    np.testing.assert_array_equal(quarter.numpy(), np.rot90(square, axes=(1, 2)))
    half = layers.RandomRotation((-0.5, -0.5), interpolation="nearest")(IMAGES)
    np.testing.assert_array_equal(half.numpy(), IMAGES[:, ::-1, ::-1])


def test_zoom_and_translation_by_fixed_amounts():
    assert np.array_equal(layers.RandomZoom((0.0, 0.0))(IMAGES).numpy(), IMAGES)
    image = np.arange(25.0, dtype=np.float32).reshape(5, 5, 1)
    zoomed = layers.RandomZoom((1.0, 1.0), fill_mode="constant", fill_value=-1,
                               interpolation="nearest")(image)[..., 0].numpy()
    # zoom factor 2 about the centre (2, 2): output pixel p reads 2 * p - 2
    expected = np.full((5, 5), -1.0)
    expected[1:4, 1:4] = image[0:5:2, 0:5:2, 0]
    np.testing.assert_array_equal(zoomed, expected)
    only_width = layers.RandomZoom((0.0, 0.0), (1.0, 1.0), fill_mode="nearest",
                                   interpolation="nearest")(image)[..., 0].numpy()
    np.testing.assert_array_equal(only_width, image[:, [0, 0, 2, 4, 4], 0])
    moved = layers.RandomTranslation((0.4, 0.4), (-0.2, -0.2), fill_mode="constant")(image)
    expected = np.zeros((5, 5))
    expected[2:, :4] = image[:3, 1:, 0]  # down by 2 rows, left by 1 column
    np.testing.assert_array_equal(moved[..., 0].numpy(), expected)


def test_contrast_and_brightness_with_forced_factors():
    out = _force(layers.RandomContrast(0.5), 1.5)(IMAGES).numpy()
    mean = IMAGES.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, np.clip((IMAGES - mean) * 1.5 + mean, 0, 255), rtol=1e-5)
    images = IMAGES / 255.0
    out = layers.RandomBrightness((0.25, 0.25), value_range=(0, 1))(images).numpy()
    np.testing.assert_allclose(out, np.clip(images + 0.25, 0, 1), rtol=1e-6)
    out = layers.RandomBrightness(0.2, value_range=[0, 1000], seed=3)(IMAGES + 250).numpy()
    deltas = (out - IMAGES - 250).reshape(3, -1)  # one offset per image, no clipping here
    np.testing.assert_allclose(deltas, deltas[:, :1] * np.ones_like(deltas), atol=1e-3)
    assert len({round(float(d), 3) for d in deltas[:, 0]}) == 3
    assert np.all(np.abs(deltas) <= 200)


def test_random_height_and_width_with_fixed_factors():
    out = layers.RandomHeight((0.5, 0.5))(IMAGES)
    np.testing.assert_allclose(out.numpy(), engine.image.resize(IMAGES, [9, 8]), rtol=1e-6)
    out = layers.RandomWidth((-0.5, -0.5), interpolation="nearest")(IMAGES[0])
    np.testing.assert_array_equal(out.numpy(), engine.image.resize(IMAGES[0], [6, 4],
                                                                   method="nearest"))


def test_random_crop_takes_a_window_of_the_input():
    out = layers.RandomCrop(4, 5, seed=3)(IMAGES).numpy()
    windows = [(top, left) for top in range(3) for left in range(4)
               if np.array_equal(IMAGES[:, top:top + 4, left:left + 5], out)]
    assert len(windows) == 1  # the whole batch shares one window
    small = layers.RandomCrop(8, 8, seed=3)(IMAGES)  # too small: smart resize
    np.testing.assert_allclose(small.numpy(), engine.image.resize(IMAGES[:, :, 1:7], [8, 8]),
                               rtol=1e-6)


# --- training, inference, dtypes ------------------------------------------------------------
@pytest.mark.parametrize("index", range(9))
def test_inference_passes_images_through_and_training_changes_them(index):
    layer = _random_layers()[index]
    images = IMAGES.astype(np.uint8)
    out = layer(images, training=False)
    if isinstance(layer, layers.RandomCrop):  # inference smart-resizes: centre 6 x 7.5
        expected = layers.Resizing(4, 5, crop_to_aspect_ratio=True)(images)
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)
    elif isinstance(layer, (layers.RandomHeight, layers.RandomWidth)):
        assert out.dtype == engine.uint8  # Keras 2 returns them untouched
        np.testing.assert_array_equal(out.numpy(), images)
    else:
        assert out.dtype == engine.float32
        np.testing.assert_array_equal(out.numpy(), images.astype(np.float32))
    changed = layer(images)  # Keras 2: training defaults to True in a direct call
    assert changed.dtype == engine.float32
    assert changed.shape != images.shape or not np.array_equal(changed.numpy(), images)


@pytest.mark.parametrize("index", range(9))
def test_seeds_make_the_draws_repeatable(index):
    a, b = _random_layers()[index], _random_layers()[index]
    first = [a(IMAGES).numpy() for _ in range(3)]
    second = [b(IMAGES).numpy() for _ in range(3)]
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    assert any(x.shape != first[0].shape or not np.array_equal(x, first[0])
               for x in first[1:])  # a sequence, not one repeated draw


def test_unseeded_layers_follow_set_random_seed():
    engine.keras.utils.set_random_seed(11)
    a = layers.RandomRotation(0.3)(IMAGES)
    engine.keras.utils.set_random_seed(11)
    np.testing.assert_array_equal(layers.RandomRotation(0.3)(IMAGES).numpy(), a.numpy())


@pytest.mark.parametrize("index", range(9))
def test_unbatched_images_match_a_batch_of_one(index):
    a, b = _random_layers()[index], _random_layers()[index]
    one = a(IMAGES[0])
    assert one.shape.rank == 3
    np.testing.assert_allclose(one.numpy(), b(IMAGES[:1]).numpy()[0], rtol=1e-6)


@pytest.mark.parametrize("index", range(9))
def test_traced_calls_continue_the_eager_sequence(index):
    eager, traced = _random_layers()[index], _random_layers()[index]
    spec = engine.TensorSpec([None, None, None, 2], engine.float32)
    run = engine.function(lambda x: traced(x, training=True), input_signature=[spec])
    for _ in range(2):
        np.testing.assert_allclose(run(IMAGES).numpy(), eager(IMAGES).numpy(), rtol=1e-6)


@pytest.mark.parametrize("index", range(9))
def test_dataset_map_is_repeatable_with_a_seed(index):
    def run():
        layer = _random_layers()[index]
        data = engine.data.Dataset.from_tensor_slices(IMAGES)
        return [x.numpy() for x in data.map(lambda x: layer(x, training=True))]

    first, second = run(), run()
    assert [x.shape[2] for x in first] == [x.shape[2] for x in second]
    for x, y in zip(first, second):
        assert x.ndim == 3
        np.testing.assert_array_equal(x, y)


def test_model_fit_trains_with_augmentation_and_predict_skips_it():
    model = engine.keras.Sequential([
        engine.keras.Input((6, 8, 2)), layers.RandomFlip(seed=1),
        layers.RandomRotation(0.1, seed=2),
        layers.RandomZoom(0.1, seed=3), layers.RandomContrast(0.2, seed=4),
        layers.Rescaling(1 / 255), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(IMAGES, np.ones((3, 1)), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    plain = engine.keras.Sequential([layers.Rescaling(1 / 255), layers.Flatten(),
                                     model.layers[-1]])
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), plain(IMAGES).numpy(),
                               rtol=1e-5)


# --- configs and errors ---------------------------------------------------------------------
@pytest.mark.parametrize("index", range(9))
def test_random_layer_configs_round_trip(index):
    layer = _random_layers()[index]
    clone = _clone(layer)
    np.testing.assert_array_equal(clone(IMAGES).numpy(), layer(IMAGES).numpy())


def test_deterministic_layer_configs_round_trip():
    for layer in (layers.Resizing(3, 2, "nearest", crop_to_aspect_ratio=True),
                  layers.CenterCrop(2, 5)):
        np.testing.assert_array_equal(_clone(layer)(IMAGES).numpy(), layer(IMAGES).numpy())
    config = layers.RandomRotation((-0.1, 0.2), "constant", "nearest", 4, 1.5).get_config()
    assert {k: config[k] for k in ("factor", "fill_mode", "interpolation", "seed",
                                   "fill_value")} == {
        "factor": [-0.1, 0.2], "fill_mode": "constant", "interpolation": "nearest", "seed": 4,
        "fill_value": 1.5}


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Resizing(0, 3), r"Resizing: got height=0; expected a positive int"),
    (lambda: layers.Resizing(2, 3, "lanczos3"),
     r"Resizing: got interpolation='lanczos3', a Keras method that eagerlab does not"),
    (lambda: layers.CenterCrop(2, 2.5), r"CenterCrop: got width=2.5; expected a positive int"),
    (lambda: layers.RandomFlip("diagonal"),
     r"RandomFlip: got mode='diagonal'; expected one of 'horizontal', 'vertical'"),
    (lambda: layers.RandomRotation(0.2, fill_mode="mirror"),
     r"RandomRotation: got fill_mode='mirror'; expected one of 'reflect', 'wrap'"),
    (lambda: layers.RandomRotation(0.2, interpolation="bicubic"),
     r"RandomRotation: got interpolation='bicubic'; expected one of 'bilinear', 'nearest'"),
    (lambda: layers.RandomRotation((0.3, 0.1)),
     r"RandomRotation: got factor=\(0.3, 0.1\), whose upper bound 0.1 is below"),
    (lambda: layers.RandomRotation("big"), r"RandomRotation: got factor='big'; expected a "),
    (lambda: layers.RandomZoom(1.5), r"RandomZoom: got height_factor=1.5; expected values "
                                     r"in \[-1.0, 1.0\]"),
    (lambda: layers.RandomTranslation(0.1, (0.1, 0.2, 0.3)),
     r"RandomTranslation: got width_factor=\(0.1, 0.2, 0.3\); expected a number or a tuple"),
    (lambda: layers.RandomContrast(-0.1), r"RandomContrast: got factor=-0.1; expected values"),
    (lambda: layers.RandomBrightness(0.2, value_range=(0, 1, 2)),
     r"RandomBrightness: got value_range=\(0, 1, 2\); expected a list of two numbers"),
    (lambda: layers.RandomBrightness(2.0), r"RandomBrightness: got factor=2.0; expected"),
    (lambda: layers.RandomHeight(-1.5), r"RandomHeight: got factor=-1.5"),
    (lambda: layers.RandomWidth(0.2, seed="x"), r"RandomWidth: got seed='x'; expected an int"),
    (lambda: layers.RandomFlip()(np.zeros([4, 4])),
     r"RandomFlip: got images of shape \(4, 4\); expected rank 3"),
])
def test_errors_say_what_was_given_and_expected(make, message):
    with pytest.raises((ValueError, engine.errors.ShapeError), match=message):
        make()
