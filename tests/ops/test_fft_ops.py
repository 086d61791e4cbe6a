"""engine.signal FFTs (fft_ops): against np.fft in both precisions, gradients through
real-valued functions of real inputs (finite differences cover the complex chain), traced
with unknown batch sizes, and the errors."""

import numpy as np
import pytest

import engine
import engine.signal  # noqa: F401 - the public namespace, for the docstring examples
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import fft_ops as fo
from tests.opcheck import check_forward, check_grad

R = np.random.default_rng(5)
S = engine.TensorSpec
C128 = engine.complex128
REAL, IMAG = engine.math.real, engine.math.imag


def _complex(shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def _as_complex(t):
    return engine.cast(t, C128)


def _general_complex(t, rows, cols):
    """An arbitrary complex tensor from a real one: interior bins of its 2-D FFT.

    (Built without complex multiplication, whose gradient is checked elsewhere.)
    """
    return fo.fft2d(_as_complex(t))[1:1 + rows, 1:1 + cols]


# --- complex transforms -------------------------------------------------------------------------
@pytest.mark.parametrize("fn, ref, k", [
    (fo.fft, np.fft.fft, 1), (fo.ifft, np.fft.ifft, 1),
    (fo.fft2d, np.fft.fft2, 2), (fo.ifft2d, np.fft.ifft2, 2),
    (fo.fft3d, lambda z: np.fft.fftn(z, axes=(-3, -2, -1)), 3),
    (fo.ifft3d, lambda z: np.fft.ifftn(z, axes=(-3, -2, -1)), 3)])
def test_complex_transforms_match_numpy(fn, ref, k):
    z = _complex((2, 3, 4, 5))
    check_forward(fn, ref, [z])
    single = fn(engine.constant(z.astype(np.complex64)))
    assert single.dtype == engine.complex64  # TensorFlow keeps the precision
    np.testing.assert_allclose(single.numpy(), ref(z), rtol=1e-4, atol=1e-4)
    # the round trip through the inverse
    inverse = {fo.fft: fo.ifft, fo.ifft: fo.fft, fo.fft2d: fo.ifft2d, fo.ifft2d: fo.fft2d,
               fo.fft3d: fo.ifft3d, fo.ifft3d: fo.fft3d}[fn]
    np.testing.assert_allclose(inverse(fn(engine.constant(z))).numpy(), z, atol=1e-12)
    assert fn(engine.constant(z)).shape == list(z.shape) and k <= 3


@pytest.mark.parametrize("fn", [fo.fft, fo.ifft, fo.fft2d, fo.ifft2d, fo.fft3d, fo.ifft3d])
@pytest.mark.parametrize("part", [REAL, IMAG])
def test_complex_transform_gradients(fn, part):
    x = R.standard_normal((2, 5, 6))
    check_grad(lambda t: part(fn(_general_complex(t, 4, 4))), [x])


def test_fft_gradient_is_the_scaled_inverse():
    # TensorFlow's rule: the gradient of fft is ifft(g) * n for a complex cotangent g.
    z = engine.constant(_complex(6))
    g = _complex(6)
    with engine.GradientTape() as tape:
        tape.watch(z)
        y = fo.fft(z)
    got = tape.gradient(y, z, output_gradients=engine.constant(g)).numpy()
    np.testing.assert_allclose(got, np.fft.ifft(g) * 6, atol=1e-12)


def test_power_spectrum_loss_gradient():
    # loss = sum |fft(x)|^2 = n * sum x^2 (Parseval), so d loss / dx = 2 n x.
    x = R.standard_normal(8)
    t = engine.constant(x)
    with engine.GradientTape() as tape:
        tape.watch(t)
        spectrum = fo.fft(_as_complex(t))
        loss = engine.reduce_sum(REAL(spectrum) ** 2 + IMAG(spectrum) ** 2)
    np.testing.assert_allclose(tape.gradient(loss, t).numpy(), 16 * x, rtol=1e-10)


# --- real transforms ----------------------------------------------------------------------------
@pytest.mark.parametrize("n", [None, 5, 8, 12])
def test_rfft_matches_numpy_and_crops_or_pads(n):
    x = R.standard_normal((3, 8))
    lengths = None if n is None else [n]
    check_forward(lambda t: fo.rfft(t, lengths), lambda a: np.fft.rfft(a, n), [x],
                  atol=1e-5)
    assert fo.rfft(engine.constant(x.astype(np.float32)), lengths).dtype == engine.complex64
    assert fo.rfft(engine.constant(x), lengths).dtype == C128


@pytest.mark.parametrize("n", [None, 5, 6, 14])
def test_irfft_matches_numpy(n):
    z = _complex((2, 4))
    lengths = None if n is None else [n]
    got = fo.irfft(engine.constant(z), lengths)
    assert got.dtype == engine.float64
    np.testing.assert_allclose(got.numpy(), np.fft.irfft(z, n), atol=1e-12)
    single = fo.irfft(engine.constant(z.astype(np.complex64)), lengths)
    assert single.dtype == engine.float32


@pytest.mark.parametrize("lengths", [None, [3, 4], [6, 7]])
def test_rfft2d_and_irfft2d_match_numpy(lengths):
    x = R.standard_normal((2, 4, 6))
    s = None if lengths is None else tuple(lengths)
    check_forward(lambda t: fo.rfft2d(t, lengths), lambda a: np.fft.rfft2(a, s), [x],
                  atol=1e-5)
    z = np.fft.rfft2(x)
    got = fo.irfft2d(engine.constant(z), lengths).numpy()
    np.testing.assert_allclose(got, np.fft.irfft2(z, s), atol=1e-12)


@pytest.mark.parametrize("n", [5, 6, 8, 11])
@pytest.mark.parametrize("part", [REAL, IMAG])
def test_rfft_gradients_count_hermitian_bins(n, part):
    # Length 8 cropped (5, 6), kept (8) or padded (11); even and odd n differ in the
    # Nyquist bin, which only one packed bin stands for.
    check_grad(lambda t: part(fo.rfft(t, [n])), [R.standard_normal((3, 8))])
    check_grad(lambda t: part(fo.rfft2d(t, [3, n])), [R.standard_normal((4, 8))])


@pytest.mark.parametrize("n", [5, 6, 8, 11])
def test_irfft_gradients(n):
    x = R.standard_normal((6, 10))
    check_grad(lambda t: fo.irfft(_general_complex(t, 3, 4), [n]), [x])
    check_grad(lambda t: fo.irfft2d(_general_complex(t, 3, 4), [2, n]), [x])


def test_rfft_round_trip_and_its_gradient_are_identities():
    x = R.standard_normal((2, 7))
    back = lambda t: fo.irfft(fo.rfft(t), [7])  # noqa: E731
    np.testing.assert_allclose(back(engine.constant(x)).numpy(), x, atol=1e-12)
    check_grad(back, [x])


# --- shifts -------------------------------------------------------------------------------------
@pytest.mark.parametrize("axes", [None, 0, [1], (0, 1), -1])
def test_fftshift_and_ifftshift_match_numpy(axes):
    x = R.standard_normal((5, 6))
    check_forward(lambda t: fo.fftshift(t, axes), lambda a: np.fft.fftshift(a, axes), [x])
    check_forward(lambda t: fo.ifftshift(t, axes), lambda a: np.fft.ifftshift(a, axes), [x])
    check_grad(lambda t: fo.fftshift(t, axes), [x])


# --- traced -------------------------------------------------------------------------------------
def test_traced_with_unknown_batch_matches_eager():
    x = R.standard_normal((3, 8)).astype(np.float32)
    z = _complex((3, 4, 4)).astype(np.complex64)

    def spectra(t, c):
        return fo.rfft(t, [6]), fo.irfft(fo.rfft(t)), fo.fft2d(c), fo.ifft(c), fo.fftshift(t, -1)

    traced = engine.function(spectra, input_signature=[S([None, 8]),
                                                        S([None, None, None], engine.complex64)])
    for got, want in zip(traced(x, z), spectra(engine.constant(x), engine.constant(z))):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)

    @engine.function(input_signature=[S([None, 8], engine.float64)])
    def grad(t):
        with engine.GradientTape() as tape:
            tape.watch(t)
            loss = engine.reduce_sum(REAL(fo.rfft(t, [6])) * 2.0 + IMAG(fo.rfft(t, [6])))
        return tape.gradient(loss, t)

    x64 = x.astype(np.float64)
    with engine.GradientTape() as tape:
        t = engine.constant(x64)
        tape.watch(t)
        loss = engine.reduce_sum(REAL(fo.rfft(t, [6])) * 2.0 + IMAG(fo.rfft(t, [6])))
    np.testing.assert_allclose(grad(x64).numpy(), tape.gradient(loss, t).numpy(), atol=1e-12)


