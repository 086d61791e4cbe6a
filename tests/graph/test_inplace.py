"""In-place variable updates: same values as eager, and nothing the user holds ever changes."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from engine.graph import cpu_jit, fused, fused_jit, passes
from engine.graph.passes import fusion, inplace

INPLACE = "inplace_variable_updates"
FUSION = "elementwise_fusion"


@pytest.fixture(autouse=True, params=["numpy", "compiled"])
def passes_on(request, monkeypatch, tmp_path):
    """Fusion and the in-place pass in the pipeline (if it does not have them yet), on;
    every test runs with the NumPy kernels and again with every eligible fused node
    compiled by Numba from its first call (engine.graph.fused_jit), where Numba is."""
    if request.param == "compiled":
        pytest.importorskip("numba")
        monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
        monkeypatch.setattr(fused_jit, "MIN_ELEMENTS", 0)
        monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    names = [name for name, _ in passes.PASSES]
    extra = [(n, run) for n, run in ((FUSION, fusion.run), (INPLACE, inplace.run))
             if n not in names]
    if extra:
        monkeypatch.setattr(passes, "PASSES", [*passes.PASSES, *extra])
    saved = dict(passes._OPTIONS)
    passes._OPTIONS.update({FUSION: True, INPLACE: True,
                            "cpu_jit": request.param == "compiled"})
    yield
    passes._OPTIONS.clear()
    passes._OPTIONS.update(saved)


def writers(graph):
    return [n for n in graph.nodes if n.type == "Fused" and n.attrs.get("writes")]


def check_invariants(graph):
    """Inputs made before use, control inputs earlier nodes still in the graph."""
    position = {id(n): i for i, n in enumerate(graph.nodes)}
    made = set()
    for node in graph.nodes:
        assert all(id(t) in made for t in node.inputs), node.name
        assert all(position.get(id(c), len(graph.nodes)) < position[id(node)]
                   for c in node.control_inputs), node.name
        made.update(id(t) for t in node.outputs)


class Adam:
    """Adam as engine ops on slot variables (as benchmarks/bench_traced.GraphAdam)."""

    def __init__(self, variables, lr=1e-2):
        self.variables, self.lr = variables, lr
        self.m = [engine.Variable(np.zeros(v.shape, np.float32)) for v in variables]
        self.v = [engine.Variable(np.zeros(v.shape, np.float32)) for v in variables]

    def apply(self, grads, alpha):
        for var, g, m, v in zip(self.variables, grads, self.m, self.v):
            m.assign(m + 0.1 * (g - m))
            v.assign(v + 0.001 * (engine.square(g) - v))
            var.assign_sub(alpha * m / (engine.sqrt(v) + 1e-7))


def make_step(shapes, seed=0):
    """A dense net train step with Adam; returns (step, variables + slots, data)."""
    rng = np.random.default_rng(seed)
    params = [engine.Variable(rng.standard_normal(s).astype(np.float32) * 0.1) for s in shapes]
    opt = Adam(params)
    x = engine.constant(rng.standard_normal((16, shapes[0][0])).astype(np.float32))
    y = engine.constant(rng.standard_normal((16, shapes[-1][-1])).astype(np.float32))

    def step(x, y, alpha):
        with engine.GradientTape() as tape:
            h = x
            for i in range(0, len(params), 2):
                h = engine.matmul(h, params[i]) + params[i + 1]
                if i + 2 < len(params):
                    h = engine.nn.relu(h)
            loss = engine.reduce_mean(engine.square(h - y))
        opt.apply(tape.gradient(loss, params), alpha)
        return loss

    return step, params + opt.m + opt.v, (x, y)


# --- the same values as eager ------------------------------------------------------------
@pytest.mark.parametrize("strict", [True, False])
def test_adam_steps_equal_eager_bit_for_bit(strict):
    # the first weight is larger than a chunk: its merged update runs in chunks, the last
    # one shorter
    chunk = fused._CHUNK_BYTES // 4
    rows = chunk // 100 + 7
    shapes = [(rows, 100), (100,), (100, 3), (3,)]
    eager, eager_vars, data = make_step(shapes)
    traced, traced_vars, _ = make_step(shapes)
    traced = engine.function(traced)
    alpha = engine.constant(np.float32(0.01))
    engine.config.experimental.set_strict_checks(strict)
    for _ in range(4):
        np.testing.assert_array_equal(traced(*data, alpha).numpy(), eager(*data, alpha).numpy())
    for got, want in zip(traced_vars, eager_vars):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    graph = traced.get_concrete_function(*data, alpha).graph
    check_invariants(graph)
    assert not [n for n in graph.nodes if n.type == "AssignVariableOp"]
    assert len(writers(graph)) == 4  # m, v and the weight of each variable: one kernel
    kernels = [i.fn for i in traced.get_concrete_function(*data, alpha)._program
               .instructions if i.node in writers(graph)]
    sources = [fn.source for fn in kernels]
    assert f"for s in range(0, {rows * 100}, {chunk})" in sources[0]  # chunked
    assert all("for s in" not in s for s in sources[1:])     # small: one pass each
    compiled = passes.get_experimental_options()["cpu_jit"]
    assert [cpu_jit.status(fn) == "compiled" for fn in kernels] == [compiled] * 4


def test_updates_write_into_the_variables_own_buffers():
    step, variables, data = make_step([(8, 4), (4,)])
    traced = engine.function(step)
    alpha = engine.constant(np.float32(0.01))
    traced(*data, alpha)
    buffers = [v._value for v in variables]
    ids = [id(b) for b in buffers]
    del buffers
    traced(*data, alpha)
    assert [id(v._value) for v in variables] == ids


# --- what the user holds never changes ------------------------------------------------------
def test_a_snapshot_read_before_the_call_keeps_its_value():
    v = engine.Variable(np.arange(6, dtype=np.float32))
    f = engine.function(lambda g: v.assign(v * 0.5 + g))
    g = engine.constant(np.ones(6, np.float32))
    f(g)
    snapshot = v.read_value()
    kept = snapshot.numpy().copy()
    array = v.numpy()           # a NumPy view of the same buffer
    f(g)
    np.testing.assert_array_equal(snapshot.numpy(), kept)
    np.testing.assert_array_equal(array, kept)
    np.testing.assert_array_equal(v.numpy(), kept * np.float32(0.5) + 1)
    assert writers(f.get_concrete_function(g).graph)


def test_a_variables_value_returned_by_the_graph_keeps_its_value():
    v = engine.Variable(np.ones((4, 4), np.float32))

    @engine.function
    def f():
        before = v.read_value()
        v.assign(v * 2.0 + 1.0)
        return before, v.read_value()

    results = [f() for _ in range(3)]
    for k, (before, after) in enumerate(results):
        assert float(before.numpy()[0, 0]) == 2.0 ** (k + 1) - 1
        assert float(after.numpy()[0, 0]) == 2.0 ** (k + 2) - 1
    np.testing.assert_array_equal(v.numpy(), np.full((4, 4), 15.0, np.float32))


def test_an_update_also_returned_as_an_output_stays_an_assignment():
    v = engine.Variable(np.ones(5, np.float32))

    @engine.function
    def f(g):
        new = v * 0.5 + g
        v.assign(new)
        return new

    g = engine.constant(np.arange(5, dtype=np.float32))
    first = f(g)
    kept = first.numpy().copy()
    f(g)
    np.testing.assert_array_equal(first.numpy(), kept)
    np.testing.assert_array_equal(v.numpy(), (kept * np.float32(0.5)) + g.numpy())
    graph = f.get_concrete_function(g).graph
    assert "AssignVariableOp" in [n.type for n in graph.nodes] and not writers(graph)


def test_an_input_holding_the_variables_buffer_keeps_its_value():
    v = engine.Variable(np.full(3, 4.0, np.float32))
    f = engine.function(lambda t: v.assign_sub(0.5 * t))
    t = v.read_value()  # the input is the variable's own buffer
    f(t)
    np.testing.assert_array_equal(t.numpy(), [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(v.numpy(), [2.0, 2.0, 2.0])


def test_a_buffer_that_may_not_be_overwritten_is_replaced():
    v = engine.Variable(np.ones((3, 4), np.float32))
    f = engine.function(lambda: v.assign(v * 3.0 + 1.0))
    f()
    fortran = np.asfortranarray(v.numpy())  # not C-contiguous: the kernel allocates
    v._value, v._tensor = fortran, None
    f()
    assert v._value is not fortran
    np.testing.assert_array_equal(fortran, np.full((3, 4), 4.0, np.float32))
    np.testing.assert_array_equal(v.numpy(), np.full((3, 4), 13.0, np.float32))


# --- when the pass leaves a program as it is -------------------------------------------------
def test_a_read_between_the_kernel_and_the_assignment_sees_the_old_value():
    v = engine.Variable(np.ones(4, np.float32))

    def f():
        new = v * 2.0 + 1.0
        seen = v * 3.0            # reads v after `new` is computed, before it is assigned
        v.assign(new)
        return seen

    traced = engine.function(f)
    np.testing.assert_array_equal(traced().numpy(), [3.0] * 4)
    np.testing.assert_array_equal(v.numpy(), [3.0] * 4)
    assert not writers(traced.get_concrete_function().graph)


def test_a_write_between_the_read_and_the_kernel_is_respected():
    v = engine.Variable(np.ones(4, np.float32))

    @engine.function
    def f():
        old = v.read_value()
        v.assign_add(np.ones(4, np.float32))
        v.assign(old * 2.0)       # the value read before the assign_add
        return v.read_value()

    np.testing.assert_array_equal(f().numpy(), [2.0] * 4)
    np.testing.assert_array_equal(f().numpy(), [4.0] * 4)


def test_a_kernel_that_reads_the_old_value_after_the_new_one_is_not_rewritten():
    v = engine.Variable(np.full(4, 2.0, np.float32))

    @engine.function
    def f():
        new = v * 0.5
        other = engine.exp(new) + v   # reads the old value after `new`
        v.assign(new)
        return other

    eager_v = 2.0 * np.ones(4, np.float32)
    for _ in range(2):
        new = eager_v * np.float32(0.5)
        want = np.exp(new) + eager_v
        np.testing.assert_array_equal(f().numpy(), want)
        eager_v = new
    np.testing.assert_array_equal(v.numpy(), eager_v)


def test_switch_off_keeps_the_assignments():
    v = engine.Variable(np.ones(3, np.float32))
    fn = lambda g: v.assign_sub(g * 0.5 + 1.0)  # noqa: E731
    g = engine.constant(np.ones(3, np.float32))
    on = engine.function(fn).get_concrete_function(g)
    engine.config.optimizer.set_experimental_options({INPLACE: False})
    off = engine.function(fn).get_concrete_function(g)
    engine.config.optimizer.set_experimental_options({INPLACE: True})
    assert "AssignSubVariableOp" in [n.type for n in off.graph.nodes]
    assert "AssignSubVariableOp" not in [n.type for n in on.graph.nodes]
    report = next(r for r in on.pass_report if r["pass"] == INPLACE)
    assert report["changes"] == [f"{writers(on.graph)[0].name}: writes {v.name} in place "
                                 "(AssignSubVariableOp)"]
    assert "AssignSubVariableOp]" in on.graph.as_text()  # the folded subtraction, by name


def test_updates_inside_control_flow_and_after_serialization():
    from engine.graph.executor import Program
    from engine.graph.ir import Graph

    v = engine.Variable(np.ones(3, np.float32))

    @engine.function
    def f(n):
        i = engine.constant(0)
        while i < n:
            v.assign(v * 2.0 + 1.0)
            i += 1
        return v.read_value()

    np.testing.assert_array_equal(f(engine.constant(3)).numpy(), [15.0] * 3)
    graph = f.get_concrete_function(engine.constant(3)).graph
    data, arrays = graph.as_dict()
    rebuilt = Graph.from_dict(data, arrays, [v])
    (out,) = Program(rebuilt)([np.int32(2)])
    np.testing.assert_array_equal(out, [63.0] * 3)


def test_check_numerics_names_the_variable_that_got_a_nan():
    v = engine.Variable(np.ones(3, np.float32))
    f = engine.function(lambda g: v.assign(engine.sqrt(v - g)))
    engine.debugging.enable_check_numerics()
    try:
        with np.errstate(invalid="ignore"), pytest.raises(
                InvalidArgumentError, match=f"NaN or Inf in the new value of variable '{v.name}'"):
            f(engine.constant(np.full(3, 2.0, np.float32)))
    finally:
        engine.debugging.disable_check_numerics()


def test_one_kernel_updates_two_variables():
    a = engine.Variable(np.ones(4, np.float32))
    b = engine.Variable(np.full(4, 2.0, np.float32))

    @engine.function
    def f(x):
        h = x * 2.0 + a
        a.assign(h + 1.0)
        b.assign(h * b)
        return engine.reduce_sum(x)

    x = engine.constant(np.arange(4, dtype=np.float32))
    a_np, b_np = a.numpy().copy(), b.numpy().copy()
    for _ in range(3):
        f(x)
        h = x.numpy() * 2 + a_np
        a_np, b_np = h + 1, h * b_np
    np.testing.assert_array_equal(a.numpy(), a_np)
    np.testing.assert_array_equal(b.numpy(), b_np)
    graph = f.get_concrete_function(x).graph
    check_invariants(graph)
    (node,) = writers(graph)
    assert sorted(k for _, k in node.attrs["writes"]) == [0, 1]
    assert "AssignVariableOp" not in [n.type for n in graph.nodes]


def test_a_value_read_between_two_updates_and_returned_keeps_the_updates_apart():
    a = engine.Variable(np.ones(4, np.float32))
    b = engine.Variable(np.full(4, 3.0, np.float32))

    @engine.function
    def f():
        a.assign(a * 0.5 + 1.0)
        r = a.read_value()        # read by b's update and returned
        b.assign(b * r)
        return r

    for want_a, want_b in [(1.5, 4.5), (1.75, 7.875)]:
        np.testing.assert_array_equal(f().numpy(), [want_a] * 4)
        np.testing.assert_array_equal(b.numpy(), [want_b] * 4)
    graph = f.get_concrete_function().graph
    check_invariants(graph)
    assert len(writers(graph)) == 2
