"""engine.ops.assert_ops: TensorFlow 2's assertions, eagerly (raise at once), while tracing
(static facts) and when a graph runs (Assert nodes in program order, naming the line)."""

import inspect
import types

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import assert_checks, assert_ops
from engine.ops.assert_ops import (
    Assert,
    assert_all_finite,
    assert_equal,
    assert_greater,
    assert_greater_equal,
    assert_less,
    assert_less_equal,
    assert_near,
    assert_negative,
    assert_non_negative,
    assert_non_positive,
    assert_none_equal,
    assert_positive,
    assert_rank,
    assert_rank_at_least,
    assert_rank_in,
    assert_shapes,
)

S, F32 = engine.TensorSpec, engine.float32

# (assert, x, y that holds, y that fails at index 1, symbol)
COMPARISONS = [
    (assert_equal, [1, 2, 3], [1, 2, 3], [1, 0, 3], "=="),
    (assert_none_equal, [1, 2, 3], [0, 0, 0], [0, 2, 0], "!="),
    (assert_less, [1, 2, 3], [2, 3, 4], [2, 2, 4], "<"),
    (assert_less_equal, [1, 2, 3], [1, 2, 3], [1, 1, 3], "<="),
    (assert_greater, [1, 2, 3], [0, 1, 2], [0, 2, 2], ">"),
    (assert_greater_equal, [1, 2, 3], [1, 2, 3], [1, 3, 3], ">="),
]
SIGNS = [
    (assert_positive, [1, 2], [1, 0], ">"),
    (assert_negative, [-1, -2], [-1, 0], "<"),
    (assert_non_negative, [0, 2], [0, -2], ">="),
    (assert_non_positive, [0, -2], [0, 2], "<="),
]


def _f32(*values):
    return np.array(values, np.float32)


def _graph_types(fn, *specs):
    return [n.type for n in engine.function(fn).get_concrete_function(*specs).graph.nodes]


# --- eager ------------------------------------------------------------------------------------
@pytest.mark.parametrize("check, x, good, bad, symbol", COMPARISONS,
                         ids=[c[0].__name__ for c in COMPARISONS])
def test_comparisons_eagerly(check, x, good, bad, symbol):
    assert check(engine.constant(x), engine.constant(good)) is None
    assert check(engine.zeros([0], engine.int32), []) is None  # empty: trivially true
    with pytest.raises(InvalidArgumentError) as info:
        check(engine.constant(x), engine.constant(bad), message="custom text")
    text = str(info.value)
    assert text.startswith(f"custom text\nCondition x {symbol} y did not hold "
                           f"({check.__name__}).")
    assert "Indices of first 1 of 1 failing values: [[1]]" in text
    assert f"Corresponding x values: [{x[1]}]" in text
    assert f"Corresponding y values: [{bad[1]}]" in text
    assert f"First 3 elements of y: [{' '.join(map(str, bad))}]" in text


def test_comparison_broadcasts_and_summarizes():
    x = engine.constant(np.arange(12).reshape(3, 4))
    with pytest.raises(InvalidArgumentError) as info:
        assert_less(x, 5, summarize=2)
    text = str(info.value)
    assert "Indices of first 2 of 7 failing values: [[1, 1], [1, 2]]" in text
    assert "Corresponding x values: [5 6]" in text and "Corresponding y values: [5 5]" in text
    assert "First 2 elements of x: [0 1]" in text
    with pytest.raises(InvalidArgumentError, match=r"first 7 of 7 .*\n.*\[ 5  6  7  8  9 10 11\]"):
        assert_less(x, 5, summarize=-1)


def test_comparison_dtype_and_shape_errors_come_from_the_ops():
    with pytest.raises(DTypeError):
        assert_equal(engine.constant([1.0]), engine.constant([1]))
    with pytest.raises(ShapeError):
        assert_equal(engine.zeros([2]), engine.zeros([3]))


@pytest.mark.parametrize("check, good, bad, symbol", SIGNS, ids=[c[0].__name__ for c in SIGNS])
def test_sign_assertions(check, good, bad, symbol):
    assert check(engine.constant(good)) is None and check(engine.constant(good, F32)) is None
    with pytest.raises(InvalidArgumentError,
                       match=rf"Condition x {symbol} 0 did not hold .*\n.*\[\[1\]\]"):
        check(engine.constant(bad))
    with pytest.raises(DTypeError, match=f"{check.__name__}: got x of dtype bool"):
        check(engine.constant([True]))


