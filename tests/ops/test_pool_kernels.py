"""Tests for the array-level pooling kernels in `engine/ops/pool_kernels.py`.

Forward kernels are checked against naive loop references written here; backward kernels
against central differences of the forward along a random direction, and the gradient of
the max-pool gradient against the adjoint identity.
"""

import itertools

import numpy as np
import pytest

from engine.ops import pool_kernels as pk
from tests.ops.window_refs import (
    assert_vjp,
    channels,
    directional_derivative,
    ref_pad_2d,
    rng_for,
    vdot,
)

# ------------------------------------------------------------------------ naive references


def ref_window(padded, oh, ow, ksize, strides, dilations):
    """Loop over one window's taps: list of ((row, col), values (batch, c))."""
    taps = []
    for i in range(ksize[0]):
        for j in range(ksize[1]):
            r, c = oh * strides[0] + i * dilations[0], ow * strides[1] + j * dilations[1]
            taps.append(((r, c), padded[:, r, c, :]))
    return taps


def ref_pool(x, ksize, strides, padding, kind):
    fill = -np.inf if kind == "max" else 0.0
    padded, mask, (out_h, out_w) = ref_pad_2d(x, ksize, strides, (1, 1), padding, fill)
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for oh in range(out_h):
        for ow in range(out_w):
            taps = ref_window(padded, oh, ow, ksize, strides, (1, 1))
            values = np.stack([v for _, v in taps])  # (kh*kw, batch, c)
            if kind == "max":
                y[:, oh, ow, :] = values.max(axis=0)
            else:
                count = sum(mask[r, c] for (r, c), _ in taps)
                y[:, oh, ow, :] = values.sum(axis=0) / count
    return y


# ------------------------------------------------------------------------------ helpers

POOL_CASES = [
    pytest.param(hw, k, s, p, id=f"in{hw}-k{k}-s{s}-{p}")
    for hw, k, s, p in itertools.product(
        [(7, 6), (6, 5)],
        [(1, 1), (2, 2), (3, 2)],
        [(1, 1), (2, 2)],
        ["SAME", "VALID", "explicit"],
    )
]


def pool_padding(ksize, padding):
    # Explicit pool padding must leave a real pixel in every window: pad kh-1 / kw-1.
    return ((ksize[0] - 1, 0), (0, ksize[1] - 1)) if padding == "explicit" else padding


# ------------------------------------------------------------------------------ pooling


@pytest.mark.parametrize("hw, k, s, padding", POOL_CASES)
def test_max_pool2d(hw, k, s, padding):
    key = (hw, k, s, padding, "max")
    rng = rng_for(*key)
    padding = pool_padding(k, padding)
    # Distinct values keep the argmax stable under the finite-difference step.
    x = rng.permutation(2 * hw[0] * hw[1] * 3).reshape(2, *hw, 3) / 7.0
    y = pk.max_pool2d(np, x, k, s, padding)
    np.testing.assert_array_equal(y, ref_pool(x, k, s, padding, "max"))

    dy = rng.standard_normal(y.shape)
    dx = pk.max_pool2d_grad(np, x, y, dy, k, s, padding)
    assert dx.shape == x.shape
    v = rng.standard_normal(x.shape)
    jvp = directional_derivative(lambda t: pk.max_pool2d(np, t, k, s, padding), x, v)
    assert_vjp(dx, dy, jvp, v)


@pytest.mark.parametrize("hw, k, s, padding", POOL_CASES)
def test_avg_pool2d(hw, k, s, padding):
    key = (hw, k, s, padding, "avg")
    rng = rng_for(*key)
    padding = pool_padding(k, padding)
    x = rng.standard_normal((2, *hw, channels(key)))
    y = pk.avg_pool2d(np, x, k, s, padding)
    np.testing.assert_allclose(y, ref_pool(x, k, s, padding, "avg"), rtol=1e-7, atol=1e-12)

    dy = rng.standard_normal(y.shape)
    dx = pk.avg_pool2d_grad(np, dy, x.shape, k, s, padding)
    assert dx.shape == x.shape
    v = rng.standard_normal(x.shape)
    jvp = directional_derivative(lambda t: pk.avg_pool2d(np, t, k, s, padding), x, v)
    assert_vjp(dx, dy, jvp, v)


