"""Fast Fourier transforms over the innermost axes (TensorFlow 2's `tf.signal.fft*`).

Primitives (TensorFlow's raw ops): FFT, IFFT, FFT2D, IFFT2D, FFT3D, IFFT3D on complex
tensors, and RFFT, IRFFT, RFFT2D, IRFFT2D between real and Hermitian-packed complex
tensors. `fftshift` and `ifftshift` are composites of `roll`.

Precision follows the input, as in TensorFlow: complex64 stays complex64 and float32
transforms to complex64 (NumPy computes in complex128; kernels cast back).

Gradients follow the engine's convention for complex tensors (the gradient of a real loss
L is dL/dRe + i dL/dIm, see `engine.math.real`). For the complex transforms, with F the
DFT matrix, the gradient of `fft` is conj(F) g = conj(fft(conj(g))) and that of `ifft` is
F g / N = conj(ifft(conj(g))): no size is needed, so unknown dimensions trace.
`rfft` keeps only bins 0..n//2, so its gradient is `N * irfft(g / w)` and that of
`irfft` is `rfft(g) * w / N`, where w counts each packed bin's Hermitian twins (1 for the
DC bin and, for even n, the Nyquist bin; 2 for the others), then cropped or zero-padded
back to the input's length.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import pad_ops as _pad
from engine.ops.manip_ops import roll
from engine.registry import COMPLEX, OpDef, register
from engine.tensor_shape import TensorShape

__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft",
           "rfft2d", "irfft2d", "fftshift", "ifftshift"]

_REAL_FLOATS = frozenset((_dt.float32, _dt.float64))
_COMPLEX_OF = {_dt.float32: _dt.complex64, _dt.float64: _dt.complex128}


def _check_rank(op: str, x, k: int) -> None:
    rank = x.shape.rank
    if rank is not None and rank < k:
        raise ShapeError(f"{op}: got an input of shape {x.shape}; expected rank >= {k} (the "
                         f"transform runs over the innermost {k} axes). Add axes with "
                         "engine.expand_dims or use a lower-dimensional transform.")


# --- complex to complex ---------------------------------------------------------------------
def _complex_infer(op: str, k: int):
    def infer(x):
        _inf.check_dtype(op, x, COMPLEX)
        _check_rank(op, x, k)
        return _inf.spec(x.shape, x.dtype)

    return infer


def _complex_kernel(inverse: bool, k: int):
    def kernel(xp, x):
        axes = tuple(range(-k, 0))
        out = xp.fft.ifftn(x, axes=axes) if inverse else xp.fft.fftn(x, axes=axes)
        return out.astype(x.dtype, copy=False)

    return kernel


def _complex_vjp(inverse_public):
    def vjp(ctx, g):
        return (_m.conj(inverse_public(_m.conj(g))),)

    return vjp


_COMPLEX_DOC = """The {dims}{kind} Fourier transform over the innermost {axes}.

    Computes `{reference}` there, keeping the input's precision (complex64 stays
    complex64); raw op `{tf_name}`. Its gradient is the `{partner}` of the cotangent {scale} n,
    the number of transformed elements.

    Args:
        input: a complex64 or complex128 tensor of rank >= {k}.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.
