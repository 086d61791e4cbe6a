"""Top-level and engine.math additions: truncating division, shifts, permutations,
space/batch moves, case/tuple/group, gradients/hessians, and small helpers."""

import logging

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, TracingError
from tests.opcheck import check_grad, check_op

RNG = np.random.default_rng(7)


def test_truncatediv_and_truncatemod_round_toward_zero():
    x = np.array([-7, -6, 7, 0, 5], np.int32)
    y = np.array([2, 4, -2, 3, -5], np.int32)
    np.testing.assert_array_equal(engine.truncatediv(x, y).numpy(),
                                  np.trunc(x / y).astype(np.int32))
    np.testing.assert_array_equal(engine.truncatemod(x, y).numpy(), np.fmod(x, y))
    check_op(engine.truncatediv, lambda a, b: np.trunc(a / b), [RNG.uniform(-9, 9, (3, 4)),
                                                              RNG.uniform(0.5, 3, (4,))],
             grad=False)
    check_op(engine.math.truncatemod, np.fmod, [RNG.uniform(-9, 9, (3, 4)),
                                                RNG.uniform(0.5, 3, (3, 4))], grad=False)
    with pytest.raises(InvalidArgumentError, match="truncatediv: integer division by zero"):
        engine.truncatediv(engine.constant([1]), engine.constant([0]))
    with pytest.raises(DTypeError, match="truncatemod"):
        engine.truncatemod(engine.constant([True]), engine.constant([True]))


def test_shifts():
    x = np.array([1, -8, 12, 3], np.int64)
    y = np.array([2, 2, 1, 0], np.int64)
    np.testing.assert_array_equal(engine.bitwise.left_shift(x, y).numpy(), x << y)
    np.testing.assert_array_equal(engine.bitwise.right_shift(x, y).numpy(), x >> y)
    with pytest.raises(DTypeError, match="left_shift"):
        engine.bitwise.left_shift(engine.constant([1.0]), engine.constant([1.0]))


def test_invert_permutation():
    perm = RNG.permutation(9).astype(np.int32)
    np.testing.assert_array_equal(engine.math.invert_permutation(perm).numpy(),
                                  np.argsort(perm))
    with pytest.raises(InvalidArgumentError, match="0 is duplicated"):
        engine.math.invert_permutation([0, 0, 1])
    with pytest.raises(InvalidArgumentError, match=r"holds 3; expected values in \[0, 3\)"):
        engine.math.invert_permutation([0, 3, 1])
    with pytest.raises(ShapeError, match="expected a vector"):
        engine.math.invert_permutation([[0, 1]])


def test_reciprocal_no_nan_and_erfcinv():
    x = np.array([2.0, 0.0, -4.0])
    np.testing.assert_array_equal(engine.math.reciprocal_no_nan(x).numpy(), [0.5, 0.0, -0.25])
    check_grad(engine.math.reciprocal_no_nan, [np.array([0.5, -2.0, 3.0])])
    p = np.array([0.1, 0.5, 1.0, 1.7])
    y = engine.math.erfcinv(engine.constant(p)).numpy()
    np.testing.assert_allclose(engine.math.erfc(engine.constant(y)).numpy(), p, rtol=1e-12)
    check_grad(engine.math.erfcinv, [p])


def test_monotonicity_checks():
    assert bool(engine.math.is_non_decreasing([1, 1, 2]))
    assert not bool(engine.math.is_strictly_increasing([1, 1, 2]))
    assert bool(engine.math.is_strictly_increasing([[1, 2], [3, 4]]))  # row-major order
    assert not bool(engine.math.is_non_decreasing([[1, 2], [0, 4]]))
    assert bool(engine.math.is_strictly_increasing([]))
    with pytest.raises(DTypeError, match="is_non_decreasing: got x of dtype complex64"):
        engine.math.is_non_decreasing(engine.constant([1j], engine.complex64))


def test_shape_n_and_histogram_bins():
    shapes = engine.shape_n([engine.ones([2, 3]), engine.constant(1.0)], out_type=engine.int64)
    assert [s.numpy().tolist() for s in shapes] == [[2, 3], []]
    assert shapes[0].dtype == engine.int64
    with pytest.raises(TypeError, match="expected a list of tensors"):
        engine.shape_n(engine.ones([2]))
    values = RNG.uniform(-2, 7, (4, 5))
    bins = engine.histogram_fixed_width_bins(values, [0.0, 5.0], nbins=5).numpy()
    np.testing.assert_array_equal(bins, np.clip(np.floor(values), 0, 4).astype(np.int32))
    with pytest.raises(InvalidArgumentError, match="nbins=0"):
        engine.histogram_fixed_width_bins(values, [0.0, 5.0], nbins=0)


