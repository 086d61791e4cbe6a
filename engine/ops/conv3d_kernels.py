"""Array-level 3-D convolution kernels (im2col plus one GEMM), written against ``xp``.

They extend `conv_kernels` by a depth axis and follow its conventions, TensorFlow's:

- inputs are NDHWC ``(batch, in_d, in_h, in_w, in_c)``; filters are DHWIO
  ``(kd, kh, kw, in_c, out_c)``;
- ``strides`` and ``dilations`` are ``(d, h, w)`` triples;
- ``padding`` is ``'SAME'``, ``'VALID'`` or explicit ``((front, back), (top, bottom),
  (left, right))``; SAME puts the odd pixel after, as TF does. Each axis is resolved by
  `conv_kernels.padding_amounts`, the 2-D code's own rule.

As in 2-D, a zero-copy ``as_strided`` view lays out every receptive field as
``(batch, out_d, out_h, out_w, kd, kh, kw, in_c)``; reshaping it to the patch matrix
``(rows, kd*kh*kw*in_c)`` is the one copy, and the convolution is ``P @ W``, the filter
gradient ``P.T @ dy`` and the patch gradient ``dy @ W.T``, folded back onto the input
one kernel offset at a time (``kd*kh*kw`` strided slice adds, "col2im"). The 2-D kernels
keep their own tuned paths (batch blocking, trimming dead output rows); these kernels
are the plain form of the same algorithm, for every spatial axis alike.
"""

from __future__ import annotations

import itertools
from types import ModuleType

from engine.ops.conv_kernels import Array, conv_output_size, padding_amounts

Triple = tuple[int, int, int]
Padding3D = str | tuple  # 'SAME', 'VALID' or three (before, after) pairs

# Below this many input channels the patches are copied channel-major, in long runs
# (the same reason as `conv_kernels._FEW_CHANNELS`).
_FEW_CHANNELS = 4


def geometry(in_dhw, k_dhw, strides, dilations, padding: Padding3D) -> tuple:
    """Explicit pads and output sizes of one 3-D window layout.

    Args:
        in_dhw: ``(in_d, in_h, in_w)``.
        k_dhw: the window ``(kd, kh, kw)``.
        strides: ``(sd, sh, sw)``.
        dilations: ``(dd, dh, dw)``.
        padding: ``'SAME'``, ``'VALID'`` or three ``(before, after)`` pairs.

    Returns:
        ``(pads, out_dhw)``: three ``(before, after)`` pairs and three output sizes.

    Example:
        >>> engine.ops.conv3d_kernels.geometry((5, 5, 5), (3, 3, 3), (2, 2, 2), (1, 1, 1),
        ...                                    "SAME")
        (((1, 1), (1, 1), (1, 1)), (3, 3, 3))
    """
    per_axis = (padding,) * 3 if isinstance(padding, str) else padding
    pads = tuple(padding_amounts(in_dhw[a], k_dhw[a], strides[a], dilations[a], per_axis[a])
                 for a in range(3))
    out = tuple(conv_output_size(in_dhw[a], k_dhw[a], strides[a], dilations[a], pads[a])
                for a in range(3))
    return pads, out


def pad(xp, x, pads, value=0):
    """Pads the three spatial axes of an NDHWC array (``x`` itself when nothing to pad)."""
    if not any(map(any, pads)):
        return x
    return xp.pad(x, ((0, 0), *pads, (0, 0)), constant_values=value)


def crop(xp, x_padded, pads, in_dhw):
    """Cuts the padding off an NDHWC array (the inverse of `pad`)."""
    if not any(map(any, pads)):
        return x_padded
    index = tuple(slice(p[0], p[0] + n) for p, n in zip(pads, in_dhw))
    return xp.ascontiguousarray(x_padded[(slice(None), *index, slice(None))])


def windows(xp, x_padded, k_dhw, out_dhw, strides, dilations):
    """Zero-copy view ``(batch, out_d, out_h, out_w, kd, kh, kw, c)`` of a padded input."""
    n, _, _, _, c = x_padded.shape
    s_n, s_d, s_h, s_w, s_c = x_padded.strides
    spatial = (s_d, s_h, s_w)
    # Output axes step by the stride, kernel axes by the dilation.
    byte_strides = ((s_n,) + tuple(spatial[a] * strides[a] for a in range(3))
                    + tuple(spatial[a] * dilations[a] for a in range(3)) + (s_c,))
    shape = (n, *out_dhw, *k_dhw, c)
    return xp.lib.stride_tricks.as_strided(x_padded, shape=shape, strides=byte_strides)


def tap(offset, out_dhw, strides, dilations) -> tuple:
    """Index of the padded input that kernel offset ``(a, b, c)`` reads for every output.

    Offset ``a`` along an axis meets positions ``a*dilation + o*stride``: one strided slice
    ``(batch, out_d, out_h, out_w, channels)`` covers the whole output grid.
    """
    spatial = tuple(slice(offset[a] * dilations[a],
                          offset[a] * dilations[a] + (out_dhw[a] - 1) * strides[a] + 1,
                          strides[a]) for a in range(3))
    return (slice(None), *spatial, slice(None))


