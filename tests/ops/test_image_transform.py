"""ImageProjectiveTransformV3: against a per-pixel NumPy reference (every fill mode and
interpolation), known rotations and translations, inference, tracing, raw_ops and errors."""

import math

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops.image_transform import projective_transform

FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
INTERPOLATIONS = ["nearest", "bilinear"]


# --- the reference: one output pixel at a time, in float64 --------------------------------
def _ref_coordinate(c: float, size: int, mode: str) -> float:
    if mode == "constant":
        return c
    if mode == "reflect" and size > 1:
        while c < -0.5 or c > size - 0.5:  # fold about the edges until inside
            c = -1.0 - c if c < -0.5 else 2.0 * size - 1.0 - c
    elif mode == "wrap" and size > 1:  # TensorFlow's rule (exact tiling for small shifts)
        if c < 0:
            c += size * (math.trunc(-c / (size - 1)) + 1)
        elif c > size - 1:
            c -= size * math.trunc(c / (size - 1))
    elif size <= 1 and mode in ("reflect", "wrap"):
        c = 0.0
    return min(max(c, 0.0), size - 1.0)


def _ref_read(image, row, col, fill):
    h, w = image.shape[:2]
    if 0 <= row < h and 0 <= col < w:
        return image[int(row), int(col)].astype(np.float64)
    return np.full(image.shape[2], fill, np.float64)


def _ref_pixel(image, x, y, row8, fill, mode, interpolation):
    a0, a1, a2, b0, b1, b2, c0, c1 = (float(v) for v in row8)
    k = c0 * x + c1 * y + 1.0
    if k == 0:
        return np.full(image.shape[2], fill, np.float64)
    h, w = image.shape[:2]
    in_x = _ref_coordinate((a0 * x + a1 * y + a2) / k, w, mode)
    in_y = _ref_coordinate((b0 * x + b1 * y + b2) / k, h, mode)
    if interpolation == "nearest":
        def half_away(v):
            return math.copysign(math.floor(abs(v) + 0.5), v)

        return _ref_read(image, half_away(in_y), half_away(in_x), fill)
    y0, x0 = math.floor(in_y), math.floor(in_x)
    fy, fx = in_y - y0, in_x - x0
    total = 0.0
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            total = total + wy * wx * _ref_read(image, y0 + dy, x0 + dx, fill)
    return total


def reference(images, transforms, mode, interpolation, fill=0.0, out_shape=None):
    n, h, w, c = images.shape
    oh, ow = out_shape or (h, w)
    out = np.zeros((n, oh, ow, c), np.float64)
    for b in range(n):
        row8 = transforms[b if len(transforms) > 1 else 0]
        for y in range(oh):
            for x in range(ow):
                out[b, y, x] = _ref_pixel(images[b], x, y, row8, fill, mode, interpolation)
    return out


def _random_transforms(rng, n, h, w):
    """Rotations about the centre, shifted, with a small projective part."""
    t = rng.uniform(-math.pi, math.pi, n)
    cos, sin = np.cos(t), np.sin(t)
    x0 = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / 2 + rng.uniform(-2 * w, 2 * w, n)
    y0 = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / 2 + rng.uniform(-2 * h, 2 * h, n)
    proj = rng.uniform(-0.03, 0.03, (2, n))
    return np.stack([cos, -sin, x0, sin, cos, y0, *proj], 1).astype(np.float32)