"""


def _complex_op(name: str, tf_name: str, k: int, inverse: bool, partner: str):
    vjp = _complex_vjp(lambda g: globals()[name](g))
    op = register(OpDef(name, tf_name, ("input",), _complex_infer(name, k),
                        _complex_kernel(inverse, k), vjp=vjp, dtypes=COMPLEX,
                        doc=f"{'Inverse ' if inverse else ''}{k}-D discrete Fourier transform "
                            "over the innermost axes."))

    def public(input, name=None):
        return dispatch(op, (input,))

    public.__name__ = public.__qualname__ = name
    public.__doc__ = _COMPLEX_DOC.format(
        kind="inverse" if inverse else "discrete", dims=f"{k}-D " if k > 1 else "",
        axes="axis" if k == 1 else f"{k} axes", tf_name=tf_name, partner=partner, k=k,
        scale="divided by" if inverse else "times",
        reference=f"np.fft.{'i' if inverse else ''}fft{'n' if k > 1 else ''}")
    public.op = op
    return public


fft = _complex_op("fft", "FFT", 1, False, "ifft")
ifft = _complex_op("ifft", "IFFT", 1, True, "fft")
fft2d = _complex_op("fft2d", "FFT2D", 2, False, "ifft2d")
ifft2d = _complex_op("ifft2d", "IFFT2D", 2, True, "fft2d")
fft3d = _complex_op("fft3d", "FFT3D", 3, False, "ifft3d")
ifft3d = _complex_op("ifft3d", "IFFT3D", 3, True, "fft3d")

_EXAMPLES = {
    "fft": ("engine.signal.fft(engine.constant([1 + 0j, 1, 1, 1]))",
            "array([4.+0.j, 0.+0.j, 0.+0.j, 0.+0.j])"),
    "ifft": ("engine.signal.ifft(engine.constant([4 + 0j, 0, 0, 0]))",
             "array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])"),
    "fft2d": ("engine.signal.fft2d(engine.ones([2, 2], engine.complex64))",
              "array([[4.+0.j, 0.+0.j],\n               [0.+0.j, 0.+0.j]], dtype=complex64)"),
    "ifft2d": ("engine.signal.ifft2d(engine.constant([[4 + 0j, 0], [0, 0]]))",
               "array([[1.+0.j, 1.+0.j],\n               [1.+0.j, 1.+0.j]])"),
    "fft3d": ("engine.signal.fft3d(engine.ones([1, 1, 2], engine.complex64))",
              "array([[[2.+0.j, 0.+0.j]]], dtype=complex64)"),
    "ifft3d": ("engine.signal.ifft3d(engine.constant([[[2 + 0j, 0]]]))",
               "array([[[1.+0.j, 1.+0.j]]])"),
}
for _name, (_call, _result) in _EXAMPLES.items():
    globals()[_name].__doc__ += f"\n    Example:\n        >>> {_call}.numpy()\n        {_result}\n"


# --- real to Hermitian-packed complex and back ---------------------------------------------
def _packed_shape(shape: TensorShape, k: int, fft_length, inverse: bool) -> TensorShape:
    if shape.rank is None:
        return TensorShape(None)
    dims = list(shape)
    inner = list(fft_length)
    inner[-1] = inner[-1] if inverse else inner[-1] // 2 + 1
    return TensorShape(dims[:-k] + inner)


def _rfft_infer(op: str, k: int):
    def infer(x, fft_length=()):
        _inf.check_dtype(op, x, _REAL_FLOATS, "input_tensor")
        _check_rank(op, x, k)
        return _inf.spec(_packed_shape(x.shape, k, fft_length, False), _COMPLEX_OF[x.dtype])

    return infer


def _irfft_infer(op: str, k: int):
    def infer(x, fft_length=()):
        _inf.check_dtype(op, x, COMPLEX, "input_tensor")
        _check_rank(op, x, k)
        return _inf.spec(_packed_shape(x.shape, k, fft_length, True), x.dtype.real_dtype)

    return infer


def _rfft_kernel(k: int):
    def kernel(xp, x, fft_length=()):
        out = xp.fft.rfftn(x, s=tuple(fft_length), axes=tuple(range(-k, 0)))
        return out.astype(_COMPLEX_OF[_dt.as_dtype(x.dtype)]._np, copy=False)

    return kernel


def _irfft_kernel(k: int):
    def kernel(xp, x, fft_length=()):
        out = xp.fft.irfftn(x, s=tuple(fft_length), axes=tuple(range(-k, 0)))
        return out.astype(x.real.dtype, copy=False)

    return kernel


def _twins(n: int, dtype) -> np.ndarray:
    """How many full-spectrum bins each of the n // 2 + 1 packed bins stands for."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return convert_to_tensor(w.astype(dtype.as_numpy_dtype))


