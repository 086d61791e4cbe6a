"""The conv_pool_fusion pass and its kernels: a shallow Conv2D -> MaxPool (and the gradient's
MaxPoolGrad -> Conv2DBackpropFilter) as ConvMaxPool / ConvMaxPoolFilterGrad."""

import json

import numpy as np
import pytest

import engine
from engine.graph import conv_pool_jit, cpu_jit, passes
from engine.graph.executor import Program

pytest.importorskip("numba")

FUSED = {"ConvMaxPool", "ConvMaxPoolFilterGrad"}


@pytest.fixture
def fusion(monkeypatch, tmp_path):
    """`run(fn, args, fuse, warm=0)` -> (outputs as arrays, node types, concrete function):
    traces `fn` with the pass on or off; kernels compile after `warm` NumPy calls."""
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    saved = dict(passes._OPTIONS)

    def run(fn, args, fuse: bool, warm: int = 0):
        monkeypatch.setattr(cpu_jit, "WARM_CALLS", warm)
        passes._OPTIONS["conv_pool_fusion"] = fuse
        passes._OPTIONS["cpu_jit"] = True
        f = engine.function(fn)
        concrete = f.get_concrete_function(*args)
        outs = [t.numpy() for t in f(*args)]
        return outs, {n.type for n in concrete.graph.nodes}, concrete

    yield run
    passes._OPTIONS.clear()
    passes._OPTIONS.update(saved)


def _layer(k_shape, padding, pool, dtype, seed=0, watch_x=False):
    """A train-step-like function of x: relu(maxpool(conv(x)) + b) weighted, and the
    gradients of its sum for the filter and the bias (and x with `watch_x`)."""
    rng = np.random.default_rng(seed)
    k = engine.Variable(rng.standard_normal(k_shape).astype(dtype) * 0.5)
    b = engine.Variable(rng.standard_normal(k_shape[3]).astype(dtype) * 0.1)

    def fn(x, r):
        with engine.GradientTape() as tape:
            if watch_x:
                tape.watch(x)
            z = engine.nn.conv2d(x, k, 1, padding)
            p = engine.nn.max_pool2d(z, pool, pool, "VALID")
            loss = engine.reduce_sum(engine.nn.relu(p + b) * r)
        return (loss, *tape.gradient(loss, [k, b] + ([x] if watch_x else [])))

    return fn


def _args(fn_shape, x_shape, pool_out, dtype, seed=1):
    rng = np.random.default_rng(seed)
    x = engine.constant(rng.standard_normal(x_shape).astype(dtype))
    r = engine.constant(rng.standard_normal(pool_out).astype(dtype))
    return x, r


CASES = [  # x shape, filter shape, padding, pool, pooled shape, dtype
    ((4, 12, 12, 1), (3, 3, 1, 8), "VALID", 2, (4, 5, 5, 8), np.float32),
    ((3, 11, 13, 3), (3, 3, 3, 5), "SAME", 2, (3, 5, 6, 5), np.float64),  # rows/cols left
    ((2, 10, 10, 2), (2, 2, 2, 4), [[0, 0], [1, 0], [0, 2], [0, 0]], 3, (2, 3, 3, 4),
     np.float32),
    ((2, 9, 9, 1), (5, 5, 1, 16), "SAME", 3, (2, 3, 3, 16), np.float64),
]


@pytest.mark.parametrize("x_shape, k_shape, padding, pool, pooled, dtype", CASES)
def test_fused_layer_matches_the_unfused_ops(fusion, x_shape, k_shape, padding, pool, pooled,
                                             dtype):
    fn = _layer(k_shape, padding, pool, dtype)
    args = _args(fn, x_shape, pooled, dtype)
    want, plain, _ = fusion(fn, args, fuse=False)
    got, types, concrete = fusion(fn, args, fuse=True)
    assert FUSED <= types and not {"Conv2D", "MaxPool", "MaxPoolGrad"} & types
    assert not plain & FUSED
    statuses = {k["type"]: k["status"] for k in concrete.cpu_kernels()}
    assert statuses["ConvMaxPool"] == statuses["ConvMaxPoolFilterGrad"] == "compiled"
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * np.abs(w).max())


