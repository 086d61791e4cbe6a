"""Array-level pooling kernels (max and average, and their gradients), written against ``xp``.

They follow `conv_kernels`' conventions (NHWC inputs; ``ksize`` and ``strides`` are
``(h, w)`` pairs; ``padding`` is ``'SAME'``, ``'VALID'`` or explicit ``((top, bottom),
(left, right))``) and reuse its window geometry: a pool combines strided slices of the
padded input with ``maximum`` or ``add``, the ``kh`` window rows first and then the ``kw``
columns, and the gradients visit the ``kh*kw`` window offsets one strided slice at a time,
as the convolutions' col2im does. 1-D pooling is 2-D pooling at height 1.
"""

from types import ModuleType

import numpy as np

from engine.ops.conv_kernels import Array, Padding, Pair, _crop, _fold, _geometry, _pad, _tap


def _lowest(dtype):
    """Fill value that never wins a max: ``-inf`` for floats, the minimum for integers."""
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return -np.inf  # floats, bfloat16 included (its dtype kind is "V")


def _pool_padded(xp, x, ksize, strides, padding, fill):
    """``x`` padded with ``fill``, the explicit pads and ``(out_h, out_w)``."""
    pads, out_hw = _geometry(x.shape[1:3], ksize, strides, (1, 1), padding)
    return _pad(xp, x, pads, fill), pads, out_hw


def _strided(start, count, stride):
    """Slice of ``count`` indices from ``start`` in steps of ``stride``."""
    return slice(start, start + (count - 1) * stride + 1, stride)


def _reduce_taps(xp, ufunc, x_padded, ksize, strides, out_hw):
    """Combine the ``kh*kw`` window taps with a binary ufunc, ``(batch, out_h, out_w, c)``.

    Max and sum are separable: the ``kh`` window rows are combined first over whole input
    rows, whose ``width*c`` elements are contiguous (long inner loops), then the ``kw``
    columns of that ``1/kh``-sized result, whose runs are only ``c`` long. Strided
    elementwise passes measured ~5x faster in NumPy than ``windows.max(axis=(3, 4))``, whose
    inner loops run over the tiny kernel axes; doing the rows first saves another 10-40 %.
    """
    (out_h, out_w), (kh, kw), (sh, sw) = out_hw, ksize, strides
    span_w = (out_w - 1) * sw + kw  # the columns that some window reads
    rows = x_padded[:, _strided(0, out_h, sh), :span_w].copy()  # (batch, out_h, span_w, c)
    for i in range(1, kh):
        ufunc(rows, x_padded[:, _strided(i, out_h, sh), :span_w], out=rows)
    if (kw, sw) == (1, 1):
        return rows
    out = rows[:, :, _strided(0, out_w, sw)].copy()
    for j in range(1, kw):
        ufunc(out, rows[:, :, _strided(j, out_w, sw)], out=out)
    return out


def max_pool2d(xp: ModuleType, x: Array, ksize: Pair, strides: Pair,
               padding: Padding = "VALID") -> Array:
    """2-D max pooling; padded positions never win.

    Args:
        xp: Array module.
        x: Input ``(batch, in_h, in_w, c)``.
        ksize: Window ``(kh, kw)``.
        strides: ``(sh, sw)``.
        padding: ``'SAME'``, ``'VALID'`` or ``((top, bottom), (left, right))``.

    Returns:
        ``(batch, out_h, out_w, c)``.

    Example:
        >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
        >>> engine.ops.pool_kernels.max_pool2d(np, x, (2, 2), (2, 2))[0, ..., 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """
    x_padded, _, out_hw = _pool_padded(xp, x, ksize, strides, padding, _lowest(x.dtype))
    return _reduce_taps(xp, xp.maximum, x_padded, ksize, strides, out_hw)


def max_pool2d_grad(xp: ModuleType, x: Array, y: Array, dy: Array, ksize: Pair, strides: Pair,
                    padding: Padding = "VALID") -> Array:
    """Gradient of `max_pool2d`: each window's gradient goes to its first maximum.

    Ties go to the first maximum in row-major window order, as TensorFlow's CPU kernel
    does, so a window never passes its gradient on twice.

    Args:
        xp: Array module.
        x: The forward input ``(batch, in_h, in_w, c)``.
        y: The forward output ``(batch, out_h, out_w, c)``.
        dy: Gradient of the output, shaped like ``y``.
        ksize, strides, padding: As in the forward.

    Returns:
        ``dx`` shaped like ``x``.
    """
    x_padded, pads, out_hw = _pool_padded(xp, x, ksize, strides, padding, _lowest(x.dtype))
    if xp is np and tuple(strides) == tuple(ksize) and not any(map(any, pads)):
        dx = _tiled_grad(x, y, dy, ksize, out_hw)
        if dx is not None:
            return dx
    # Windows that do not overlap (the usual 2x2/2 pool) own their taps: write, don't add.
    disjoint = strides[0] >= ksize[0] and strides[1] >= ksize[1]
    dx_padded = xp.zeros_like(x_padded, dtype=dy.dtype, order="C")
    taken = None  # windows whose maximum has been found
    taps = [(i, j) for i in range(ksize[0]) for j in range(ksize[1])]  # row-major: first wins
    for i, j in taps:
        tap = _tap(i, j, out_hw, strides, (1, 1))
        hit = x_padded[tap] == y
        if taken is None:
            taken = hit  # the first tap's hits are all first maxima
        else:
            xp.greater(hit, taken, out=hit)  # hit and not taken
            if (i, j) != taps[-1]:
                taken |= hit
        if disjoint:
            xp.multiply(hit, dy, out=dx_padded[tap])
        else:
            dx_padded[tap] += hit * dy
    return _crop(xp, dx_padded, pads, x.shape[1:3])