def test_avg_pool_same_divides_by_valid_count():
    x = np.ones((1, 3, 3, 1))
    y = pk.avg_pool2d(np, x, (2, 2), (2, 2), "SAME")
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1)))


@pytest.mark.parametrize("ksize, strides", [((2, 2), (2, 2)), ((2, 2), (1, 1))])
def test_max_pool_grad_routes_ties_to_first_max(ksize, strides):
    x = np.ones((1, 3, 4, 1))  # every window is one big tie
    y = pk.max_pool2d(np, x, ksize, strides, "VALID")
    dy = np.arange(1.0, y.size + 1).reshape(y.shape)
    dx = pk.max_pool2d_grad(np, x, y, dy, ksize, strides, "VALID")
    expected = np.zeros_like(x)
    for oh in range(y.shape[1]):
        for ow in range(y.shape[2]):
            expected[0, oh * strides[0], ow * strides[1], 0] += dy[0, oh, ow, 0]
    np.testing.assert_array_equal(dx, expected)


def test_max_pool_padding_never_wins():
    x = -np.ones((1, 3, 3, 1))
    y = pk.max_pool2d(np, x, (2, 2), (2, 2), "SAME")
    np.testing.assert_array_equal(y, -np.ones((1, 2, 2, 1)))
    dx = pk.max_pool2d_grad(np, x, y, np.ones_like(y), (2, 2), (2, 2), "SAME")
    assert dx.sum() == y.size


@pytest.mark.parametrize("ksize, strides, padding", [((2, 2), (2, 2), "VALID"),
                                                     ((3, 3), (2, 1), "SAME")])
def test_max_pool_grad_grad_is_the_adjoint_of_max_pool_grad(ksize, strides, padding):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 6, 3))
    x[0, :2, :2, 0] = 1.0  # a tie: both gradients must pick the same (first) maximum
    y = pk.max_pool2d(np, x, ksize, strides, padding)
    dy, ddx = rng.standard_normal(y.shape), rng.standard_normal(x.shape)
    dx = pk.max_pool2d_grad(np, x, y, dy, ksize, strides, padding)
    gg = pk.max_pool2d_grad_grad(np, x, y, ddx, ksize, strides, padding)
    assert gg.shape == y.shape
    np.testing.assert_allclose(vdot(dx, ddx), vdot(dy, gg))


