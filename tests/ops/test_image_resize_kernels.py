"""engine.image.resize's 'lanczos3', 'lanczos5', 'gaussian' and 'mitchellcubic': against NumPy
references written here (a loop over pixels of the scale-and-translate definition), values
pinned from TensorFlow 2.21, float64 numerical gradients and tracing with unknown sizes."""

import math

import numpy as np
import pytest

import engine
from engine.ops import image_resize as ir
from tests.opcheck import check_grad

R = np.random.default_rng(21)
S = engine.TensorSpec
METHODS = ["lanczos3", "lanczos5", "gaussian", "mitchellcubic"]


# --- NumPy references -------------------------------------------------------------------------
def lanczos(radius):
    def kernel(d):
        if d > radius:
            return 0.0
        if d < 1e-3:
            return 1.0
        return radius * math.sin(math.pi * d) * math.sin(math.pi * d / radius) / (
            math.pi * d) ** 2
    return kernel


def gaussian(d):
    return math.exp(-d * d / (2 * 0.5 ** 2)) if d < 1.5 else 0.0


def mitchell(d, b=1 / 3, c=1 / 3):
    if d < 1:
        return ((12 - 9 * b - 6 * c) * d ** 3 + (-18 + 12 * b + 6 * c) * d ** 2 + 6 - 2 * b) / 6
    if d < 2:
        return ((-b - 6 * c) * d ** 3 + (6 * b + 30 * c) * d ** 2 + (-12 * b - 48 * c) * d
                + 8 * b + 24 * c) / 6
    return 0.0


KERNELS = {"lanczos3": lanczos(3), "lanczos5": lanczos(5), "gaussian": gaussian,
           "mitchellcubic": mitchell}


def weights(method, antialias, n_in, n_out):
    """(out, in): the kernel at each input pixel's distance from the output pixel's centre."""
    scale = n_in / n_out
    widen = max(scale, 1.0) if antialias else 1.0
    radius = {"lanczos3": 3, "lanczos5": 5, "gaussian": 1.5, "mitchellcubic": 2}[method]
    matrix = np.zeros((n_out, n_in))
    for o in range(n_out):
        centre = (o + 0.5) * scale
        for i in range(n_in):
            d = abs(i + 0.5 - centre) / widen
            matrix[o, i] = KERNELS[method](d) if d <= radius else 0.0
        matrix[o] /= matrix[o].sum()
    return matrix


def reference(img, method, antialias, oh, ow):
    _, h, w, _ = img.shape
    rows, cols = weights(method, antialias, h, oh), weights(method, antialias, w, ow)
    return np.einsum("oh,nhwc,pw->nopc", rows, img.astype(np.float64), cols)


def in_float64(fn):
    return lambda *args: engine.cast(fn(*args), engine.float64)


# --- values -----------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("h, w, oh, ow", [(5, 7, 3, 12), (9, 4, 4, 9), (6, 6, 6, 6)])
def test_kernel_methods_match_the_numpy_reference(method, antialias, h, w, oh, ow):
    img = R.random((2, h, w, 3))
    got = ir.resize(img, [oh, ow], method=method, antialias=antialias)
    assert got.dtype == engine.float32 and got.shape == (2, oh, ow, 3)
    np.testing.assert_allclose(got.numpy(), reference(img, method, antialias, oh, ow),
                               rtol=2e-5, atol=2e-6)


RAMP = (np.arange(10, dtype=np.float32) ** 2).reshape(1, 10, 1)
# resize(RAMP, [1, n], method, antialias)[0, :, 0] computed by TensorFlow 2.21.
TF_VALUES = [
    ("lanczos3", 4, False, [0.5946363, 10.433806, 33.290184, 69.43376]),
    ("lanczos3", 4, True, [0.761773, 9.946543, 33.649765, 68.12512]),
    ("lanczos5", 4, False, [0.5770471, 10.574235, 32.58698, 69.722466]),
    ("lanczos5", 4, True, [0.920079, 10.234162, 33.32866, 67.92901]),
    ("gaussian", 4, False, [0.84586054, 10.640881, 33.60208, 67.88466]),
    ("gaussian", 4, True, [2.1598668, 11.992286, 34.6733, 63.334053]),
    ("mitchellcubic", 4, False, [0.6783576, 10.673611, 33.17361, 68.636444]),
    ("mitchellcubic", 4, True, [1.4070786, 11.215546, 34.202442, 65.50182]),
    ("gaussian", 10, False, [0.11920291, 1.2130139, 4.2130136, 9.213013, 16.213013,
                             25.213013, 36.213013, 49.213013, 64.21301, 78.97354]),
    ("mitchellcubic", 10, False, [0.058823675, 1.1111114, 4.1111116, 9.111112, 16.11111,
                                  25.11111, 36.111115, 49.111115, 64.111115, 80.0]),
]