# --- errors -------------------------------------------------------------------------------------
def test_bad_inputs_raise_clear_errors():
    with pytest.raises(DTypeError, match="fft: got dtype float32.*complex"):
        fo.fft(engine.constant([1.0, 2.0]))
    with pytest.raises(DTypeError, match="rfft: got dtype complex128.*float32"):
        fo.rfft(engine.constant([1 + 1j]))
    with pytest.raises(DTypeError, match="irfft"):
        fo.irfft(engine.constant([1.0, 2.0]))
    with pytest.raises(ShapeError, match="fft2d.*rank >= 2"):
        fo.fft2d(engine.constant([1 + 1j]))
    with pytest.raises(InvalidArgumentError, match="rfft.*fft_length=\\[0\\]"):
        fo.rfft(engine.constant([1.0, 2.0]), [0])
    with pytest.raises(InvalidArgumentError, match="rfft2d.*expected 2"):
        fo.rfft2d(engine.ones([2, 2]), [4])
    with pytest.raises(InvalidArgumentError, match="fft_length"):
        fo.rfft(engine.constant([1.0, 2.0]), "four")
    traced = engine.function(lambda t: fo.rfft(t), input_signature=[S([2, None])])
    with pytest.raises(ShapeError, match="rfft.*fft_length"):
        traced(np.ones((2, 4), np.float32))
    with pytest.raises(ShapeError, match="fftshift"):
        engine.function(lambda t: fo.fftshift(t), input_signature=[S([None])])(np.ones(3))
