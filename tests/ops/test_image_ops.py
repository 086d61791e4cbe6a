"""engine.image (image_ops, image_color): against NumPy references written here (loops over
pixels, TF 2's documented formulas, `colorsys`), hand-computed values, float64 numerical
gradients, traced with unknown sizes, seeded randomness, and the errors."""

import colorsys

import numpy as np
import pytest

import engine
import engine.image  # noqa: F401 - the public namespace, for the docstring examples
from engine.errors import DTypeError, ShapeError
from engine.ops import image_color as ic
from engine.ops import image_ops as io
from engine.ops import image_resize as ir
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(11)
S = engine.TensorSpec
F32 = np.float32


def in_float64(fn):
    """`fn` with its float32 result cast to float64, the dtype of check_grad's cotangents."""
    return lambda *args: engine.cast(fn(*args), engine.float64)


# --- tracing, Dataset.map ---------------------------------------------------------------------
def test_geometry_traced_with_unknown_sizes():
    img = R.random((2, 5, 7, 3)).astype(F32)
    fns = [lambda x: ir.resize_with_pad(x, 8, 8), lambda x: io.resize_with_crop_or_pad(x, 3, 9),
           lambda x: io.central_crop(x, 0.5), lambda x: io.crop_to_bounding_box(x, 1, 2, 3, 4),
           lambda x: io.pad_to_bounding_box(x, 1, 2, 9, 10), io.flip_left_right, io.flip_up_down,
           lambda x: io.rot90(x, 3), io.transpose,
           lambda x: ir.resize(x, [10, 10], preserve_aspect_ratio=True)]
    for fn in fns:
        traced = engine.function(fn, input_signature=[S([None, None, None, 3])])
        np.testing.assert_allclose(traced(img).numpy(), fn(img).numpy(), rtol=1e-6, atol=1e-7)
        for single in (img[0], img[1, :4, :6]):  # 3-D images of another size, same graph
            traced3 = engine.function(fn, input_signature=[S([None, None, 3])])
            np.testing.assert_allclose(traced3(single).numpy(), fn(single).numpy(), rtol=1e-6,
                                       atol=1e-7)


def test_traced_tensor_arguments():
    img = R.random((5, 7, 2)).astype(F32)
    box = engine.function(lambda x, oh, ow: io.crop_to_bounding_box(x, oh, ow, 2, 3),
                          input_signature=[S([None, None, 2]), S([], engine.int32),
                                           S([], engine.int32)])
    np.testing.assert_array_equal(box(img, 1, 2).numpy(), img[1:3, 2:5])
    turn = engine.function(io.rot90, input_signature=[S([None, None, 2]), S([], engine.int32)])
    for k in range(-1, 6):
        np.testing.assert_array_equal(turn(img, k).numpy(), np.rot90(img, k, axes=(0, 1)))
    frac = engine.function(io.central_crop, input_signature=[S([None, None, 2]), S([])])
    np.testing.assert_array_equal(frac(img, 0.5).numpy(), io.central_crop(img, 0.5).numpy())
    eager = io.central_crop(img, engine.constant(0.5)), io.rot90(img, engine.constant(3))
    np.testing.assert_array_equal(eager[0].numpy(), img[1:4, 1:6])
    np.testing.assert_array_equal(eager[1].numpy(), np.rot90(img, 3, axes=(0, 1)))


def test_dataset_map_pipeline():
    images = R.random((4, 6, 8, 3)).astype(F32)

    def augment(x):
        x = ir.resize(io.flip_left_right(x), [4, 4])
        return ic.adjust_brightness(ic.rgb_to_grayscale(x), 0.1)

    ds = engine.data.Dataset.from_tensor_slices(images).map(augment)
    got = np.stack([t.numpy() for t in ds])
    np.testing.assert_allclose(got, augment(images).numpy(), rtol=1e-6, atol=1e-7)


