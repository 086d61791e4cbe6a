"""The compiled fold of Conv2DBackpropInput: the NumPy kernel's bits, strides and all."""

import numpy as np
import pytest

import engine
from engine.graph import conv_jit, cpu_jit

pytest.importorskip("numba")


@pytest.fixture
def run_traced(traced_with_jit):
    """`run(fn, args, jit)` -> (outputs, statuses of its Conv2DBackpropInput kernels)."""
    def run(fn, args, jit: bool):
        outs, statuses = traced_with_jit(fn, args, jit)
        return outs, statuses.get("Conv2DBackpropInput", [])

    return run


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, k_shape, strides, dilations, padding", [
    ((4, 13, 13, 32), (3, 3, 32, 16), 1, 1, "VALID"),   # W3's second layer, smaller
    ((2, 12, 11, 8), (3, 3, 8, 5), 2, 1, "SAME"),       # strided, padded
    ((2, 12, 12, 6), (3, 2, 6, 4), 1, 2, "VALID"),      # dilated
    ((2, 9, 9, 2), (3, 3, 2, 4), 1, 1, "SAME"),         # few channels: one GEMM, a view
])
def test_compiled_fold_gives_the_numpy_kernels_bits(run_traced, x_shape, k_shape, strides,
                                                    dilations, padding, dtype):
    rng = np.random.default_rng(0)
    x = engine.constant(rng.standard_normal(x_shape).astype(dtype))
    k = engine.constant(rng.standard_normal(k_shape).astype(dtype))
    y_shape = engine.nn.conv2d(x, k, strides, padding, dilations=dilations).shape
    dy = engine.constant(rng.standard_normal(tuple(y_shape)).astype(dtype))

    def fn(x, dy):
        with engine.GradientTape() as tape:
            tape.watch(x)
            loss = engine.reduce_sum(engine.nn.conv2d(x, k, strides, padding,
                                                      dilations=dilations) * dy)
        return (tape.gradient(loss, x),)

    got, statuses = run_traced(fn, (x, dy), True)
    want, plain = run_traced(fn, (x, dy), False)
    assert statuses == ["compiled"] and plain == ["numpy"]
    np.testing.assert_array_equal(got[0], want[0])


def test_conv2d_transpose_uses_it_too(run_traced):
    rng = np.random.default_rng(1)
    x = engine.constant(rng.standard_normal((2, 5, 5, 8)).astype(np.float32))
    k = engine.constant(rng.standard_normal((3, 3, 6, 8)).astype(np.float32))

    def fn(x):
        return (engine.nn.conv2d_transpose(x, k, [2, 11, 11, 6], 2, "VALID"),)

    got, statuses = run_traced(fn, (x,), True)
    want, _ = run_traced(fn, (x,), False)
    assert statuses == ["compiled"]
    np.testing.assert_array_equal(got[0], want[0])


def test_tap_add_matches_a_strided_add(monkeypatch, tmp_path):
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    cpu_jit.available()
    add = cpu_jit.load(conv_jit.SOURCE, lambda module, numba: None).tap_add
    rng = np.random.default_rng(2)
    value = rng.standard_normal((2, 4, 3, 5))
    for sh, sw in ((1, 1), (2, 3)):
        dx = rng.standard_normal((2, 12, 12, 5))
        want = dx.copy()
        want[:, 1::sh, 2::sw][:, :4, :3] += value
        add(dx, value, 1, 2, sh, sw)
        np.testing.assert_array_equal(dx, want)


def test_eager_backprop_input_uses_the_compiled_fold_with_numpy_bits(monkeypatch, tmp_path):
    from engine.graph import passes
    from engine.ops import conv_kernels as ck

    monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(passes._OPTIONS, "cpu_jit", True)
    monkeypatch.setattr(conv_jit, "_EAGER", {})
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 9, 9, 8)).astype(np.float32)
    k = rng.standard_normal((3, 3, 8, 4)).astype(np.float32)
    dy = rng.standard_normal((2, 4, 4, 4)).astype(np.float32)
    xt = engine.constant(x)
    with engine.GradientTape() as tape:
        tape.watch(xt)
        loss = engine.reduce_sum(engine.nn.conv2d(xt, k, 2, "VALID") * dy)
    got = tape.gradient(loss, xt).numpy()
    want = ck.conv2d_backprop_input(np, dy, k, x.shape, (2, 2), (1, 1), "VALID")
    np.testing.assert_array_equal(got, want)
    assert cpu_jit.status(conv_jit._EAGER[np.dtype(np.float32)]) == "compiled"
    half = engine.nn.conv2d_transpose(dy.astype(np.float16), k.astype(np.float16),
                                      [2, 9, 9, 8], 2, "VALID")  # no kernel: NumPy's add
    assert half.dtype == engine.float16 and conv_jit._EAGER[np.dtype(np.float16)] is False
