"""Shape ops with sizes known only when a graph runs: reshape, broadcast_to, tile, pad, eye
and linspace.

Each function is traced with unknown dimensions, then called with two different sizes and
compared with NumPy and with eager execution; the static shapes keep what tracing knows;
gradients traced with unknown dimensions match float64 central differences; the graphs
serialize and run on the fake GPU.
"""

import json

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.graph.executor import Program

S = engine.TensorSpec
F64 = engine.float64


def traced(fn, *specs):
    return engine.function(fn).get_concrete_function(*specs)


def n_of(x):
    return engine.shape(x)[0]


def rows(n, width, dtype=np.float32):
    return np.arange(n * width, dtype=dtype).reshape(n, width) if width else np.arange(
        n, dtype=dtype)


def check(fn, spec, static, reference, width=0, sizes=(3, 5)):
    """Traces `fn` for `spec`, checks its static shape, and compares two calls with NumPy
    and with eager execution."""
    concrete = traced(fn, S(spec))
    assert concrete.graph.outputs[0].shape.as_list() == static
    for n in sizes:
        x = rows(n, width)
        got = concrete(engine.constant(x))
        expected = reference(x)
        assert got.dtype.name == expected.dtype.name
        np.testing.assert_array_equal(got.numpy(), expected)
        np.testing.assert_array_equal(fn(engine.constant(x)).numpy(), expected)  # eagerly
    return concrete


def check_traced_gradient(fn, specs, arrays, seed=0, eps=1e-6):
    """The gradient of `sum(fn(*xs) * u)`, traced with `specs` (every dimension unknown for
    u), against float64 central differences along a random direction."""
    rng = np.random.default_rng(seed)
    out = np.asarray(fn(*[engine.constant(a) for a in arrays]))  # eagerly, for u's shape

    @engine.function
    def value_and_grads(u, *xs):
        with engine.GradientTape() as tape:
            tape.watch(list(xs))
            y = engine.reduce_sum(fn(*xs) * u)
        return y, tape.gradient(y, list(xs))

    concrete = value_and_grads.get_concrete_function(
        S([None] * out.ndim, F64), *[S(s, F64) for s in specs])
    u = rng.standard_normal(out.shape)
    _, grads = concrete(engine.constant(u), *[engine.constant(a) for a in arrays])
    directions = [rng.standard_normal(a.shape) for a in arrays]
    analytic = sum(float(np.sum(g.numpy() * v)) for g, v in zip(grads, directions))

    def value_at(sign):
        shifted = [engine.constant(a + sign * eps * v) for a, v in zip(arrays, directions)]
        return float(concrete(engine.constant(u), *shifted)[0])

    numeric = (value_at(1) - value_at(-1)) / (2 * eps)
    assert abs(analytic - numeric) <= 1e-6 * max(1.0, abs(numeric)), (analytic, numeric)
    return concrete


# --- reshape --------------------------------------------------------------------------------
RESHAPES = [  # (function of x, x's spec, row width, static shape, NumPy reference)
    (lambda x: engine.reshape(x, [n_of(x), -1]), [None, 4], 4, [None, 4],
     lambda x: x.reshape(len(x), -1)),
    (lambda x: engine.reshape(x, [n_of(x) * 2, 2]), [None, 4], 4, [None, 2],
     lambda x: x.reshape(-1, 2)),
    (lambda x: engine.reshape(x, [-1, n_of(x)]), [None, 3], 3, [3, None],
     lambda x: x.reshape(3, -1)),
    (lambda x: engine.reshape(x, engine.shape(x)[::-1]), [None, 4], 4, [4, None],
     lambda x: x.reshape(4, -1)),
    (lambda x: engine.reshape(x, engine.concat([engine.shape(x)[:1], [2, -1]], 0)), [None, 4],
     4, [None, 2, 2], lambda x: x.reshape(len(x), 2, 2)),
    (lambda x: engine.reshape(x, [engine.cast(n_of(x), engine.int64), 1, -1]), [None, 4], 4,
     [None, 1, 4], lambda x: x.reshape(len(x), 1, 4)),
    (lambda x: engine.reshape(x, [engine.shape(x)[1], -1]), [None, 4], 4, [4, None],
     lambda x: x.reshape(4, -1)),
    (lambda x: engine.reshape(engine.reshape(x, [-1]), [n_of(x), 2, 2]), [None, 4], 4,
     [None, 2, 2], lambda x: x.reshape(len(x), 2, 2)),
]


