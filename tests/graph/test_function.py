"""engine.function: tracing, caching, signatures, retracing, variables, tapes, errors."""

import json
import warnings

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, TracingError


def counting(fn):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)

    wrapper.__name__ = fn.__name__
    return engine.function(wrapper), calls


def test_first_call_traces_later_calls_run_the_graph():
    f, calls = counting(lambda x, y: engine.nn.relu(x @ y) + 1.0)
    a = engine.constant([[1.0, -2.0], [3.0, 4.0]])
    expected = np.maximum(np.asarray(a) @ np.asarray(a), 0) + 1
    for _ in range(3):
        np.testing.assert_allclose(f(a, a).numpy(), expected)
    assert len(calls) == 1
    assert f.experimental_get_tracing_count() == 1


def test_new_shapes_dtypes_and_python_values_retrace():
    f, calls = counting(lambda x, scale: x * scale)
    f(engine.ones([2]), 2.0)
    f(engine.ones([2]), 2.0)
    assert len(calls) == 1
    f(engine.ones([3]), 2.0)          # shape
    f(engine.ones([3], engine.float64), 2.0)  # dtype
    out = f(engine.ones([3]), 3.0)    # Python value
    assert len(calls) == 4
    np.testing.assert_allclose(out.numpy(), [3.0, 3.0, 3.0])


def test_nested_structures_and_keyword_arguments():
    @engine.function
    def f(pair, scale=1.0, *, bias):
        a, b = pair["a"], pair["b"]
        return {"sum": (a + b) * scale + bias, "diff": a - b}

    x, y = engine.constant([1.0, 2.0]), engine.constant([3.0, 5.0])
    out = f({"a": x, "b": y}, 2.0, bias=engine.constant(1.0))
    np.testing.assert_allclose(out["sum"].numpy(), [9.0, 15.0])
    np.testing.assert_allclose(out["diff"].numpy(), [-2.0, -3.0])
    f({"a": y, "b": x}, 2.0, bias=engine.constant(1.0))
    assert f.experimental_get_tracing_count() == 1


def test_numpy_arrays_count_as_tensors():
    f, calls = counting(lambda x: x * 2.0)
    np.testing.assert_allclose(f(np.ones(3, np.float32)).numpy(), [2, 2, 2])
    f(np.zeros(3, np.float32))
    assert len(calls) == 1


def test_python_outputs_and_none_pass_through():
    @engine.function
    def f(x):
        return x + 1.0, None, "tag", 3

    out = f(engine.constant(1.0))
    assert float(out[0]) == 2.0 and out[1:] == (None, "tag", 3)


def test_executing_eagerly_is_false_while_tracing():
    seen = []

    @engine.function
    def f(x):
        seen.append(engine.executing_eagerly())
        return x

    f(engine.constant(1.0))
    assert seen == [False]
    assert engine.executing_eagerly()


def test_symbolic_tensors_refuse_values_with_advice():
    @engine.function
    def f(x):
        return x.numpy()

    with pytest.raises(TracingError, match="engine.print"):
        f(engine.constant(1.0))


def test_input_signature_pins_one_graph_with_unknown_dims():
    f, calls = counting(lambda x: engine.reduce_sum(x, axis=1))
    f = engine.function(f.python_function,
                        input_signature=[engine.TensorSpec([None, 3], engine.float32)])
    for n in (1, 4, 7):
        np.testing.assert_allclose(f(np.ones((n, 3), np.float32)).numpy(), np.full(n, 3.0))
    assert f.experimental_get_tracing_count() == 1
    concrete = f.get_concrete_function()
    assert concrete.graph.inputs[0].shape.as_list() == [None, 3]
    assert concrete.structured_input_signature[0][0] == engine.TensorSpec([None, 3])


