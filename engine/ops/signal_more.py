"""More of `tf.signal`: DCTs, 3-D real FFTs, Kaiser and Vorbis windows, the MDCT.

`dct` / `idct` multiply the innermost axis by a cosine matrix built in float64 (a composite
of `einsum`, so gradients, tracing and GPUs come for free; O(n^2) per row, fine for the
frame sizes signal code uses). The definitions are TensorFlow's (those of SciPy's `dct`):
with N samples,
- type 1: y_k = x_0 + (-1)^k x_{N-1} + 2 sum_{n=1}^{N-2} x_n cos(pi k n / (N - 1));
- type 2: y_k = 2 sum_n x_n cos(pi k (2n + 1) / (2N));
- type 3: y_k = x_0 + 2 sum_{n>=1} x_n cos(pi n (2k + 1) / (2N));
- type 4: y_k = 2 sum_n x_n cos(pi (2n + 1)(2k + 1) / (4N)).
`norm='ortho'` scales them to orthonormal matrices. `idct` is the DCT of the inverse type
(2 <-> 3), unscaled, as in TensorFlow.

`rfft3d` / `irfft3d` are registered (`RFFT3D`, `IRFFT3D`) with `engine.ops.fft_ops`' packed
transform builder. The MDCT frames the signal at half-overlap, folds each frame in four
quarters (a, b, c, d) into (-c_r - d, a - b_r) and takes a type-4 DCT.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import fft_ops as _fft
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.einsum_ops import einsum
from engine.ops.join_ops import concat
from engine.ops.manip_ops import reverse
from engine.ops.pad_ops import pad
from engine.ops.signal_ops import frame, overlap_and_add

__all__ = ["dct", "idct", "rfft3d", "irfft3d", "kaiser_window", "kaiser_bessel_derived_window",
           "vorbis_window", "mdct", "inverse_mdct"]

_rfft3d = _fft._packed_op("rfft3d", "RFFT3D", 3, False)
_irfft3d = _fft._packed_op("irfft3d", "IRFFT3D", 3, True)
_fft._RFFT[3] = _rfft3d  # the gradient of each is the other
_fft._IRFFT[3] = _irfft3d


def rfft3d(input_tensor, fft_length=None, name=None):
    """The 3-D FFT of a real signal over its innermost three axes (half the last).

    Args:
        input_tensor: a float32 or float64 tensor of rank >= 3.
        fft_length: 3 positive integers; None uses the innermost three dimensions.
        name: ignored in eager mode.

    Returns:
        A complex tensor with inner dimensions [n0, n1, n2 // 2 + 1].

    Example:
        >>> engine.signal.rfft3d(engine.ones([2, 2, 4])).shape
        TensorShape([2, 2, 3])
    """
    return _rfft3d(input_tensor, fft_length)


def irfft3d(input_tensor, fft_length=None, name=None):
    """The real 3-D signal whose rfft3d is `input_tensor` (its inverse).

    Args:
        input_tensor: a complex64 or complex128 tensor of rank >= 3.
        fft_length: 3 positive integers; None uses [n0, n1, 2 * (n2 - 1)].
        name: ignored in eager mode.

    Returns:
        A real tensor with inner dimensions fft_length.

    Example:
        >>> engine.signal.irfft3d(engine.ones([2, 2, 3], engine.complex64)).shape
        TensorShape([2, 2, 4])
    """
    return _irfft3d(input_tensor, fft_length)


# --- discrete cosine transforms ------------------------------------------------------------------
def _dct_matrix(kind: int, n: int, ortho: bool) -> np.ndarray:
    """M with y = M @ x for one row x of length n, in float64."""
    k = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    if kind == 1:
        m = 2 * np.cos(np.pi * k * j / (n - 1))
        m[:, 0] = 1.0
        m[:, -1] = (-1.0) ** np.arange(n)
        return m
    if kind == 2:
        m = 2 * np.cos(np.pi * k * (2 * j + 1) / (2 * n))
        if ortho:
            m *= np.sqrt(1 / (2 * n))
            m[0] *= np.sqrt(0.5)
        return m
    if kind == 3:
        m = 2 * np.cos(np.pi * j * (2 * k + 1) / (2 * n))
        m[:, 0] = 1.0
        if ortho:
            m *= np.sqrt(1 / (2 * n))
            m[:, 0] *= np.sqrt(2.0)
        return m
    m = 2 * np.cos(np.pi * (2 * j + 1) * (2 * k + 1) / (4 * n))
    return m * np.sqrt(1 / (2 * n)) if ortho else m


def _dct_args(op: str, x, kind, n, axis, norm):
    if kind not in (1, 2, 3, 4):
        raise InvalidArgumentError(f"{op}: got type={kind!r}; expected 1, 2, 3 or 4.")
    if axis != -1:
        raise NotImplementedError(f"{op}: got axis={axis}; only axis=-1 is supported (as in "
                                  "TensorFlow). Transpose the axis to the end first.")
    if norm not in (None, "ortho"):
        raise InvalidArgumentError(f"{op}: got norm={norm!r}; expected None or 'ortho'.")
    if kind == 1 and norm == "ortho":
        raise InvalidArgumentError(f"{op}: norm='ortho' is not supported for the type-1 DCT; "
                                   "use norm=None.")
    if x.dtype not in (_dt.float32, _dt.float64, _dt.float16, _dt.bfloat16):
        raise DTypeError(f"{op}: got input of dtype {x.dtype.name}; expected a float tensor.")
    if x.shape.rank in (None, 0) or x.shape[-1] is None:
        raise ShapeError(f"{op}: got input of shape {x.shape}; expected rank >= 1 with the "
                         "innermost dimension known.")
    if n is not None:
        n = int(n)
        if n < 1:
            raise InvalidArgumentError(f"{op}: got n={n}; expected a positive length.")
        size = x.shape[-1]
        if n < size:
            x = x[..., :n]
        elif n > size:
            x = pad(x, [[0, 0]] * (x.shape.rank - 1) + [[0, n - size]])
    if kind == 1 and x.shape[-1] < 2:
        raise InvalidArgumentError(f"{op}: the type-1 DCT needs at least 2 samples; got "
                                   f"{x.shape[-1]}.")
    return x


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 - TF's names
    """The discrete cosine transform (types 1-4) over the innermost axis.

    Args:
        input: a float tensor [..., samples].
        type: 1, 2, 3 or 4 (see the module docstring for the definitions).
        n: crop or zero-pad the innermost axis to this length first (None: keep it).
        axis: must be -1.
        norm: None or 'ortho' (orthonormal; not for type 1).
        name: ignored in eager mode.

    Returns:
        A tensor of `input`'s dtype and shape [..., n].

    Raises:
        InvalidArgumentError: for a bad type, n or norm.

    Example:
        >>> engine.signal.dct(engine.constant([1.0, 2.0, 3.0])).numpy().round(4)
        array([12.    , -3.4641,  0.    ], dtype=float32)
    """
    x = _dct_args("dct", convert_to_tensor(input), type, n, axis, norm)
    matrix = _dct_matrix(type, x.shape[-1], norm == "ortho")
    return einsum("...j,kj->...k", x, convert_to_tensor(matrix.astype(x.dtype.as_numpy_dtype)))


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 - TF's names
    """The inverse DCT: the DCT of the inverse type (2 <-> 3; 1 and 4 are their own).

    With norm='ortho' it inverts `dct` exactly; with None the result is `dct`'s inverse times
    2N (2(N-1) for type 1), as in TensorFlow.

    Args:
        input: a float tensor [..., samples].
        type: 1, 2, 3 or 4: the type of the DCT this inverts.
        n: crop or zero-pad the innermost axis to this length first (None: keep it).
        axis: must be -1.
        norm: None or 'ortho'.
        name: ignored in eager mode.

    Returns:
        A tensor of `input`'s dtype.

    Raises:
        InvalidArgumentError: for a bad type, n or norm.

    Example:
        >>> x = engine.constant([1.0, 2.0, 3.0])
        >>> engine.signal.idct(engine.signal.dct(x, norm="ortho"), norm="ortho").numpy().round(4)
        array([1., 2., 3.], dtype=float32)
    """
    if type not in (1, 2, 3, 4):
        raise InvalidArgumentError(f"idct: got type={type!r}; expected 1, 2, 3 or 4.")
    return dct(input, type={1: 1, 2: 3, 3: 2, 4: 4}[type], n=n, axis=axis, norm=norm)


# --- windows -------------------------------------------------------------------------------------
def _window_args(op: str, window_length, dtype):
    try:
        length = int(np.asarray(window_length).reshape(()))
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op}: got window_length={window_length!r}; expected an "
                                   "int known when the function is traced.") from None
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise DTypeError(f"{op}: got dtype={dtype.name}; expected a floating dtype.")
    if length < 0:
        raise InvalidArgumentError(f"{op}: got window_length={length}; expected >= 0.")
    return length, dtype


def kaiser_window(window_length, beta=12.0, dtype=_dt.float32, name=None):
    """The (symmetric) Kaiser window I0(beta sqrt(1 - (2n/(N-1) - 1)^2)) / I0(beta).

    Args:
        window_length: the number of samples (an int known when traced).
        beta: the shape parameter; larger values give lower side lobes.
        dtype: a floating dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of shape [window_length].

    Raises:
        InvalidArgumentError: for a negative length.
        DTypeError: for a non-floating dtype.

    Example:
        >>> engine.signal.kaiser_window(3, beta=0.0).numpy()
        array([1., 1., 1.], dtype=float32)
    """
    length, dtype = _window_args("kaiser_window", window_length, dtype)
    return convert_to_tensor(np.kaiser(length, float(beta)).astype(dtype._np))


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=_dt.float32, name=None):
    """The Kaiser-Bessel-derived window, power-complementary for the MDCT.

    Square roots of the normalized running sums of a Kaiser window of length N/2 + 1,
    mirrored.

    Args:
        window_length: the number of samples (an int known when traced).
        beta: the shape parameter; larger values give lower side lobes.
        dtype: a floating dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of shape [window_length].

    Raises:
        InvalidArgumentError: for a negative length.
        DTypeError: for a non-floating dtype.

    Example:
        >>> w = engine.signal.kaiser_bessel_derived_window(8).numpy()
        >>> bool(np.allclose(w[:4] ** 2 + w[4:] ** 2, 1.0))
        True
    """
    length, dtype = _window_args("kaiser_bessel_derived_window", window_length, dtype)
    half = length // 2
    sums = np.cumsum(np.kaiser(half + 1, float(beta)))
    rising = np.sqrt(sums[:-1] / sums[-1])
    return convert_to_tensor(np.concatenate([rising, rising[::-1]]).astype(dtype._np))


def vorbis_window(window_length, dtype=_dt.float32, name=None):
    """The Vorbis power-complementary window sin(pi/2 sin^2(pi (n + 1/2) / N)).

    Args:
        window_length: the number of samples (an int known when traced).
        dtype: a floating dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of shape [window_length].

    Raises:
        InvalidArgumentError: for a negative length.
        DTypeError: for a non-floating dtype.

    Example:
        >>> w = engine.signal.vorbis_window(4).numpy()
        >>> bool(np.allclose(w[:2] ** 2 + w[2:] ** 2, 1.0))
        True
    """
    length, dtype = _window_args("vorbis_window", window_length, dtype)
    n = np.arange(length, dtype=np.float64)
    window = np.sin(np.pi / 2 * np.sin(np.pi * (n + 0.5) / max(length, 1)) ** 2)
    return convert_to_tensor(window.astype(dtype._np))


# --- the modified discrete cosine transform ---------------------------------------------------
def _mdct_length(op: str, frame_length) -> int:
    length = int(frame_length)
    if length <= 0 or length % 4:
        raise InvalidArgumentError(f"{op}: got frame_length={length}; expected a positive "
                                   "multiple of 4.")
    return length


def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """The MDCT of half-overlapping frames: [..., samples] -> [..., frames, frame_length / 2].

    Args:
        signals: a float tensor [..., samples].
        frame_length: samples per frame, a multiple of 4.
        window_fn: `f(length, dtype=...)` giving the window (power-complementary, e.g.
            `vorbis_window` or `kaiser_bessel_derived_window`), or None for 1/sqrt(2).
        pad_end: pad the end so every sample is in a frame.
        norm: None or 'ortho'.
        name: ignored in eager mode.

    Returns:
        A tensor [..., frames, frame_length // 2].

    Example:
        >>> engine.signal.mdct(engine.ones([16]), 8).shape
        TensorShape([3, 4])
    """
    length = _mdct_length("mdct", frame_length)
    signals = convert_to_tensor(signals)
    frames = frame(signals, length, length // 2, pad_end=pad_end)
    if window_fn is not None:
        frames = _m.multiply(frames, window_fn(length, dtype=frames.dtype))
    else:
        frames = _m.multiply(frames, 1 / np.sqrt(2))
    q = length // 4
    a, b, c, d = (frames[..., i * q:(i + 1) * q] for i in range(4))
    folded = concat([_m.subtract(_u.negative(reverse(c, [-1])), d),
                     _m.subtract(a, reverse(b, [-1]))], axis=-1)
    return dct(folded, type=4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """The inverse of `mdct` (time-domain aliasing cancels in the overlap-add).

    Args:
        mdcts: a float tensor [..., frames, half] from `mdct`.
        window_fn: the window `mdct` used, or None.
        norm: None or 'ortho', as given to `mdct`.
        name: ignored in eager mode.

    Returns:
        A tensor [..., (frames + 1) * half].

    Example:
        >>> x = engine.constant(np.arange(16.0))
        >>> y = engine.signal.inverse_mdct(engine.signal.mdct(x, 8))
        >>> bool(np.allclose(y.numpy()[4:12], np.arange(16.0)[4:12], atol=1e-5))
        True
    """
    mdcts = convert_to_tensor(mdcts)
    if mdcts.shape.rank is None or mdcts.shape.rank < 2 or mdcts.shape[-1] is None:
        raise ShapeError(f"inverse_mdct: got shape {mdcts.shape}; expected [..., frames, "
                         "half] with half known.")
    half = mdcts.shape[-1]
    length = _mdct_length("inverse_mdct", 2 * half)
    if norm is None:
        unfolded = _m.divide(dct(mdcts, type=4), float(2 * half))
    else:
        unfolded = dct(mdcts, type=4, norm=norm)
    first, second = unfolded[..., :half // 2], unfolded[..., half // 2:]
    frames = concat([second, _u.negative(reverse(second, [-1])),
                     _u.negative(reverse(first, [-1])), _u.negative(first)], axis=-1)
    if window_fn is not None:
        frames = _m.multiply(frames, window_fn(length, dtype=frames.dtype))
    else:
        frames = _m.multiply(frames, 1 / np.sqrt(2))
    return overlap_and_add(frames, half)

