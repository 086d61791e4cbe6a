"""Graph passes: each rewrite shows in the optimized graph and leaves the values unchanged.

Every traced graph here is also checked for the invariants every pass keeps (each node
after its inputs, outputs made by nodes of the graph, JSON-able data, no orphan arrays),
and compared with eager execution and with the same function traced with passes off.
"""

import json

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from engine.graph.ir import Graph
from engine.graph.passes import folding, rewrite
from engine.graph.passes.simplify import lossless_cast

PASS_ORDER = ["constant_folding", "arithmetic_optimization", "matmul_sum_merging",
              "common_subexpression_elimination", "dead_code_elimination", "conv_pool_fusion"]


@pytest.fixture(autouse=True)
def options():
    """Hands out `set_experimental_options` and restores every switch afterwards.

    Fusion (tests/graph/test_fusion.py) is off here, so that these tests see the nodes the
    other passes leave; `test_fusion_runs_last_by_default` checks the default pipeline.
    """
    saved = engine.config.optimizer.get_experimental_options()
    engine.config.optimizer.set_experimental_options({"elementwise_fusion": False,
                                                      "inplace_variable_updates": False})
    yield engine.config.optimizer.set_experimental_options
    engine.config.optimizer.set_experimental_options(saved)


def check_invariants(graph):
    made = set()
    for node in graph.nodes:
        for t in node.inputs:
            assert id(t) in made, f"{node.name} reads {t.name} before it is made"
        for c in node.control_inputs:
            assert any(c is n for n in graph.nodes), f"{node.name} waits on a removed node"
        made.update(id(t) for t in node.outputs)
    assert all(id(t) in made for t in graph.outputs if t is not None)
    data, arrays = graph.as_dict()
    json.dumps(data)
    assert set(arrays) == {n.attrs["array"] for n in graph.nodes if n.type == "Const"}


def trace(fn, *args):
    concrete = engine.function(fn).get_concrete_function(*args)
    check_invariants(concrete.graph)
    json.dumps(concrete.pass_report)
    return concrete


def unoptimized(fn, *args):
    engine.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        return engine.function(fn).get_concrete_function(*args)
    finally:
        engine.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})


def types(concrete):
    return [n.type for n in concrete.graph.nodes]


def changes(concrete, name):
    return next(r["changes"] for r in concrete.pass_report if r["pass"] == name)


def check_values(fn, *args, rtol=1e-6):
    """`fn` eagerly, traced with passes and traced without: the same results."""
    optimized = trace(fn, *args)
    results = [fn(*args), optimized(*args), unoptimized(fn, *args)(*args)]
    flat = [engine.nest.flatten(r) for r in results]
    for eager, on, off in zip(*flat):
        for got in (on, off):
            assert got.shape == eager.shape and got.dtype == eager.dtype
            np.testing.assert_allclose(got.numpy(), eager.numpy(), rtol=rtol)
    return optimized


def test_constant_subexpressions_fold_into_one_constant():
    c = engine.constant([1.0, 2.0, 3.0])
    concrete = check_values(lambda x: x * (c * 3.0 + 1.0), engine.constant([1.0, -1.0, 2.0]))
    assert types(concrete) == ["Placeholder", "Const", "Mul"]
    assert changes(concrete, "constant_folding") == ["folded Mul (Mul)", "folded AddV2 (AddV2)"]
    const = concrete.graph.nodes[1]
    np.testing.assert_array_equal(const.value, [4.0, 7.0, 10.0])
    assert const.info == {"folded_from": "AddV2"}


