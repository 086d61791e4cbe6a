"""The engine.linalg namespace, and norm: forward against NumPy, gradients numerically."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError
from engine.ops import diag_ops, einsum_ops, linalg_ops, linalg_solvers, matmul_ops
from tests.opcheck import check_op

R = np.random.default_rng(3)
la = engine.linalg


def _any(*shape):
    return R.standard_normal(shape)


def test_linalg_namespace_gathers_the_family():
    for module in (matmul_ops, diag_ops, einsum_ops, linalg_solvers):
        for name in module.__all__:
            assert name in linalg_ops.__all__
            assert getattr(la, name) is getattr(module, name)
    for name in ("matmul", "einsum", "tensordot", "eye", "norm"):
        assert getattr(engine, name) is getattr(la, name)


# --- norm -----------------------------------------------------------------------------------
VECTOR_NORMS = [("euclidean", None), (2, -1), (1, 0), (np.inf, 1), (3.5, -1), (1, None),
                ("euclidean", (0, 2))]


@pytest.mark.parametrize("ord,axis", VECTOR_NORMS, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm(ord, axis, keepdims):
    def ref(x, ord, axis, keepdims):
        if axis is None:
            out = np.linalg.norm(x.ravel(), 2 if ord == "euclidean" else ord)
            return np.reshape(out, (1,) * x.ndim) if keepdims else out
        if isinstance(axis, tuple):
            return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
        return np.linalg.norm(x, 2 if ord == "euclidean" else ord, axis, keepdims)

    check_op(la.norm, ref, [_any(2, 3, 4)],
             {"ord": ord, "axis": axis, "keepdims": keepdims})


@pytest.mark.parametrize("ord", ["fro", "euclidean", 1, 2, np.inf])
@pytest.mark.parametrize("axis", [(-2, -1), (2, 0)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norm(ord, axis, keepdims):
    def ref(x, ord, axis, keepdims):
        return np.linalg.norm(x, "fro" if ord == "euclidean" else ord, axis, keepdims)

    check_op(la.norm, ref, [_any(2, 3, 4)], {"ord": ord, "axis": axis, "keepdims": keepdims})


def test_norm_gradient_is_zero_at_zero():
    x = engine.zeros([2, 3], engine.float64)
    for kwargs in ({}, {"axis": 1}, {"ord": "fro", "axis": [0, 1]}):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = la.norm(x, **kwargs)
        np.testing.assert_array_equal(tape.gradient(y, x).numpy(), np.zeros((2, 3)))


def test_norm_errors():
    x = engine.zeros([2, 3])
    with pytest.raises(ValueError, match="norm: got ord='fro' for a vector norm"):
        la.norm(x, ord="fro")
    with pytest.raises(ValueError, match="norm: got ord=3 for a matrix norm"):
        la.norm(x, ord=3, axis=[0, 1])
    with pytest.raises(ValueError, match="norm: got ord=-1"):
        la.norm(x, ord=-1)
    with pytest.raises(ValueError, match="norm: got axis="):
        la.norm(x, axis=[0, 0])
    with pytest.raises(DTypeError, match="norm"):
        la.norm(engine.constant([1, 2]))