def fold(xp, tap_value, input_shape, dtype, pads, k_dhw, strides, dilations):
    """Sums per-offset window values back onto the input ("col2im"); adjoint of `windows`.

    ``tap_value(offset)`` is what kernel offset ``(a, b, c)`` sends back to the positions
    it read, ``(batch, out_d, out_h, out_w, channels)``.
    """
    n, *in_dhw, c = input_shape
    padded = tuple(size + before + after for size, (before, after) in zip(in_dhw, pads))
    dx_padded = xp.zeros((n, *padded, c), dtype=dtype)
    for offset in itertools.product(*(range(k) for k in k_dhw)):
        value = tap_value(offset)
        dx_padded[tap(offset, value.shape[1:4], strides, dilations)] += value
    return crop(xp, dx_padded, pads, in_dhw)


def _im2col(windows_view):
    """Patch matrix ``(batch*out_d*out_h*out_w, kd*kh*kw*in_c)`` of a windows view.

    C-ordered, or (few input channels) the transpose of a C-ordered channel-major copy,
    which copies in long runs; GEMMs take either as is.
    """
    n, od, oh, ow, kd, kh, kw, c = windows_view.shape
    rows, cols = n * od * oh * ow, kd * kh * kw * c
    if c < _FEW_CHANNELS and cols > c:
        channel_major = windows_view.transpose(4, 5, 6, 7, 0, 1, 2, 3)
        return channel_major.reshape(cols, rows).T
    return windows_view.reshape(rows, cols)


def conv3d(xp: ModuleType, x: Array, w: Array, strides: Triple = (1, 1, 1),
           dilations: Triple = (1, 1, 1), padding: Padding3D = "VALID") -> Array:
    """3-D convolution (TF's cross-correlation) as im2col plus one GEMM.

    Args:
        xp: Array module, ``numpy`` or ``cupy``.
        x: Input ``(batch, in_d, in_h, in_w, in_c)``.
        w: Filter ``(kd, kh, kw, in_c, out_c)``.
        strides: ``(sd, sh, sw)``.
        dilations: ``(dd, dh, dw)``.
        padding: ``'SAME'``, ``'VALID'`` or three ``(before, after)`` pairs.

    Returns:
        ``(batch, out_d, out_h, out_w, out_c)``.

    Example:
        >>> x, w = np.ones((1, 4, 4, 4, 1)), np.ones((3, 3, 3, 1, 2))
        >>> y = engine.ops.conv3d_kernels.conv3d(np, x, w, padding="SAME")
        >>> y.shape, float(y[0, 1, 1, 1, 0]), float(y[0, 0, 0, 0, 0])
        ((1, 4, 4, 4, 2), 27.0, 8.0)
    """
    *k_dhw, c, o = w.shape
    pads, out_dhw = geometry(x.shape[1:4], k_dhw, strides, dilations, padding)
    patches = _im2col(windows(xp, pad(xp, x, pads), k_dhw, out_dhw, strides, dilations))
    y = xp.matmul(patches, w.reshape(-1, o))  # (rows, out_c)
    return y.reshape(x.shape[0], *out_dhw, o)


def conv3d_backprop_filter(xp: ModuleType, x: Array, dy: Array, filter_shape: tuple,
                           strides: Triple = (1, 1, 1), dilations: Triple = (1, 1, 1),
                           padding: Padding3D = "VALID") -> Array:
    """Gradient of `conv3d` with respect to the filter: one GEMM ``patches.T @ dy``.

    Args:
        xp: Array module.
        x: The forward input ``(batch, in_d, in_h, in_w, in_c)``.
        dy: Gradient of the output ``(batch, out_d, out_h, out_w, out_c)``.
        filter_shape: ``(kd, kh, kw, in_c, out_c)``.
        strides, dilations, padding: As in the forward.

    Returns:
        ``dw`` with shape ``filter_shape``.
    """
    *k_dhw, _, o = filter_shape
    pads, out_dhw = geometry(x.shape[1:4], k_dhw, strides, dilations, padding)
    patches = _im2col(windows(xp, pad(xp, x, pads), k_dhw, out_dhw, strides, dilations))
    return xp.matmul(patches.T, dy.reshape(-1, o)).reshape(tuple(filter_shape))


def conv3d_backprop_input(xp: ModuleType, dy: Array, w: Array, input_shape: tuple,
                          strides: Triple = (1, 1, 1), dilations: Triple = (1, 1, 1),
                          padding: Padding3D = "VALID") -> Array:
    """Gradient of `conv3d` with respect to its input; also `conv3d_transpose`.

    One GEMM ``dy @ w.T`` gives the gradient of every patch; `fold` adds the patches
    back onto the input.

    Args:
        xp: Array module.
        dy: Gradient of the output ``(batch, out_d, out_h, out_w, out_c)``.
        w: Filter ``(kd, kh, kw, in_c, out_c)``.
        input_shape: ``(batch, in_d, in_h, in_w, in_c)`` of the forward input; for a
            transposed convolution, its output shape.
        strides, dilations, padding: As in the forward.

    Returns:
        ``dx`` with shape ``input_shape``.
    """
    *k_dhw, c, o = w.shape
    pads, _ = geometry(tuple(input_shape[1:4]), k_dhw, strides, dilations, padding)
    out_dhw = dy.shape[1:4]
    dcols = xp.matmul(dy.reshape(-1, o), w.reshape(-1, o).T)  # (rows, kd*kh*kw*in_c)
    dcols = dcols.reshape(dy.shape[0], *out_dhw, *k_dhw, c)
    return fold(xp, lambda offset: dcols[(Ellipsis, *offset, slice(None))], tuple(input_shape),
                dcols.dtype, pads, k_dhw, strides, dilations)
