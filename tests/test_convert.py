"""Tests for conversion: Python/NumPy values to tensors, `constant`, and dtype adoption."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine.errors import DTypeError, ShapeError


@pytest.mark.parametrize("value, dtype", [
    (1.0, engine.float32), (1, engine.int32), (True, engine.bool), ("s", engine.string),
    (b"s", engine.string), (1 + 2j, engine.complex128), (2**31, engine.int64),
    (-2**31, engine.int32), (-2**31 - 1, engine.int64),
    ([1.0, 2.0], engine.float32), ([1, 2], engine.int32), ([1, 2**40], engine.int64),
    ([[True], [False]], engine.bool), (["a", "b"], engine.string), ([], engine.float32),
    ((1.5, 2), engine.float32), (range(3), engine.int32),
])
def test_python_values_follow_tensorflow_rules(value, dtype):
    t = engine.constant(value)
    assert t.dtype is dtype
    assert engine.convert_to_tensor(value).dtype is dtype


@pytest.mark.parametrize("np_dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                      "int64", "uint8", "uint32", "uint64", "bool",
                                      "complex64"])
def test_numpy_arrays_keep_their_dtype(np_dtype):
    array = np.arange(6).reshape(2, 3).astype(np_dtype)
    t = engine.constant(array)
    assert t.dtype == np_dtype
    assert t.shape == [2, 3]
    np.testing.assert_array_equal(t.numpy(), array)
    assert engine.constant(array[0, 0]).dtype == np_dtype  # NumPy scalars too


def test_numpy_float64_inside_a_list_keeps_float64():
    assert engine.constant([np.float64(1.0), 2.0]).dtype is engine.float64


def test_constant_copies_its_input():
    array = np.ones(3, np.float32)
    t = engine.constant(array)
    array[0] = 5.0
    assert t.numpy()[0] == 1.0


def test_constant_with_dtype():
    assert engine.constant([1, 2], dtype=engine.float64).dtype is engine.float64
    assert engine.constant(1, dtype="float16").dtype is engine.float16
    assert engine.constant([1.0, 2.0], dtype=engine.int32).numpy().tolist() == [1, 2]
    assert engine.constant(np.arange(3.0), dtype=engine.int64).dtype is engine.int64
    with pytest.raises(DTypeError, match="fractional"):
        engine.constant(1.5, dtype=engine.int32)
    with pytest.raises(DTypeError, match="out of range"):
        engine.constant(300, dtype=engine.uint8)
    with pytest.raises(DTypeError, match="bool"):
        engine.constant(True, dtype=engine.float32)
    with pytest.raises(DTypeError, match="string"):
        engine.constant("abc", dtype=engine.float32)
    with pytest.raises(DTypeError):
        engine.constant(np.array([0.5]), dtype=engine.int32)


def test_constant_shape_broadcasts_scalars_and_reshapes():
    np.testing.assert_array_equal(engine.constant(7, shape=[2, 3]).numpy(), np.full((2, 3), 7))
    np.testing.assert_array_equal(engine.constant([5.0], shape=(2, 2)).numpy(),
                                  np.full((2, 2), 5.0))
    np.testing.assert_array_equal(engine.constant([1, 2, 3, 4], shape=[2, 2]).numpy(),
                                  [[1, 2], [3, 4]])
    assert engine.constant(1.0, shape=[]).shape == []
    assert engine.constant(1.0, shape=[0, 3]).shape == [0, 3]
    with pytest.raises(ShapeError, match=r"constant: got a value with 3 elements"):
        engine.constant([1, 2, 3], shape=[2, 2])


def test_integer_out_of_int64_range_is_a_clear_error():
    with pytest.raises(DTypeError, match="int64"):
        engine.constant(2**64)
    assert engine.constant(2**63, dtype=engine.uint64).numpy() == 2**63


def test_bad_values():
    with pytest.raises(ValueError, match="None"):
        engine.constant(None)
    with pytest.raises(ValueError, match="rectangular"):
        engine.constant([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="rectangular"):
        engine.constant([1.0, "a", None])


def test_convert_to_tensor_returns_tensors_unchanged_and_checks_dtype():
    t = engine.constant([1.0])
    assert engine.convert_to_tensor(t) is t
    assert engine.convert_to_tensor(t, dtype=engine.float32) is t
    with pytest.raises(DTypeError, match="engine.cast"):
        engine.convert_to_tensor(t, dtype=engine.float64)


def test_convert_to_tensor_dtype_hint():
    assert engine.convert_to_tensor(1, dtype_hint=engine.float32).dtype is engine.float32
    # The hint is only a preference: values that cannot take it keep their own dtype.
    assert engine.convert_to_tensor("x", dtype_hint=engine.float32).dtype is engine.string
    assert engine.convert_to_tensor(1.5, dtype_hint=engine.int32).dtype is engine.float32


def test_convert_variable():
    v = engine.Variable([1.0, 2.0])
    t = engine.convert_to_tensor(v)
    assert isinstance(t, engine.Tensor)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    with pytest.raises(DTypeError, match="Variable"):
        engine.convert_to_tensor(v, dtype=engine.int32)


# --- Python numbers adopt the dtype of the tensor they meet ------------------------------
def test_mixing_float32_and_float64_tensors_names_op_and_dtypes():
    a = engine.constant([1.0], dtype=engine.float32)
    b = engine.constant([1.0], dtype=engine.float64)
    with pytest.raises(DTypeError, match=r"add.*float32.*float64"):
        engine.add(a, b)
    with pytest.raises(DTypeError, match=r"add.*float64.*float32"):
        b + a  # noqa: B018
    with pytest.raises(DTypeError, match=r"multiply"):
        a * b  # noqa: B018
    with pytest.raises(DTypeError, match=r"matmul"):
        engine.matmul(engine.ones([2, 2]), engine.ones([2, 2], dtype=engine.float64))


def test_python_scalars_adopt_the_tensor_dtype():
    f16 = engine.constant([1.0, 2.0], dtype=engine.float16)
    assert (f16 + 1.0).dtype is engine.float16
    assert (1.0 + f16).dtype is engine.float16
    assert (f16 * 2).dtype is engine.float16
    f64 = engine.constant([1.0], dtype=engine.float64)
    assert (f64 + 1.0).dtype is engine.float64
    i64 = engine.constant([1], dtype=engine.int64)
    assert (i64 + 1).dtype is engine.int64
    u8 = engine.constant([1], dtype=engine.uint8)
    assert (u8 + 1).dtype is engine.uint8
    assert (engine.constant([1], dtype=engine.int32) + 2.0).dtype is engine.int32  # integral
    assert engine.add(2.0, f16).dtype is engine.float16


def test_int_tensor_plus_fractional_float_is_an_error():
    i32 = engine.constant([1, 2])
    with pytest.raises(DTypeError, match=r"add.*1\.5.*int32"):
        i32 + 1.5  # noqa: B018
    with pytest.raises(DTypeError, match="fractional"):
        1.5 + i32  # noqa: B018
    with pytest.raises(DTypeError, match="out of range"):
        engine.constant([1], dtype=engine.uint8) + 300  # noqa: B018


def test_numpy_arrays_adopt_the_tensor_dtype():
    t = engine.constant([1.0, 2.0])
    out = t + np.array([1.0, 1.0])
    assert out.dtype is engine.float32
    out = np.array([1.0, 1.0]) + t
    assert isinstance(out, engine.Tensor) and out.dtype is engine.float32


# --- lists of tensors ------------------------------------------------------------------------
def test_lists_of_tensors_are_stacked():
    a, b = engine.constant([1.0, 2.0]), engine.constant([3.0, 4.0])
    t = engine.constant([a, b])
    np.testing.assert_array_equal(t.numpy(), [[1, 2], [3, 4]])
    mixed = engine.convert_to_tensor([[engine.constant(1.0, dtype=engine.float64), 2.0]])
    assert mixed.dtype is engine.float64 and mixed.shape == [1, 2]
    assert engine.constant([a, b], dtype=engine.float64).dtype is engine.float64
    with pytest.raises(DTypeError):
        engine.constant([a, engine.constant([1.0, 2.0], dtype=engine.float64)])


def test_lists_of_tensors_are_differentiable():
    x, y = engine.constant(1.0), engine.constant(2.0)
    with engine.GradientTape() as tape:
        tape.watch([x, y])
        packed = engine.constant([x, y])                  # (2,)
        shaped = engine.constant([[x, 3.0]], shape=[2])   # reshaped
        filled = engine.constant(x, shape=[2, 2])          # broadcast scalar
        loss = (engine.reduce_sum(packed * packed) + engine.reduce_sum(shaped)
                + engine.reduce_sum(filled))
    gx, gy = tape.gradient(loss, [x, y])
    assert float(gx) == 2 * 1.0 + 1 + 4
    assert float(gy) == 2 * 2.0


def test_lists_of_variables_are_differentiable():
    v = engine.Variable(3.0)
    with engine.GradientTape() as tape:
        loss = engine.reduce_sum(engine.convert_to_tensor([v, 2.0 * v]))
    assert float(tape.gradient(loss, v)) == 3.0


# --- property-based round trips ------------------------------------------------------------
_DTYPES = st.sampled_from(["float16", "float32", "float64", "int8", "int32", "int64", "uint16",
                           "bool", "complex128"])


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(_DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, max_side=4)))
def test_numpy_round_trip(array):
    t = engine.constant(array)
    assert t.dtype == array.dtype
    assert tuple(t.shape) == array.shape
    np.testing.assert_array_equal(t.numpy(), array)
    np.testing.assert_array_equal(np.asarray(t), array)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(allow_nan=False, width=32), min_size=1, max_size=8))
def test_float_list_round_trip(values):
    t = engine.constant(values)
    assert t.dtype is engine.float32
    np.testing.assert_array_equal(t.numpy(), np.array(values, np.float32))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=8))
def test_int_list_round_trip(values):
    t = engine.constant(values)
    fits = all(-2**31 <= v < 2**31 for v in values)
    assert t.dtype is (engine.int32 if fits else engine.int64)
    assert t.numpy().tolist() == values


def test_ragged_lists_say_how_to_fix():
    with pytest.raises(ValueError, match="rectangular: pad the shorter rows"):
        engine.constant([[1, 2], [3]])


def test_object_arrays_of_str_become_utf8_bytes():
    # As in TensorFlow: str elements are encoded, bytes kept, in NumPy object arrays too.
    t = engine.constant(np.array(["a", b"b", "Ärger"], dtype=object))
    assert t.dtype == engine.string
    assert list(t.numpy()) == [b"a", b"b", "Ärger".encode()]
    assert list(engine.constant(np.array(["x", "y"])).numpy()) == [b"x", b"y"]


def test_strings_mixed_with_numbers_are_an_error_not_text():
    # NumPy would make [1, "a"] the strings ["1", "a"]; TensorFlow refuses, and so do we
    for value in ([1, "a"], [["a", 2.5]], [True, "x"], np.array([1, "a"], dtype=object)):
        with pytest.raises(ValueError, match="mixes strings with"):
            engine.constant(value)


def test_byte_string_elements_are_python_bytes():
    for value in ([b"p", b"q"], np.array([b"p", b"q"]), ["p", b"q"]):
        items = engine.constant(value).numpy().tolist()
        assert items == [b"p", b"q"] and all(type(x) is bytes for x in items)
    # an element taken out (indexing, gather) is a string tensor holding bytes, not S1
    t = engine.constant([b"p", b"q"])
    for element in (t[0], t[1:][0], engine.gather(t, 1), engine.reshape(t, [2, 1])[0, 0]):
        assert element.dtype == engine.string and element._value.dtype == object
        assert type(element.numpy()) is bytes


def test_byte_strings_keep_trailing_nuls_and_empty_lists_can_be_strings():
    # NumPy's fixed-width bytes drop trailing NULs; TF keeps every byte
    assert engine.constant([b"a\x00\x00"]).numpy()[0] == b"a\x00\x00"
    assert engine.constant([[b"a\x00"]], engine.string).numpy()[0, 0] == b"a\x00"
    empty = engine.constant([[]], engine.string)
    assert empty.dtype == engine.string and empty.shape == [1, 0]


def test_lists_holding_tensors_as_op_inputs_stack_with_gradients():
    # A list of tensors given to an op is stacked (differentiably), eagerly and traced.
    a, b = engine.constant(1.5), engine.constant(2.0)
    with engine.GradientTape() as tape:
        tape.watch([a, b])
        y = engine.reduce_sum(engine.multiply([a, b], 3.0))
    assert [float(g) for g in tape.gradient(y, [a, b])] == [3.0, 3.0]
    x = engine.constant([[1.0], [2.0], [3.0]])

    @engine.function
    def pick(i, j):
        return engine.gather(x, [i, j])   # symbolic scalars in a list

    assert pick(engine.constant(2), engine.constant(0)).numpy().ravel().tolist() == [3.0, 1.0]
