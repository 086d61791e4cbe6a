"""timestamp, realdiv, bitcast, angle, lbeta, nextafter, the Bessel functions and the
convolution aliases of engine/ops/more_extras.py."""

import math
import time

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops.conv_ops import conv1d_transpose, conv2d, conv2d_transpose
from engine.ops.more_extras import (
    angle,
    atrous_conv2d,
    atrous_conv2d_transpose,
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
    bitcast,
    conv_transpose,
    lbeta,
    nextafter,
    realdiv,
    timestamp,
)
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(7)


def _bessel_scaled_ref(x, n):
    """I_n(|x|) e^-|x| (times sign(x)^n) by the trapezoidal rule on
    (1/pi) int_0^pi e^{|x|(cos t - 1)} cos(n t) dt: spectrally accurate for a periodic,
    analytic integrand (independent of the series / asymptotic kernel)."""
    t = np.linspace(0.0, np.pi, 8001)
    w = np.full(t.size, 1.0)
    w[[0, -1]] = 0.5
    a = np.abs(np.asarray(x, np.float64))[..., None]
    values = (np.exp(a * (np.cos(t) - 1.0)) * np.cos(n * t) * w).sum(-1) / (t.size - 1)
    return values * (np.sign(x) if n % 2 else 1.0)


def _off_zero(x):
    return np.where(np.abs(x) < 0.05, 0.3, x)


# --- Bessel functions --------------------------------------------------------------------
def test_bessel_scaled_match_an_independent_quadrature_across_the_series_asymptotic_seam():
    x = np.array([-200.0, -31.0, -3.0, -1e-4, 0.0, 1e-3, 0.5, 2.0, 9.0, 29.99, 30.0, 30.01,
                  45.0, 120.0, 700.0])
    np.testing.assert_allclose(bessel_i0e(x).numpy(), _bessel_scaled_ref(x, 0), rtol=1e-13)
    np.testing.assert_allclose(bessel_i1e(x).numpy(), _bessel_scaled_ref(x, 1), rtol=1e-13,
                               atol=1e-16)  # the quadrature cancels near 0: see the series test


def test_bessel_small_x_series_and_large_x_asymptotics():
    x = np.array([1e-8, 1e-4, 0.01])  # I0 ~ 1 + x^2/4 + x^4/64; I1 ~ x/2 + x^3/16
    np.testing.assert_allclose(bessel_i0(x).numpy(), 1 + x**2 / 4 + x**4 / 64, rtol=1e-15)
    np.testing.assert_allclose(bessel_i1(x).numpy(), x / 2 + x**3 / 16 + x**5 / 384, rtol=1e-15)
    big = np.array([1e4, 1e6, 1e9])  # I_n(x) e^-x ~ (1 - (4n^2 - 1) / (8x)) / sqrt(2 pi x)
    for fn, mu in ((bessel_i0e, 0.0), (bessel_i1e, 4.0)):
        expected = (1 - (mu - 1) / (8 * big)) / np.sqrt(2 * np.pi * big)
        np.testing.assert_allclose(fn(big).numpy(), expected, rtol=1e-8)


def test_bessel_i0_matches_numpy_i0_and_overflows_to_inf():
    x = R.uniform(-40, 40, 50)
    check_op(bessel_i0, np.i0, [_off_zero(R.uniform(-5, 5, (3, 4)))], grad_rtol=1e-5)
    np.testing.assert_allclose(bessel_i0(x).numpy(), np.i0(x), rtol=1e-13)
    np.testing.assert_allclose(bessel_i0e(x).numpy(), np.i0(x) * np.exp(-np.abs(x)), rtol=1e-13)
    assert np.isinf(bessel_i0(np.array([800.0])).numpy()).all()
    assert np.isnan(bessel_i0e(np.array([np.nan])).numpy()).all()


@pytest.mark.parametrize("fn, n", [(bessel_i0e, 0), (bessel_i1e, 1)])
def test_bessel_scaled_ops_forward_and_gradients(fn, n):
    x = _off_zero(R.uniform(-6, 6, (3, 4)))
    check_op(fn, lambda a: _bessel_scaled_ref(a, n), [x], grad_rtol=1e-5)
    check_op(fn, lambda a: _bessel_scaled_ref(a, n), [R.uniform(31, 60, (5,))], grad_rtol=1e-5)