def test_a_train_step_folds_its_constant_gradient_seed():
    rng = np.random.default_rng(0)
    x = engine.constant(rng.normal(size=(8, 4)).astype(np.float32))
    y = engine.constant(rng.integers(0, 3, 8).astype(np.int32))
    w0 = rng.normal(size=(4, 3)).astype(np.float32)

    def make():
        w = engine.Variable(w0)
        b = engine.Variable(np.zeros(3, np.float32))

        def step(x, y):
            with engine.GradientTape() as tape:
                loss = engine.reduce_mean(engine.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=y, logits=x @ w + b))
            gw, gb = tape.gradient(loss, [w, b])
            w.assign_sub(0.5 * gw)
            b.assign_sub(0.5 * gb)
            return loss
        return step, w

    (eager, we), (on, won), (off, woff) = make(), make(), make()
    on, off = engine.function(on), engine.function(off)
    for _ in range(3):
        expected = eager(x, y).numpy()
        np.testing.assert_allclose(on(x, y).numpy(), expected, rtol=1e-6)
        engine.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
        np.testing.assert_allclose(off(x, y).numpy(), expected, rtol=1e-6)
        engine.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})
    np.testing.assert_allclose(won.numpy(), we.numpy(), rtol=1e-6)
    np.testing.assert_allclose(woff.numpy(), we.numpy(), rtol=1e-6)
    graph, plain = on.get_concrete_function(x, y).graph, off.get_concrete_function(x, y).graph
    check_invariants(graph)
    assert {"OnesLike", "RealDiv", "BroadcastTo"} <= {n.type for n in plain.nodes}
    assert not {"OnesLike", "RealDiv", "BroadcastTo"} & {n.type for n in graph.nodes}
    stateful = [n.type for n in graph.nodes if n.stateful]
    assert stateful == [n.type for n in plain.nodes if n.stateful]
    assert len(graph.nodes) < len(plain.nodes)


def test_multi_output_ops_fold_to_one_constant_per_output():
    c = engine.constant([[1.0, 2.0], [3.0, 4.0]])

    def f(x):
        a, b = engine.unstack(c)
        return x * a + b

    concrete = check_values(f, engine.constant([2.0, 3.0]))
    assert types(concrete) == ["Placeholder", "Const", "Const", "Mul", "AddV2"]
    assert changes(concrete, "constant_folding") == ["folded Unpack (Unpack)"]


def test_folding_keeps_large_results_failures_and_non_finite_values(monkeypatch):
    big = engine.constant(np.arange(6.0, dtype=np.float32))
    monkeypatch.setattr(folding, "MAX_FOLDED_ELEMENTS", 4)
    assert "Mul" in types(check_values(lambda x: x + big * 2.0, engine.ones([6])))
    monkeypatch.undo()
    assert "Mul" not in types(check_values(lambda x: x + big * 2.0, engine.ones([6])))
    zero = engine.constant(0.0)
    with np.errstate(invalid="ignore"):
        concrete = check_values(lambda x: x + zero / zero, engine.ones([2]))
        assert "RealDiv" in types(concrete)  # 0/0 warns: left to the graph run
        engine.debugging.enable_check_numerics()
        try:
            with pytest.raises(InvalidArgumentError, match="RealDiv"):
                concrete(engine.ones([2]))
        finally:
            engine.debugging.disable_check_numerics()


def test_shape_only_ops_fold_when_the_shape_is_known():
    concrete = check_values(lambda x: engine.ones_like(x * 2.0) + x, engine.ones([2, 3]))
    assert "OnesLike" not in types(concrete)
    spec = engine.TensorSpec([None, 3])
    concrete = engine.function(lambda x: engine.ones_like(x) + x).get_concrete_function(spec)
    assert "OnesLike" in types(concrete)


def test_random_ops_are_neither_folded_nor_merged():
    def f():
        return engine.random.normal([3]), engine.random.normal([3])

    concrete = trace(f)
    assert types(concrete).count("RandomStandardNormal") == 2
    a, b = concrete()
    c, _ = concrete()
    assert not np.allclose(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), c.numpy())