def test_input_signature_mismatch_shows_expected_and_given():
    f = engine.function(lambda x: x, input_signature=[engine.TensorSpec([None, 3])])
    with pytest.raises(ShapeError,
                       match=r"shape \(2, 4\); the input_signature expects \(None, 3\) float32"):
        f(engine.ones([2, 4]))
    with pytest.raises(DTypeError, match="int32 tensor"):
        f(engine.ones([2, 3], engine.int32))
    with pytest.raises(TypeError, match="too many positional arguments"):
        f(engine.ones([2, 3]), engine.ones([2, 3]))
    with pytest.raises(TypeError, match="TensorSpec"):
        engine.function(lambda x: x, input_signature=[[3]])


def test_get_concrete_function_with_specs_serves_compatible_calls():
    f, calls = counting(lambda x: x * 2.0)
    concrete = f.get_concrete_function(engine.TensorSpec([None], engine.float32))
    np.testing.assert_allclose(concrete(engine.ones([5])).numpy(), np.full(5, 2.0))
    f(engine.ones([4]))
    f(engine.ones([9]))
    assert len(calls) == 1
    with pytest.raises(ValueError, match="do not match its signature"):
        concrete(engine.ones([2, 2]))


def test_retracing_is_explained_and_warned_with_the_fix():
    @engine.function
    def f(x, n):
        return x * n

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f(engine.ones([2]), 1.0)
        f(engine.ones([3]), 1.0)
        assert not caught
        f(engine.ones([3]), 2.0)
    first, second = f.explain_retracing()
    assert first["trace"] == 2
    (change,) = first["changes"]
    assert (change["argument"], change["kind"], change["old"], change["new"]) == (
        "x", "shape", "(2,)", "(3,)")
    assert "input_signature" in change["fix"] and "reduce_retracing" in change["fix"]
    (change,) = second["changes"]
    assert (change["argument"], change["kind"], change["old"], change["new"]) == (
        "n", "python value", "1.0", "2.0")
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert "`n` changed python value: 1.0 -> 2.0" in messages[0]
    assert "engine.constant" in messages[0]


def test_reduce_retracing_generalizes_shapes():
    f, calls = counting(lambda x: engine.reduce_sum(x))
    f = engine.function(f.python_function, reduce_retracing=True)
    for n in (2, 3, 4, 5, 6):
        assert float(f(engine.ones([n]))) == n
    assert f.experimental_get_tracing_count() == 2
    general = f.get_concrete_function(engine.ones([7]))
    assert general.graph.inputs[0].shape.as_list() == [None]


def test_run_functions_eagerly_globally_and_per_function():
    f, calls = counting(lambda x: x + 1.0)
    engine.config.run_functions_eagerly(True)
    try:
        f(engine.constant(1.0))
        f(engine.constant(1.0))
    finally:
        engine.config.run_functions_eagerly(False)
    assert len(calls) == 2
    g, g_calls = counting(lambda x: x + 1.0)
    g = engine.function(g.python_function, run_eagerly=True)
    seen = []
    h = engine.function(lambda x: seen.append(engine.executing_eagerly()) or x,
                        run_eagerly=True)
    h(engine.constant(1.0))
    assert seen == [True]


def test_methods_trace_per_instance():
    class Scaler:
        def __init__(self, k):
            self.k = k

        @engine.function
        def __call__(self, x):
            return x * self.k

    a, b = Scaler(2.0), Scaler(3.0)
    assert float(a(engine.constant(1.0))) == 2.0
    assert float(b(engine.constant(1.0))) == 3.0
    assert float(a(engine.constant(2.0))) == 4.0


# --- variables ------------------------------------------------------------------------------
def test_variables_are_captured_by_reference():
    v = engine.Variable(1.0)
    f = engine.function(lambda x: x * v)
    assert float(f(engine.constant(2.0))) == 2.0
    v.assign(5.0)
    assert float(f(engine.constant(2.0))) == 10.0
    assert f.get_concrete_function(engine.constant(2.0)).variables == (v,)


def test_assignments_run_in_program_order():
    v = engine.Variable(1.0)

    @engine.function
    def f():
        a = v.read_value()
        v.assign(v * 10.0)
        b = v.read_value()
        v.assign_add(1.0)
        v.assign_sub(0.5)
        return a, b, v.read_value()

    a, b, c = f()
    assert (float(a), float(b), float(c)) == (1.0, 10.0, 10.5)
    assert float(v.numpy()) == 10.5
    a, b, c = f()
    assert (float(a), float(b), float(c)) == (10.5, 105.0, 105.5)


