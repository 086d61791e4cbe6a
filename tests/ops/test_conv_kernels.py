"""Tests for the array-level convolution kernels in `engine/ops/conv_kernels.py`.

Forward kernels are checked against naive loop references written here; backward kernels
against central differences of the forward along a random direction and, for convolution,
against the adjoint identity.
"""

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

from tests.ops.window_refs import (
    assert_vjp,
    channels,
    directional_derivative,
    ref_pad_2d,
    rng_for,
    vdot,
)

# Load the module from its file rather than `import engine.ops.conv_kernels`, so these tests
# do not depend on the package `__init__` files, which other modules' authors own.
_PATH = Path(__file__).resolve().parents[2] / "engine" / "ops" / "conv_kernels.py"
_SPEC = importlib.util.spec_from_file_location("conv_kernels", _PATH)
ck = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ck)

# ------------------------------------------------------------------------ naive references


def ref_conv2d(x, w, strides, dilations, padding):
    kh, kw, _, o = w.shape
    padded, _, (out_h, out_w) = ref_pad_2d(x, (kh, kw), strides, dilations, padding)
    y = np.zeros((x.shape[0], out_h, out_w, o))
    for oh in range(out_h):
        for ow in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    r = oh * strides[0] + i * dilations[0]
                    c = ow * strides[1] + j * dilations[1]
                    y[:, oh, ow, :] += padded[:, r, c, :] @ w[i, j]
    return y


def ref_depthwise_conv2d(x, w, strides, dilations, padding):
    kh, kw, c, m = w.shape
    padded, _, (out_h, out_w) = ref_pad_2d(x, (kh, kw), strides, dilations, padding)
    y = np.zeros((x.shape[0], out_h, out_w, c, m))
    for oh in range(out_h):
        for ow in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    r = oh * strides[0] + i * dilations[0]
                    col = ow * strides[1] + j * dilations[1]
                    for ch in range(c):
                        y[:, oh, ow, ch, :] += padded[:, r, col, ch, None] * w[i, j, ch]
    return y.reshape(x.shape[0], out_h, out_w, c * m)


# ------------------------------------------------------------------------------ helpers

EXPLICIT = ((1, 0), (2, 1))
CONV_CASES = [
    pytest.param(hw, k, s, d, p, id=f"in{hw}-k{k}-s{s}-d{d}-{p if isinstance(p, str) else 'ex'}")
    for hw, k, s, d, p in itertools.product(
        [(7, 6), (6, 5)],
        [(1, 1), (2, 3), (3, 3)],
        [(1, 1), (2, 2), (1, 2)],
        [(1, 1), (2, 2), (1, 2)],
        ["SAME", "VALID", EXPLICIT],
    )
]


# -------------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("in_size, k, s, d, padding, pads, out", [
    (5, 3, 2, 1, "SAME", (1, 1), 3),
    (6, 3, 2, 1, "SAME", (0, 1), 3),
    (6, 1, 2, 1, "SAME", (0, 0), 3),
    (7, 3, 1, 2, "SAME", (2, 2), 7),
    (5, 3, 2, 1, "VALID", (0, 0), 2),
    (5, 3, 2, 1, (2, 1), (2, 1), 3),
])
def test_padding_and_output_size_follow_tf(in_size, k, s, d, padding, pads, out):
    assert ck.padding_amounts(in_size, k, s, d, padding) == pads
    assert ck.conv_output_size(in_size, k, s, d, padding) == out


def test_unknown_padding_string_is_rejected():
    with pytest.raises(ValueError, match="padding: got 'SMAE'"):
        ck.conv_output_size(5, 3, 1, 1, "SMAE")


def test_resolve_padding_per_axis():
    assert ck.resolve_padding((6, 5), (3, 2), (2, 1), (1, 1), "SAME") == ((0, 1), (0, 1))
    assert ck.resolve_padding((6, 5), (3, 2), (2, 1), (1, 1), EXPLICIT) == EXPLICIT


# ----------------------------------------------------------------------------- conv2d