def test_duplicated_subexpressions_are_computed_once():
    def f(x, y):
        return (x @ y + 1.0) * (x @ y + 1.0) + engine.exp(x @ y)

    a = engine.constant([[1.0, 2.0], [0.5, -1.0]])
    concrete = check_values(f, a, a)
    assert types(concrete).count("MatMul") == 1 and types(concrete).count("AddV2") == 2
    assert types(concrete).count("Const") == 1
    assert "merged MatMul_1 into MatMul" in changes(concrete, "common_subexpression_elimination")


def test_cse_compares_attributes_exactly():
    def f(x):
        return (engine.nn.leaky_relu(x, 0.2) + engine.nn.leaky_relu(x, 0.2)
                + engine.nn.leaky_relu(x, 0.3) + engine.nn.leaky_relu(x, float("nan"))
                + engine.nn.leaky_relu(x, float("nan"))
                + engine.reduce_sum(x, 0) + engine.reduce_sum(x, 1))

    concrete = check_values(f, engine.constant([[1.0, -2.0], [-3.0, 4.0]]))
    assert types(concrete).count("LeakyRelu") == 3
    assert types(concrete).count("Sum") == 2


def test_constants_merge_only_when_their_bits_match():
    def f(x):
        return x * -0.0, x * 0.0, x * 0.0 + 1.0

    concrete = check_values(f, engine.constant([1.0]))
    assert types(concrete).count("Mul") == 2 and types(concrete).count("Const") == 3
    negative, positive, _ = concrete(engine.constant([1.0]))
    assert np.signbit(negative.numpy()[0]) and not np.signbit(positive.numpy()[0])


def test_variable_reads_around_an_assignment_are_not_merged():
    v = engine.Variable(1.0)

    def f():
        before = v * 2.0
        v.assign_add(1.0)
        return before, v * 2.0

    concrete = trace(f)
    assert types(concrete).count("ReadVariableOp") == 2 and types(concrete).count("Mul") == 2
    assert [float(t) for t in concrete()] == [2.0, 4.0]
    assert [float(t) for t in concrete()] == [4.0, 6.0]


def test_identities_are_removed_even_at_the_outputs():
    concrete = check_values(lambda x: engine.identity(engine.identity(x) * 2.0),
                            engine.ones([2]))
    assert types(concrete) == ["Placeholder", "Const", "Mul"]
    concrete = check_values(lambda x: (engine.identity(x), engine.identity(x) + 1.0),
                            engine.ones([2]))
    assert concrete.graph.outputs[0] is concrete.graph.inputs[0]
    assert "Identity" not in types(concrete)
    constant = engine.constant([1.0, 2.0])
    concrete = check_values(lambda: engine.identity(constant))
    assert types(concrete) == ["Const"]


def test_an_identity_that_copies_to_another_device_stays(gpu):
    def f(x):
        with engine.device("/GPU:0"):
            return engine.identity(x)

    concrete = trace(f, engine.ones([2]))
    assert "Identity" in types(concrete)
    assert concrete(engine.ones([2])).device.endswith("GPU:0")


def test_folding_on_a_gpu_makes_a_constant_on_the_gpu(gpu):
    c = engine.constant([1.0, 2.0])

    def f(x):
        with engine.device("/GPU:0"):
            return x * (c * 3.0)

    x = engine.ones([2]).gpu()
    concrete = trace(f, x)
    assert types(concrete) == ["Placeholder", "Const", "Mul"]
    assert concrete.graph.nodes[1].device.name.endswith("GPU:0")
    gpu.copies.clear()
    out = concrete(x)
    assert gpu.copies == [] and out.device.endswith("GPU:0")
    np.testing.assert_array_equal(out.numpy(), [3.0, 6.0])


@pytest.mark.parametrize("fn", [
    lambda x: x * 1.0, lambda x: 1.0 * x, lambda x: x + 0.0, lambda x: 0.0 + x,
    lambda x: x - 0.0, lambda x: x / 1.0, lambda x: x + -0.0,
    lambda x: x * engine.ones([1, 3]), lambda x: x + engine.zeros([3]),
])
def test_neutral_constants_are_removed(fn):
    x = engine.constant([[1.5, -2.0, 0.0], [3.0, 4.0, -0.5]])
    assert types(check_values(fn, x)) == ["Placeholder"]


