"""Clipping ops: forward against NumPy (TensorFlow's formulas), gradients, errors."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError
from engine.ops import clip_ops
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(3)
# Values kept away from the clip bounds, where the gradient jumps.
X = np.array([[-2.3, -0.7, 0.1, 0.8], [1.9, -1.4, 0.45, 3.0], [-0.2, 2.2, -3.1, 0.6]])


def test_clip_by_value():
    check_op(lambda t: engine.clip_by_value(t, -1.0, 1.0), lambda a: np.clip(a, -1, 1), [X])
    low, high = np.array([-1.0, 0.0, -0.5, 0.5]), np.array([[1.0], [0.3], [2.5]])
    # TensorFlow's order, max(min(t, high), low): where low > high (0.5 > 0.3), low wins
    check_op(engine.clip_by_value, lambda t, lo, hi: np.maximum(np.minimum(t, hi), lo),
             [X, low, high])
    out = engine.clip_by_value(engine.constant([1, 5, 9]), 2, 7)
    assert out.dtype == engine.int32
    np.testing.assert_array_equal(out.numpy(), [2, 5, 7])
    with pytest.raises(ShapeError, match="clip_by_value: got t of shape \\(4,\\)"):
        engine.clip_by_value(engine.zeros([4]), engine.zeros([2, 4]), 1.0)
    with pytest.raises(DTypeError, match="clip_by_value"):
        engine.clip_by_value(engine.zeros([2]), engine.constant(0.0, engine.float64), 1.0)
    spec = engine.registry.get("ClipByValue").infer(
        engine.TensorSpec([None, 4], engine.float32), engine.TensorSpec([], engine.float32),
        engine.TensorSpec([4], engine.float32))
    assert spec.shape.as_list() == [None, 4]


def test_clip_by_value_gradient_routes_to_bounds():
    t = engine.constant([-2.0, 0.5, 3.0])
    low, high = engine.constant(-1.0), engine.constant(1.0)
    with engine.GradientTape() as tape:
        tape.watch([t, low, high])
        y = engine.reduce_sum(engine.clip_by_value(t, low, high) * engine.constant([1., 2., 3.]))
    gt, glow, ghigh = tape.gradient(y, [t, low, high])
    np.testing.assert_array_equal(gt.numpy(), [0, 2, 0])
    assert float(glow) == 1.0 and float(ghigh) == 3.0


def _np_clip_by_norm(a, clip, axes=None):
    norm = np.sqrt(np.sum(a * a, axis=axes, keepdims=True))
    return a * clip / np.maximum(norm, clip)


@pytest.mark.parametrize("clip,axes", [(1.5, None), (10.0, None), (1.0, 1), (0.5, (0, 1))])
def test_clip_by_norm(clip, axes):
    check_op(lambda t: engine.clip_by_norm(t, clip, axes),
             lambda a: _np_clip_by_norm(a, clip, axes), [X])


def test_clip_by_norm_of_zero_has_finite_gradient():
    x = engine.zeros([3])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_sum(engine.clip_by_norm(x, 1.0))
    np.testing.assert_array_equal(y.numpy(), 0.0)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 1.0, 1.0])


def test_global_norm_and_clip_by_global_norm():
    a, b = R.standard_normal((2, 3)), R.standard_normal(4)
    expected = np.sqrt(np.sum(a ** 2) + np.sum(b ** 2))
    check_op(lambda x, y: engine.global_norm([x, None, y]), lambda x, y: expected, [a, b])
    for clip in (0.5 * expected, 2 * expected):
        check_op(lambda x, y: engine.clip_by_global_norm((x, y), clip)[0],
                 lambda x, y: [x * min(1, clip / expected), y * min(1, clip / expected)], [a, b])
    clipped, norm = engine.clip_by_global_norm([engine.constant(a), None], 1.0, use_norm=10.0)
    assert clipped[1] is None and float(norm) == 10.0
    np.testing.assert_allclose(clipped[0].numpy(), a / 10)
    mixed = engine.global_norm([engine.constant([3.0]), engine.constant([4.0], engine.float64)])
    assert mixed.dtype == engine.float32 and float(mixed) == 5.0
    assert float(engine.global_norm([None])) == 0.0


def test_clip_by_global_norm_of_infinite_norm_is_nan():
    clipped, norm = engine.clip_by_global_norm([engine.constant([np.inf, 1.0])], 1.0)
    assert np.isinf(norm.numpy())
    assert np.all(np.isnan(clipped[0].numpy()))


def test_sequence_errors():
    with pytest.raises(TypeError, match="global_norm: `t_list` should be a list or tuple"):
        engine.global_norm(engine.constant([1.0]))
    with pytest.raises(TypeError, match="clip_by_global_norm: `t_list`"):
        engine.clip_by_global_norm(engine.constant([1.0]), 1.0)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_l2_normalize(axis):
    def ref(a):
        return a / np.sqrt(np.maximum(np.sum(a * a, axis=axis, keepdims=True), 1e-12))

    check_op(lambda t: clip_ops.l2_normalize(t, axis), ref, [X])
    np.testing.assert_array_equal(clip_ops.l2_normalize(engine.zeros([2]), dim=0).numpy(), [0, 0])


def test_second_order_l2_normalize_and_clip():
    def first_gradient(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(clip_ops.l2_normalize(x, 1) * engine.clip_by_value(x, -1., 1.))
        return tape.gradient(y, x)

    check_grad(first_gradient, [X])


def test_clip_by_global_norm_of_zeros():
    clipped, norm = engine.clip_by_global_norm([engine.zeros([2])], 1.0)
    assert float(norm) == 0.0
    np.testing.assert_array_equal(clipped[0].numpy(), [0.0, 0.0])
