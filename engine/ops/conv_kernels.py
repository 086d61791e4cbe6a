"""Array-level convolution kernels, written once against an array module ``xp``.

Every function takes ``xp`` (``numpy`` or ``cupy``) first and uses only calls both provide
(``xp.pad``, ``xp.matmul``, ``xp.einsum``, ``xp.lib.stride_tricks.as_strided``), so one
implementation serves CPU and GPU. The functions are pure and never modify their inputs;
beyond the padding spelling they validate nothing (the ops' ``infer`` does that).
Conventions follow TensorFlow:

- inputs are NHWC ``(batch, in_h, in_w, in_c)``; filters are HWIO ``(kh, kw, in_c, out_c)``;
- ``strides`` and ``dilations`` are ``(h, w)`` pairs;
- ``padding`` is ``'SAME'``, ``'VALID'`` or explicit ``((top, bottom), (left, right))``.
  SAME gives ``out = ceil(in / stride)`` with the odd pixel of padding after, as TF does.

1-D convolution is the 2-D one at height 1: reshape ``(batch, width, c)`` to
``(batch, 1, width, c)``, a filter ``(k, in_c, out_c)`` to ``(1, k, in_c, out_c)``, pass
``(1, stride)``, ``(1, dilation)`` and ``((0, 0), (left, right))`` or the padding string,
then drop the height axis of the result.

im2col layout
-------------
After padding, a zero-copy ``as_strided`` view lays the receptive field of every output
position out as ``(batch, out_h, out_w, kh, kw, in_c)``: the first three axes step over the
output grid (the input's strides times the conv stride), the next two over the kernel
offsets (the input's strides times the dilation) and the last over channels. Reshaping
that view to ``(batch*out_h*out_w, kh*kw*in_c)`` is the one copy; its column order is the
row order of the HWIO filter reshaped to ``(kh*kw*in_c, out_c)``, so a convolution is a
single GEMM ``y = P @ W``. With fewer than four input channels the copy is made
channel-major instead, ``(kh*kw*in_c, batch*out_h*out_w)``, and ``P`` is its transpose:
the same matrix, but copied in long contiguous runs (BLAS takes either order as is).

Why the backward passes are GEMMs too
-------------------------------------
With ``y = P @ W`` the filter gradient is ``dW = P.T @ dy`` and the patch gradient is
``dP = dy @ W.T``: one GEMM each, the same shapes as the forward. ``dP`` is then folded
back onto the input ("col2im"): kernel offset ``(i, j)`` maps the whole output grid onto
one strided slice of the padded input, so the fold is ``kh*kw`` vectorized slice adds and
never loops over output positions. With four or more input channels ``dP`` is made one
offset at a time, ``dy @ W[i, j].T``, into one reused ``(batch, out_h, out_w, in_c)``
buffer that is added at once: each add then moves rows of ``out_w*in_c`` contiguous
elements instead of ``in_c``, and the buffer stays in cache. The pooling kernels
(``pool_kernels``) combine the same ``kh*kw`` strided slices with ``maximum`` or ``add``,
and their gradients use the same fold. ``conv2d_backprop_input`` is also
``conv2d_transpose``.

Both backprops first drop trailing output rows and columns whose gradient is all zero
(`_live_grid`, where the patches are deep enough to pay): they add nothing to either
gradient. A VALID pool over an odd-sized map leaves exactly such a border (W3's 11x11 conv
output pooled to 5x5 never reads the last row and column), and skipping it saves 17 % of
that layer's backward GEMMs.
"""

import threading
from types import ModuleType
from typing import Any

import numpy as np

Array = Any  # a numpy.ndarray or a cupy.ndarray, matching `xp`
Pair = tuple[int, int]
Padding = str | tuple[Pair, Pair]  # 'SAME', 'VALID' or ((top, bottom), (left, right))

# ----------------------------------------------------------------------------- geometry


