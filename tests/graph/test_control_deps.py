"""`engine.control_dependencies`: nodes built in the block get control inputs."""

import json

import numpy as np
import pytest

import engine


def _controls(graph, op_type):
    return [[c.type for c in n.control_inputs] for n in graph.nodes if n.type == op_type]


def test_nodes_in_the_block_run_after_the_given_ones():
    @engine.function
    def f(x):
        total = engine.reduce_sum(x)
        with engine.control_dependencies([total, None]):  # None (an assertion's) skipped
            root = engine.sqrt(x)
            with engine.control_dependencies(None):      # cleared for this block
                grown = engine.exp(x)
        return root, grown, total

    x = engine.constant([4.0, 9.0])
    root, grown, total = f(x)
    np.testing.assert_allclose(root.numpy(), [2.0, 3.0])
    np.testing.assert_allclose(grown.numpy(), np.exp([4.0, 9.0]), rtol=1e-6)
    graph = f.get_concrete_function(x).graph
    assert _controls(graph, "Sqrt") == [["Sum"]] and _controls(graph, "Exp") == [[]]
    data, arrays = graph.as_dict()
    rebuilt = engine.Graph.from_dict(json.loads(json.dumps(data)), arrays)
    assert _controls(rebuilt, "Sqrt") == [["Sum"]]


def test_eagerly_the_block_does_nothing_and_foreign_values_are_refused():
    x = engine.constant([1.0])
    with engine.control_dependencies([x]):
        assert float(engine.exp(x)[0]) == pytest.approx(np.e)

    @engine.function
    def g(y):
        with engine.control_dependencies([x]):   # an eager value inside a graph
            return y + 1.0

    with pytest.raises(TypeError, match="control_dependencies: got Tensor"):
        g(engine.constant([2.0]))