def test_snapshots_read_before_an_update_keep_their_value():
    v = engine.Variable([1.0, 2.0])

    @engine.function
    def f():
        before = v.read_value()
        v.assign_add([1.0, 1.0])
        return before

    out = f()
    np.testing.assert_allclose(out.numpy(), [1.0, 2.0])
    f()
    np.testing.assert_allclose(out.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(v.numpy(), [3.0, 4.0])


def test_variables_may_be_created_only_on_the_first_trace():
    holder = {}

    @engine.function
    def f(x):
        if "v" not in holder:
            holder["v"] = engine.Variable(lambda: engine.ones([2]) * 3.0)
        return x * holder["v"]

    np.testing.assert_allclose(f(engine.ones([2])).numpy(), [3.0, 3.0])
    np.testing.assert_allclose(holder["v"].numpy(), [3.0, 3.0])

    @engine.function
    def g(x):
        return x * engine.Variable(1.0)

    g(engine.constant(1.0))
    with pytest.raises(ValueError, match="only on the first call"):
        g(engine.constant([1.0, 2.0]))


def test_variable_initial_value_from_function_inputs_is_refused():
    @engine.function
    def f(x):
        return engine.Variable(x)

    with pytest.raises(ValueError, match="must not depend on them"):
        f(engine.constant(1.0))


def test_assignment_dtype_and_shape_are_checked_while_tracing():
    v = engine.Variable([1.0, 2.0])
    with pytest.raises(DTypeError, match="float32"):
        engine.function(lambda: v.assign(engine.constant([1, 2])))()
    with pytest.raises(ShapeError, match=r"shape \(2,\)"):
        engine.function(lambda: v.assign(engine.ones([3])))()


# --- gradients ------------------------------------------------------------------------------
def test_a_whole_train_step_becomes_one_graph():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(4, 3)).astype(np.float32)
    x = engine.constant(rng.normal(size=(8, 4)).astype(np.float32))
    y = engine.constant(rng.integers(0, 3, 8).astype(np.int32))

    def make():
        w = engine.Variable(w0)
        b = engine.Variable(np.zeros(3, np.float32))

        def step(x, y):
            with engine.GradientTape() as tape:
                logits = x @ w + b
                loss = engine.reduce_mean(engine.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=y, logits=logits))
            gw, gb = tape.gradient(loss, [w, b])
            w.assign_sub(0.5 * gw)
            b.assign_sub(0.5 * gb)
            return loss
        return step, w, b

    eager, we, be = make()
    traced, wt, bt = make()
    traced = engine.function(traced)
    for _ in range(4):
        le, lt = eager(x, y), traced(x, y)
        np.testing.assert_allclose(lt.numpy(), le.numpy(), rtol=1e-6)
    np.testing.assert_allclose(wt.numpy(), we.numpy(), rtol=1e-5)
    np.testing.assert_allclose(bt.numpy(), be.numpy(), rtol=1e-5)
    assert traced.experimental_get_tracing_count() == 1
    graph = traced.get_concrete_function(x, y).graph
    types = {n.type for n in graph.nodes}
    assert {"MatMul", "SparseSoftmaxCrossEntropyWithLogits"} <= types
    # the updates are assignments, or folded into fused kernels that write the variables
    assert any(n.type == "AssignSubVariableOp" or n.attrs.get("writes") for n in graph.nodes)


def test_second_order_gradients_inside_a_function():
    @engine.function
    def f(x):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                y = x * x * x
            dy = inner.gradient(y, x)
        return dy, outer.gradient(dy, x)

    dy, d2y = f(engine.constant(2.0))
    assert (float(dy), float(d2y)) == (12.0, 12.0)