def _space_to_batch_reference(x, blocks, paddings):
    """TF's definition, element by element: batch index (i1 * b2 + i2) * batch + b."""
    padded = np.pad(x, [(0, 0)] + [tuple(p) for p in paddings] + [(0, 0)])
    batch, h, w, c = padded.shape
    (b1, b2) = blocks
    out = np.zeros((batch * b1 * b2, h // b1, w // b2, c), x.dtype)
    for i1 in range(b1):
        for i2 in range(b2):
            for b in range(batch):
                out[(i1 * b2 + i2) * batch + b] = padded[b, i1::b1, i2::b2]
    return out


def test_space_to_batch_round_trip_and_gradients():
    x = RNG.standard_normal((2, 4, 5, 3))
    paddings = [[0, 2], [1, 0]]
    want = _space_to_batch_reference(x, [3, 2], paddings)
    check_op(lambda t: engine.space_to_batch_nd(t, [3, 2], paddings),
             lambda a: _space_to_batch_reference(a, [3, 2], paddings), [x])
    back = engine.batch_to_space(engine.constant(want), [3, 2], paddings).numpy()
    np.testing.assert_array_equal(back, x)
    check_grad(lambda t: engine.batch_to_space(t, [3, 2], paddings), [want])
    assert engine.space_to_batch is engine.space_to_batch_nd
    traced = engine.function(lambda t: engine.space_to_batch(t, [3, 2], paddings))
    np.testing.assert_array_equal(traced(engine.constant(x)).numpy(), want)


def test_space_to_batch_errors():
    x = engine.ones([1, 4, 4, 1])
    with pytest.raises(InvalidArgumentError, match="padded to 5 is not a multiple of its block"):
        engine.space_to_batch_nd(x, [2, 2], [[0, 1], [0, 0]])
    with pytest.raises(InvalidArgumentError, match="block_shape=.0, 2.; expected integers"):
        engine.space_to_batch_nd(x, [0, 2], [[0, 0], [0, 0]])
    with pytest.raises(InvalidArgumentError, match="batch size 1 is not a multiple of"):
        engine.batch_to_space(x, [2, 2], [[0, 0], [0, 0]])
    with pytest.raises(InvalidArgumentError, match="expected 2 pairs"):
        engine.space_to_batch_nd(x, [2, 2], [[0, 0]])


def test_case_eager_and_traced():
    def pick(x):
        return engine.case([(x < 0, lambda: -x), (x > 3, lambda: x * 10.0)],
                           default=lambda: x + 100.0)

    traced = engine.function(pick)
    for value, want in ((-2.0, 2.0), (5.0, 50.0), (1.0, 101.0)):
        assert float(pick(engine.constant(value))) == want
        assert float(traced(engine.constant(value))) == want
    as_dict = engine.case({False: lambda: 1, True: lambda: 2}, default=lambda: 3)
    assert int(as_dict) == 2


def test_case_errors():
    true = engine.constant(True)
    with pytest.raises(InvalidArgumentError, match="exclusive=True: more than 1 conditions"):
        engine.case([(true, lambda: 1.0), (true, lambda: 2.0)], exclusive=True)
    with pytest.raises(InvalidArgumentError, match="None of conditions evaluated as True"):
        engine.case([(engine.constant(False), lambda: 1.0), (engine.constant(False),
                                                             lambda: 2.0)])
    traced = engine.function(lambda p: engine.case([(p, lambda: 1.0), (p, lambda: 2.0)],
                                                   exclusive=True))
    with pytest.raises(InvalidArgumentError, match="exclusive=True"):
        traced(engine.constant(True))
    with pytest.raises(TypeError, match=r"pred_fn_pairs\[0\] is 3"):
        engine.case([3])
    # without a default, the last fn runs when its predicate is the one that holds
    assert float(engine.case([(engine.constant(False), lambda: 1.0), (true, lambda: 2.0)])) == 2


def test_no_op_group_tuple_parallel_stack():
    a, b = engine.constant(1.0), engine.constant([2.0])
    assert engine.no_op() is None and engine.group(a, b) is None
    out = engine.tuple([a, None, b], control_inputs=[a])
    assert out[1] is None and float(out[0]) == 1.0
    with pytest.raises(TypeError, match="expected a list of tensors"):
        engine.tuple(a)
    with pytest.raises(RuntimeError, match="not compatible with eager execution"):
        engine.parallel_stack([a, a])
    stacked = engine.function(lambda x, y: engine.parallel_stack([x, y]))(a, a)
    np.testing.assert_array_equal(stacked.numpy(), [1.0, 1.0])
    traced_tuple = engine.function(lambda x: engine.tuple([x * 2.0])[0])
    assert float(traced_tuple(a)) == 2.0


def test_gradients_only_inside_functions():
    with pytest.raises(RuntimeError, match="Use engine.GradientTape instead"):
        engine.gradients(engine.constant(1.0), engine.constant(1.0))
    v = engine.Variable([1.0, 3.0])

    @engine.function
    def grads(x):
        y = engine.reduce_sum(x * x * v) + engine.reduce_sum(engine.sin(v))
        return engine.gradients(y, [x, v])

    gx, gv = grads(engine.constant([2.0, 5.0]))
    np.testing.assert_allclose(gx.numpy(), 2 * np.array([2.0, 5.0]) * [1.0, 3.0])
    np.testing.assert_allclose(gv.numpy(), [4.0, 25.0] + np.cos([1.0, 3.0]), rtol=1e-6)

    @engine.function
    def stopped(x):
        h = x * 3.0
        return engine.gradients(h * x, x, stop_gradients=[h], grad_ys=engine.constant(2.0))[0]

    assert float(stopped(engine.constant(4.0))) == 24.0  # d(h x)/dx with h held: 2 * h

    @engine.function
    def unconnected(x):
        return engine.gradients(x * 2.0, [engine.ones([2])], unconnected_gradients="zero")

    np.testing.assert_array_equal(unconnected(engine.constant([1.0, 2.0]))[0].numpy(), [0, 0])
    outside = engine.ones([2])
    never_used = engine.function(lambda x: engine.gradients(x * 2.0, outside))
    with pytest.raises(TypeError, match="never used"):
        never_used(engine.constant([1.0, 2.0]))

    @engine.function
    def through_cond(x):
        return engine.gradients(engine.cond(x > 0, lambda: x * x, lambda: x), x)

    with pytest.raises(TracingError, match="use|GradientTape"):
        through_cond(engine.constant(2.0))


def test_hessians():
    def cubic(x):
        return engine.reduce_sum(x ** 3) + x[0] * x[1]

    x = engine.constant([1.0, 2.0], engine.float64)
    want = np.array([[6.0, 1.0], [1.0, 12.0]])
    np.testing.assert_allclose(engine.hessians(lambda: cubic(x), x)[0].numpy(), want)
    traced = engine.function(lambda t: engine.hessians(cubic(t), t)[0])
    np.testing.assert_allclose(traced(x).numpy(), want)
    with pytest.raises(RuntimeError, match="pass ys as a function"):
        engine.hessians(cubic(x), x)


def test_scope_and_symbolic_queries():
    assert engine.get_current_name_scope() == "" and not engine.inside_function()
    with engine.name_scope("outer"), engine.name_scope("inner"):
        assert engine.get_current_name_scope() == "outer/inner"
    seen = []

    @engine.function
    def probe(x):
        seen.append((engine.inside_function(), engine.is_symbolic_tensor(x)))
        return x

    probe(engine.constant(1.0))
    assert seen == [(True, True)] and not engine.is_symbolic_tensor(engine.constant(1.0))


def test_grad_pass_through_make_ndarray_logger_version():
    x = engine.constant([1.3, -0.4])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_sum(engine.grad_pass_through(engine.round)(x) * [2.0, 3.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 3.0])
    assert float(y) == 2.0
    np.testing.assert_array_equal(engine.make_ndarray(engine.constant([1, 2])), [1, 2])
    with pytest.raises(TypeError, match="expected a tensor"):
        engine.make_ndarray("text")
    assert isinstance(engine.get_logger(), logging.Logger)
    assert engine.get_logger().name == "engine"
    assert engine.version.VERSION == engine.__version__
    assert engine.as_string(engine.constant([1.5]), precision=2, width=6,
                            fill="0").numpy().tolist() == [b"001.50"]
