"""Tests for dispatch: the fast path, strict checks, dtype checks and kernel-failure errors."""

import numpy as np
import pytest

import engine
from engine import context, registry
from engine import dispatch as _dispatch
from engine.errors import DTypeError, InternalError, InvalidArgumentError, ShapeError
from engine.tensor_shape import TensorSpec


def _register(op):
    try:
        return registry.get(op.tf_name)
    except KeyError:
        return registry.register(op)


# Infer claims float64, the kernel returns the input's dtype: strict mode must catch it.
WRONG_INFER = _register(registry.OpDef(
    "test_wrong_infer", "TestWrongInfer", ("x",),
    lambda x: TensorSpec(x.shape, engine.float64), lambda xp, x: x * 2,
    doc="A deliberately wrong op for the strict-mode test."))

# Infer accepts anything, the kernel fails: dispatch must still name the op and shapes.
FAILING = _register(registry.OpDef(
    "test_failing_kernel", "TestFailingKernel", ("a", "b"),
    lambda a, b: a, lambda xp, a, b: xp.dot(a, b), doc="A kernel that fails on bad shapes."))


@pytest.fixture
def not_strict():
    """Strict checks (on in every test, see conftest) count as a reason to leave the fast path."""
    previous = context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(False)
    yield
    engine.config.experimental.set_strict_checks(previous)


@pytest.fixture
def dispatch_calls(monkeypatch):
    """Counts calls of the full `dispatch` (the operator fast paths skip it)."""
    calls = []
    full = _dispatch.dispatch

    def counting(op, inputs, attrs=_dispatch._EMPTY):
        calls.append(op.tf_name)
        return full(op, inputs, attrs)

    monkeypatch.setattr(_dispatch, "dispatch", counting)
    return calls


def test_nothing_slow_outside_tapes(not_strict):
    assert context.GLOBAL.slow == 0
    with engine.GradientTape():
        assert context.GLOBAL.slow == 1
        with engine.GradientTape():
            assert context.GLOBAL.slow == 2
    assert context.GLOBAL.slow == 0
    with engine.device("/CPU:0"):  # where the fast path runs anyway
        assert context.GLOBAL.slow == 0
    cpu = engine.config.list_physical_devices("CPU")[0]
    engine.config.set_logical_device_configuration(
        cpu, [engine.config.LogicalDeviceConfiguration()] * 2)
    try:
        with engine.device("/CPU:1"):
            assert context.GLOBAL.slow == 1
    finally:
        engine.config.set_logical_device_configuration(
            cpu, [engine.config.LogicalDeviceConfiguration()])
    with engine.hooks.subscribe("op", lambda event: None):
        assert context.GLOBAL.slow == 1
    engine.debugging.enable_check_numerics()
    assert context.GLOBAL.slow == 1
    engine.debugging.disable_check_numerics()
    assert context.GLOBAL.slow == 0


def test_strict_checks_count_as_slow(not_strict):
    engine.config.experimental.set_strict_checks(True)
    assert context.GLOBAL.slow == 1 and context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(True)  # idempotent
    assert context.GLOBAL.slow == 1
    engine.config.experimental.set_strict_checks(False)
    assert context.GLOBAL.slow == 0


def test_fast_path_skips_dispatch(not_strict, dispatch_calls):
    a = engine.constant(np.ones((4, 4), np.float32))
    b = engine.constant(np.full((4, 4), 2.0, np.float32))
    results = [a + b, a - 1.0, 2.0 * a, a * 3, -a, engine.add(a, b), engine.exp(a), abs(a)]
    assert dispatch_calls == []
    assert all(type(r) is engine.Tensor and type(r._value) is np.ndarray for r in results)
    np.testing.assert_array_equal(results[0].numpy(), np.full((4, 4), 3.0))
    with engine.GradientTape():
        a + b  # noqa: B018
    assert dispatch_calls == ["AddV2"]


def test_fast_path_leaves_mixed_and_failing_inputs_to_dispatch(not_strict, dispatch_calls):
    a = engine.constant([1.0, 2.0])
    with pytest.raises(DTypeError, match="add"):
        a + engine.constant([1.0], dtype=engine.float64)  # noqa: B018
    with pytest.raises(ShapeError, match="add"):
        a + engine.ones([3])  # noqa: B018
    a + np.ones(2)  # noqa: B018 - arrays are converted by dispatch
    assert dispatch_calls == ["AddV2", "AddV2", "AddV2"]


def test_fast_path_results_are_arrays_for_scalars(not_strict):
    s = engine.constant(2.0) * engine.constant(3.0)
    assert type(s._value) is np.ndarray and s.shape == []
    assert float(-engine.constant(1.0)) == -1.0


def test_strict_mode_catches_infer_that_disagrees_with_the_kernel():
    with pytest.raises(InternalError, match=r"test_wrong_infer: infer says output 0 is .*float64"):
        _dispatch.dispatch(WRONG_INFER, (engine.constant([1.0]),))


def test_wrong_infer_passes_without_strict_mode(not_strict):
    out = _dispatch.dispatch(WRONG_INFER, (engine.constant([1.0]),))
    assert out.dtype is engine.float32


def test_kernel_failure_names_the_op_and_shapes():
    a, b = engine.ones([2, 3]), engine.ones([4, 5])
    with pytest.raises(ShapeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        engine.matmul(a, b)
    with pytest.raises(ShapeError, match="matmul"):
        a @ b  # noqa: B018
    with pytest.raises(InvalidArgumentError, match=r"test_failing_kernel: the kernel failed on "
                                                   r"shapes \(2, 3\) and \(4, 5\)") as info:
        _dispatch.dispatch(FAILING, (a, b))
    assert info.value.op == "TestFailingKernel"
    assert isinstance(info.value.__cause__, ValueError)


def test_kernel_failure_outside_strict_mode(not_strict):
    with pytest.raises(ShapeError, match="matmul"):
        engine.matmul(engine.ones([2, 3]), engine.ones([4, 5]))


def test_unsupported_dtype_lists_the_allowed_ones():
    with pytest.raises(DTypeError, match=r"exp: got dtype int32.*float32.*engine.cast"):
        engine.exp(engine.constant([1, 2]))
    with pytest.raises(DTypeError, match=r"exp: got int32 value 1"):
        engine.exp(1)


def test_python_inputs_errors_name_the_op_and_input():
    with pytest.raises(DTypeError, match=r"multiply: `y`:.*fractional"):
        engine.multiply(engine.constant([1]), 0.5)
    with pytest.raises(ValueError, match=r"add: `y`: Cannot convert None"):
        engine.add(engine.constant([1.0]), None)


def test_variadic_inputs_are_named_by_index():
    with pytest.raises(DTypeError, match=r"values\[0\].*values\[1\]"):
        engine.stack([engine.constant([1.0]), engine.constant([1.0], dtype=engine.float64)])


def test_describe_inputs():
    assert _dispatch.describe_inputs([np.ones((2, 3))]) == "shape (2, 3)"
    assert _dispatch.describe_inputs([np.ones(2), np.ones(()), np.ones((1, 1))]) == (
        "shapes (2,), () and (1, 1)")


def test_multiple_outputs_and_python_inputs():
    x = engine.constant([[1.0, 2.0], [3.0, 4.0]])
    first, second = engine.unstack(x)
    np.testing.assert_array_equal(second.numpy(), [3.0, 4.0])
    assert engine.add(1.0, 2.0).dtype is engine.float32
