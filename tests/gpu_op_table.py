"""The table of every registered op for tests/test_cupy.py, tests/test_infer.py and
tests/ops/test_bfloat16.py: one or more cases per op, each run through public functions.

Kept apart from the tests that run it, so that each file stays readable; the arrays are
drawn in this order from fixed generators, so a case's values never depend on the tests.
"""

import numpy as np
import pytest

import engine
from engine.ops import rnn_ops

# --- every op on the GPU ------------------------------------------------------------------------
# One or more cases per registered op, each run through public functions. `grad` adds the
# gradient with respect to the float inputs (reaching the ops' gradient ops: ReluGrad,
# Conv2DBackpropInput, ...); `grad2` also differentiates that gradient with respect to the
# upstream gradient, which reaches the gradients of gradient ops (MaxPoolGradGrad, ...).
G = np.random.default_rng(1)


def _f32(*shape, low=-1.0, high=1.0):
    return G.uniform(low, high, shape).astype(np.float32)


def _spd(n, batch=()):
    a = G.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)  # float64, well conditioned


A = _f32(3, 4)
B = _f32(3, 4)
POS = _f32(3, 4, low=0.5, high=2.0)
UNIT = _f32(3, 4, low=-0.8, high=0.8)
BIG = _f32(3, 4, low=1.2, high=3.0)
WIDE = _f32(3, 40)  # top_k's O(n) partial path needs 4k <= n
NONFINITE = A.copy()
NONFINITE[0, 0], NONFINITE[1, 1], NONFINITE[2, 2] = np.nan, np.inf, -np.inf
INTS = G.integers(-5, 6, (3, 4)).astype(np.int32)
DIVISORS = G.integers(1, 6, (3, 4)).astype(np.int32)
MASK = G.random((3, 4)) > 0.5
MASK2 = G.random((3, 4)) > 0.5
CPLX = (A + 1j * B).astype(np.complex64)
IMG = _f32(2, 6, 6, 3)       # (batch, h, w, channels)
IMG8 = _f32(2, 6, 6, 8)
FILT = _f32(3, 3, 3, 4)      # (kh, kw, in, out)
FILT8 = _f32(2, 2, 8, 5)
DW = _f32(3, 3, 3, 2)        # (kh, kw, in, multiplier)
TRANS_IN = _f32(2, 6, 6, 4)  # conv2d_transpose input; FILT maps 3 -> 4 channels
# 3-D volumes from their own generators, so that G's later draws stay as they were
VOL = np.random.default_rng(3).uniform(-1, 1, (2, 4, 4, 4, 3)).astype(np.float32)  # NDHWC
FILT3 = np.random.default_rng(4).uniform(-1, 1, (2, 2, 2, 3, 4)).astype(np.float32)  # DHWIO
PARAMS = _f32(5, 3)
IDX = np.array([4, 0, 2, 2], np.int32)
BATCH_PARAMS = _f32(2, 5, 3)
BATCH_IDX = np.array([[1, 4, 4], [0, 2, 3]], np.int64)
ND_IDX = np.array([[1, 2], [4, 0], [1, 2]], np.int32)
ROW_IDX = np.array([[3], [0], [3]], np.int64)
SEG_IDS = np.array([1, 0, 1], np.int32)
SEG_IDS_NEG = np.array([2, -1, 0], np.int64)
SPD = _spd(3)
SPD_BATCH = _spd(3, (2,))
RHS = G.standard_normal((3, 2))
RHS_BATCH = G.standard_normal((2, 3, 2))
LABELS = np.array([1, 3, 0], np.int32)
PROBS = np.full((3, 4), 0.25, np.float32)
TARGETS01 = (G.random((3, 4)) > 0.5).astype(np.float32)
SCALAR = np.float32(1.5)


def _case(name, fn, *arrays, grad=None, wrt=None):
    return pytest.param(fn, arrays, grad, wrt, id=name)


def _cpu_case(name, fn, *arrays):
    """A CPU-only op (`gpu=False`: strings, which CuPy cannot hold, and host algorithms such
    as box suppression and drawing): in the table for coverage and test_infer, skipped by
    the GPU comparison (a GPU call runs them on /CPU:0 with a warning, as dispatch says)."""
    return pytest.param(fn, arrays, None, None, id=name, marks=pytest.mark.skip(
        reason="a CPU-only op: it runs on /CPU:0, as in TensorFlow"))


TEXT = np.array([[b"Hello World", "Ärger 12".encode()], [b"  ok ", b""]], dtype=object)
WORD = np.array("Aß 😀 ok".encode(), dtype=object)  # a scalar string
VOCAB = np.array([b"Hello World", b"ok", b""], dtype=object)
IDS = np.array([3, 1, 4], np.int64)


def _static_table(keys, values):
    init = engine.lookup.KeyValueTensorInitializer(keys, values)
    return engine.lookup.StaticHashTable(init, default_value=-1)


