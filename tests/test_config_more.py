"""engine.errors' status codes, engine.config's device switches and aliases,
engine.debugging's new checks and switches, engine.autograph's helpers."""

import logging

import numpy as np
import pytest

import engine
from engine import errors


def test_status_codes_match_error_classes():
    assert (errors.OK, errors.CANCELLED, errors.UNAUTHENTICATED) == (0, 1, 16)
    for cls in (errors.CancelledError, errors.InvalidArgumentError, errors.NotFoundError,
                errors.OutOfRangeError, errors.DataLossError, errors.UnauthenticatedError):
        code = "".join("_" + c if c.isupper() else c for c in cls.__name__[:-5])[1:].upper()
        assert getattr(errors, code) == cls.error_code, cls.__name__
    assert issubclass(errors.OperatorNotAllowedInGraphError, TypeError)


def test_visible_devices():
    cpu = engine.config.list_physical_devices("CPU")
    assert engine.config.get_visible_devices("CPU") == cpu
    gpus = engine.config.list_physical_devices("GPU")
    try:
        engine.config.set_visible_devices([], "GPU")
        assert engine.config.get_visible_devices("GPU") == []
        assert engine.config.get_visible_devices() == cpu
        engine.config.set_visible_devices(cpu[0])
        assert engine.config.get_visible_devices() == cpu
    finally:
        engine.config.set_visible_devices(cpu + gpus)
    assert engine.config.get_visible_devices() == engine.config.list_physical_devices()
    with pytest.raises(ValueError, match="the CPU must stay visible"):
        engine.config.set_visible_devices([], "CPU")
    with pytest.raises(TypeError, match="expected PhysicalDevice"):
        engine.config.set_visible_devices(["/CPU:0"])


def test_soft_placement_and_eager_aliases():
    assert engine.config.get_soft_device_placement() is True
    engine.config.set_soft_device_placement(False)
    try:
        assert engine.config.get_soft_device_placement() is False
    finally:
        engine.config.set_soft_device_placement(True)
    assert engine.config.experimental_run_functions_eagerly is engine.config.run_functions_eagerly
    assert (engine.config.experimental_functions_run_eagerly
            is engine.config.functions_run_eagerly)
    engine.config.experimental_run_functions_eagerly(True)
    try:
        assert engine.config.experimental_functions_run_eagerly()
    finally:
        engine.config.experimental_run_functions_eagerly(False)


def test_assert_scalar_and_same_float_dtype():
    assert float(engine.debugging.assert_scalar(2.0)) == 2.0
    with pytest.raises(ValueError, match=r"loss: assert_scalar: .* got shape \(2,\)"):
        engine.debugging.assert_scalar(engine.ones([2]), message="loss")
    a, b = engine.constant(1.0), engine.constant(1.0, engine.float64)
    assert engine.debugging.assert_same_float_dtype([a, a]) == engine.float32
    assert engine.debugging.assert_same_float_dtype(None, engine.float64) == engine.float64
    with pytest.raises(ValueError, match=r"tensors\[1\] has dtype float64; expected float32"):
        engine.debugging.assert_same_float_dtype([a, b])
    with pytest.raises(ValueError, match="got dtype int32; expected a floating dtype"):
        engine.debugging.assert_same_float_dtype([engine.constant(1)])


def test_traceback_filtering_switches():
    assert engine.debugging.is_traceback_filtering_enabled()
    engine.debugging.disable_traceback_filtering()
    try:
        assert not engine.debugging.is_traceback_filtering_enabled()
    finally:
        engine.debugging.enable_traceback_filtering()


def test_log_device_placement(caplog):
    assert not engine.debugging.get_log_device_placement()
    engine.debugging.set_log_device_placement(True)
    try:
        with caplog.at_level(logging.INFO, logger="engine"):
            engine.matmul(engine.ones([2, 2]), engine.ones([2, 2]))
        assert engine.debugging.get_log_device_placement()
    finally:
        engine.debugging.set_log_device_placement(False)
    assert any("MatMul" in r.getMessage() and "CPU:0" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="engine"):
        engine.matmul(engine.ones([2, 2]), engine.ones([2, 2]))
    assert not caplog.records and not engine.debugging.get_log_device_placement()


def _absolute(x):
    if x < 0:
        x = -x
    return x


def test_autograph_helpers(capsys):
    converted = engine.autograph.to_graph(_absolute)
    assert converted is not _absolute
    assert float(engine.function(converted)(engine.constant(-3.0))) == 3.0
    assert float(converted(-2.0)) == 2.0
    engine.autograph.set_verbosity(3)
    try:
        assert engine.autograph.get_verbosity() == 3
    finally:
        engine.autograph.set_verbosity(0)
    with pytest.raises(ValueError, match="level=-1"):
        engine.autograph.set_verbosity(-1)

    @engine.function
    def traced(x):
        engine.autograph.trace("x is", x.shape)
        return x

    traced(engine.constant(np.ones(3)))
    traced(engine.constant(np.ones(3)))  # the cached graph: no second trace, no print
    assert capsys.readouterr().out.count("x is") == 1
