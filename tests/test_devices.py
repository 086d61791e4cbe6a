"""Tests for devices: the CPU, logical CPUs, and placement on a fake GPU backend.

No GPU is needed: `FakeGPUBackend` (tests/fake_gpu.py) has the functions of
`engine/backend/cupy_backend.py` and keeps "device memory" in `FakeGPUArray`, a NumPy
subclass, so every transfer is visible.
"""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import engine
from engine import dispatch as _dispatch
from engine import registry
from engine.backend import devices
from engine.errors import InvalidArgumentError
from engine.tensor_shape import TensorSpec
from tests.fake_gpu import FakeGPUArray, FakeGPUBackend

CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"


def _cpu_only_kernel(xp, x):
    assert xp is np
    return np.square(np.asarray(x).view(np.ndarray))


def _register_cpu_only_op():
    try:
        return registry.get("TestCpuOnlySquare")
    except KeyError:
        return registry.register(registry.OpDef(
            "test_cpu_only_square", "TestCpuOnlySquare", ("x",),
            lambda x: TensorSpec(x.shape, x.dtype), _cpu_only_kernel,
            vjp=lambda ctx, g: (g * 2.0 * ctx.inputs[0],), gpu=False,
            doc="A test op without a GPU kernel."))


CPU_ONLY = _register_cpu_only_op()


def cpu_only_square(x):
    """The public function of the test op, as ops define them."""
    return _dispatch.dispatch(CPU_ONLY, (x,))


# --- CPU ---------------------------------------------------------------------------------
def test_physical_devices_without_gpu():
    cpus = engine.config.list_physical_devices("CPU")
    assert [d.name for d in cpus] == ["/physical_device:CPU:0"]
    assert cpus[0].device_type == "CPU"
    assert engine.config.list_physical_devices("GPU") == []
    assert engine.config.list_physical_devices() == cpus
    assert engine.config.list_logical_devices("CPU")[0].name == CPU0
    with pytest.raises(InvalidArgumentError, match="device_type"):
        engine.config.list_physical_devices("TPU")


def test_cpu_placement():
    with engine.device("/CPU:0"):
        x = engine.constant([1.0, 2.0])
        y = x * 2.0
    assert x.device == CPU0 and y.device == CPU0
    for spec in ("cpu:0", "/device:CPU:0", CPU0, "/job:localhost/replica:0/task:0/CPU:0"):
        with engine.device(spec):
            assert engine.constant(1.0).device == CPU0
    with engine.device(None):
        assert engine.constant(1.0).device == CPU0


@pytest.mark.parametrize("spec, pattern", [
    ("/GPU:0", r"'/GPU:0' does not exist; available devices: /CPU:0\. No GPU"),
    ("/CPU:5", r"'/CPU:5' does not exist; available devices: /CPU:0"),
    ("/TPU:0", r"unknown device type 'TPU'.*CPU or GPU"),
    ("not a device!", r"cannot parse"),
])
def test_unknown_devices_are_clear_errors(spec, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        engine.device(spec)


@pytest.fixture
def two_cpus():
    cpu = engine.config.list_physical_devices("CPU")[0]
    engine.config.set_logical_device_configuration(
        cpu, [engine.config.LogicalDeviceConfiguration(),
              engine.config.LogicalDeviceConfiguration()])
    yield cpu
    engine.config.set_logical_device_configuration(
        cpu, [engine.config.LogicalDeviceConfiguration()])


def test_logical_cpus(two_cpus):
    logical = engine.config.list_logical_devices("CPU")
    assert [d.name[-5:] for d in logical] == ["CPU:0", "CPU:1"]
    assert len(engine.config.get_logical_device_configuration(two_cpus)) == 2
    x = engine.constant([1.0, 2.0])                 # on /CPU:0
    with engine.device("/CPU:1"):
        y = x + 1.0                                 # input from /CPU:0 used on /CPU:1
        z = engine.constant(3.0)
        s = engine.reduce_sum(x)
    for t in (y, z, s):
        assert t.device.endswith("CPU:1")
    np.testing.assert_array_equal(y.numpy(), [2.0, 3.0])
    assert (x + y).device.endswith("CPU:1")         # follows the input off /CPU:0
    with engine.GradientTape() as tape:
        tape.watch(x)
        with engine.device("/CPU:1"):
            loss = engine.reduce_sum(x * x)
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), [2.0, 4.0])


