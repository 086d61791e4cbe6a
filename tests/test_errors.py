"""Tests for engine.errors (TensorFlow's names and codes) and engine.debugging."""

import numpy as np
import pytest

import engine
from engine import context, errors

TF_ERRORS = {
    "CancelledError": 1, "UnknownError": 2, "InvalidArgumentError": 3,
    "DeadlineExceededError": 4, "NotFoundError": 5, "AlreadyExistsError": 6,
    "PermissionDeniedError": 7, "ResourceExhaustedError": 8, "FailedPreconditionError": 9,
    "AbortedError": 10, "OutOfRangeError": 11, "UnimplementedError": 12, "InternalError": 13,
    "UnavailableError": 14, "DataLossError": 15, "UnauthenticatedError": 16,
}


@pytest.mark.parametrize("name, code", sorted(TF_ERRORS.items()))
def test_tensorflow_error_names_and_codes(name, code):
    cls = getattr(errors, name)
    assert issubclass(cls, errors.OpError)
    assert cls.error_code == code
    assert cls.__doc__
    err = cls("message", op="MatMul")
    assert err.message == "message" and err.op == "MatMul" and str(err) == "message"


def test_not_found_error_is_a_file_not_found_error_too():
    err = errors.NotFoundError("read_file: 'x' does not exist.", op="ReadFile")
    assert isinstance(err, FileNotFoundError) and isinstance(err, errors.OpError)
    assert str(err) == "read_file: 'x' does not exist." and err.errno is None
    with pytest.raises(FileNotFoundError, match="does not exist"):
        engine.io.read_file("/no/such/file")


def test_shape_and_dtype_errors_are_builtin_errors_too():
    assert issubclass(errors.ShapeError, ValueError)
    assert issubclass(errors.ShapeError, errors.InvalidArgumentError)
    assert issubclass(errors.DTypeError, TypeError)
    assert issubclass(errors.DTypeError, errors.InvalidArgumentError)
    assert issubclass(errors.TracingError, RuntimeError)
    assert set(errors.__all__) >= set(TF_ERRORS) | {"OpError", "ShapeError", "DTypeError"}


def test_engine_errors_are_caught_by_builtin_handlers():
    with pytest.raises(ValueError):
        engine.ones([2, 3]) + engine.ones([4, 5])  # noqa: B018
    with pytest.raises(TypeError):
        engine.constant([1.0]) + engine.constant([1.0], dtype=engine.float64)  # noqa: B018
    with pytest.raises(errors.InvalidArgumentError):
        engine.matmul(engine.ones([2, 3]), engine.ones([4, 5]))


# --- debugging --------------------------------------------------------------------------------
def test_check_numerics_passes_finite_tensors_through():
    x = engine.constant([1.0, 2.0])
    out = engine.debugging.check_numerics(x, "fine")
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_sum(engine.debugging.check_numerics(x * x, "fine"))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0])


def test_check_numerics_raises_with_the_message():
    bad = engine.constant([1.0, np.nan, np.inf, -np.inf])
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"check_numerics: my-loss: .*shape \(4,\) has 1 NaN and 2 Inf"):
        engine.debugging.check_numerics(bad, "my-loss")


@pytest.fixture
def numerics_checked():
    before = context.GLOBAL.slow
    engine.debugging.enable_check_numerics()
    yield
    engine.debugging.disable_check_numerics()
    assert context.GLOBAL.slow == before


def test_enable_check_numerics_names_the_op(numerics_checked):
    with pytest.warns(RuntimeWarning):
        with pytest.raises(errors.InvalidArgumentError,
                           match=r"log \(Log\) produced NaN or Inf.*'block/inner'"):
            with engine.name_scope("block/inner"):
                engine.math.log(engine.constant([-1.0, 1.0]))
    with pytest.raises(errors.InvalidArgumentError, match=r"divide \(RealDiv\)"):
        with np.errstate(divide="ignore"):
            engine.constant([1.0]) / 0.0  # noqa: B018
    engine.constant([1, 2]) // 1  # integers are not checked  # noqa: B018


def test_enable_check_numerics_is_idempotent_and_disable_restores():
    before = context.GLOBAL.slow
    engine.debugging.enable_check_numerics()
    engine.debugging.enable_check_numerics()
    assert context.GLOBAL.slow == before + 1
    engine.debugging.disable_check_numerics()
    engine.debugging.disable_check_numerics()
    assert context.GLOBAL.slow == before and not context.GLOBAL.check_numerics
    with np.errstate(invalid="ignore"):
        out = engine.math.log(engine.constant([-1.0]))
    assert np.isnan(out.numpy()[0])