def test_assert_near():
    x = engine.constant([1.0, 2.0])
    assert assert_near(x, [1.0 + 1e-6, 2.0]) is None
    assert assert_near(x, [1.5, 2.5], atol=0.6) is None
    assert assert_near(x, [1.1, 2.2], rtol=0.1) is None
    with pytest.raises(InvalidArgumentError, match=r"msg\nx and y not equal to tolerance rtol = "
                                                   r"0\.1, atol = 0\.0 \(assert_near\)"):
        assert_near(x, [1.1, 2.0 * 1.2], rtol=0.1, atol=0.0, message="msg")
    with pytest.raises(InvalidArgumentError, match="tolerance rtol = 1.19"):
        assert_near(x, [1.0, 2.001])  # the float32 default: 10 eps
    assert assert_near(engine.constant([1 + 1j], engine.complex64), [1 + 1j]) is None
    with pytest.raises(DTypeError, match="assert_near: got x of dtype int32"):
        assert_near(engine.constant([1]), [1])
    with pytest.raises(DTypeError):
        assert_near(x, engine.constant([1.0, 2.0], engine.float64))  # no silent casts
    traced = engine.function(lambda a: assert_near(a, [1.0, 2.0], atol=0.1) or a,
                             input_signature=[S([2], F32)])
    traced(_f32(1.05, 2.0))
    with pytest.raises(InvalidArgumentError, match="Graph node 'Assert'.*tolerance"):
        traced(_f32(1.0, 2.5))
    with pytest.raises(InvalidArgumentError, match="tolerance"):  # constants: while tracing
        engine.function(lambda: assert_near(engine.constant([1.0]), [3.0]))()


def test_assert_with_data():
    x = engine.constant(np.arange(5.0))
    assert Assert(True, ["never shown", x]) is None
    assert Assert(engine.reduce_all(x < 9.0), [x]) is None
    with pytest.raises(InvalidArgumentError) as info:
        Assert(engine.reduce_all(x < 3.0), ["x is", x, b"bytes", engine.constant(7)])
    assert str(info.value) == ("Assert: condition is False. Data:\nx is\n[0. 1. 2. ...]\nbytes\n7")
    with pytest.raises(InvalidArgumentError, match=r"\[0. 1. 2. 3. 4.\]"):
        Assert(False, [x], summarize=-1)
    with pytest.raises(ShapeError, match="Assert: got a condition of shape \\(5,\\); expected "
                                         "a scalar"):
        Assert(x < 3.0, [x])
    with pytest.raises(DTypeError, match="Assert: got condition of dtype float32"):
        Assert(engine.constant(1.0), [])


def test_rank_checks_eagerly():
    x = engine.zeros([2, 3])
    assert assert_rank(x, 2) is None and assert_rank(x, engine.constant(2)) is None
    assert assert_rank_at_least(x, 0) is None and assert_rank_in(x, [0, 2]) is None
    with pytest.raises(ShapeError, match=r"m\nassert_rank: x must have rank 3; got rank 2 "
                                         r"\(shape \(2, 3\)\)") as info:
        assert_rank(x, 3, message="m")
    assert isinstance(info.value, ValueError)
    with pytest.raises(ShapeError, match="assert_rank_at_least: x must have rank at least 3"):
        assert_rank_at_least(x, 3)
    with pytest.raises(ShapeError, match=r"assert_rank_in: x must have rank in \[0, 1\]; got "
                                         "rank 2"):
        assert_rank_in(x, (0, engine.constant(1)))
    assert assert_rank([[1, 2]], 2) is None  # Python values are converted


