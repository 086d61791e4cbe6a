"""engine.image's resizing (image_resize): against NumPy references written here (loops over
pixels, TF 2's documented formulas), hand-computed values, float64 numerical gradients, traced
with unknown sizes, and the errors."""

import math

import numpy as np
import pytest

import engine
import engine.image  # noqa: F401 - the public namespace, for the docstring examples
from engine.errors import ShapeError
from engine.ops import image_resize as ir
from tests.opcheck import check_forward, check_grad

R = np.random.default_rng(11)
S = engine.TensorSpec
F32 = np.float32


# --- NumPy references -------------------------------------------------------------------------
def _source(o, n_in, n_out, shift=0.5):
    """TF's half-pixel source position of output o, in float32 as its kernels compute it."""
    scale = F32(n_in) / F32(n_out)
    return (F32(o) + F32(0.5)) * scale - F32(shift)


def ref_bilinear(img, oh, ow):
    """TF's ResizeBilinear (half_pixel_centers), pixel by pixel: lerp rows, then columns."""
    n, h, w, c = img.shape
    out = np.zeros((n, oh, ow, c))
    for y in range(oh):
        sy = float(_source(y, h, oh))
        y0, y1, fy = max(math.floor(sy), 0), min(math.ceil(sy), h - 1), sy - math.floor(sy)
        for x in range(ow):
            sx = float(_source(x, w, ow))
            x0, x1, fx = max(math.floor(sx), 0), min(math.ceil(sx), w - 1), sx - math.floor(sx)
            top = img[:, y0, x0] + (img[:, y0, x1] - img[:, y0, x0]) * fx
            bottom = img[:, y1, x0] + (img[:, y1, x1] - img[:, y1, x0]) * fx
            out[:, y, x] = top + (bottom - top) * fy
    return out


def ref_nearest(img, oh, ow):
    n, h, w, c = img.shape
    out = np.zeros((n, oh, ow, c), img.dtype)
    for y in range(oh):
        for x in range(ow):
            sy = min(math.floor(_source(y, h, oh, shift=0.0)), h - 1)
            sx = min(math.floor(_source(x, w, ow, shift=0.0)), w - 1)
            out[:, y, x] = img[:, sy, sx]
    return out


def _keys(d):
    d = abs(d)
    if d < 1:
        return 1.5 * d ** 3 - 2.5 * d ** 2 + 1
    return -0.5 * d ** 3 + 2.5 * d ** 2 - 4 * d + 2 if d < 2 else 0.0


def bicubic_weights(n_in, n_out):
    """(out, in): Keys taps at the offset rounded to 1/1024, outside taps dropped, renormalized."""
    matrix = np.zeros((n_out, n_in))
    for o in range(n_out):
        s = float(_source(o, n_in, n_out))
        base = math.floor(s)
        t = round((s - base) * 1024) / 1024
        for j in range(-1, 3):
            if 0 <= base + j < n_in:
                matrix[o, base + j] = _keys(t - j)
        matrix[o] /= matrix[o].sum()
    return matrix


def area_weights(n_in, n_out):
    """(out, in): the overlap of each input cell with the output cell's box, over its length."""
    scale = n_in / n_out
    matrix = np.zeros((n_out, n_in))
    for o in range(n_out):
        lo, hi = o * scale, (o + 1) * scale
        for i in range(n_in):
            matrix[o, i] = max(0.0, min(i + 1, hi) - max(i, lo)) / scale
    return matrix


def antialias_weights(kernel, n_in, n_out):
    """(out, in): TF's ScaleAndTranslate, the kernel widened by in/out when downsampling."""
    scale = n_in / n_out
    widen = max(scale, 1.0)
    matrix = np.zeros((n_out, n_in))
    for o in range(n_out):
        centre = (o + 0.5) * scale
        for i in range(n_in):
            matrix[o, i] = kernel(abs(i + 0.5 - centre) / widen)
        matrix[o] /= matrix[o].sum()
    return matrix


def triangle(d):
    return max(0.0, 1.0 - d)


def in_float64(fn):
    """`fn` with its float32 result cast to float64, the dtype of check_grad's cotangents."""
    return lambda *args: engine.cast(fn(*args), engine.float64)


def ref_separable(img, rows, cols):
    return np.einsum("oh,nhwc,pw->nopc", rows, img.astype(np.float64), cols)


# --- resize: values ---------------------------------------------------------------------------
SIZES = [(5, 7, 3, 9), (4, 4, 8, 2), (6, 3, 6, 5), (3, 5, 7, 1)]


