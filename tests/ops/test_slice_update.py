"""`tensor_strided_slice_update` and sliced variable assignment (`v[key].assign(...)`)."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.opcheck import check_op

R = np.random.default_rng(31)

# (begin, end, strides, masks, the NumPy index they mean)
SPECS = [
    ([1, 0], [3, 4], [1, 2], {}, np.s_[1:3, 0:4:2]),
    ([0, 3], [0, 0], [1, -1], {"begin_mask": 1, "end_mask": 3}, np.s_[:, 3::-1]),
    ([2, 1], [3, 0], [1, 1], {"shrink_axis_mask": 1, "end_mask": 2}, np.s_[2, 1:]),
    ([0, -1], [0, 0], [1, 1], {"ellipsis_mask": 1, "shrink_axis_mask": 2}, np.s_[..., -1]),
    ([1, 0, 0], [2, 0, 5], [1, 1, 2], {"new_axis_mask": 2}, np.s_[1:2, None, 0:5:2]),
]


@pytest.mark.parametrize("begin, end, strides, masks, index", SPECS)
def test_update_against_numpy_and_finite_differences(begin, end, strides, masks, index):
    x = R.standard_normal((4, 5))
    value = R.standard_normal(x[index].shape)

    def fn(x, value):
        return engine.tensor_strided_slice_update(x, begin, end, strides, value, **masks)

    def ref(x, value):
        out = x.copy()
        out[index] = value
        return out

    check_op(fn, ref, [x, value])


def test_bounds_known_only_when_the_graph_runs():
    x = engine.constant(R.standard_normal((5, 3)))

    @engine.function(input_signature=[engine.TensorSpec([], engine.int32)])
    def put(i):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.tensor_strided_slice_update(x, [i, 0], [i + 2, 3], [1, 1],
                                                   engine.ones([2, 3], engine.float64))
            loss = engine.reduce_sum(y * x)
        return y, tape.gradient(loss, x)

    for i in (0, 3):
        y, dx = put(engine.constant(i))
        want = x.numpy().copy()
        want[i:i + 2] = 1.0
        np.testing.assert_array_equal(y.numpy(), want)
        grad = 2 * x.numpy() * 1.0
        grad[i:i + 2] = 1.0  # d(sum(y * x))/dx: the kept part 2x, the replaced part y = 1
        np.testing.assert_allclose(dx.numpy(), grad)


def test_update_errors_name_the_shapes():
    x = engine.zeros([3, 4])
    with pytest.raises(ShapeError, match=r"value of shape \(3,\); the slice has shape \(2, 4\)"):
        engine.tensor_strided_slice_update(x, [0], [2], [1], engine.ones([3]))


def test_variable_slices_assign_eagerly_and_traced():
    v = engine.Variable(np.zeros((3, 4), np.float32))
    want = np.zeros((3, 4), np.float32)
    assert v[0].assign(np.arange(4.0, dtype=np.float32)) is v
    v[1, 1:3].assign(5.0)                  # broadcast
    v[:, -1].assign_add([1.0, 2.0, 3.0])
    v[2].assign_sub(0.5)
    want[0] = np.arange(4.0)
    want[1, 1:3] = 5.0
    want[:, -1] += [1.0, 2.0, 3.0]
    want[2] -= 0.5
    np.testing.assert_array_equal(v.numpy(), want)

    @engine.function
    def fill_rows(n):
        for i in engine.range(n):          # a loop counter as the index
            v[i, :2].assign(engine.fill([2], engine.cast(i, engine.float32) + 10.0))
        return v[..., 0]

    np.testing.assert_array_equal(fill_rows(engine.constant(3)).numpy(), [10.0, 11.0, 12.0])
    want[:, :2] = np.array([[10.0], [11.0], [12.0]])
    np.testing.assert_array_equal(v.numpy(), want)


def test_what_cannot_be_assigned_says_why():
    v = engine.Variable(np.zeros((3, 2)))
    with pytest.raises(TypeError, match=r"\[\[0, 2\]\]\.assign: only basic indices"):
        v[[0, 2]].assign(1.0)
    with pytest.raises(AttributeError, match="tensors are immutable"):
        engine.ones([2]).assign(1.0)
    assert not hasattr(engine.ones([2]), "assign") and hasattr(v[0], "assign")
    with pytest.raises(ShapeError):
        v[0].assign([1.0, 2.0, 3.0])       # does not broadcast to (2,)