@pytest.mark.parametrize("k", range(len(RESHAPES)))
def test_reshape_with_symbolic_shapes(k):
    fn, spec, width, static, reference = RESHAPES[k]
    check(fn, spec, static, reference, width)


def test_reshape_keeps_the_sizes_tracing_knows():
    def f(x):
        n = n_of(x)
        return (engine.reshape(x, [n, -1]), engine.reshape(x, [n, 3, 2]),
                engine.reshape(x, [-1, n]), engine.reshape(x, [n * 6]))

    concrete = traced(f, S([None, 2, 3]))
    shapes = [t.shape.as_list() for t in concrete.graph.outputs]
    assert shapes == [[None, 6], [None, 3, 2], [6, None], [None]]
    x = rows(4, 6).reshape(4, 2, 3)
    for got, want in zip(concrete(engine.constant(x)), f(engine.constant(x))):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    # Without a symbolic size the shape stays an attr (no second input).
    static = traced(lambda x: engine.reshape(x, [-1, engine.shape(x)[1] * 3]), S([None, 2, 3]))
    reshapes = [n for n in static.graph.nodes if n.type == "Reshape"]
    assert [len(n.inputs) for n in reshapes] == [1]
    assert static.graph.outputs[0].shape.as_list() == [None, 6]


def test_reshape_gradients_with_unknown_dimensions():
    x = np.random.default_rng(1).standard_normal((3, 4))
    check_traced_gradient(lambda x: engine.reshape(x, [n_of(x) * 2, 2]), [[None, 4]], [x])
    check_traced_gradient(lambda x: engine.reshape(x, [-1]), [[None, None]], [x])
    # Second order: the gradient of a gradient that reshapes to a run-time shape.
    check_traced_gradient(lambda x: engine.reshape(x * x, [n_of(x), 2, -1]) * x[0, 0],
                          [[None, 4]], [x])


def test_reshape_errors():
    wrong = traced(lambda x, n: engine.reshape(x, [n, 5]), S([None, 4]), S([], engine.int32))
    with pytest.raises(InvalidArgumentError, match=r"reshape: cannot reshape a tensor of shape "
                                                   r"\(3, 4\) \(12 elements\) to \[2, 5\]"):
        wrong(engine.zeros([3, 4]), engine.constant(2))
    with pytest.raises(ShapeError, match="more than one -1"):
        traced(lambda x: engine.reshape(x, [n_of(x), -1, -1]), S([None, 4]))
    with pytest.raises(ShapeError, match=r"known sizes hold 4 elements, the target's 5"):
        traced(lambda x: engine.reshape(x, [n_of(x), 5]), S([None, 4]))
    with pytest.raises(DTypeError, match=r"reshape: shape\[0\] is a float32 tensor"):
        traced(lambda x: engine.reshape(x, [engine.reduce_sum(x), -1]), S([None, 4]))


def test_reshape_eager_results_unchanged():
    x = engine.constant(np.arange(6))
    assert engine.reshape(x, [2, -1]).shape == (2, 3)
    assert engine.reshape(x, engine.constant([3, 2])).shape == (3, 2)
    with pytest.raises(ShapeError, match="not a multiple of 4"):
        engine.reshape(x, [4, -1])


# --- broadcast_to ---------------------------------------------------------------------------
BROADCASTS = [
    (lambda x: engine.broadcast_to(x, [3, n_of(x)]), [None], 0, [3, None],
     lambda x: np.broadcast_to(x, (3, len(x)))),
    (lambda x: engine.broadcast_to(x, engine.concat([[2], engine.shape(x)], 0)), [None, 3], 3,
     [2, None, 3], lambda x: np.broadcast_to(x, (2,) + x.shape)),
    (lambda x: engine.broadcast_to(x[:1], [n_of(x), 4]), [None, 4], 4, [None, 4],
     lambda x: np.broadcast_to(x[:1], x.shape)),
    (lambda x: engine.broadcast_to(x, [n_of(x), n_of(x) * 0 + 4]), [None, 4], 4, [None, 4],
     lambda x: x),
]


