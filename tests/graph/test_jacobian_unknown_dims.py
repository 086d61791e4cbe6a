"""`GradientTape.jacobian` and `batch_jacobian` traced with dimensions known only at run time.

Each function is traced once with an unknown batch size and called with two sizes; the
results match eager execution and float64 central finite differences, the static shapes
keep what tracing knows, and the graphs serialize.
"""

import json

import numpy as np
import pytest

import engine
from engine.graph.executor import Program

S = engine.TensorSpec
F64 = engine.float64


def elementwise(x):
    return engine.tanh(x) * 2.0 + x * x


def mixing(x):  # row i depends only on row i, but across features
    return engine.sin(engine.matmul(x, engine.constant(np.arange(6.0).reshape(3, 2))))


def column_sums(x):  # a target of known size from a source of unknown size
    return engine.reduce_sum(engine.tanh(x), axis=0)


def taped(fn, x, method):
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return getattr(tape, method)(y, x)


def numeric_jacobian(fn, x, eps=1e-6):
    """d fn(x) / d x in float64, by central differences: shape y.shape + x.shape."""
    y = fn(engine.constant(x)).numpy()
    jac = np.zeros(y.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        hi, lo = x.copy(), x.copy()
        hi[idx] += eps
        lo[idx] -= eps
        diff = fn(engine.constant(hi)).numpy() - fn(engine.constant(lo)).numpy()
        jac[(...,) + idx] = diff / (2 * eps)
    return jac


def batch_of(jac):
    """The per-example blocks of a full Jacobian (batch, *y, batch, *x) -> (batch, *y, *x)."""
    n = jac.shape[0]
    return np.stack([jac[i, ..., i, :] for i in range(n)])


@pytest.mark.parametrize("fn", [elementwise, mixing])
def test_batch_jacobian_with_unknown_batch(fn):
    f = engine.function(lambda x: taped(fn, x, "batch_jacobian"))
    concrete = f.get_concrete_function(S([None, 3], F64))
    out_dim = 3 if fn is elementwise else 2
    assert concrete.graph.outputs[0].shape.as_list() == [None, out_dim, 3]
    rng = np.random.default_rng(0)
    for n in (4, 1):
        x = rng.normal(size=(n, 3))
        got = f(engine.constant(x)).numpy()
        assert got.shape == (n, out_dim, 3)
        np.testing.assert_allclose(got, taped(fn, engine.constant(x), "batch_jacobian").numpy(),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got, batch_of(numeric_jacobian(fn, x)), rtol=1e-6,
                                   atol=1e-8)


def test_batch_jacobian_float32_signature_from_the_issue():
    @engine.function(input_signature=[S([None, 3])])
    def g(x):
        with engine.GradientTape() as t:
            t.watch(x)
            y = engine.tanh(x) * 2.0
        return t.batch_jacobian(y, x)

    for n in (4, 2):
        x = np.linspace(-1, 1, 3 * n, dtype=np.float32).reshape(n, 3)
        want = np.zeros((n, 3, 3), np.float32)
        for k in range(3):
            want[:, k, k] = 2.0 * (1 - np.tanh(x[:, k]) ** 2)
        np.testing.assert_allclose(g(x).numpy(), want, rtol=1e-5, atol=1e-6)


def test_batch_jacobian_unknown_inner_dimension_of_target_is_a_clear_error():
    f = engine.function(lambda x: taped(lambda v: v * 2.0, x, "batch_jacobian"))
    with pytest.raises(ValueError, match="unknown non-batch dimensions"):
        f.get_concrete_function(S([None, None]))


def test_batch_jacobian_unconnected_is_none_traced():
    def fn(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = engine.ones_like(x) * 3.0
        assert tape.batch_jacobian(y, x) is None
        return x

    engine.function(fn).get_concrete_function(S([None, 2]))


@pytest.mark.parametrize("fn", [elementwise, column_sums])
def test_jacobian_with_unknown_target_or_source_size(fn):
    f = engine.function(lambda x: taped(fn, x, "jacobian"))
    concrete = f.get_concrete_function(S([None, 3], F64))
    want_static = [None, 3, None, 3] if fn is elementwise else [3, None, 3]
    assert concrete.graph.outputs[0].shape.as_list() == want_static
    rng = np.random.default_rng(1)
    for n in (3, 1):
        x = rng.normal(size=(n, 3))
        got = f(engine.constant(x)).numpy()
        np.testing.assert_allclose(got, taped(fn, engine.constant(x), "jacobian").numpy(),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got, numeric_jacobian(fn, x), rtol=1e-6, atol=1e-8)


def test_jacobian_unknown_target_size_several_sources():
    def fn(x, w):
        with engine.GradientTape() as tape:
            tape.watch([x, w])
            y = engine.matmul(x, w)  # (None, 2)
            unused = engine.constant(1.0)
        return tape.jacobian(y, [x, w, unused])

    f = engine.function(fn, input_signature=[S([None, 3], F64), S([3, 2], F64)])
    w = np.arange(6.0).reshape(3, 2) / 6
    for n in (2, 3):
        x = np.linspace(0, 1, 3 * n).reshape(n, 3)
        jx, jw, none = f(engine.constant(x), engine.constant(w))
        assert none is None
        ex, ew, _ = fn(engine.constant(x), engine.constant(w))
        np.testing.assert_allclose(jx.numpy(), ex.numpy(), atol=1e-12)
        np.testing.assert_allclose(jw.numpy(), ew.numpy(), atol=1e-12)
        np.testing.assert_allclose(
            jw.numpy(), numeric_jacobian(lambda v: engine.matmul(engine.constant(x), v), w),
            rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", ["jacobian", "batch_jacobian"])
def test_graphs_round_trip_through_as_dict(method):
    f = engine.function(lambda x: taped(elementwise, x, method))
    graph = f.get_concrete_function(S([None, 3], F64)).graph
    data, arrays = graph.as_dict()
    program = Program(engine.Graph.from_dict(json.loads(json.dumps(data)), arrays))
    for n in (2, 5):
        x = np.linspace(-1, 1, 3 * n).reshape(n, 3)
        (got,) = program([x])
        np.testing.assert_allclose(got, f(engine.constant(x)).numpy(), atol=1e-12)


@pytest.mark.parametrize("method", ["jacobian", "batch_jacobian"])
def test_runs_on_the_fake_gpu(gpu, method):
    f = engine.function(lambda x: taped(elementwise, x, method))
    f.get_concrete_function(S([None, 3], F64))
    for n in (2, 3):
        x = np.linspace(-1, 1, 3 * n).reshape(n, 3)
        with engine.device("/GPU:0"):
            got = f(engine.constant(x)).numpy()
        np.testing.assert_allclose(got, taped(elementwise, engine.constant(x), method).numpy(),
                                   atol=1e-12)
