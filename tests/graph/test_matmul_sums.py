"""The matmul_sum_merging pass: a sum of many products is one product of stacked operands."""

import numpy as np
import pytest

import engine
from engine.graph.passes import matmul_sums

OPTION = "matmul_sum_merging"


@pytest.fixture(autouse=True)
def restore_options():
    saved = engine.config.optimizer.get_experimental_options()
    yield
    engine.config.optimizer.set_experimental_options(saved)


def traced(fn, *args, merge=True):
    engine.config.optimizer.set_experimental_options({OPTION: merge})
    return engine.function(fn).get_concrete_function(*args)


def matmuls(concrete):
    return [n for n in concrete.graph.nodes if n.type == "MatMul"]


@pytest.mark.parametrize("transpose_a, transpose_b", [(True, False), (False, True),
                                                      (False, False), (True, True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_transpose_gives_the_sum(transpose_a, transpose_b, dtype):
    rng = np.random.default_rng(0)
    m, n, ks = 12, 9, [3, 5, 4, 2, 6]
    a = [rng.standard_normal((k, m) if transpose_a else (m, k)).astype(dtype) for k in ks]
    b = [rng.standard_normal((n, k) if transpose_b else (k, n)).astype(dtype) for k in ks]
    args = [engine.constant(v) for v in a + b]

    def f(*ts):
        terms = [engine.matmul(x, y, transpose_a=transpose_a, transpose_b=transpose_b)
                 for x, y in zip(ts[:5], ts[5:])]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total

    merged = traced(f, *args)
    assert len(matmuls(merged)) == 1
    report = [r for r in merged.pass_report if r["pass"] == OPTION][0]
    assert report["changes"] and "5 MatMuls" in report["changes"][0]
    want = sum((x.T if transpose_a else x) @ (y.T if transpose_b else y) for x, y in zip(a, b))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(merged(*args).numpy(), want, rtol=tol, atol=tol)
    assert len(matmuls(traced(f, *args, merge=False))) == 5


def unrolled_rnn(steps=12, batch=8, units=16, dtype=np.float64):
    """The gradient of an unrolled tanh RNN with respect to its recurrent weight."""
    rng = np.random.default_rng(1)
    w = engine.constant(rng.standard_normal((units, units)).astype(dtype) * 0.3)
    xs = engine.constant(rng.standard_normal((steps, batch, units)).astype(dtype))

    def grad(w, xs):
        with engine.GradientTape() as tape:
            tape.watch(w)
            h = engine.zeros([batch, units], dtype)
            total = engine.constant(0.0, dtype)
            for t in range(steps):
                h = engine.tanh(xs[t] + engine.matmul(h, w))
                total = total + engine.reduce_sum(h * h)
        return tape.gradient(total, w)

    return grad, w, xs


def test_an_unrolled_rnns_weight_gradient_is_one_gemm():
    grad, w, xs = unrolled_rnn()
    merged, plain = traced(grad, w, xs), traced(grad, w, xs, merge=False)
    products = [n for n in matmuls(merged) if n.attrs.get("transpose_a")]
    assert len(products) == 1 and products[0].inputs[0]._node.type == "ConcatV2"
    assert len([n for n in matmuls(plain) if n.attrs.get("transpose_a")]) >= 11
    np.testing.assert_allclose(merged(w, xs).numpy(), plain(w, xs).numpy(), rtol=1e-12)
    np.testing.assert_allclose(merged(w, xs).numpy(), grad(w, xs).numpy(), rtol=1e-12)


def test_few_terms_shared_terms_and_costly_copies_are_left_alone():
    rng = np.random.default_rng(2)
    a = [engine.constant(rng.standard_normal((4, 4))) for _ in range(6)]

    def three(*ts):  # fewer than MIN_TERMS products
        return ts[0] @ ts[1] + ts[2] @ ts[3] + ts[4] @ ts[5]

    assert len(matmuls(traced(three, *a))) == 3

    def shared(*ts):  # one product is also an output: it must stay
        p = ts[0] @ ts[1]
        return p + ts[2] @ ts[3] + ts[4] @ ts[5] + ts[1] @ ts[0] + ts[3] @ ts[2], p

    assert matmul_sums.MIN_TERMS == 4
    assert len(matmuls(traced(shared, *a))) == 2  # the shared one, and the other four merged
    big = [engine.constant(rng.standard_normal((64, 2))) for _ in range(8)]

    def costly(*ts):  # (2 x 64) @ (64 x 2): copying 64 rows costs more than 3 small adds
        return sum((engine.matmul(x, y, transpose_a=True) for x, y in zip(ts[:4], ts[4:])),
                   engine.zeros([2, 2], engine.float64))

    assert len(matmuls(traced(costly, *big))) == 4


def test_a_stack_the_graph_has_is_reused():
    rng = np.random.default_rng(3)
    hs = [engine.constant(rng.standard_normal((4, 3))) for _ in range(5)]
    gs = [engine.constant(rng.standard_normal((4, 6))) for _ in range(5)]

    def f(*ts):
        h, g = ts[:5], ts[5:]
        stacked = engine.concat(list(reversed(g)), axis=0)  # the graph stacks g already
        total = engine.matmul(h[0], g[0], transpose_a=True)
        for x, y in zip(h[1:], g[1:]):
            total = total + engine.matmul(x, y, transpose_a=True)
        return total, engine.reduce_sum(stacked)

    merged = traced(f, *hs, *gs)
    concats = [n for n in merged.graph.nodes if n.type == "ConcatV2"]
    assert len(concats) == 2  # the h stack and the shared g stack, merged by CSE
    want = sum(x.numpy().T @ y.numpy() for x, y in zip(hs, gs))
    np.testing.assert_allclose(merged(*hs, *gs)[0].numpy(), want, rtol=1e-12)
