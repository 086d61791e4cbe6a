"""`tensor[key]`: NumPy basic indexing as one StridedSlice op, its gradient and its errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import context
from engine.errors import InvalidArgumentError, InvalidIndexError
from tests.opcheck import check_op

R = np.random.default_rng(11)
X = R.standard_normal((3, 4, 5))

# (key, comment): every key is compared with NumPy, forward and gradient.
KEYS = [
    1, -1, slice(None), slice(1, None), slice(None, None, -1), slice(-2, 0, -1),
    (slice(None), 2), (slice(None), -1, slice(None)), (Ellipsis, 3), (0, Ellipsis, -2),
    (None,), (slice(None), None, 1), (1, None, slice(None, None, 2), None),
    (slice(None, None, 2), slice(3, 0, -2), slice(1, 4)), (slice(10, -10, -1),),
    (slice(-100, 100),), (Ellipsis,), (Ellipsis, None), (None, Ellipsis, None),
    (2, 3, 4), (slice(5, 1),), (slice(None), slice(None), slice(None, None, -3)),
]


@pytest.mark.parametrize("key", KEYS, ids=[repr(k) for k in KEYS])
def test_basic_keys_match_numpy(key):
    check_op(lambda t: t[key], lambda a: a[key], [X])


def test_getitem_is_one_strided_slice_op():
    events = []
    x = engine.constant(X)
    with engine.hooks.subscribe("op", events.append):
        x[1:, None, ..., ::-2]
    assert [e.op for e in events] == ["StridedSlice"]


def test_fast_path_without_strict_checks():
    engine.config.experimental.set_strict_checks(False)
    assert context.GLOBAL.slow == 0
    t = engine.constant(X)
    for key in KEYS:
        np.testing.assert_array_equal(t[key].numpy(), X[key])
    out = t[1, 2, 3]
    assert isinstance(out._value, np.ndarray) and out.shape == engine.TensorShape([])
    with pytest.raises(InvalidIndexError, match="index 7 is out of range for dimension 1"):
        t[:, 7]
    with pytest.raises(ValueError, match="strides"):
        t[::0]


def test_index_kinds_and_variables():
    t = engine.constant(X)
    np.testing.assert_array_equal(t[np.int64(1), engine.constant(2)].numpy(), X[1, 2])
    np.testing.assert_array_equal(t[engine.constant(1):np.int32(3)].numpy(), X[1:3])
    np.testing.assert_array_equal(t[engine.newaxis].numpy(), X[None])
    np.testing.assert_array_equal(t[engine.constant(-1)].numpy(), X[-1])
    v = engine.Variable(X)
    with engine.GradientTape() as tape:
        y = engine.reduce_sum(v[1, :, ::2])
    expected = np.zeros_like(X)
    expected[1, :, ::2] = 1
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), expected)
    np.testing.assert_array_equal(v[0].numpy(), X[0])


def test_whole_key_mask_and_index_array():
    mask = np.array([True, False, True])
    check_op(lambda t: t[mask], lambda a: a[mask], [X])
    check_op(lambda t: t[engine.constant(X[:, :, 0] > 0)], lambda a: a[X[:, :, 0] > 0], [X])
    check_op(lambda t: t[[2, 0, 2]], lambda a: a[[2, 0, 2]], [X])
    check_op(lambda t: t[np.array([[1], [0]])], lambda a: a[np.array([[1], [0]])], [X])


def test_errors():
    t = engine.constant(X)
    with pytest.raises(InvalidIndexError, match=r"index 3 is out of range for dimension 0 of "
                                                r"size 3 .*expected -3 <= index < 3"):
        t[3]
    with pytest.raises(IndexError):      # also a Python IndexError ...
        t[0, -6]
    with pytest.raises(InvalidArgumentError):  # ... and TensorFlow's InvalidArgumentError
        t[0, 0, 5]
    with pytest.raises(IndexError, match="too many indices for a tensor of rank 3"):
        t[0, 0, 0, 0]
    with pytest.raises(IndexError, match="more than one ellipsis"):
        t[..., 0, ...]
    with pytest.raises(ValueError, match="strides"):
        t[:, ::0]
    with pytest.raises(TypeError, match="engine.gather"):
        t[[0, 1], 1:]
    with pytest.raises(TypeError, match="tensor\\[...\\]: got index 1.5"):
        t[1.5]
    with pytest.raises(TypeError, match="got index"):
        t[True]
    with pytest.raises(TypeError, match="got index"):
        t["a"]
    with pytest.raises(TypeError, match="got index"):
        t[engine.constant([0.5])]
    with pytest.raises(TypeError, match="got index"):
        t[0:engine.constant(1.0)]


def test_second_order_through_getitem():
    x = engine.constant(X)
    with engine.GradientTape() as outer:
        outer.watch(x)
        with engine.GradientTape() as inner:
            inner.watch(x)
            y = engine.reduce_sum(x[1:, ::-1, 2] ** 3)
        g = inner.gradient(y, x)
        z = engine.reduce_sum(g[1:, ::-1, 2])
    expected = np.zeros_like(X)
    expected[1:, ::-1, 2] = 6 * X[1:, ::-1, 2]
    np.testing.assert_allclose(outer.gradient(z, x).numpy(), expected)


def test_raw_op_and_infer_with_unknown_dims():
    x = engine.constant(X)
    out = engine.raw_ops.StridedSlice(input=x, begin=[0, 1], end=[0, 3], strides=[1, 1],
                                      shrink_axis_mask=1)
    np.testing.assert_array_equal(out.numpy(), X[0, 1:3])
    op = engine.registry.get("StridedSlice")
    spec = op.infer(engine.TensorSpec([None, 4, 5], engine.float32), begin=(0, 1), end=(0, 3),
                    strides=(1, 1), begin_mask=1, end_mask=1, new_axis_mask=0)
    assert spec.shape.as_list() == [None, 2, 5]
    spec = op.infer(engine.TensorSpec(None, engine.float32), begin=(0,), end=(1,),
                    strides=(1,))
    assert spec.shape.rank is None
    spec = op.infer(engine.TensorSpec([None, 4], engine.float32), begin=(0, 0), end=(1, 0),
                    strides=(1, 1), ellipsis_mask=2, shrink_axis_mask=1)
    assert spec.shape.as_list() == [4]


# --- hypothesis: random shapes, random basic keys ----------------------------------------
def _draw_item(draw, d):
    kinds = ["int", "slice", "slice", "full"] if d else ["slice", "full"]
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        return draw(st.integers(-d, d - 1))
    if kind == "full":
        return slice(None)
    bound = st.none() | st.integers(-6, 6)
    step = st.none() | st.sampled_from([-3, -2, -1, 1, 2, 3])
    return slice(draw(bound), draw(bound), draw(step))


@st.composite
def _shape_and_key(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    head = draw(st.integers(0, len(shape)))
    items = [_draw_item(draw, d) for d in shape[:head]]
    if draw(st.booleans()):  # `...` stands for the dimensions between head and tail
        tail = draw(st.integers(0, len(shape) - head))
        items.append(Ellipsis)
        items += [_draw_item(draw, d) for d in shape[len(shape) - tail:]]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    key = tuple(items) if len(items) != 1 or draw(st.booleans()) else items[0]
    return shape, key


@settings(max_examples=150, deadline=None)
@given(_shape_and_key())
def test_random_keys_match_numpy(shape_key):
    shape, key = shape_key
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    x = engine.constant(a)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = x[key]
    np.testing.assert_array_equal(y.numpy(), a[key])
    u = np.random.default_rng(0).standard_normal(np.shape(a[key]))
    grad = tape.gradient(y, x, output_gradients=engine.constant(u))
    expected = np.zeros_like(a)
    expected[key] = u
    np.testing.assert_array_equal(grad.numpy(), expected)
