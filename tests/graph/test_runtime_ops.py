"""engine.print and engine.py_function: Python at graph run time."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError


def test_print_runs_on_every_call_in_program_order(capsys):
    v = engine.Variable(1.0)

    @engine.function
    def f(x):
        print("python print: tracing only")
        engine.print("x =", x, "v =", v)
        v.assign_add(1.0)
        engine.print("after:", v)
        return x

    f(engine.constant([1, 2]))
    f(engine.constant([3, 4]))
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["python print: tracing only", "x = [1 2] v = 1.0", "after: 2.0",
                     "x = [3 4] v = 2.0", "after: 3.0"]


def test_print_formats_structures_and_summarizes(capsys):
    engine.print({"a": engine.constant([1, 2, 3, 4, 5, 6, 7])}, [engine.constant(2.5)],
                 summarize=2, sep=" | ", end="!\n")
    assert capsys.readouterr().out == "{'a': [1 2 ... 6 7]} | [2.5]!\n"

    @engine.function
    def f(x):
        engine.print("nested", (x, "tag"), summarize=-1)
        return x

    f(engine.constant(np.arange(8)))
    assert capsys.readouterr().out == "nested ([0 1 2 3 4 5 6 7], 'tag')\n"


def test_print_to_stderr_and_files(capsys, tmp_path):
    import sys

    path = tmp_path / "log.txt"

    @engine.function
    def f(x):
        engine.print("err", x, output_stream=sys.stderr)
        engine.print("file", x, output_stream=f"file://{path}")
        return x

    f(engine.constant(1))
    f(engine.constant(2))
    assert capsys.readouterr().err == "err 1\nerr 2\n"
    assert path.read_text() == "file 1\nfile 2\n"
    with pytest.raises(ValueError, match="output_stream"):
        engine.print("x", output_stream=42)


def test_print_nodes_are_kept_and_ordered():
    @engine.function
    def f(x):
        engine.print(x)
        return x + 1.0

    graph = f.get_concrete_function(engine.constant(1.0)).graph
    node = next(n for n in graph.nodes if n.type == "PrintV2")
    assert node.stateful and node.source_text().endswith("engine.print(x)")


def test_py_function_calls_python_on_each_run():
    calls = []

    def cumsum(t):
        calls.append(1)
        return np.cumsum(t.numpy())

    @engine.function
    def f(x):
        y = engine.py_function(cumsum, [x], engine.float32)
        return y * 2.0

    np.testing.assert_allclose(f(engine.constant([1.0, 2.0, 3.0])).numpy(), [2, 6, 12])
    np.testing.assert_allclose(f(engine.constant([1.0, 1.0, 1.0])).numpy(), [2, 4, 6])
    assert len(calls) == 2
    out = f.get_concrete_function(engine.constant([1.0, 2.0, 3.0])).graph.nodes
    assert any(n.type == "EagerPyFunc" and n.outputs[0].shape.rank is None for n in out)


def test_py_function_lists_and_eager_and_errors():
    a, b = engine.py_function(lambda x: (x + 1, x * 2), [engine.constant(3)],
                              [engine.int32, engine.int32])
    assert (int(a), int(b)) == (4, 6)
    assert engine.py_function(lambda: None, [], None) is None
    with pytest.raises(InvalidArgumentError, match="returned 1 values; Tout declares 2"):
        engine.py_function(lambda x: x, [engine.constant(1)], [engine.int32, engine.int32])
    with pytest.raises(DTypeError, match="Tout says int32"):
        engine.py_function(lambda x: x, [engine.constant(1.5)], engine.int32)

    @engine.function
    def f(x):
        return engine.py_function(lambda t: t, [x], engine.int32)

    with pytest.raises(DTypeError, match="Tout says int32"):
        f(engine.constant(1.5))


def test_py_function_is_differentiable_eagerly():
    x = engine.constant(2.0)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.py_function(lambda t: t * t * t, [x], engine.float32)
    assert float(tape.gradient(y, x)) == 12.0
