"""The executor's generated code: direct calls, lowerings, listeners, per-node errors."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from engine.ops.reduce_ops import float_mean


def concrete_of(fn, *args):
    return engine.function(fn).get_concrete_function(*args)


def test_kernels_are_called_directly_with_keyword_attrs():
    x = engine.constant(np.arange(6, dtype=np.int32).reshape(2, 3))
    concrete = concrete_of(lambda x: engine.reduce_max(x, axis=1, keepdims=True), x)
    source = concrete._program.source
    assert "axis=(1,), keepdims=True)" in source or "axis=1, keepdims=True)" in source
    assert "partial" not in source
    np.testing.assert_array_equal(concrete(x).numpy(), [[2], [5]])


def test_ufunc_ops_are_the_ufunc_itself():
    x = engine.ones([3])
    concrete = concrete_of(lambda x: engine.exp(x), x)
    (ins,) = [i for i in concrete._program.instructions if i.fn is not None]
    assert ins.fn is np.exp and not ins.leading and not ins.keywords


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_lowering_matches_the_kernel(ta, tb):
    rng = np.random.default_rng(0)
    a = engine.constant(rng.standard_normal((3, 4) if ta else (4, 3)).astype(np.float32))
    b = engine.constant(rng.standard_normal((5, 3) if tb else (3, 5)).astype(np.float32))
    fn = lambda a, b: engine.matmul(a, b, transpose_a=ta, transpose_b=tb)  # noqa: E731
    concrete = concrete_of(fn, a, b)
    (ins,) = [i for i in concrete._program.instructions if i.fn is not None]
    assert ins.fn is np.matmul and ins.suffixes == [".T" if ta else "", ".T" if tb else ""]
    np.testing.assert_array_equal(concrete(a, b).numpy(), fn(a, b).numpy())


def test_reductions_lowered_only_for_floats():
    xf = engine.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    xi = engine.constant(np.arange(6, dtype=np.int8).reshape(2, 3))
    for fn in (lambda x: engine.reduce_sum(x, axis=0), lambda x: engine.reduce_mean(x),
               lambda x: engine.reduce_sum(x, axis=[0, 1], keepdims=True)):
        for x in (xf, xi):
            concrete = concrete_of(fn, x)
            got, want = concrete(x), fn(x)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got.numpy(), want.numpy())
            (ins,) = [i for i in concrete._program.instructions if i.fn is not None]
            assert (ins.fn in (np.add.reduce, float_mean)) == (x is xf)


def test_listeners_see_lowered_and_fused_nodes():
    events = []
    w = engine.Variable(np.ones((3, 2), np.float32))
    f = engine.function(lambda x: engine.reduce_sum(engine.nn.relu(engine.matmul(x, w) + 1.0)))
    f(engine.ones([4, 3]))
    with engine.hooks.subscribe("op", events.append):
        out = f(engine.ones([4, 3]))
    assert float(out) == 32.0
    ops = [e.op for e in events]
    assert "MatMul" in ops and "Sum" in ops
    matmul = next(e for e in events if e.op == "MatMul")
    assert matmul.input_shapes == ((4, 3), (3, 2)) and matmul.end_ns >= matmul.start_ns


def test_lowered_node_errors_name_the_node():
    spec = engine.TensorSpec([None, None], engine.float32)
    f = engine.function(lambda a, b: engine.matmul(a, b), input_signature=[spec, spec])
    with pytest.raises(InvalidArgumentError, match="Graph node 'MatMul' .*matmul"):
        f(np.ones((2, 3), np.float32), np.ones((4, 2), np.float32))


def test_constants_used_on_another_device_are_copied_once(gpu):
    x = engine.constant(np.ones((2, 2), np.float32))

    @engine.function
    def f(x):
        with engine.device("/GPU:0"):
            return engine.exp(x) * 2.0

    f(x)
    gpu.copies.clear()
    for _ in range(3):
        np.testing.assert_allclose(f(x).numpy(), np.full((2, 2), 2 * np.e), rtol=1e-6)
    # per call: the input goes to the device and the result comes back; the 2.0 stays there
    assert gpu.copies == [("to_device", (2, 2)), ("to_host", (2, 2))] * 3


def test_a_host_input_read_by_several_gpu_ops_is_copied_once(gpu):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)

    @engine.function
    def f(x):
        with engine.device("/GPU:0"):
            return engine.matmul(x, x, transpose_b=True), engine.reduce_max(x)

    f(engine.constant(x))
    gpu.copies.clear()
    gram, top = f(engine.constant(x))
    np.testing.assert_allclose(gram.numpy(), x @ x.T)
    assert float(top) == 5.0
    assert gpu.copies.count(("to_device", (2, 3))) == 1, gpu.copies


def test_ops_with_an_attr_named_k_run_in_the_instrumented_executor():
    # The instrumented path (strict checks are on in tests) passes attrs as keywords;
    # an attr named `k` (TopKV2) must not collide with the step's own parameters.
    f = engine.function(lambda x: engine.math.top_k(x, 2).values)
    np.testing.assert_allclose(f(engine.constant([3.0, 1.0, 2.0])).numpy(), [3.0, 2.0])


def test_many_inputs_do_not_shadow_attribute_literals():
    # Inputs are the parameters a0, a1, ...; attribute values live in other globals.
    f = engine.function(lambda *xs: [engine.cast(x + 1, engine.float64) for x in xs])
    outs = f(*[engine.constant(float(i)) for i in range(12)])
    assert [float(o) for o in outs] == [i + 1.0 for i in range(12)]
    assert all(o.dtype == engine.float64 for o in outs)


def test_traced_assign_add_is_in_place_only_when_nobody_holds_the_value():
    v = engine.Variable(np.zeros((2, 2), np.float32))
    f = engine.function(lambda a: v.assign_add(engine.matmul(a, a)))
    a = engine.constant(np.eye(2, dtype=np.float32))
    f(a)
    buffer = id(v._value)
    f(a)
    assert id(v._value) == buffer  # nothing else held it: written in place
    held = v.read_value()
    f(a)
    np.testing.assert_array_equal(held.numpy(), 2 * np.eye(2, dtype=np.float32))
    np.testing.assert_array_equal(v.numpy(), 3 * np.eye(2, dtype=np.float32))