@pytest.mark.parametrize("h, w, oh, ow", SIZES)
def test_resize_bilinear_and_nearest_match_tf_kernels(h, w, oh, ow):
    img = R.random((2, h, w, 3))
    got = engine.image.resize(img, [oh, ow]).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, ref_bilinear(img.astype(F32), oh, ow), rtol=1e-5, atol=1e-6)
    check_forward(lambda x: ir.resize(x, [oh, ow], method="nearest"),
                  lambda x: ref_nearest(x, oh, ow), [img])


def bilinear_weights(n_in, n_out):
    """(out, in): the two clamped neighbours of each source position, as in ref_bilinear."""
    matrix = np.zeros((n_out, n_in))
    for o in range(n_out):
        s = float(_source(o, n_in, n_out))
        frac = s - math.floor(s)
        matrix[o, max(math.floor(s), 0)] += 1 - frac
        matrix[o, min(math.ceil(s), n_in - 1)] += frac
    return matrix


def _weights(method, n_in, n_out):
    if method == "bicubic":
        return bicubic_weights(n_in, n_out)
    if method == "area":
        return area_weights(n_in, n_out)
    if method == "bilinear-aa":  # antialiasing only changes downsampling
        return (antialias_weights(triangle, n_in, n_out) if n_out < n_in
                else bilinear_weights(n_in, n_out))
    return antialias_weights(_keys, n_in, n_out)


@pytest.mark.parametrize("h, w, oh, ow", SIZES)
@pytest.mark.parametrize("method", ["bicubic", "area", "bilinear-aa", "bicubic-aa"])
def test_resize_weighted_methods(h, w, oh, ow, method):
    img = R.random((2, h, w, 3))
    got = ir.resize(img, [oh, ow], method=method.split("-")[0], antialias="aa" in method)
    want = ref_separable(img, _weights(method, h, oh), _weights(method, w, ow))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_resize_hand_computed_values():
    image = np.eye(5, dtype=np.int32)[None, ..., None]
    # TensorFlow's documented example, to its last digits.
    np.testing.assert_array_equal(ir.resize(image, [3, 5])[0, ..., 0].numpy(), np.array(
        [[0.6666667, 0.3333333, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0.3333335, 0.6666665]],
        F32))
    a, b = ir.resize(image, [5, 10]), ir.resize(image, [5, 10], antialias=True)
    assert float(engine.reduce_max(abs(a - b))) == 0.0  # antialias: no effect upsampling
    row = np.array([[[0.0], [4.0]]])
    np.testing.assert_array_equal(ir.resize(row, [1, 4])[0, :, 0].numpy(), [0, 1, 3, 4])
    ramp = np.arange(4.0).reshape(1, 4, 1)
    np.testing.assert_array_equal(ir.resize(ramp, [1, 2], "nearest")[0, :, 0], [1, 3])
    np.testing.assert_allclose(ir.resize(ramp, [1, 2], "area")[0, :, 0], [0.5, 2.5])
    np.testing.assert_allclose(ir.resize(ramp[:, :3], [1, 2], "area")[0, :, 0], [1 / 3, 5 / 3],
                               rtol=1e-6)
    # Bicubic at source 1.25 (all four taps inside) reproduces the ramp.
    assert float(ir.resize(ramp, [1, 8], "bicubic")[0, 3, 0]) == 1.25
    # Antialiased bilinear 4 -> 2: a triangle of radius 2 at 1.0: weights .75 .75 .25 0.
    np.testing.assert_allclose(ir.resize(ramp, [1, 2], antialias=True)[0, 0, 0], 1.25 / 1.75,
                               rtol=1e-6)


def test_resize_dtypes_ranks_and_aspect_ratio():
    img = (R.random((5, 7, 3)) * 255).astype(np.uint8)
    assert ir.resize(img, [3, 3]).dtype == engine.float32
    assert ir.resize(img.astype(np.float64), [3, 3]).dtype == engine.float32
    nearest = ir.resize(img, [10, 14], method=engine.image.ResizeMethod.NEAREST_NEIGHBOR)
    assert nearest.dtype == engine.uint8
    np.testing.assert_array_equal(nearest.numpy(), img.repeat(2, 0).repeat(2, 1))
    assert ir.resize(img, [10, 10], preserve_aspect_ratio=True).shape == (7, 10, 3)
    assert ir.resize(img, [100, 14], preserve_aspect_ratio=True).shape == (10, 14, 3)
    same = ir.resize(img, [5, 7])  # float32, but every pixel kept
    np.testing.assert_array_equal(same.numpy(), img.astype(F32))
    size = engine.constant([2, 6])
    assert ir.resize(img[None], size).shape == (1, 2, 6, 3)