# --- flips, rotations, crops, pads ------------------------------------------------------------
GEOMETRY = [
    (io.flip_left_right, lambda x: np.flip(x, -2)),
    (io.flip_up_down, lambda x: np.flip(x, -3)),
    (io.transpose, lambda x: np.swapaxes(x, -3, -2)),
    (lambda x: io.rot90(x), lambda x: np.rot90(x, 1, axes=(-3, -2))),
    (lambda x: io.rot90(x, k=2), lambda x: np.rot90(x, 2, axes=(-3, -2))),
    (lambda x: io.rot90(x, k=-1), lambda x: np.rot90(x, 3, axes=(-3, -2))),
    (lambda x: io.crop_to_bounding_box(x, 1, 2, 3, 2), lambda x: x[..., 1:4, 2:4, :]),
    (lambda x: io.pad_to_bounding_box(x, 2, 1, 7, 8),
     lambda x: np.pad(x, [(0, 0)] * (x.ndim - 3) + [(2, 1), (1, 2), (0, 0)])),
    (lambda x: io.central_crop(x, 0.5), lambda x: x[..., 1:3, 1:4, :]),  # int(1.25), int(1.25)
    (lambda x: io.resize_with_crop_or_pad(x, 2, 7), lambda x: np.pad(
        x[..., 1:3, :, :], [(0, 0)] * (x.ndim - 3) + [(0, 0), (1, 1), (0, 0)])),
]


@pytest.mark.parametrize("fn, ref", GEOMETRY)
@pytest.mark.parametrize("shape", [(4, 5, 2), (3, 4, 5, 2)])
def test_geometry_against_numpy_with_gradients(fn, ref, shape):
    check_op(fn, ref, [R.standard_normal(shape)])
    ints = np.arange(np.prod(shape), dtype=np.int32).reshape(shape)
    np.testing.assert_array_equal(fn(ints).numpy(), ref(ints))


def test_central_crop_fraction_one_and_odd_sizes():
    img = np.arange(5 * 5, dtype=np.int32).reshape(5, 5, 1)
    np.testing.assert_array_equal(io.central_crop(img, 1.0).numpy(), img)
    np.testing.assert_array_equal(io.central_crop(img, 0.5).numpy(), img[1:4, 1:4])
    np.testing.assert_array_equal(io.central_crop(img, 0.1).numpy(), img[2:3, 2:3])


def test_resize_with_crop_or_pad_hand_values():
    image = np.arange(1, 26).reshape(5, 5, 1)
    np.testing.assert_array_equal(io.resize_with_crop_or_pad(image, 2, 2)[..., 0],
                                  [[7, 8], [12, 13]])
    wide = np.arange(1.0, 7.0).reshape(1, 6, 1)
    padded = io.resize_with_crop_or_pad(wide, 4, 9)[..., 0].numpy()
    expect = np.zeros((4, 9))
    expect[1, 1:7] = np.arange(1, 7)
    np.testing.assert_array_equal(padded, expect)


# --- random geometry --------------------------------------------------------------------------
def _repeatable(fn):
    """Same global and op seed: the same sequence again after set_seed."""
    engine.random.set_seed(7)
    first = [fn().numpy() for _ in range(3)]
    engine.random.set_seed(7)
    second = [fn().numpy() for _ in range(3)]
    engine.random.set_seed(None)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    return first


def test_random_flips_are_per_image_and_seeded():
    batch = np.arange(32 * 2, dtype=F32).reshape(32, 1, 2, 1)
    for fn, flip in ((io.random_flip_left_right, lambda x: x[:, ::-1]),
                     (io.random_flip_up_down, lambda x: x[::-1])):
        img = batch if fn is io.random_flip_left_right else np.swapaxes(batch, 1, 2)
        out = _repeatable(lambda f=fn, x=img: f(x, seed=3))[0]
        flipped = [not np.array_equal(o, i) for o, i in zip(out, img)]
        for o, i, f in zip(out, img, flipped):
            np.testing.assert_array_equal(o, flip(i) if f else i)
        assert 4 < sum(flipped) < 28  # each image decides on its own
        single = {fn(img[0]).numpy().tobytes() for _ in range(30)}  # unseeded: both outcomes
        assert len(single) == 2
    unseeded = [io.random_flip_left_right(batch).numpy() for _ in range(2)]
    assert not np.array_equal(*unseeded)