@pytest.mark.parametrize("fn, x, kept", [
    (lambda x: x * engine.ones([3]), engine.constant(2.0), "Mul"),   # broadcasts x
    (lambda x: x + engine.zeros([2, 3]), engine.ones([3]), "AddV2"),
    (lambda x: 0.0 - x, engine.ones([2]), "Sub"),
    (lambda x: 1.0 / x, engine.ones([2]), "RealDiv"),
    (lambda x: x * 2.0, engine.ones([2]), "Mul"),
    (lambda x: x * engine.constant([1.0, 2.0]), engine.ones([2]), "Mul"),
])
def test_constants_that_change_shape_or_value_stay(fn, x, kept):
    assert kept in types(check_values(fn, x))


def test_neutral_constants_with_unknown_dimensions_and_integers():
    spec = engine.TensorSpec([None, 3])
    concrete = engine.function(lambda x: x * engine.ones([3])).get_concrete_function(spec)
    assert types(concrete) == ["Placeholder"]
    np.testing.assert_array_equal(concrete(engine.ones([5, 3])).numpy(), np.ones((5, 3)))
    assert types(check_values(lambda x: x * 1 + 0, engine.constant([3, 4]))) == ["Placeholder"]


def test_transpose_pairs_compose_or_vanish():
    x = engine.constant(np.arange(24.0, dtype=np.float32).reshape(2, 3, 4))
    gone = check_values(lambda x: engine.transpose(engine.transpose(x, [1, 2, 0]), [2, 0, 1]), x)
    assert types(gone) == ["Placeholder"]
    assert types(check_values(lambda x: engine.transpose(engine.transpose(x)), x)) == [
        "Placeholder"]
    one = check_values(lambda x: engine.transpose(engine.transpose(x, [1, 0, 2]), [0, 2, 1]), x)
    assert types(one) == ["Placeholder", "Transpose"]
    assert one.graph.nodes[1].attrs["perm"] == (1, 2, 0)
    three = check_values(lambda x: engine.transpose(engine.transpose(engine.transpose(x))), x)
    assert types(three) == ["Placeholder", "Transpose"]
    assert types(check_values(lambda x: engine.transpose(x, [0, 1, 2]), x)) == ["Placeholder"]


def test_reshape_chains_keep_only_the_last_reshape():
    x = engine.constant(np.arange(24.0, dtype=np.float32).reshape(2, 3, 4))
    one = check_values(lambda x: engine.reshape(engine.reshape(x, [6, 4]), [4, -1]), x)
    assert types(one) == ["Placeholder", "Reshape"]
    gone = check_values(lambda x: engine.reshape(engine.reshape(x, [24]), [2, 3, 4]), x)
    assert types(gone) == ["Placeholder"]
    assert types(check_values(lambda x: engine.reshape(x, [2, 3, 4]), x)) == ["Placeholder"]
    spec = engine.TensorSpec([None, 4])
    unknown = engine.function(lambda x: engine.reshape(x, [-1, 4])).get_concrete_function(spec)
    assert types(unknown) == ["Placeholder", "Reshape"]


def test_casts_that_change_nothing_are_removed():
    x = engine.constant([1.5, -2.25, 3.0e-5])
    same = check_values(lambda x: engine.raw_ops.Cast(x=x, DstT=engine.float32) * 2.0, x)
    assert "Cast" not in types(same)
    trip = check_values(lambda x: engine.cast(engine.cast(x, engine.float64), engine.float32), x)
    assert types(trip) == ["Placeholder"]
    lossy = check_values(lambda x: engine.cast(engine.cast(x, engine.float16), engine.float32), x)
    assert types(lossy) == ["Placeholder", "Cast", "Cast"]
    ints = engine.constant([-300, 7, 32767], engine.int16)
    one = check_values(lambda x: engine.cast(engine.cast(x, engine.float32), engine.int32), ints)
    assert types(one) == ["Placeholder", "Cast"]