def _fit(g, shape: TensorShape, k: int):
    """Crops or zero-pads the innermost k axes of `g` to those of `shape` (an adjoint)."""
    dims = list(shape)[-k:]
    have = list(g.shape)[-k:]
    if dims == have:
        return g
    index = [Ellipsis] + [slice(0, min(d, h)) for d, h in zip(dims, have)]
    g = g[tuple(index)]
    paddings = [[0, 0]] * (g.shape.rank - k) + [[0, max(d - h, 0)] for d, h in zip(dims, have)]
    return _pad.pad(g, paddings)


def _rfft_vjp(k: int):
    def vjp(ctx, g):
        n = ctx.attrs["fft_length"]
        full = _IRFFT[k](_m.divide(g, _twins(n[-1], g.dtype)), n)
        scaled = _m.multiply(full, float(np.prod(n)))
        return (_fit(scaled, ctx.inputs[0].shape, k),)

    return vjp


def _irfft_vjp(k: int):
    def vjp(ctx, g):
        n = ctx.attrs["fft_length"]
        packed = _RFFT[k](g, n)
        weights = _m.divide(_twins(n[-1], packed.dtype), float(np.prod(n)))
        return (_fit(_m.multiply(packed, weights), ctx.inputs[0].shape, k),)

    return vjp


def _fft_lengths(op: str, x, k: int, fft_length, inverse: bool) -> tuple:
    """The static `fft_length` (from the input's inner dims when None), validated."""
    x = convert_to_tensor(x)
    _check_rank(op, x, k)
    if fft_length is None:
        inner = list(x.shape)[-k:] if x.shape.rank is not None else [None]
        if any(d is None for d in inner):
            raise ShapeError(f"{op}: got an input of shape {x.shape} and fft_length=None; "
                             f"expected the innermost {k} dimensions known. Pass fft_length.")
        if inverse:
            inner[-1] = 2 * (inner[-1] - 1)
        lengths = tuple(inner)
    else:
        try:
            lengths = tuple(int(v) for v in np.asarray(fft_length).reshape(-1))
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"{op}: got fft_length={fft_length!r}; expected {k} "
                                       "integers known when the function is traced.") from None
    if len(lengths) != k or any(v <= 0 for v in lengths):
        raise InvalidArgumentError(f"{op}: got fft_length={list(lengths)}; expected {k} "
                                   "positive integer(s). Pass the transform's length per axis.")
    if x.shape.rank is not None and any(d is None for d in list(x.shape)[-k:]):
        raise ShapeError(f"{op}: got an input of shape {x.shape}; expected the innermost {k} "
                         "dimensions known (the gradient crops or pads to them). Give "
                         "engine.function an input_signature with those dimensions set.")
    return lengths


def _packed_op(name: str, tf_name: str, k: int, inverse: bool):
    infer = (_irfft_infer if inverse else _rfft_infer)(name, k)
    kernel = (_irfft_kernel if inverse else _rfft_kernel)(k)
    vjp = (_irfft_vjp if inverse else _rfft_vjp)(k)
    doc = (f"Inverse of rfft{'2d' if k == 2 else ''}: Hermitian-packed to real."
           if inverse else f"{k}-D FFT of a real tensor, keeping bins 0..n//2 of the last axis.")
    op = register(OpDef(name, tf_name, ("input",), infer, kernel, vjp=vjp,
                        attrs={"fft_length": ()}, dtypes=COMPLEX if inverse else _REAL_FLOATS,
                        doc=doc))

    def public(input_tensor, fft_length=None, name=None):
        lengths = _fft_lengths(name_, input_tensor, k, fft_length, inverse)
        return dispatch(op, (input_tensor,), {"fft_length": lengths})

    name_ = name
    public.__name__ = public.__qualname__ = name
    public.op = op
    return public


rfft = _packed_op("rfft", "RFFT", 1, False)
irfft = _packed_op("irfft", "IRFFT", 1, True)
rfft2d = _packed_op("rfft2d", "RFFT2D", 2, False)
irfft2d = _packed_op("irfft2d", "IRFFT2D", 2, True)
_RFFT = {1: rfft, 2: rfft2d}
_IRFFT = {1: irfft, 2: irfft2d}