@pytest.mark.parametrize("mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_matches_the_reference(rng, mode, interpolation):
    images = rng.uniform(-5, 5, (3, 6, 7, 2))
    transforms = _random_transforms(rng, 3, 6, 7)
    for dtype, tol in (("float64", 1e-5), ("float32", 1e-4)):
        got = projective_transform(images.astype(dtype), transforms, mode, -2.5,
                                   interpolation).numpy()
        assert got.dtype == np.dtype(dtype)
        # the op computes coordinates in float32, as TensorFlow does
        expected = reference(images.astype(dtype), transforms, mode, interpolation, -2.5)
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("mode", FILL_MODES)
def test_other_output_shapes_and_one_shared_transform(rng, mode):
    images = rng.uniform(0, 1, (2, 5, 4, 3)).astype(np.float32)
    transforms = _random_transforms(rng, 1, 5, 4)
    got = projective_transform(images, transforms, mode, 0.5, "bilinear", output_shape=[3, 6])
    assert got.shape == (2, 3, 6, 3)
    np.testing.assert_allclose(got.numpy(), reference(images, transforms, mode, "bilinear",
                                                      0.5, (3, 6)), rtol=1e-4, atol=1e-5)


def test_integer_images_interpolate_in_float_and_truncate(rng):
    images = rng.integers(0, 256, (2, 5, 5, 3)).astype(np.uint8)
    transforms = _random_transforms(rng, 2, 5, 5)
    got = projective_transform(images, transforms, "constant", 7.0, "bilinear").numpy()
    assert got.dtype == np.uint8
    expected = reference(images, transforms, "constant", "bilinear", 7.0)
    assert np.abs(got.astype(np.int64) - np.trunc(expected)).max() <= 1  # float32 round-off


@pytest.mark.parametrize("mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_identity_returns_the_images(rng, mode, interpolation):
    images = rng.uniform(0, 1, (2, 4, 5, 3)).astype(np.float32)
    identity = [[1, 0, 0, 0, 1, 0, 0, 0]]
    got = projective_transform(images, identity, mode, 9.0, interpolation)
    np.testing.assert_array_equal(got.numpy(), images)


def test_quarter_turn_is_rot90():
    image = np.arange(12.0, dtype=np.float32).reshape(1, 3, 4, 1) + 1.0
    t = math.pi / 2  # counter-clockwise about the centre (1.5, 1.5) of a 4 x 4 window
    row = [math.cos(t), -math.sin(t), 3.0, math.sin(t), math.cos(t), 0.0, 0, 0]
    got = projective_transform(image, [row], "constant", 0.0, "nearest", output_shape=[4, 4])
    square = np.concatenate([image[0, ..., 0], np.zeros((1, 4), np.float32)])
    np.testing.assert_array_equal(got.numpy()[0, ..., 0], np.rot90(square))


def test_translations_with_each_fill_mode():
    # A row 0 1 2 3 4 read at x - 2 (the picture moves right by 2), and at x + 6.
    row = np.arange(5, dtype=np.float32).reshape(1, 1, 5, 1)
    expected = {"constant": [-1, -1, 0, 1, 2], "nearest": [0, 0, 0, 1, 2],
                "reflect": [1, 0, 0, 1, 2], "wrap": [3, 4, 0, 1, 2]}
    for mode, values in expected.items():
        got = projective_transform(row, [[1, 0, -2, 0, 1, 0, 0, 0]], mode, -1.0, "nearest")
        np.testing.assert_array_equal(got.numpy().ravel(), values, err_msg=mode)
    # Values TensorFlow 2 gives for a shift of +6.5 (including its WRAP formula's clamp).
    far = {"constant": [-1] * 5, "nearest": [4] * 5, "reflect": [3, 2, 1, 0, 1],
           "wrap": [2, 3, 0, 0, 1]}
    for mode, values in far.items():
        got = projective_transform(row, [[1, 0, 6.5, 0, 1, 0, 0, 0]], mode, -1.0, "nearest")
        np.testing.assert_array_equal(got.numpy().ravel(), values, err_msg=mode)


def test_bilinear_half_pixel_shift_blends_with_the_fill_value():
    row = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)
    got = projective_transform(row, [[1, 0, -0.5, 0, 1, 0, 0, 0]], "constant", -1.0,
                               "bilinear")
    np.testing.assert_allclose(got.numpy().ravel(), [-0.5, 0.5, 1.5, 2.5])


def test_a_zero_projection_gives_the_fill_value():
    image = np.ones((1, 2, 2, 1), np.float32)
    row = [[1, 0, 0, 0, 1, 0, -1.0, 0]]  # k = 1 - x: 0 in column 1
    got = projective_transform(image, row, "nearest", 3.0, "nearest").numpy()[0, :, 1, 0]
    np.testing.assert_array_equal(got, [3.0, 3.0])


def test_raw_op_and_shape_inference(rng):
    images = rng.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32)
    transforms = _random_transforms(rng, 2, 5, 6)
    out = engine.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=[4, 3], fill_value=0.0,
        interpolation="NEAREST", fill_mode="WRAP")
    assert out.shape == (2, 4, 3, 3)
    np.testing.assert_array_equal(out.numpy(), reference(images, transforms, "wrap",
                                                         "nearest", 0.0, (4, 3)))
    assert "ImageProjectiveTransformV3" in dir(engine.raw_ops)


def test_traced_with_unknown_sizes_equals_eager(rng):
    spec = engine.TensorSpec([None, None, None, 2], engine.float32)

    @engine.function(input_signature=[spec, engine.TensorSpec([None, 8], engine.float32)])
    def run(images, transforms):
        return projective_transform(images, transforms, "reflect", 0.0, "bilinear")

    for shape in ((2, 5, 6, 2), (1, 3, 8, 2)):
        images = rng.uniform(0, 1, shape).astype(np.float32)
        transforms = _random_transforms(rng, shape[0], *shape[1:3])
        eager = projective_transform(images, transforms, "reflect", 0.0, "bilinear")
        np.testing.assert_array_equal(run(images, transforms).numpy(), eager.numpy())


def test_runs_on_a_fake_gpu(gpu, rng):
    images = rng.uniform(0, 1, (2, 4, 4, 1)).astype(np.float32)
    transforms = _random_transforms(rng, 2, 4, 4)
    expected = projective_transform(images, transforms, "wrap", 0.0, "bilinear").numpy()
    with engine.device("/GPU:0"):
        got = projective_transform(images, transforms, "wrap", 0.0, "bilinear")
    assert got.device.endswith("GPU:0")
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


def test_errors_name_the_op_and_the_fix():
    images = np.zeros((2, 3, 3, 1), np.float32)
    row = [[1, 0, 0, 0, 1, 0, 0, 0]]
    with pytest.raises(ValueError, match=r"ImageProjectiveTransformV3: got fill_mode='MIRROR'; "
                                         r"expected one of 'REFLECT'"):
        projective_transform(images, row, fill_mode="mirror")
    with pytest.raises(ValueError, match="got interpolation='BICUBIC'; expected one of"):
        projective_transform(images, row, interpolation="bicubic")
    with pytest.raises(ShapeError, match=r"got images of shape \(3, 3, 1\); expected rank 4"):
        projective_transform(images[0], row)
    with pytest.raises(ShapeError, match=r"got transforms of shape \(1, 6\); expected"):
        projective_transform(images, [[1, 0, 0, 0, 1, 0]])
    with pytest.raises((ShapeError, InvalidArgumentError),
                       match="got 3 transforms for a batch of 2 images"):
        projective_transform(images, row * 3)
    with pytest.raises(ShapeError, match=r"got output_shape=\(0, 3\); expected two positive"):
        projective_transform(images, row, output_shape=[0, 3])
    with pytest.raises(DTypeError, match="got images of dtype bool"):
        projective_transform(np.zeros((1, 2, 2, 1), bool), row)