def test_calling_a_function_under_an_eager_tape_differentiates_it():
    f = engine.function(lambda x: engine.sin(x) * x)
    x = engine.constant(0.5)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_allclose(float(tape.gradient(y, x)), np.cos(0.5) * 0.5 + np.sin(0.5),
                               rtol=1e-6)


# --- errors while running -------------------------------------------------------------------
def test_run_time_errors_name_the_node_and_the_user_line():
    @engine.function
    def f(x, idx):
        return engine.gather(x, idx)  # THE-LINE

    f(engine.ones([3]), engine.constant([0, 1]))
    with pytest.raises(InvalidArgumentError) as info:
        f(engine.ones([3]), engine.constant([0, 7]))
    text = str(info.value)
    assert "GatherV2" in text and "THE-LINE" in text and "test_function.py" in text


def test_debug_replay_reruns_eagerly_for_a_python_traceback():
    @engine.function
    def f(x, idx):
        return engine.gather(x, idx)

    f(engine.ones([3]), engine.constant([0]))
    engine.config.set_debug_replay(True)
    try:
        with pytest.raises(InvalidArgumentError) as info:
            f(engine.ones([3]), engine.constant([9]))
    finally:
        engine.config.set_debug_replay(False)
    assert "Graph node" not in str(info.value)
    assert "Graph node" in str(info.value.__cause__)


def test_foreign_symbolic_tensors_are_refused_with_advice():
    leaked = []

    @engine.function
    def f(x):
        leaked.append(x * 2.0)
        return x

    @engine.function
    def g(x):
        return x + leaked[0]

    f(engine.constant(1.0))
    with pytest.raises(TracingError, match="cannot leave the function"):
        g(engine.constant(1.0))


# --- the graph as data ----------------------------------------------------------------------
def test_graph_inspection_and_text():
    @engine.function
    def f(x):
        with engine.name_scope("dense"):
            return engine.nn.relu(engine.matmul(x, x) * 2.0)

    engine.config.optimizer.set_experimental_options({"elementwise_fusion": False})
    try:
        g = f.get_concrete_function(engine.TensorSpec([2, 2])).graph
    finally:
        engine.config.optimizer.set_experimental_options({"elementwise_fusion": True})
    names = [op.name for op in g.get_operations()]
    assert "dense/Relu" in names
    relu = g.get_operation_by_name("dense/Relu")
    assert relu.type == "Relu" and relu.inputs[0].op.type == "Mul"
    assert g.get_tensor_by_name("dense/Relu:0").shape.as_list() == [2, 2]
    assert "dense/Relu = Relu(dense/Mul:0)" in g.as_text()
    assert relu.source_text().endswith("return engine.nn.relu(engine.matmul(x, x) * 2.0)")
    data = g.as_graph_data()
    assert {"source": "dense/Mul", "target": "dense/Relu", "tensor": "dense/Mul:0",
            "control": False} in data["edges"]
    fused = f.get_concrete_function(engine.TensorSpec([3, 3])).graph
    node = next(n for n in fused.nodes if n.type == "Fused")
    assert node.info["members"] == ["dense/Mul", "dense/Relu"]
    assert "[fused: dense/Mul, dense/Relu]" in fused.as_text()


def test_graph_round_trips_through_json_and_runs():
    from engine.graph.executor import Program
    from engine.graph.ir import Graph

    v = engine.Variable([1.0, 2.0], name="w")

    @engine.function
    def f(x):
        v.assign_add(x)
        return engine.reduce_sum(v.read_value() * 3.0)

    g = f.get_concrete_function(engine.constant([1.0, 1.0])).graph
    data, arrays = g.as_dict()
    text = json.dumps(data)
    rebuilt = Graph.from_dict(json.loads(text), arrays, variables={"w:0": v})
    assert [n.type for n in rebuilt.nodes] == [n.type for n in g.nodes]
    out = Program(rebuilt)([np.array([1.0, 1.0], np.float32)])
    assert float(out[0]) == 3.0 * (2.0 + 3.0)
    np.testing.assert_allclose(v.numpy(), [2.0, 3.0])
    with pytest.raises(KeyError, match="w:0"):
        Graph.from_dict(data, arrays, variables={})