def _mutable_table(keys, values, remove=None):
    table = engine.lookup.experimental.MutableHashTable(engine.string, engine.int64, -1)
    table.insert(keys, values)
    if remove is not None:
        table.remove(remove)
    return table
NUMBER_TEXT = np.array([b"1.5", b"-2", b" 3e2 "], dtype=object)


def _seeded(fn):
    """Restarts the stateful random streams first, so CPU and GPU draw the same numbers."""

    def run(*xs):
        engine.random.set_seed(1234)
        return fn(*xs)

    return run


E, M, NN, LA, RND = engine, engine.math, engine.nn, engine.linalg, engine.random


def _unsigned(outputs):
    """A decomposition's outputs with each vector output replaced by its absolute values."""
    return [outputs[0]] + [E.abs(t) for t in outputs[1:]]

OP_CASES = [
    # --- elementwise math ---
    *[_case(f.__name__, f, A, grad="grad") for f in (
        M.abs, M.asinh, M.atan, M.cos, M.cosh, M.erf, M.exp, M.expm1, M.negative, M.sigmoid,
        M.sin, M.sinh, M.softplus, M.square, M.tanh)],
    *[_case(f.__name__, f, UNIT, grad="grad") for f in (M.acos, M.asin, M.atanh, M.tan)],
    *[_case(f.__name__, f, POS, grad="grad") for f in (
        M.log, M.log1p, M.reciprocal, M.rsqrt, M.sqrt)],
    _case("acosh", M.acosh, BIG, grad="grad"),
    *[_case(f.__name__, f, A * 3) for f in (M.ceil, M.floor, M.round, M.sign)],
    _case("round_int", M.round, INTS),
    *[_case(f.__name__, f, NONFINITE) for f in (M.is_finite, M.is_inf, M.is_nan)],
    _case("invert", M.invert, INTS),
    _case("logical_not", M.logical_not, MASK),
    *[_case(f.__name__, f, A, B, grad="grad") for f in (
        M.add, M.subtract, M.multiply, M.maximum, M.minimum, M.squared_difference, M.atan2)],
    _case("add_broadcast", M.add, A, B[0], grad="grad"),
    _case("sum_to_shape", lambda g: E.raw_ops.SumToShape(input=g, shape=[1, 4]), A,
          grad="grad2"),
    _case("divide", M.divide, A, POS, grad="grad"),
    _case("floormod", M.floormod, A, POS, grad="grad"),
    _case("pow", M.pow, POS, A, grad="grad"),
    _case("floordiv", M.floordiv, INTS, DIVISORS),
    _case("floormod_int", M.floormod, INTS, DIVISORS),
    *[_case(f.__name__, f, A, B) for f in (
        M.equal, M.not_equal, M.less, M.less_equal, M.greater, M.greater_equal)],
    *[_case(f.__name__, f, MASK, MASK2) for f in (M.logical_and, M.logical_or, M.logical_xor)],
    *[_case(f.__name__, f, INTS, DIVISORS) for f in (
        M.bitwise_and, M.bitwise_or, M.bitwise_xor)],
    _case("cast", lambda x: M.cast(x, engine.float64), A, grad="grad"),
    _case("cast_to_int", lambda x: M.cast(x, engine.int32), A * 3),
    *[_case(f.__name__, f, CPLX) for f in (M.conj, M.real, M.imag)],
    # --- construction and shapes ---
    _case("identity", E.identity, A, grad="grad"),
    _case("stop_gradient", E.stop_gradient, A),
    _case("reshape", lambda x: E.reshape(x, [4, 3]), A, grad="grad"),
    _case("shape_op", lambda x: E.raw_ops.Shape(input=x, out_type=engine.int64), A),
    _case("size_op", lambda x: E.raw_ops.Size(input=x), A),
    _case("zeros_like", E.zeros_like, A),
    _case("ones_like", E.ones_like, INTS),
    _case("fill", lambda v: E.fill([2, 3], v), SCALAR, grad="grad"),
    _case("zeros", lambda: E.zeros([2, 3], engine.int64)),
    _case("stack", lambda x, y: E.stack([x, y], axis=1), A, B, grad="grad"),
    _case("unstack", lambda x: E.unstack(x, axis=1), A, grad="grad"),
    _case("concat", lambda x, y: E.concat([x, y], 1), A, B, grad="grad"),
    _case("expand_dims", lambda x: E.expand_dims(x, 1), A, grad="grad"),
    _case("squeeze", lambda x: E.squeeze(x, [1]), A[:, None, :], grad="grad"),
    _case("transpose", lambda x: E.transpose(x, [1, 0]), A, grad="grad"),
    _case("broadcast_to", lambda x: E.broadcast_to(x, [3, 4]), B[0], grad="grad"),
    _case("where", E.where, MASK, A, B, grad="grad"),
    _case("where_coords", lambda c: E.where(c), MASK),
    _case("range", lambda: E.range(1, 10, 2)),
    _case("range_float", lambda: E.range(0.0, 1.0, 0.25)),
    _case("linspace", lambda a, b: E.linspace(a, b, 5, axis=1), A[:, 0], B[:, 0],
          grad="grad"),
    # --- reductions and scans ---
    _case("reduce_sum", lambda x: E.reduce_sum(x, 1), A, grad="grad"),
    _case("reduce_sum_int8", lambda x: E.reduce_sum(x, 0), INTS.astype(np.int8)),
    _case("reduce_mean", lambda x: E.reduce_mean(x, 0), A, grad="grad"),
    _case("reduce_mean_int", lambda x: E.reduce_mean(x, 1), INTS),
    _case("reduce_max", lambda x: E.reduce_max(x, 1), A, grad="grad"),
    _case("reduce_min", lambda x: E.reduce_min(x, [0, 1]), A, grad="grad"),
    _case("reduce_max_empty", lambda x: E.reduce_max(x, 1), np.zeros((2, 0), np.float32)),
    _case("reduce_prod", lambda x: E.reduce_prod(x, 1), A, grad="grad"),
    _case("reduce_any", lambda x: E.reduce_any(x, 1), MASK),
    _case("reduce_all", lambda x: E.reduce_all(x, 0), MASK),
    _case("reduce_euclidean_norm", lambda x: M.reduce_euclidean_norm(x, 1), A, grad="grad"),
    _case("argmax", lambda x: E.argmax(x, 1), A),
    _case("argmin_bool", lambda x: E.argmin(x, 0, output_type=engine.int32), MASK),
    _case("cumsum", lambda x: E.cumsum(x, 1, exclusive=True, reverse=True), A, grad="grad"),
    _case("cumprod", lambda x: E.cumprod(x, 1), A, grad="grad"),
    _case("cumsum_int16", lambda x: E.cumsum(x, 0), INTS.astype(np.int16)),
    _case("clip_by_value", lambda x: E.clip_by_value(x, -0.5, 0.5), A, grad="grad"),
    _case("check_numerics", lambda x: engine.debugging.check_numerics(x, "ok"), A, grad="grad"),
    # --- activations and losses ---
    _case("relu", NN.relu, A, grad="grad2"),
    _case("relu6", lambda x: NN.relu6(x * 8), A, grad="grad2"),
    _case("leaky_relu", NN.leaky_relu, A, grad="grad2"),
    *[_case(f.__name__, f, A, grad="grad") for f in (
        NN.elu, NN.selu, NN.gelu, NN.silu, NN.softsign, NN.softmax, NN.log_softmax)],
    _case("gelu_approximate", lambda x: NN.gelu(x, approximate=True), A, grad="grad"),
    _case("gelu_float16", NN.gelu, A.astype(np.float16)),
    _case("silu_beta", lambda x: NN.silu(x, beta=2.0), A, grad="grad"),
    _case("bias_add", NN.bias_add, A, B[0], grad="grad"),
    _case("bias_add_nchw", lambda x, b: NN.bias_add(x, b, data_format="NCHW"),
          IMG.transpose(0, 3, 1, 2), B[0, :3], grad="grad"),
    _case("sparse_softmax_cross_entropy", lambda y, x: NN.sparse_softmax_cross_entropy_with_logits(
        y, x), LABELS, A, grad="grad", wrt=[1]),
    _case("softmax_cross_entropy", lambda y, x: NN.softmax_cross_entropy_with_logits(y, x),
          PROBS, A, grad="grad"),
    _case("sigmoid_cross_entropy", lambda z, x: NN.sigmoid_cross_entropy_with_logits(z, x),
          TARGETS01, A, grad="grad"),
    _case("l2_loss", NN.l2_loss, A, grad="grad"),
    # --- convolution and pooling ---
    _case("conv2d", lambda x, w: NN.conv2d(x, w, 1, "SAME"), IMG, FILT, grad="grad2"),
    _case("conv2d_strided", lambda x, w: NN.conv2d(x, w, 2, "VALID"), IMG8, FILT8,
          grad="grad"),
    _case("conv2d_dilated", lambda x, w: NN.conv2d(x, w, 1, "SAME", dilations=2), IMG, FILT,
          grad="grad"),
    _case("conv2d_transpose", lambda x, w: NN.conv2d_transpose(x, w, [2, 6, 6, 3], 1, "SAME"),
          TRANS_IN, FILT, grad="grad"),
    _case("depthwise_conv2d", lambda x, w: NN.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"),
          IMG, DW, grad="grad2"),
    _case("max_pool2d", lambda x: NN.max_pool2d(x, 2, 2, "VALID"), IMG, grad="grad2"),
    _case("max_pool2d_overlapping", lambda x: NN.max_pool2d(x, 3, 1, "SAME"), IMG,
          grad="grad2"),
    _case("avg_pool2d", lambda x: NN.avg_pool2d(x, 3, 2, "SAME"), IMG, grad="grad2"),
    _case("image_projective_transform", lambda x: E.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=[[0.9, -0.2, 0.5, 0.3, 1.1, -0.4, 0.01, 0.02]],
        output_shape=[3, 4], fill_value=0.5, interpolation="BILINEAR", fill_mode="REFLECT"),
        np.arange(48, dtype=np.float32).reshape(2, 3, 4, 2)),
    _case("conv3d", lambda x, w: NN.conv3d(x, w, 1, "SAME"), VOL, FILT3, grad="grad2"),
    _case("max_pool3d", lambda x: NN.max_pool3d(x, 2, 2, "VALID"), VOL, grad="grad2"),
    _case("avg_pool3d", lambda x: NN.avg_pool3d(x, 3, 2, "SAME"), VOL, grad="grad2"),
    # --- matrices ---
    _case("matmul", E.matmul, A, B.T, grad="grad"),
    _case("matmul_batched", lambda a, b: E.matmul(a, b, transpose_b=True), IMG[..., 0],
          _f32(5, 6), grad="grad"),
    _case("einsum", lambda a, b: E.einsum("ij,kj->ik", a, b), A, B, grad="grad"),
    _case("einsum_diagonal", lambda a: E.einsum("bii->bi", a), SPD_BATCH, grad="grad"),
    _case("diag", lambda d: LA.diag(d, k=1), A, grad="grad"),
    _case("diag_part", LA.diag_part, IMG[..., 0], grad="grad"),
    _case("band_part", lambda x: LA.band_part(x, 1, 0), IMG[..., 0], grad="grad"),
    _case("inv", LA.inv, SPD_BATCH, grad="grad"),
    _case("inv_adjoint", lambda x: LA.inv(x, adjoint=True), SPD, grad="grad"),
    _case("det", LA.det, SPD_BATCH, grad="grad"),
    _case("slogdet", LA.slogdet, SPD_BATCH, grad="grad"),
    _case("solve", LA.solve, SPD_BATCH, RHS_BATCH, grad="grad"),
    _case("solve_broadcast", LA.solve, SPD, RHS_BATCH, grad="grad"),
    _case("cholesky", LA.cholesky, SPD_BATCH, grad="grad"),
    _case("cholesky_solve", lambda a, b: LA.cholesky_solve(LA.cholesky(a), b), SPD, RHS,
          grad="grad"),
    # --- gather and scatter ---
    _case("gather", E.gather, PARAMS, IDX, grad="grad"),
    _case("gather_batch_dims", lambda p, i: E.gather(p, i, axis=1, batch_dims=1),
          BATCH_PARAMS, BATCH_IDX, grad="grad"),
    _case("gather_axis2", lambda p, i: E.gather(p, i, axis=2), BATCH_PARAMS, IDX[1:],
          grad="grad"),
    _case("gather_nd", E.gather_nd, PARAMS, ND_IDX[:, :1], grad="grad"),
    _case("scatter_nd", lambda i, u: E.scatter_nd(i, u, [5, 4]), ROW_IDX, A, grad="grad"),
    _case("scatter_nd_int64", lambda i, u: E.scatter_nd(i, u, [5, 4]), ROW_IDX,
          INTS.astype(np.int64)),
    _case("scatter_nd_int8", lambda i, u: E.scatter_nd(i, u, [5, 4]), ROW_IDX,
          INTS.astype(np.int8)),
    _case("scatter_nd_bool", lambda i, u: E.scatter_nd(i, u, [5, 4]), ROW_IDX, MASK),
    _case("scatter_nd_complex", lambda i, u: E.scatter_nd(i, u, [5, 4]), ROW_IDX, CPLX),
    _case("tensor_scatter_nd_update", E.tensor_scatter_nd_update, _f32(5, 4),
          np.array([[3], [0]], np.int32), A[:2], grad="grad"),
    _case("tensor_scatter_nd_add", E.tensor_scatter_nd_add, _f32(5, 4), ROW_IDX, A,
          grad="grad"),
    _case("unsorted_segment_sum", lambda d, i: E.unsorted_segment_sum(d, i, 4), A[:, :3].T,
          SEG_IDS_NEG, grad="grad"),
    _case("unsorted_segment_sum_int64", lambda d, i: E.unsorted_segment_sum(d, i, 2),
          INTS[:, :3].astype(np.int64), SEG_IDS),
    _case("one_hot", lambda i: E.one_hot(i, 5, axis=0), IDX),
    _case("boolean_mask", E.boolean_mask, A, MASK, grad="grad", wrt=[0]),
    _case("repeat", lambda x: E.repeat(x, [1, 0, 2], axis=0), A, grad="grad"),
    # --- padding, tiling, slicing ---
    _case("pad", lambda x: E.pad(x, [[1, 0], [0, 2]], constant_values=0.5), A, grad="grad2"),
    _case("pad_reflect", lambda x: E.pad(x, [[2, 1], [1, 3]], "REFLECT"), A, grad="grad2"),
    _case("pad_symmetric", lambda x: E.pad(x, [[3, 0], [1, 4]], "SYMMETRIC"), A, grad="grad"),
    _case("tile", lambda x: E.tile(x, [2, 1]), A, grad="grad"),
    _case("split", lambda x: E.split(x, [1, -1], axis=1), A, grad="grad"),
    _case("reverse", lambda x: E.reverse(x, [0, 1]), A, grad="grad"),
    _case("roll", lambda x: E.roll(x, [1, -2], [0, 1]), A, grad="grad"),
    _case("getitem", lambda x: x[1:, ::-2], A, grad="grad2"),
    _case("getitem_shrink", lambda x: x[..., 2, None], IMG, grad="grad"),
    _case("strided_slice", lambda x: E.strided_slice(x, [0, 3], [0, 0], [1, -1], begin_mask=1,
                                                     end_mask=3), A, grad="grad"),
    _case("slice", lambda x: E.slice(x, [1, 0], [2, -1]), A, grad="grad"),
    _case("tensor_strided_slice_update", lambda x: E.tensor_strided_slice_update(
        x, [1, 0], [0, 0], [1, 2], x[1:, ::2] * 2.0, end_mask=3), A, grad="grad"),
    # --- unique, searching, shape checks, nn extras (array_extras, nn_extras) ---
    _case("unique", E.unique, INTS.ravel()),
    _case("unique_with_counts", lambda x: E.unique_with_counts(x, out_idx=engine.int64),
          np.round(A * 2).ravel()),
    _case("searchsorted", E.searchsorted, np.sort(A[0]), B[0]),
    _case("searchsorted_batched_right", lambda s, v: E.searchsorted(
        s, v, side="right", out_type=engine.int64), np.sort(np.round(A * 2), 1), np.round(B * 2)),
    _case("ensure_shape", lambda x: E.ensure_shape(x, [None, 4]), A, grad="grad"),
    _case("unravel_index", lambda i: E.unravel_index(i, [5, 4]), IDX),
    _case("histogram_fixed_width", lambda v: E.histogram_fixed_width(v, [-0.5, 0.5], 5), A),
    _case("embedding_lookup", lambda p: NN.embedding_lookup(p, IDX, max_norm=0.5), PARAMS,
          grad="grad"),
    _case("space_to_depth", lambda x: NN.space_to_depth(x, 2), IMG, grad="grad"),
    _case("depth_to_space", lambda x: NN.depth_to_space(x, 2), IMG8, grad="grad"),
    _case("weighted_moments", lambda x, w: NN.weighted_moments(x, [0], w), A, POS, grad="grad"),
    # --- signal ---
    _case("fft", lambda z: M.real(E.signal.fft(z)), CPLX, grad="grad"),
    _case("ifft", lambda z: M.imag(E.signal.ifft(z)), CPLX, grad="grad"),
    _case("fft2d", lambda z: M.real(E.signal.fft2d(z)), CPLX, grad="grad"),
    _case("ifft2d", lambda z: M.imag(E.signal.ifft2d(z)), CPLX, grad="grad"),
    _case("fft3d", lambda z: M.real(E.signal.fft3d(z[None])), CPLX, grad="grad"),
    _case("ifft3d", lambda z: M.imag(E.signal.ifft3d(z[None])), CPLX, grad="grad"),
    _case("rfft", lambda x: M.imag(E.signal.rfft(x, [6])), A, grad="grad"),
    _case("irfft", lambda z: E.signal.irfft(z, [5]), CPLX, grad="grad"),
    _case("rfft2d", lambda x: M.real(E.signal.rfft2d(x, [2, 5])), A, grad="grad"),
    _case("irfft2d", lambda z: E.signal.irfft2d(z, [3, 6]), CPLX, grad="grad"),
    # --- bitcast, nextafter, Bessel functions, realdiv, atrous conv (more_extras) ---
    _case("bitcast", lambda x: E.bitcast(x, E.uint8), A),
    _case("bitcast_wider", lambda x: E.bitcast(E.bitcast(x, E.uint16), E.float32), A),
    _case("nextafter", M.nextafter, A, B),
    _case("bessel_i0e", M.bessel_i0e, A * 3, grad="grad"),
    _case("bessel_i1e", M.bessel_i1e, A * 3, grad="grad2"),
    _case("bessel_i1", M.bessel_i1, A * 3, grad="grad"),
    _case("lbeta", M.lbeta, POS, grad="grad"),
    _case("angle", M.angle, CPLX),
    _case("realdiv", E.realdiv, A, POS, grad="grad"),
    _case("atrous_conv2d", lambda x, w: NN.atrous_conv2d(x, w, 2, "SAME"), IMG, FILT,
          grad="grad"),
    # --- assertions and cumulative_logsumexp (assert_ops, misc_extras) ---
    _case("assert", lambda x, y: engine.debugging.assert_less(x, y + 3.0) or x, A, B),
    _case("cumulative_logsumexp", lambda x: M.cumulative_logsumexp(x, 1), A, grad="grad"),
    _case("cumulative_logsumexp_exclusive_reverse", lambda x: M.cumulative_logsumexp(
        x, 0, exclusive=True, reverse=True), A, grad="grad"),
    # --- strings: CPU-only kernels (CuPy has no string arrays) ---
    _cpu_case("string_lower", lambda s: E.strings.lower(s, encoding="utf-8"), TEXT),
    _cpu_case("string_upper", E.strings.upper, TEXT),
    _cpu_case("string_strip", E.strings.strip, TEXT),
    _cpu_case("string_length", lambda s: E.strings.length(s, unit="UTF8_CHAR"), TEXT),
    _cpu_case("substr", lambda s: E.strings.substr(s, 0, 3), TEXT),
    _cpu_case("regex_replace", lambda s: E.strings.regex_replace(s, r"\s+", "_"), TEXT),
    _cpu_case("regex_full_match", lambda s: E.strings.regex_full_match(s, r"\w.*"), TEXT),
    _cpu_case("string_join", lambda s: E.strings.join([s, s], separator="|"), TEXT),
    _cpu_case("reduce_join", lambda s: E.strings.reduce_join(s, axis=-1, separator=" "), TEXT),
    _cpu_case("to_number", E.strings.to_number, NUMBER_TEXT),
    _cpu_case("to_hash_bucket_fast", lambda s: E.strings.to_hash_bucket_fast(s, 7), TEXT),
    _cpu_case("as_string", lambda x: E.strings.as_string(x, precision=2), A),
    _cpu_case("string_format", lambda x, s: E.strings.format("{}: {}", [x, s]), A, TEXT),
    _cpu_case("string_split", E.strings.split, WORD),
    _cpu_case("bytes_split", E.strings.bytes_split, WORD),
    _cpu_case("unicode_split", lambda s: E.strings.unicode_split(s, "UTF-8"), WORD),
    _cpu_case("ngrams", lambda s: E.strings.ngrams(s, 2), TEXT),
    # --- math_more, special_more, sparse segments, linalg_more, nn_more, image_more, strings_more
    _case("complex", lambda a, b: E.math.real(E.complex(a, b) * E.complex(b, a)), A, A,
          grad="grad"),
    _case("erfc", E.math.erfc, A, grad="grad"),
    _case("igamma", E.math.igamma, A + 2.0, A + 1.5, grad="grad", wrt=[1]),
    _case("igammac", E.math.igammac, A + 2.0, A + 1.5, grad="grad", wrt=[1]),
    _case("betainc", lambda a, b, x: E.math.betainc(a, b, x), A + 2.0, A + 3.0,
          (A + 1.0) / 2.5, grad="grad", wrt=[2]),
    _case("zeta", E.math.zeta, A + 3.0, A + 2.0, grad="grad", wrt=[1]),
    _case("tensor_scatter_nd_max", E.tensor_scatter_nd_max, _f32(5, 4), ROW_IDX, A,
          grad="grad"),
    _case("tensor_scatter_nd_min", E.tensor_scatter_nd_min, _f32(5, 4), ROW_IDX, A,
          grad="grad"),
    _cpu_case("broadcast_dynamic_shape", E.broadcast_dynamic_shape, np.array([1, 3]),
              np.array([4, 1])),
    _case("reverse_sequence", lambda x: E.reverse_sequence(x, [2, 4, 1], seq_axis=1), A,
          grad="grad"),
    _case("set_diag", lambda x, d: LA.set_diag(x, d, k=(-1, 1)), A, _f32(3, 3), grad="grad"),
    _case("expm", LA.expm, SPD, grad="grad"),
    _case("pinv", LA.pinv, A, grad="grad"),
    _case("lu", lambda x: LA.lu(x)[0], SPD, grad="grad"),
    # --- linalg_decompositions, linalg_eigen, linalg_triangular, linalg_functions: signs and
    # phases of vectors are not unique (cuSOLVER's may differ from LAPACK's): compare |u|.
    _case("svd", lambda x: _unsigned(LA.svd(x)), A, grad="grad"),
    _case("svd_values", lambda x: LA.svd(x, compute_uv=False), A.T, grad="grad"),
    _case("qr", lambda x: _unsigned(LA.qr(x)), A.T, grad="grad"),
    _case("eigh", lambda x: _unsigned(LA.eigh(x)), SPD_BATCH, grad="grad"),
    _case("eigvalsh", LA.eigvalsh, SPD, grad="grad"),
    _case("eig", lambda x: (E.sort(M.real(LA.eigvals(x))),
                            E.reduce_sum(E.abs(LA.eig(x)[1]) ** 2, axis=-2)), SPD),
    _case("triangular_solve", LA.triangular_solve, SPD_BATCH, RHS_BATCH, grad="grad"),
    _case("triangular_solve_upper_adjoint",
          lambda a, b: LA.triangular_solve(a, b, lower=False, adjoint=True), SPD, RHS_BATCH,
          grad="grad"),
    _case("lstsq", LA.lstsq, A.T, B.T, grad="grad"),
    _case("lstsq_wide_l2", lambda a, b: LA.lstsq(a, b, l2_regularizer=0.1), A, B, grad="grad"),
    _case("lstsq_svd", lambda a, b: LA.lstsq(a, b, fast=False), A.T, B.T),
    _case("sqrtm", LA.sqrtm, SPD_BATCH, grad="grad"),
    _case("logm", lambda x: LA.logm(M.cast(x, E.complex128)), SPD),
    _case("max_pool_with_argmax", lambda x: E.nn.max_pool_with_argmax(x, 2, 2, "SAME"), IMG,
          grad="grad"),
    _cpu_case("non_max_suppression", lambda b, s: E.image.non_max_suppression(b, s, 2),
              _f32(4, 4), _f32(4)),
    _cpu_case("draw_bounding_boxes", lambda x, b: E.image.draw_bounding_boxes(
        x, b, [[1.0, 0.0, 0.5]]), IMG, np.array([[[0.1, 0.2, 0.7, 0.9]], [[-0.2, 0.0, 0.5, 1.2]]],
                                                np.float32)),
    _cpu_case("unicode_decode", lambda s: E.strings.unicode_decode(s, "UTF-8"), WORD),
    _cpu_case("unicode_encode", lambda c: E.strings.unicode_encode(c, "UTF-8"),
              np.array([[104, 233], [97, 98]], np.int32)),
    _cpu_case("to_hash_bucket_strong", lambda s: E.strings.to_hash_bucket_strong(s, 7, [1, 2]),
              TEXT),
    _cpu_case("to_hash_bucket", lambda s: E.strings.to_hash_bucket(s, 7), TEXT),
    _cpu_case("unsorted_segment_join", lambda s: E.strings.unsorted_segment_join(s, [1, 0], 2),
              TEXT),
    # --- lookup tables (engine.lookup): each case builds its own table ---
    _cpu_case("initialize_table", lambda k, v: _static_table(k, v).size(), VOCAB, IDS),
    _cpu_case("lookup_table_find", lambda k, v: _static_table(k, v).lookup(TEXT), VOCAB, IDS),
    _cpu_case("lookup_table_insert", lambda k, v: _mutable_table(k, v).size(), VOCAB, IDS),
    _cpu_case("lookup_table_remove", lambda k, v: _mutable_table(k, v, remove=k[:1]).size(),
              VOCAB, IDS),
    _cpu_case("lookup_table_size", lambda k, v: _static_table(k, v).size(), VOCAB, IDS),
    _cpu_case("lookup_table_export", lambda k, v: _mutable_table(k, v).export(), VOCAB, IDS),
    # --- add_n, zero-safe ops, segment reductions, special functions (math_extras...) ---
    _case("add_n", lambda x, y: M.add_n([x, y, x]), A, B, grad="grad"),
    _case("divide_no_nan", M.divide_no_nan, A, np.where(MASK, B, 0), grad="grad2"),
    _case("multiply_no_nan", M.multiply_no_nan, NONFINITE, np.where(MASK, B, 0), grad="grad"),
    _case("xlogy", M.xlogy, np.where(MASK, A, 0), POS, grad="grad2"),
    _case("xdivy", M.xdivy, np.where(MASK, A, 0), POS, grad="grad"),
    _case("xlog1py", M.xlog1py, np.where(MASK, A, 0), POS, grad="grad"),
    _case("unsorted_segment_max", lambda d, i: M.unsorted_segment_max(d, i, 2), A[:, :3].T,
          SEG_IDS, grad="grad"),
    _case("unsorted_segment_min", lambda d, i: M.unsorted_segment_min(d, i, 2), A[:, :3].T,
          SEG_IDS, grad="grad"),
    _case("unsorted_segment_max_empty", lambda d, i: M.unsorted_segment_max(d, i, 4),
          INTS[:, :3].T, SEG_IDS_NEG),
    _case("unsorted_segment_prod", lambda d, i: M.unsorted_segment_prod(d, i, 4), A[:, :3].T,
          SEG_IDS_NEG, grad="grad2"),
    _case("segment_max_sorted", lambda d: M.segment_max(d, [0, 0, 1, 1, 1, 3]), _f32(6, 2),
          grad="grad"),
    _case("lgamma", M.lgamma, A * 3, grad="grad"),
    _case("digamma", M.digamma, POS, grad="grad2"),
    _case("polygamma", M.polygamma, np.full((3, 4), 2.0, np.float32), POS - 3, grad="grad",
          wrt=[1]),
    _case("erfinv", M.erfinv, UNIT, grad="grad"),
    _case("ndtri", M.ndtri, (UNIT + 1) / 2, grad="grad"),
    # --- sorting ---
    _case("top_k", lambda x: M.top_k(x, 2), A, grad="grad2"),
    _case("top_k_partial", lambda x: M.top_k(x, 3), WIDE, grad="grad"),
    _case("top_k_partial_ties", lambda x: M.top_k(x, 3, sorted=False), np.round(WIDE * 2),
          grad="grad"),
    _case("top_k_nan", lambda x: M.top_k(x, 2), NONFINITE),
    _case("sort", lambda x: E.sort(x, axis=0), A, grad="grad"),
    _case("sort_int_descending", lambda x: E.sort(x, direction="DESCENDING"), INTS),
    _case("argsort", lambda x: E.argsort(x, direction="DESCENDING"), np.round(A * 2)),
    _case("in_top_k", lambda t, p: M.in_top_k(t, p, 2), LABELS, A),
    # --- recurrent sequences (the gradients reach LSTMSequenceGrad and GRUSequenceGrad) ---
    _case("lstm_sequence", rnn_ops.lstm_sequence, _f32(2, 3, 4), _f32(2, 5), _f32(2, 5),
          _f32(4, 20), _f32(5, 20), _f32(20), grad="grad"),
    _case("lstm_sequence_masked", lambda *a: rnn_ops.lstm_sequence(*a[:6], mask=a[6],
                                                                   time_major=True),
          _f32(3, 2, 4), _f32(2, 5), _f32(2, 5), _f32(4, 20), _f32(5, 20), _f32(20),
          np.array([[True, True], [False, True], [True, False]]), grad="grad"),
    _case("gru_sequence", lambda *a: rnn_ops.gru_sequence(*a[:5], mask=a[5]), _f32(2, 3, 4),
          _f32(2, 5), _f32(4, 15), _f32(5, 15), _f32(2, 15),
          np.array([[True, False, True], [True, True, True]]), grad="grad"),
    # --- random numbers (drawn on the host: the same numbers on CPU and GPU) ---
    _case("random_normal", _seeded(lambda: RND.normal([3, 4], seed=1))),
    _case("random_uniform", _seeded(lambda: RND.uniform([3, 4], seed=2))),
    _case("random_uniform_int", _seeded(lambda: RND.uniform([5], 0, 10, engine.int32, seed=3))),
    _case("truncated_normal", _seeded(lambda: RND.truncated_normal([3, 4], seed=4))),
    _case("categorical", _seeded(lambda x: RND.categorical(x, 5, seed=5)), A),
    _case("shuffle", _seeded(lambda x: RND.shuffle(x, seed=6)), A),
    _case("gamma", _seeded(lambda a: RND.gamma([3], a, seed=7)), POS[0]),
    _case("poisson", _seeded(lambda r: RND.poisson([3], r, seed=8)), POS[0]),
    _case("dropout", _seeded(lambda x: NN.dropout(x, 0.5, seed=9)), A),
    _case("stateless_normal", lambda: RND.stateless_normal([3, 4], [1, 2])),
    _case("stateless_uniform", lambda: RND.stateless_uniform([3, 4], [1, 2])),
    _case("stateless_uniform_int", lambda: RND.stateless_uniform(
        [5], [1, 2], minval=0, maxval=10, dtype=engine.int32)),
    _case("stateless_uniform_full_int", lambda: RND.stateless_uniform(
        [5], [1, 2], minval=None, maxval=None, dtype=engine.int64)),
    _case("stateless_truncated_normal", lambda: RND.stateless_truncated_normal([3, 4], [1, 2])),
    _case("stateless_categorical", lambda x: RND.stateless_categorical(x, 5, [1, 2]), A),
    _case("stateless_gamma", lambda a: RND.stateless_gamma([3, *a.shape], [1, 2], a), POS[0]),
    _case("stateless_poisson", lambda r: RND.stateless_poisson([3, *r.shape], [1, 2], r), POS[0]),
    _case("generator", lambda: _generator_draws(RND.Generator.from_seed(7))),
    # --- misc_more, special_functions, signal_more, random_more ---
    _case("truncatediv", E.truncatediv, INTS, DIVISORS),
    _case("truncatemod", E.truncatemod, A, POS),
    _case("left_shift", lambda x, y: E.bitwise.left_shift(x, y % 4), INTS, DIVISORS),
    _case("right_shift", lambda x, y: E.bitwise.right_shift(x, y % 4), INTS, DIVISORS),
    _case("invert_permutation", M.invert_permutation, np.array([2, 0, 3, 1], np.int32)),
    *[_case(n, getattr(M.special, n), POS * 3, grad="grad") for n in (
        "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "bessel_k0e", "bessel_k1e", "dawsn",
        "expint", "spence")],
    # the Fresnel integrands' phase pi x^2 / 2 magnifies input rounding: keep x small
    _case("fresnel_cos", M.special.fresnel_cos, POS, grad="grad"),
    _case("fresnel_sin", M.special.fresnel_sin, POS, grad="grad"),
    _case("rfft3d", lambda x: M.real(E.signal.rfft3d(x[None], [1, 3, 6])), A, grad="grad"),
    _case("irfft3d", lambda z: E.signal.irfft3d(z[None], [1, 3, 6]), CPLX, grad="grad"),
    _case("stateless_binomial", lambda p: RND.stateless_binomial([3, 4], [1, 2], 5.0, p),
          (UNIT + 1) / 2),
]


def _generator_draws(gen):
    return (gen.normal([3]), gen.uniform([3]), gen.uniform([3], 0, 10, dtype=engine.int32),
            gen.uniform_full_int([3]), gen.truncated_normal([3]))
