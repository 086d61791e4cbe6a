"""Tests for engine.dtypes: lookup by name / NumPy / Python type, properties, bfloat16."""

import pickle

import numpy as np
import pytest

import engine
from engine import dtypes

NUMERIC = [engine.float16, engine.float32, engine.float64, engine.int8, engine.int16,
           engine.int32, engine.int64, engine.uint8, engine.uint16, engine.uint32,
           engine.uint64, engine.complex64, engine.complex128]


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int8", "int16", "int32",
                                  "int64", "uint8", "uint16", "uint32", "uint64", "bool",
                                  "complex64", "complex128", "string"])
def test_as_dtype_from_name_and_numpy(name):
    dtype = engine.as_dtype(name)
    assert dtype.name == name
    assert dtype is getattr(engine, name)
    assert engine.as_dtype(dtype) is dtype
    if name != "string":
        assert engine.as_dtype(np.dtype(name)) is dtype
        assert engine.as_dtype(np.dtype(name).type) is dtype
        assert dtype.as_numpy_dtype is np.dtype(name).type


def test_as_dtype_aliases_and_python_types():
    assert engine.as_dtype("half") is engine.float16 is engine.half
    assert engine.as_dtype("double") is engine.float64 is engine.double
    assert engine.as_dtype(float) is engine.float32
    assert engine.as_dtype(int) is engine.int32
    assert engine.as_dtype(bool) is engine.bool
    assert engine.as_dtype(str) is engine.string
    assert engine.as_dtype(bytes) is engine.string
    assert engine.as_dtype(np.float64) is engine.float64
    assert engine.as_dtype(np.dtype("U5")) is engine.string
    assert engine.as_dtype(np.dtype("S3")) is engine.string
    assert engine.as_dtype(np.dtype(object)) is engine.string


@pytest.mark.parametrize("bad", ["float31", "tensor", 3.5, np.dtype("datetime64[s]")])
def test_as_dtype_rejects_unknown_values(bad):
    with pytest.raises(TypeError, match="as_dtype"):
        engine.as_dtype(bad)


def test_dtype_equality_and_hash():
    assert engine.float32 == "float32"
    assert engine.float32 == np.float32
    assert engine.float32 != engine.float64
    assert engine.float32 != "not a dtype"
    assert engine.float32 is not None and engine.float32 != None  # noqa: E711
    assert {engine.float32: 1}[engine.as_dtype("float32")] == 1
    assert repr(engine.float32) == "engine.float32"


def test_dtype_pickles_to_the_singleton():
    for dtype in NUMERIC + [engine.bool, engine.string]:
        assert pickle.loads(pickle.dumps(dtype)) is dtype


@pytest.mark.parametrize("dtype", NUMERIC + [engine.bool, engine.string])
def test_kind_predicates_match_numpy(dtype):
    kind = np.dtype(dtype.as_numpy_dtype).kind
    assert dtype.is_floating == (kind == "f")
    assert dtype.is_integer == (kind in "iu")
    assert dtype.is_unsigned == (kind == "u")
    assert dtype.is_complex == (kind == "c")
    assert dtype.is_bool == (kind == "b")
    assert dtype.is_numeric == (kind in "iufc")
    assert dtype.is_differentiable == (kind in "fc")
    assert dtype.base_dtype is dtype


@pytest.mark.parametrize("dtype", NUMERIC + [engine.bool])
def test_size_is_itemsize(dtype):
    assert dtype.size == np.dtype(dtype.as_numpy_dtype).itemsize


def test_min_max():
    assert engine.float32.max == np.finfo(np.float32).max
    assert engine.float16.min == np.finfo(np.float16).min
    assert engine.int8.min == -128 and engine.int8.max == 127
    assert engine.uint8.min == 0 and engine.uint8.max == 255
    assert engine.int64.max == 2**63 - 1
    for dtype in (engine.bool, engine.string, engine.complex64):
        with pytest.raises(TypeError, match="min/max"):
            dtype.max  # noqa: B018


def test_real_dtype():
    assert engine.complex64.real_dtype is engine.float32
    assert engine.complex128.real_dtype is engine.float64
    assert engine.float32.real_dtype is engine.float32


def test_string_dtype_holds_bytes_in_object_arrays():
    t = engine.constant(["ab", "ç"])
    assert t.dtype is engine.string
    value = t.numpy()
    assert value.dtype == object
    assert list(value) == [b"ab", "ç".encode()]
    assert engine.constant(b"raw").numpy() == b"raw"
    assert engine.constant(np.array(["x", "yz"])).dtype is engine.string


def test_bfloat16():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    bf16 = engine.bfloat16
    assert bf16 is not None and bf16.name == "bfloat16"
    assert engine.as_dtype("bfloat16") is bf16
    assert engine.as_dtype(ml_dtypes.bfloat16) is bf16
    assert bf16.is_floating and bf16.is_differentiable and not bf16.is_integer
    assert bf16.size == 2
    assert float(bf16.max) == float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)
    t = engine.constant(np.array([1.0, 2.5], ml_dtypes.bfloat16))
    assert t.dtype is bf16
    np.testing.assert_array_equal(np.asarray(t + t, np.float32), [2.0, 5.0])


def test_bfloat16_is_none_without_ml_dtypes():
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        assert engine.bfloat16 is None
    else:
        assert engine.bfloat16 is not None


def test_from_numpy_fast_path():
    assert dtypes.from_numpy(np.dtype(np.float32)) is engine.float32
    assert dtypes.from_numpy(np.dtype("U3")) is engine.string


def test_unknown_dtype_name_suggests_the_closest():
    with pytest.raises(TypeError, match="Did you mean 'float32'"):
        engine.as_dtype("flaot32")


def test_as_dtype_accepts_tensorflow_enum_numbers():
    # The "custom layers" guide calls `tf.zeros(1, 1)`: dtype 1 is TF's DT_FLOAT.
    assert engine.as_dtype(1) is engine.float32
    assert engine.as_dtype(9) is engine.int64
    assert engine.zeros(1, 1).dtype is engine.float32
    with pytest.raises(TypeError, match="as_dtype: got 99"):
        engine.as_dtype(99)
