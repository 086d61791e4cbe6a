"""engine.ops.assert_checks: TensorFlow 2's static dtype assertions, assert_proper_iterable,
and the predicates is_numeric_tensor, is_non_decreasing and is_strictly_increasing."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError
from engine.ops.assert_checks import (
    assert_integer,
    assert_proper_iterable,
    assert_type,
    is_non_decreasing,
    is_numeric_tensor,
    is_strictly_increasing,
)

S, F32 = engine.TensorSpec, engine.float32


def _f32(*values):
    return np.array(values, np.float32)


def test_static_dtype_checks():
    assert assert_integer(engine.constant([1], engine.int64)) is None
    with pytest.raises(DTypeError, match="oops\nassert_integer: x has dtype float32") as info:
        assert_integer(engine.constant([1.0]), message="oops")
    assert isinstance(info.value, TypeError)
    assert assert_type(engine.constant([1.0]), engine.float32) is None
    assert assert_type(engine.Variable([1.0]), "float32") is None
    with pytest.raises(TypeError, match="assert_type: tensor has dtype int32; expected float64"):
        assert_type(engine.constant([1]), engine.float64)


def test_assert_proper_iterable():
    for good in ([engine.constant(1), 2], (1,), {1, 2}, iter([1])):
        assert assert_proper_iterable(good) is None
    for bad in (engine.constant([1, 2]), np.zeros(2), np.float32(1), "ab", b"ab", 3,
                engine.Variable([1.0])):
        with pytest.raises(TypeError, match="assert_proper_iterable: got "):
            assert_proper_iterable(bad)


def test_predicates():
    assert is_numeric_tensor(engine.constant([1.0])) and is_numeric_tensor(engine.constant(1))
    assert not is_numeric_tensor(engine.constant([True]))
    assert not is_numeric_tensor(engine.constant(["a"])) and not is_numeric_tensor(1.0)
    assert not is_numeric_tensor(np.zeros(2))
    cases = [([1, 2, 2], True, False), ([[1, 2], [3, 4]], True, True), ([3, 1], False, False),
             ([], True, True), ([5], True, True)]
    for x, non_decreasing, increasing in cases:
        x = engine.constant(x, engine.float32)
        assert bool(is_non_decreasing(x)) is non_decreasing
        assert bool(is_strictly_increasing(x)) is increasing
        assert is_non_decreasing(x).dtype is engine.bool
    with pytest.raises(DTypeError, match="is_non_decreasing: got x of dtype complex64"):
        is_non_decreasing(engine.constant([1j], engine.complex64))
    traced = engine.function(is_strictly_increasing, input_signature=[S([None], F32)])
    assert bool(traced(_f32(1, 2, 3))) and not bool(traced(_f32(1, 1)))


def test_static_checks_add_no_graph_nodes():
    @engine.function(input_signature=[S([None], F32)])
    def f(x):
        assert_type(x, F32)
        assert_proper_iterable([x])
        return x

    graph = f.get_concrete_function().graph
    assert "Assert" not in [n.type for n in graph.nodes]
    with pytest.raises(DTypeError, match="assert_integer: x has dtype float32"):
        engine.function(assert_integer).get_concrete_function(S([None], F32))