@pytest.mark.parametrize("k", range(len(BROADCASTS)))
def test_broadcast_to_with_symbolic_shapes(k):
    fn, spec, width, static, reference = BROADCASTS[k]
    check(fn, spec, static, reference, width)


def test_broadcast_to_gradient_and_errors():
    x = np.random.default_rng(2).standard_normal(4)
    check_traced_gradient(lambda x: engine.broadcast_to(x, [3, n_of(x)]), [[None]], [x])
    check_traced_gradient(lambda x: engine.broadcast_to(x[:1], [2, n_of(x)]), [[None]], [x])
    wrong = traced(lambda x, n: engine.broadcast_to(x, [n, 3]), S([None, None]),
                   S([], engine.int32))
    with pytest.raises(InvalidArgumentError, match=r"broadcast_to: cannot broadcast shape "
                                                   r"\(2, 4\) to \[2, 3\] when the graph runs"):
        wrong(engine.zeros([2, 4]), engine.constant(2))
    with pytest.raises(ShapeError, match="broadcast_to: cannot broadcast shape"):
        traced(lambda x: engine.broadcast_to(x, [n_of(x), 2]), S([None, 3]))


# --- tile -----------------------------------------------------------------------------------
TILES = [
    (lambda x: engine.tile(x, [n_of(x)]), [None], 0, [None],
     lambda x: np.tile(x, len(x))),
    (lambda x: engine.tile(x, [n_of(x), 1]), [None, 3], 3, [None, 3],
     lambda x: np.tile(x, (len(x), 1))),
    (lambda x: engine.tile(x, [2, n_of(x)]), [None, 3], 3, [None, None],
     lambda x: np.tile(x, (2, len(x)))),
    (lambda x: engine.tile(x, engine.shape(x)), [None, 2], 2, [None, 4],
     lambda x: np.tile(x, x.shape)),
    (lambda x: engine.tile(x, [1, engine.shape(x)[1]]), [None, 2], 2, [None, 4],
     lambda x: np.tile(x, (1, 2))),
    (lambda x: engine.tile(engine.zeros([0, 2]), [n_of(x), 2]), [None, 2], 2, [0, 4],
     lambda x: np.zeros((0, 4), np.float32)),
]


@pytest.mark.parametrize("k", range(len(TILES)))
def test_tile_with_symbolic_multiples(k):
    fn, spec, width, static, reference = TILES[k]
    check(fn, spec, static, reference, width)


def test_tile_gradients_with_unknown_dimensions():
    x = np.random.default_rng(3).standard_normal((3, 2))
    check_traced_gradient(lambda x: engine.tile(x, [2, 3]), [[None, 2]], [x])  # static counts
    check_traced_gradient(lambda x: engine.tile(x, [2, n_of(x)]), [[None, 2]], [x])
    check_traced_gradient(lambda x: engine.tile(x, engine.shape(x)), [[None, None]], [x])


def test_tile_errors():
    negative = traced(lambda x, m: engine.tile(x, [m]), S([None]), S([], engine.int32))
    with pytest.raises(InvalidArgumentError, match=r"tile: multiples is \[-1\] when the graph"):
        negative(engine.zeros([2]), engine.constant(-1))
    with pytest.raises(DTypeError, match=r"tile: multiples\[0\] is a float32 tensor"):
        traced(lambda x: engine.tile(x, [engine.reduce_sum(x)]), S([None]))