def test_resize_with_pad_hand_values():
    tall = np.ones((4, 2, 1))
    out = ir.resize_with_pad(tall, 4, 8)[..., 0].numpy()
    np.testing.assert_array_equal(out, np.pad(np.ones((4, 2)), [[0, 0], [3, 3]]))
    out = ir.resize_with_pad(np.ones((2, 6, 1)), 4, 3)  # ratio 2: 1 x 3, 1 row above
    assert out.shape == (4, 3, 1)
    np.testing.assert_array_equal(out[..., 0].numpy(), [[0, 0, 0], [1, 1, 1], [0, 0, 0],
                                                        [0, 0, 0]])


# --- resize: gradients, tracing ---------------------------------------------------------------
@pytest.mark.parametrize("method, antialias", [("bilinear", False), ("bilinear", True),
                                               ("bicubic", False), ("area", False),
                                               ("nearest", False)])
@pytest.mark.parametrize("size", [[3, 9], [7, 2]])
def test_resize_gradients_by_finite_differences(method, antialias, size):
    # The output is float32 (as in TF) and linear in the images: wide steps lose nothing.
    img = R.random((2, 5, 4, 2))
    check_grad(in_float64(lambda x: ir.resize(x, size, method=method, antialias=antialias)),
               [img], eps=0.5, rtol=2e-6, atol=1e-5)


def test_resize_large_axes_use_gathers_with_the_same_values():
    img = R.random((1, 300, 2, 1)).astype(F32)
    rows = bicubic_weights(300, 7)
    got = ir.resize(img, [7, 2], method="bicubic").numpy()
    np.testing.assert_allclose(got, ref_separable(img, rows, np.eye(2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ir.resize(img, [450, 2]).numpy(),
                               ref_bilinear(img, 450, 2), rtol=1e-5, atol=1e-6)
    check_grad(in_float64(lambda x: ir.resize(x, [7, 2])), [img.astype(np.float64)], eps=0.5,
               rtol=2e-6, atol=1e-5)


@pytest.mark.parametrize("method, antialias", [("bilinear", False), ("nearest", False),
                                               ("bicubic", False), ("area", False),
                                               ("bilinear", True)])
def test_resize_traced_with_unknown_sizes(method, antialias):
    img = R.random((2, 5, 7, 3)).astype(F32)

    def fn(x, size):
        return ir.resize(x, size, method=method, antialias=antialias)

    unknown = engine.function(fn, input_signature=[S([None, None, None, 3]), S([2], engine.int32)])
    static_size = engine.function(lambda x: fn(x, [3, 9]),
                                  input_signature=[S([None, None, None, 3])])
    want = fn(img, [3, 9]).numpy()
    np.testing.assert_allclose(unknown(img, np.array([3, 9], np.int32)).numpy(), want,
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(static_size(img).numpy(), want, rtol=1e-6, atol=1e-7)
    out = static_size.get_concrete_function().outputs[0]
    assert out.shape.as_list() == [None, 3, 9, 3]
    with engine.GradientTape() as tape:  # gradients through the run-time tables
        x = engine.constant(img)
        tape.watch(x)
        y = engine.reduce_sum(unknown(x, np.array([3, 9], np.int32)) ** 2)
    with engine.GradientTape() as eager_tape:
        eager_tape.watch(x)
        z = engine.reduce_sum(fn(x, [3, 9]) ** 2)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), eager_tape.gradient(z, x).numpy(),
                               rtol=1e-5, atol=1e-6)


# --- errors -----------------------------------------------------------------------------------
def test_bad_resize_arguments_raise_clear_errors():
    img = np.zeros((4, 4, 3), F32)
    with pytest.raises(ShapeError, match="resize: got an image of shape \\(4, 4\\)"):
        ir.resize(img[..., 0], [2, 2])
    with pytest.raises(ValueError, match="method='bogus'; expected one of 'bilinear'"):
        ir.resize(img, [2, 2], method="bogus")
    with pytest.raises(ShapeError, match="expected 2 elements"):
        ir.resize(img, [2, 2, 2])
    with pytest.raises(ShapeError, match="size\\[1\\]=0; expected a positive"):
        ir.resize(img, [2, 0])
    with pytest.raises(TypeError, match="expected an int"):
        ir.resize(img, [2.5, 2])
