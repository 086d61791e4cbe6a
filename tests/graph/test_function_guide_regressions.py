"""Regressions found by porting the TensorFlow guides on `tf.function` (polymorphism and
concrete functions): signature introspection and the errors that the guides catch."""

import pytest

import engine


def test_pretty_printed_concrete_signatures_lists_every_trace():
    @engine.function
    def double(a):
        return a + a

    double(engine.constant(1))
    double(engine.constant([1.0, 2.0]))
    text = double.pretty_printed_concrete_signatures()
    assert text.count("->") == 2
    assert "int32" in text and "(2,) float32" in text


def test_input_signature_shape_mismatch_is_a_type_error_as_in_tensorflow():
    @engine.function(input_signature=(engine.TensorSpec([None], engine.int32),))
    def next_collatz(x):
        return x

    with pytest.raises(TypeError, match="input_signature expects"):
        next_collatz(engine.constant([[1, 2], [3, 4]]))
    with pytest.raises(ValueError, match="input_signature expects"):  # still a ShapeError
        next_collatz(engine.constant([[1, 2], [3, 4]]))


def test_concrete_function_dtype_mismatch_is_a_type_error_as_in_tensorflow():
    double = engine.function(lambda a: a + a)
    concrete = double.get_concrete_function(engine.TensorSpec(None, engine.float32))
    assert float(concrete(engine.constant(2.5))) == 5.0
    with pytest.raises(TypeError, match="do not match its signature"):
        concrete(engine.constant(1))
