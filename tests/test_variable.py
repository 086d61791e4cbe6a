"""Tests for engine.Variable: updates, copy-on-write snapshots, errors, naming and copying."""

import copy
import pickle

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError


def test_creation_and_attributes():
    v = engine.Variable([1.0, 2.0])
    assert v.dtype is engine.float32
    assert v.shape == [2] and v.get_shape() == [2] and v.ndim == 1
    assert v.trainable
    assert v.name == "Variable:0"
    assert v.device.endswith("CPU:0")
    assert v.synchronization is engine.VariableSynchronization.AUTO
    assert v.aggregation is engine.VariableAggregation.NONE
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert engine.is_tensor(v)


def test_initial_value_is_copied():
    array = np.ones(2, np.float32)
    v = engine.Variable(array)
    array[0] = 5.0
    assert v.numpy()[0] == 1.0
    t = engine.constant([1.0, 2.0])
    w = engine.Variable(t)
    w.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_callable_initial_value_and_dtype_conversion():
    v = engine.Variable(lambda: engine.ones([2, 3]))
    assert v.shape == [2, 3]
    assert engine.Variable(1, dtype=engine.float32).dtype is engine.float32
    assert engine.Variable([1, 2], dtype="float64").dtype is engine.float64
    assert engine.Variable(np.arange(3), dtype=engine.float32).dtype is engine.float32
    assert engine.Variable(np.arange(3.0)).dtype is engine.float64
    with pytest.raises(DTypeError):
        engine.Variable(engine.constant(1.0), dtype=engine.float64)
    with pytest.raises(ValueError, match="initial_value"):
        engine.Variable()


