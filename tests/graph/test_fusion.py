"""Elementwise fusion: fused graphs compute what the unfused ones do, and never clobber."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from engine.graph import cpu_jit, fused, fused_jit, passes
from engine.graph.passes import fusion

FUSION = "elementwise_fusion"


@pytest.fixture(autouse=True)
def fusion_on(monkeypatch):
    """Fusion in the pass list (if the pipeline does not have it yet) and switched on."""
    if all(name != FUSION for name, _ in passes.PASSES):
        monkeypatch.setattr(passes, "PASSES", [*passes.PASSES, (FUSION, fusion.run)])
    saved = dict(passes._OPTIONS)
    passes._OPTIONS[FUSION] = True
    yield
    passes._OPTIONS.clear()
    passes._OPTIONS.update(saved)


def graph_of(fn, *args):
    return engine.function(fn).get_concrete_function(*args).graph


def fused_nodes(graph):
    return [n for n in graph.nodes if n.type == "Fused"]


# --- random elementwise programs: fused == unfused == eager, bit for bit ----------------------
UNARY = [engine.nn.relu, engine.tanh, engine.sigmoid, engine.negative, engine.square,
         engine.abs, lambda v: engine.exp(engine.tanh(v)),
         lambda v: engine.sqrt(engine.square(v) + 1.0),
         lambda v: engine.math.log1p(engine.square(v)), lambda v: engine.math.rsqrt(v * v + 2.0)]
BINARY = [engine.add, engine.subtract, engine.multiply, engine.maximum, engine.minimum,
          engine.math.squared_difference, lambda a, b: a / (engine.square(b) + 1.0),
          lambda a, b: engine.pow(engine.square(a) + 1.0, engine.tanh(b))]
SHAPES = [((4, 5), (5,)), ((3, 1, 4), (2, 1)), ((6,), ()), ((2, 3), (2, 3)), ((1, 7), (5, 1))]


def random_program(rng):
    """A function of three tensors built from random elementwise ops; returns 3 values."""
    plan = []
    for _ in range(rng.integers(3, 9)):
        if rng.random() < 0.4:
            plan.append(("u", int(rng.integers(len(UNARY))), int(rng.integers(1 << 10))))
        else:
            plan.append(("b", int(rng.integers(len(BINARY))), int(rng.integers(1 << 10)),
                         int(rng.integers(1 << 10))))

    def program(x, y, z):
        values = [x, y, z]
        for step in plan:
            if step[0] == "u":
                values.append(UNARY[step[1]](values[step[2] % len(values)]))
            else:
                a, b = values[step[2] % len(values)], values[step[3] % len(values)]
                values.append(BINARY[step[1]](a, b) * 0.5)
        return values[-1], values[-2], values[len(values) // 2] + 1.0

    return program


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("seed", range(24))
def test_random_programs_match_unfused_and_eager(seed, compiled, monkeypatch, tmp_path):
    if compiled:  # the fused nodes Numba can take, compiled (engine.graph.fused_jit)
        pytest.importorskip("numba")
        monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
        monkeypatch.setattr(fused_jit, "MIN_ELEMENTS", 0)
        monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    passes._OPTIONS["cpu_jit"] = compiled
    rng = np.random.default_rng(seed)
    dtype = (np.float32, np.float64)[seed % 2]
    xs, ys = SHAPES[seed % len(SHAPES)]
    args = [engine.constant(rng.standard_normal(s).astype(dtype)) for s in (xs, ys, xs)]
    program = random_program(rng)
    eager = [t.numpy() for t in program(*args)]
    fused_f = engine.function(program)
    got = [t.numpy() for t in fused_f(*args)]
    engine.config.optimizer.set_experimental_options({FUSION: False})
    plain = [t.numpy() for t in engine.function(program)(*args)]
    engine.config.optimizer.set_experimental_options({FUSION: True})
    for e, g, p in zip(eager, got, plain):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)
        np.testing.assert_array_equal(p, e)
    assert fused_nodes(fused_f.get_concrete_function(*args).graph)


def test_unknown_dims_compute_at_run_time():
    spec = engine.TensorSpec([None, 3], engine.float32)
    f = engine.function(lambda a, b: engine.nn.relu(a * 2.0 + b) - engine.tanh(b),
                        input_signature=[spec, engine.TensorSpec([None, 3], engine.float32)])
    assert fused_nodes(f.get_concrete_function().graph)
    rng = np.random.default_rng(1)
    for rows in (1, 4):
        a = rng.standard_normal((rows, 3)).astype(np.float32)
        b = rng.standard_normal((1 if rows == 4 else rows, 3)).astype(np.float32)
        want = np.maximum(a * np.float32(2) + b, 0) - np.tanh(b)
        np.testing.assert_array_equal(f(a, b).numpy(), want)


# --- the graph: what is fused, what stays visible -------------------------------------------
def test_chain_becomes_one_node_and_the_report_names_its_members():
    def f(x, w, b):
        return engine.nn.relu(engine.matmul(x, w) + b) * 3.0

    args = (engine.ones([2, 3]), engine.ones([3, 4]), engine.ones([4]))
    concrete = engine.function(f).get_concrete_function(*args)
    (node,) = fused_nodes(concrete.graph)
    assert [m["type"] for m in node.attrs["members"]] == ["AddV2", "Relu", "Mul"]
    assert node.info["members"] == ["AddV2", "Relu", "Mul"]
    assert ["const", 3.0] in node.attrs["members"][2]["inputs"]  # folded into the kernel
    assert "Const" not in [n.type for n in concrete.graph.nodes]
    report = next(r for r in concrete.pass_report if r["pass"] == FUSION)
    assert report["changes"] == ["Fused: 3 nodes (AddV2, Relu, Mul)"]
    assert "[fused: AddV2, Relu, Mul]" in concrete.graph.as_text()
    assert concrete.graph.as_graph_data()["nodes"][-1]["fused"] == ["AddV2", "Relu", "Mul"]
    np.testing.assert_array_equal(concrete(*args).numpy(), np.full((2, 4), 12.0, np.float32))


def test_intermediates_read_outside_the_group_stay_outputs():
    def f(x, w):
        h = engine.nn.relu(x * 2.0)          # read by the matmul: an output of the group
        y = engine.matmul(h, w)
        return engine.tanh(h) + engine.reduce_sum(y)

    x = engine.constant(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    w = engine.ones([3, 3])
    graph = graph_of(f, x, w)
    first, second = fused_nodes(graph)
    assert first.info["members"] == ["Mul", "Relu"] and first.attrs["outputs"] == [1]
    assert second.info["members"] == ["Tanh", "AddV2"]
    matmul = next(n for n in graph.nodes if n.type == "MatMul")
    assert matmul.inputs[0] is first.outputs[0] and second.inputs[0] is first.outputs[0]
    h = np.maximum(x.numpy() * 2, 0)
    want = np.tanh(h) + (h @ w.numpy()).sum()
    np.testing.assert_allclose(engine.function(f)(x, w).numpy(), want, rtol=1e-6)


def test_group_closes_when_read_outside():
    # c reads a; if d (which reads c) joined a's group, a's kernel would run after c.
    def f(x, w):
        a = engine.exp(x)
        c = engine.matmul(a, w)
        return engine.tanh(a) + c

    x, w = engine.ones([2, 2]), engine.ones([2, 2])
    graph = graph_of(f, x, w)
    assert [n.type for n in graph.nodes] == ["Placeholder", "Placeholder", "Exp", "MatMul",
                                             "Fused"]
    assert graph.nodes[-1].info["members"] == ["Tanh", "AddV2"]
    a = np.exp(np.ones((2, 2), np.float32))
    np.testing.assert_allclose(engine.function(f)(x, w).numpy(), np.tanh(a) + a @ np.ones((2, 2)),
                               rtol=1e-6)


def test_fusion_switch_and_tf_alias():
    f = lambda x: engine.nn.relu(x + 1.0) * 2.0  # noqa: E731
    engine.config.optimizer.set_experimental_options({FUSION: False})
    assert not fused_nodes(graph_of(f, engine.ones([3])))
    engine.config.optimizer.set_experimental_options({FUSION: True})
    assert fused_nodes(graph_of(f, engine.ones([3])))


def test_serialized_fused_graph_runs_again():
    from engine.graph.executor import Program
    from engine.graph.ir import Graph

    graph = graph_of(lambda x: engine.sigmoid(x * x - 1.0), engine.ones([4]))
    data, arrays = graph.as_dict()
    rebuilt = Graph.from_dict(data, arrays)
    x = np.arange(4, dtype=np.float32)
    (out,) = Program(rebuilt)([x])
    np.testing.assert_array_equal(out, engine.sigmoid(engine.constant(x * x - 1)).numpy())


# --- in place: never into what the user can see ----------------------------------------------
def test_in_place_never_touches_inputs_variables_constants_or_outputs():
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((8, 16)).astype(np.float32)
    x = engine.constant(x_np)
    v = engine.Variable(rng.standard_normal((8, 16)).astype(np.float32))
    c = engine.constant(rng.standard_normal((8, 16)).astype(np.float32))
    w = engine.Variable(rng.standard_normal((16, 16)).astype(np.float32))
    x_copy, c_copy = x.numpy().copy(), c.numpy().copy()

    @engine.function
    def f(x):
        snapshot = v.read_value()
        y = engine.matmul(x, w)                      # a fresh buffer: may be reused
        z = engine.nn.relu(y * 2.0 + x) - c + snapshot
        out = engine.tanh(x) * engine.sqrt(engine.square(snapshot) + 1.0)
        v.assign_add(z)
        return z, out, snapshot

    held = v.read_value()
    held_copy = held.numpy().copy()
    v_np = held_copy.copy()
    results = f(x)
    kept = [t.numpy().copy() for t in results]
    want_z = np.maximum(x_np @ w.numpy() * 2 + x_np, 0) - c_copy + v_np
    np.testing.assert_allclose(kept[0], want_z, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(kept[2], v_np)
    again = f(x)                                            # v moved on by z
    np.testing.assert_array_equal(x.numpy(), x_copy)
    np.testing.assert_array_equal(x_np, x_copy)
    np.testing.assert_array_equal(c.numpy(), c_copy)
    np.testing.assert_array_equal(held.numpy(), held_copy)   # a snapshot the user kept
    for tensor, copy in zip(results, kept):                  # earlier results stay as they were
        np.testing.assert_array_equal(tensor.numpy(), copy)
    np.testing.assert_allclose(again[2].numpy(), v_np + kept[0], rtol=1e-6)


def test_donations_follow_the_rule():
    from engine.graph.executor import Program

    w = engine.Variable(np.ones((3, 3), np.float32))

    def f(x):
        y = engine.matmul(x, w)         # read once, by the fused node: may be donated
        twice = engine.matmul(x, x)     # read by the fused node and returned: kept
        return engine.nn.relu(y * 2.0 + x) + twice + w, twice

    graph = graph_of(f, engine.ones([3, 3]))
    program = Program(graph)
    (node,) = fused_nodes(graph)
    producers = {k: t._node.type for k, t in enumerate(node.inputs)}
    donated = program.donations(node)
    assert [producers[k] for k in donated] == ["MatMul"]
    (k,) = donated
    assert node.inputs[k] is next(n for n in graph.nodes if n.type == "MatMul").outputs[0]
    kept = [t._node.type for j, t in enumerate(node.inputs) if j not in donated]
    assert sorted(kept) == ["MatMul", "Placeholder", "ReadVariableOp"]


def test_donated_buffer_is_written_in_place():
    w = engine.Variable(np.eye(64, dtype=np.float32))
    f = engine.function(lambda x: engine.nn.relu(engine.matmul(x, w) + 1.0) * 2.0)
    concrete = f.get_concrete_function(engine.ones([64, 64]))
    (node,) = fused_nodes(concrete.graph)
    source = concrete._program.instructions[-1].fn.source
    assert "i0" in source.split("return")[1]   # the result lives in the donated input
    x = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)
    np.testing.assert_array_equal(f(engine.constant(x)).numpy(), np.maximum(x + 1, 0) * 2)


# --- gradients and errors ------------------------------------------------------------------
def test_gradients_through_fused_graphs_equal_eager_gradients():
    rng = np.random.default_rng(5)
    w = engine.Variable(rng.standard_normal((4, 3)).astype(np.float32))
    b = engine.Variable(rng.standard_normal((3,)).astype(np.float32))
    x = engine.constant(rng.standard_normal((5, 4)).astype(np.float32))

    def loss_and_grads(x):
        with engine.GradientTape() as tape:
            h = engine.sigmoid(engine.matmul(x, w) + b)
            loss = engine.reduce_mean(engine.square(engine.tanh(h) * 2.0 - 1.0))
        return loss, tape.gradient(loss, [w, b])

    eager_loss, eager_grads = loss_and_grads(x)
    traced = engine.function(loss_and_grads)
    loss, grads = traced(x)
    assert fused_nodes(traced.get_concrete_function(x).graph)
    np.testing.assert_allclose(loss.numpy(), eager_loss.numpy(), rtol=1e-6)
    for g, e in zip(grads, eager_grads):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-7)


def test_failing_fused_node_names_the_member_and_its_line():
    spec = engine.TensorSpec([None], engine.float32)
    f = engine.function(lambda a, b: engine.nn.relu(a * 2.0 + b) * 3.0,
                        input_signature=[spec, spec])
    with pytest.raises(InvalidArgumentError) as info:
        f(np.ones(3, np.float32), np.ones(4, np.float32))
    message = str(info.value)
    assert "Fused" in message and "fused member 'AddV2'" in message
    assert "test_fusion.py" in message and "fused: Mul, AddV2, Relu, Mul" in message


# --- other devices -------------------------------------------------------------------------
def test_fake_gpu_runs_the_same_kernel(gpu):
    from tests.fake_gpu import FakeGPUArray

    x_np = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    f = lambda x: engine.nn.relu(x * 2.0 + 1.0) - engine.tanh(x)  # noqa: E731
    want = engine.function(f)(engine.constant(x_np)).numpy()
    with engine.device("/GPU:0"):
        x = engine.constant(x_np)
        traced = engine.function(f)
        got = traced(x)
    assert isinstance(got._value, FakeGPUArray) and fused_nodes(
        traced.get_concrete_function(x).graph)
    np.testing.assert_array_equal(got.numpy(), want)


def test_cuda_source_is_one_loop_over_all_members():
    graph = graph_of(lambda x, y: engine.maximum(engine.sigmoid(x) * y, 0.5) + y,
                     engine.ones([4]), engine.ones([4]))
    (node,) = fused_nodes(graph)
    source = fused.cuda_source(node.attrs, len(node.inputs), "k")
    assert source["in_params"] == "T i0, T i1" and source["out_params"] == "T o0"
    assert source["operation"].splitlines() == [
        "T m0 = (tanh(i0 * (T)0.5) + (T)1) * (T)0.5;",
        "T m1 = m0 * i1;",
        "T m2 = ((m1 > (T)0.5) || isnan(m1)) ? m1 : (T)0.5;",
        "T m3 = m2 + i1;",
        "o0 = m3;"]


def test_every_fused_op_has_a_cuda_expression_and_cupy_ufuncs():
    assert set(fused.ELEMENTWISE) == set(fused._CUDA)
    cupy = pytest.importorskip("cupy")
    for name in fused.UFUNCS:
        assert hasattr(cupy, name), name


@pytest.mark.gpu
def test_cupy_fused_kernel_matches_the_cpu():
    rng = np.random.default_rng(7)
    x_np = rng.standard_normal((64, 33)).astype(np.float32)
    y_np = rng.standard_normal((33,)).astype(np.float32)

    def f(x, y):
        return engine.maximum(engine.sigmoid(x) * y, 0.25) + engine.nn.relu(x - y) / 3.0

    want = engine.function(f)(engine.constant(x_np), engine.constant(y_np)).numpy()
    with engine.device("/GPU:0"):
        x, y = engine.constant(x_np), engine.constant(y_np)
        traced = engine.function(f)
        got = traced(x, y)
    assert got.device.endswith("GPU:0")
    kernels = [type(i.fn).__name__ for i in traced.get_concrete_function(x, y)._program.instructions
               if i.node.type == "Fused"]
    assert kernels == ["ElementwiseKernel"]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)


def test_cupy_outputs_smaller_than_the_loop_are_cut_back():
    # cupy.ElementwiseKernel writes every output at the broadcast shape; a fused group that
    # also outputs a scalar (Adam's step size next to an update) gets it back as a scalar.
    full = (3, 4)

    def kernel(a, b):  # what ElementwiseKernel returns: both outputs at the full shape
        return np.broadcast_to(a * 2.0, full).copy(), a + b

    class Out:
        def __init__(self, shape):
            self._value = type("V", (), {"shape": shape})()

    node = type("N", (), {"outputs": [Out(()), Out(full)]})()
    run = fused._full_shape_outputs(kernel, node, [(), full], np)
    small, big = run(np.float32(3.0), np.ones(full, np.float32))
    assert small.shape == () and float(small) == 6.0
    assert big.shape == full and (big == 4.0).all()
    same = type("N", (), {"outputs": [Out(full)]})()
    assert fused._full_shape_outputs(kernel, same, [full, full], np) is kernel
