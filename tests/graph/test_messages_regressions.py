"""Regressions in error and warning text: check_numerics in graphs, the retracing
warning's line, and the cast suggested for mixed dtypes."""

import warnings

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError


@pytest.fixture
def check_numerics():
    engine.debugging.enable_check_numerics()
    yield
    engine.debugging.disable_check_numerics()


def test_graph_check_numerics_names_the_node_and_its_line_once(check_numerics):
    @engine.function
    def f(x):
        return engine.math.log(x + 0.01)  # the line the message points at

    x = engine.constant(np.array([1.0, -1.0], np.float32))
    with np.errstate(invalid="ignore"), pytest.raises(InvalidArgumentError) as info:
        f(x)
    message = str(info.value)
    node = info.value.node
    assert message.count(repr(node.name)) == 1
    assert message.count("The node was created at") == 1
    assert message.count("return engine.math.log(x + 0.01)") == 1
    assert "produced NaN or Inf" in message


def test_retracing_warning_points_at_the_callers_line():
    f = engine.function(lambda x: x * 2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 5):
            f(engine.ones([n]))  # the third trace warns, here
    retraces = [w for w in caught if "is being traced for time" in str(w.message)]
    assert len(retraces) == 1
    assert retraces[0].filename == __file__


def test_retracing_warning_from_get_concrete_function_points_at_the_caller():
    f = engine.function(lambda x: x + 1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 4):
            f.get_concrete_function(engine.TensorSpec([n]))
    retraces = [w for w in caught if "is being traced for time" in str(w.message)]
    assert [w.filename for w in retraces] == [__file__]


@pytest.mark.parametrize("call, hint", [
    (lambda: engine.matmul(engine.ones([2, 2], engine.uint8), engine.ones([2, 2])),
     "engine.cast(a, engine.float32)"),
    (lambda: engine.matmul(engine.ones([2, 2]), engine.ones([2, 2], engine.int32)),
     "engine.cast(b, engine.float32)"),
    (lambda: engine.add(engine.ones([2], engine.float64), engine.ones([2])),
     "engine.cast(y, engine.float64)"),
    (lambda: engine.multiply(engine.ones([2], engine.float16), engine.ones([2])),
     "engine.cast(x, engine.float32)"),
    (lambda: engine.multiply(engine.ones([2], engine.int64), engine.ones([2], engine.int8)),
     "engine.cast(y, engine.int64)"),
])
def test_mixed_dtype_error_suggests_casting_the_narrower_operand(call, hint):
    with pytest.raises(DTypeError) as info:
        call()
    assert hint in str(info.value)


def test_mixed_dtype_hint_casts_the_input_not_the_weights():
    kernel = engine.Variable(np.ones((3, 2), np.float32))  # like a Dense layer's weights
    with pytest.raises(DTypeError, match="matmul") as info:
        engine.matmul(engine.constant(np.ones((2, 3), np.uint8)), kernel)
    assert "engine.cast(a, engine.float32)" in str(info.value)
    assert "engine.uint8)" not in str(info.value)


def test_mixed_dtype_hint_in_a_traced_function():
    f = engine.function(lambda a, b: a * b)
    with pytest.raises(DTypeError, match="engine.cast\\(x, engine.float32\\)"):
        f(engine.ones([2], engine.int32), engine.ones([2]))


def test_infer_same_dtype_suggests_casting_toward_float():
    from engine.ops import infer

    with pytest.raises(DTypeError, match=r"Cast the int32 input with engine.cast\(x, "
                                         r"engine.float32\)"):
        infer.same_dtype("conv2d", engine.TensorSpec([1], engine.float32),
                         engine.TensorSpec([1], engine.int32))
