"""The sampling kernels behind `resize`'s 'lanczos3', 'lanczos5', 'gaussian' and 'mitchellcubic'.

These methods follow TensorFlow's scale-and-translate resampling: output pixel `o` of an axis
resized from `n_in` to `n_out` pixels sits at `(o + 0.5) * n_in / n_out` in input coordinates,
and takes the sum of input pixels `i` (centred at `i + 0.5`) weighted by the kernel at their
distance, the weights of each output pixel normalized to sum to 1. With `antialias`, a
downscale widens the kernel by `n_in / n_out`, so that every input pixel contributes.

Each axis is one dense `(n_out, n_in)` weight matrix, which `image_resize` applies with an
einsum: the gradient with respect to the image is the transposed matrix, for free. Unlike
bilinear or bicubic, these kernels are not interpolating (the Gaussian and the Mitchell cubic
are > 0 at distance 1), so resizing to the same size still blurs, as in TensorFlow.

The formulas take a namespace `m` of array functions (`image_resize._NP` for sizes known
now, `image_resize._OPS` for sizes known only when a graph runs).
"""

from __future__ import annotations

import math

# Each kernel's support: the weight is 0 at distances beyond it.
KERNEL_RADIUS = {"lanczos3": 3.0, "lanczos5": 5.0, "gaussian": 1.5, "mitchellcubic": 2.0}
KERNEL_METHODS = tuple(KERNEL_RADIUS)

_GAUSSIAN_SIGMA = 0.5  # a third of the radius
_MITCHELL_B = 1.0 / 3.0
_MITCHELL_C = 1.0 / 3.0


def _zeros(x):
    return 0.0 * x


def _lanczos(m, radius: float, x):
    """`sinc(x) * sinc(x / radius)` for distances `x` >= 0, cut off beyond `radius`."""
    small = x <= 1e-3  # sinc(0) = 1; keeps 0 / 0 out of the formula (and its gradient)
    safe = m.where(small, _zeros(x) + 1.0, x)
    value = radius * m.sin(math.pi * safe) * m.sin(math.pi * safe / radius) / (
        math.pi * math.pi * safe * safe)
    value = m.where(small, _zeros(x) + 1.0, value)
    return m.where(x > radius, _zeros(x), value)


def _gaussian(m, x):
    value = m.exp(x * x * (-0.5 / (_GAUSSIAN_SIGMA * _GAUSSIAN_SIGMA)))
    return m.where(x < KERNEL_RADIUS["gaussian"], value, _zeros(x))


def _mitchell(m, x):
    """The Mitchell-Netravali cubic with B = C = 1/3, for distances `x` >= 0."""
    b, c = _MITCHELL_B, _MITCHELL_C
    near = ((12.0 - 9.0 * b - 6.0 * c) * x * x * x + (-18.0 + 12.0 * b + 6.0 * c) * x * x
            + (6.0 - 2.0 * b)) / 6.0
    far = ((-b - 6.0 * c) * x * x * x + (6.0 * b + 30.0 * c) * x * x
           + (-12.0 * b - 48.0 * c) * x + (8.0 * b + 24.0 * c)) / 6.0
    return m.where(x < 1.0, near, m.where(x < 2.0, far, _zeros(x)))


def kernel_value(m, method: str, distance):
    """The (unnormalized) weight of `method`'s kernel at non-negative `distance`."""
    if method == "gaussian":
        return _gaussian(m, distance)
    if method == "mitchellcubic":
        return _mitchell(m, distance)
    return _lanczos(m, KERNEL_RADIUS[method], distance)


def kernel_matrix(m, method: str, antialias: bool, n_in, n_out):
    """The `(n_out, n_in)` weights that resize one axis with `method`'s kernel.

    Args:
        m: the namespace of array functions (NumPy, or engine ops for run-time sizes).
        method: one of `KERNEL_METHODS`.
        antialias: widen the kernel by `n_in / n_out` when downscaling.
        n_in, n_out: the axis' input and output sizes (ints or scalar int tensors).

    Returns:
        A float32 matrix whose rows sum to 1.
    """
    scale = m.size(n_in) / m.size(n_out)
    widen = m.maximum(scale, 1.0) if antialias else 1.0
    o, i = m.arange(n_out)[:, None], m.arange(n_in)[None, :]
    distance = m.abs(i + 0.5 - (o + 0.5) * scale) / widen
    weights = kernel_value(m, method, distance)
    return m.weights(weights / m.row_sums(weights))