def test_gradients_with_dimensions_known_only_at_run_time():
    rng = np.random.default_rng(1)
    w = engine.Variable(rng.normal(size=(6, 4)))
    b = engine.Variable(rng.normal(size=(1, 4)))

    def loss_and_grads(x):
        with engine.GradientTape() as tape:
            h = engine.reshape(engine.nn.relu(x @ w + b), [-1, 2, 2])
            per_row = engine.reduce_sum(h * h, axis=[1, 2]) / engine.cast(
                engine.shape(x)[0], engine.float64)
            loss = engine.reduce_mean(per_row) + engine.reduce_mean(h, axis=0)[0, 1]
        return loss, tape.gradient(loss, [w, b])

    traced = engine.function(loss_and_grads,
                             input_signature=[engine.TensorSpec([None, 6], engine.float64)])
    for n in (1, 3, 5):
        x = engine.constant(rng.normal(size=(n, 6)))
        (le, (gw_e, gb_e)), (lt, (gw_t, gb_t)) = loss_and_grads(x), traced(x)
        np.testing.assert_allclose(lt.numpy(), le.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gw_t.numpy(), gw_e.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gb_t.numpy(), gb_e.numpy(), rtol=1e-12)
    assert traced.experimental_get_tracing_count() == 1
    types = {n.type for n in traced.get_concrete_function().graph.nodes}
    assert {"Shape", "Size"} <= types


def test_shape_size_and_rank_while_tracing():
    @engine.function(input_signature=[engine.TensorSpec([None, 3], engine.int32)])
    def f(x):
        assert engine.rank(x).numpy() == 2  # known while tracing: a constant
        return engine.shape(x), engine.size(x, out_type=engine.int64)

    s, n = f(engine.zeros([4, 3], engine.int32))
    assert s.numpy().tolist() == [4, 3] and int(n) == 12 and n.dtype == engine.int64
    with pytest.raises(ValueError, match="out_type must be int32 or int64"):
        engine.shape(engine.zeros([2]), out_type=engine.float32)


def test_reading_a_variable_as_a_python_value_while_tracing_is_refused():
    v = engine.Variable(2.0, name="lr")
    for body in (lambda x: x * float(v), lambda x: x * v.numpy()):
        with pytest.raises(TracingError, match="'lr:0' inside engine.function"):
            engine.function(body)(engine.constant(1.0))
    assert float(v) == 2.0


def test_a_single_tuple_of_tensors_takes_the_cached_path():
    f, calls = counting(lambda pair: pair[0] * 2.0 + pair[1])
    a, b = engine.constant([1.0, 2.0]), engine.constant([3.0, 4.0])
    for _ in range(3):
        np.testing.assert_allclose(f((a, b)).numpy(), [5.0, 8.0])
    np.testing.assert_allclose(f((b, a)).numpy(), [7.0, 10.0])
    assert len(calls) == 1
    f((engine.ones([3]), engine.ones([3])))
    f([a, b])  # a list is another structure than a tuple
    assert len(calls) == 3


def test_gradient_ops_carry_the_forward_layer_path():
    w = engine.Variable([[1.0, 2.0]])

    @engine.function
    def f(x):
        with engine.GradientTape() as tape:
            with engine.name_scope("net/dense"):
                y = engine.reduce_sum(x @ w)
        return y, tape.gradient(y, w)

    graph = f.get_concrete_function(engine.ones([3, 1])).graph
    scopes = {n.scope for n in graph.nodes}
    assert "net/dense" in scopes and "gradient_tape/net/dense" in scopes


def test_input_signature_converts_a_python_list_for_a_tensor_spec():
    @engine.function(input_signature=[engine.TensorSpec([None], engine.float32)])
    def double(x):
        return x * 2.0

    np.testing.assert_array_equal(double([3.0, 4.0]).numpy(), [6.0, 8.0])
    assert double.experimental_get_tracing_count() == 1
    with pytest.raises(DTypeError, match="input_signature"):
        double([[True]])
