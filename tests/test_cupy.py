"""CuPy against NumPy: the same ops on /GPU:0 and /CPU:0 give the same results.

The tests marked `gpu` are skipped unless CuPy sees a CUDA device (see conftest.py).
`test_every_op_matches_cpu_on_gpu` runs one representative case of EVERY registered op
(through its public function, with gradients and second-order gradients where they reach
the gradient ops) on /GPU:0 and compares it with /CPU:0. Without a GPU,
`test_the_gpu_table_covers_every_op` runs the same table on the CPU and checks that it
reaches every registered op, and tests/test_cupy_api.py checks the CuPy API the kernels
use; tests/test_devices.py covers placement with a fake GPU backend.
"""

import warnings

import numpy as np
import pytest

import engine
from engine import dtypes, hooks, nest, registry
from engine.backend import cupy_backend
from engine.errors import DTypeError, InvalidArgumentError
from engine.ops import random_ops

gpu = pytest.mark.gpu

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6)).astype(np.float32)
Y = RNG.standard_normal((4, 6)).astype(np.float32)
W = RNG.standard_normal((6, 3)).astype(np.float32)
IMAGES = RNG.standard_normal((2, 5, 5, 3)).astype(np.float32)   # (batch, h, w, channels)
FILTERS = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)  # (kh, kw, in, out)


def _softmax(x):
    return engine.nn.softmax(x)


def _conv2d(images, filters):
    return engine.nn.conv2d(images, filters, strides=1, padding="SAME")


CASES = [
    ("add", lambda x, y: x + y, (X, Y)),
    ("matmul", engine.matmul, (X, W)),
    ("exp", engine.exp, (X,)),
    ("reduce_sum", lambda x: engine.reduce_sum(x, axis=1), (X,)),
    ("softmax", _softmax, (X,)),
    ("conv2d", _conv2d, (IMAGES, FILTERS)),
]


@gpu
@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_gpu_matches_cpu(name, fn, arrays):
    expected = fn(*[engine.constant(a) for a in arrays])
    with engine.device("/GPU:0"):
        inputs = [engine.constant(a) for a in arrays]
        got = fn(*inputs)
    assert got.device.endswith("GPU:0")
    assert cupy_backend.is_native(got._value)
    assert got.dtype is expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


@gpu
def test_gpu_gradient_matches_cpu():
    def loss_and_grads(x, w):
        with engine.GradientTape() as tape:
            tape.watch([x, w])
            loss = engine.reduce_sum(engine.tanh(x @ w) * 2.0 + 1.0)
        return loss, tape.gradient(loss, [x, w])

    cpu_loss, cpu_grads = loss_and_grads(engine.constant(X), engine.constant(W))
    gpu_loss, gpu_grads = loss_and_grads(engine.constant(X).gpu(), engine.constant(W).gpu())
    np.testing.assert_allclose(float(gpu_loss), float(cpu_loss), rtol=1e-5)
    for g_gpu, g_cpu in zip(gpu_grads, cpu_grads):
        assert g_gpu.device.endswith("GPU:0") and cupy_backend.is_native(g_gpu._value)
        np.testing.assert_allclose(g_gpu.numpy(), g_cpu.numpy(), rtol=1e-4, atol=1e-5)


@gpu
def test_gpu_variable_updates_in_place():
    with engine.device("/GPU:0"):
        v = engine.Variable(np.zeros((3, 3), np.float32))
    ptr = v._value.data.ptr
    v.assign_add(np.ones((3, 3), np.float32))
    assert v._value.data.ptr == ptr
    np.testing.assert_array_equal(v.numpy(), np.ones((3, 3)))


@gpu
def test_scalars_keep_their_shape_on_the_gpu():
    with engine.device("/GPU:0"):
        s = engine.constant(2.0)
    assert s.shape == [] and float(s * s) == 4.0


# --- every op on the GPU: the table is tests/gpu_op_table.py ------------------------------
from tests.gpu_op_table import OP_CASES  # noqa: E402 - after the small cases above


def _weights(t):
    """A fixed, non-uniform cotangent shaped like tensor `t`."""
    shape = tuple(t.shape)
    w = np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)
    return engine.constant(w.astype(t.dtype.as_numpy_dtype))


def _floats(outputs):
    return [o for o in nest.flatten(outputs) if o.dtype.is_floating]


def _loss(outputs, weights=None):
    outs = _floats(outputs)
    weights = weights or [_weights(o) for o in outs]
    return _sum([engine.reduce_sum(o * w) for o, w in zip(outs, weights)])