def ref_max_pool_grad(x, dy, ksize, strides, padding):
    """Loop reference: each window's gradient goes to its first maximum in row-major order."""
    padded, _, (out_h, out_w) = ref_pad_2d(x, ksize, strides, (1, 1), padding, -np.inf)
    dx = np.zeros(padded.shape)
    for oh in range(out_h):
        for ow in range(out_w):
            for b in range(x.shape[0]):
                for ch in range(x.shape[3]):
                    taps = ref_window(padded[b:b + 1, ..., ch:ch + 1], oh, ow, ksize, strides,
                                      (1, 1))
                    values = [v[0, 0] for _, v in taps]
                    r, c = taps[int(np.argmax(values))][0]  # argmax: the first maximum
                    dx[b, r, c, ch] += dy[b, oh, ow, ch]
    pads = [(padded.shape[1 + a] - x.shape[1 + a]) for a in range(2)]
    top = 0 if padding == "VALID" else (pads[0] // 2 if padding == "SAME" else padding[0][0])
    left = 0 if padding == "VALID" else (pads[1] // 2 if padding == "SAME" else padding[1][0])
    return dx[:, top:top + x.shape[1], left:left + x.shape[2]]


@pytest.mark.parametrize("hw, k, s, padding", [
    ((6, 6), (2, 2), (2, 2), "VALID"),   # windows tile the input
    ((7, 9), (2, 2), (2, 2), "VALID"),   # tiles, with a margin no window reads
    ((8, 7), (3, 3), (3, 3), "VALID"),
    ((7, 7), (3, 3), (3, 3), "SAME"),
    ((7, 6), (2, 3), (3, 4), "VALID"),   # gaps between windows
    ((6, 7), (3, 2), (2, 1), "SAME"),    # overlapping windows
    ((5, 6), (2, 2), (2, 2), ((1, 0), (0, 1))),
])
def test_max_pool_with_ties_matches_loop_reference(hw, k, s, padding):
    rng = rng_for(hw, k, s, padding, "ties")
    x = rng.integers(0, 3, (2, *hw, 3)).astype(np.float64)  # three values: many ties
    y = pk.max_pool2d(np, x, k, s, padding)
    np.testing.assert_array_equal(y, ref_pool(x, k, s, padding, "max"))
    dy = rng.standard_normal(y.shape)
    dx = pk.max_pool2d_grad(np, x, y, dy, k, s, padding)
    np.testing.assert_allclose(dx, ref_max_pool_grad(x, dy, k, s, padding), rtol=1e-12)
    ddx = rng.standard_normal(x.shape)
    gg = pk.max_pool2d_grad_grad(np, x, y, ddx, k, s, padding)
    np.testing.assert_allclose(vdot(dx, ddx), vdot(dy, gg))


@pytest.mark.parametrize("hw, k, padding", [((6, 6), (2, 2), "VALID"), ((7, 9), (2, 2), "VALID"),
                                        ((8, 7), (3, 3), "VALID"), ((6, 8), (2, 2), "SAME"),
                                        ((9, 6), (3, 2), "VALID")])
def test_max_pool_grad_of_tiling_windows(hw, k, padding):
    # Windows that tile the input take the one-pass path (ties take the loop above).
    rng = rng_for(hw, k, padding, "tiles")
    x = rng.permutation(2 * hw[0] * hw[1] * 5).reshape(2, *hw, 5) / 3.0
    y = pk.max_pool2d(np, x, k, k, padding)
    dy = rng.standard_normal(y.shape)
    dx = pk.max_pool2d_grad(np, x, y, dy, k, k, padding)
    np.testing.assert_array_equal(dx, ref_max_pool_grad(x, dy, k, k, padding))
    x[0, 1, 1, 2] = np.nan  # a NaN window passes no gradient on, as in the loop
    y = pk.max_pool2d(np, x, k, k, padding)
    dx = pk.max_pool2d_grad(np, x, y, dy, k, k, padding)
    assert np.isnan(y[0, 0, 0, 2]) and not dx[0, :k[0], :k[1], 2].any()
    np.testing.assert_array_equal(dx[1], ref_max_pool_grad(x, dy, k, k, padding)[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
def test_max_pool_keeps_the_dtype(dtype):
    x = np.arange(2 * 5 * 5 * 3).reshape(2, 5, 5, 3).astype(dtype)
    y = pk.max_pool2d(np, x, (2, 2), (2, 2), "VALID")
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, ref_pool(x.astype(np.float64), (2, 2), (2, 2), "VALID",
                                              "max"))
    if dtype != np.int32:
        dx = pk.max_pool2d_grad(np, x, y, np.ones_like(y), (2, 2), (2, 2), "VALID")
        assert dx.dtype == dtype and dx.sum() == y.size and not dx[:, 4].any()


def test_max_pool_grad_of_a_column_major_input():
    x = np.asfortranarray(rng_for("fortran").permutation(2 * 8 * 6 * 3).reshape(2, 8, 6, 3) / 5.0)
    y = pk.max_pool2d(np, x, (2, 2), (2, 2), "VALID")
    dy = rng_for("fortran dy").standard_normal(y.shape)
    dx = pk.max_pool2d_grad(np, x, y, dy, (2, 2), (2, 2), "VALID")
    assert dx.flags.c_contiguous
    np.testing.assert_array_equal(dx, ref_max_pool_grad(x, dy, (2, 2), (2, 2), "VALID"))
