"""Tests for engine.config: threads and experimental switches."""

import pytest

import engine
from engine import context


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_intra_op_threads():
    pytest.importorskip("threadpoolctl")
    threading = engine.config.threading
    assert threading.get_intra_op_parallelism_threads() == 0
    try:
        threading.set_intra_op_parallelism_threads(1)
        assert threading.get_intra_op_parallelism_threads() == 1
        assert all(n == 1 for n in _blas_threads())
        threading.set_intra_op_parallelism_threads(1)  # setting again replaces the limit
        assert threading.get_intra_op_parallelism_threads() == 1
    finally:
        threading.set_intra_op_parallelism_threads(0)
    assert threading.get_intra_op_parallelism_threads() == 0
    with pytest.raises(ValueError, match="expected >= 0"):
        threading.set_intra_op_parallelism_threads(-1)


def test_inter_op_threads():
    threading = engine.config.threading
    try:
        threading.set_inter_op_parallelism_threads(4)
        assert threading.get_inter_op_parallelism_threads() == 4
    finally:
        threading.set_inter_op_parallelism_threads(0)
    assert threading.get_inter_op_parallelism_threads() == 0
    with pytest.raises(ValueError, match="expected >= 0"):
        threading.set_inter_op_parallelism_threads(-2)


def test_strict_checks_switch():
    assert context.GLOBAL.strict  # conftest turns it on for every test
    engine.config.experimental.set_strict_checks(False)
    assert not context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(True)
    assert context.GLOBAL.strict


def test_parity_switches_are_accepted():
    cpu = engine.config.list_physical_devices("CPU")[0]
    engine.config.experimental.set_memory_growth(cpu, True)
    engine.config.experimental.enable_op_determinism()
    assert engine.config.experimental.list_physical_devices("CPU") == [cpu]
    assert (engine.config.experimental.VirtualDeviceConfiguration
            is engine.config.LogicalDeviceConfiguration)
    with pytest.raises(TypeError, match="PhysicalDevice"):
        engine.config.experimental.set_memory_growth("GPU:0", True)


def test_gpus_cannot_be_split():
    gpu = engine.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    with pytest.raises(engine.errors.UnimplementedError, match="only the CPU"):
        engine.config.set_logical_device_configuration(gpu, [])
    assert engine.config.get_logical_device_configuration(gpu) is None


def test_executing_eagerly():
    assert engine.executing_eagerly()