def test_bessel_i1_forward_and_gradients():
    x = _off_zero(R.uniform(-6, 6, (3, 4)))
    check_op(bessel_i1, lambda a: _bessel_scaled_ref(a, 1) * np.exp(np.abs(a)), [x],
             grad_rtol=1e-5)


def test_bessel_derivative_identities_and_second_order():
    x = engine.constant(np.array([-3.0, -0.5, 0.0, 0.7, 4.0]))
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(x)
        i0, i1 = bessel_i0(x), bessel_i1(x)
    np.testing.assert_allclose(tape.gradient(i0, x).numpy(), i1.numpy(), rtol=1e-12)
    xs = x.numpy()
    expected = np.where(xs == 0, 0.5, i0.numpy() - i1.numpy() / np.where(xs == 0, 1, xs))
    np.testing.assert_allclose(tape.gradient(i1, x).numpy(), expected, rtol=1e-12)
    check_grad(lambda a: _grad(bessel_i1e, a), [np.array([0.4, -1.3])])  # second order


def _grad(fn, a):
    with engine.GradientTape() as tape:
        tape.watch(a)
        y = fn(a)
    return tape.gradient(y, a)


def test_bessel_traced_with_unknown_dims_and_bad_dtype():
    f = engine.function(lambda x: (bessel_i0e(x), bessel_i1(x)),
                        input_signature=[engine.TensorSpec([None], engine.float32)])
    x = np.array([0.5, -2.0, 35.0], np.float32)
    a, b = f(x)
    np.testing.assert_allclose(a.numpy(), _bessel_scaled_ref(x, 0), rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), _bessel_scaled_ref(x, 1) * np.exp(np.abs(x)), rtol=1e-5)
    with pytest.raises(DTypeError, match="bessel_i0e"):
        bessel_i0e(engine.constant([1, 2]))


# --- timestamp, realdiv ------------------------------------------------------------------
def test_timestamp_eager_and_at_graph_run_time():
    before = time.time()
    now = timestamp()
    assert now.dtype == engine.float64 and now.shape == () and before <= float(now) <= time.time()
    f = engine.function(lambda: timestamp())
    first = float(f())
    time.sleep(0.02)
    second = float(f())
    assert second - first >= 0.015  # read when the graph runs, not once while tracing
    assert f.get_concrete_function().structured_outputs.shape == ()


def test_realdiv_floats_complex_and_refuses_integers():
    check_op(realdiv, np.divide, [R.standard_normal((3, 4)), R.uniform(0.5, 2, (4,))])
    z = realdiv(engine.constant([1 + 1j]), engine.constant([2j]))
    np.testing.assert_allclose(z.numpy(), [(1 + 1j) / 2j])
    assert realdiv(engine.constant([3.0], engine.float64), 2).dtype == engine.float64
    with pytest.raises(DTypeError, match="truediv"):
        realdiv(engine.constant([3]), engine.constant([2]))
    with pytest.raises(DTypeError):
        realdiv(engine.constant([3.0]), engine.constant([2]))
    f = engine.function(realdiv, input_signature=[engine.TensorSpec([None], engine.float32)] * 2)
    np.testing.assert_allclose(f(np.float32([1, 3]), np.float32([2, 4])).numpy(), [0.5, 0.75])


# --- bitcast -----------------------------------------------------------------------------
@pytest.mark.parametrize("src, dst", [("float32", "int32"), ("float32", "uint8"),
                                      ("float64", "int16"), ("uint8", "float32"),
                                      ("int16", "float64"), ("complex64", "float32"),
                                      ("float32", "complex64")])
