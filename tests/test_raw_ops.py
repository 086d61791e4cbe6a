"""Tests for engine.raw_ops: TensorFlow raw-op names and argument names over the registry."""

import numpy as np
import pytest

import engine
from engine import registry

A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)  # (3, 2)


def test_add_v2():
    out = engine.raw_ops.AddV2(x=engine.constant([1.0, 2.0]), y=engine.constant([3.0, 4.0]))
    np.testing.assert_array_equal(out.numpy(), [4.0, 6.0])
    assert float(engine.raw_ops.AddV2(x=engine.constant(1.0), y=2.0)) == 3.0


def test_matmul_with_transpose_attrs():
    a = engine.constant(A)
    np.testing.assert_allclose(engine.raw_ops.MatMul(a=a, b=a, transpose_a=True).numpy(),
                               A.T @ A)
    np.testing.assert_allclose(engine.raw_ops.MatMul(a=a, b=a, transpose_b=True).numpy(),
                               A @ A.T)
    np.testing.assert_allclose(engine.raw_ops.MatMul(a=a, b=engine.constant(A.T)).numpy(),
                               A @ A.T)


def test_sum_uses_tensorflow_argument_names():
    x = engine.constant(A)
    out = engine.raw_ops.Sum(input=x, axis=1, keep_dims=True)
    assert out.shape == [3, 1]
    np.testing.assert_array_equal(out.numpy(), A.sum(axis=1, keepdims=True))
    out = engine.raw_ops.Sum(input=x, axis=[0, 1])
    assert out.shape == [] and float(out) == A.sum()
    out = engine.raw_ops.Sum(input=x, axis=engine.constant(0))  # a tensor attribute
    np.testing.assert_array_equal(out.numpy(), A.sum(axis=0))


def test_variadic_inputs():
    out = engine.raw_ops.Pack(values=[engine.constant([1.0]), engine.constant([2.0])], axis=0)
    np.testing.assert_array_equal(out.numpy(), [[1.0], [2.0]])


def test_unknown_argument_names_the_op_and_valid_args():
    with pytest.raises(TypeError, match=r"raw_ops\.Sum: unknown argument `keep_dimz`; expected "
                                        r"inputs \['input'\] and attrs \['axis', 'keep_dims'\]"):
        engine.raw_ops.Sum(input=engine.constant(A), axis=0, keep_dimz=True)
    with pytest.raises(TypeError, match=r"raw_ops\.AddV2: missing input `y`"):
        engine.raw_ops.AddV2(x=engine.constant(1.0))


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        engine.raw_ops.AddV2(engine.constant(1.0), engine.constant(2.0))


def test_unknown_and_engine_names():
    with pytest.raises(AttributeError, match="no op 'NoSuchOp'"):
        engine.raw_ops.NoSuchOp  # noqa: B018
    with pytest.raises(AttributeError, match="raw_ops.AddV2"):
        engine.raw_ops.add  # noqa: B018


def test_dir_lists_every_op_once():
    names = dir(engine.raw_ops)
    assert {"AddV2", "MatMul", "Sum", "Pack", "Reshape"} <= set(names)
    assert names == sorted(set(names))
    assert names == sorted(op.tf_name for op in registry.all_ops())


def test_docstring_and_name():
    fn = engine.raw_ops.MatMul
    assert fn.__name__ == "MatMul"
    assert "transpose_a" in fn.__doc__ and "matmul" in fn.__doc__
    assert engine.raw_ops.MatMul is fn  # cached


def test_raw_ops_are_differentiable():
    x = engine.constant(A)
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.raw_ops.Sum(input=engine.raw_ops.Mul(x=x, y=x), axis=[0, 1])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * A)
