"""Array-level 3-D pooling kernels (max and average, and their gradients), against ``xp``.

They follow `conv3d_kernels`' conventions (NDHWC inputs; ``ksize`` and ``strides`` are
``(d, h, w)`` triples; ``padding`` is ``'SAME'``, ``'VALID'`` or three explicit pairs)
and `pool_kernels`' algorithms: a pool combines strided slices of the padded input with
``maximum`` or ``add``, one axis at a time (both reductions are separable), and the
gradients visit the ``kd*kh*kw`` window offsets one strided slice at a time.

Max pooling's gradient goes to the first maximum of each window (in depth, row, column
order), as the 2-D kernels do, so that `max_pool3d_grad_grad` is its exact adjoint.
TensorFlow's CPU kernel for `MaxPool3DGrad` instead gives the gradient to every element
that ties with the maximum; the two agree wherever a window's maximum is unique.
Average pooling counts only the non-padded elements of a window, as TensorFlow does.
"""

from __future__ import annotations

import itertools
from types import ModuleType

from engine.ops.conv3d_kernels import Array, Padding3D, Triple, crop, fold, geometry, pad, tap
from engine.ops.pool_kernels import _lowest

_UNIT = (1, 1, 1)


def _pool_padded(xp, x, ksize, strides, padding, fill):
    """``x`` padded with ``fill``, the explicit pads and the output sizes."""
    pads, out_dhw = geometry(x.shape[1:4], ksize, strides, _UNIT, padding)
    return pad(xp, x, pads, fill), pads, out_dhw


def _along(axis: int, start: int, count: int, stride: int) -> tuple:
    """Index of ``count`` positions from ``start`` in steps of ``stride`` on spatial ``axis``."""
    return (slice(None),) * (axis + 1) + (slice(start, start + (count - 1) * stride + 1, stride),)


def _reduce_taps(ufunc, x_padded, ksize, strides, out_dhw):
    """Combines the window taps with a binary ufunc, one spatial axis after the other.

    Each pass shrinks its axis to the output size, so the later passes run on less data
    (the 2-D kernels' rows-then-columns order, with depth first).
    """
    result = x_padded
    for axis in range(3):
        k, s, n = ksize[axis], strides[axis], out_dhw[axis]
        combined = result[_along(axis, 0, n, s)].copy()
        for start in range(1, k):
            ufunc(combined, result[_along(axis, start, n, s)], out=combined)
        result = combined
    return result


def max_pool3d(xp: ModuleType, x: Array, ksize: Triple, strides: Triple,
               padding: Padding3D = "VALID") -> Array:
    """3-D max pooling; padded positions never win.

    Args:
        xp: Array module.
        x: Input ``(batch, in_d, in_h, in_w, c)``.
        ksize: Window ``(kd, kh, kw)``.
        strides: ``(sd, sh, sw)``.
        padding: ``'SAME'``, ``'VALID'`` or three ``(before, after)`` pairs.

    Returns:
        ``(batch, out_d, out_h, out_w, c)``.

    Example:
        >>> x = np.arange(8.0).reshape(1, 2, 2, 2, 1)
        >>> engine.ops.pool3d_kernels.max_pool3d(np, x, (2, 2, 2), (2, 2, 2)).ravel()
        array([7.])
    """
    x_padded, _, out_dhw = _pool_padded(xp, x, ksize, strides, padding, _lowest(x.dtype))
    return _reduce_taps(xp.maximum, x_padded, ksize, strides, out_dhw)


def _taps(ksize):
    """Window offsets in depth, row, column order: the order in which a first maximum wins."""
    return itertools.product(*(range(k) for k in ksize))


def max_pool3d_grad(xp: ModuleType, x: Array, y: Array, dy: Array, ksize: Triple,
                    strides: Triple, padding: Padding3D = "VALID") -> Array:
    """Gradient of `max_pool3d`: each window's gradient goes to its first maximum.

    Args:
        xp: Array module.
        x: The forward input ``(batch, in_d, in_h, in_w, c)``.
        y: The forward output ``(batch, out_d, out_h, out_w, c)``.
        dy: Gradient of the output, shaped like ``y``.
        ksize, strides, padding: As in the forward.

    Returns:
        ``dx`` shaped like ``x``.
    """
    x_padded, pads, out_dhw = _pool_padded(xp, x, ksize, strides, padding, _lowest(x.dtype))
    dx_padded = xp.zeros(x_padded.shape, dtype=dy.dtype)
    open_ = xp.ones(y.shape, dtype=bool)  # windows whose first maximum is still ahead
    for offset in _taps(ksize):
        index = tap(offset, out_dhw, strides, _UNIT)
        hit = x_padded[index] == y
        hit &= open_
        open_ ^= hit
        dx_padded[index] += hit * dy
    return crop(xp, dx_padded, pads, x.shape[1:4])


