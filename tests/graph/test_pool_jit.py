"""Numba-compiled max pooling in graphs and eagerly: the NumPy kernels' numbers, ties and NaNs
included."""

import numpy as np
import pytest

import engine
from engine.graph import cpu_jit, passes, pool_jit
from engine.ops import pool_kernels as pk

pytest.importorskip("numba")


@pytest.fixture
def compiled(traced_with_jit):
    """`run(fn, args, jit)` -> (outputs, {pooling node type: its kernel's status})."""
    def run(fn, args, jit: bool):
        outs, statuses = traced_with_jit(fn, args, jit)
        return outs, {k: v[0] for k, v in statuses.items() if k in pool_jit.BUILDERS}

    return run


def pool_and_grad(ksize, strides, padding):
    def fn(x, dy):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.nn.max_pool2d(x, ksize, strides, padding)
            loss = engine.reduce_sum(y * dy)
        return y, tape.gradient(loss, x)

    return fn


def tied(rng, shape, dtype):
    """Small integers (many tied maxima per window), with NaN and -inf mixed in."""
    x = rng.integers(-3, 3, size=shape).astype(dtype)
    flat = x.reshape(-1)
    flat[rng.integers(0, flat.size, size=flat.size // 50)] = np.nan
    flat[rng.integers(0, flat.size, size=flat.size // 50)] = -np.inf
    return x


CASES = [((2, 2), (2, 2), "VALID", (3, 12, 12, 5)),   # tiles the input
         ((2, 2), (2, 2), "VALID", (2, 11, 9, 8)),    # tiles, a row and a column left over
         ((3, 3), (3, 3), "VALID", (2, 9, 10, 4)),
         ((1, 3), (1, 3), "VALID", (2, 1, 12, 6)),    # a 1-D pool
         ((3, 3), (2, 2), "VALID", (2, 11, 11, 3)),   # overlapping windows
         ((3, 3), (1, 1), "SAME", (2, 7, 6, 4)),      # padded, overlapping
         ((2, 2), (2, 2), "SAME", (2, 7, 5, 3))]      # padded tiles: the generic kernel


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ksize, strides, padding, shape", CASES)
def test_compiled_pooling_gives_the_numpy_kernels_numbers(compiled, ksize, strides, padding,
                                                          shape, dtype):
    rng = np.random.default_rng(sum(shape))
    x = engine.constant(tied(rng, shape, dtype))
    y_shape = engine.nn.max_pool2d(x, ksize, strides, padding).shape
    dy_values = rng.standard_normal(tuple(y_shape)).astype(dtype)
    dy_values.reshape(-1)[::17] = np.inf  # spreads as NaN to the taps that miss, as in NumPy
    dy = engine.constant(dy_values)
    fn = pool_and_grad(ksize, strides, padding)
    with np.errstate(invalid="ignore"):
        got, statuses = compiled(fn, (x, dy), True)
        want, plain = compiled(fn, (x, dy), False)
    assert statuses == {"MaxPool": "compiled", "MaxPoolGrad": "compiled"}
    assert set(plain.values()) == {"numpy"}
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


def test_an_output_the_user_holds_is_never_written_again(compiled, monkeypatch):
    rng = np.random.default_rng(1)
    passes._OPTIONS["cpu_jit"] = True
    f = engine.function(lambda x: engine.nn.max_pool2d(x, 2, 2, "VALID"))
    a = engine.constant(rng.standard_normal((2, 8, 8, 3)).astype(np.float32))
    b = engine.constant(rng.standard_normal((2, 8, 8, 3)).astype(np.float32))
    first = f(a)
    kept = first.numpy().copy()
    second = f(b)
    np.testing.assert_array_equal(first.numpy(), kept)
    np.testing.assert_array_equal(second.numpy(), engine.nn.max_pool2d(b, 2, 2, "VALID"))


def test_a_non_contiguous_input_runs_the_numpy_kernel(compiled):
    passes._OPTIONS["cpu_jit"] = True
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 8, 8, 4)).astype(np.float32)
    f = engine.function(lambda v: engine.nn.max_pool2d(v, 2, 2, "VALID"))
    f(engine.constant(x))
    (ins,) = [i for i in f.get_concrete_function(engine.constant(x))._program.instructions
              if i.node.type == "MaxPool"]
    view = np.asfortranarray(x)  # same values, another layout
    np.testing.assert_array_equal(ins.fn(view), engine.nn.max_pool2d(x, 2, 2, "VALID"))


def test_tile_kernels_unroll_the_window():
    source = pool_jit.tile_source(2, 3)
    assert source.count("hit = f if x") == 6 and "x1_2" in source


# --- eager calls ----------------------------------------------------------------------------
@pytest.fixture
def eager_jit(monkeypatch, tmp_path):
    """Eager max pooling compiles on its first call for each geometry (cache under tmp)."""
    monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(passes._OPTIONS, "cpu_jit", True)
    pool_jit._EAGER.clear()
    yield
    pool_jit._EAGER.clear()


@pytest.mark.parametrize("ksize, strides, padding, shape", [CASES[1], CASES[4], CASES[5]])
def test_eager_pooling_runs_compiled_and_gives_the_numpy_kernels_bits(eager_jit, ksize, strides,
                                                                      padding, shape):
    rng = np.random.default_rng(len(shape) + shape[1])
    x = tied(rng, shape, np.float32)
    y_want = pk.max_pool2d(np, x, ksize, strides, padding)
    dy = rng.standard_normal(y_want.shape).astype(np.float32)
    with np.errstate(invalid="ignore"):
        y, grad = pool_and_grad(ksize, strides, padding)(engine.constant(x),
                                                         engine.constant(dy))
        grad_want = pk.max_pool2d_grad(np, x, y_want, dy, ksize, strides, padding)
    np.testing.assert_array_equal(y.numpy(), y_want)
    np.testing.assert_array_equal(grad.numpy(), grad_want)
    statuses = {key[0]: cpu_jit.status(run) for key, run in pool_jit._EAGER.items()}
    assert statuses == {"max_pool": "compiled", "max_pool_grad": "compiled"}


def test_eager_pooling_keeps_numpy_for_what_no_kernel_fits(eager_jit):
    rng = np.random.default_rng(5)
    half = rng.standard_normal((2, 6, 6, 3)).astype(np.float16)
    np.testing.assert_array_equal(engine.nn.max_pool2d(half, 2, 2, "VALID").numpy(),
                                  pk.max_pool2d(np, half, (2, 2), (2, 2), "VALID"))
    assert list(pool_jit._EAGER.values()) == [False]
    wide = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    view = np.asfortranarray(wide)  # not C-contiguous: NumPy's kernel, same values
    np.testing.assert_array_equal(engine.nn.max_pool2d(view, 2, 2, "VALID").numpy(),
                                  pk.max_pool2d(np, wide, (2, 2), (2, 2), "VALID"))
    passes._OPTIONS["cpu_jit"] = False  # switched off: nothing new is built
    pool_jit._EAGER.clear()
    engine.nn.max_pool2d(wide, 2, 2, "VALID")
    assert not pool_jit._EAGER
