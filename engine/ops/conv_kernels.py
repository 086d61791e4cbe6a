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
never loops over output positions. The pooling kernels (``pool_kernels``) combine the
same ``kh*kw`` strided slices with ``maximum`` or ``add``, and their gradients use the same
fold.
``conv2d_backprop_input`` is also ``conv2d_transpose``.
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


def _im2col(xp, x, k_hw, strides, dilations, padding):
    """Patch matrix ``(batch*out_h*out_w, kh*kw*in_c)`` and ``(out_h, out_w)``.

    The matrix is C-ordered, or F-ordered (the transpose of a C-ordered
    ``(kh*kw*in_c, rows)`` copy) when the input has few channels; GEMMs take either as is.
    """
    x_padded, windows, _ = _input_windows(xp, x, k_hw, strides, dilations, padding)
    n, out_h, out_w, kh, kw, c = windows.shape
    rows, cols = n * out_h * out_w, kh * kw * c
    if _is_pointwise(k_hw, strides):
        return x_padded.reshape(rows, c), (out_h, out_w)
    # The views are not contiguous, so each reshape is the single copy of the patches.
    if c < _FEW_CHANNELS:
        channel_major = windows.transpose(3, 4, 5, 0, 1, 2)  # (kh, kw, c, batch, out_h, out_w)
        return channel_major.reshape(cols, rows).T, (out_h, out_w)
    return windows.reshape(rows, cols), (out_h, out_w)


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


def _fold(xp, tap_value, input_shape, dtype, pads, k_hw, strides, dilations):
    """Sum per-offset window values back onto the input ("col2im"); the adjoint of `_windows`.

    ``tap_value(i, j)`` is what kernel offset ``(i, j)`` sends back to the pixels it read,
    ``(batch, out_h, out_w, c)``; the result has ``input_shape`` and ``dtype``. It takes
    ``kh*kw`` strided slice adds, one per kernel offset.
    """
    n, h, w, c = input_shape
    (top, bottom), (left, right) = pads
    if _is_pointwise(k_hw, strides):
        return _crop(xp, tap_value(0, 0), pads, (h, w))
    dx_padded = xp.zeros((n, h + top + bottom, w + left + right, c), dtype=dtype)
    for i in range(k_hw[0]):
        for j in range(k_hw[1]):
            value = tap_value(i, j)
            dx_padded[_tap(i, j, value.shape[1:3], strides, dilations)] += value
    return _crop(xp, dx_padded, pads, (h, w))


# -------------------------------------------------------------------------- convolution


def _patch_blocks(xp, windows):
    """Patch matrices of consecutive batch blocks: ``(start, stop, patches)`` triples.

    Each block's patches (about 1 MiB, at least one image) are copied into one buffer that
    is reused from block to block, so the GEMM reads them from cache rather than from a
    whole-batch patch matrix in memory: measured 10-15 % faster on W3's second conv when
    caches are cold. CuPy gets one block (the GPU wants one large GEMM).
    """
    n, out_h, out_w, kh, kw, c = windows.shape
    cols = kh * kw * c
    per_image = out_h * out_w * cols * windows.dtype.itemsize
    if xp is not np or not _BLOCK_BYTES:
        block = n
    else:
        block = max(1, min(n, _BLOCK_BYTES // max(per_image, 1)))
    if block >= n:
        yield 0, n, windows.reshape(n * out_h * out_w, cols)
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


def _blocked(xp, k_hw, strides, c):
    """Whether to use `_patch_blocks` (the row-major im2col of `_im2col`)."""
    return xp is np and c >= _FEW_CHANNELS and not _is_pointwise(k_hw, strides)


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
    if _blocked(xp, (kh, kw), strides, c):
        _, windows, _ = _input_windows(xp, x, (kh, kw), strides, dilations, padding)
        n, out_h, out_w = windows.shape[:3]
        y = xp.empty((n, out_h, out_w, o), np.result_type(x.dtype, w.dtype))
        for start, stop, patches in _patch_blocks(xp, windows):
            xp.matmul(patches, w2, out=y[start:stop].reshape(patches.shape[0], o))
        return y
    patches, (out_h, out_w) = _im2col(xp, x, (kh, kw), strides, dilations, padding)
    y = xp.matmul(patches, w2)  # (batch*out_h*out_w, out_c)
    return y.reshape(x.shape[0], out_h, out_w, o)


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
    if _blocked(xp, (kh, kw), strides, c):
        _, windows, _ = _input_windows(xp, x, (kh, kw), strides, dilations, padding)
        dw = None
        for start, stop, patches in _patch_blocks(xp, windows):
            rows = dy[start:stop].reshape(patches.shape[0], o)
            part = xp.matmul(patches.T, rows)  # (kh*kw*in_c, out_c)
            if dw is None:
                dw = part
            else:
                dw += part
        return dw.reshape(kh, kw, c, o)
    patches, _ = _im2col(xp, x, (kh, kw), strides, dilations, padding)
    dw = xp.matmul(patches.T, dy.reshape(-1, o))  # (kh*kw*in_c, out_c)
    return dw.reshape(kh, kw, c, o)


def conv2d_backprop_input(xp: ModuleType, dy: Array, w: Array, input_shape: tuple,
                          strides: Pair = (1, 1), dilations: Pair = (1, 1),
                          padding: Padding = "VALID") -> Array:
    """Gradient of `conv2d` with respect to its input; also `conv2d_transpose`.

    One GEMM ``dy @ w.T`` gives the gradient of every patch; `_fold` adds the patches
    back with ``kh*kw`` strided slice adds.

    Args:
        xp: Array module.
        dy: Gradient of the output ``(batch, out_h, out_w, out_c)``.
        w: Filter ``(kh, kw, in_c, out_c)``.
        input_shape: ``(batch, in_h, in_w, in_c)`` of the forward input; for a transposed
            convolution, its output shape.
        strides, dilations, padding: As in the forward.

    Returns:
        ``dx`` with shape ``input_shape``.
    """
    n, h, wd, c = input_shape
    kh, kw, _, o = w.shape
    pads, (out_h, out_w) = _geometry((h, wd), (kh, kw), strides, dilations, padding)
    dcols = xp.matmul(dy.reshape(-1, o), w.reshape(kh * kw * c, o).T)  # (rows, kh*kw*in_c)
    dcols = dcols.reshape(n, out_h, out_w, kh, kw, c)
    return _fold(xp, lambda i, j: dcols[:, :, :, i, j, :], input_shape, dcols.dtype, pads,
                 (kh, kw), strides, dilations)


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