@pytest.mark.parametrize("hw, k, s, d, padding", CONV_CASES)
def test_conv2d(hw, k, s, d, padding):
    key = (hw, k, s, d, padding)
    rng = rng_for(*key)
    c, o = channels(key), channels(key + ("out",))
    x = rng.standard_normal((2, *hw, c))
    w = rng.standard_normal((*k, c, o))
    y = ck.conv2d(np, x, w, s, d, padding)
    np.testing.assert_allclose(y, ref_conv2d(x, w, s, d, padding), rtol=1e-7, atol=1e-12)

    dy = rng.standard_normal(y.shape)
    dx = ck.conv2d_backprop_input(np, dy, w, x.shape, s, d, padding)
    dw = ck.conv2d_backprop_filter(np, x, dy, w.shape, s, d, padding)
    assert dx.shape == x.shape and dw.shape == w.shape
    # Adjoint identity: backprop_input is exactly the transpose of conv2d in x (and in w).
    np.testing.assert_allclose(vdot(y, dy), vdot(x, dx), rtol=1e-10)
    np.testing.assert_allclose(vdot(y, dy), vdot(w, dw), rtol=1e-10)

    vx, vw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    jvp_x = directional_derivative(lambda t: ck.conv2d(np, t, w, s, d, padding), x, vx)
    jvp_w = directional_derivative(lambda t: ck.conv2d(np, x, t, s, d, padding), w, vw)
    assert_vjp(dx, dy, jvp_x, vx)
    assert_vjp(dw, dy, jvp_w, vw)


def test_conv2d_keeps_float32():
    x = np.ones((1, 4, 4, 2), np.float32)
    w = np.ones((3, 3, 2, 3), np.float32)
    y = ck.conv2d(np, x, w, (1, 1), (1, 1), "SAME")
    assert y.dtype == np.float32
    assert ck.conv2d_backprop_input(np, y, w, x.shape, (1, 1), (1, 1), "SAME").dtype == np.float32
    assert ck.conv2d_backprop_filter(np, x, y, w.shape, (1, 1), (1, 1), "SAME").dtype == np.float32


def test_conv2d_of_a_column_major_input_is_row_major():
    x = np.asfortranarray(rng_for("fortran").standard_normal((2, 7, 8, 5)))
    w = rng_for("fortran w").standard_normal((3, 3, 5, 4))
    y = ck.conv2d(np, x, w, (1, 1), (1, 1), "SAME")
    assert y.flags.c_contiguous
    np.testing.assert_allclose(y, ref_conv2d(x, w, (1, 1), (1, 1), "SAME"), rtol=1e-7,
                               atol=1e-12)


# ------------------------------------------------------------------- depthwise conv2d


@pytest.mark.parametrize("hw, k, s, d, padding", CONV_CASES)
def test_depthwise_conv2d(hw, k, s, d, padding):
    key = (hw, k, s, d, padding, "depthwise")
    rng = rng_for(*key)
    c, m = channels(key), channels(key + ("mult",))
    x = rng.standard_normal((2, *hw, c))
    w = rng.standard_normal((*k, c, m))
    y = ck.depthwise_conv2d(np, x, w, s, d, padding)
    np.testing.assert_allclose(y, ref_depthwise_conv2d(x, w, s, d, padding), rtol=1e-7,
                               atol=1e-12)

    dy = rng.standard_normal(y.shape)
    dx = ck.depthwise_conv2d_backprop_input(np, dy, w, x.shape, s, d, padding)
    dw = ck.depthwise_conv2d_backprop_filter(np, x, dy, w.shape, s, d, padding)
    assert dx.shape == x.shape and dw.shape == w.shape
    np.testing.assert_allclose(vdot(y, dy), vdot(x, dx), rtol=1e-10)

    vx, vw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    jvp_x = directional_derivative(
        lambda t: ck.depthwise_conv2d(np, t, w, s, d, padding), x, vx)
    jvp_w = directional_derivative(
        lambda t: ck.depthwise_conv2d(np, x, t, s, d, padding), w, vw)
    assert_vjp(dx, dy, jvp_x, vx)
    assert_vjp(dw, dy, jvp_w, vw)