def test_random_crop_windows_seeds_and_tracing():
    img = np.arange(6 * 7 * 2, dtype=np.int32).reshape(6, 7, 2)
    seen = set()
    for _ in range(40):
        out = io.random_crop(img, [3, 4, 2]).numpy()
        top, left = divmod(int(out[0, 0, 0]) // 2, 7)
        np.testing.assert_array_equal(out, img[top:top + 3, left:left + 4])
        seen.add((top, left))
    assert len(seen) > 6  # varies without a seed
    _repeatable(lambda: io.random_crop(img, [3, 4, 2], seed=5))
    traced = engine.function(lambda x: io.random_crop(x, [2, 3, 2], seed=1),
                             input_signature=[S([None, None, 2], engine.int32)])
    assert traced(img).shape == (2, 3, 2)
    assert io.random_crop(img, engine.constant([6, 7, 2])).shape == (6, 7, 2)


def test_random_ops_traced_with_unknown_batch():
    batch = R.random((5, 4, 4, 3)).astype(F32)

    @engine.function(input_signature=[S([None, 4, 4, 3])])
    def augment(x):
        x = io.random_flip_left_right(x, seed=1)
        x = ic.random_brightness(x, 0.2, seed=2)
        x = ic.random_contrast(x, 0.5, 1.5, seed=3)
        return ic.random_saturation(ic.random_hue(x, 0.1, seed=4), 0.5, 1.5, seed=5)

    runs = [augment(batch).numpy() for _ in range(2)]
    assert runs[0].shape == (5, 4, 4, 3)
    assert not np.array_equal(runs[0], runs[1])  # each run of the graph draws anew
    engine.random.set_seed(3)
    first = augment(batch).numpy()
    engine.random.set_seed(3)
    np.testing.assert_array_equal(augment(batch).numpy(), first)
    engine.random.set_seed(None)


# --- convert_image_dtype ----------------------------------------------------------------------
def ref_convert(x, dtype, saturate=False):
    x, out = np.asarray(x), np.dtype(dtype)
    if x.dtype == out:
        return x
    if x.dtype.kind in "iu" and out.kind in "iu":
        in_max, out_max = int(np.iinfo(x.dtype).max), int(np.iinfo(out).max)
        if in_max > out_max:
            x = x // ((in_max + 1) // (out_max + 1))
            info = np.iinfo(out)
            return (np.clip(x, info.min, info.max) if saturate else x).astype(out)
        if saturate:
            x = np.clip(x, max(np.iinfo(x.dtype).min, np.iinfo(out).min), None)
        return x.astype(out) * out.type((out_max + 1) // (in_max + 1))
    if out.kind == "f":
        if x.dtype.kind == "f":
            return x.astype(out)
        return (x.astype(np.float64) / np.iinfo(x.dtype).max).astype(out)
    scaled = x.astype(np.float64) * (np.iinfo(out).max + 0.5)
    if saturate:
        scaled = np.clip(scaled, np.iinfo(out).min, np.iinfo(out).max)
    return np.trunc(scaled).astype(out)


@pytest.mark.parametrize("src, dst", [("uint8", "float32"), ("int8", "float16"),
                                      ("uint16", "float64"), ("float32", "uint8"),
                                      ("float64", "int16"), ("float32", "float64"),
                                      ("uint8", "int32"), ("int32", "uint8"), ("int16", "int8"),
                                      ("uint8", "uint8")])
def test_convert_image_dtype(src, dst):
    if np.dtype(src).kind == "f":
        x = np.array([0.0, 0.1, 0.5, 0.999, 1.0], src)
    else:
        info = np.iinfo(src)
        x = np.array([0, 1, 7, info.max // 2, info.max], src)
    got = ic.convert_image_dtype(x, dst)
    assert got.dtype == engine.as_dtype(dst)
    want = ref_convert(x, dst)
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.astype(np.float64),
                               rtol=1e-3 if dst == "float16" else 1e-6)


def test_convert_image_dtype_hand_values_and_saturation():
    np.testing.assert_array_equal(ic.convert_image_dtype(np.float32([0, 0.5, 1]), "uint8"),
                                  [0, 127, 255])  # x * 255.5, truncated
    np.testing.assert_array_equal(ic.convert_image_dtype(np.uint8([1, 255]), "int16"),
                                  [128, 32640])
    over = np.float32([-0.5, 1.5])
    np.testing.assert_array_equal(ic.convert_image_dtype(over, "uint8", saturate=True), [0, 255])
    np.testing.assert_array_equal(ic.convert_image_dtype(np.float32([2.0]), "int32",
                                                         saturate=True), [2 ** 31 - 1])
    np.testing.assert_array_equal(ic.convert_image_dtype(np.float64([2.0]), "int64",
                                                         saturate=True), [2 ** 63 - 1024])
    signed = np.int8([-5, 3])
    np.testing.assert_array_equal(ic.convert_image_dtype(signed, "uint8", saturate=True), [0, 6])
    np.testing.assert_array_equal(ic.convert_image_dtype(signed, "uint8"), ref_convert(
        signed, "uint8"))
    check_grad(in_float64(lambda x: ic.convert_image_dtype(x, engine.float32)), [R.random(4)],
               eps=1e-2,
               rtol=1e-5, atol=1e-6)


def test_convert_image_dtype_half_precision_scales_in_float32():
    # In bfloat16 TF's 1.0 * 255.5 rounds to 256 and wraps to 0; int32 / MAX underflows float16.
    np.testing.assert_array_equal(
        ic.convert_image_dtype(engine.constant([0.5, 1.0], engine.bfloat16), "uint8"), [127, 255])
    half = ic.convert_image_dtype(np.int32([2 ** 30, 2 ** 31 - 1]), "float16")
    assert half.dtype == engine.float16
    np.testing.assert_array_equal(half.numpy(), np.float16([0.5, 1.0]))
    out = ic.adjust_hue(np.float16([[0.2, 0.4, 0.8]]), 0.3)
    assert out.dtype == engine.float16
    np.testing.assert_allclose(out.numpy(), _hsv_adjusted([[0.2, 0.4, 0.8]], hue=0.3), atol=1e-3)


# --- color spaces and adjustments -------------------------------------------------------------
def _per_pixel(fn, x):
    flat = np.asarray(x, np.float64).reshape(-1, 3)
    return np.array([fn(*p) for p in flat]).reshape(np.shape(x))


def _hsv_adjusted(x, hue=0.0, saturation=1.0):
    def one(r, g, b):
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        return colorsys.hsv_to_rgb((h + hue) % 1.0, min(max(s * saturation, 0.0), 1.0), v)
    return _per_pixel(one, x)


def _rgb(shape=(2, 3, 4, 3)):
    # Distinct channels away from ties and from 0 and 1: the color maps are smooth there.
    return 0.1 + 0.8 * R.random(shape)


def test_rgb_hsv_against_colorsys_with_gradients():
    rgb = _rgb()
    check_op(ic.rgb_to_hsv, lambda x: _per_pixel(colorsys.rgb_to_hsv, x), [rgb])
    hsv = np.stack([R.random((3, 5)) * 0.98 + 0.01, R.random((3, 5)), R.random((3, 5))], -1)
    check_op(ic.hsv_to_rgb, lambda x: _per_pixel(colorsys.hsv_to_rgb, x), [hsv])
    special = np.array([[0, 0, 0], [0.5, 0.5, 0.5], [1, 0, 0], [1, 1, 0], [0, 1, 1], [0.2, 0, 1]])
    np.testing.assert_allclose(ic.rgb_to_hsv(special).numpy(),
                               _per_pixel(colorsys.rgb_to_hsv, special), atol=1e-12)
    np.testing.assert_allclose(ic.hsv_to_rgb(ic.rgb_to_hsv(rgb)).numpy(), rgb, atol=1e-12)


def test_grayscale():
    rgb = _rgb()
    check_op(ic.rgb_to_grayscale, lambda x: (x @ np.array([0.2989, 0.5870, 0.1140]))[..., None],
             [rgb])
    check_op(ic.grayscale_to_rgb, lambda x: np.repeat(x, 3, -1), [R.random((2, 4, 1))])
    ints = np.array([[255, 0, 0], [10, 200, 30]], np.uint8)
    want = ref_convert((ints / 255.0 @ np.array([0.2989, 0.5870, 0.1140]))[:, None], "uint8")
    np.testing.assert_array_equal(ic.rgb_to_grayscale(ints).numpy(), want)


ADJUST = [
    (lambda x: ic.adjust_brightness(x, 0.15), lambda x: x + 0.15),
    (lambda x: ic.adjust_contrast(x, 1.7),
     lambda x: (x - x.mean((-3, -2), keepdims=True)) * 1.7 + x.mean((-3, -2), keepdims=True)),
    (lambda x: ic.adjust_gamma(x, 0.7, 1.3), lambda x: 1.3 * x ** 0.7),
    (lambda x: ic.adjust_saturation(x, 0.6), lambda x: _hsv_adjusted(x, saturation=0.6)),
    (lambda x: ic.adjust_hue(x, 0.3), lambda x: _hsv_adjusted(x, hue=0.3)),
    (lambda x: ic.adjust_hue(x, -0.45), lambda x: _hsv_adjusted(x, hue=-0.45)),
]


@pytest.mark.parametrize("fn, ref", ADJUST)
def test_adjustments_against_numpy_with_gradients(fn, ref):
    check_op(fn, ref, [_rgb()])


def test_contrast_mean_is_per_image_and_channel():
    img = R.random((2, 3, 4, 3))
    out = ic.adjust_contrast(img, 0.0).numpy()
    np.testing.assert_allclose(out, np.broadcast_to(img.mean((1, 2), keepdims=True), img.shape))


def test_adjustments_of_integer_images_saturate():
    ints = np.array([[[10, 128, 250]]], np.uint8)
    np.testing.assert_array_equal(ic.adjust_brightness(ints, 0.1).numpy(),
                                  ref_convert(np.clip(ints / 255.0 + 0.1, 0, 1), "uint8"))
    assert ic.adjust_gamma(ints, 2.0, gain=3.0).dtype == engine.uint8
    dark = ic.adjust_saturation(ints, 2.0).numpy()
    want = ref_convert(np.float32(_hsv_adjusted(ints / 255.0, saturation=2.0)), "uint8")
    assert np.abs(dark.astype(int) - want.astype(int)).max() <= 1
    assert ic.adjust_hue(np.float16(_rgb((2, 3))), 0.2).dtype == engine.float16


def test_per_image_standardization():
    img = R.random((2, 3, 4, 3)) * 10

    def ref(x):
        mean = x.mean((-3, -2, -1), keepdims=True)
        std = x.std((-3, -2, -1), keepdims=True)
        return (x - mean) / np.maximum(std, 1 / np.sqrt(36))

    got = ic.per_image_standardization(img)
    assert got.dtype == engine.float32
    np.testing.assert_allclose(got.numpy(), ref(img), rtol=1e-5, atol=1e-5)
    flat = ic.per_image_standardization(np.full((2, 2, 1), 7, np.uint8)).numpy()
    np.testing.assert_array_equal(flat, np.zeros((2, 2, 1)))
    ints = np.arange(1, 13, dtype=np.int32).reshape(2, 2, 3)  # TF's documented example
    np.testing.assert_allclose(ic.per_image_standardization(ints).numpy().ravel()[:3],
                               [-1.593255, -1.3035723, -1.0138896], rtol=1e-6)
    check_grad(in_float64(ic.per_image_standardization), [img], eps=1e-2, rtol=1e-3, atol=1e-4)
    traced = engine.function(ic.per_image_standardization,
                             input_signature=[S([None, None, None, 3])])
    np.testing.assert_allclose(traced(img.astype(F32)).numpy(), got.numpy(), rtol=1e-6)


def test_color_ops_traced_with_unknown_batch():
    img = _rgb().astype(F32)
    for fn, _ in ADJUST + [(ic.rgb_to_grayscale, None), (ic.rgb_to_hsv, None)]:
        traced = engine.function(fn, input_signature=[S([None, None, None, 3])])
        np.testing.assert_allclose(traced(img).numpy(), fn(img).numpy(), rtol=1e-6, atol=1e-7)
    delta = engine.function(ic.adjust_hue, input_signature=[S([None, 3]), S([])])
    np.testing.assert_allclose(delta(img[0, 0], 0.25).numpy(), ic.adjust_hue(img[0, 0], 0.25),
                               rtol=1e-6, atol=1e-7)


def test_random_color_ops_ranges_and_seeds():
    img = _rgb((2, 3, 3, 3))
    for _ in range(5):
        out = ic.random_brightness(img, 0.2).numpy()
        delta = out - img
        assert np.ptp(delta) < 1e-12 and abs(delta.flat[0]) <= 0.2  # one delta for all
    for fn in (lambda s=None: ic.random_brightness(img, 0.3, seed=s),
               lambda s=None: ic.random_contrast(img, 0.2, 1.8, seed=s),
               lambda s=None: ic.random_saturation(img, 0.2, 1.8, seed=s),
               lambda s=None: ic.random_hue(img, 0.4, seed=s)):
        _repeatable(lambda f=fn: f(11))
        assert not np.array_equal(fn().numpy(), fn().numpy())  # varies without a seed
    factors = []
    for _ in range(20):
        out = ic.random_contrast(img, 0.5, 0.75).numpy()
        mean = img.mean((1, 2), keepdims=True)
        factors.append(((out - mean) / (img - mean)).mean())
    assert 0.5 <= min(factors) and max(factors) < 0.75


def test_runs_on_a_fake_gpu(gpu):
    img = R.random((2, 5, 7, 3)).astype(F32)
    fns = [lambda x: ir.resize(x, [3, 9]), lambda x: ir.resize(x, [3, 9], "bicubic", True),
           lambda x: ir.resize(x, [300, 7], "nearest"), lambda x: ir.resize(x, [3, 400]),
           lambda x: io.rot90(x, 1), lambda x: io.resize_with_crop_or_pad(x, 3, 9),
           lambda x: ic.adjust_hue(x, 0.2), ic.per_image_standardization,
           lambda x: ic.convert_image_dtype(x, engine.uint8)]
    traced = engine.function(lambda x, size: ir.resize(x, size, "area"),
                             input_signature=[S([None, None, None, 3]), S([2], engine.int32)])
    with engine.device("/GPU:0"):
        x = engine.constant(img)
        outs = [fn(x) for fn in fns] + [traced(x, np.array([4, 4], np.int32))]
        with engine.GradientTape() as tape:
            tape.watch(x)
            loss = engine.reduce_sum(ir.resize(x, [3, 9]) ** 2)
        grad = tape.gradient(loss, x)
    for out, want in zip(outs + [grad], [fn(img) for fn in fns] + [ir.resize(img, [4, 4], "area")]):
        assert out.device.endswith("GPU:0")
        np.testing.assert_allclose(np.asarray(out), np.asarray(want), rtol=1e-6, atol=1e-6)
    assert grad.device.endswith("GPU:0")


# --- errors -----------------------------------------------------------------------------------
def test_bad_images_and_arguments_raise_clear_errors():
    img = np.zeros((4, 4, 3), F32)
    with pytest.raises(ShapeError, match="flip_left_right: .*rank 3"):
        io.flip_left_right(np.zeros((1, 1, 4, 4, 3)))
    with pytest.raises(ShapeError, match="height, width and channels > 0"):
        io.flip_up_down(np.zeros((0, 4, 3)))
    with pytest.raises(ShapeError, match="crop_to_bounding_box: the box's width range"):
        io.crop_to_bounding_box(img, 0, 2, 2, 3)
    with pytest.raises(ShapeError, match="offset_height=-1; expected >= 0"):
        io.crop_to_bounding_box(img, -1, 0, 2, 2)
    with pytest.raises(ShapeError, match="target_width=0; expected >= 1"):
        io.crop_to_bounding_box(img, 0, 0, 2, 0)
    with pytest.raises(ShapeError, match="pad_to_bounding_box: got target_height=5"):
        io.pad_to_bounding_box(img, 2, 0, 5, 4)
    with pytest.raises(ShapeError, match="target_width=0"):
        io.resize_with_crop_or_pad(img, 2, 0)
    with pytest.raises(ValueError, match="central_fraction=0.0; expected a number in \\(0, 1\\]"):
        io.central_crop(img, 0.0)
    with pytest.raises(ShapeError, match="random_crop: got size \\[5, 2, 3\\]"):
        io.random_crop(img, [5, 2, 3])
    with pytest.raises(ShapeError, match="one entry per dimension"):
        io.random_crop(img, [2, 2])
    with pytest.raises(DTypeError, match="rot90: got k of dtype float32"):
        io.rot90(img, engine.constant(1.0))


def test_bad_color_arguments_raise_clear_errors():
    with pytest.raises(DTypeError, match="convert_image_dtype: got dtype bool"):
        ic.convert_image_dtype(np.zeros(3, F32), engine.bool)
    with pytest.raises(DTypeError, match="rgb_to_hsv: got images of dtype uint8"):
        ic.rgb_to_hsv(np.zeros((2, 3), np.uint8))
    with pytest.raises(ShapeError, match="adjust_hue: got images of shape \\(2, 4\\)"):
        ic.adjust_hue(np.zeros((2, 4), F32), 0.1)
    with pytest.raises(ShapeError, match="grayscale_to_rgb: .*1 channels"):
        ic.grayscale_to_rgb(np.zeros((2, 3), F32))
    with pytest.raises(ShapeError, match="adjust_contrast: .*rank >= 3"):
        ic.adjust_contrast(np.zeros((2, 3), F32), 2.0)
    with pytest.raises(ValueError, match="gamma=-1"):
        ic.adjust_gamma(np.zeros(3, F32), -1)
    with pytest.raises(ValueError, match="max_delta=0.6; expected a number in \\[0.0, 0.5\\]"):
        ic.random_hue(np.zeros((1, 3), F32), 0.6)
    with pytest.raises(ValueError, match="max_delta=-0.1"):
        ic.random_brightness(np.zeros(3, F32), -0.1)
    with pytest.raises(ValueError, match="lower=0.9 and upper=0.5"):
        ic.random_contrast(np.zeros((1, 1, 3), F32), 0.9, 0.5)
    with pytest.raises(ValueError, match="lower=-0.5"):
        ic.random_saturation(np.zeros((1, 3), F32), -0.5, 0.5)