def test_numpy_kernels_give_the_unfused_bits(fusion):
    """Before compiling (and without Numba) the fused nodes run the unfused ops' kernels."""
    fn = _layer((3, 3, 3, 5), "SAME", 2, np.float32)
    args = _args(fn, (3, 11, 13, 3), (3, 5, 6, 5), np.float32)
    want, _, _ = fusion(fn, args, fuse=False)
    got, types, concrete = fusion(fn, args, fuse=True, warm=5)
    assert FUSED <= types
    assert all(k["status"] == "numpy: warming up" for k in concrete.cpu_kernels()
               if k["type"] in FUSED)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_gradient_matches_finite_differences(fusion):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 7, 2))
    k0 = rng.standard_normal((3, 3, 2, 3))
    r = engine.constant(rng.standard_normal((2, 2, 2, 3)))
    k = engine.Variable(k0)

    def fn(x):
        with engine.GradientTape() as tape:
            p = engine.nn.max_pool2d(engine.nn.conv2d(x, k, 1, "VALID"), 2, 2, "VALID")
            loss = engine.reduce_sum(p * r)
        return (tape.gradient(loss, k),)

    (grad,), types, _ = fusion(fn, (engine.constant(x),), fuse=True)
    assert "ConvMaxPoolFilterGrad" in types

    def loss_at(kk):
        p = engine.nn.max_pool2d(engine.nn.conv2d(x, kk, 1, "VALID"), 2, 2, "VALID")
        return float(engine.reduce_sum(p * r))

    eps, numeric = 1e-6, np.zeros_like(k0)
    for i in np.ndindex(k0.shape):
        d = np.zeros_like(k0)
        d[i] = eps
        numeric[i] = (loss_at(k0 + d) - loss_at(k0 - d)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_ties_and_nans_follow_max_pool_grad(fusion):
    """Equal values give the gradient to the window's first position; a NaN maximum gives
    no gradient (MaxPoolGrad's `x == max` is false), and the NaN shows in the output."""
    x = np.zeros((2, 8, 8, 1))
    x[0, 4:, 4:, 0] = np.random.default_rng(4).standard_normal((4, 4))
    x[1, 2, 3, 0] = np.nan
    k = engine.Variable(np.random.default_rng(5).standard_normal((3, 3, 1, 4)))
    r = engine.constant(np.random.default_rng(6).standard_normal((2, 3, 3, 4)))

    def fn(x):
        with engine.GradientTape() as tape:
            p = engine.nn.max_pool2d(engine.nn.conv2d(x, k, 1, "VALID"), 2, 2, "VALID")
            loss = engine.reduce_sum(engine.where(engine.math.is_nan(p), 0.0, p) * r)
        return p, tape.gradient(loss, k)

    want, _, _ = fusion(fn, (engine.constant(x),), fuse=False)
    got, types, _ = fusion(fn, (engine.constant(x),), fuse=True)
    assert FUSED <= types
    assert np.isnan(got[0]).sum() == np.isnan(want[0]).sum() > 0
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_taps_of_the_numpy_kernel():
    z = np.array([[1.0, 3.0], [3.0, 0.0]])[None, :, :, None]  # tie: the first 3 wins
    w = np.ones((1, 1, 1, 1))
    conv = {"strides": (1, 1, 1, 1), "padding": "VALID"}
    pooled, taps = conv_pool_jit.forward_numpy(z, w, conv, (2, 2), 1, 1)
    assert pooled.ravel().tolist() == [3.0] and taps.ravel().tolist() == [1]
    z[0, 1, 1, 0] = np.nan
    pooled, taps = conv_pool_jit.forward_numpy(z, w, conv, (2, 2), 1, 1)
    assert np.isnan(pooled).all() and taps.ravel().tolist() == [conv_pool_jit.NO_TAP]


@pytest.mark.parametrize("case", ["input gradient", "conv output read", "stride 2",
                                  "deep filter", "overlapping pool", "jit off"])
def test_layers_the_pass_leaves_alone(fusion, monkeypatch, case):
    k_shape = (3, 3, 16, 4) if case == "deep filter" else (3, 3, 1, 4)
    x_shape = (2, 10, 10, k_shape[2])
    k = engine.Variable(np.random.default_rng(7).standard_normal(k_shape).astype(np.float32))
    strides = 2 if case == "stride 2" else 1
    pool_stride = 1 if case == "overlapping pool" else 2

    def fn(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            z = engine.nn.conv2d(x, k, strides, "VALID")
            loss = engine.reduce_sum(engine.nn.max_pool2d(z, 2, pool_stride, "VALID"))
            if case == "conv output read":
                loss += engine.reduce_sum(z)
        sources = [k, x] if case == "input gradient" else [k]
        return tuple(tape.gradient(loss, sources))

    x = engine.constant(np.random.default_rng(8).standard_normal(x_shape).astype(np.float32))
    if case == "jit off":
        monkeypatch.setitem(passes._OPTIONS, "cpu_jit", False)
        types = {n.type for n in engine.function(fn).get_concrete_function(x).graph.nodes}
    else:
        _, types, _ = fusion(fn, (x,), fuse=True)
    assert not types & FUSED and "Conv2D" in types


@pytest.mark.parametrize("warm", [0, 5])  # compiled; NumPy kernels while warming up
def test_inference_graph_fuses_the_forward_only(fusion, warm):
    k = engine.Variable(np.random.default_rng(9).standard_normal((3, 3, 1, 6)).astype("f4"))

    def fn(x):
        return (engine.nn.max_pool2d(engine.nn.conv2d(x, k, 1, "VALID"), 2, 2, "VALID"),)

    x = engine.constant(np.random.default_rng(10).standard_normal((3, 9, 9, 1)).astype("f4"))
    want, _, _ = fusion(fn, (x,), fuse=False)
    got, types, concrete = fusion(fn, (x,), fuse=True, warm=warm)
    node = next(n for n in concrete.graph.nodes if n.type == "ConvMaxPool")
    assert len(node.outputs) == 1 and "ConvMaxPoolFilterGrad" not in types
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
    kept = got[0].copy()
    other = concrete(x * 2.0)[0].numpy()  # a held result is not overwritten by the next call
    np.testing.assert_array_equal(got[0], kept)
    np.testing.assert_allclose(other, 2.0 * kept, rtol=1e-5, atol=1e-6)
    again = concrete(x)[0].numpy()
    np.testing.assert_array_equal(again, kept)
    report = [c for entry in concrete.pass_report if entry["pass"] == "conv_pool_fusion"
              for c in entry["changes"]]
    assert report and "ConvMaxPool" in report[0]


def test_fused_graph_round_trips_through_json(fusion):
    fn = _layer((3, 3, 1, 4), "VALID", 2, np.float32)
    args = _args(fn, (2, 8, 8, 1), (2, 3, 3, 4), np.float32)
    got, types, concrete = fusion(fn, args, fuse=True)
    data, arrays = concrete.graph.as_dict()
    variables = list(concrete.graph.variables)
    rebuilt = engine.Graph.from_dict(json.loads(json.dumps(data)), arrays, variables=variables)
    assert FUSED <= {n.type for n in rebuilt.nodes}
    outs = Program(rebuilt)([a.numpy() for a in args])
    for g, w in zip(outs, got):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_keras_cnn_fit_fuses_its_first_layer(monkeypatch, tmp_path):
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
    rng = np.random.default_rng(11)
    x = rng.random((32, 12, 12, 1)).astype("f4")
    y = rng.integers(0, 3, 32).astype("i4")
    weights = {}
    for fuse in (False, True):
        monkeypatch.setitem(passes._OPTIONS, "conv_pool_fusion", fuse)
        engine.keras.utils.set_random_seed(0)
        layers = engine.keras.layers
        model = engine.keras.Sequential([
            engine.keras.Input((12, 12, 1)), layers.Conv2D(6, 3, activation="relu"),
            layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3)])
        model.compile("adam", engine.keras.losses.SparseCategoricalCrossentropy(True))
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        graph = list(model._graph_functions["train"]._cache.values())[-1].graph
        assert (FUSED <= {n.type for n in graph.nodes}) is fuse
        weights[fuse] = model.get_weights()
    for a, b in zip(weights[False], weights[True]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_unknown_batch_size_is_fused_and_sized_per_call(monkeypatch, tmp_path):
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    k = engine.Variable(np.random.default_rng(12).standard_normal((3, 3, 2, 5)))
    spec = engine.TensorSpec([None, 9, 9, 2], engine.float64)

    def step(x):
        with engine.GradientTape() as tape:
            p = engine.nn.max_pool2d(engine.nn.conv2d(x, k, 1, "SAME"), 3, 3, "VALID")
            loss = engine.reduce_sum(p * p)
        return p, tape.gradient(loss, k)

    results = {}
    for fuse in (False, True):
        monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
        monkeypatch.setitem(passes._OPTIONS, "conv_pool_fusion", fuse)
        f = engine.function(step, input_signature=[spec])
        types = {n.type for n in f.get_concrete_function().graph.nodes}
        assert (FUSED <= types) is fuse
        rng = np.random.default_rng(13)
        results[fuse] = [[t.numpy() for t in f(rng.standard_normal((n, 9, 9, 2)))]
                         for n in (4, 1, 4, 7)]
    for got, want in zip(results[True], results[False]):
        assert got[0].shape == want[0].shape
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
