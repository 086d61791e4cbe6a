"""Slicing with bounds known only when a graph runs: `tensor[key]`, `strided_slice`, `slice`
and `split` with sizes computed from `engine.shape(x)` or passed as arguments.

Each function is traced with unknown dimensions, then called with two different sizes and
compared with NumPy (and with its eager result); the static shapes keep what tracing knows;
gradients match float64 central differences; the graphs serialize and run on a GPU.
"""

import json

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError, InvalidIndexError, ShapeError
from engine.graph.executor import Program

S = engine.TensorSpec
F64 = engine.float64
I32 = engine.int32


def traced(fn, *specs):
    return engine.function(fn).get_concrete_function(*specs)


def rows(x):
    return engine.shape(x)[0]


def matrix(n, dtype=np.float32):
    return np.arange(4 * n, dtype=dtype).reshape(n, 4)


def check_traced(fn, reference, static, spec=S([None, 4]), sizes=(3, 5)):
    """Traces `fn` for `spec`, checks its static output shapes, then calls it with `sizes`
    rows against `reference(array)` and against `fn` run eagerly."""
    concrete = traced(fn, spec)
    assert [t.shape.as_list() for t in concrete.graph.outputs] == static
    for n in sizes:
        a = matrix(n) if spec.shape.rank == 2 else np.arange(n, dtype=np.float32)
        got = engine.nest.flatten(concrete(engine.constant(a)))
        expected = engine.nest.flatten(reference(a))
        eager = engine.nest.flatten(fn(engine.constant(a)))
        assert len(got) == len(expected) == len(eager)
        for g, e, w in zip(got, expected, eager):
            np.testing.assert_array_equal(g.numpy(), e)
            np.testing.assert_array_equal(w.numpy(), e)
    return concrete


# --- the reported failures -----------------------------------------------------------------
def test_reported_cases_trace_and_run():
    check_traced(lambda x: engine.slice(x, [0], [rows(x) - 1]), lambda a: a[:-1], [[None]],
                 S([None]))
    check_traced(lambda x: x[:rows(x) - 1], lambda a: a[:-1], [[None]], S([None]))
    check_traced(lambda x: engine.split(x, [rows(x) - 1, 1]),
                 lambda a: np.split(a, [len(a) - 1]), [[None], [1]], S([None]))