def test_assert_shapes_eagerly():
    x, y, p, s = engine.zeros([4, 3]), engine.zeros([4, 2]), engine.zeros([3]), 1.0
    assert assert_shapes([(x, ("N", "Q")), (y, ("N", "D")), (p, ("Q",)), (s, ())]) is None
    assert assert_shapes({x.ref(): ("N", 3), y.ref(): ["N", "2"], p.ref(): (None,)}) is None
    assert assert_shapes([(engine.zeros([5, 4, 3]), (..., "Q")), (p, ("*", "Q"))]) is None
    assert assert_shapes([(x, (".", "Q")), (s, (1,)), (engine.zeros([1]), ())]) is None
    assert assert_shapes([(x, "NQ"), (p, "Q")]) is None  # a string is a sequence of names
    with pytest.raises(ShapeError, match=r"assert_shapes: tensor 1 \(shape \(4, 2\)\) dimension "
                                         r"1 must have size 'Q' \(set by tensor 0 dimension 1\);"
                                         " got 2, expected 3"):
        assert_shapes([(x, ("N", "Q")), (y, ("N", "Q"))])
    with pytest.raises(ShapeError, match="dimension 0 must have size 5; got 4"):
        assert_shapes([(x, (5, 3))])
    with pytest.raises(ShapeError, match=r"tensor 0 \(shape \(4, 3\)\) must have rank 3"):
        assert_shapes([(x, ("N", "Q", "D"))])
    with pytest.raises(ShapeError, match="must have rank at least 3"):
        assert_shapes([(x, (..., "N", "Q", "D"))])
    with pytest.raises(ShapeError, match="dimension -1 must have size 'Q'"):
        assert_shapes([(x, ("N", "Q")), (engine.zeros([2, 2]), ("*", "Q"))])