def test_logical_cpus_restore(two_cpus):
    engine.config.set_logical_device_configuration(
        two_cpus, [engine.config.LogicalDeviceConfiguration()])
    with pytest.raises(InvalidArgumentError, match="CPU:1"):
        engine.device("/CPU:1")


def test_logical_configuration_errors():
    with pytest.raises(TypeError, match="PhysicalDevice"):
        engine.config.set_logical_device_configuration("CPU", [])


# --- a fake GPU ------------------------------------------------------------------------------
def test_fake_gpu_is_listed(gpu):
    assert [d.name for d in engine.config.list_physical_devices("GPU")] == [
        "/physical_device:GPU:0"]
    assert engine.config.list_logical_devices("GPU")[0].name.endswith("GPU:0")
    with pytest.raises(InvalidArgumentError, match="available devices: /CPU:0, /GPU:0"):
        engine.device("/GPU:1")


def test_ops_run_on_the_gpu(gpu):
    with engine.device("/GPU:0"):
        x = engine.constant([[1.0, 2.0], [3.0, 4.0]])
        y = engine.matmul(x, x) + 1.0
        s = engine.reduce_sum(y, axis=0)
        stacked = engine.stack([x, x])
    for t in (x, y, s, stacked):
        assert t.device.endswith("GPU:0")
        assert isinstance(t._value, FakeGPUArray)
    host = y.numpy()
    assert type(host) is np.ndarray
    np.testing.assert_array_equal(host, [[8.0, 11.0], [16.0, 23.0]])
    assert type(np.asarray(s)) is np.ndarray
    assert "array([24., 34.], dtype=float32)" in repr(s)


def test_gpu_tensors_keep_ops_on_the_gpu(gpu):
    x = engine.constant([1.0, 2.0]).gpu()
    y = x * 3.0 - x                     # no device scope: follows its input
    assert y.device.endswith("GPU:0") and isinstance(y._value, FakeGPUArray)


def test_cpu_inputs_are_copied_to_the_gpu(gpu):
    on_cpu = engine.constant([1.0, 1.0])
    with engine.device("/GPU:0"):
        on_gpu = engine.constant([2.0, 3.0])
    gpu.copies.clear()
    result = on_gpu + on_cpu
    assert result.device.endswith("GPU:0") and isinstance(result._value, FakeGPUArray)
    assert gpu.copies == [("to_device", (2,))]
    np.testing.assert_array_equal(result.numpy(), [3.0, 4.0])


def test_cpu_and_gpu_copies(gpu):
    x = engine.constant([1.0, 2.0])
    g = x.gpu()
    assert g.device.endswith("GPU:0") and isinstance(g._value, FakeGPUArray)
    assert g.gpu() is g
    back = g.cpu()
    assert back.device == CPU0 and type(back._value) is np.ndarray
    assert x.cpu() is x
    np.testing.assert_array_equal(back.numpy(), [1.0, 2.0])
    host = np.array(g)
    assert type(host) is np.ndarray and host.flags.writeable
    assert np.asarray(g, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="without a copy"):
        np.asarray(g, copy=False)
    restored = pickle.loads(pickle.dumps(g))
    assert restored.device.endswith("GPU:0") and isinstance(restored._value, FakeGPUArray)