def max_pool3d_grad_grad(xp: ModuleType, x: Array, y: Array, ddx: Array, ksize: Triple,
                         strides: Triple, padding: Padding3D = "VALID") -> Array:
    """Gradient of `max_pool3d_grad` with respect to its ``dy``: a gather at each argmax.

    Args:
        xp: Array module.
        x: The forward input ``(batch, in_d, in_h, in_w, c)``.
        y: The forward output ``(batch, out_d, out_h, out_w, c)``.
        ddx: A gradient shaped like ``x``.
        ksize, strides, padding: As in the forward.

    Returns:
        ``ddx`` read at each window's first maximum, shaped like ``y``.
    """
    x_padded, pads, out_dhw = _pool_padded(xp, x, ksize, strides, padding, _lowest(x.dtype))
    ddx_padded = pad(xp, ddx, pads, 0)
    out = xp.zeros(y.shape, dtype=ddx.dtype)
    open_ = xp.ones(y.shape, dtype=bool)
    for offset in _taps(ksize):
        index = tap(offset, out_dhw, strides, _UNIT)
        hit = x_padded[index] == y
        hit &= open_
        open_ ^= hit
        out += hit * ddx_padded[index]
    return out


def _valid_counts(xp, in_dhw, ksize, strides, pads, out_dhw, dtype):
    """Number of non-padded elements in each window, ``(1, out_d, out_h, out_w, 1)``."""
    counts = []
    for a in range(3):
        starts = xp.arange(out_dhw[a]) * strides[a] - pads[a][0]
        stops = xp.minimum(starts + ksize[a], in_dhw[a])
        counts.append(stops - xp.maximum(starts, 0))
    total = counts[0][:, None, None] * counts[1][None, :, None] * counts[2][None, None, :]
    return total.astype(dtype)[None, :, :, :, None]


def avg_pool3d(xp: ModuleType, x: Array, ksize: Triple, strides: Triple,
               padding: Padding3D = "VALID") -> Array:
    """3-D average pooling over the non-padded elements of each window.

    Args:
        xp: Array module.
        x: Input ``(batch, in_d, in_h, in_w, c)``.
        ksize: Window ``(kd, kh, kw)``.
        strides: ``(sd, sh, sw)``.
        padding: ``'SAME'``, ``'VALID'`` or three ``(before, after)`` pairs.

    Returns:
        ``(batch, out_d, out_h, out_w, c)``.
    """
    x_padded, pads, out_dhw = _pool_padded(xp, x, ksize, strides, padding, 0)
    counts = _valid_counts(xp, x.shape[1:4], ksize, strides, pads, out_dhw, x.dtype)
    return _reduce_taps(xp.add, x_padded, ksize, strides, out_dhw) / counts


def avg_pool3d_grad(xp: ModuleType, dy: Array, input_shape: tuple, ksize: Triple,
                    strides: Triple, padding: Padding3D = "VALID") -> Array:
    """Gradient of `avg_pool3d`: each window spreads ``dy / count`` over its elements.

    Args:
        xp: Array module.
        dy: Gradient of the output ``(batch, out_d, out_h, out_w, c)``.
        input_shape: ``(batch, in_d, in_h, in_w, c)`` of the forward input.
        ksize, strides, padding: As in the forward.

    Returns:
        ``dx`` with shape ``input_shape``.
    """
    in_dhw = tuple(input_shape[1:4])
    pads, out_dhw = geometry(in_dhw, ksize, strides, _UNIT, padding)
    share = dy / _valid_counts(xp, in_dhw, ksize, strides, pads, out_dhw, dy.dtype)
    return fold(xp, lambda offset: share, tuple(input_shape), share.dtype, pads, ksize,
                strides, _UNIT)