# --- tensor[key] ---------------------------------------------------------------------------
KEYS = [  # (key as a function of x and n = shape(x)[0], NumPy reference, static shape)
    (lambda x, n: x[:n - 1], lambda a, n: a[:n - 1], [None, 4]),
    (lambda x, n: x[n - 1], lambda a, n: a[n - 1], [4]),
    (lambda x, n: x[1:n], lambda a, n: a[1:n], [None, 4]),
    (lambda x, n: x[1:], lambda a, n: a[1:], [None, 4]),
    (lambda x, n: x[:, :n], lambda a, n: a[:, :n], [None, None]),
    (lambda x, n: x[:, :engine.shape(x)[1] - 1], lambda a, n: a[:, :3], [None, 3]),
    (lambda x, n: x[n - 2, 1:], lambda a, n: a[n - 2, 1:], [3]),
    (lambda x, n: x[-n + 1:, ::-2], lambda a, n: a[-n + 1:, ::-2], [None, 2]),
    (lambda x, n: x[None, ..., n - 1, :-1], lambda a, n: a[None, ..., n - 1, :-1], [1, 3]),
    (lambda x, n: x[n - 1::-1, 2], lambda a, n: a[n - 1::-1, 2], [None]),
    (lambda x, n: x[:n:n // 2], lambda a, n: a[:n:n // 2], [None, 4]),
    (lambda x, n: x[engine.cast(n, engine.int64) - 2:, -1],
     lambda a, n: a[n - 2:, -1], [None]),
    (lambda x, n: x[np.int64(1):n, engine.constant(1)], lambda a, n: a[1:n, 1], [None]),
]


@pytest.mark.parametrize("k", range(len(KEYS)))
def test_getitem_with_symbolic_bounds(k):
    key, reference, static = KEYS[k]
    check_traced(lambda x: key(x, rows(x)), lambda a: reference(a, len(a)), [static])


def test_getitem_of_a_function_argument_index():
    concrete = traced(lambda x, i, j: x[i:j, i], S([None, 4]), S([], I32), S([], I32))
    assert concrete.graph.outputs[0].shape.as_list() == [None]
    for n, i, j in ((3, 0, 2), (5, 2, 5), (4, 3, 1)):
        got = concrete(engine.constant(matrix(n)), engine.constant(i), engine.constant(j))
        np.testing.assert_array_equal(got.numpy(), matrix(n)[i:j, i])


def test_known_bounds_stay_attrs():
    concrete = traced(lambda x: x[:engine.shape(x)[1] - 1, 1], S([5, 4]))
    node = next(n for n in concrete.graph.nodes if n.type == "StridedSlice" and
                n.inputs[0].shape.as_list() == [5, 4])
    assert len(node.inputs) == 1 and node.attrs["end"][0] == 3
    assert concrete.graph.outputs[0].shape.as_list() == [3]


# --- strided_slice and slice ---------------------------------------------------------------
def test_strided_slice_with_symbolic_bounds():
    check_traced(lambda x: engine.strided_slice(x, [1], [rows(x)]), lambda a: a[1:],
                 [[None]], S([None]))
    check_traced(  # a 1-D tensor end whose second entry is known
        lambda x: engine.strided_slice(x, [0, 1], engine.stack([rows(x) - 1, 3])),
        lambda a: a[:-1, 1:3], [[None, 2]])
    check_traced(  # an integer index (shrink_axis_mask) and a symbolic stride
        lambda x: engine.strided_slice(x, [rows(x) - 1, 0], [0, 4], [1, rows(x) // 2],
                                       shrink_axis_mask=1),
        lambda a: a[-1, ::len(a) // 2], [[None]])
    check_traced(  # an ellipsis and a new axis around a symbolic bound
        lambda x: engine.strided_slice(x, [0, 0, rows(x) - 2], [0, 0, 4],
                                       ellipsis_mask=1, new_axis_mask=2),
        lambda a: a[..., None, len(a) - 2:], [[None, 1, None]])


def test_slice_with_symbolic_begin_and_size():
    check_traced(lambda x: engine.slice(x, [1, 0], [rows(x) - 2, -1]), lambda a: a[1:-1],
                 [[None, 4]])
    check_traced(lambda x: engine.slice(x, [0, 1], [rows(x), 2]), lambda a: a[:, 1:3],
                 [[None, 2]])
    check_traced(lambda x: engine.slice(x, engine.stack([rows(x) - 1, 0]), [1, -1]),
                 lambda a: a[-1:], [[1, 4]])
    check_traced(lambda x: engine.slice(x, [0, 0], engine.shape(x) - 1), lambda a: a[:-1, :3],
                 [[None, None]])


# --- split ---------------------------------------------------------------------------------
def test_split_with_symbolic_sizes():
    n = rows
    check_traced(lambda x: engine.split(x, [n(x) - 1, 1]), lambda a: np.split(a, [len(a) - 1]),
                 [[None, 4], [1, 4]])
    check_traced(lambda x: engine.split(x, [1, n(x) - 3, -1]),
                 lambda a: np.split(a, [1, len(a) - 2]), [[1, 4], [None, 4], [None, 4]])
    check_traced(lambda x: engine.split(x, engine.stack([n(x) - 2, 2])),
                 lambda a: np.split(a, [len(a) - 2]), [[None, 4], [2, 4]])
    # One open size of a known dimension is fixed by the others, as a -1 would be.
    check_traced(lambda x: engine.split(x, [engine.minimum(n(x), 3), 1], axis=1),
                 lambda a: np.split(a, [3], axis=1), [[None, 3], [None, 1]])
    check_traced(lambda x: engine.split(x, [n(x) - 2, -1], axis=1),
                 lambda a: np.split(a, [len(a) - 2], axis=1), [[None, None], [None, None]])


def test_split_into_equal_pieces_of_an_unknown_dimension():
    check_traced(lambda x: engine.split(x, 2), lambda a: np.split(a, 2), [[None, 4]] * 2,
                 sizes=(2, 6))
    check_traced(lambda x: engine.split(x, 2, axis=-1), lambda a: np.split(a, 2, axis=-1),
                 [[None, 2]] * 2)
    concrete = traced(lambda x: engine.split(x, 2), S([None, 4]))
    with pytest.raises(InvalidArgumentError, match="must divide the dimension"):
        concrete(engine.constant(matrix(3)))


def test_split_with_a_sizes_argument():
    concrete = traced(lambda x, s: engine.split(x, s, num=2), S([None, 4]), S([None], I32))
    assert [t.shape.as_list() for t in concrete.graph.outputs] == [[None, 4], [None, 4]]
    for n, k in ((3, 1), (5, 4)):
        first, second = concrete(engine.constant(matrix(n)), engine.constant([k, n - k]))
        np.testing.assert_array_equal(first.numpy(), matrix(n)[:k])
        np.testing.assert_array_equal(second.numpy(), matrix(n)[k:])


# --- gradients -----------------------------------------------------------------------------
GRADIENTS = [  # f(x) with x of shape (n, 4), n >= 3
    lambda x: x[:rows(x) - 1],
    lambda x: x[1:rows(x), ::-2],
    lambda x: x[rows(x) - 2],
    lambda x: x[rows(x) - 1, 1:],
    lambda x: x[1:],
    lambda x: engine.slice(x, [1, 1], [rows(x) - 2, -1]),
    lambda x: engine.slice(x, [0, 1], [2, 2]),
    lambda x: engine.split(x, [rows(x) - 1, 1])[0] * 2.0,
    lambda x: engine.split(x, [1, rows(x) - 1])[1],
    lambda x: engine.split(x, 2, axis=1)[1] ** 2,
    lambda x: engine.split(x[:2 * (rows(x) // 2)], 2)[1] ** 2,
]


@pytest.mark.parametrize("k", range(len(GRADIENTS)))
def test_gradients_with_unknown_dimensions_match_finite_differences(k):
    fn = GRADIENTS[k]

    @engine.function
    def vjp(x, u):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.reduce_sum(fn(x) * u)
        return tape.gradient(y, x)

    rng = np.random.default_rng(k)
    for n in (3, 6):
        x = rng.standard_normal((n, 4))
        u = rng.standard_normal(np.shape(fn(engine.constant(x))))
        v = rng.standard_normal(x.shape)
        concrete = vjp.get_concrete_function(S([None, 4], F64), S([None] * u.ndim, F64))
        grad = concrete(engine.constant(x), engine.constant(u)).numpy()
        eps = 1e-6
        plus, minus = (np.sum(fn(engine.constant(x + s * eps * v)).numpy() * u) for s in (1, -1))
        np.testing.assert_allclose(np.sum(grad * v), (plus - minus) / (2 * eps), rtol=1e-6,
                                   atol=1e-9)


def test_second_order_gradient_through_a_symbolic_slice():
    @engine.function
    def hvp(x, v):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                y = engine.reduce_sum(x[1:rows(x)] ** 3)
            g = inner.gradient(y, x)
            gv = engine.reduce_sum(g * v)
        return outer.gradient(gv, x)

    concrete = hvp.get_concrete_function(S([None], F64), S([None], F64))
    for n in (3, 5):
        x, v = np.linspace(-1.0, 2.0, n), np.linspace(0.5, 1.5, n)
        expected = 6 * x * v
        expected[0] = 0.0
        np.testing.assert_allclose(concrete(engine.constant(x), engine.constant(v)).numpy(),
                                   expected, rtol=1e-12)


# --- serialization, GPU, errors ------------------------------------------------------------
def test_graphs_with_symbolic_slices_round_trip_through_json():
    @engine.function
    def f(x):
        n = rows(x)
        with engine.GradientTape() as tape:
            tape.watch(x)
            parts = engine.split(x, [n - 1, 1])
            y = engine.reduce_sum(x[1:n] * 3.0) + engine.reduce_sum(
                engine.slice(x, [0, 1], [n - 1, 2])) + engine.reduce_sum(parts[0])
        return tape.gradient(y, x), x[:n - 1, 2], parts[1]

    graph = f.get_concrete_function(S([None, 4])).graph
    counts = {n.type: len(n.inputs) for n in graph.nodes
              if n.type in ("StridedSlice", "StridedSliceGrad", "Slice", "SplitV")}
    assert counts == {"StridedSlice": 4, "StridedSliceGrad": 5, "Slice": 3, "SplitV": 2}
    data, arrays = graph.as_dict()
    program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
    for n in (3, 5):
        x = engine.constant(matrix(n))
        for got, want in zip(program([x.numpy()]), f(x)):
            np.testing.assert_array_equal(got, want.numpy())


def test_symbolic_slices_on_a_gpu(gpu):
    @engine.function
    def f(x):
        with engine.device("/GPU:0"):
            n = rows(x)
            with engine.GradientTape() as tape:
                tape.watch(x)
                y = engine.reduce_sum(x[1:n] * 2.0)
            return (x[:n - 1] + 0.0, engine.slice(x, [1], [n - 1]) + 0.0,
                    engine.split(x, [n - 1, 1])[1] + 0.0, tape.gradient(y, x))

    for n in (3, 5):
        a = np.arange(n, dtype=np.float32)
        got = f(engine.constant(a))
        assert all("GPU" in t.device for t in got)
        for t, e in zip(got, (a[:-1], a[1:], a[-1:], np.r_[0.0, np.full(n - 1, 2.0)])):
            np.testing.assert_array_equal(t.numpy(), e)


def test_bounds_out_of_range_when_the_graph_runs():
    index = traced(lambda x: x[rows(x) + 1, 0], S([None, 4]))
    with pytest.raises(InvalidIndexError, match="index 4 is out of range for dimension 0"):
        index(engine.constant(matrix(3)))
    sliced = traced(lambda x: engine.slice(x, [1, 0], [rows(x), -1]), S([None, 4]))
    with pytest.raises(InvalidArgumentError, match=r"slice: begin\[0\] = 1 and size\[0\] = 3"):
        sliced(engine.constant(matrix(3)))
    stride = traced(lambda x, s: x[::s], S([None]), S([], I32))
    with pytest.raises(ShapeError, match=r"strides\[0\] is 0"):
        stride(engine.ones([3]), engine.constant(0))
    split = traced(lambda x: engine.split(x, [rows(x), 1]), S([None, 4]))
    with pytest.raises(InvalidArgumentError, match=r"size_splits \[3, 1\] when the graph runs"):
        split(engine.constant(matrix(3)))


def test_symbolic_bounds_that_cannot_work_are_refused_while_tracing():
    with pytest.raises(TypeError, match=r"tensor\[\.\.\.\]: got index"):
        traced(lambda x: x[:engine.reduce_sum(x)], S([None]))
    with pytest.raises(TypeError, match="number of pieces must be known while tracing"):
        traced(lambda x, k: engine.split(x, k), S([None]), S([], I32))
    with pytest.raises(ShapeError, match="pass num="):
        traced(lambda x, s: engine.split(x, s), S([None]), S([None], I32))
    with pytest.raises(ShapeError, match="strided_slice: begin is a 1-D tensor of unknown"):
        traced(lambda x, b: engine.strided_slice(x, b, [3]), S([None]), S([None], I32))
    with pytest.raises(ShapeError, match=r"size_splits \[4, None\] need 4 entries"):
        traced(lambda x: engine.split(x, [4, rows(x)], axis=1), S([None, 3]))