_PACKED_DOC = """{summary}

    The innermost {k} axes of `input_tensor` are cropped or zero-padded to `fft_length`{extra}
    Raw op `{tf_name}`; float32 pairs with complex64, float64 with complex128.

    Args:
        input_tensor: {what} tensor of rank >= {k}.
        fft_length: {k} positive integer(s); None uses {default}.
        name: ignored in eager mode.

    Returns:
        {returns}

    Example:
        >>> {example}
        {result}
"""
_PACKED = {
    rfft: ("The FFT of a real signal over its innermost axis: bins 0 .. fft_length // 2.",
           ".", "a float32 or float64", "the innermost dimension",
           "A complex tensor whose last dimension is fft_length // 2 + 1.",
           "engine.signal.rfft(engine.constant([1.0, 2.0, 3.0, 4.0])).numpy()",
           "array([10.+0.j, -2.+2.j, -2.+0.j], dtype=complex64)"),
    irfft: ("The real signal whose rfft is `input_tensor` (the inverse of rfft).",
            "\n    (the last one to fft_length // 2 + 1 bins).", "a complex64 or complex128",
            "2 * (inner - 1) (an even length)", "A real tensor whose last dimension is "
            "fft_length.", "engine.signal.irfft(engine.constant([10, -2 + 2j, -2])).numpy()",
            "array([1., 2., 3., 4.])"),
    rfft2d: ("The 2-D FFT of a real signal over its innermost two axes (half the last one).",
             ".", "a float32 or float64", "the innermost two dimensions",
             "A complex tensor with inner dimensions [fft_length[0], fft_length[1] // 2 + 1].",
             "engine.signal.rfft2d(engine.ones([2, 4])).shape", "TensorShape([2, 3])"),
    irfft2d: ("The real 2-D signal whose rfft2d is `input_tensor` (the inverse of rfft2d).",
              "\n    (the last one to fft_length[1] // 2 + 1 bins).",
              "a complex64 or complex128", "[inner[0], 2 * (inner[1] - 1)]",
              "A real tensor with inner dimensions fft_length.",
              "engine.signal.irfft2d(engine.ones([2, 3], engine.complex64)).shape",
              "TensorShape([2, 4])"),
}
for _fn, (_summary, _extra, _what, _default, _returns, _example, _result) in _PACKED.items():
    _fn.__doc__ = _PACKED_DOC.format(summary=_summary, k=_fn.op.name.count("2d") + 1,
                                     extra=_extra, tf_name=_fn.op.tf_name, what=_what,
                                     default=_default, returns=_returns, example=_example,
                                     result=_result)


# --- shifts ---------------------------------------------------------------------------------
def _shift(op: str, x, axes, sign: int):
    x = convert_to_tensor(x)
    rank = x.shape.rank
    if rank is None:
        raise ShapeError(f"{op}: got an input of unknown rank; expected a known rank.")
    if axes is None:
        axes = list(range(rank))
    axes = [int(a) for a in np.asarray(axes).reshape(-1)]
    dims = [x.shape[a] for a in axes]
    if any(d is None for d in dims):
        raise ShapeError(f"{op}: got shape {x.shape}; expected the shifted axes {axes} known.")
    shifts = [sign * (d // 2) for d in dims]
    return roll(x, shifts, axes) if axes else x


def fftshift(x, axes=None, name=None):
    """Moves the zero-frequency bin to the center of the spectrum (like `np.fft.fftshift`).

    Args:
        x: a tensor.
        axes: the axes to shift (int or list); None shifts every axis.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.signal.fftshift(engine.constant([0, 1, 2, -2, -1])).numpy()
        array([-2, -1,  0,  1,  2], dtype=int32)
    """
    return _shift("fftshift", x, axes, 1)


def ifftshift(x, axes=None, name=None):
    """The inverse of `fftshift` (like `np.fft.ifftshift`; they differ for odd lengths).

    Args:
        x: a tensor.
        axes: the axes to shift (int or list); None shifts every axis.
        name: ignored in eager mode.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> engine.signal.ifftshift(engine.constant([-2, -1, 0, 1, 2])).numpy()
        array([ 0,  1,  2, -2, -1], dtype=int32)
    """
    return _shift("ifftshift", x, axes, -1)
