"""bfloat16 across every op: the op table of tests/test_cupy.py, run in bfloat16.

Each case of `OP_CASES` (which reaches every registered op through its public function,
with gradients and second-order gradients) runs twice under strict checks: with its
floating inputs in bfloat16, and in float32 on the same values (the bfloat16 inputs
widened) as the reference. Where the reference gives float32, bfloat16 must give
bfloat16 (outputs and gradients alike); other dtypes must match. Values agree to
bfloat16's precision (8 significant bits: 2 to 3 decimal digits).

NumPy adds bfloat16 in bfloat16, where a sum stops growing at 256 ones; the kernels add
in float32 (as TensorFlow's do), which the large-input tests below check.

bfloat16 comes from the optional `ml_dtypes` package; without it these tests skip.
"""

import numpy as np
import pytest

import engine
from engine import dtypes
from engine.errors import DTypeError
from tests.test_cupy import OP_CASES, _run_case

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
RTOL = ATOL = 2e-2  # ATOL is relative to the largest expected magnitude of each output

# Random draws: bfloat16 parameters change the numbers drawn, so only shapes and dtypes
# are compared. (shuffle and dropout draw the same numbers in any dtype: values compared.)
RANDOM = {"categorical", "poisson", "stateless_categorical", "stateless_poisson"}
# poisson's output dtype is its `dtype` argument (float32 by default), whatever lam's.
KEEPS_FLOAT32 = {"poisson"}
# Cases that refuse bfloat16, as TensorFlow does, and the error that says so:
# - gamma's `dtype` (float32 by default) is alpha's too: pass dtype=engine.bfloat16;
# - the decompositions and solvers take float32, float64 and complex only (TF's
#   MatrixInverse, Cholesky, MatrixDeterminant, MatrixSolve have no bfloat16 kernels).
REFUSED = {
    "gamma": "gamma: got alpha of dtype bfloat16",
    "stateless_gamma": "stateless_gamma: got alpha of dtype bfloat16",
    **{case: f"{op}: got dtype bfloat16" for case, op in [
        ("inv", "inv"), ("inv_adjoint", "inv"), ("det", "det"), ("slogdet", "slogdet"),
        ("solve", "solve"), ("solve_broadcast", "solve"), ("cholesky", "cholesky"),
        ("cholesky_solve", "cholesky"), ("rfft", "rfft"), ("rfft2d", "rfft2d"),
        ("rfft3d", "rfft3d"),
        ("nextafter", "nextafter"),  # TF's RFFT and NextAfter: float32 and float64 only
        ("expm", "expm"), ("pinv", "pinv"), ("lu", "lu"),
        ("svd", "svd"), ("svd_values", "svd"), ("qr", "qr"), ("eigh", "eigh"),
        ("eigvalsh", "eigh"), ("eig", "eig"), ("triangular_solve", "triangular_solve"),
        ("triangular_solve_upper_adjoint", "triangular_solve"), ("lstsq", "lstsq"),
        ("lstsq_wide_l2", "lstsq"), ("lstsq_svd", "lstsq"), ("sqrtm", "sqrtm")]},
    "complex": "complex: got real of dtype bfloat16",
}
# Bit-level cases: a bitcast's output depends on the input's item size, so bfloat16 and
# float32 inputs give different shapes by design (tests/ops/test_more_extras.py checks it).
BIT_LEVEL = {"bitcast", "bitcast_wider"}

CASES = [p for p in OP_CASES if any(a.dtype in FLOATS for a in p.values[1])
         and p.id not in BIT_LEVEL]


def _differentiable(arrays):
    """The indices of the floating inputs (bfloat16's dtype kind is 'V', not 'f')."""
    return [i for i, a in enumerate(arrays) if a.dtype in dtypes.INEXACT_NUMPY]


def _run(fn, arrays, grad, wrt):
    engine.random.set_seed(1)
    return _run_case(fn, arrays, grad, wrt)


def _assert_close(got, expected, rtol=RTOL, atol=ATOL, msg=""):
    g = np.asarray(got, np.float64)
    e = np.asarray(expected, np.float64)
    finite = np.isfinite(e)
    scale = float(np.abs(e[finite]).max()) if finite.any() else 1.0
    np.testing.assert_allclose(g, e, rtol=rtol, atol=atol * scale, err_msg=msg)


def _bf16(x):
    return engine.constant(np.asarray(x, np.float32).astype(BF16))


