"""LayerGraph, OpGraph and their layout: structure, collapse/expand, passes, figures."""

import random
import time

import numpy as np
import pytest

import engine
from engine import keras
from widgets.graph_data import ScopedGraph
from widgets.graphs import LayerGraph, OpGraph
from widgets.layout import layered_layout

NODE_W, NODE_H = 0.8, 0.8  # a drawn node's box, in layout units (spacing is 1)


def _random_dag(n, extra, seed):
    rng = random.Random(seed)
    edges = [(f"n{rng.randrange(i)}", f"n{i}") for i in range(1, n)]
    for _ in range(extra):
        a, b = sorted(rng.sample(range(n), 2))
        edges.append((f"n{a}", f"n{b}"))
    return [f"n{i}" for i in range(n)], edges


def _assert_no_overlap_and_downward(layout, edges):
    by_row = {}
    for x, y in layout.positions.values():
        by_row.setdefault(y, []).append(x)
    for xs in by_row.values():
        xs.sort()
        assert all(b - a >= NODE_W for a, b in zip(xs, xs[1:]))
    rows = sorted(by_row)
    assert all(b - a >= NODE_H for a, b in zip(rows, rows[1:]))
    for source, target in edges:
        assert layout.positions[source][1] > layout.positions[target][1], (source, target)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_layout_has_no_overlaps_and_every_edge_goes_down(seed):
    nodes, edges = _random_dag(60, 40, seed)
    layout = layered_layout(nodes, edges)
    assert set(layout.positions) == set(nodes)
    _assert_no_overlap_and_downward(layout, edges)
    assert layout == layered_layout(nodes, edges)  # deterministic


def test_layout_breaks_cycles_and_reports_reversed_edges():
    layout = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert layout.reversed_edges == [("c", "a")]
    assert layout.positions["a"][1] > layout.positions["b"][1] > layout.positions["c"][1]


def test_layout_reduces_crossings():
    # Two chains whose second layer starts in crossed order.
    nodes = ["a", "b", "b2", "a2"]
    layout = layered_layout(nodes, [("a", "a2"), ("b", "b2")])
    assert (layout.positions["a"][0] < layout.positions["b"][0]) == (
        layout.positions["a2"][0] < layout.positions["b2"][0])


def test_layout_rejects_unknown_nodes():
    with pytest.raises(ValueError, match="'z', which is not among the 1 nodes"):
        layered_layout(["a"], [("a", "z")])


def test_layout_of_10k_nodes_is_fast():
    nodes, edges = _random_dag(10_000, 5_000, 3)
    start = time.perf_counter()
    layout = layered_layout(nodes, edges)
    elapsed = time.perf_counter() - start
    _assert_no_overlap_and_downward(layout, edges)
    assert elapsed < 5.0, f"10k-node layout took {elapsed:.2f} s"


def _sequential():
    return keras.Sequential([keras.layers.Dense(4, input_shape=(3,)), keras.layers.Dense(3),
                             keras.layers.Dense(2)], name="net")


def test_layer_graph_of_sequential_matches_layer_graph_data():
    model = _sequential()
    graph = LayerGraph(model, mode="static")
    data = model.layer_graph()
    assert len(graph.nodes) == len(data["nodes"]) == 3
    assert len(graph.edges) == len(data["edges"]) == 2
    assert repr(graph) == "LayerGraph(model='net', nodes=3, edges=2)"
    first = graph.nodes[0]["details"]
    assert first["output shape"] == [None, 4] and first["params"] == 16
    assert sorted(first["weights"].values()) == [[[3, 4], "trainable"], [[4], "trainable"]]


def test_layer_graph_of_functional_model_with_nested_model_collapses_and_expands():
    inner = keras.Sequential([keras.layers.Dense(5), keras.layers.Dense(4)], name="inner")
    x = keras.Input((3,))
    a = keras.layers.Dense(4, name="left")(x)
    b = inner(x)
    out = keras.layers.Add(name="add")([a, b])
    graph = LayerGraph(keras.Model(x, out, name="fun"), mode="static")
    labels = [n["label"] for n in graph.nodes]
    assert "inner" in labels and len(graph.nodes) == 4  # input, left, inner (closed), add
    assert graph.scopes == ["inner"]
    graph.expand("inner")
    labels = [n["label"] for n in graph.nodes]
    assert "inner" not in labels and len(graph.nodes) == 5
    _assert_no_overlap_and_downward(graph.layout, [e[:2] for e in graph.edges])
    graph.collapse("inner")
    assert len(graph.nodes) == 4
    with pytest.raises(ValueError, match="got scope 'nope'"):
        graph.expand("nope")


class _Net(keras.Model):
    def __init__(self):
        super().__init__(name="sub")
        self.first = keras.layers.Dense(4)
        self.block = keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(3)],
                                      name="block")
        self.last = keras.layers.Dense(2)

    def call(self, x):
        return self.last(engine.nn.relu(self.block(self.first(x))))


