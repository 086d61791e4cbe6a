"""engine.image's stateless random augmentations, JPEG quality, YIQ/YUV and
draw_bounding_boxes: same seed same image, per-image vs per-batch draws, ranges, dtypes,
values pinned from TensorFlow 2.21, float64 numerical gradients and the errors."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError
from tests.opcheck import check_forward, check_grad

IM = engine.image
R = np.random.default_rng(5)
SEEDS = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]


# --- flips ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, axis", [(IM.stateless_random_flip_left_right, 2),
                                      (IM.stateless_random_flip_up_down, 1)])
def test_stateless_flips_are_repeatable_and_per_image(fn, axis):
    batch = R.random((16, 3, 4, 2)).astype(np.float32)
    flipped = np.flip(batch, axis)
    kinds = set()
    for seed in SEEDS[:3]:
        out = fn(batch, seed).numpy()
        np.testing.assert_array_equal(out, fn(batch, engine.constant(seed)).numpy())
        per_image = [np.array_equal(o, f) for o, f in zip(out, flipped)]
        for o, b, was_flipped in zip(out, batch, per_image):
            assert was_flipped or np.array_equal(o, b)
        kinds.add(sum(per_image))
    assert kinds - {0, 16}  # 16 images decide on their own, not all alike
    single = batch[0].astype(np.int32)
    outs = {fn(single, seed).numpy().tobytes() for seed in SEEDS}
    assert outs == {single.tobytes(), np.flip(single, axis - 1).tobytes()}
    assert fn(single, [1, 2]).dtype == engine.int32


# --- color ------------------------------------------------------------------------------------
def test_stateless_brightness_one_delta_for_the_batch_within_range():
    batch = R.random((4, 3, 3, 1)).astype(np.float32)
    deltas = []
    for seed in SEEDS:
        out = IM.stateless_random_brightness(batch, 0.2, seed).numpy()
        delta = out - batch
        np.testing.assert_allclose(delta, delta.flat[0], atol=1e-6)  # one delta for all
        deltas.append(float(delta.flat[0]))
        np.testing.assert_array_equal(out, IM.stateless_random_brightness(batch, 0.2, seed))
    assert all(-0.2 <= d < 0.2 for d in deltas) and len(set(deltas)) == len(SEEDS)
    ints = np.full((3, 3, 1), 100, np.uint8)
    assert IM.stateless_random_brightness(ints, 0.2, [1, 2]).dtype == engine.uint8


def test_stateless_contrast_saturation_hue_match_their_adjust_functions():
    rgb = R.random((2, 4, 4, 3)).astype(np.float32)
    for seed in SEEDS[:3]:
        factor = float(engine.random.stateless_uniform([], seed, 0.5, 1.5))
        delta = float(engine.random.stateless_uniform([], seed, -0.3, 0.3))
        assert 0.5 <= factor < 1.5 and -0.3 <= delta < 0.3
        cases = [(IM.stateless_random_contrast(rgb, 0.5, 1.5, seed),
                  IM.adjust_contrast(rgb, factor)),
                 (IM.stateless_random_saturation(rgb, 0.5, 1.5, seed),
                  IM.adjust_saturation(rgb, factor)),
                 (IM.stateless_random_hue(rgb, 0.3, seed), IM.adjust_hue(rgb, delta))]
        for got, want in cases:
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_stateless_color_functions_check_their_bounds():
    img = np.zeros((2, 2, 3), np.float32)
    with pytest.raises(ValueError, match="stateless_random_brightness: got max_delta=-1"):
        IM.stateless_random_brightness(img, -1, [1, 2])
    with pytest.raises(ValueError, match="stateless_random_contrast: got lower=0.9 and upper"):
        IM.stateless_random_contrast(img, 0.9, 0.5, [1, 2])
    with pytest.raises(ValueError, match="stateless_random_saturation: got lower=-1"):
        IM.stateless_random_saturation(img, -1, 0.5, [1, 2])
    with pytest.raises(ValueError, match="stateless_random_hue: got max_delta=0.7"):
        IM.stateless_random_hue(img, 0.7, [1, 2])


# --- crop -------------------------------------------------------------------------------------
def test_stateless_crop_is_a_repeatable_slice():
    value = np.arange(6 * 7 * 3).reshape(6, 7, 3)
    starts = set()
    for seed in SEEDS:
        out = IM.stateless_random_crop(value, [3, 4, 3], seed).numpy()
        np.testing.assert_array_equal(out, IM.stateless_random_crop(value, [3, 4, 3], seed))
        y, x = divmod(int(out[0, 0, 0]) // 3, 7)
        np.testing.assert_array_equal(out, value[y:y + 3, x:x + 4])
        starts.add((y, x))
    assert len(starts) > 1
    with pytest.raises(ShapeError, match="stateless_random_crop: got size \\[7, 4, 3\\]"):
        IM.stateless_random_crop(value, [7, 4, 3], [1, 2])
    with pytest.raises(ShapeError, match="one entry per dimension"):
        IM.stateless_random_crop(value, [3, 4], [1, 2])


def test_stateless_functions_trace_with_a_seed_tensor():
    batch = R.random((3, 4, 5, 3)).astype(np.float32)

    @engine.function(input_signature=[engine.TensorSpec([None, 4, 5, 3]),
                                      engine.TensorSpec([2], engine.int32)])
    def augment(x, seed):
        x = IM.stateless_random_flip_left_right(x, seed)
        return IM.stateless_random_brightness(x, 0.1, seed)

    for seed in SEEDS[:2]:
        eager = IM.stateless_random_brightness(
            IM.stateless_random_flip_left_right(batch, seed), 0.1, seed)
        np.testing.assert_allclose(augment(batch, np.array(seed, np.int32)).numpy(),
                                   eager.numpy(), rtol=1e-6)


# --- JPEG quality -----------------------------------------------------------------------------
def test_jpeg_quality_functions():
    pytest.importorskip("PIL")
    smooth = np.tile(np.linspace(0, 1, 16, dtype=np.float32), (16, 1))[..., None]
    img = np.concatenate([smooth, smooth.transpose(1, 0, 2), 1 - smooth], -1)
    for quality in (20, 95):
        out = IM.adjust_jpeg_quality(img, quality)
        assert out.dtype == engine.float32 and out.shape == (16, 16, 3)
        assert np.abs(out.numpy() - img).mean() < (0.05 if quality == 20 else 0.02)
    a = IM.stateless_random_jpeg_quality(img, 5, 95, [1, 2]).numpy()
    np.testing.assert_array_equal(a, IM.stateless_random_jpeg_quality(img, 5, 95, [1, 2]))
    ints = (img * 255).astype(np.uint8)
    assert IM.random_jpeg_quality(ints, 50, 60, seed=3).dtype == engine.uint8
    with pytest.raises(ValueError, match="expected min_jpeg_quality < max_jpeg_quality"):
        IM.stateless_random_jpeg_quality(img, 60, 50, [1, 2])
    with pytest.raises(ValueError, match="max_jpeg_quality=101"):
        IM.random_jpeg_quality(img, 50, 101)
    with pytest.raises(ShapeError, match="adjust_jpeg_quality: got an image of shape"):
        IM.adjust_jpeg_quality(img[None], 50)


# --- YIQ, YUV ---------------------------------------------------------------------------------
# TensorFlow 2.21's conversions of the unit colors, rows R, G, B.
TF_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
          [0.114, -0.32134392, 0.31119955]]
TF_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
          [0.114, 0.43601035, -0.10001026]]


@pytest.mark.parametrize("forward, inverse, matrix", [
    (IM.rgb_to_yiq, IM.yiq_to_rgb, TF_YIQ), (IM.rgb_to_yuv, IM.yuv_to_rgb, TF_YUV)])
def test_yiq_and_yuv(forward, inverse, matrix):
    np.testing.assert_allclose(forward(np.eye(3)).numpy(), matrix, rtol=1e-12)
    rgb = R.random((2, 3, 4, 3))
    check_forward(forward, lambda x: x @ np.array(matrix, x.dtype), [rgb])
    # TF's published inverses are rounded: its round trips are off by up to ~1e-4 too.
    np.testing.assert_allclose(inverse(forward(rgb)).numpy(), rgb, atol=2e-4)
    check_grad(forward, [rgb])
    check_grad(inverse, [rgb])
    with pytest.raises(DTypeError, match="got images of dtype int32; expected floats"):
        forward(np.zeros((2, 3), np.int32))
    with pytest.raises(ShapeError, match="expected 3 channels"):
        inverse(np.zeros((2, 4)))


# --- draw_bounding_boxes ----------------------------------------------------------------------
def test_draw_bounding_boxes_matches_tensorflow():
    boxes = np.array([[[0.1, 0.2, 0.6, 0.9], [-0.5, 0.3, 0.5, 1.5], [0.5, 0.5, 0.4, 0.9]]],
                     np.float32)
    colors = np.array([[1, 0, 0, 1], [0, 0.5, 1, 1]], np.float32)
    out = IM.draw_bounding_boxes(np.zeros((1, 6, 7, 3), np.float32), boxes, colors).numpy()
    # TensorFlow 2.21's channels 0 and 2: later boxes paint over earlier ones, edges outside
    # the image are left out.
    np.testing.assert_array_equal(out[0, ..., 0], [
        [0, 0, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 1, 1, 1, 0],
        [0, 1, 1, 1, 1, 1, 0], [0] * 7, [0] * 7])
    np.testing.assert_array_equal(out[0, ..., 2], [
        [0, 1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0, 1],
        [0] * 7, [0] * 7, [0] * 7])
    default = IM.draw_bounding_boxes(np.zeros((1, 4, 4, 3)), boxes[:, :1], np.zeros((0, 4)))
    assert default.dtype == engine.float32
    np.testing.assert_array_equal(default[0, 1].numpy(), [[1, 1, 0]] * 3 + [[0, 0, 0]])
    half = IM.draw_bounding_boxes(np.zeros((1, 4, 4, 1), np.float16), boxes[:, :1], [[0.7]])
    assert half.dtype == engine.float16


def test_draw_bounding_boxes_errors():
    boxes = np.zeros((1, 1, 4), np.float32)
    with pytest.raises(ShapeError, match="colors with 2 channels for images of depth 3"):
        IM.draw_bounding_boxes(np.zeros((1, 4, 4, 3)), boxes, [[0.7, 0.2]])
    with pytest.raises(ShapeError, match="draw_bounding_boxes: got images of shape"):
        IM.draw_bounding_boxes(np.zeros((4, 4, 3)), boxes, [[1.0, 1.0, 1.0]])
    with pytest.raises(ShapeError, match="got boxes of shape"):
        IM.draw_bounding_boxes(np.zeros((1, 4, 4, 3)), boxes[0], [[1.0, 1.0, 1.0]])