def test_bitcast_matches_numpy_view_with_tf_shape_rules(src, dst):
    a = R.standard_normal(24).view(np.uint8)[:96].view(np.dtype(src)).copy()
    insize, outsize = np.dtype(src).itemsize, np.dtype(dst).itemsize
    shape = (2, 3, max(outsize // insize, 1)) if insize < outsize else (2, 3)
    a = a[:int(np.prod(shape))].reshape(shape)
    got = bitcast(engine.constant(a), getattr(engine, dst)).numpy()
    expected = a.reshape(-1).view(dst)
    expected = expected.reshape(shape + (insize // outsize,) if insize > outsize else
                                shape[:-1] if insize < outsize else shape)
    assert got.dtype == np.dtype(dst)
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))


def test_bitcast_scalar_traced_and_errors():
    assert int(bitcast(engine.constant(1.0), engine.int32)) == 0x3F800000
    assert bitcast(engine.constant(1.0), engine.uint8).shape == (4,)
    f = engine.function(lambda x: bitcast(x, engine.uint16),
                        input_signature=[engine.TensorSpec([None, 3], engine.float32)])
    concrete = f.get_concrete_function()
    assert concrete.structured_outputs.shape.as_list() == [None, 3, 2]
    np.testing.assert_array_equal(f(np.ones((2, 3), np.float32)).numpy(),
                                  np.ones((2, 3), np.float32).view(np.uint16).reshape(2, 3, 2))
    with pytest.raises(InvalidArgumentError, match="last dimension to be 4"):
        bitcast(engine.constant(np.zeros(3, np.uint8)), engine.float32)
    with pytest.raises(InvalidArgumentError, match="last dimension"):
        bitcast(engine.constant(np.uint8(1)), engine.int16)
    with pytest.raises(DTypeError, match="bool"):
        bitcast(engine.constant([True]), engine.uint8)
    with pytest.raises(DTypeError):
        bitcast(engine.constant([1.0]), engine.string)


# --- angle, lbeta, nextafter -------------------------------------------------------------
def test_angle_complex_and_real():
    z = (R.standard_normal((3, 4)) + 1j * R.standard_normal((3, 4)))
    for dtype, real in ((np.complex64, np.float32), (np.complex128, np.float64)):
        got = angle(engine.constant(z.astype(dtype)))
        assert got.dtype == real
        np.testing.assert_allclose(got.numpy(), np.angle(z.astype(dtype)), rtol=1e-6)
    np.testing.assert_array_equal(angle(engine.constant([-2.0, 0.0, 3.0])).numpy(),
                                  np.float32([math.pi, 0, 0]))
    with pytest.raises(DTypeError, match="angle"):
        angle(engine.constant([1, -1]))
    f = engine.function(angle, input_signature=[engine.TensorSpec([None], engine.complex64)])
    np.testing.assert_allclose(f(np.complex64([1j, -1])).numpy(), [math.pi / 2, math.pi])


def _lbeta_ref(a):
    lg = np.vectorize(math.lgamma)
    return lg(a).sum(-1) - lg(a.sum(-1))


def test_lbeta_values_gradients_and_errors():
    check_op(lbeta, _lbeta_ref, [R.uniform(0.3, 4.0, (3, 4))], rtol=1e-6)
    check_op(lbeta, _lbeta_ref, [R.uniform(0.3, 4.0, (5,))], rtol=1e-6)
    np.testing.assert_allclose(lbeta(engine.constant([2.0, 3.0])).numpy(), math.log(1 / 12),
                               rtol=1e-6)
    with pytest.raises(ShapeError, match="rank >= 1"):
        lbeta(engine.constant(2.0))
    f = engine.function(lbeta, input_signature=[engine.TensorSpec([None, None], engine.float64)])
    np.testing.assert_allclose(f(np.array([[1.0, 1.0]])).numpy(), [0.0], atol=1e-12)


def test_nextafter_matches_numpy_no_gradient_and_dtypes():
    x1, x2 = R.standard_normal((3, 4)), np.array([np.inf, -np.inf, 0.0, 1.0])
    for dtype in (np.float32, np.float64):
        got = nextafter(engine.constant(x1.astype(dtype)), engine.constant(x2.astype(dtype)))
        np.testing.assert_array_equal(got.numpy(), np.nextafter(x1.astype(dtype), x2.astype(dtype)))
    x = engine.constant([1.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = nextafter(x, 2.0)
    assert tape.gradient(y, x) is None
    with pytest.raises(DTypeError, match="nextafter"):
        nextafter(engine.constant([1]), engine.constant([2]))
    with pytest.raises(DTypeError):
        nextafter(engine.constant([1.0], engine.float16), engine.constant([2.0], engine.float16))
    f = engine.function(nextafter, input_signature=[engine.TensorSpec([None], engine.float64)] * 2)
    assert float(f(np.array([0.0]), np.array([1.0]))[0]) == 5e-324


# --- convolution aliases -----------------------------------------------------------------
def test_conv_transpose_dispatches_by_output_rank():
    x2, w2 = R.standard_normal((2, 3, 3, 4)), R.standard_normal((3, 3, 2, 4))
    np.testing.assert_allclose(
        conv_transpose(x2, w2, [2, 6, 6, 2], strides=2).numpy(),
        conv2d_transpose(x2, w2, [2, 6, 6, 2], strides=2).numpy())
    x1, w1 = R.standard_normal((2, 4, 3)), R.standard_normal((3, 2, 3))
    np.testing.assert_allclose(
        conv_transpose(x1, w1, engine.constant([2, 8, 2]), strides=2, padding="SAME").numpy(),
        conv1d_transpose(x1, w1, [2, 8, 2], strides=2).numpy())
    xc = np.transpose(x2, (0, 3, 1, 2))
    np.testing.assert_allclose(
        conv_transpose(xc, w2, [2, 2, 6, 6], 2, data_format="NCHW").numpy(),
        np.transpose(conv2d_transpose(x2, w2, [2, 6, 6, 2], 2).numpy(), (0, 3, 1, 2)))
    check_grad(lambda a, b: conv_transpose(a, b, [2, 6, 6, 2], 2), [x2, w2])
    with pytest.raises(ShapeError, match="conv3d"):  # 5 sizes: a 3-D one, of 5-D tensors
        conv_transpose(x2, w2, [1, 2, 3, 4, 5], 1)
    with pytest.raises(ShapeError, match="3 \\(1-D\\), 4 \\(2-D\\) or 5"):
        conv_transpose(x2, w2, [1, 2], 1)


def test_atrous_conv2d_and_transpose_are_dilated_convolutions():
    x, w = R.standard_normal((1, 9, 9, 2)), R.standard_normal((3, 3, 2, 3))
    for padding in ("SAME", "VALID"):
        y = atrous_conv2d(x, w, rate=2, padding=padding)
        np.testing.assert_allclose(y.numpy(), conv2d(x, w, 1, padding, dilations=2).numpy())
    assert atrous_conv2d(x, w, 2, "VALID").shape == (1, 5, 5, 3)
    # A dilated 3x3 filter with rate 2 is the 5x5 filter with zeros between its taps.
    w5 = np.zeros((5, 5, 2, 3))
    w5[::2, ::2] = w
    np.testing.assert_allclose(atrous_conv2d(x, w, 2, "VALID").numpy(),
                               conv2d(x, w5, 1, "VALID").numpy(), rtol=1e-12)
    dy = R.standard_normal((1, 5, 5, 3))
    np.testing.assert_allclose(
        atrous_conv2d_transpose(dy, w, [1, 9, 9, 2], rate=2, padding="VALID").numpy(),
        conv2d_transpose(dy, w5, [1, 9, 9, 2], 1, "VALID").numpy(), rtol=1e-12)
    check_grad(lambda a, b: atrous_conv2d(a, b, 2, "SAME"), [x[:, :6, :6], w])
    check_grad(lambda a: atrous_conv2d_transpose(a, w, [1, 9, 9, 2], 2, "VALID"), [dy])
    for bad in (0, 1.5, True):
        with pytest.raises(InvalidArgumentError, match="rate"):
            atrous_conv2d(x, w, bad, "SAME")
    f = engine.function(lambda a: atrous_conv2d(a, w.astype(np.float32), 2, "SAME"),
                        input_signature=[engine.TensorSpec([None, 9, 9, 2], engine.float32)])
    assert f(x.astype(np.float32)).shape == (1, 9, 9, 3)
