"""Autograph: Python `if`/`while`/`for` on tensors inside engine.function become graph
control flow; Python conditions stay Python; results equal eager execution."""

import inspect
import linecache
import warnings

import numpy as np
import pytest

import engine
from engine.errors import TracingError

THRESHOLD = 1.0  # read as a global by `above_threshold`


def op_types(graph) -> list:
    """Node types of a graph and of every sub-graph in it."""
    types = [n.type for n in graph.nodes]
    for sub in graph.functions.values():
        types += op_types(sub)
    return types


def line_of(fn, text: str) -> int:
    """The file line of the first line of `fn` that contains `text`."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def eager(fn, *args):
    engine.config.run_functions_eagerly(True)
    try:
        return engine.function(fn)(*args)
    finally:
        engine.config.run_functions_eagerly(False)


# --- the functions under test -----------------------------------------------------------
def sign_scale(x):
    if engine.reduce_sum(x) > 0:
        y = x * 2.0
    else:
        y = -x
    return y


def collatz_steps(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def sum_until(x, threshold):
    total = 0.0
    i = 0
    while total < threshold and i < engine.shape(x)[0]:
        total += engine.gather(x, i)
        i += 1
    return total, i


def triangular(n):
    total = 0
    for i in engine.range(n):
        total += i
    return total


def row_sum(m):
    acc = engine.zeros([3])
    for row in m:
        acc += row
    return acc


def first_negative(x):
    index = -1
    for i in engine.range(engine.shape(x)[0]):
        if engine.gather(x, i) < 0:
            index = i
            break
    return index


def sum_positive(x):
    total = engine.constant(0.0)
    for v in x:
        if v <= 0:
            continue
        total += v
    return total


def early_return(x):
    if engine.reduce_sum(x) > 0:
        return x * 3.0
    x = x - 1.0
    return -x


def find_above(x, t):
    for i in engine.range(engine.shape(x)[0]):
        if engine.gather(x, i) > t:
            return i
    return -1


def in_range(x):
    if x > 0.0 and not x > 10.0:
        return x
    return x if x < 0.0 else x * 0.0


def last_row(m):
    for row in m:
        last = row
    return last


def doubling(x, n):
    i = 0
    while i < n:
        x = engine.concat([x, x], axis=0)
        i += 1
    return x


def above_threshold(x):
    if x > THRESHOLD:
        return x
    return x * 0.0


CASES = [
    (sign_scale, [(np.array([1.0, 2.0], np.float32),), (np.array([-1.0, -2.0], np.float32),)]),
    (collatz_steps, [(np.int32(27),), (np.int32(6),), (np.int32(1),)]),
    (sum_until, [(np.array([1.0, 2.0, 3.0, 4.0], np.float32), np.float32(4.0)),
                 (np.array([1.0, 2.0, 3.0, 4.0], np.float32), np.float32(100.0))]),
    (triangular, [(np.int32(5),), (np.int32(0),)]),
    (row_sum, [(np.arange(12, dtype=np.float32).reshape(4, 3),)]),
    (first_negative, [(np.array([1.0, -2.0, -3.0], np.float32),),
                      (np.array([1.0, 2.0, 3.0], np.float32),)]),
    (sum_positive, [(np.array([1.0, -2.0, 3.0, -4.0, 5.0], np.float32),)]),
    (early_return, [(np.array([1.0, 2.0], np.float32),), (np.array([-1.0, -2.0], np.float32),)]),
    (find_above, [(np.array([1.0, 5.0, 9.0], np.float32), np.float32(4.0)),
                  (np.array([1.0, 2.0, 3.0], np.float32), np.float32(4.0))]),
    (in_range, [(np.float32(3.0),), (np.float32(30.0),), (np.float32(-2.0),)]),
    (last_row, [(np.arange(6, dtype=np.float32).reshape(3, 2),)]),
    (above_threshold, [(np.float32(3.0),), (np.float32(0.5),)]),
]


@pytest.mark.parametrize("fn, calls", CASES, ids=[fn.__name__ for fn, _ in CASES])
def test_traced_results_equal_eager_results_with_one_trace(fn, calls):
    traced = engine.function(fn)
    for args in calls:
        tensors = [engine.constant(a) for a in args]
        got, want = traced(*tensors), eager(fn, *tensors)
        for g, w in zip(engine.nest.flatten(got), engine.nest.flatten(want)):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6)
    assert traced.experimental_get_tracing_count() == 1


def test_tensor_if_becomes_an_if_node_that_runs_either_branch():
    f = engine.function(sign_scale)
    np.testing.assert_allclose(f(engine.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(f(engine.constant([-1.0, -2.0])).numpy(), [1.0, 2.0])
    assert f.experimental_get_tracing_count() == 1
    graph = f.get_concrete_function(engine.constant([1.0, 2.0])).graph
    assert [n.type for n in graph.nodes].count("If") == 1


def test_python_conditions_stay_python_and_leave_no_if_node():
    @engine.function
    def f(x, training):
        if training:
            x = x * 2.0
        if x.shape[0] > 2:  # a static shape is a Python value
            x = x + 1.0
        n = 0
        while n < 3:
            n += 1
        for _ in range(2):
            x = x + float(n)
        return x

    out = f(engine.constant([1.0, 2.0, 3.0]), True)
    np.testing.assert_allclose(out.numpy(), [9.0, 11.0, 13.0])
    graph = f.get_concrete_function(engine.constant([1.0, 2.0, 3.0]), True).graph
    assert not {"If", "While"} & set(op_types(graph))
    assert f(engine.constant([1.0]), False).numpy().tolist() == [7.0]


def test_tensor_while_and_for_become_while_nodes():
    for fn, args in [(collatz_steps, (engine.constant(27),)),
                     (triangular, (engine.constant(4),)),
                     (row_sum, (engine.ones([2, 3]),))]:
        graph = engine.function(fn).get_concrete_function(*args).graph
        assert "While" in [n.type for n in graph.nodes], fn.__name__
    assert int(engine.function(collatz_steps)(engine.constant(27))) == 111


def test_range_with_a_tensor_bound_and_rows_of_a_tensor_of_unknown_length():
    tri = engine.function(triangular)
    assert [int(tri(engine.constant(n))) for n in (0, 1, 5, 10)] == [0, 0, 10, 45]
    assert tri.experimental_get_tracing_count() == 1
    rows = engine.function(row_sum, input_signature=[engine.TensorSpec([None, 3])])
    for n in (1, 4):
        m = np.arange(3 * n, dtype=np.float32).reshape(n, 3)
        np.testing.assert_allclose(rows(engine.constant(m)).numpy(), m.sum(0))
    assert rows.experimental_get_tracing_count() == 1


def test_break_continue_and_return_inside_converted_loops():
    first = engine.function(first_negative)
    assert int(first(engine.constant([1.0, -2.0, -3.0]))) == 1
    assert int(first(engine.constant([1.0, 2.0, 3.0]))) == -1
    positive = engine.function(sum_positive)
    assert float(positive(engine.constant([1.0, -2.0, 3.0, -4.0, 5.0]))) == 9.0
    above = engine.function(find_above)
    assert int(above(engine.constant([1.0, 5.0, 9.0]), engine.constant(4.0))) == 1
    assert int(above(engine.constant([1.0, 5.0, 9.0]), engine.constant(10.0))) == -1
    assert above.experimental_get_tracing_count() == 1


def test_return_inside_a_tensor_if_guards_the_code_after_it():
    f = engine.function(early_return)
    np.testing.assert_allclose(f(engine.constant([1.0, 2.0])).numpy(), [3.0, 6.0])
    np.testing.assert_allclose(f(engine.constant([-1.0, -2.0])).numpy(), [2.0, 3.0])
    assert f.experimental_get_tracing_count() == 1


def test_and_or_not_and_conditional_expressions_on_tensors():
    f = engine.function(in_range)
    assert [float(f(engine.constant(v))) for v in (3.0, 30.0, -2.0)] == [3.0, 0.0, -2.0]
    types = op_types(f.get_concrete_function(engine.constant(1.0)).graph)
    assert "LogicalAnd" in types and "LogicalNot" in types


def test_python_operands_keep_short_circuit_semantics():
    def f(a, b):
        return (a and b, a or b, not a, b if a else "no")

    converted = engine.autograph.convert(f)
    for a, b in [(0, 5), (3, []), (None, "x")]:
        assert converted(a, b) == f(a, b)

    calls = []

    def g(x):
        return x > 0 and calls.append(x) is None

    engine.autograph.convert(g)(-1)
    assert calls == []


def test_converted_python_control_flow_matches_the_original():
    def f(n):
        out = []
        for i in range(n):
            if i % 2:
                continue
            out.append(i)
            if i > 5:
                break
        else:
            out.append("no break")
        j = 0
        while j < 3:
            j += 1
        else:
            out.append(j)
        return out

    converted = engine.autograph.convert(f)
    assert converted is not f
    for n in (0, 4, 10):
        assert converted(n) == f(n)


def test_a_loop_variable_whose_shape_changes_is_relaxed():
    f = engine.function(doubling)
    assert f(engine.ones([2]), engine.constant(3)).shape == (16,)
    assert f(engine.ones([2]), engine.constant(1)).shape == (4,)
    assert f.experimental_get_tracing_count() == 1


def test_a_loop_variable_that_changes_dtype_is_an_error_naming_it():
    @engine.function
    def f(n):
        y = engine.constant(0.0)
        i = 0
        while i < n:
            y = engine.cast(i, engine.int32)
            i += 1
        return y

    with pytest.raises(TracingError, match=r"'y'.*float32.*int32.*engine.cast"):
        f(engine.constant(3))


def test_a_python_number_accumulator_takes_the_dtype_of_what_it_accumulates():
    @engine.function
    def f(x):
        total = 0
        for v in x:
            total += v
        return total

    out = f(engine.constant([1.5, 2.5], engine.float64))
    assert out.dtype == engine.float64 and float(out) == 4.0


def test_a_variable_set_in_one_branch_only_is_an_error_naming_it_and_the_line():
    def f(x):
        if x > 0:
            y = x
        return y

    line = line_of(f, "if x > 0")
    with pytest.raises(TracingError, match=rf"'y' is assigned in the true branch.*:{line}"):
        engine.function(f)(engine.constant(1.0))
    assert engine.autograph.convert(f)(2.0) == 2.0  # Python semantics unchanged


def test_a_variable_read_in_a_loop_before_any_assignment_is_an_error():
    def f(n):
        i = 0
        while i < n:
            if i > 0:
                acc = acc + 1  # noqa: F821 - undefined on the first iteration, on purpose
            else:
                acc = 0
            i += 1
        return i, acc

    with pytest.raises(TracingError, match="'acc' is read in the loop"):
        engine.function(f)(engine.constant(3))


def test_returning_a_value_on_some_tensor_paths_only_is_an_error():
    def f(x):
        if x > 0:
            return x

    with pytest.raises(TracingError, match="returns a value only on some paths"):
        engine.function(f)(engine.constant(1.0))


def test_a_tensor_used_as_a_bool_outside_converted_statements_names_the_line():
    def f(x):
        if x.shape.rank == 0:  # converted (a Python condition)
            x = x + 1.0
        flags = [v for v in [x] if v > 0]
        return flags

    line = line_of(f, "flags = [v")
    with pytest.raises(TracingError, match=rf"(?s)test_autograph.py:{line}: flags.*comprehension"):
        engine.function(f)(engine.constant(1.0))


def test_autograph_false_leaves_python_control_flow_alone():
    f = engine.function(sign_scale, autograph=False)
    with pytest.raises(TracingError, match="Python bool"):
        f(engine.constant([1.0]))
    assert engine.function(sign_scale, autograph=False).experimental_get_tracing_count() == 0


def test_graph_nodes_point_at_the_users_lines():
    graph = engine.function(sign_scale).get_concrete_function(engine.constant([1.0])).graph
    node = next(n for n in graph.nodes if n.type == "If")
    assert node.source[:2] == (__file__, line_of(sign_scale, "if engine.reduce_sum"))
    body_lines = {n.source[1] for sub in graph.functions.values() for n in sub.nodes
                  if n.source}
    assert line_of(sign_scale, "y = x * 2.0") in body_lines


def test_closures_and_globals_are_seen_including_later_changes():
    def make(scale):
        def f(x):
            if x > THRESHOLD:
                return x * scale
            return x
        return f

    f = make(3.0)
    converted = engine.autograph.convert(f)
    assert float(engine.function(f)(engine.constant(2.0))) == 6.0
    assert converted(2.0) == 6.0
    global THRESHOLD
    saved, THRESHOLD = THRESHOLD, 5.0
    try:
        assert converted(2.0) == 2.0
    finally:
        THRESHOLD = saved

    def counter():
        count = 0

        def bump(x):
            nonlocal count
            if x > 0:
                count += 1
            return count
        return bump

    bump = counter()
    converted = engine.autograph.convert(bump)
    assert [converted(1), bump(1), converted(0)] == [1, 2, 2]


class Scaler:
    def __init__(self, scale):
        self.scale = scale
        self.__bias = 1.0

    @engine.function
    def apply(self, x):
        if engine.reduce_sum(x) > 0:
            out = x * self.scale
        else:
            out = x + self.__bias
        return out


class ShiftedScaler(Scaler):
    @engine.function
    def apply(self, x):
        base = super().apply(x)
        if engine.reduce_max(base) > 10.0:
            base = base - 10.0
        return base


def test_methods_private_attributes_and_super():
    s = Scaler(3.0)
    np.testing.assert_allclose(s.apply(engine.constant([1.0])).numpy(), [3.0])
    np.testing.assert_allclose(s.apply(engine.constant([-1.0])).numpy(), [0.0])
    t = ShiftedScaler(5.0)
    np.testing.assert_allclose(t.apply(engine.constant([3.0])).numpy(), [5.0])
    np.testing.assert_allclose(t.apply(engine.constant([1.0])).numpy(), [5.0])
    bound = engine.autograph.convert(Scaler(2.0).apply.python_function)
    assert bound.__self__.scale == 2.0


def test_a_function_from_a_notebook_cell_registered_in_linecache_converts():
    filename = "<ipython-input-7-autograph>"
    source = ("def cell_fn(x):\n"
              "    if x > 0:\n"
              "        return x * 2.0\n"
              "    return -x\n")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        namespace = {"engine": engine}
        exec(compile(source, filename, "exec"), namespace)
        f = engine.function(namespace["cell_fn"])
        assert [float(f(engine.constant(v))) for v in (2.0, -3.0)] == [4.0, 3.0]
        node = next(n for n in f.get_concrete_function(engine.constant(1.0)).graph.nodes
                    if n.type == "If")
        assert node.source[:2] == (filename, 2)
    finally:
        del linecache.cache[filename]


def test_a_function_without_source_warns_once_and_runs_unchanged():
    namespace = {}
    exec(compile("def no_source(x):\n    if x > 0:\n        return x\n    return -x\n",
                 "<exec-autograph-test>", "exec"), namespace)
    fn = namespace["no_source"]
    with pytest.warns(UserWarning, match="autograph could not convert no_source.*exec"):
        assert engine.autograph.convert(fn) is fn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert engine.autograph.convert(fn) is fn  # the warning is given once
    assert float(engine.function(fn)(3.0)) == 3.0  # Python conditions still work
    with pytest.raises(TracingError):
        engine.function(fn)(engine.constant(1.0))


def magnitude(x):
    if x < 0:
        return -x
    return x


@engine.function
def clipped(x):
    while x > 10.0:
        x = x - 10.0
    return x


def test_functions_and_engine_functions_called_while_tracing_are_converted_too():
    @engine.function
    def f(x):
        return clipped(magnitude(x)) + 1.0

    assert [float(f(engine.constant(v))) for v in (-3.0, 25.0)] == [4.0, 6.0]
    assert f.experimental_get_tracing_count() == 1
    types = [n.type for n in f.get_concrete_function(engine.constant(1.0)).graph.nodes]
    assert "If" in types and "While" in types


def test_functions_without_control_flow_and_engine_functions_are_not_converted():
    def plain(x):
        return engine.reduce_sum(engine.matmul(x, x)) * np.float32(2.0) + abs(x)

    assert engine.autograph.convert(plain) is plain
    assert engine.autograph.convert(engine.reduce_sum) is engine.reduce_sum

    @engine.autograph.do_not_convert
    def marked(x):
        return x if x else -x

    assert engine.autograph.convert(marked) is marked
    assert "ag__.if_stmt" in engine.autograph.to_code(sign_scale)


def test_gradients_flow_through_a_converted_if():
    @engine.function
    def grad(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            if x > 0:
                y = x * x
            else:
                y = -x
        return tape.gradient(y, x)

    assert [float(grad(engine.constant(v))) for v in (3.0, -3.0)] == [6.0, -1.0]


def test_tensor_arrays_collect_values_in_converted_loops_and_ifs():
    @engine.function
    def squares_of_positives(x):
        ta = engine.TensorArray(engine.float32, size=4)
        for i in engine.range(4):
            v = engine.gather(x, i)
            if v > 0:
                ta = ta.write(i, v * v)
            else:
                ta = ta.write(i, engine.constant(0.0))
        return ta.stack()

    out = squares_of_positives(engine.constant([1.0, -2.0, 3.0, 0.5]))
    np.testing.assert_allclose(out.numpy(), [1.0, 0.0, 9.0, 0.25])


def test_a_tensor_dependent_break_in_while_true_and_in_a_python_for():
    @engine.function
    def halve_until_small(x):
        while True:
            x = x / 2.0
            if x < 1.0:
                break
        return x

    assert [float(halve_until_small(engine.constant(v))) for v in (10.0, 0.5)] == [0.625, 0.25]

    @engine.function
    def add_until_big(x):
        for step in [1.0, 2.0, 4.0, 8.0]:  # unrolled; each step runs only before the break
            if x > 5.0:
                break
            x = x + step
        return x

    assert [float(add_until_big(engine.constant(v))) for v in (0.0, 4.5, 9.0)] == \
        [7.0, 5.5, 9.0]


def test_tensor_as_bool_names_the_line_without_autograph():
    @engine.function(autograph=False)
    def f(x):
        if x > 0:  # THE-BOOL-LINE
            return x
        return -x

    with pytest.raises(TracingError, match=r"test_autograph.py:\d+: if x > 0:  # THE-BOOL-LINE"):
        f(engine.constant(1.0))


def test_nested_functions_are_converted_when_inlined():
    @engine.function
    def inner(x):
        if x > 0:
            return x * 2.0
        return x

    @engine.function
    def outer(x):
        return inner(x) + 1.0

    assert float(outer(engine.constant(3.0))) == 7.0
    assert float(outer(engine.constant(-3.0))) == -2.0
    assert outer.experimental_get_tracing_count() == 1


def test_indexing_with_a_loop_counter():
    @engine.function
    def f(m):
        total = engine.zeros([3])
        for i in engine.range(engine.shape(m)[0]):
            total = total + m[i]
        return total

    m = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(f(engine.constant(m)).numpy(), m.sum(0))


def test_python_range_over_a_symbolic_tensor_becomes_a_graph_loop():
    @engine.function
    def total(n):
        s = 0
        for i in range(n):
            s += i
        return s

    assert total(engine.constant(4)).numpy() == 6
    assert total(engine.constant(6)).numpy() == 15
    assert total.experimental_get_tracing_count() == 1