# --- pad ------------------------------------------------------------------------------------
PADS = [
    (lambda x: engine.pad(x, [[0, n_of(x)]]), [None], 0, [None],
     lambda x: np.pad(x, (0, len(x)))),
    (lambda x: engine.pad(x, [[1, 2], [n_of(x), 0]], constant_values=7.0), [None, 3], 3,
     [None, None], lambda x: np.pad(x, ((1, 2), (len(x), 0)), constant_values=7.0)),
    (lambda x: engine.pad(x, [[0, 0], [1, engine.shape(x)[1]]]), [None, 3], 3, [None, 7],
     lambda x: np.pad(x, ((0, 0), (1, 3)))),
    (lambda x: engine.pad(x, engine.reshape(engine.stack([n_of(x), 1, 0, 2]), [2, 2])),
     [None, 3], 3, [None, None], lambda x: np.pad(x, ((len(x), 1), (0, 2)))),
    (lambda x: engine.pad(x, [[1, n_of(x) - 1]], "REFLECT"), [None], 0, [None],
     lambda x: np.pad(x, (1, len(x) - 1), "reflect")),
    (lambda x: engine.pad(x, [[n_of(x), 1], [0, 2]], "symmetric"), [None, 3], 3,
     [None, 5], lambda x: np.pad(x, ((len(x), 1), (0, 2)), "symmetric")),
]


@pytest.mark.parametrize("k", range(len(PADS)))
def test_pad_with_symbolic_paddings(k):
    fn, spec, width, static, reference = PADS[k]
    check(fn, spec, static, reference, width)


def test_pad_gradients_with_unknown_dimensions():
    x = np.random.default_rng(4).standard_normal((3, 2))
    check_traced_gradient(lambda x: engine.pad(x, [[1, 2], [0, 1]]), [[None, 2]], [x])
    check_traced_gradient(lambda x: engine.pad(x, [[1, n_of(x)], [n_of(x), 0]]),
                          [[None, None]], [x])
    for mode in ("REFLECT", "SYMMETRIC"):
        check_traced_gradient(lambda x, mode=mode: engine.pad(x, [[n_of(x) - 1, 1], [1, 0]],
                                                              mode), [[None, 2]], [x])
        # Second order: MirrorPad and MirrorPadGrad with run-time paddings.
        check_traced_gradient(lambda x, mode=mode: engine.pad(x * x, [[n_of(x) - 1, 0],
                                                                      [1, 1]], mode) * x[0, 0],
                              [[None, 2]], [x])


def test_pad_errors():
    negative = traced(lambda x, p: engine.pad(x, [[p, 0]]), S([None]), S([], engine.int32))
    with pytest.raises(InvalidArgumentError, match=r"pad: paddings is \[\[-1, 0\]\] when"):
        negative(engine.zeros([2]), engine.constant(-1))
    too_far = traced(lambda x, p: engine.pad(x, [[p, 0]], "REFLECT"), S([None]),
                     S([], engine.int32))
    with pytest.raises(InvalidArgumentError, match=r"do not fit a tensor of shape \(2,\) in "
                                                   "mode REFLECT"):
        too_far(engine.zeros([2]), engine.constant(2))
    with pytest.raises(ShapeError, match="expected \\[\\[before, after\\], ...\\]"):
        traced(lambda x: engine.pad(x, [[0, n_of(x), 1]]), S([None]))
    with pytest.raises(ShapeError, match=r"got 1 rows of paddings for a tensor of shape"):
        traced(lambda x: engine.pad(x, [[0, n_of(x)]]), S([None, 2]))


# --- eye and linspace -----------------------------------------------------------------------
CREATIONS = [
    (lambda x: engine.eye(n_of(x)), [None], [None, None], lambda n: np.eye(n, dtype=np.float32)),
    (lambda x: engine.eye(n_of(x), 3, dtype=engine.int32), [None], [None, 3],
     lambda n: np.eye(n, 3, dtype=np.int32)),
    (lambda x: engine.eye(2, n_of(x), batch_shape=[n_of(x), 1]), [None], [None, 1, 2, None],
     lambda n: np.broadcast_to(np.eye(2, n, dtype=np.float32), (n, 1, 2, n))),
    (lambda x: engine.eye(2, batch_shape=engine.shape(x)), [None], [None, 2, 2],
     lambda n: np.broadcast_to(np.eye(2, dtype=np.float32), (n, 2, 2))),
    (lambda x: engine.linspace(0.0, 1.0, n_of(x)), [None], [None],
     lambda n: np.linspace(0.0, 1.0, n, dtype=np.float32)),
    (lambda x: engine.linspace([0.0, 1.0], 2.0, n_of(x), axis=1), [None], [2, None],
     lambda n: np.linspace([0.0, 1.0], 2.0, n, axis=1, dtype=np.float32)),
]


