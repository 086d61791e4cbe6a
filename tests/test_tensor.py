"""Tests for the Tensor protocol: attributes, NumPy interop, Python protocols, operators,
printing, pickling and copying."""

import copy
import operator
import pickle

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError

M = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)


def test_attributes():
    t = engine.constant(M)
    assert isinstance(t.shape, engine.TensorShape)
    assert t.shape == [2, 2] and t.shape == (2, 2) and t.get_shape() == [2, 2]
    assert t.dtype is engine.float32
    assert t.ndim == 2
    assert t.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    assert t.device == t.backing_device
    assert engine.is_tensor(t) and engine.is_tensor(engine.Variable(1.0))
    assert not engine.is_tensor(M) and not engine.is_tensor(1.0)


def test_numpy_is_a_read_only_view():
    t = engine.constant(M)
    view = t.numpy()
    assert isinstance(view, np.ndarray)
    np.testing.assert_array_equal(view, M)
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0, 0] = 9.0
    assert np.shares_memory(view, t.numpy())  # no copy


def test_array_protocol():
    t = engine.constant(M)
    asarray = np.asarray(t)
    assert not asarray.flags.writeable and np.shares_memory(asarray, t.numpy())
    copied = np.array(t)
    assert copied.flags.writeable and not np.shares_memory(copied, t.numpy())
    copied[0, 0] = 100.0
    assert t.numpy()[0, 0] == 1.0
    as64 = np.asarray(t, dtype=np.float64)
    assert as64.dtype == np.float64
    np.testing.assert_array_equal(as64, M)
    assert np.sum(t) == 10.0  # NumPy functions accept tensors


def test_len_and_iteration():
    t = engine.constant(M)
    assert len(t) == 2
    rows = list(t)
    assert all(isinstance(r, engine.Tensor) for r in rows)
    np.testing.assert_array_equal(rows[1].numpy(), [3.0, 4.0])
    scalar = engine.constant(1.0)
    with pytest.raises(TypeError, match="scalar"):
        len(scalar)
    with pytest.raises(TypeError, match="scalar"):
        iter(scalar)