def test_op_without_gpu_kernel_falls_back_to_cpu_with_one_warning(gpu):
    _dispatch._warned_fallback.discard(CPU_ONLY.name)
    with engine.device("/GPU:0"):
        x = engine.constant([1.0, 2.0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = cpu_only_square(x)
            z = cpu_only_square(y)
    fallback = [w for w in caught if "no GPU kernel" in str(w.message)]
    assert len(fallback) == 1
    assert "test_cpu_only_square" in str(fallback[0].message)
    assert fallback[0].filename == __file__  # points at the caller
    for t in (y, z):  # results come back to the requested device
        assert t.device.endswith("GPU:0") and isinstance(t._value, FakeGPUArray)
    np.testing.assert_array_equal(z.numpy(), [1.0, 16.0])


def test_gradients_on_the_gpu(gpu):
    with engine.device("/GPU:0"):
        x = engine.constant([[1.0, 2.0]])           # (1, 2)
        b = engine.constant([[0.5], [1.5]])         # (2, 1): broadcasts
        v = engine.Variable([[2.0, 3.0]])
    assert v.device.endswith("GPU:0") and isinstance(v._value, FakeGPUArray)
    with engine.GradientTape() as tape:
        tape.watch([x, b])
        loss = engine.reduce_sum((x + b) * v)
    gx, gb, gv = tape.gradient(loss, [x, b, v])
    for g in (gx, gb, gv):
        assert g.device.endswith("GPU:0") and isinstance(g._value, FakeGPUArray)
    np.testing.assert_array_equal(gx.numpy(), [[4.0, 6.0]])
    np.testing.assert_array_equal(gb.numpy(), [[5.0], [5.0]])
    np.testing.assert_array_equal(gv.numpy(), [[4.0, 6.0]])


def test_gradient_through_a_cpu_fallback_op(gpu):
    _dispatch._warned_fallback.add(CPU_ONLY.name)  # the warning is tested above
    with engine.device("/GPU:0"):
        x = engine.constant([3.0])
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = cpu_only_square(x)
        g = tape.gradient(y, x)
    assert g.device.endswith("GPU:0")
    np.testing.assert_array_equal(g.numpy(), [6.0])


def test_variable_created_in_a_gpu_scope_from_a_cpu_tensor(gpu):
    initial = engine.constant([1.0, 2.0])
    with engine.device("/GPU:0"):
        v = engine.Variable(initial)
    assert v.device.endswith("GPU:0") and isinstance(v._value, FakeGPUArray)
    assert initial.device == CPU0


def test_variables_on_the_gpu(gpu):
    with engine.device("/GPU:0"):
        v = engine.Variable([1.0, 2.0])
    array_id = id(v._value)
    v.assign_add([1.0, 1.0])
    assert id(v._value) == array_id and isinstance(v._value, FakeGPUArray)  # in place
    snapshot = v.read_value()
    v.assign_sub(engine.constant([1.0, 1.0]))  # a CPU tensor is copied over
    assert isinstance(v._value, FakeGPUArray)
    np.testing.assert_array_equal(snapshot.numpy(), [2.0, 3.0])
    v.assign([5.0, 6.0])
    assert isinstance(v._value, FakeGPUArray)
    np.testing.assert_array_equal(v.numpy(), [5.0, 6.0])
    assert v.device.endswith("GPU:0")


def test_uninstalling_the_fake_gpu():
    devices._install_gpu_backend(FakeGPUBackend())
    assert engine.config.list_physical_devices("GPU")
    devices._install_gpu_backend(None)
    assert engine.config.list_physical_devices("GPU") == []


def test_cpu0_scope_keeps_the_fast_path():
    previous = engine.context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(False)
    try:
        slow = engine.context.GLOBAL.slow
        with engine.device("/CPU:0"):
            assert engine.context.GLOBAL.slow == slow
            t = engine.constant([1.0]) + 1.0
        assert t.device.endswith("CPU:0")
        assert engine.context.GLOBAL.slow == slow
    finally:
        engine.config.experimental.set_strict_checks(previous)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_malloc_tuning_is_on_by_default_and_can_be_turned_off():
    code = "import engine.backend.numpy_backend as b; print(b.malloc_tuned)"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    default = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                             text=True, check=True, env={**os.environ})
    off = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, check=True, env={**os.environ, "EAGERLAB_MALLOC_TUNING": "0"})
    assert default.stdout.strip() == "True"
    assert off.stdout.strip() == "False"
