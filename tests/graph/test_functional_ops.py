"""map_fn, scan, foldl, foldr, vectorized_map: values, traced forms, gradients, errors."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError
from engine.graph.functional_ops import UNROLL_LIMIT, foldl, foldr, map_fn, scan, vectorized_map
from tests.opcheck import check_grad

F64 = engine.float64
RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 3))
Y = RNG.standard_normal((5, 3))
LONG = RNG.standard_normal((UNROLL_LIMIT + 4, 3))


def node_types(fn, *args):
    return [n.type for n in fn.get_concrete_function(*args).graph.nodes]


def run_three_ways(f, *arrays):
    """`f` eagerly, traced with static shapes, and traced with unknown dims: all equal."""
    tensors = [engine.constant(a) for a in arrays]
    eager = [np.asarray(o) for o in engine.nest.flatten(f(*tensors))]
    unknown = [engine.TensorSpec([None] * a.ndim, engine.as_dtype(a.dtype)) for a in arrays]
    for traced in (engine.function(f), engine.function(f, input_signature=unknown)):
        got = [np.asarray(o) for o in engine.nest.flatten(traced(*tensors))]
        assert len(got) == len(eager)
        for g, e in zip(got, eager):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    return eager


# --- values --------------------------------------------------------------------------------
@pytest.mark.parametrize("x", [X, LONG], ids=["unrolled", "while"])
def test_map_fn_matches_numpy_eager_and_traced(x):
    out = run_three_ways(lambda t: map_fn(lambda r: engine.tanh(r) * 2.0, t), x)
    np.testing.assert_allclose(out[0], np.tanh(x) * 2.0, rtol=1e-12)


def test_scan_foldl_foldr_match_numpy():
    def f(x):
        return (scan(lambda a, r: a + r, x), scan(lambda a, r: a + r, x, reverse=True),
                scan(lambda a, r: a * 0.5 + r, x, initializer=engine.ones([3], F64)),
                foldl(lambda a, r: a - r, x), foldr(lambda a, r: a - r, x),
                foldl(lambda a, r: a * r, x, initializer=engine.ones([3], F64)),
                foldr(lambda a, r: a * 2.0 + r, x, initializer=engine.zeros([3], F64)))

    acc, scan_init = np.ones(3), []
    for r in X:
        acc = acc * 0.5 + r
        scan_init.append(acc)
    horner = np.zeros(3)
    for r in X[::-1]:
        horner = horner * 2.0 + r
    expected = [np.cumsum(X, 0), np.cumsum(X[::-1], 0)[::-1], np.array(scan_init),
                X[0] - X[1:].sum(0), X[-1] - X[:-1].sum(0), X.prod(0), horner]
    for got, want in zip(run_three_ways(f, X), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_long_scans_and_folds_use_the_while_form():
    def f(x):
        return (scan(lambda a, r: a + r, x, reverse=True), foldr(lambda a, r: a - r, x),
                scan(lambda a, r: a * 0.5 + r, x, initializer=engine.zeros([3], F64)))

    out = run_three_ways(f, LONG)
    np.testing.assert_allclose(out[0], np.cumsum(LONG[::-1], 0)[::-1], rtol=1e-12)
    np.testing.assert_allclose(out[1], LONG[-1] - LONG[:-1].sum(0), rtol=1e-12, atol=1e-12)
    assert node_types(engine.function(f), engine.constant(LONG)).count("While") == 3


def test_unknown_length_is_one_while_node_and_short_static_lengths_unroll():
    f = engine.function(lambda x: map_fn(lambda r: r * 2.0, x),
                        input_signature=[engine.TensorSpec([None, 3], F64)])
    assert node_types(f).count("While") == 1
    ops = [n.type for n in f.get_concrete_function().graph.get_operations()]
    assert "While" in ops
    np.testing.assert_allclose(f(engine.constant(LONG)).numpy(), LONG * 2.0)
    assert f(engine.zeros([0, 3], F64)).shape == (0, 3)  # an empty run of the same graph
    unrolled = engine.function(lambda x: scan(lambda a, r: a + r, x))
    assert "While" not in node_types(unrolled, engine.constant(X))


def test_nested_elems_and_outputs_of_other_dtypes():
    def f(x, y):
        pairs = map_fn(lambda p: (p[0] * p[1], engine.reduce_sum(p[0]) > 0), (x, y),
                       fn_output_signature=(F64, engine.bool))
        named = map_fn(lambda d: {"sum": d["a"] + d["b"], "n": engine.size(d["a"])},
                       {"a": x, "b": y}, fn_output_signature={"sum": F64, "n": engine.int32})
        spec = map_fn(lambda r: engine.reduce_max(r), x,
                      fn_output_signature=engine.TensorSpec([], F64))
        alias = map_fn(lambda r: engine.cast(r > 0, engine.int32), x, dtype=engine.int32)
        return pairs, named, spec, alias

    product, positive, n, total, peak, alias = run_three_ways(f, X, Y)
    np.testing.assert_allclose(product, X * Y)
    np.testing.assert_array_equal(positive, X.sum(1) > 0)
    np.testing.assert_allclose(total, X + Y)
    np.testing.assert_array_equal(n, [3] * 5)
    np.testing.assert_allclose(peak, X.max(1))
    np.testing.assert_array_equal(alias, (X > 0).astype(np.int32))
    assert positive.dtype == bool and n.dtype == np.int32
    out = map_fn(lambda d: {"sum": d["a"] + d["b"]}, {"a": engine.constant(X),
                 "b": engine.constant(Y)}, fn_output_signature={"sum": F64})
    assert isinstance(out, dict) and out["sum"].shape == (5, 3)


def test_nested_accumulators_and_elems():
    def f(x, y):
        fib = scan(lambda a, _: (a[1], a[0] + a[1]), x,
                   initializer=(engine.constant(0.0, F64), engine.constant(1.0, F64)))
        both = foldl(lambda a, p: a + p[0] * p[1], (x, y), initializer=engine.zeros([3], F64))
        last = foldr(lambda a, p: {"x": a["x"] + p["x"], "y": a["y"] * p["y"]},
                     {"x": x, "y": y})
        return fib, both, last

    fib_a, fib_b, both, last_x, last_y = run_three_ways(f, X, Y)
    np.testing.assert_allclose(fib_a, [1, 1, 2, 3, 5])
    np.testing.assert_allclose(fib_b, [1, 2, 3, 5, 8])
    np.testing.assert_allclose(both, (X * Y).sum(0), rtol=1e-12)
    np.testing.assert_allclose(last_x, X.sum(0), rtol=1e-12)
    np.testing.assert_allclose(last_y, Y.prod(0), rtol=1e-12)


def test_elements_of_shape_known_only_at_run_time():
    ragged_fn = engine.function(lambda x: (map_fn(lambda r: r * r, x),
                                           scan(lambda a, r: a + r, x, reverse=True),
                                           map_fn(lambda r: map_fn(lambda e: e + 1.0, r), x)),
                                input_signature=[engine.TensorSpec([None, None], F64)])
    squares, sums, plus = ragged_fn(engine.constant(LONG))
    np.testing.assert_allclose(squares.numpy(), LONG ** 2)
    np.testing.assert_allclose(sums.numpy(), np.cumsum(LONG[::-1], 0)[::-1], rtol=1e-12)
    np.testing.assert_allclose(plus.numpy(), LONG + 1.0)


def test_vectorized_map_takes_its_signature_from_fn():
    def f(x):
        return vectorized_map(lambda r: (engine.reduce_sum(r), r > 0), x)

    total, positive = run_three_ways(f, X)
    np.testing.assert_allclose(total, X.sum(1))
    np.testing.assert_array_equal(positive, X > 0)
    assert vectorized_map(lambda r: engine.reduce_sum(r), engine.zeros([0, 3])).shape == (0,)


def test_empty_elems_eagerly():
    empty = engine.zeros([0, 3], F64)
    assert map_fn(lambda r: engine.reduce_sum(r), empty).shape == (0,)
    assert map_fn(lambda r: r, empty, fn_output_signature=engine.TensorSpec([3], F64)).shape \
        == (0, 3)
    assert scan(lambda a, r: a + r, empty, initializer=engine.ones([3], F64)).shape == (0, 3)
    np.testing.assert_allclose(foldl(lambda a, r: a + r, empty, initializer=[1.0, 2.0]), [1, 2])


# --- gradients -----------------------------------------------------------------------------
def loss_all(x, y):
    m = map_fn(lambda p: engine.tanh(p[0] * p[1]), (x, y), fn_output_signature=F64)
    s = scan(lambda a, r: engine.sin(a) * 0.9 + r, x, reverse=True)
    fl = foldl(lambda a, r: a * r + 0.1, y)
    fr = foldr(lambda a, p: a * p[0] + p[1], (x, y), initializer=engine.ones([3], F64))
    return engine.reduce_sum(m * m) + engine.reduce_sum(s * s) + engine.reduce_sum(fl) \
        + engine.reduce_sum(fr * fr)


@pytest.mark.parametrize("fn", [
    lambda x: map_fn(lambda r: engine.exp(r) * r, x),
    lambda x: scan(lambda a, r: a * engine.cos(r) + r, x),
    lambda x: scan(lambda a, r: a * r, x, initializer=engine.ones([3], F64), reverse=True),
    lambda x: foldl(lambda a, r: engine.tanh(a + r), x),
    lambda x: foldr(lambda a, r: a * r - r, x, initializer=engine.ones([3], F64)),
    lambda x: vectorized_map(lambda r: engine.reduce_sum(r * r), x),
], ids=["map_fn", "scan", "scan_reverse_init", "foldl", "foldr_init", "vectorized_map"])
def test_eager_gradients_match_finite_differences(fn):
    check_grad(fn, [X])


def test_nested_gradients_match_finite_differences():
    check_grad(loss_all, [X, Y])


def gradients(f, *arrays):
    with engine.GradientTape() as tape:
        tape.watch(list(arrays))
        y = f(*arrays)
    return [y] + tape.gradient(y, list(arrays))


@pytest.mark.parametrize("arrays", [(X, Y), (LONG, LONG[::-1].copy())], ids=["short", "long"])
@pytest.mark.parametrize("known", ["all", "length", "none"])
def test_traced_gradients_equal_eager_ones(arrays, known):
    """Unrolled or While with a TensorArray (known element shape) or a flat buffer (not)."""
    tensors = [engine.constant(a) for a in arrays]
    eager = gradients(loss_all, *tensors)
    dims = {"all": [len(arrays[0]), 3], "length": [None, 3], "none": [None, None]}[known]
    sig = [engine.TensorSpec(dims, F64)] * 2
    traced = engine.function(lambda x, y: gradients(loss_all, x, y), input_signature=sig)
    for t, e in zip(traced(*tensors), eager):
        np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)


def test_gradients_through_results_of_run_time_shape_equal_eager_ones():
    def f(x):
        a = map_fn(lambda r: r * r, x)
        b = scan(lambda acc, r: acc * 0.5 + engine.sin(r), x, reverse=True)
        return engine.reduce_sum(a * b)

    x = engine.constant(LONG)
    eager = gradients(f, x)
    traced = engine.function(lambda x: gradients(f, x),
                             input_signature=[engine.TensorSpec([None, None], F64)])(x)
    np.testing.assert_allclose(traced[1].numpy(), eager[1].numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("signature", [None, [engine.TensorSpec([None, 3], F64)]],
                         ids=["eager", "while"])
def test_a_variable_captured_in_fn_gets_its_gradient(signature):
    w = engine.Variable(np.array([0.5, -1.0, 2.0]))

    def grad_w(x):
        with engine.GradientTape() as tape:
            h = scan(lambda a, r: engine.tanh(a * w + r), x)
            y = engine.reduce_sum(map_fn(lambda r: r * w, h))
        return tape.gradient(y, w)

    x = engine.constant(X)
    run = grad_w if signature is None else engine.function(grad_w, input_signature=signature)
    got = run(x).numpy()
    numeric = np.zeros(3)
    for k in range(3):
        shifted = []
        for sign in (1, -1):
            w.assign(np.array([0.5, -1.0, 2.0]) + sign * 1e-6 * np.eye(3)[k])
            h = scan(lambda a, r: engine.tanh(a * w + r), x)
            shifted.append(float(engine.reduce_sum(h * w)))
        numeric[k] = (shifted[0] - shifted[1]) / 2e-6
    w.assign([0.5, -1.0, 2.0])
    np.testing.assert_allclose(got, numeric, rtol=1e-6)


def test_back_prop_false_stops_gradients():
    x = engine.constant(X)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_sum(map_fn(lambda r: r * r, x, back_prop=False)) \
            + engine.reduce_sum(scan(lambda a, r: a + r, x, back_prop=False))
    assert tape.gradient(y, x) is None


# --- errors --------------------------------------------------------------------------------
def test_errors_name_the_function_and_the_fix():
    x, y = engine.constant(X), engine.constant(Y[:4])
    with pytest.raises(ShapeError, match=r"map_fn: the tensors in elems have different lengths"
                                         r" along axis 0 \(5, 4\)"):
        map_fn(lambda p: p, (x, y))
    with pytest.raises(ShapeError, match="scan: the tensors in elems have different lengths"):
        engine.function(lambda a, b: scan(lambda acc, p: acc, (a, b)))(x, y)
    with pytest.raises(ValueError, match=r"map_fn: elems is empty \(\(\)\)"):
        map_fn(lambda p: p, ())
    with pytest.raises(ValueError, match="foldl: elems is empty"):
        foldl(lambda a, p: a, {})
    with pytest.raises(ShapeError, match=r"elems\[1\] is a scalar"):
        map_fn(lambda p: p, (x, engine.constant(1.0)))
    with pytest.raises(ValueError, match="foldr: elems has length 0 and there is no "
                                         "initializer"):
        foldr(lambda a, r: a + r, engine.zeros([0, 3]))


def test_results_that_do_not_fit_the_signature_are_rejected():
    x = engine.constant(X)
    with pytest.raises(ValueError, match="map_fn: fn's result does not match the expected "
                                         "structure .*map_fn assumes fn returns elems'"):
        map_fn(lambda r: (r, r), x)
    with pytest.raises(DTypeError, match=r"map_fn: fn's result has dtype bool; expected "
                                         r"float64\. Fix: map_fn assumes"):
        map_fn(lambda r: r > 0, x)
    with pytest.raises(ValueError, match="does not match the expected structure.*make fn "
                                         "return what fn_output_signature describes"):
        map_fn(lambda r: r, x, fn_output_signature=(F64, F64))
    with pytest.raises(DTypeError, match=r"fn's result\[1\] has dtype float64; expected int32"):
        map_fn(lambda r: (r, r), x, fn_output_signature=(F64, engine.int32))
    with pytest.raises(ShapeError, match=r"fn's result has shape \(3,\); expected \(2,\)"):
        map_fn(lambda r: r, x, fn_output_signature=engine.TensorSpec([2], F64))
    unknown = engine.function(lambda x: map_fn(lambda r: (r, r), x),
                              input_signature=[engine.TensorSpec([None, 3], F64)])
    with pytest.raises(ValueError, match="map_fn: fn's result does not match"):
        unknown.get_concrete_function()
    with pytest.raises(TypeError, match="as_dtype: got 'nope'"):
        map_fn(lambda r: r, x, fn_output_signature="nope")


def test_scan_fn_must_return_the_accumulator():
    x = engine.constant(X)
    with pytest.raises(ValueError, match="scan: fn's result does not match the expected "
                                         "structure.*accumulator's structure"):
        scan(lambda a, r: (a, r), x)
    with pytest.raises(DTypeError, match=r"foldl: fn's result has dtype float32; expected "
                                         r"float64"):
        foldl(lambda a, r: engine.cast(a + r, engine.float32), x)
    with pytest.raises(ShapeError, match=r"scan: fn's result\[1\] has shape \(3,\); "
                                         r"expected \(\)"):
        scan(lambda a, r: (a[0], r), x, initializer=(engine.constant(0.0, F64),) * 2)
    traced = engine.function(lambda x: foldr(lambda a, r: {"a": a}, x),
                             input_signature=[engine.TensorSpec([None, 3], F64)])
    with pytest.raises(ValueError, match="foldr: fn's result does not match"):
        traced.get_concrete_function()


def test_vectorized_map_without_fallback_says_there_is_no_vectorization():
    with pytest.raises(ValueError, match=r"vectorization \(pfor\) is not available"):
        vectorized_map(lambda r: r, engine.constant(X), fallback_to_while_loop=False)