@pytest.mark.parametrize("fn, arrays, grad, wrt", CASES)
def test_op_in_bfloat16_matches_float32(request, fn, arrays, grad, wrt):
    case = request.node.callspec.id
    low = [a.astype(BF16) if a.dtype in FLOATS else a for a in arrays]
    if grad is not None and wrt is None:
        wrt = _differentiable(low)
    if case in REFUSED:
        with pytest.raises(DTypeError, match=REFUSED[case]):
            _run(fn, low, grad, wrt)
        return
    reference = [a.astype(np.float32) if a.dtype == BF16 else a for a in low]
    expected = _run(fn, reference, grad, wrt)
    got = _run(fn, low, grad, wrt)
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected)):
        narrows = e.dtype is engine.float32 and case not in KEEPS_FLOAT32
        want = engine.bfloat16 if narrows else e.dtype
        assert g.dtype is want, f"output {k}: got {g.dtype.name}, expected {want.name}"
        assert g.shape == e.shape, f"output {k}: got shape {g.shape}, expected {e.shape}"
        if case in RANDOM:
            continue
        if e.dtype.is_floating:
            _assert_close(g.numpy(), e.numpy(), msg=f"output {k}")
        else:
            np.testing.assert_array_equal(g.numpy(), e.numpy(), err_msg=f"output {k}")


# --- long sums: accumulated in float32 ------------------------------------------------------
R = np.random.default_rng(0)
LONG = R.uniform(0.5, 1.5, (4, 3000)).astype(np.float32)  # positive: bfloat16 sums stall
IMAGE = R.uniform(0.5, 1.5, (2, 8, 8, 64)).astype(np.float32)
FILTER = R.uniform(0.5, 1.5, (3, 3, 64, 4)).astype(np.float32)
SUMS = [
    ("reduce_sum", lambda x: engine.reduce_sum(x, 1), [LONG]),
    ("reduce_mean", lambda x: engine.reduce_mean(x), [LONG]),
    ("reduce_euclidean_norm", lambda x: engine.math.reduce_euclidean_norm(x, 1), [LONG]),
    ("cumsum", lambda x: engine.cumsum(x, 1)[:, -1], [LONG]),
    ("matmul", lambda a, b: engine.matmul(a, b, transpose_b=True), [LONG, LONG]),
    ("einsum", lambda a, b: engine.einsum("ij,kj->ik", a, b), [LONG, LONG]),
    ("softmax", lambda x: engine.nn.softmax(x)[:, :5], [LONG]),
    ("log_softmax", lambda x: engine.nn.log_softmax(x)[:, :5], [LONG]),
    ("sparse_softmax_cross_entropy", lambda x: engine.nn.sparse_softmax_cross_entropy_with_logits(
        np.array([0, 1, 2, 3], np.int32), x), [LONG]),
    ("l2_loss", engine.nn.l2_loss, [LONG]),
    ("bias_add_grad", lambda x: _bias_grad(x), [LONG.T]),
    ("unsorted_segment_sum", lambda x: engine.math.unsorted_segment_sum(
        engine.transpose(x), np.zeros(3000, np.int32), 1), [LONG]),
    ("conv2d", lambda x, w: engine.nn.conv2d(x, w, 1, "SAME"), [IMAGE, FILTER]),
    ("depthwise_conv2d", lambda x, w: engine.nn.depthwise_conv2d(
        x, w[..., :1], [1, 1, 1, 1], "SAME"), [IMAGE, FILTER]),
    ("avg_pool2d", lambda x: engine.nn.avg_pool2d(x, 8, 8, "VALID"), [IMAGE]),
]


def _bias_grad(x):
    bias = engine.zeros([x.shape[1]], x.dtype)
    with engine.GradientTape() as tape:
        tape.watch(bias)
        y = engine.nn.bias_add(x, bias)
    return tape.gradient(y, bias)


@pytest.mark.parametrize("fn, arrays", [s[1:] for s in SUMS], ids=[s[0] for s in SUMS])
def test_long_sums_in_bfloat16_add_in_float32(fn, arrays):
    low = [a.astype(BF16) for a in arrays]
    expected = fn(*[engine.constant(a.astype(np.float64)) for a in low])
    got = fn(*[engine.constant(a) for a in low])
    assert got.dtype is engine.bfloat16
    # One rounding to bfloat16 (a relative error of 2**-9), not one per term.
    _assert_close(got.numpy(), expected.numpy(), rtol=2 ** -8, atol=0)