def test_iteration_is_differentiable():
    x = engine.constant([1.0, 2.0, 3.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        total = sum(item * item for item in x)
    np.testing.assert_array_equal(tape.gradient(total, x).numpy(), [2.0, 4.0, 6.0])


def test_scalar_conversions():
    assert bool(engine.constant(True)) is True
    assert bool(engine.constant([0.0])) is False
    assert float(engine.constant(2.5)) == 2.5
    assert float(engine.constant([[2.5]])) == 2.5
    assert int(engine.constant(7)) == 7
    assert int(engine.constant(7.9)) == 7
    assert complex(engine.constant(1 + 2j)) == 1 + 2j
    assert operator.index(engine.constant(3)) == 3
    assert [10, 20, 30, 40][engine.constant(2, dtype=engine.int64)] == 30
    assert range(10)[engine.constant(4)] == 4


def test_scalar_conversion_errors_are_clear():
    vector = engine.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="ambiguous"):
        bool(vector)
    with pytest.raises(ValueError, match="ambiguous"):
        if engine.constant([1, 2]) > 0:
            pass
    with pytest.raises(TypeError, match=r"single-element.*\(2,\)"):
        float(vector)
    with pytest.raises(TypeError, match="single-element"):
        int(vector)
    with pytest.raises(TypeError, match="integer scalar.*float32"):
        operator.index(engine.constant(1.0))
    with pytest.raises(TypeError, match="single-element"):
        operator.index(engine.constant([1, 2]))


def test_format():
    assert f"{engine.constant(3.14159):.2f}" == "3.14"
    assert f"{engine.constant(3)}" == str(engine.constant(3))


# --- operators ---------------------------------------------------------------------------
_BINARY = [
    (operator.add, np.add), (operator.sub, np.subtract), (operator.mul, np.multiply),
    (operator.truediv, np.true_divide), (operator.floordiv, np.floor_divide),
    (operator.mod, np.mod), (operator.pow, np.power), (operator.lt, np.less),
    (operator.le, np.less_equal), (operator.gt, np.greater), (operator.ge, np.greater_equal),
    (operator.eq, np.equal), (operator.ne, np.not_equal),
]
A = np.array([[1.5, -2.0], [3.0, 4.0]], np.float32)
B = np.array([[2.0, 0.5], [-1.5, 2.0]], np.float32)


@pytest.mark.parametrize("op, ref", _BINARY, ids=lambda f: getattr(f, "__name__", ""))
def test_binary_operators(op, ref):
    a, b = engine.constant(A), engine.constant(B)
    left, right = (np.abs(A), B) if op is operator.pow else (A, B)
    if op is operator.pow:
        a = engine.constant(left)
    expected = ref(left, right)
    for result in (op(a, b), op(a, right), op(left, b), op(a, 2.0), op(2.0, b)):
        assert isinstance(result, engine.Tensor)
    np.testing.assert_allclose(op(a, b).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(op(a, right).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(op(left, b).numpy(), expected, rtol=1e-6)  # ndarray on the left
    np.testing.assert_allclose(op(a, 2.0).numpy(), ref(left, np.float32(2.0)), rtol=1e-6)
    np.testing.assert_allclose(op(2.0, b).numpy(), ref(np.float32(2.0), right), rtol=1e-6)
    assert op(a, b).dtype == ref(left, right).dtype


def test_matmul_operator():
    a, b = engine.constant(A), engine.constant(B)
    np.testing.assert_allclose((a @ b).numpy(), A @ B)
    np.testing.assert_allclose((A @ b).numpy(), A @ B)
    np.testing.assert_allclose((a @ B).numpy(), A @ B)
    assert isinstance(A @ b, engine.Tensor)
    with pytest.raises(ShapeError, match="matmul"):
        a @ engine.ones([3, 1])  # noqa: B018


def test_unary_and_bitwise_operators():
    a = engine.constant(A)
    np.testing.assert_array_equal((-a).numpy(), -A)
    np.testing.assert_array_equal(abs(a).numpy(), np.abs(A))
    assert +a is a
    flags = engine.constant([True, False])
    np.testing.assert_array_equal((~flags).numpy(), [False, True])
    np.testing.assert_array_equal((flags & True).numpy(), [True, False])
    np.testing.assert_array_equal((False | flags).numpy(), [True, False])
    np.testing.assert_array_equal((flags ^ flags).numpy(), [False, False])
    ints = engine.constant([6, 3])
    np.testing.assert_array_equal((ints & 2).numpy(), [2, 2])
    np.testing.assert_array_equal((1 | ints).numpy(), [7, 3])
    np.testing.assert_array_equal((ints ^ 5).numpy(), [3, 6])
    np.testing.assert_array_equal((~ints).numpy(), [-7, -4])


def test_integer_division_follows_tensorflow():
    ints = engine.constant([3, 4])
    assert (ints / 2).dtype is engine.float64
    np.testing.assert_array_equal((ints / 2).numpy(), [1.5, 2.0])
    np.testing.assert_array_equal((6 / ints).numpy(), [2.0, 1.5])
    np.testing.assert_array_equal((ints // 2).numpy(), [1, 2])
    np.testing.assert_array_equal((ints % 3).numpy(), [0, 1])


def test_operators_with_numpy_scalars():
    t = engine.constant([1.0, 2.0])
    assert isinstance(np.float32(2.0) * t, engine.Tensor)
    np.testing.assert_array_equal((np.float64(1.0) + t).numpy(), [2.0, 3.0])
    assert (np.float64(1.0) + t).dtype is engine.float32


def test_equality_is_elementwise_and_tensors_are_unhashable():
    a = engine.constant([1.0, 2.0])
    result = a == engine.constant([1.0, 3.0])
    assert isinstance(result, engine.Tensor) and result.dtype is engine.bool
    np.testing.assert_array_equal(result.numpy(), [True, False])
    np.testing.assert_array_equal((a != [1.0, 3.0]).numpy(), [False, True])
    assert (a == None) is False  # noqa: E711
    assert (a == "text") is False
    with pytest.raises(TypeError, match=r"unhashable.*ref\(\)"):
        hash(a)
    with pytest.raises(TypeError):
        {a}  # noqa: B018
    b = engine.constant([1.0, 2.0])
    refs = {a.ref(), b.ref(), a.ref()}
    assert len(refs) == 2
    assert a.ref().deref() is a
    assert a.experimental_ref() == a.ref()


def test_operator_errors_name_the_op():
    with pytest.raises(ShapeError, match="add"):
        engine.ones([2, 3]) + engine.ones([4, 5])  # noqa: B018
    with pytest.raises(DTypeError, match="subtract"):
        engine.constant([1.0]) - engine.constant([1.0], dtype=engine.float64)  # noqa: B018


# --- printing ------------------------------------------------------------------------------
def test_repr_matches_tensorflow_layout():
    assert repr(engine.constant(M)) == (
        "<engine.Tensor: shape=(2, 2), dtype=float32, numpy=\n"
        "array([[1., 2.],\n"
        "       [3., 4.]], dtype=float32)>")
    assert repr(engine.constant([1, 2])) == (
        "<engine.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2], dtype=int32)>")
    assert repr(engine.constant(3.0)) == "<engine.Tensor: shape=(), dtype=float32, numpy=3.0>"
    assert repr(engine.constant(3)) == "<engine.Tensor: shape=(), dtype=int32, numpy=3>"
    assert repr(engine.constant(True)) == "<engine.Tensor: shape=(), dtype=bool, numpy=True>"
    assert repr(engine.constant("hi")) == "<engine.Tensor: shape=(), dtype=string, numpy=b'hi'>"
    assert repr(engine.constant(0.1, dtype=engine.float64)) == (
        "<engine.Tensor: shape=(), dtype=float64, numpy=0.1>")


def test_str_matches_tensorflow_layout():
    assert str(engine.constant(M)) == (
        "engine.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)")
    assert str(engine.constant([1, 2])) == "engine.Tensor([1 2], shape=(2,), dtype=int32)"
    assert str(engine.constant(3.0)) == "engine.Tensor(3.0, shape=(), dtype=float32)"
    assert str(engine.constant(["a"])) == "engine.Tensor([b'a'], shape=(1,), dtype=string)"


# --- pickling and copying --------------------------------------------------------------------
@pytest.mark.parametrize("value", [M, np.arange(3, dtype=np.int64), np.array(True),
                                   np.array([b"a", b"bc"], dtype=object)])
def test_pickle_round_trip(value):
    t = engine.constant(value)
    back = pickle.loads(pickle.dumps(t))
    assert isinstance(back, engine.Tensor)
    assert back.dtype is t.dtype and back.shape == t.shape and back.device == t.device
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_copy_and_deepcopy_share_the_immutable_tensor():
    t = engine.constant(M)
    assert copy.copy(t) is t
    assert copy.deepcopy(t) is t
    nested = copy.deepcopy({"t": t, "l": [t]})
    assert nested["t"] is t and nested["l"][0] is t


# --- TensorShape and TensorSpec --------------------------------------------------------------
def test_tensor_shape_basics():
    s = engine.TensorShape([None, 3])
    assert s.rank == 2 and s.ndims == 2 and len(s) == 2
    assert s[0] is None and s[1] == 3 and s[1:] == [3]
    assert s.as_list() == [None, 3] and s.dims == [None, 3]
    assert list(s) == [None, 3]
    assert not s.is_fully_defined() and s.num_elements() is None
    assert engine.TensorShape([2, 3]).num_elements() == 6
    assert engine.TensorShape([]).num_elements() == 1
    assert engine.TensorShape([0, 5]).num_elements() == 0
    assert repr(s) == "TensorShape([None, 3])"
    assert str(s) == "(None, 3)" and str(engine.TensorShape([4])) == "(4,)"
    assert engine.TensorShape(np.int64(3)) == [3]
    assert engine.TensorShape(engine.TensorShape([1])) == [1]
    with pytest.raises(ValueError, match="negative"):
        engine.TensorShape([-1])
    with pytest.raises(TypeError, match="dimension"):
        engine.TensorShape(["a"])


def test_unknown_rank():
    s = engine.TensorShape(None)
    assert s.rank is None and s.dims is None and not s
    assert s.num_elements() is None and not s.is_fully_defined()
    assert s[0] is None and s[1:].rank is None
    assert str(s) == "<unknown>" and repr(s) == "TensorShape(None)"
    with pytest.raises(ValueError, match="unknown"):
        s.as_list()
    with pytest.raises(ValueError, match="unknown rank"):
        len(s)
    assert s.with_rank(2) == [None, None]
    assert s.is_compatible_with([1, 2, 3])


def test_tensor_shape_equality_with_lists_and_hash():
    assert engine.TensorShape([1, 2]) == [1, 2]
    assert engine.TensorShape([1, 2]) == (1, 2)
    assert engine.TensorShape([1, 2]) != [2, 1]
    assert engine.TensorShape([1, None]) == [1, None]
    assert engine.TensorShape(None) == engine.TensorShape(None)
    assert engine.TensorShape([1]) != engine.TensorShape(None)
    assert engine.TensorShape([1, 2]) != "12"
    assert len({engine.TensorShape([1, 2]), engine.TensorShape((1, 2))}) == 1
    assert pickle.loads(pickle.dumps(engine.TensorShape([None, 2]))) == [None, 2]


def test_tensor_shape_compatibility_and_merge():
    s = engine.TensorShape([None, 3])
    assert s.is_compatible_with([5, 3]) and s.is_compatible_with([None, None])
    assert not s.is_compatible_with([5, 4]) and not s.is_compatible_with([3])
    s.assert_is_compatible_with([1, 3])
    with pytest.raises(ValueError, match="incompatible"):
        s.assert_is_compatible_with([1, 2])
    assert s.merge_with([4, None]) == [4, 3]
    assert engine.TensorShape(None).merge_with([1, 2]) == [1, 2]
    assert s.merge_with(engine.TensorShape(None)) == s
    with pytest.raises(ValueError):
        s.merge_with([1, 4])
    assert engine.TensorShape([1, 2]).most_specific_compatible_shape([1, 3]) == [1, None]
    assert engine.TensorShape([1, 2]).most_specific_compatible_shape([1]).rank is None
    assert engine.TensorShape([1]).concatenate([2, None]) == [1, 2, None]
    assert engine.TensorShape([1]) + [2] == [1, 2] and [0] + engine.TensorShape([1]) == [0, 1]
    assert engine.TensorShape([1]).concatenate(None).rank is None
    assert s.with_rank(2) is s
    with pytest.raises(ValueError, match="rank 3"):
        s.with_rank(3)
    with pytest.raises(ValueError, match="rank 1"):
        s.assert_has_rank(1)


def test_tensor_spec():
    spec = engine.TensorSpec([None, 3], engine.float32, name="x")
    assert spec.shape == [None, 3] and spec.dtype is engine.float32 and spec.name == "x"
    assert engine.TensorSpec([2]).dtype is engine.float32
    assert engine.TensorSpec([2], "int64").dtype is engine.int64
    assert spec.is_compatible_with(engine.zeros([7, 3]))
    assert not spec.is_compatible_with(engine.zeros([7, 4]))
    assert not spec.is_compatible_with(engine.zeros([7, 3], dtype=engine.float64))
    assert spec.is_compatible_with(engine.TensorSpec([2, None]))
    from_t = engine.TensorSpec.from_tensor(engine.ones([2, 3]), name="y")
    assert from_t == engine.TensorSpec([2, 3], engine.float32, "y")
    assert from_t != engine.TensorSpec([2, 3], engine.float32)
    assert len({from_t, engine.TensorSpec([2, 3], engine.float32, "y")}) == 1
    merged = engine.TensorSpec([2, 3]).most_specific_compatible_type(engine.TensorSpec([4, 3]))
    assert merged == engine.TensorSpec([None, 3])
    with pytest.raises(ValueError, match="dtypes"):
        engine.TensorSpec([1]).most_specific_compatible_type(engine.TensorSpec([1], "int32"))
    assert "TensorSpec(shape=(None, 3), dtype=engine.float32, name='x')" == repr(spec)


def test_array_protocol_copy_false():
    t = engine.constant(M)
    assert np.shares_memory(np.asarray(t, copy=False), t.numpy())
    with pytest.raises(ValueError, match="without a copy"):
        np.asarray(t, dtype=np.float64, copy=False)


def test_tensor_constructor_rejects_python_values():
    with pytest.raises(TypeError, match="engine.constant"):
        engine.Tensor([1.0, 2.0])


def test_set_shape_checks_eager_and_refines_traced_shapes():
    engine.zeros([2, 3]).set_shape([None, 3])
    with pytest.raises(ValueError, match="set_shape"):
        engine.zeros([2, 3]).set_shape([None, 4])
    dataset = engine.data.Dataset.from_tensor_slices(np.zeros((4, 5, 3), "float32")).batch(2)

    def first_two(x):
        x = x[:, :2]
        x.set_shape([None, 2, None])
        return x

    assert dataset.map(first_two).element_spec.shape.as_list() == [None, 2, 3]
