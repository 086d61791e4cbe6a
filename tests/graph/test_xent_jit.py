"""The compiled SparseSoftmaxCrossEntropyWithLogits: the NumPy kernel's values and errors."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from engine.graph import xent_jit

pytest.importorskip("numba")


def _xent(labels, logits):
    return engine.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def _loss_and_grad(x, y):
    with engine.GradientTape() as tape:
        tape.watch(x)
        loss = _xent(y, x)
        total = engine.reduce_sum(loss * loss)  # upstream gradients differ by row
    return loss, tape.gradient(total, x)


@pytest.mark.parametrize("shape, dtype", [
    ((16, 10), np.float32),
    ((2, 3, 7), np.float64),       # labels of rank 2
    ((120, 65), np.float64),       # just under SMALL values
])
def test_compiled_kernel_matches_numpy(traced_with_jit, shape, dtype):
    assert np.prod(shape) <= xent_jit.SMALL
    rng = np.random.default_rng(0)
    x = engine.constant((rng.standard_normal(shape) * 4).astype(dtype))
    y = engine.constant(rng.integers(0, shape[-1], shape[:-1]).astype(np.int32))
    got, statuses = traced_with_jit(_loss_and_grad, (x, y), True)
    want, plain = traced_with_jit(_loss_and_grad, (x, y), False)
    assert statuses["SparseSoftmaxCrossEntropyWithLogits"] == ["compiled"]
    assert plain["SparseSoftmaxCrossEntropyWithLogits"] == ["numpy"]
    tol = 2e-6 if dtype == np.float32 else 1e-14
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    eager = [t.numpy() for t in _loss_and_grad(x, y)]
    for g, w in zip(got, eager):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def test_large_logits_keep_the_numpy_kernel(traced_with_jit):
    """Past SMALL values NumPy's vectorized exp wins (benchmarks/bench_cpu_jit.py)."""
    rng = np.random.default_rng(1)
    x = engine.constant(rng.standard_normal((300, 40)).astype(np.float32))
    y = engine.constant(rng.integers(0, 40, 300).astype(np.int32))
    got, statuses = traced_with_jit(_loss_and_grad, (x, y), True)
    assert statuses["SparseSoftmaxCrossEntropyWithLogits"] == ["numpy"]
    want, _ = traced_with_jit(_loss_and_grad, (x, y), False)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NumPy on inf - inf
@pytest.mark.parametrize("classes", [5, 9000])  # compiled, and the NumPy kernel
def test_nan_and_inf_rows_match_numpy(traced_with_jit, classes):
    x = np.zeros((3, classes), np.float32)
    x[0, 1] = np.nan
    x[1, 2] = np.inf
    x[2, :] = -1e30
    x[2, 3] = 1e30  # a huge logit: no overflow
    y = engine.constant(np.array([0, 2, 3], np.int32))
    got, _ = traced_with_jit(_loss_and_grad, (engine.constant(x), y), True)
    want, _ = traced_with_jit(_loss_and_grad, (engine.constant(x), y), False)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-6, atol=2e-6, equal_nan=True)
    assert np.isnan(got[0][:2]).all() and got[0][2] == 0.0


def test_labels_out_of_range_raise_as_eagerly(traced_with_jit):
    x = engine.constant(np.zeros((4, 3), np.float32))
    y = engine.constant(np.array([0, 1, 3, 2], np.int32))
    with pytest.raises(InvalidArgumentError, match=r"label value of 3 .* valid range of \[0, 3\)"):
        traced_with_jit(lambda x, y: (_xent(y, x),), (x, y), True)