@pytest.mark.parametrize("method, n, antialias, want", TF_VALUES)
def test_kernel_methods_match_tensorflow(method, n, antialias, want):
    got = ir.resize(RAMP, [1, n], method=method, antialias=antialias)[0, :, 0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_upsampling_pinned_tf_values_and_antialias_has_no_effect():
    # TensorFlow 2.21: resize(RAMP, [1, 23]) at outputs 0, 11 and 22.
    want = {"lanczos3": [-0.021371722, 20.250002, 82.84151],
            "lanczos5": [-0.017957523, 20.250002, 82.95364],
            "gaussian": [0.041869152, 20.5, 80.28823],
            "mitchellcubic": [-0.03844596, 20.361113, 81.65359]}
    for method, values in want.items():
        plain = ir.resize(RAMP, [1, 23], method=method)[0, :, 0].numpy()
        np.testing.assert_allclose(plain[[0, 11, 22]], values, rtol=1e-5, atol=1e-6)
        wide = ir.resize(RAMP, [1, 23], method=method, antialias=True)[0, :, 0].numpy()
        np.testing.assert_array_equal(plain, wide)


def test_lanczos_keeps_a_same_size_image_and_gaussian_blurs_it():
    img = R.random((4, 5, 2)).astype(np.float32)
    np.testing.assert_allclose(ir.resize(img, [4, 5], "lanczos3").numpy(), img, atol=1e-5)
    blurred = ir.resize(img, [4, 5], "gaussian").numpy()
    assert np.abs(blurred - img).max() > 0.01
    constant = np.full((3, 8, 8, 1), 2.5, np.float32)  # normalized weights keep constants
    for method in METHODS:
        out = ir.resize(constant, [5, 11], method=method, antialias=True).numpy()
        np.testing.assert_allclose(out, 2.5, rtol=1e-6)


def test_method_names_and_int_images():
    img = (R.random((5, 5, 3)) * 255).astype(np.uint8)
    out = ir.resize(img, [3, 3], method=engine.image.ResizeMethod.LANCZOS5)
    assert out.dtype == engine.float32
    np.testing.assert_allclose(out.numpy(), reference(img[None], "lanczos5", False, 3, 3)[0],
                               rtol=1e-5, atol=1e-4)
    assert ir.resize(img, [6, 6], "MitchellCubic").shape == (6, 6, 3)


# --- gradients, tracing -----------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("antialias, size", [(False, [3, 9]), (True, [2, 3]), (False, [5, 4])])
def test_kernel_method_gradients_by_finite_differences(method, antialias, size):
    # The output is float32 and linear in the image: wide steps lose nothing.
    img = R.random((2, 5, 4, 2))
    check_grad(in_float64(lambda x: ir.resize(x, size, method=method, antialias=antialias)),
               [img], eps=0.5, rtol=2e-6, atol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_kernel_methods_traced_with_unknown_sizes(method):
    img = R.random((2, 5, 7, 3)).astype(np.float32)

    def fn(x, size):
        return ir.resize(x, size, method=method, antialias=True)

    unknown = engine.function(fn, input_signature=[S([None, None, None, 3]),
                                                   S([2], engine.int32)])
    for size in ([3, 9], [5, 7]):
        np.testing.assert_allclose(unknown(img, np.array(size, np.int32)).numpy(),
                                   fn(img, size).numpy(), rtol=1e-5, atol=1e-6)
    with engine.GradientTape() as tape:
        x = engine.constant(img)
        tape.watch(x)
        y = engine.reduce_sum(unknown(x, np.array([3, 4], np.int32)) ** 2)
    with engine.GradientTape() as eager_tape:
        eager_tape.watch(x)
        z = engine.reduce_sum(fn(x, [3, 4]) ** 2)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), eager_tape.gradient(z, x).numpy(),
                               rtol=1e-5, atol=1e-6)