def test_assert_all_finite_returns_its_input_and_passes_gradients():
    x = engine.constant([1.0, 2.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_sum(assert_all_finite(x * 3.0, "scaled"))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="check_numerics: logits: .* 1 NaN"):
        assert_all_finite(engine.constant([np.nan, 1.0]), "logits")


# --- traced -----------------------------------------------------------------------------------
def test_run_time_check_names_the_node_and_the_line(capsys):
    @engine.function(input_signature=[S([None], F32)])
    def f(x):
        assert_less(x, 3.0, message="x too big")
        engine.print("after the check")
        return x * 2.0

    line = inspect.getsourcelines(f.python_function)[1] + 2
    np.testing.assert_array_equal(f(_f32(1, 2)).numpy(), [2.0, 4.0])
    assert capsys.readouterr().out == "after the check\n"
    with pytest.raises(InvalidArgumentError) as info:
        f(_f32(1, 5, 7))
    text = str(info.value)
    assert text.startswith("Graph node 'Assert' (Assert) failed: x too big\nCondition x < y "
                           "did not hold (assert_less).")
    assert "Indices of first 2 of 2 failing values: [[1], [2]]" in text
    assert f"test_assert_ops.py:{line} in f" in text
    assert capsys.readouterr().out == ""  # the check ran first: program order


@pytest.mark.parametrize("check, x, good, bad, symbol", COMPARISONS,
                         ids=[c[0].__name__ for c in COMPARISONS])
def test_comparisons_in_a_graph(check, x, good, bad, symbol):
    f = engine.function(lambda a, b: check(a, b) or a,
                        input_signature=[S([None], engine.int32), S([None], engine.int32)])
    x, good, bad = (np.array(v, np.int32) for v in (x, good, bad))
    np.testing.assert_array_equal(f(x, good).numpy(), x)
    with pytest.raises(InvalidArgumentError, match=rf"Condition x {symbol} y did not hold"):
        f(x, bad)


def test_known_values_are_checked_while_tracing():
    @engine.function
    def f(x):
        assert_equal(engine.size(x), 3, message="size")
        return x + 1.0

    assert "Assert" not in _graph_types(f.python_function, S([3], F32))
    with pytest.raises(InvalidArgumentError, match="size\nCondition x == y did not hold"):
        f.get_concrete_function(S([4], F32))  # raised while tracing: nothing ran
    types_ = _graph_types(f.python_function, S([None], F32))
    assert types_.count("Assert") == 1


def test_asserts_leave_gradients_alone_in_a_graph():
    @engine.function(input_signature=[S([None], engine.float64)])
    def grad(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            assert_positive(x)
            Assert(engine.reduce_all(x < 10.0), ["x:", x])
            y = engine.reduce_sum(assert_all_finite(x, "x") ** 2)
        return tape.gradient(y, x)

    np.testing.assert_allclose(grad(np.array([1.0, 2.0])).numpy(), [2.0, 4.0])
    with pytest.raises(InvalidArgumentError, match="Condition x > 0"):
        grad(np.array([1.0, -2.0]))
    with pytest.raises(InvalidArgumentError, match="Assert: condition is False. Data:\nx:\n"):
        grad(np.array([1.0, 20.0]))


def test_rank_and_shape_checks_in_a_graph():
    @engine.function(input_signature=[S(None, F32), S([None, None], F32)])
    def f(x, y):
        assert_rank(x, 2, message="rank")
        assert_rank_in(x, [2, 3])
        assert_rank_at_least(x, 1)
        assert_shapes([(x, ("N", "M")), (y, ("N", 2))])
        return x

    assert f(engine.zeros([3, 5]), engine.zeros([3, 2])).shape == [3, 5]
    with pytest.raises(InvalidArgumentError, match="rank\nassert_rank: x must have rank 2.\n"
                                                   "Got rank:\n1"):
        f(engine.zeros([3]), engine.zeros([3, 2]))
    with pytest.raises(InvalidArgumentError, match=r"tensor 1 \(shape \(None, None\)\) "
                                                   "dimension 0 must have size 'N'"):
        f(engine.zeros([3, 5]), engine.zeros([4, 2]))
    with pytest.raises(InvalidArgumentError, match="dimension 1 must have size 2.\nGot size:\n3"):
        f(engine.zeros([3, 5]), engine.zeros([3, 3]))
    with pytest.raises(ShapeError, match="assert_rank: x must have rank 3; got rank 2"):
        engine.function(lambda x: assert_rank(x, 3)).get_concrete_function(S([None, 2], F32))


def test_shape_checks_show_data_when_the_graph_runs():
    @engine.function(input_signature=[S([None], F32)])
    def f(x):
        assert_shapes([(x, (2,))], data=["x =", x], summarize=1)
        return x

    with pytest.raises(InvalidArgumentError, match=r"Expected:\n2\nx =\n\[1\. \.\.\.\]"):
        f(_f32(1, 2, 3))


# --- the Assert op ----------------------------------------------------------------------------
def test_the_assert_op_is_stateful_has_no_outputs_and_no_gradient():
    op = registry.get("Assert")
    assert op.stateful and op.num_outputs == 0 and op.vjp is None
    with pytest.raises(InvalidArgumentError, match=r"^Assert: condition is False. Data:\n"
                                                   r"\[4 5 6 \.\.\.\]$"):
        engine.dispatch.dispatch(op, (False, engine.constant([4, 5, 6, 7])))  # raw: no template
    cond = engine.constant([True, False])
    with pytest.raises(InvalidArgumentError, match="header\nIndices of first 1 of 1 failing "
                                                   "values: \\[\\[1\\]\\]"):
        engine.dispatch.dispatch(op, (cond, engine.constant([4, 5])),
                                 {"header": "header", "labels": ("v",)})


def test_the_checks_are_re_exported():
    """`from engine.ops.assert_ops import *` brings every assertion, assert_checks' too."""
    assert set(assert_checks.__all__) <= set(assert_ops.__all__)
    for name in assert_checks.__all__:
        assert getattr(assert_ops, name) is getattr(assert_checks, name)
    assert all(callable(getattr(assert_ops, name)) for name in assert_ops.__all__)


def test_the_kernel_reads_device_arrays_through_asnumpy():
    """The CuPy branch: arrays come to the host through `xp.asnumpy`."""
    seen = []
    xp = types.SimpleNamespace(all=np.all, asnumpy=lambda a: seen.append(a) or np.asarray(a))
    assert assert_ops._assert_kernel(xp, np.array([True]), np.array([1])) == ()
    with pytest.raises(InvalidArgumentError, match="h\nIndices"):
        assert_ops._assert_kernel(xp, np.array([False]), np.array([1]), header="h",
                                  labels=("x",))
    assert len(seen) == 2


def test_assert_runs_on_a_fake_gpu(gpu):
    with engine.device("/GPU:0"):
        x = engine.constant([1.0, 2.0])
        assert assert_less(x, 3.0) is None
        with pytest.raises(InvalidArgumentError, match="Corresponding x values: \\[2.\\]"):
            assert_less(x, 1.5)


# The case this op would add to tests/test_cupy.py's OP_CASES (through engine.debugging),
# run here on the CPU.
def test_proposed_gpu_table_case_runs_on_the_cpu():
    from tests.gpu_op_table import A, B
    from tests.test_cupy import _run_case

    out = _run_case(lambda x, y: assert_less(x, y + 3.0) or x, (A, B), None, None)
    assert len(out) == 1
    np.testing.assert_array_equal(out[0].numpy(), A)