@pytest.mark.parametrize("k", range(len(CREATIONS)))
def test_eye_and_linspace_with_symbolic_sizes(k):
    fn, spec, static, reference = CREATIONS[k]
    check(fn, spec, static, lambda x: reference(len(x)), sizes=(3, 1))


def test_eye_and_linspace_sizes_known_while_tracing_stay_static():
    def f(x):
        k = engine.shape(x)[1]
        return engine.eye(k), engine.linspace(0.0, 1.0, k + 1), engine.eye(k, batch_shape=[2])

    concrete = traced(f, S([None, 3]))
    assert [t.shape.as_list() for t in concrete.graph.outputs] == [[3, 3], [4], [2, 3, 3]]
    assert not {"Range", "LinSpace"} & {n.type for n in concrete.graph.nodes}
    for got, want in zip(concrete(engine.zeros([2, 3])), f(engine.zeros([2, 3]))):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_linspace_gradient_and_errors():
    start, stop = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    check_traced_gradient(lambda a, b: engine.linspace(a, b, engine.shape(a)[0] + 2, axis=1),
                          [[None], [None]], [start, stop])
    check_traced_gradient(lambda a, b: engine.linspace(a[0], b[1], engine.shape(a)[0] * 2),
                          [[None], [None]], [start, stop])
    negative = traced(lambda n: engine.linspace(0.0, 1.0, n), S([], engine.int32))
    with pytest.raises(InvalidArgumentError, match="linspace: num is -2 when the graph runs"):
        negative(engine.constant(-2))
    with pytest.raises(DTypeError, match="linspace: num is a float32 tensor"):
        traced(lambda x: engine.linspace(0.0, 1.0, engine.reduce_sum(x)), S([None]))
    with pytest.raises(DTypeError, match="eye: num_rows is a float32 tensor"):
        traced(lambda x: engine.eye(engine.reduce_sum(x)), S([None]))


# --- serialization and devices --------------------------------------------------------------
def all_ops(x):
    n = n_of(x)
    return (engine.reshape(x, [n, -1]), engine.broadcast_to(x[:, :1], [n, 2, 2]),
            engine.tile(x, [n, 1, 1]), engine.pad(x, [[0, n], [1, 0], [0, 0]]),
            engine.pad(x, [[n - 1, 0], [0, 1], [0, 0]], "REFLECT"), engine.eye(n),
            engine.linspace(0.0, 1.0, n))


def test_graphs_with_symbolic_shapes_round_trip_through_json():
    f = engine.function(all_ops)
    graph = f.get_concrete_function(S([None, 2, 2])).graph
    types = {n.type for n in graph.nodes}
    assert {"Reshape", "BroadcastTo", "Tile", "PadV2", "MirrorPad", "LinSpace"} <= types
    data, arrays = graph.as_dict()
    program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
    for n in (3, 1):
        x = rows(n, 4).reshape(n, 2, 2)
        for got, want in zip(program([x]), all_ops(engine.constant(x))):
            np.testing.assert_array_equal(got, want.numpy())


def test_symbolic_shapes_on_a_gpu(gpu):
    @engine.function
    def f(x):
        with engine.device("/GPU:0"):
            return all_ops(x + 0.0)

    for n in (3, 1):
        x = rows(n, 4).reshape(n, 2, 2)
        outputs = f(engine.constant(x))
        for got, want in zip(outputs, all_ops(engine.constant(x))):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert all("GPU" in t.device for t in outputs[:5])


def test_int64_sizes_and_paddings():
    def f(x):
        n = engine.shape(x, out_type=engine.int64)[0]
        return (engine.pad(x, [[n, 1]]), engine.tile(x, [n]), engine.reshape(x, [1, n]),
                engine.broadcast_to(x, [2, n]), engine.eye(n), engine.linspace(0.0, 1.0, n))

    concrete = traced(f, S([None]))
    for n in (2, 4):
        for got, want in zip(concrete(engine.constant(rows(n, 0))), f(engine.constant(rows(n, 0)))):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = np.random.default_rng(5).standard_normal(3)
    check_traced_gradient(lambda x: engine.pad(x, [[engine.shape(x, engine.int64)[0], 1]]),
                          [[None]], [x])