def test_lossless_casts():
    pairs = {("int16", "float32"): True, ("int32", "float32"): False,
             ("int32", "float64"): True, ("int64", "float64"): False,
             ("uint8", "int16"): True, ("uint8", "int8"): False, ("int8", "uint16"): False,
             ("float16", "float32"): True, ("float32", "float16"): False,
             ("float32", "complex64"): True, ("complex64", "float64"): False,
             ("bool", "float32"): True, ("float32", "bool"): False, ("float64", "int64"): False}
    for (src, dst), lossless in pairs.items():
        assert lossless_cast(np.dtype(src), np.dtype(dst)) is lossless, (src, dst)


def test_double_negation_cancels():
    x = engine.constant([1.0, -2.0])
    assert types(check_values(lambda x: -(-x), x)) == ["Placeholder"]
    assert types(check_values(lambda x: -(-(-x)), x)) == ["Placeholder", "Neg"]


def test_squeeze_of_expand_dims_cancels():
    x = engine.constant([1.0, -2.0, 3.0])
    assert types(check_values(lambda x: engine.squeeze(engine.expand_dims(x, -1), -1) * 2.0,
                              x)) == ["Placeholder", "Const", "Mul"]
    # another axis is a real reshape: it stays
    m = engine.ones([2, 1])
    kept = types(check_values(lambda m: engine.squeeze(engine.expand_dims(m, 0), -1), m))
    assert "Squeeze" in kept and "ExpandDims" in kept


def test_each_switch_turns_its_pass_off(options):
    c = engine.constant(2.0)

    def f(x):
        return engine.exp(engine.identity(x) * (c * 3.0)) + engine.exp(x * (c * 3.0))

    x = engine.ones([2])
    full = check_values(f, x)
    assert [r["pass"] for r in full.pass_report] == PASS_ORDER
    assert types(full) == ["Placeholder", "Const", "Mul", "Exp", "AddV2"]
    expected = {"constant_folding": "Mul", "arithmetic_optimization": "Identity",
                "common_subexpression_elimination": "Exp"}
    for name, kept in expected.items():
        options({name: False})
        concrete = trace(f, x)
        assert name not in [r["pass"] for r in concrete.pass_report]
        assert types(concrete).count(kept) > types(full).count(kept)
        options({name: True})
    options({"dependency_optimization": False})
    assert not engine.config.optimizer.get_experimental_options()["dead_code_elimination"]
    assert len(trace(f, x).graph.nodes) > len(full.graph.nodes)
    options({"dependency_optimization": True, "disable_meta_optimizer": True})
    off = engine.function(f).get_concrete_function(x)
    assert off.pass_report == [] and "Identity" in types(off)
    with pytest.raises(ValueError, match="constant_folding"):
        options({"constant_fold": False})


def test_the_pass_report_says_what_changed():
    def f(x):
        return engine.exp(engine.identity(x)) + engine.exp(x) * (engine.constant(2.0) / 2.0)

    report = trace(f, engine.ones([2])).pass_report
    assert [r["pass"] for r in report] == PASS_ORDER
    assert [r["changes"] for r in report[:4]] == [
        ["folded RealDiv (RealDiv)"],
        ["removed Identity (identity)", "removed Mul (x * 1)"],
        [],  # no sum of matrix products here
        ["merged Exp_1 into Exp", "merged Const_1 into Const"]]
    assert report[4]["changes"] == ["Const", "RealDiv/folded"]
    for a, b in zip(report, report[1:]):
        assert a["nodes_after"] == b["nodes_before"]
    assert all(r["ms"] >= 0 for r in report)