def test_bfloat16_gradients_of_a_layer_are_bfloat16():
    w = engine.Variable(R.standard_normal((6, 3)).astype(BF16))
    b = engine.Variable(engine.zeros([3], engine.bfloat16))
    x = _bf16(R.standard_normal((8, 6)))
    with engine.GradientTape() as tape:
        logits = engine.nn.bias_add(x @ w, b)
        loss = engine.reduce_mean(engine.nn.sparse_softmax_cross_entropy_with_logits(
            np.arange(8, dtype=np.int32) % 3, engine.nn.relu(logits)))
    grads = tape.gradient(loss, [w, b])
    assert loss.dtype is engine.bfloat16
    assert [g.dtype for g in grads] == [engine.bfloat16, engine.bfloat16]
    w.assign_sub(grads[0] * 0.1)
    assert w.dtype is engine.bfloat16


# --- dtypes given as arguments --------------------------------------------------------------
RND = engine.random
DRAWS = [
    ("normal", lambda: RND.normal([50], dtype=engine.bfloat16, seed=1), (-6, 6)),
    ("uniform", lambda: RND.uniform([50], -2, 5, dtype=engine.bfloat16, seed=1), (-2, 5)),
    ("truncated_normal", lambda: RND.truncated_normal([50], dtype=engine.bfloat16, seed=1),
     (-2, 2)),
    ("gamma", lambda: RND.gamma([50], [1.0, 2.0], beta=2.0, dtype=engine.bfloat16, seed=1),
     (0, 50)),
    ("poisson", lambda: RND.poisson([50], [1.0, 2.0], dtype=engine.bfloat16, seed=1), (0, 50)),
    ("stateless_normal", lambda: RND.stateless_normal([50], [1, 2], dtype=engine.bfloat16),
     (-6, 6)),
    ("stateless_uniform", lambda: RND.stateless_uniform([50], [1, 2], dtype=engine.bfloat16),
     (0, 1)),
    ("stateless_gamma", lambda: RND.stateless_gamma([50], [1, 2], 2.0, dtype=engine.bfloat16),
     (0, 50)),
    ("generator_normal", lambda: RND.Generator.from_seed(1).normal([50], dtype=engine.bfloat16),
     (-6, 6)),
    ("dropout", lambda: engine.nn.dropout(engine.ones([50], engine.bfloat16), 0.5, seed=1),
     (0, 2)),
    ("range", lambda: engine.range(_bf16(0.5), 3), (0.5, 2.5)),
    ("one_hot", lambda: engine.one_hot([1, 2], 3, dtype=engine.bfloat16), (0, 1)),
    ("linspace", lambda: engine.linspace(_bf16(0.0), _bf16(1.0), 5), (0, 1)),
]


@pytest.mark.parametrize("fn, bounds", [d[1:] for d in DRAWS], ids=[d[0] for d in DRAWS])
def test_ops_given_bfloat16_as_dtype_make_bfloat16(fn, bounds):
    out = fn()
    assert out.dtype is engine.bfloat16
    values = out.numpy().astype(np.float64)
    assert np.all((values >= bounds[0]) & (values <= bounds[1])), values


def test_gamma_names_the_dtype_mismatch():
    with pytest.raises(DTypeError, match=r"gamma: got alpha of dtype bfloat16 with "
                                         r"dtype=float32.*dtype=engine\.bfloat16"):
        RND.gamma([3], _bf16([1.0, 2.0]))


def test_converting_fractional_bfloat16_to_int_is_refused():
    with pytest.raises(DTypeError, match="fractional|Cannot convert"):
        engine.constant(np.array([1.5], BF16), dtype=engine.int32)
    assert engine.constant(np.array([2.0], BF16), dtype=engine.int32).numpy().tolist() == [2]


def test_bfloat16_sort_orders_values():
    x = _bf16([3.0, -1.0, np.nan, 2.0, -0.0, 0.0, -np.inf])
    np.testing.assert_array_equal(engine.sort(x, direction="DESCENDING").numpy().astype(float),
                                  [np.nan, 3.0, 2.0, -0.0, 0.0, -1.0, -np.inf])
    assert engine.argsort(_bf16([3.0, -1.0, 2.0])).numpy().tolist() == [1, 2, 0]
    values, indices = engine.math.top_k(_bf16([1.0, 5.0, 5.0, -2.0]), 2)
    assert values.dtype is engine.bfloat16 and indices.numpy().tolist() == [1, 2]