def _sum(terms):
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _run_case(fn, arrays, grad, wrt):
    """Runs one case on the current device: the outputs, plus gradients when asked."""
    xs = [engine.constant(a) for a in arrays]
    if grad is None:
        return nest.flatten(fn(*xs))
    if wrt is None:
        wrt = [i for i, a in enumerate(arrays) if a.dtype in dtypes.INEXACT_NUMPY]
    targets = [xs[i] for i in wrt]
    if grad == "grad":
        with engine.GradientTape() as tape:
            tape.watch(targets)
            outs = fn(*xs)
            loss = _loss(outs)
        return nest.flatten(outs) + list(tape.gradient(loss, targets))
    # grad2: the gradient, and its derivative with respect to the upstream gradient
    weights = [_weights(o) for o in _floats(fn(*xs))]
    with engine.GradientTape() as outer:
        outer.watch(weights)
        with engine.GradientTape() as inner:
            inner.watch(targets)
            outs = fn(*xs)
            loss = _loss(outs, weights)
        grads = inner.gradient(loss, targets)
        total = _sum([engine.reduce_sum(g * _weights(g)) for g in grads])
    return nest.flatten(outs) + list(grads) + list(outer.gradient(total, weights))


def _assert_same(got, expected):
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected)):
        assert g.dtype is e.dtype and g.shape == e.shape, f"output {k}: {g} vs {e}"
        gv, ev = g.numpy(), e.numpy()
        if e.dtype.is_floating or e.dtype.is_complex:
            double = e.dtype in (engine.float64, engine.complex128)
            tol = dict(rtol=1e-8, atol=1e-10) if double else dict(rtol=2e-4, atol=2e-5)
            if e.dtype is engine.float16:
                tol = dict(rtol=2e-3, atol=2e-3)
            np.testing.assert_allclose(gv.astype(np.complex128 if e.dtype.is_complex else
                                                 np.float64), ev, err_msg=f"output {k}", **tol)
        else:
            np.testing.assert_array_equal(gv, ev, err_msg=f"output {k}")


@pytest.fixture
def _seed_restored():
    saved = random_ops._SEEDS.global_seed
    yield
    engine.random.set_seed(saved)


@gpu
@pytest.mark.parametrize("fn, arrays, grad, wrt", OP_CASES)
def test_every_op_matches_cpu_on_gpu(fn, arrays, grad, wrt, _seed_restored):
    expected = _run_case(fn, arrays, grad, wrt)
    devices = set()
    with hooks.subscribe("op", lambda event: devices.add(event.device)):
        with warnings.catch_warnings():
            # dispatch warns when an op without a GPU kernel falls back to the CPU
            warnings.filterwarnings("error", message=".*has no GPU kernel")
            with engine.device("/GPU:0"):
                got = _run_case(fn, arrays, grad, wrt)
    assert devices and all(d.endswith("GPU:0") for d in devices), devices
    for g in got:
        assert g.device.endswith("GPU:0") and cupy_backend.is_native(g._value), g.device
    _assert_same(got, expected)


def test_the_gpu_table_covers_every_op(_seed_restored):
    # Runs the table on the CPU (no GPU needed) and records the ops it reaches.
    reached = set()
    with hooks.subscribe("op", lambda event: reached.add(event.op)):
        for param in OP_CASES:
            try:
                _run_case(*param.values)
            except Exception as exc:
                raise AssertionError(f"case {param.id} fails on the CPU: {exc!r}") from exc
    ops = {op.tf_name for op in registry.all_ops() if not op.tf_name.startswith("Test")}
    assert sorted(ops - reached) == []


@gpu
def test_gpu_linalg_failures_raise_like_cpu():
    singular = np.ones((2, 2))
    for fn in (engine.linalg.inv, engine.linalg.cholesky,
               lambda a: engine.linalg.solve(a, np.ones((2, 1)))):
        with pytest.raises(InvalidArgumentError):
            fn(engine.constant(singular))
        with engine.device("/GPU:0"), pytest.raises(InvalidArgumentError):
            fn(engine.constant(singular))


@gpu
def test_gpu_refuses_dtypes_cupy_cannot_hold():
    with engine.device("/GPU:0"), pytest.raises(DTypeError, match="CuPy"):
        engine.identity(engine.constant(["a", "b"]))
    if engine.bfloat16 is not None and not cupy_backend.supports_dtype(
            engine.bfloat16.as_numpy_dtype):
        with engine.device("/GPU:0"), pytest.raises(DTypeError, match="bfloat16"):
            engine.cast(engine.constant([1.0]), engine.bfloat16)


@gpu
def test_gpu_segment_sum_drops_out_of_range_ids():
    data = np.arange(8, dtype=np.float32).reshape(4, 2)
    ids = np.array([0, 5, -1, 1], np.int32)  # 5 and -1 are dropped on GPUs (CPUs raise for 5)
    with engine.device("/GPU:0"):
        got = engine.unsorted_segment_sum(engine.constant(data), engine.constant(ids), 2)
    np.testing.assert_array_equal(got.numpy(), [[0, 1], [6, 7]])
