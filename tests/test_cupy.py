"""CuPy against NumPy: the same ops on /GPU:0 and /CPU:0 give the same results.

Marked `gpu`: skipped unless CuPy sees a CUDA device (see conftest.py). Without a GPU,
tests/test_devices.py covers placement with a fake GPU backend.
"""

import numpy as np
import pytest

import engine
from engine.backend import cupy_backend

pytestmark = pytest.mark.gpu

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
    ("add", lambda x, y: x + y, (X, Y), None),
    ("matmul", engine.matmul, (X, W), None),
    ("exp", engine.exp, (X,), None),
    ("reduce_sum", lambda x: engine.reduce_sum(x, axis=1), (X,), None),
    ("softmax", _softmax, (X,), ("nn", "softmax")),
    ("conv2d", _conv2d, (IMAGES, FILTERS), ("nn", "conv2d")),
]


def _require(needs):
    if needs is not None and getattr(getattr(engine, needs[0]), needs[1], None) is None:
        pytest.skip(f"engine.{needs[0]}.{needs[1]} does not exist yet")


@pytest.mark.parametrize("name, fn, arrays, needs", CASES, ids=[c[0] for c in CASES])
def test_gpu_matches_cpu(name, fn, arrays, needs):
    _require(needs)
    expected = fn(*[engine.constant(a) for a in arrays])
    with engine.device("/GPU:0"):
        inputs = [engine.constant(a) for a in arrays]
        got = fn(*inputs)
    assert got.device.endswith("GPU:0")
    assert cupy_backend.is_native(got._value)
    assert got.dtype is expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


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


def test_gpu_variable_updates_in_place():
    with engine.device("/GPU:0"):
        v = engine.Variable(np.zeros((3, 3), np.float32))
    ptr = v._value.data.ptr
    v.assign_add(np.ones((3, 3), np.float32))
    assert v._value.data.ptr == ptr
    np.testing.assert_array_equal(v.numpy(), np.ones((3, 3)))


def test_scalars_keep_their_shape_on_the_gpu():
    with engine.device("/GPU:0"):
        s = engine.constant(2.0)
    assert s.shape == [] and float(s * s) == 4.0