def padding_amounts(in_size: int, k: int, stride: int, dilation: int,
                    padding: str | Pair) -> Pair:
    """Resolve one spatial dimension's padding to explicit ``(before, after)`` amounts.

    Args:
        in_size: Input length along this dimension.
        k: Kernel (or pooling window) length.
        stride: Step between windows.
        dilation: Step between kernel taps.
        padding: ``'SAME'``, ``'VALID'`` or an explicit ``(before, after)`` pair.

    Returns:
        ``(before, after)`` as ints. SAME puts the odd pixel after, as TensorFlow does.

    Raises:
        ValueError: If ``padding`` is a string other than ``'SAME'`` or ``'VALID'``.
    """
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise ValueError(
                f"padding: got {padding!r}; expected 'SAME', 'VALID' or explicit "
                "((top, bottom), (left, right)). Fix the spelling or pass the pad amounts.")
        if padding.upper() == "VALID":
            return (0, 0)
        out = -(-in_size // stride)
        span = (k - 1) * dilation + 1
        total = max((out - 1) * stride + span - in_size, 0)
        return (total // 2, total - total // 2)
    before, after = padding
    return (int(before), int(after))


def conv_output_size(in_size: int, k: int, stride: int, dilation: int,
                     padding: str | Pair) -> int:
    """Output length of a convolution or pooling along one dimension.

    Args:
        in_size, k, stride, dilation, padding: As in `padding_amounts`.

    Returns:
        ``floor((in + before + after - span) / stride) + 1`` with ``span = (k-1)*d + 1``;
        for SAME this equals ``ceil(in / stride)``.
    """
    before, after = padding_amounts(in_size, k, stride, dilation, padding)
    span = (k - 1) * dilation + 1
    return (in_size + before + after - span) // stride + 1


def resolve_padding(in_hw: Pair, k_hw: Pair, strides: Pair, dilations: Pair,
                    padding: Padding) -> tuple[Pair, Pair]:
    """Resolve 2-D padding to explicit ``((top, bottom), (left, right))``.

    Args:
        in_hw: ``(in_h, in_w)``.
        k_hw: ``(kh, kw)``.
        strides: ``(sh, sw)``.
        dilations: ``(dh, dw)``.
        padding: ``'SAME'``, ``'VALID'`` or ``((top, bottom), (left, right))``.

    Returns:
        ``((top, bottom), (left, right))`` as ints.
    """
    per_dim = (padding, padding) if isinstance(padding, str) else padding
    return tuple(
        padding_amounts(in_hw[a], k_hw[a], strides[a], dilations[a], per_dim[a])
        for a in range(2)
    )


def _geometry(in_hw, k_hw, strides, dilations, padding):
    """Explicit pads and ``(out_h, out_w)`` for one 2-D window layout."""
    pads = resolve_padding(in_hw, k_hw, strides, dilations, padding)
    out_hw = tuple(
        conv_output_size(in_hw[a], k_hw[a], strides[a], dilations[a], pads[a])
        for a in range(2)
    )
    return pads, out_hw


# ----------------------------------------------------------------------- im2col / col2im


def _pad(xp, x, pads, value=0):
    """Pad the spatial axes of an NHWC array; returns ``x`` itself when there is no padding."""
    if pads == ((0, 0), (0, 0)):
        return x
    return xp.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def _windows(xp, x_padded, k_hw, out_hw, strides, dilations):
    """Zero-copy view ``(batch, out_h, out_w, kh, kw, c)`` of every window of a padded input."""
    n, _, _, c = x_padded.shape
    s_n, s_h, s_w, s_c = x_padded.strides
    shape = (n, out_hw[0], out_hw[1], k_hw[0], k_hw[1], c)
    # Output axes step by the conv stride, kernel axes by the dilation.
    byte_strides = (s_n, s_h * strides[0], s_w * strides[1],
                    s_h * dilations[0], s_w * dilations[1], s_c)
    return xp.lib.stride_tricks.as_strided(x_padded, shape=shape, strides=byte_strides)


def _is_pointwise(k_hw, strides):
    """A 1x1 kernel at stride 1 sees each pixel once, so the padded input is its own im2col."""
    return tuple(k_hw) == (1, 1) and tuple(strides) == (1, 1)


def _input_windows(xp, x, k_hw, strides, dilations, padding, fill=0):
    """Pad ``x`` with ``fill``; return it, its windows view and the explicit pads."""
    pads, out_hw = _geometry(x.shape[1:3], k_hw, strides, dilations, padding)
    x_padded = _pad(xp, x, pads, fill)
    return x_padded, _windows(xp, x_padded, k_hw, out_hw, strides, dilations), pads


# With fewer input channels than this, the row-major patch copy moves runs of only kw*c
# elements; the channel-major copy moves whole output rows and measured 1.5-6x faster.
_FEW_CHANNELS = 4


def _im2col(xp, windows):
    """Patch matrix ``(batch*out_h*out_w, kh*kw*in_c)`` of a windows view.

    The matrix is C-ordered, or F-ordered (the transpose of a C-ordered
    ``(kh*kw*in_c, rows)`` copy) when the input has few channels; GEMMs take either as is.
    A 1x1 kernel whose windows tile the input gets a view, no copy.
    """
    n, out_h, out_w, kh, kw, c = windows.shape
    rows, cols = n * out_h * out_w, kh * kw * c
    if (kh, kw) == (1, 1):
        return windows.reshape(rows, c)  # a view where the windows tile the input
    # The views are not contiguous, so each reshape is the single copy of the patches.
    if c < _FEW_CHANNELS:
        channel_major = windows.transpose(3, 4, 5, 0, 1, 2)  # (kh, kw, c, batch, out_h, out_w)
        return channel_major.reshape(cols, rows).T
    return windows.reshape(rows, cols)


def _tap(i, j, out_hw, strides, dilations):
    """Index of the padded input that kernel offset ``(i, j)`` reads for every output pixel.

    Offset ``(i, j)`` meets rows ``i*dh + oh*sh`` and columns ``j*dw + ow*sw``: one strided
    slice ``(batch, out_h, out_w, c)`` covers the whole output grid.
    """
    r0, c0 = i * dilations[0], j * dilations[1]
    rows = slice(r0, r0 + (out_hw[0] - 1) * strides[0] + 1, strides[0])
    cols = slice(c0, c0 + (out_hw[1] - 1) * strides[1] + 1, strides[1])
    return (slice(None), rows, cols, slice(None))


def _crop(xp, x_padded, pads, in_hw):
    """Cut the padding off an NHWC array."""
    if pads == ((0, 0), (0, 0)):
        return x_padded
    (top, _), (left, _) = pads
    return xp.ascontiguousarray(x_padded[:, top:top + in_hw[0], left:left + in_hw[1], :])


def _fold(xp, tap_value, input_shape, dtype, pads, k_hw, strides, dilations, tap_add=None):
    """Sum per-offset window values back onto the input ("col2im"); the adjoint of `_windows`.

    ``tap_value(i, j)`` is what kernel offset ``(i, j)`` sends back to the pixels it read,
    ``(batch, out_h, out_w, c)`` (it may reuse one buffer: each value is added before the
    next is asked for); the result has ``input_shape`` and ``dtype``. It takes ``kh*kw``
    strided slice adds, one per kernel offset: NumPy's, or `tap_add`'s for C-contiguous
    values (see `conv2d_backprop_input`), which adds in the same order.
    """
    n, h, w, c = input_shape
    (top, bottom), (left, right) = pads
    padded_hw = (h + top + bottom, w + left + right)
    first = tap_value(0, 0)
    if _is_pointwise(k_hw, strides) and tuple(first.shape[1:3]) == padded_hw:
        return _crop(xp, first, pads, (h, w))  # the one offset covers every pixel
    dx_padded = xp.zeros((n, *padded_hw, c), dtype=dtype)
    for i in range(k_hw[0]):
        for j in range(k_hw[1]):
            value = first if i == j == 0 else tap_value(i, j)
            if tap_add is not None and value.flags.c_contiguous and value.dtype == dtype:
                tap_add(dx_padded, value, i * dilations[0], j * dilations[1], *strides)
            else:
                dx_padded[_tap(i, j, value.shape[1:3], strides, dilations)] += value
    return _crop(xp, dx_padded, pads, (h, w))


def _live_grid(xp, dy, depth):
    """``(out_h, out_w)`` of ``dy`` without its trailing all-zero rows and columns.

    Output pixels with a zero gradient add nothing to the input or the filter gradient
    (they would add ``0 * x``, which a BLAS may skip too, NaN or not), so the backprops
    leave them out. That copies the kept part of ``dy``, which pays only where the GEMMs
    work on each row of ``dy`` long enough: for a patch ``depth`` (``kh*kw*in_c``) of at
    least `_TRIM_DEPTH`. It reads the corner pixel, and the last row and column where that
    is zero. NumPy only: on a GPU the check would wait for the device.
    """
    out_h, out_w = dy.shape[1:3]
    if xp is not np or depth < _TRIM_DEPTH or dy[:, -1, -1].any():  # a live corner: no trim
        return out_h, out_w
    while out_h > 1 and not dy[:, out_h - 1].any():
        out_h -= 1
    while out_w > 1 and not dy[:, :out_h, out_w - 1].any():
        out_w -= 1
    return out_h, out_w


# Below this patch depth the backprop GEMMs are bound by reading ``dy``, and copying its kept
# part cost more than the skipped rows saved (measured: depth 9 lost 30 %, 36 broke even,
# 72 and up gained 5-50 %, by the share of rows skipped).
_TRIM_DEPTH = 64


# -------------------------------------------------------------------------- convolution


def _patch_blocks(xp, windows):
    """Patch matrices of consecutive batch blocks: ``(start, stop, patches)`` triples.

    Each block's patches (about 1 MiB, at least one image) are copied into one buffer that
    is reused from block to block, so the GEMM reads them from cache rather than from a
    whole-batch patch matrix in memory: measured 10-15 % faster on W3's second conv when
    caches are cold. CuPy (which wants one large GEMM), 1x1 kernels and inputs with few
    channels get one block, `_im2col`'s matrix.
    """
    n, out_h, out_w, kh, kw, c = windows.shape
    cols = kh * kw * c
    per_image = out_h * out_w * cols * windows.dtype.itemsize
    block = n
    if xp is np and _BLOCK_BYTES and c >= _FEW_CHANNELS and (kh, kw) != (1, 1):
        block = max(1, min(n, _BLOCK_BYTES // max(per_image, 1)))
    if block >= n:
        yield 0, n, _im2col(xp, windows)
        return
    buffer = _block_buffer((block, out_h, out_w, kh, kw, c), windows.dtype)
    for start in range(0, n, block):
        stop = min(n, start + block)
        patches = buffer[:stop - start]
        patches[...] = windows[start:stop]
        yield start, stop, patches.reshape(-1, cols)


# Block size of `_patch_blocks`; 0 turns blocking off. Blocking pays when freed memory is
# reused (glibc's thresholds fixed with mallopt). With glibc's default, dynamic thresholds,
# one whole-batch patch matrix measured faster (its 9 MB allocation keeps later ones on the
# heap), so set 0 there.
_BLOCK_BYTES = 1 << 20
_BLOCKS = threading.local()  # one buffer per thread: kernels in parallel threads never share


def _block_buffer(shape: tuple, dtype) -> Array:
    """A NumPy buffer of `shape` for `_patch_blocks`, reused from call to call.

    Allocating ~1 MiB afresh per call costs page faults when the allocator returns such
    blocks to the OS between calls (glibc's default), which ate the gain of blocking.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    buffer = getattr(_BLOCKS, "buffer", None)
    if buffer is None or buffer.nbytes < size:
        buffer = _BLOCKS.buffer = np.empty(max(size, 2 * _BLOCK_BYTES), np.uint8)
    return buffer[:size].view(dtype).reshape(shape)


def conv2d(xp: ModuleType, x: Array, w: Array, strides: Pair = (1, 1),
           dilations: Pair = (1, 1), padding: Padding = "VALID") -> Array:
    """2-D convolution (TF's cross-correlation) as im2col plus one GEMM.

    Args:
        xp: Array module, ``numpy`` or ``cupy``.
        x: Input ``(batch, in_h, in_w, in_c)``.
        w: Filter ``(kh, kw, in_c, out_c)``.
        strides: ``(sh, sw)``.
        dilations: ``(dh, dw)``.
        padding: ``'SAME'``, ``'VALID'`` or ``((top, bottom), (left, right))``.

    Returns:
        ``(batch, out_h, out_w, out_c)``.

    Example:
        >>> x, w = np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 2))
        >>> y = engine.ops.conv_kernels.conv2d(np, x, w, padding="SAME")
        >>> y.shape, float(y[0, 2, 2, 0])
        ((1, 5, 5, 2), 9.0)
    """
    kh, kw, c, o = w.shape
    w2 = w.reshape(kh * kw * c, o)
    _, windows, _ = _input_windows(xp, x, (kh, kw), strides, dilations, padding)
    n, out_h, out_w = windows.shape[:3]
    # Row-major (the GEMM writes into its rows), of x's kind (tests' fake device arrays).
    y = xp.empty_like(x, shape=(n, out_h, out_w, o), dtype=np.result_type(x.dtype, w.dtype),
                      order="C")
    for start, stop, patches in _patch_blocks(xp, windows):
        xp.matmul(patches, w2, out=y[start:stop].reshape(patches.shape[0], o))
    return y


def conv2d_backprop_filter(xp: ModuleType, x: Array, dy: Array, filter_shape: tuple,
                           strides: Pair = (1, 1), dilations: Pair = (1, 1),
                           padding: Padding = "VALID") -> Array:
    """Gradient of `conv2d` with respect to the filter: one GEMM ``patches.T @ dy``.

    Args:
        xp: Array module.
        x: The forward input ``(batch, in_h, in_w, in_c)``.
        dy: Gradient of the output ``(batch, out_h, out_w, out_c)``.
        filter_shape: ``(kh, kw, in_c, out_c)``.
        strides, dilations, padding: As in the forward.

    Returns:
        ``dw`` with shape ``filter_shape``.
    """
    kh, kw, c, o = filter_shape
    pads, _ = _geometry(x.shape[1:3], (kh, kw), strides, dilations, padding)
    out_hw = _live_grid(xp, dy, kh * kw * c)
    dy = dy[:, :out_hw[0], :out_hw[1]]
    windows = _windows(xp, _pad(xp, x, pads), (kh, kw), out_hw, strides, dilations)
    dw = None
    for start, stop, patches in _patch_blocks(xp, windows):
        rows = dy[start:stop].reshape(patches.shape[0], o)
        part = xp.matmul(patches.T, rows)  # (kh*kw*in_c, out_c)
        if dw is None:
            dw = part
        else:
            dw += part
    return dw.reshape(kh, kw, c, o)


def conv2d_backprop_input(xp: ModuleType, dy: Array, w: Array, input_shape: tuple,
                          strides: Pair = (1, 1), dilations: Pair = (1, 1),
                          padding: Padding = "VALID", tap_add=None) -> Array:
    """Gradient of `conv2d` with respect to its input; also `conv2d_transpose`.

    The GEMM ``dy @ w.T`` gives the gradient of every patch, one kernel offset at a time
    (four or more input channels) or all at once; `_fold` adds them back onto the input.

    Args:
        xp: Array module.
        dy: Gradient of the output ``(batch, out_h, out_w, out_c)``.
        w: Filter ``(kh, kw, in_c, out_c)``.
        input_shape: ``(batch, in_h, in_w, in_c)`` of the forward input; for a transposed
            convolution, its output shape.
        strides, dilations, padding: As in the forward.
        tap_add: optional `tap_add(dx_padded, value, row, col, sh, sw)` that does
            `dx_padded[:, row::sh, col::sw][:, :oh, :ow] += value` for C-contiguous arrays
            (a compiled loop, `engine.graph.conv_jit`); NumPy's strided add otherwise.

    Returns:
        ``dx`` with shape ``input_shape``.
    """
    n, h, wd, c = input_shape
    kh, kw, _, o = w.shape
    pads, _ = _geometry((h, wd), (kh, kw), strides, dilations, padding)
    out_h, out_w = _live_grid(xp, dy, kh * kw * c)
    rows = dy[:, :out_h, :out_w].reshape(-1, o)  # (positions, out_c); a copy if trimmed
    if c < _FEW_CHANNELS:  # per-offset GEMMs would be matrix-vector products
        dcols = xp.matmul(rows, w.reshape(kh * kw * c, o).T)  # (rows, kh*kw*in_c)
        dcols = dcols.reshape(n, out_h, out_w, kh, kw, c)
        return _fold(xp, lambda i, j: dcols[:, :, :, i, j, :], input_shape, dcols.dtype,
                     pads, (kh, kw), strides, dilations, tap_add)
    w_t = w.transpose(0, 1, 3, 2)  # (kh, kw, out_c, in_c)
    dtype = np.result_type(dy.dtype, w.dtype)
    buffer = xp.empty((n, out_h, out_w, c), dtype)

    def offset_gradient(i, j):
        xp.matmul(rows, w_t[i, j], out=buffer.reshape(-1, c))
        return buffer

    return _fold(xp, offset_gradient, input_shape, dtype, pads, (kh, kw), strides, dilations,
                 tap_add)


# ---------------------------------------------------------------- depthwise convolution


def depthwise_conv2d(xp: ModuleType, x: Array, w: Array, strides: Pair = (1, 1),
                     dilations: Pair = (1, 1), padding: Padding = "VALID") -> Array:
    """Depthwise 2-D convolution: each input channel has its own ``channel_multiplier`` filters.

    Args:
        xp: Array module.
        x: Input ``(batch, in_h, in_w, in_c)``.
        w: Filter ``(kh, kw, in_c, channel_multiplier)``.
        strides, dilations, padding: As in `conv2d`.

    Returns:
        ``(batch, out_h, out_w, in_c * channel_multiplier)``; channel ``c*m_count + m`` is
        input channel ``c`` through filter ``m``, as in TensorFlow.
    """
    kh, kw, c, m = w.shape
    _, windows, _ = _input_windows(xp, x, (kh, kw), strides, dilations, padding)
    y = xp.einsum("nhwijc,ijcm->nhwcm", windows, w)  # (batch, out_h, out_w, in_c, mult)
    n, out_h, out_w = y.shape[:3]
    return y.reshape(n, out_h, out_w, c * m)


def depthwise_conv2d_backprop_filter(xp: ModuleType, x: Array, dy: Array,
                                     filter_shape: tuple, strides: Pair = (1, 1),
                                     dilations: Pair = (1, 1),
                                     padding: Padding = "VALID") -> Array:
    """Gradient of `depthwise_conv2d` with respect to the filter.

    Args:
        xp: Array module.
        x: The forward input ``(batch, in_h, in_w, in_c)``.
        dy: Gradient of the output ``(batch, out_h, out_w, in_c * channel_multiplier)``.
        filter_shape: ``(kh, kw, in_c, channel_multiplier)``.
        strides, dilations, padding: As in the forward.

    Returns:
        ``dw`` with shape ``filter_shape``.
    """
    kh, kw, c, m = filter_shape
    _, windows, _ = _input_windows(xp, x, (kh, kw), strides, dilations, padding)
    dy5 = dy.reshape(dy.shape[:3] + (c, m))  # (batch, out_h, out_w, in_c, mult)
    return xp.einsum("nhwijc,nhwcm->ijcm", windows, dy5)


def depthwise_conv2d_backprop_input(xp: ModuleType, dy: Array, w: Array, input_shape: tuple,
                                    strides: Pair = (1, 1), dilations: Pair = (1, 1),
                                    padding: Padding = "VALID") -> Array:
    """Gradient of `depthwise_conv2d` with respect to its input.

    Args:
        xp: Array module.
        dy: Gradient of the output ``(batch, out_h, out_w, in_c * channel_multiplier)``.
        w: Filter ``(kh, kw, in_c, channel_multiplier)``.
        input_shape: ``(batch, in_h, in_w, in_c)``.
        strides, dilations, padding: As in the forward.

    Returns:
        ``dx`` with shape ``input_shape``.
    """
    kh, kw, c, m = w.shape
    pads = resolve_padding(input_shape[1:3], (kh, kw), strides, dilations, padding)
    dy5 = dy.reshape(dy.shape[:3] + (c, m))  # (batch, out_h, out_w, in_c, mult)
    # One small einsum per offset: a single "nhwcm,ijcm->nhwijc" measured 3x slower.
    return _fold(xp, lambda i, j: xp.einsum("nhwcm,cm->nhwc", dy5, w[i, j]), input_shape,
                 dy.dtype, pads, (kh, kw), strides, dilations)
