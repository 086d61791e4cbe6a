"""Windows, framing, short-time Fourier transforms and mel features (TF 2's `tf.signal`).

Every function here is a composite: windows and the mel matrix are constants computed
with NumPy, `frame` is a `gather` with a constant index matrix, `overlap_and_add` sums
padded slices, `stft` is frame x window then `rfft`, and the MFCC DCT is a `matmul`. So
they differentiate, trace and run on the GPU through the primitives they use. Signal
lengths must be known when a function is traced; batch dimensions may be unknown.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import fft_ops as _fft
from engine.ops import math_ops as _m
from engine.ops import pad_ops as _pad
from engine.ops.array_ops import reshape
from engine.ops.gather_ops import gather
from engine.ops.join_ops import concat
from engine.ops.manip_ops import tile
from engine.ops.matmul_ops import matmul
from engine.ops.reduce_ops import reduce_sum
from engine.ops.shape_ops import shape as shape_of

__all__ = ["hann_window", "hamming_window", "frame", "overlap_and_add", "stft",
           "inverse_stft", "inverse_stft_window_fn", "linear_to_mel_weight_matrix",
           "mfccs_from_log_mel_spectrograms"]


# --- windows --------------------------------------------------------------------------------
def _raised_cosine(op: str, window_length, periodic, dtype, a: float, b: float):
    length = int(np.asarray(window_length).reshape(()))
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise DTypeError(f"{op}: got dtype={dtype.name}; expected a floating dtype.")
    if length < 0:
        raise InvalidArgumentError(f"{op}: got window_length={length}; expected >= 0.")
    if length == 1:
        return convert_to_tensor(np.ones(1, dtype._np))
    # As in TensorFlow, `periodic` only changes even lengths: an odd-length window is
    # always the symmetric one (denominator length - 1).
    denominator = length if bool(periodic) and length % 2 == 0 else length - 1
    n = np.arange(length, dtype=np.float64)
    window = a - b * np.cos(2.0 * np.pi * n / max(denominator, 1))
    return convert_to_tensor(window.astype(dtype._np))


def hann_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """A Hann window: 0.5 - 0.5 cos(2 pi n / N), N = length (periodic) or length - 1.

    As in TensorFlow, `periodic` applies to even lengths only; odd lengths are symmetric.

    Args:
        window_length: the number of samples.
        periodic: True for the periodic window (for spectral analysis), False for the
            symmetric one.
        dtype: a floating dtype (float32 by default).
        name: ignored in eager mode.

    Returns:
        A tensor of shape [window_length].

    Example:
        >>> engine.signal.hann_window(4).numpy()
        array([0. , 0.5, 1. , 0.5], dtype=float32)
    """
    return _raised_cosine("hann_window", window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """A Hamming window: 0.54 - 0.46 cos(2 pi n / N), N = length (periodic) or length - 1.

    As in TensorFlow, `periodic` applies to even lengths only; odd lengths are symmetric.

    Args:
        window_length: the number of samples.
        periodic: True for the periodic window, False for the symmetric one.
        dtype: a floating dtype (float32 by default).
        name: ignored in eager mode.

    Returns:
        A tensor of shape [window_length].

    Example:
        >>> engine.signal.hamming_window(4).numpy()
        array([0.08, 0.54, 1.  , 0.54], dtype=float32)
    """
    return _raised_cosine("hamming_window", window_length, periodic, dtype, 0.54, 0.46)


# --- framing --------------------------------------------------------------------------------
def _positive(op: str, what: str, value) -> int:
    try:
        v = int(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op}: got {what}={value!r}; expected a positive int "
                                   "known when the function is traced.") from None
    if v <= 0:
        raise InvalidArgumentError(f"{op}: got {what}={v}; expected a positive int.")
    return v


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Slices `axis` of `signal` into frames of `frame_length`, one every `frame_step`.

    Without `pad_end` there are 1 + (length - frame_length) // frame_step frames; with it,
    ceil(length / frame_step), the end padded with `pad_value`. Unlike TensorFlow, which
    returns zero frames, a signal shorter than one frame without `pad_end` is an error.

    Args:
        signal: a tensor whose `axis` dimension is known.
        frame_length: the samples per frame.
        frame_step: the samples between the starts of consecutive frames.
        pad_end: whether to pad the end so every sample is in a frame.
        pad_value: the value padding uses.
        axis: the axis to frame.
        name: ignored in eager mode.

    Returns:
        A tensor with `axis` replaced by [num_frames, frame_length].

    Example:
        >>> engine.signal.frame(engine.range(5), 3, 2).numpy()
        array([[0, 1, 2],
               [2, 3, 4]], dtype=int32)
    """
    signal = convert_to_tensor(signal)
    length_, step = (_positive("frame", n, v) for n, v in (("frame_length", frame_length),
                                                            ("frame_step", frame_step)))
    rank = signal.shape.rank
    if rank is None or rank == 0:
        raise ShapeError(f"frame: got a signal of shape {signal.shape}; expected rank >= 1.")
    axis = int(axis) + rank if int(axis) < 0 else int(axis)
    if not 0 <= axis < rank:
        raise ShapeError(f"frame: got axis={axis - rank}; expected -{rank} <= axis < {rank}.")
    samples = signal.shape[axis]
    if samples is None:
        raise ShapeError(f"frame: got a signal of shape {signal.shape}; expected dimension "
                         f"{axis} known. Give engine.function an input_signature with it set.")
    if pad_end:
        frames = -(-samples // step)
        extra = max(0, (frames - 1) * step + length_ - samples)
        paddings = [[0, 0]] * rank
        paddings[axis] = [0, extra]
        signal = _pad.pad(signal, paddings, constant_values=pad_value)
    elif length_ > samples:
        raise InvalidArgumentError(
            f"frame: got frame_length={length_} for a signal of {samples} samples on axis "
            f"{axis}; expected frame_length <= {samples}. Pass pad_end=True or a shorter frame.")
    else:
        frames = 1 + (samples - length_) // step
    index = np.arange(frames)[:, None] * step + np.arange(length_)[None, :]
    return gather(signal, index.astype(np.int64), axis=axis)


def overlap_and_add(signal, frame_step, name=None):
    """Sums frames [..., frames, frame_length] placed `frame_step` apart (inverse of frame).

    Args:
        signal: a tensor of rank >= 2 whose last two dimensions are known.
        frame_step: the samples between the starts of consecutive frames; a step longer
            than a frame leaves zeros between the frames.
        name: ignored in eager mode.

    Returns:
        A tensor [..., (frames - 1) * frame_step + frame_length].

    Example:
        >>> engine.signal.overlap_and_add(engine.ones([3, 4]), 2).numpy()
        array([1., 1., 2., 2., 2., 2., 1., 1.], dtype=float32)
    """
    signal = convert_to_tensor(signal)
    step = _positive("overlap_and_add", "frame_step", frame_step)
    rank = signal.shape.rank
    if rank is None or rank < 2 or None in list(signal.shape)[-2:]:
        raise ShapeError(f"overlap_and_add: got a signal of shape {signal.shape}; expected "
                         "rank >= 2 with the last two dimensions (frames, frame_length) known.")
    frames, length_ = signal.shape[-2], signal.shape[-1]
    pieces = -(-length_ // step)  # each frame spans this many step-long pieces
    batch = [[0, 0]] * (rank - 2)
    padded = _pad.pad(signal, batch + [[0, 0], [0, pieces * step - length_]])
    total = None
    for p in range(pieces):
        piece = padded[..., p * step:(p + 1) * step]  # (..., frames, step)
        shifted = _pad.pad(piece, batch + [[p, pieces - 1 - p], [0, 0]])
        total = shifted if total is None else _m.add(total, shifted)
    outer = list(signal.shape)[:-2]
    flat = [(frames + pieces - 1) * step]
    if None in outer:
        target = concat([shape_of(signal)[:-2], convert_to_tensor(flat, _dt.int32)], 0)
    else:
        target = outer + flat
    return reshape(total, target)[..., :max(0, (frames - 1) * step + length_)]


# --- short-time Fourier transform ----------------------------------------------------------
def _default_fft_length(frame_length: int) -> int:
    return 1 << max(0, int(frame_length - 1).bit_length())


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window,
         pad_end=False, name=None):
    """The short-time Fourier transform: rfft of windowed frames along the last axis.

    Args:
        signals: a float32/float64 tensor [..., samples].
        frame_length: the samples per frame.
        frame_step: the samples between frames.
        fft_length: the FFT size; None uses the smallest power of 2 >= frame_length.
        window_fn: `window_fn(frame_length, dtype=...)` gives the window; None for none.
        pad_end: whether to pad the end so every sample is in a frame.
        name: ignored in eager mode.

    Returns:
        A complex tensor [..., frames, fft_length // 2 + 1].

    Example:
        >>> engine.signal.stft(engine.zeros([2, 100]), 32, 16).shape
        TensorShape([2, 5, 17])
    """
    signals = convert_to_tensor(signals)
    length_ = _positive("stft", "frame_length", frame_length)
    n = _default_fft_length(length_) if fft_length is None else fft_length
    n = _positive("stft", "fft_length", n)
    framed = frame(signals, length_, frame_step, pad_end=pad_end)
    if window_fn is not None:
        framed = _m.multiply(framed, window_fn(length_, dtype=signals.dtype))
    return _fft.rfft(framed, [n])


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window,
                 name=None):
    """The signal from its stft: irfft of each frame, windowed, then overlap_and_add.

    As in TensorFlow this does not undo the analysis window's gain: for perfect
    reconstruction pass a window_fn that divides by the overlapped squared windows.

    Args:
        stfts: a complex tensor [..., frames, fft_length // 2 + 1].
        frame_length: the samples per frame.
        frame_step: the samples between frames.
        fft_length: the FFT size; None uses the smallest power of 2 >= frame_length.
        window_fn: `window_fn(frame_length, dtype=...)` gives the window; None for none.
        name: ignored in eager mode.

    Returns:
        A real tensor [..., (frames - 1) * frame_step + frame_length].

    Example:
        >>> engine.signal.inverse_stft(engine.zeros([5, 17], engine.complex64), 32, 16).shape
        TensorShape([96])
    """
    stfts = convert_to_tensor(stfts)
    length_ = _positive("inverse_stft", "frame_length", frame_length)
    n = _default_fft_length(length_) if fft_length is None else fft_length
    n = _positive("inverse_stft", "fft_length", n)
    frames = _fft.irfft(stfts, [n])  # (..., frames, n)
    if length_ <= n:
        frames = frames[..., :length_]
    else:
        rank = frames.shape.rank
        frames = _pad.pad(frames, [[0, 0]] * (rank - 1) + [[0, length_ - n]])
    if window_fn is not None:
        frames = _m.multiply(frames, window_fn(length_, dtype=frames.dtype))
    return overlap_and_add(frames, frame_step)


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window_fn for `inverse_stft` that undoes `stft`'s windowing (perfect reconstruction).

    The returned function gives the forward window divided, sample by sample, by the sum of
    its squares overlapped every `frame_step` samples.

    Args:
        frame_step: the samples between frames, as given to `stft`.
        forward_window_fn: the window_fn given to `stft`.
        name: ignored in eager mode.

    Returns:
        A function `(frame_length, dtype=float32) -> window tensor [frame_length]`.

    Example:
        >>> x = engine.random.stateless_normal([64], seed=[1, 2])
        >>> fn = engine.signal.inverse_stft_window_fn(4)
        >>> y = engine.signal.inverse_stft(engine.signal.stft(x, 16, 4), 16, 4, window_fn=fn)
        >>> bool(abs(y[12:52] - x[12:52]).numpy().max() < 1e-5)
        True
    """
    step = _positive("inverse_stft_window_fn", "frame_step", frame_step)

    def window_fn(frame_length, dtype=_dt.float32):
        length_ = _positive("inverse_stft_window_fn", "frame_length", frame_length)
        window = forward_window_fn(length_, dtype=dtype)
        overlaps = -(-length_ // step)
        squares = _pad.pad(_m.multiply(window, window), [[0, overlaps * step - length_]])
        per_phase = reduce_sum(reshape(squares, [overlaps, step]), 0)  # (step,)
        denominator = reshape(tile(per_phase[None, :], [overlaps, 1]), [-1])[:length_]
        return _m.divide(window, denominator)

    return window_fn


# --- mel features ----------------------------------------------------------------------------
def _hertz_to_mel(hertz):
    return 1127.0 * np.log1p(np.asarray(hertz, np.float64) / 700.0)  # HTK's formula


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype=_dt.float32, name=None):
    """A matrix of triangular mel filters: spectrogram bins x mel bins (HTK mel scale).

    Multiply a magnitude spectrogram [..., num_spectrogram_bins] by it to get mel bands.
    Bin 0 (DC) gets no weight; each filter rises from one mel band edge to the next and
    falls to the one after, the edges evenly spaced in mel = 1127 ln(1 + f / 700).

    Args:
        num_mel_bins: the number of mel bands.
        num_spectrogram_bins: the spectrogram's bins (fft_length // 2 + 1).
        sample_rate: the signal's sample rate in Hz.
        lower_edge_hertz: the lowest frequency of the lowest band.
        upper_edge_hertz: the highest frequency of the highest band (<= sample_rate / 2).
        dtype: a floating dtype (float32 by default).
        name: ignored in eager mode.

    Returns:
        A tensor [num_spectrogram_bins, num_mel_bins].

    Example:
        >>> engine.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 8000.0).shape
        TensorShape([257, 40])
    """
    op = "linear_to_mel_weight_matrix"
    mels, bins = int(num_mel_bins), int(num_spectrogram_bins)
    rate, low, high = float(sample_rate), float(lower_edge_hertz), float(upper_edge_hertz)
    dtype = _dt.as_dtype(dtype)
    checks = [(mels > 0, f"num_mel_bins={mels}; expected > 0"),
              (bins > 1, f"num_spectrogram_bins={bins}; expected > 1"),
              (rate > 0, f"sample_rate={rate}; expected > 0"),
              (low >= 0, f"lower_edge_hertz={low}; expected >= 0"),
              (low < high, f"lower_edge_hertz={low} >= upper_edge_hertz={high}; expected <"),
              (high <= rate / 2, f"upper_edge_hertz={high}; expected <= sample_rate / 2 = "
                                 f"{rate / 2}"),
              (dtype.is_floating, f"dtype={dtype.name}; expected a floating dtype")]
    for ok, message in checks:
        if not ok:
            raise InvalidArgumentError(f"{op}: got {message}.")
    linear = np.linspace(0.0, rate / 2, bins)[1:]  # bin 0 (DC) gets no weight
    spectrum_mel = _hertz_to_mel(linear)[:, None]  # (bins - 1, 1)
    edges = np.linspace(_hertz_to_mel(low), _hertz_to_mel(high), mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]  # each (mels,)
    rising = (spectrum_mel - lower) / (center - lower)
    falling = (upper - spectrum_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights = np.concatenate([np.zeros((1, mels)), weights], axis=0)
    return convert_to_tensor(weights.astype(dtype._np))


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """MFCCs: the orthonormally scaled DCT-II of log-mel spectrograms along the last axis.

    Computes 2 sum_n x[n] cos(pi k (2n + 1) / (2N)) / sqrt(2N) for each coefficient k, as
    TensorFlow does (keep the first few coefficients, e.g. [..., :13]).

    Args:
        log_mel_spectrograms: a float32/float64 tensor [..., num_mel_bins], bins known.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.signal.mfccs_from_log_mel_spectrograms(engine.ones([1, 2])).numpy()
        array([[2., 0.]], dtype=float32)
    """
    x = convert_to_tensor(log_mel_spectrograms)
    if x.dtype not in (_dt.float32, _dt.float64):
        raise DTypeError(f"mfccs_from_log_mel_spectrograms: got dtype {x.dtype.name}; "
                         "expected float32 or float64. Cast it with engine.cast.")
    bins = x.shape[-1] if x.shape.rank else None
    if not bins:
        raise ShapeError(f"mfccs_from_log_mel_spectrograms: got shape {x.shape}; expected "
                         "rank >= 1 with the last dimension (num_mel_bins) known and > 0.")
    n, k = np.arange(bins)[:, None], np.arange(bins)[None, :]
    basis = 2.0 * np.cos(np.pi * k * (2 * n + 1) / (2.0 * bins)) / np.sqrt(2.0 * bins)
    basis = convert_to_tensor(basis.astype(x.dtype.as_numpy_dtype))  # (n, k)
    if x.shape.rank == 1:
        return reshape(matmul(reshape(x, [1, bins]), basis), [bins])
    return matmul(x, basis)  # (..., n) @ (n, k), the batch broadcast