def test_assign_methods_return_the_variable_for_chaining():
    v = engine.Variable([1.0, 2.0])
    assert v.assign([3.0, 4.0]) is v
    assert v.assign_add([1.0, 1.0]) is v
    assert v.assign_sub([0.5, 0.5]) is v
    np.testing.assert_array_equal(v.numpy(), [3.5, 4.5])
    v.assign([0.0, 0.0]).assign_add([2.0, 2.0]).assign_sub([1.0, 0.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    v.assign(engine.constant([7.0, 8.0]))
    v.assign(engine.Variable([5.0, 6.0]))
    v.assign_add(1.0)  # a scalar broadcasts over the variable
    np.testing.assert_array_equal(v.numpy(), [6.0, 7.0])


def test_assign_shape_errors_are_clear():
    v = engine.Variable([1.0, 2.0], name="w")
    with pytest.raises(ShapeError, match=r"assign.*'w:0'.*\(2,\).*\(3,\)"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="assign_add"):
        v.assign_add([1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="assign_sub"):
        v.assign_sub(np.ones((2, 2), np.float32))
    with pytest.raises(ShapeError, match="incompatible"):
        engine.Variable([1.0, 2.0], shape=[3])


def test_assign_dtype_errors_are_clear():
    v = engine.Variable([1.0, 2.0], name="w")
    with pytest.raises(DTypeError, match=r"'w:0' has dtype float32.*int32.*engine.cast"):
        v.assign(engine.constant([1, 2]))
    with pytest.raises(DTypeError, match="float64"):
        v.assign_add(engine.constant([1.0, 2.0], dtype=engine.float64))
    with pytest.raises(DTypeError, match="int32"):
        engine.Variable([1, 2]).assign([1.5, 2.0])
    v.assign([1, 2])  # Python ints convert to the variable's float dtype
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_validate_shape_false_allows_new_shapes():
    v = engine.Variable([1.0, 2.0], validate_shape=False, shape=[None])
    assert v.shape == [None]
    v.assign([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0, 3.0])
    assert v.shape == [None]
    with pytest.raises(ShapeError):
        v.assign([[1.0]])  # rank still has to match shape=[None]


def test_validate_shape_false_without_shape_is_unknown():
    v = engine.Variable([1.0, 2.0], validate_shape=False)
    assert v.shape.rank is None
    v.assign([[1.0], [2.0], [3.0]])
    assert v.numpy().shape == (3, 1)


def test_shape_with_none_allows_assigning_other_sizes():
    v = engine.Variable([[1.0, 2.0]], shape=[None, 2])
    assert v.shape == [None, 2]
    v.assign([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ShapeError, match=r"declared shape \(None, 2\)"):
        v.assign([1.0, 2.0])


def test_read_value_snapshots_do_not_change():
    v = engine.Variable([1.0, 2.0])
    before = v.read_value()
    view = v.numpy()
    v.assign_add([10.0, 10.0])
    np.testing.assert_array_equal(before.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(view, [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [11.0, 12.0])
    after_sub = v.value()
    v.assign_sub([1.0, 1.0])
    np.testing.assert_array_equal(after_sub.numpy(), [11.0, 12.0])
    result = v * 1.0
    v.assign([0.0, 0.0])
    np.testing.assert_array_equal(result.numpy(), [10.0, 11.0])


def test_assign_add_is_in_place_when_nobody_holds_the_value():
    v = engine.Variable(np.zeros((4, 4), np.float32))
    array_id = id(v._value)
    v.assign_add(np.ones((4, 4), np.float32))
    v.assign_sub(np.full((4, 4), 0.5, np.float32))
    assert id(v._value) == array_id  # no new array
    held = v.read_value()
    v.assign_add(np.ones((4, 4), np.float32))
    assert id(v._value) != array_id  # copy-on-write: `held` keeps its value
    np.testing.assert_array_equal(held.numpy(), np.full((4, 4), 0.5))
    np.testing.assert_array_equal(v.numpy(), np.full((4, 4), 1.5))


def test_assign_does_not_alias_the_given_array():
    v = engine.Variable([0.0, 0.0])
    source = np.array([1.0, 2.0], np.float32)
    v.assign(source)
    source[0] = 9.0
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(source, [9.0, 2.0])


def test_variables_work_like_tensors_in_operators():
    v = engine.Variable([1.0, 2.0])
    for result, expected in [(v + 1.0, [2.0, 3.0]), (1.0 - v, [0.0, -1.0]), (v * v, [1.0, 4.0]),
                             (-v, [-1.0, -2.0]), (v / 2.0, [0.5, 1.0]), (v ** 2, [1.0, 4.0]),
                             (np.ones(2) + v, [2.0, 3.0]), (v > 1.0, [False, True]),
                             (v == v, [True, True]), (engine.exp(v) * 0 + v, [1.0, 2.0])]:
        assert isinstance(result, engine.Tensor)
        np.testing.assert_array_equal(result.numpy(), expected)
    m = engine.Variable(np.eye(2, dtype=np.float32))
    np.testing.assert_array_equal((m @ m).numpy(), np.eye(2))
    assert isinstance(+v, engine.Tensor)
    assert len(v) == 2 and [float(x) for x in v] == [1.0, 2.0]
    assert float(engine.Variable(2.5)) == 2.5 and int(engine.Variable(3)) == 3
    assert bool(engine.Variable(True))
    assert [0, 1, 2][engine.Variable(2)] == 2
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])
    with pytest.raises(TypeError, match="ref"):
        hash(v)
    assert len({v.ref(), v.ref(), engine.Variable(1.0).ref()}) == 2


def test_trainable_and_synchronization():
    assert not engine.Variable(1.0, trainable=False).trainable
    on_read = engine.Variable(1.0, synchronization=engine.VariableSynchronization.ON_READ)
    assert not on_read.trainable
    with pytest.raises(ValueError, match="ON_READ"):
        engine.Variable(1.0, trainable=True,
                        synchronization=engine.VariableSynchronization.ON_READ)
    agg = engine.Variable(1.0, aggregation=engine.VariableAggregation.MEAN)
    assert agg.aggregation is engine.VariableAggregation.MEAN


def test_names_use_the_name_scope():
    assert engine.Variable(1.0, name="w").name == "w:0"
    with engine.name_scope("dense"):
        with engine.name_scope("inner"):
            assert engine.Variable(1.0, name="kernel").name == "dense/inner/kernel:0"
        assert engine.Variable(1.0).name == "dense/Variable:0"
    assert engine.Variable(1.0).name == "Variable:0"


def test_constraint_is_stored():
    def non_negative(x):
        return engine.maximum(x, 0.0)

    v = engine.Variable([-1.0, 1.0], constraint=non_negative)
    assert v.constraint is non_negative
    assert engine.Variable(1.0).constraint is None
    with pytest.raises(ValueError, match="callable"):
        engine.Variable(1.0, constraint="not callable")


def test_deepcopy_makes_an_independent_variable():
    v = engine.Variable([1.0, 2.0], name="w", trainable=False)
    c = copy.deepcopy(v)
    assert c is not v and c.name == "w:0" and not c.trainable and c.dtype is v.dtype
    c.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(c.numpy(), [2.0, 3.0])
    both = copy.deepcopy([v, v])
    assert both[0] is both[1]


def test_pickle_round_trip():
    with engine.name_scope("layer"):
        v = engine.Variable([1.0, 2.0], name="w", trainable=False, shape=[None],
                            aggregation=engine.VariableAggregation.SUM)
    back = pickle.loads(pickle.dumps(v))
    assert back.name == "layer/w:0" and not back.trainable and back.shape == [None]
    assert back.aggregation is engine.VariableAggregation.SUM
    assert back.device == v.device
    back.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(back.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert float(pickle.loads(pickle.dumps(engine.Variable(2.0))) * 2.0) == 4.0


def test_repr_matches_tensorflow_layout():
    v = engine.Variable([1.0, 2.0], name="w")
    assert repr(v) == ("<engine.Variable 'w:0' shape=(2,) dtype=float32, "
                       "numpy=array([1., 2.], dtype=float32)>")
    assert repr(engine.Variable(3.0)) == (
        "<engine.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>")


def test_read_value_is_recorded_on_tapes():
    v = engine.Variable(3.0)
    with engine.GradientTape() as tape:
        y = v.read_value() * v.read_value()
    assert float(tape.gradient(y, v)) == 6.0


def test_update_after_recording_does_not_change_the_gradient():
    v = engine.Variable(2.0)
    with engine.GradientTape() as tape:
        y = v * v
    v.assign_add(1.0)  # the tape holds the value it read: the update must copy
    assert float(tape.gradient(y, v)) == 4.0
    assert float(v) == 3.0


def test_snapshots_of_a_variable_written_in_place_are_copies():
    # A captured CUDA graph writes its variables' buffers in place and marks them
    # (engine.graph.cuda_graphs); their eager reads must then not alias the buffer.
    v = engine.Variable(np.arange(3, dtype=np.float32))
    assert np.shares_memory(v.value()._value, v._value)  # an unmarked read is a view
    v._written_in_place = True
    v._tensor = None
    snapshot = v.value()
    assert not np.shares_memory(snapshot._value, v._value)
    v._value[...] = 7.0  # what a replay does
    np.testing.assert_array_equal(snapshot.numpy(), [0.0, 1.0, 2.0])


def test_eager_assign_with_read_value_false_returns_none():
    v = engine.Variable(1.0)
    assert v.assign(2.0, read_value=False) is None
    assert v.assign_add(3.0, read_value=False) is None
    assert v.assign_sub(1.0, read_value=False) is None
    assert v.numpy() == 4.0
    assert v.assign_add(1.0) is v
