"""engine.signal windows, framing, STFT and mel features (signal_ops): against NumPy loops
and TF 2's documented formulas, float64 numerical gradients, traced with unknown batch
sizes, and the errors."""

import numpy as np
import pytest

import engine
import engine.signal  # noqa: F401 - the public namespace, for the docstring examples
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import signal_ops as so
from tests.opcheck import check_forward, check_grad

R = np.random.default_rng(7)
S = engine.TensorSpec
REAL, IMAG = engine.math.real, engine.math.imag


# --- windows ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, a, b", [(so.hann_window, 0.5, 0.5),
                                      (so.hamming_window, 0.54, 0.46)])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_follow_the_raised_cosine_formula(fn, a, b, periodic):
    for n in (2, 5, 8):
        denominator = n if periodic and n % 2 == 0 else n - 1  # TF: odd is symmetric
        want = [a - b * np.cos(2 * np.pi * i / denominator) for i in range(n)]
        got = fn(n, periodic=periodic, dtype=engine.float64)
        np.testing.assert_allclose(got.numpy(), want, atol=1e-15)
    assert fn(8).dtype == engine.float32
    np.testing.assert_array_equal(fn(1).numpy(), [1.0])
    assert fn(0).shape == [0]
    np.testing.assert_allclose(so.hann_window(6, periodic=False).numpy(), np.hanning(6),
                               atol=1e-7)


# --- frame / overlap_and_add --------------------------------------------------------------------
def _frame_ref(x, length, step, pad_end=False, pad_value=0, axis=-1):
    x = np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    if pad_end:
        count = -(-n // step)
        need = max(0, (count - 1) * step + length - n)
        x = np.concatenate([x, np.full(x.shape[:-1] + (need,), pad_value, x.dtype)], -1)
    else:
        count = 1 + (n - length) // step
    out = np.stack([x[..., i * step:i * step + length] for i in range(count)], -2)
    # (..., frames, length) with `axis` moved last: move the pair back
    axis = axis % (x.ndim)
    return np.moveaxis(out, (-2, -1), (axis, axis + 1))


@pytest.mark.parametrize("length, step, pad_end, axis", [
    (4, 2, False, -1), (3, 3, False, -1), (5, 2, True, -1), (4, 4, True, -1),
    (3, 1, False, 0), (2, 3, True, 1)])
def test_frame_matches_slicing(length, step, pad_end, axis):
    x = R.standard_normal((9, 10))

    def fn(t):
        return so.frame(t, length, step, pad_end=pad_end, pad_value=0.5, axis=axis)

    check_forward(fn, lambda a: _frame_ref(a, length, step, pad_end, 0.5, axis), [x])
    check_grad(fn, [x])


def test_frame_of_integers_and_documented_counts():
    got = so.frame(np.arange(10, dtype=np.int32), 4, 3, pad_end=True, pad_value=-1)
    np.testing.assert_array_equal(got.numpy(), [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9],
                                                [9, -1, -1, -1]])
    assert so.frame(engine.zeros([2, 16000]), 400, 160).shape == [2, 98, 400]


def _overlap_add_ref(x, step):
    frames, length = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + ((frames - 1) * step + length,))
    for f in range(frames):
        out[..., f * step:f * step + length] += x[..., f, :]
    return out


@pytest.mark.parametrize("shape, step", [((5, 4), 2), ((2, 3, 6), 4), ((4, 5), 5),
                                         ((2, 1, 3), 1), ((3, 7), 3)])
def test_overlap_and_add_matches_a_loop(shape, step):
    x = R.standard_normal(shape)
    check_forward(lambda t: so.overlap_and_add(t, step), lambda a: _overlap_add_ref(a, step),
                  [x])
    check_grad(lambda t: so.overlap_and_add(t, step), [x])


def test_overlap_and_add_inverts_frame_with_a_partition_of_unity():
    x = R.standard_normal(20)
    framed = so.frame(x, 8, 4) * so.hann_window(8, dtype=engine.float64)
    back = so.overlap_and_add(framed, 4).numpy()
    np.testing.assert_allclose(back[4:-4], x[4:-4], atol=1e-12)  # periodic Hann sums to 1


# --- stft / inverse_stft ------------------------------------------------------------------------
def _stft_ref(x, length, step, n, pad_end=False):
    period = length if length % 2 == 0 else length - 1  # TF's periodic Hann: odd is symmetric
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / period)
    return np.fft.rfft(_frame_ref(x, length, step, pad_end) * window, n)


@pytest.mark.parametrize("length, step, n, pad_end", [
    (8, 4, None, False), (6, 2, 8, True), (10, 5, 8, False), (7, 3, None, True)])
def test_stft_matches_framed_windowed_rfft(length, step, n, pad_end):
    x = R.standard_normal((2, 30))
    expected_n = n or 1 << (length - 1).bit_length()
    got = so.stft(engine.constant(x), length, step, fft_length=n, pad_end=pad_end)
    np.testing.assert_allclose(got.numpy(), _stft_ref(x, length, step, expected_n, pad_end),
                               atol=1e-12)
    assert got.dtype == engine.complex128
    assert so.stft(engine.constant(x.astype(np.float32)), length, step).dtype == \
        engine.complex64
    check_grad(lambda t: REAL(so.stft(t, length, step, n, pad_end=pad_end)), [x])
    check_grad(lambda t: IMAG(so.stft(t, length, step, n, window_fn=None)), [x])