@pytest.mark.parametrize("block_bytes", [1, 3000, 0])  # per image, a few images, off
def test_blocked_im2col_matches_reference(monkeypatch, block_bytes):
    monkeypatch.setattr(ck, "_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 6, 7, 4))  # >= 4 channels: the blocked, row-major path
    w = rng.standard_normal((3, 2, 4, 3))
    args = ((2, 1), (1, 2), "SAME")
    y = ck.conv2d(np, x, w, *args)
    np.testing.assert_allclose(y, ref_conv2d(x, w, *args), rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dw = ck.conv2d_backprop_filter(np, x, dy, w.shape, *args)
    v = rng.standard_normal(w.shape)
    jvp = directional_derivative(lambda t: ck.conv2d(np, x, t, *args), w, v)
    assert_vjp(dw, dy, jvp, v)


# ------------------------------------------------- fast paths against the general ones

# (input hw, kernel, strides, dilations, padding): pointwise, stride 1 and strided, dilated.
FAST_PATH_CASES = [
    ((13, 13), (3, 3), (1, 1), (1, 1), "VALID"),  # W3's second conv
    ((7, 6), (3, 2), (2, 1), (1, 2), "SAME"),
    ((8, 9), (3, 3), (2, 2), (1, 1), EXPLICIT),
    ((5, 6), (1, 1), (1, 1), (1, 1), "VALID"),  # pointwise
    ((5, 6), (1, 1), (2, 2), (1, 1), "SAME"),
]


def _backprops(x, w, dy, args):
    return (ck.conv2d_backprop_input(np, dy, w, x.shape, *args),
            ck.conv2d_backprop_filter(np, x, dy, w.shape, *args))


@pytest.mark.parametrize("hw, k, s, d, padding", FAST_PATH_CASES)
@pytest.mark.parametrize("c", [1, 5])  # one GEMM and a fold; one GEMM per kernel offset
@pytest.mark.parametrize("zero_rows, zero_cols", [(0, 0), (1, 0), (0, 2), (2, 1)])
def test_backprops_skip_a_zero_gradient_border(monkeypatch, hw, k, s, d, padding, c, zero_rows,
                                               zero_cols):
    monkeypatch.setattr(ck, "_TRIM_DEPTH", 0)  # trim whatever the patch depth
    rng = rng_for(hw, k, s, d, padding, c, zero_rows, zero_cols)
    x = rng.standard_normal((3, *hw, c))
    w = rng.standard_normal((*k, c, 4))
    args = (s, d, padding)
    dy = rng.standard_normal(ck.conv2d(np, x, w, *args).shape)
    dy[:, dy.shape[1] - zero_rows:] = 0
    dy[:, :, dy.shape[2] - zero_cols:] = 0
    dx, dw = _backprops(x, w, dy, args)
    # The same backprops over the whole output grid: the reference the trimming must match.
    monkeypatch.setattr(ck, "_live_grid", lambda xp, g, depth: g.shape[1:3])
    full_dx, full_dw = _backprops(x, w, dy, args)
    np.testing.assert_allclose(dx, full_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, full_dw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(vdot(ck.conv2d(np, x, w, *args), dy), vdot(x, dx), rtol=1e-10)


def test_live_grid_trims_only_all_zero_trailing_rows_and_columns():
    deep = ck._TRIM_DEPTH
    dy = np.zeros((2, 5, 6, 3))
    dy[1, 2, 3, 0] = 1.0
    assert ck._live_grid(np, dy, deep) == (3, 4)
    assert ck._live_grid(np, dy, deep - 1) == (5, 6)  # shallow patches: not worth a copy
    dy[0, 4, 0, 2] = np.nan  # NaN is not zero: the last row stays
    assert ck._live_grid(np, dy, deep) == (5, 4)
    assert ck._live_grid(np, np.zeros((2, 5, 6, 3)), deep) == (1, 1)
    c = -(-deep // 9)  # deep enough 3x3 patches
    dx, dw = _backprops(np.ones((2, 7, 8, c)), np.ones((3, 3, c, 4)), np.zeros((2, 5, 6, 4)),
                        ((1, 1), (1, 1), "VALID"))
    assert dx.shape == (2, 7, 8, c) and not dx.any()
    assert dw.shape == (3, 3, c, 4) and not dw.any()


@pytest.mark.parametrize("hw, k, s, d, padding", FAST_PATH_CASES)
def test_per_offset_backprop_input_matches_one_gemm_and_fold(monkeypatch, hw, k, s, d, padding):
    rng = rng_for(hw, k, s, d, padding, "per-offset")
    dy_shape = ck.conv2d(np, np.zeros((2, *hw, 6)), np.zeros((*k, 6, 3)), s, d, padding).shape
    dy, w = rng.standard_normal(dy_shape), rng.standard_normal((*k, 6, 3))
    per_offset = ck.conv2d_backprop_input(np, dy, w, (2, *hw, 6), s, d, padding)
    monkeypatch.setattr(ck, "_FEW_CHANNELS", 7)  # 6 channels now count as few
    one_gemm = ck.conv2d_backprop_input(np, dy, w, (2, *hw, 6), s, d, padding)
    np.testing.assert_allclose(per_offset, one_gemm, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_backprop_input_keeps_the_dtype(dtype):
    dy = np.ones((1, 4, 4, 3), dtype)
    for c in (2, 5):
        w = np.ones((3, 3, c, 3), dtype)
        dx = ck.conv2d_backprop_input(np, dy, w, (1, 6, 6, c), (1, 1), (1, 1), "VALID")
        assert dx.dtype == dtype and float(dx[0, 2, 2, 0]) == 27.0