def test_subclassed_model_graph_comes_from_a_traced_call():
    model = _Net()
    unconnected = LayerGraph(model, mode="static")
    assert unconnected.note and unconnected.edges == []
    graph = LayerGraph(model, input_spec=np.ones((2, 3), np.float32), mode="static")
    by_label = {n["label"]: n for n in graph.nodes}
    first, block, last = (by_label[k] for k in (model.first.name, "block", model.last.name))
    assert first["kind"] == "layer" and block["kind"] == "model"
    assert first["details"]["output shape"] == [None, 4]
    assert block["details"]["output shape"] == [None, 3]
    assert last["details"]["params"] == 3 * 2 + 2
    assert last["details"]["output shape"] == [None, 2]
    chain = {(s[1], t[1]) for s, t, _ in graph.edges}
    assert ("x", (model.first.name,)) in chain
    assert ((model.first.name,), ("block",)) in chain
    assert all(not control for *_, control in graph.edges)
    graph.expand("block")
    assert len(graph.nodes) == len(by_label) + 1  # block opens into its two layers
    graph.expand(f"block/{model.block.layers[0].name}")
    assert any(n["label"] == "MatMul" for n in graph.nodes)


def test_scoped_graph_keeps_data_edges_over_control_edges():
    nodes = [{"id": i, "scope": s, "label": i, "kind": "op", "details": {}}
             for i, s in (("a", ("p",)), ("b", ("q",)))]
    graph = ScopedGraph(nodes, [("a", "b", True), ("a", "b", False)])
    assert graph.visible(set())[1] == [(("group", ("p",)), ("group", ("q",)), False)]
    assert graph.visible(set(), control=False)[1] == [
        (("group", ("p",)), ("group", ("q",)), False)]


def test_op_graph_marks_fused_nodes_and_shows_stages_before_the_passes():
    function = engine.function(lambda x: engine.nn.relu(x * 2.0 + 1.0) * 3.0 + 0.0)
    concrete = function.get_concrete_function(engine.TensorSpec([3]))
    graph = OpGraph(concrete, mode="static")
    assert len(graph.nodes) == len(concrete.graph.nodes)
    fused = [n for n in graph.nodes if n["kind"] == "fused"]
    assert fused and fused[0]["details"]["fused ops"]
    stages = graph.stages()
    assert stages[0] == "traced" and stages[-1] == "optimized"
    optimized = len(graph.nodes)
    traced = len(graph.show("traced").nodes)
    assert traced > optimized
    assert not any(n["kind"] == "fused" for n in graph.nodes)
    assert engine.config.optimizer.get_experimental_options()["constant_folding"] is True
    assert graph.stage == "traced" and repr(graph).endswith("stage='traced')")
    with pytest.raises(ValueError, match="got stage 'bogus'"):
        graph.show("bogus")


def test_op_graph_says_which_cpu_kernel_a_node_runs(monkeypatch, tmp_path):
    pytest.importorskip("numba")
    from engine.graph import cpu_jit

    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    function = engine.function(lambda x: (engine.nn.relu(x * 2.0 + 1.0), engine.exp(x) * 2.0))
    x = engine.ones([128, 256])
    for _ in range(cpu_jit.WARM_CALLS + 1):
        function(x)
    graph = OpGraph(function.get_concrete_function(x), mode="static")
    statuses = sorted(n["details"]["cpu kernel"] for n in graph.nodes
                      if n["kind"] == "fused")
    assert statuses[0] == "compiled" and statuses[1].startswith("numpy: Exp")
    assert "cpu kernel" in graph.details_html(
        next(n for n in graph.nodes if n["kind"] == "fused")["key"])


def test_op_graph_collapses_large_graphs_by_scope():
    def body(x):
        for i in range(120):
            with engine.name_scope(f"block{i % 3}"):
                x = engine.matmul(x, x) + 1.0
        return x

    with_names = engine.function(body).get_concrete_function(engine.TensorSpec([2, 2]))
    graph = OpGraph(with_names, mode="static")
    assert len(with_names.graph.nodes) > 200
    assert {n["label"] for n in graph.nodes} >= {"block0", "block1", "block2"}
    assert len(graph.nodes) < 10 and "collapsed" in repr(graph)
    graph.expand("block1")
    assert len(graph.nodes) > 80
    group = next(n for n in graph.nodes if n["label"] == "block0")
    assert "nodes inside" in graph.details_html(group["key"])


def test_static_figures_build_without_ipywidgets(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # importing it now fails
    graph = LayerGraph(_sequential(), mode="static")
    figure = graph.figure()
    node_points = sum(len(trace.x) for trace in figure.data[2:])
    assert node_points == 3
    assert len([v for v in figure.data[0].x if v is None]) == 2  # one segment per edge
    function = engine.function(lambda x: engine.nn.relu(x * 2.0))
    op_figure = OpGraph(function.get_concrete_function(engine.TensorSpec([3])),
                        mode="static").figure()
    assert "fused op" in [t.name for t in op_figure.data if len(t.x)]


def test_widget_view_click_shows_details_and_opens_scopes():
    pytest.importorskip("ipywidgets")
    pytest.importorskip("anywidget")
    inner = keras.Sequential([keras.layers.Dense(2)], name="inner")
    x = keras.Input((3,))
    graph = LayerGraph(keras.Model(x, inner(x), name="m"), mode="static")
    box = graph.view()
    widget, panel = box.children[-2], box.children[-1]
    trace = next(t for t in widget.data if t.name == "nested model (closed)")

    class Points:
        point_inds = [0]

    graph._clicked(trace, Points(), None)
    assert "inner" in panel.value and "Sequential" in panel.value
    assert len(graph.nodes) == 2 and sum(len(t.x) for t in widget.data[2:]) == 2