def test_inverse_stft_reconstructs_with_the_window_gain_undone():
    x = R.standard_normal(64)
    length, step = 16, 4
    spectra = so.stft(engine.constant(x), length, step)
    window = so.hann_window(length, dtype=engine.float64).numpy()
    gain = sum(np.roll(window ** 2, k * step) for k in range(length // step))

    def synthesis(n, dtype):
        return engine.constant((window / gain).astype(dtype.as_numpy_dtype))

    back = so.inverse_stft(spectra, length, step, window_fn=synthesis).numpy()
    assert back.shape == (64,)
    np.testing.assert_allclose(back[length:-length], x[length:-length], atol=1e-12)
    z = so.stft(engine.constant(x), length, step)
    check_grad(lambda t: so.inverse_stft(so.stft(t, 8, 4, fft_length=16), 8, 4), [x])
    assert so.inverse_stft(z, length, step, fft_length=8).shape == [64]  # frame > fft: padded


# --- mel features -------------------------------------------------------------------------------
def _hz_to_mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)


def test_mel_matrix_follows_the_htk_triangles():
    w = so.linear_to_mel_weight_matrix(dtype=engine.float64).numpy()
    assert w.shape == (129, 20)
    assert so.linear_to_mel_weight_matrix().dtype == engine.float32
    np.testing.assert_array_equal(w[0], 0.0)  # the DC bin has no weight
    assert w.min() >= 0.0 and w.max() <= 1.0
    freqs = np.linspace(0, 4000, 129)
    edges = np.linspace(_hz_to_mel(125.0), _hz_to_mel(3800.0), 22)
    for m in range(20):
        mel = _hz_to_mel(freqs[1:])
        rising = (mel - edges[m]) / (edges[m + 1] - edges[m])
        falling = (edges[m + 2] - mel) / (edges[m + 2] - edges[m + 1])
        np.testing.assert_allclose(w[1:, m], np.clip(np.minimum(rising, falling), 0, None),
                                   atol=1e-12)
    # bins outside [lower_edge, upper_edge] get no weight; each band peaks inside
    outside = (freqs < 125.0) | (freqs > 3800.0)
    np.testing.assert_array_equal(w[outside], 0.0)
    assert np.all(np.diff(np.argmax(w, axis=0)) >= 0)


def test_mfccs_are_the_scaled_dct_ii():
    x = R.standard_normal((2, 3, 6))
    n = np.arange(6)

    def ref(a):
        k = np.arange(6)[:, None]
        basis = 2 * np.cos(np.pi * k * (2 * n + 1) / 12)  # (k, n)
        return a @ basis.T / np.sqrt(12)

    check_forward(so.mfccs_from_log_mel_spectrograms, ref, [x])
    check_forward(so.mfccs_from_log_mel_spectrograms, ref, [x[0, 0]])
    check_grad(so.mfccs_from_log_mel_spectrograms, [x])


# --- traced -------------------------------------------------------------------------------------
def test_pipeline_traced_with_unknown_batch_matches_eager():
    mel = so.linear_to_mel_weight_matrix(8, 17, 1000, 10.0, 500.0)

    def features(audio):
        spectra = so.stft(audio, 32, 16)  # (batch, frames, 17)
        power = REAL(spectra) ** 2 + IMAG(spectra) ** 2
        log_mel = engine.math.log(engine.matmul(power, mel) + 1e-6)
        framed = so.frame(audio, 8, 8, pad_end=True)
        return so.mfccs_from_log_mel_spectrograms(log_mel), so.overlap_and_add(framed, 8)

    audio = R.standard_normal((3, 100)).astype(np.float32)
    traced = engine.function(features, input_signature=[S([None, 100])])
    for got, want in zip(traced(audio), features(engine.constant(audio))):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    assert traced(audio[:1])[1].shape == [1, 104]


# --- errors -------------------------------------------------------------------------------------
def test_bad_inputs_raise_clear_errors():
    with pytest.raises(InvalidArgumentError, match="frame: got frame_length=8 .* 5 samples"):
        so.frame(engine.ones([5]), 8, 2)
    assert so.frame(engine.ones([5]), 8, 2, pad_end=True).shape == [3, 8]  # ceil(5 / 2)
    with pytest.raises(InvalidArgumentError, match="frame_step=0"):
        so.frame(engine.ones([5]), 2, 0)
    with pytest.raises(ShapeError, match="frame.*rank >= 1"):
        so.frame(engine.constant(1.0), 1, 1)
    with pytest.raises(ShapeError, match="frame.*dimension 1 known"):
        engine.function(lambda t: so.frame(t, 2, 1), input_signature=[S([2, None])])(
            np.ones((2, 4), np.float32))
    assert so.overlap_and_add(engine.ones([3, 4]), 5).shape == [14]  # gaps, as in TF
    with pytest.raises(ShapeError, match="overlap_and_add.*rank >= 2"):
        so.overlap_and_add(engine.ones([4]), 2)
    with pytest.raises(DTypeError, match="hann_window.*int32"):
        so.hann_window(4, dtype=engine.int32)
    with pytest.raises(InvalidArgumentError, match="upper_edge_hertz=5000.0"):
        so.linear_to_mel_weight_matrix(upper_edge_hertz=5000.0)
    with pytest.raises(InvalidArgumentError, match="lower_edge_hertz=900.0 >= "):
        so.linear_to_mel_weight_matrix(lower_edge_hertz=900.0, upper_edge_hertz=800.0)
    with pytest.raises(InvalidArgumentError, match="num_mel_bins=0"):
        so.linear_to_mel_weight_matrix(num_mel_bins=0)
    with pytest.raises(DTypeError, match="stft|rfft"):
        so.stft(engine.ones([16], engine.complex64), 8, 4, window_fn=None)
    with pytest.raises(DTypeError, match="mfccs.*int32"):
        so.mfccs_from_log_mel_spectrograms(engine.ones([2, 4], engine.int32))