def test_gradients_match_with_passes_on_and_off_and_numerically():
    rng = np.random.default_rng(1)
    x = engine.constant(rng.normal(size=(2, 4)))
    w0 = rng.normal(size=(4, 3))

    def f(x, w):
        with engine.GradientTape() as tape:
            tape.watch(w)
            h = engine.transpose(engine.transpose(x @ w)) * 1.0
            h = engine.identity(engine.reshape(engine.reshape(h, [-1]), [2, 3]))
            scale = engine.constant(4.0, engine.float64) / 2.0
            loss = engine.reduce_sum(engine.tanh(h) * scale + -(-engine.tanh(h)))
        return loss, tape.gradient(loss, w)

    w = engine.constant(w0)
    on = check_values(f, x, w, rtol=1e-12)
    assert len(on.graph.nodes) < len(unoptimized(f, x, w).graph.nodes)
    assert "Identity" not in types(on) and types(on).count("Tanh") == 1
    loss, grad = on(x, w)
    v, eps = rng.normal(size=w0.shape), 1e-6
    plus = float(on(x, engine.constant(w0 + eps * v))[0])
    minus = float(on(x, engine.constant(w0 - eps * v))[0])
    np.testing.assert_allclose(np.sum(grad.numpy() * v), (plus - minus) / (2 * eps), rtol=1e-6)


def test_rewrite_utilities_keep_outputs_and_ordering():
    g = Graph("g")
    spec = [engine.TensorSpec([2])]
    first = g.add_node("PrintV2", [], {}, [], stateful=True)
    middle = g.add_node("PrintV2", [], {}, [], stateful=True)
    last = g.add_node("PrintV2", [], {}, [], stateful=True)
    a = g.add_node("Placeholder", [], {}, spec).outputs[0]
    b = g.add_node("Placeholder", [], {}, spec).outputs[0]
    g.outputs = [a, None]
    sub = rewrite.Substitution()
    sub.replace(a, b)
    sub.apply(g)
    assert g.outputs == [b, None]
    rewrite.remove_nodes(g, {id(middle)})
    assert last.control_inputs == [first] and middle not in g.nodes
    const = rewrite.const_node(g, np.zeros(2, np.float32), a._device, "zero")
    assert rewrite.const_value(g, const.outputs[0]) is g.arrays[const.attrs["array"]]
    ints = rewrite.const_node(g, np.zeros(2, np.int32), a._device, "zero")
    assert ints.name == "zero_1"
    assert rewrite.refines(const.outputs[0], a) and not rewrite.refines(ints.outputs[0], a)


def test_branches_and_loop_bodies_are_optimized_too():
    @engine.function
    def f(x):
        return engine.cond(x > 0.0, lambda: engine.identity(x * 1.0) + (2.0 * 3.0),
                           lambda: x - 0.0)

    concrete = f.get_concrete_function(engine.constant(1.0))
    branches = list(concrete.graph.functions.values())
    assert len(branches) == 2
    for branch in branches:
        kinds = [n.type for n in branch.nodes]
        assert "Identity" not in kinds and kinds.count("Mul") == 0, kinds
    graphs = {entry["graph"] for entry in concrete.pass_report}
    assert {b.name for b in branches} <= graphs
    assert float(f(engine.constant(1.0))) == 7.0
    assert float(f(engine.constant(-2.0))) == -2.0


def test_fusion_runs_last_by_default(options):
    options({"elementwise_fusion": True})

    def f(x):
        return engine.exp(engine.identity(x) * 2.0) + 1.0

    concrete = trace(f, engine.ones([3]))
    assert [r["pass"] for r in concrete.pass_report] == PASS_ORDER + ["elementwise_fusion"]
    assert types(concrete) == ["Placeholder", "Fused"]
    np.testing.assert_allclose(concrete(engine.ones([3])).numpy(), np.exp(2.0) + 1.0,
                               rtol=1e-6)
    assert engine.config.optimizer.get_experimental_options()["elementwise_fusion"]
    options({"remapping": False})
    assert not engine.config.optimizer.get_experimental_options()["elementwise_fusion"]