def _tiled_grad(x, y, dy, ksize, out_hw):
    """`max_pool2d_grad` for windows that tile `x` (stride = size, no padding), or None if
    some window holds its maximum twice (or a NaN): then the tap-by-tap loop breaks ties.

    Each window row is a run of `kw * c` elements of an input row; against `y` and `dy`
    repeated `kw` times along the width, one compare and one multiply over the input do it
    with long inner loops, where the tap loop makes four passes per tap over strided
    quarter-size views (W3's first pool: 1.1 -> 0.6 ms). A NumPy path only: the tie check
    reads a count on the host.
    """
    (kh, kw), (oh, ow) = ksize, out_hw
    b, h, w, c = x.shape
    run = ow * kw * c
    hit = x[:, :oh * kh, :ow * kw].reshape(b, oh, kh, run) == np.repeat(y, kw, axis=2).reshape(
        b, oh, 1, run)
    if np.count_nonzero(hit) != y.size:
        return None
    # `_like`: an array of x's kind (a test's fake device arrays are an ndarray subclass)
    dx = (np.empty_like if (oh * kh, ow * kw) == (h, w) else np.zeros_like)(
        x, dtype=dy.dtype, order="C")
    np.multiply(hit, np.repeat(dy, kw, axis=2).reshape(b, oh, 1, run),
                out=dx[:, :oh * kh, :ow * kw].reshape(b, oh, kh, run))
    return dx


def max_pool2d_grad_grad(xp: ModuleType, x: Array, y: Array, ddx: Array, ksize: Pair,
                         strides: Pair, padding: Padding = "VALID") -> Array:
    """Gradient of `max_pool2d_grad` with respect to its ``dy``: a gather at each argmax.

    `max_pool2d_grad` is linear in ``dy`` and sends each window's gradient to its first
    maximum, so its adjoint reads, for every window, the value of ``ddx`` at that maximum.

    Args:
        xp: Array module.
        x: The forward input ``(batch, in_h, in_w, c)``.
        y: The forward output ``(batch, out_h, out_w, c)``.
        ddx: A gradient shaped like ``x``.
        ksize, strides, padding: As in the forward.

    Returns:
        ``(batch, out_h, out_w, c)``, shaped like ``y``.
    """
    x_padded, pads, out_hw = _pool_padded(xp, x, ksize, strides, padding, _lowest(x.dtype))
    ddx_padded = _pad(xp, ddx, pads, 0)
    out = xp.zeros(y.shape, dtype=ddx.dtype)
    open_ = xp.ones(y.shape, dtype=bool)  # windows whose first maximum is still ahead
    for i in range(ksize[0]):
        for j in range(ksize[1]):
            tap = _tap(i, j, out_hw, strides, (1, 1))
            hit = x_padded[tap] == y
            hit &= open_
            open_ ^= hit
            out += hit * ddx_padded[tap]
    return out


def _valid_counts(xp, in_hw, ksize, strides, pads, out_hw, dtype):
    """Number of non-padded elements in each window, ``(1, out_h, out_w, 1)``."""
    counts = []
    for a in range(2):
        starts = xp.arange(out_hw[a]) * strides[a] - pads[a][0]
        stops = xp.minimum(starts + ksize[a], in_hw[a])
        counts.append(stops - xp.maximum(starts, 0))
    return (counts[0][:, None] * counts[1][None, :]).astype(dtype)[None, :, :, None]


def avg_pool2d(xp: ModuleType, x: Array, ksize: Pair, strides: Pair,
               padding: Padding = "VALID") -> Array:
    """2-D average pooling over the non-padded elements of each window, as TensorFlow does.

    Args:
        xp: Array module.
        x: Input ``(batch, in_h, in_w, c)``.
        ksize: Window ``(kh, kw)``.
        strides: ``(sh, sw)``.
        padding: ``'SAME'``, ``'VALID'`` or ``((top, bottom), (left, right))``; explicit
            padding is also excluded from the count.

    Returns:
        ``(batch, out_h, out_w, c)``.
    """
    x_padded, pads, out_hw = _pool_padded(xp, x, ksize, strides, padding, 0)
    counts = _valid_counts(xp, x.shape[1:3], ksize, strides, pads, out_hw, x.dtype)
    return _reduce_taps(xp, xp.add, x_padded, ksize, strides, out_hw) / counts


def avg_pool2d_grad(xp: ModuleType, dy: Array, input_shape: tuple, ksize: Pair, strides: Pair,
                    padding: Padding = "VALID") -> Array:
    """Gradient of `avg_pool2d`: each window spreads ``dy / count`` over its elements.

    Args:
        xp: Array module.
        dy: Gradient of the output ``(batch, out_h, out_w, c)``.
        input_shape: ``(batch, in_h, in_w, c)`` of the forward input.
        ksize, strides, padding: As in the forward.

    Returns:
        ``dx`` with shape ``input_shape``.
    """
    in_hw = tuple(input_shape[1:3])
    pads, out_hw = _geometry(in_hw, ksize, strides, (1, 1), padding)
    share = dy / _valid_counts(xp, in_hw, ksize, strides, pads, out_hw, dy.dtype)
    # Every element of a window gets the same share.
    return _fold(xp, lambda i, j: share, input_shape, share.dtype, pads, ksize, strides,
                 (1, 1))
