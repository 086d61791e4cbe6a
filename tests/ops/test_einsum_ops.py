"""einsum and tensordot: forward against NumPy, gradients numerically."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine import registry
from engine.errors import ShapeError
from tests.opcheck import check_grad, check_op, grad_of

R = np.random.default_rng(3)
la = engine.linalg


def _any(*shape):
    return R.standard_normal(shape)


# --- einsum ---------------------------------------------------------------------------------
EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("bii->bi", [(2, 3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ij,jk->...ik", [(2, 3), (3, 4)]),
    ("i...,i->...", [(3, 2, 4), (3,)]),
    ("...i,...i", [(2, 1, 3), (4, 3)]),
    ("b...i,b...i->b...", [(2, 1, 3), (2, 4, 3)]),
    ("ab,cd->", [(2, 3), (4, 5)]),
    (",ij->ij", [(), (2, 3)]),
    ("Ab,bA->A", [(2, 3), (3, 2)]),
    (" ij , jk -> ik ", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum(equation, shapes):
    def fn(*xs):
        return la.einsum(equation, *xs)

    def ref(*xs):
        return np.einsum(equation.replace(" ", ""), *xs)

    check_op(fn, ref, [_any(*s) for s in shapes])


def test_einsum_large_uses_the_blas_path_and_matches():
    a, b, c = _any(30, 40), _any(40, 50), _any(50, 6)
    # BLAS and NumPy's matmul sum in different orders: float32 needs an absolute tolerance.
    check_op(lambda x, y: la.einsum("ij,jk->ik", x, y), lambda x, y: x @ y, [a, b], atol=1e-4)
    check_op(lambda x, y, z: la.einsum("ij,jk,kl->il", x, y, z),
             lambda x, y, z: x @ y @ z, [a, b, c], rtol=1e-4, atol=1e-4,
             dtypes=("float64",))


def test_einsum_list_argument_and_integers():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    out = la.einsum("ij,kj->ik", [a, a])
    assert out.dtype is engine.int32
    np.testing.assert_array_equal(out.numpy(), a @ a.T)


def test_einsum_second_order():
    a, b = _any(2, 3), _any(3, 4)
    check_grad(grad_of(lambda x, y: engine.reduce_sum(
        la.einsum("ij,jk->ik", x, y) ** 2)), [a, b])
    check_grad(grad_of(lambda x: la.einsum("ii->", x * x)), [_any(3, 3)])


def test_einsum_errors():
    with pytest.raises(ShapeError, match=r"einsum: equation 'ij,jk->ik'.*label 'j' has size "
                                         r"3 in operand 0 but 4 in operand 1"):
        la.einsum("ij,jk->ik", engine.zeros([2, 3]), engine.zeros([4, 5]))
    with pytest.raises(ShapeError, match="einsum.*'j'.*size 1"):  # labels never broadcast
        la.einsum("ij,jk->ik", engine.zeros([2, 1]), engine.zeros([3, 4]))
    with pytest.raises(ShapeError, match="einsum.*'...' dimension"):
        la.einsum("...i,...i->...", engine.zeros([2, 3]), engine.zeros([4, 3]))
    with pytest.raises(ShapeError, match="einsum.*2 input terms but 1 operands"):
        la.einsum("ij,jk->ik", engine.zeros([2, 3]))
    with pytest.raises(ShapeError, match="einsum.*operand 0 has rank 3"):
        la.einsum("ij->i", engine.zeros([2, 3, 4]))
    with pytest.raises(ShapeError, match="einsum.*'1'"):
        la.einsum("i1->i", engine.zeros([2, 3]))
    with pytest.raises(ShapeError, match="einsum.*output label 'k'"):
        la.einsum("ij->k", engine.zeros([2, 3]))
    with pytest.raises(TypeError, match="einsum: unexpected arguments"):
        la.einsum("ij->i", engine.zeros([2, 3]), axis=0)


def test_einsum_infer_with_unknown_dims():
    einsum = registry.get("Einsum")
    f32 = engine.float32
    out = einsum.infer(engine.TensorSpec([None, 3], f32), engine.TensorSpec([3, None], f32),
                       equation="ij,jk->ik")
    assert out.shape.as_list() == [None, None]
    out = einsum.infer(engine.TensorSpec([None, 1, 4, 3], f32),
                       engine.TensorSpec([5, 3, 2], f32), equation="...ij,...jk->...ik")
    assert out.shape.as_list() == [None, 5, 4, 2]
    out = einsum.infer(engine.TensorSpec([1, 3], f32), engine.TensorSpec([None, 3], f32),
                       equation="...i,...i->...")
    assert out.shape.as_list() == [None]
    assert einsum.infer(engine.TensorSpec(None, f32), equation="ij->j").shape.rank is None
    with pytest.raises(ShapeError, match="einsum"):
        einsum.infer(engine.TensorSpec([None, 3], f32), engine.TensorSpec([4, None], f32),
                     equation="ij,jk->ik")


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                max_side=3),
       m=st.integers(1, 3), k=st.integers(1, 3), n=st.integers(1, 3))
def test_einsum_batched_matmul_broadcasts(shapes, m, k, n):
    sa, sb = shapes.input_shapes
    a, b = _any(*sa, m, k), _any(*sb, k, n)
    out = la.einsum("...ij,...jk->...ik", a, b)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-12, atol=1e-12)
    ga, gb = grad_of(lambda x, y: la.einsum("...ij,...jk->...ik", x, y))(
        engine.constant(a), engine.constant(b))
    ma, mb = grad_of(lambda x, y: engine.matmul(x, y))(engine.constant(a), engine.constant(b))
    np.testing.assert_allclose(ga.numpy(), ma.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gb.numpy(), mb.numpy(), rtol=1e-12, atol=1e-12)


# --- tensordot ------------------------------------------------------------------------------
TENSORDOT = [
    ((2, 3), (3, 4), 1),
    ((2, 3), (4, 5), 0),
    ((2, 3, 4), (3, 4, 5), 2),
    ((2, 3, 4), (4, 3, 5), [[1, 2], [1, 0]]),
    ((2, 3, 4), (5, 2), [0, 1]),
    ((2, 3), (3, 2), [[-1, 0], [0, -1]]),
]


@pytest.mark.parametrize("sa,sb,axes", TENSORDOT, ids=[str(t) for t in TENSORDOT])
def test_tensordot(sa, sb, axes):
    check_op(la.tensordot, np.tensordot, [_any(*sa), _any(*sb)], {"axes": axes})


def test_tensordot_errors():
    with pytest.raises(ShapeError, match="tensordot.*axis 1 of a has size 3 but axis 0 of b "
                                         "has size 4"):
        la.tensordot(engine.zeros([2, 3]), engine.zeros([4, 5]), 1)
    with pytest.raises(ShapeError, match="tensordot: got axes=3"):
        la.tensordot(engine.zeros([2, 3]), engine.zeros([3, 5]), 3)
    with pytest.raises(ShapeError, match="tensordot: got 2 axes for a and 1 for b"):
        la.tensordot(engine.zeros([2, 3]), engine.zeros([3, 2]), [[0, 1], [0]])


def test_raw_ops():
    a = engine.constant([[2.0, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(engine.raw_ops.Einsum(inputs=[a, a], equation="ij,jk->ik"),
                               a.numpy() @ a.numpy())
