"""Regressions: widget views' saved text is their owner's repr; OpGraph's stage toggle."""

import numpy as np
import pytest

import engine
import profiler
from engine import keras
from widgets.graphs import LayerGraph, OpGraph
from widgets.profile_view import ProfileView

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")


def _sequential():
    return keras.Sequential([keras.layers.Dense(4, input_shape=(3,), name="dense"),
                             keras.layers.Dense(2, name="dense_1")], name="net")


def _op_graph():
    function = engine.function(lambda x: engine.nn.relu(x * 2.0 + 1.0) * 3.0 + 0.0)
    return OpGraph(function.get_concrete_function(engine.TensorSpec([3])), mode="widgets")


def test_profile_view_widget_text_is_its_repr_without_timings():
    x = engine.ones([8, 8])
    with profiler.Profile() as prof:
        with engine.name_scope("dense"):
            engine.nn.relu(x @ x)
    view = ProfileView(prof, mode="widgets")
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == repr(view) == (
        "ProfileView(ops=2, rows='layer', timeline_rows=1)")
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert repr(view.view()) == repr(view)  # not `VBox(children=(FigureWidget({...`


@pytest.mark.parametrize("make", [lambda: LayerGraph(_sequential(), mode="widgets"),
                                  _op_graph], ids=["LayerGraph", "OpGraph"])
def test_graph_widget_text_is_its_repr(make):
    graph = make()
    bundle = graph._repr_mimebundle_()
    assert bundle["text/plain"] == repr(graph)
    assert bundle["text/plain"].startswith(type(graph).__name__ + "(")
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert graph.view() is graph.view()  # one box: its figure and toggle stay in sync


def test_op_graph_show_moves_the_toggle_without_a_second_redraw():
    graph = _op_graph()
    box = graph.view()
    toggle, figure = box.children[0], box.children[1]
    assert toggle.value == "optimized"
    redraws = []
    original = graph._changed
    graph._changed = lambda: redraws.append(graph.stage) or original()
    graph.show("traced")
    assert toggle.value == "traced" and graph.stage == "traced"
    assert redraws == ["traced"]
    drawn = sum(len(trace.x) for trace in figure.data[2:])
    assert drawn == len(graph.nodes)
    assert repr(box).endswith("stage='traced')")
    toggle.value = "optimized"  # a click: shows that stage, once
    assert graph.stage == "optimized" and redraws == ["traced", "optimized"]
    assert sum(len(trace.x) for trace in figure.data[2:]) == len(graph.nodes)


def test_debugger_widget_text_is_its_repr():
    from widgets.debugger import StepDebugger

    model = _sequential()
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    debugger = StepDebugger(model, (x, y), mode="widgets")
    assert debugger._repr_mimebundle_()["text/plain"] == repr(debugger)
