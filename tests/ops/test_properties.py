"""Property tests: every op family over generated shapes, axes, keys and dtypes.

The op tables in the other test files use fixed shapes; here hypothesis draws the shapes
(broadcasting included), the axes, the indices and the attributes. Each example checks
the forward pass against NumPy in float64 and float32 and the float64 gradient against
central finite differences (`tests/opcheck.py`).

Values come from a NumPy generator seeded by hypothesis and stay inside each op's
well-conditioned domain: away from kinks, ties, poles and branch cuts, so the finite
differences are accurate. The settings are derandomized and use no example database, so
every run, locally and in CI, draws the same examples.
"""

import math

import numpy as np
import scipy.special
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine import nest, nn
from tests.opcheck import check_forward, check_grad

# Reproducible: the same examples on every run, nothing read from or written to a database.
SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

seeds = st.integers(0, 2**32 - 1)


def check(fn, ref, arrays, kwargs=None, grad=True, wrt=None, rtol32=None, atol32=None):
    """`check_op` with separate float32 tolerances. Without float inputs: the forward pass
    only, and the output dtypes must equal the reference's (int32 stays int32)."""
    arrays = [np.asarray(a) for a in arrays]
    kwargs = kwargs or {}
    if any(a.dtype.kind == "f" for a in arrays):
        check_forward(fn, ref, arrays, kwargs, dtypes=("float64",))
        check_forward(fn, ref, arrays, kwargs, dtypes=("float32",), rtol=rtol32, atol=atol32)
        if grad:
            check_grad(fn, arrays, kwargs, wrt=wrt)
        return
    check_forward(fn, ref, arrays, kwargs)
    got = nest.flatten(fn(*[engine.constant(a) for a in arrays], **kwargs))
    expected = nest.flatten(ref(*arrays, **kwargs))
    assert [np.asarray(g).dtype for g in got] == [np.asarray(e).dtype for e in expected]


# --- value generators: each keeps its op well conditioned ---------------------------------
def normal(rng, shape):
    return rng.standard_normal(shape)


def uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def signed(lo, hi):
    """|x| in [lo, hi] with a random sign: away from zero."""
    return lambda rng, shape: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def off_grid(rng, shape):
    """Away from integers and half-integers (floor, ceil, round jump there)."""
    return rng.integers(-4, 4, shape) + rng.choice([0.15, 0.35, 0.65, 0.85], shape)


def grid(offset):
    """Multiples of 0.2 shifted by `offset`: grid(0) and grid(0.5) never come within 0.1."""
    return lambda rng, shape: (rng.integers(-10, 10, shape) + offset) * 0.2


def distinct(rng, shape):
    """All values different, at least 0.25 apart: no ties for max, min, argmax, pooling."""
    size = math.prod(shape)
    return ((rng.permutation(size) - size / 2) * 0.25).reshape(shape)


def away_from_kinks(*kinks):
    """Normal values times 3, moved at least 0.15 away from each of `kinks`."""
    def gen(rng, shape):
        x = rng.standard_normal(shape) * 3
        for k in kinks:
            x = np.where(np.abs(x - k) < 0.15, k + np.where(x < k, -0.15, 0.15), x)
        return x
    return gen


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# --- unary elementwise ------------------------------------------------------------------
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
UNARY = {  # name: (engine function, NumPy reference, input generator)
    "negative": (engine.negative, np.negative, normal),
    "abs": (engine.abs, np.abs, signed(0.1, 3)),
    "sign": (engine.sign, np.sign, signed(0.1, 3)),
    "exp": (engine.exp, np.exp, normal),
    "expm1": (engine.math.expm1, np.expm1, normal),
    "log": (engine.math.log, np.log, uniform(0.2, 5)),
    "log1p": (engine.math.log1p, np.log1p, uniform(-0.8, 5)),
    "sqrt": (engine.sqrt, np.sqrt, uniform(0.2, 5)),
    "rsqrt": (engine.math.rsqrt, lambda x: 1 / np.sqrt(x), uniform(0.2, 5)),
    "square": (engine.square, np.square, normal),
    "reciprocal": (engine.math.reciprocal, np.reciprocal, signed(0.3, 3)),
    "sin": (engine.sin, np.sin, normal),
    "cos": (engine.cos, np.cos, normal),
    "tan": (engine.tan, np.tan, uniform(-1.2, 1.2)),
    "asin": (engine.math.asin, np.arcsin, uniform(-0.9, 0.9)),
    "acos": (engine.math.acos, np.arccos, uniform(-0.9, 0.9)),
    "atan": (engine.math.atan, np.arctan, normal),
    "sinh": (engine.math.sinh, np.sinh, normal),
    "cosh": (engine.math.cosh, np.cosh, normal),
    "tanh": (engine.tanh, np.tanh, normal),
    "asinh": (engine.math.asinh, np.arcsinh, normal),
    "acosh": (engine.math.acosh, np.arccosh, uniform(1.1, 4)),
    "atanh": (engine.math.atanh, np.arctanh, uniform(-0.9, 0.9)),
    "sigmoid": (engine.sigmoid, np_sigmoid, normal),
    "softplus": (engine.math.softplus, lambda x: np.logaddexp(0, x), normal),
    "erf": (engine.math.erf, scipy.special.erf, normal),
    "floor": (engine.floor, np.floor, off_grid),
    "ceil": (engine.math.ceil, np.ceil, off_grid),
    "round": (engine.round, np.round, off_grid),
    "relu": (nn.relu, lambda x: np.maximum(x, 0), away_from_kinks(0)),
    "relu6": (nn.relu6, lambda x: np.clip(x, 0, 6), away_from_kinks(0, 6)),
    "elu": (nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), away_from_kinks(0)),
    "selu": (nn.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
             away_from_kinks(0)),
    "gelu": (nn.gelu, lambda x: 0.5 * x * (1 + scipy.special.erf(x / np.sqrt(2))), normal),
    "leaky_relu": (nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), away_from_kinks(0)),
    "silu": (nn.silu, lambda x: x * np_sigmoid(x), normal),
    "softsign": (nn.softsign, lambda x: x / (1 + np.abs(x)), signed(0.1, 3)),
}


@settings(SETTINGS, max_examples=400)
@given(name=st.sampled_from(sorted(UNARY)),
       shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), seed=seeds)
def test_unary_elementwise(name, shape, seed):
    fn, ref, gen = UNARY[name]
    x = gen(np.random.default_rng(seed), shape)
    check(fn, ref, [x])


# --- binary elementwise, broadcasting -----------------------------------------------------
def mod_x(rng, shape):
    """Integers plus 1/4 or 3/4: divided by mod_y's values never within 1/8 of an integer,
    where floordiv and floormod jump."""
    return rng.integers(-5, 5, shape) + rng.choice([0.25, 0.75], shape)


def mod_y(rng, shape):
    return rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], shape)


BINARY = {  # name: (engine function, NumPy reference, x generator, y generator)
    "add": (engine.add, np.add, normal, normal),
    "subtract": (engine.subtract, np.subtract, normal, normal),
    "multiply": (engine.multiply, np.multiply, normal, normal),
    "divide": (engine.divide, np.divide, normal, signed(0.5, 2)),
    "truediv": (engine.truediv, np.true_divide, normal, signed(0.5, 2)),
    "pow": (engine.pow, np.power, uniform(0.5, 2), uniform(-2, 2)),
    # Negative bases with integral exponents; x ** (y + eps) is nan there, so only dx.
    "pow_integral_exponent": (engine.pow, np.power, signed(0.5, 2),
                              lambda rng, shape: rng.integers(-3, 4, shape).astype(float)),
    "maximum": (engine.maximum, np.maximum, grid(0), grid(0.5)),
    "minimum": (engine.minimum, np.minimum, grid(0), grid(0.5)),
    "squared_difference": (engine.math.squared_difference, lambda x, y: (x - y) ** 2,
                           normal, normal),
    "atan2": (engine.math.atan2, np.arctan2, signed(0.5, 2), normal),
    "floordiv": (engine.floordiv, np.floor_divide, mod_x, mod_y),
    "floormod": (engine.floormod, np.mod, mod_x, mod_y),
    "mod": (engine.math.mod, np.mod, mod_x, mod_y),
}


@settings(SETTINGS, max_examples=400)
@given(name=st.sampled_from(sorted(BINARY)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                max_side=3),
       swap=st.booleans(), seed=seeds)
def test_binary_elementwise_broadcasting(name, shapes, swap, seed):
    rng = np.random.default_rng(seed)
    x_shape, y_shape = shapes.input_shapes[::-1] if swap else shapes.input_shapes
    fn, ref, gx, gy = BINARY[name]
    x, y = gx(rng, x_shape), gy(rng, y_shape)
    check(fn, ref, [x, y], grad=name != "floordiv",
          wrt=[0] if name == "pow_integral_exponent" else None)


INT_BINARY = {
    "add": (engine.add, np.add), "subtract": (engine.subtract, np.subtract),
    "multiply": (engine.multiply, np.multiply), "maximum": (engine.maximum, np.maximum),
    "minimum": (engine.minimum, np.minimum), "floordiv": (engine.floordiv, np.floor_divide),
    "floormod": (engine.floormod, np.mod), "equal": (engine.equal, np.equal),
    "less": (engine.less, np.less), "greater_equal": (engine.greater_equal, np.greater_equal),
}


@settings(SETTINGS, max_examples=120)
@given(name=st.sampled_from(sorted(INT_BINARY)), dtype=st.sampled_from(["int32", "int64"]),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=0,
                                                max_side=3), seed=seeds)
def test_integer_binary_broadcasting(name, dtype, shapes, seed):
    rng = np.random.default_rng(seed)
    fn, ref = INT_BINARY[name]
    x = rng.integers(-20, 20, shapes.input_shapes[0]).astype(dtype)
    y = (rng.integers(1, 6, shapes.input_shapes[1]) * rng.choice([-1, 1])).astype(dtype)
    check(fn, ref, [x, y])


@settings(SETTINGS, max_examples=120)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4,
                                                max_side=3), seed=seeds)
def test_where_broadcasts_condition_and_branches(shapes, seed):
    rng = np.random.default_rng(seed)
    c_shape, x_shape, y_shape = shapes.input_shapes
    cond = rng.random(c_shape) < 0.5
    x, y = normal(rng, x_shape), normal(rng, y_shape)
    check(lambda c, a, b: engine.where(c, a, b), np.where, [cond, x, y])


# --- reductions ---------------------------------------------------------------------------
@st.composite
def shapes_and_axes(draw, min_dims=0, max_side=4):
    """A shape and an axis argument: None, an int (maybe negative) or a tuple of ints."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=1,
                                  max_side=max_side))
    rank = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"])) if rank else "none"
    if kind == "int":
        return shape, draw(st.integers(-rank, rank - 1))
    if kind == "tuple":
        return shape, tuple(draw(st.lists(st.integers(-rank, rank - 1), max_size=rank,
                                          unique_by=lambda a: a % rank)))
    return shape, None


def reduced_count(shape, axis):
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def np_logsumexp(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def np_euclidean_norm(x, axis=None, keepdims=False):
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


REDUCTIONS = {  # name: (engine function, NumPy reference, input generator)
    "sum": (engine.reduce_sum, np.sum, normal),
    "mean": (engine.reduce_mean, np.mean, normal),
    "max": (engine.reduce_max, np.max, distinct),
    "min": (engine.reduce_min, np.min, distinct),
    "prod": (engine.reduce_prod, np.prod, signed(0.7, 1.3)),
    "logsumexp": (engine.reduce_logsumexp, np_logsumexp, normal),
    "std": (engine.reduce_std, np.std, normal),
    "variance": (engine.reduce_variance, np.var, normal),
    "euclidean_norm": (engine.reduce_euclidean_norm, np_euclidean_norm, signed(0.2, 2)),
}


@settings(SETTINGS, max_examples=400)
@given(name=st.sampled_from(sorted(REDUCTIONS)), case=shapes_and_axes(max_side=3),
       keepdims=st.booleans(), seed=seeds)
def test_reductions_over_random_axes(name, case, keepdims, seed):
    shape, axis = case
    fn, ref, gen = REDUCTIONS[name]
    x = gen(np.random.default_rng(seed), shape)
    # The standard deviation of one value is 0, where sqrt has no derivative.
    grad = name != "std" or reduced_count(shape, axis) > 1
    check(lambda t: fn(t, axis=axis, keepdims=keepdims),
          lambda a: ref(a, axis=axis, keepdims=keepdims), [x], grad=grad, atol32=1e-5)


INT_REDUCTIONS = {"sum": (engine.reduce_sum, np.sum), "prod": (engine.reduce_prod, np.prod),
                  "max": (engine.reduce_max, np.max), "min": (engine.reduce_min, np.min)}


@settings(SETTINGS, max_examples=120)
@given(name=st.sampled_from(sorted(INT_REDUCTIONS)), dtype=st.sampled_from(["int32", "int64"]),
       case=shapes_and_axes(max_side=3), keepdims=st.booleans(), seed=seeds)
def test_integer_reductions_keep_dtype(name, dtype, case, keepdims, seed):
    shape, axis = case
    fn, ref = INT_REDUCTIONS[name]
    x = np.random.default_rng(seed).integers(-2, 3, shape).astype(dtype)  # |prod| < 2**31
    out = fn(engine.constant(x), axis=axis, keepdims=keepdims)
    assert out.dtype == engine.as_dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), ref(x, axis=axis, keepdims=keepdims))


def np_scan(x, axis, exclusive, reverse, kind):
    """TF's cumsum/cumprod: `exclusive` shifts in the identity, `reverse` scans from the end."""
    if reverse:
        x = np.flip(x, axis)
    out = np.cumsum(x, axis) if kind == "sum" else np.cumprod(x, axis)
    if exclusive:
        identity = np.zeros_like if kind == "sum" else np.ones_like
        first = identity(np.take(out, [0], axis))
        out = np.concatenate([first, np.take(out, range(out.shape[axis] - 1), axis)], axis)
    return np.flip(out, axis) if reverse else out


@settings(SETTINGS, max_examples=180)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       kind=st.sampled_from(["sum", "prod"]), exclusive=st.booleans(), reverse=st.booleans(),
       data=st.data(), seed=seeds)
def test_cumsum_cumprod(shape, kind, exclusive, reverse, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    fn = engine.cumsum if kind == "sum" else engine.cumprod
    x = signed(0.5, 1.5)(np.random.default_rng(seed), shape)
    check(lambda t: fn(t, axis=axis, exclusive=exclusive, reverse=reverse),
          lambda a: np_scan(a, axis, exclusive, reverse, kind), [x])


@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
       which=st.sampled_from(["argmax", "argmin"]),
       dtype=st.sampled_from(["float32", "float64", "int32", "int64"]),
       output_type=st.sampled_from([engine.int32, engine.int64]), data=st.data(), seed=seeds)
def test_argmax_argmin(shape, which, dtype, output_type, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    x = (distinct(np.random.default_rng(seed), shape) * 4).astype(dtype)
    out = getattr(engine, which)(engine.constant(x), axis=axis, output_type=output_type)
    assert out.dtype == output_type
    np.testing.assert_array_equal(out.numpy(), getattr(np, which)(x, axis=axis))


# --- matmul, einsum, tensordot ------------------------------------------------------------
@settings(SETTINGS, max_examples=180)
@given(batch=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                               max_side=3),
       mkn=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
       transpose_a=st.booleans(), transpose_b=st.booleans(), adjoint=st.booleans(),
       seed=seeds)
def test_matmul_batch_broadcasting_and_transposes(batch, mkn, transpose_a, transpose_b,
                                                  adjoint, seed):
    rng = np.random.default_rng(seed)
    m, k, n = mkn
    a = normal(rng, batch.input_shapes[0] + ((k, m) if transpose_a else (m, k)))
    b = normal(rng, batch.input_shapes[1] + ((n, k) if transpose_b else (k, n)))
    flags = ({"adjoint_a": transpose_a, "adjoint_b": transpose_b} if adjoint
             else {"transpose_a": transpose_a, "transpose_b": transpose_b})

    def ref(x, y):
        return np.matmul(np.swapaxes(x, -1, -2) if transpose_a else x,
                         np.swapaxes(y, -1, -2) if transpose_b else y)

    check(lambda x, y: engine.matmul(x, y, **flags), ref, [a, b])


LETTERS = "abcdef"


@st.composite
def einsum_cases(draw):
    """An equation over 1-3 operands and matching shapes. Labels may repeat inside an operand
    (a diagonal), operands may start with `...` (broadcast batch dimensions), and the output
    may be implicit (no `->`: the labels that appear once, sorted)."""
    sizes = dict(zip(LETTERS, draw(st.lists(st.integers(1, 3), min_size=6, max_size=6))))
    n = draw(st.integers(1, 3))
    terms = ["".join(draw(st.lists(st.sampled_from(LETTERS), max_size=4))) for _ in range(n)]
    used = sorted(set("".join(terms)))
    out = "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
    batch = [()] * n
    if draw(st.booleans()):
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=2, max_side=3))
        batch = list(shapes.input_shapes)
        terms, out = ["..." + t for t in terms], "..." + out
    equation = ",".join(terms) + ("" if draw(st.booleans()) else "->" + out)
    shapes = [b + tuple(sizes[c] for c in t.lstrip(".")) for b, t in zip(batch, terms)]
    return equation, shapes


@settings(SETTINGS, max_examples=200)
@given(case=einsum_cases(), seed=seeds)
def test_einsum_generated_equations(case, seed):
    equation, shapes = case
    rng = np.random.default_rng(seed)
    arrays = [normal(rng, s) for s in shapes]
    check(lambda *ts: engine.einsum(equation, *ts),
          lambda *xs: np.einsum(equation, *xs), arrays, rtol32=1e-4, atol32=1e-5)


@st.composite
def tensordot_cases(draw):
    contracted = draw(st.lists(st.integers(1, 3), max_size=3))
    free_a = draw(st.lists(st.integers(1, 3), max_size=2))
    free_b = draw(st.lists(st.integers(1, 3), max_size=2))
    if draw(st.booleans()):  # the integer form: a's last n axes with b's first n
        return tuple(free_a + contracted), tuple(contracted + free_b), len(contracted)
    n = len(contracted)
    pos_a = draw(st.permutations(range(n + len(free_a))))
    pos_b = draw(st.permutations(range(n + len(free_b))))
    a_shape, b_shape = [0] * len(pos_a), [0] * len(pos_b)
    for size, pa, pb in zip(contracted, pos_a, pos_b):
        a_shape[pa], b_shape[pb] = size, size
    for size, pa in zip(free_a, pos_a[n:]):
        a_shape[pa] = size
    for size, pb in zip(free_b, pos_b[n:]):
        b_shape[pb] = size
    negate = draw(st.booleans())
    axes_a = [p - len(pos_a) if negate else p for p in pos_a[:n]]
    return tuple(a_shape), tuple(b_shape), [axes_a, list(pos_b[:n])]


@settings(SETTINGS, max_examples=120)
@given(case=tensordot_cases(), seed=seeds)
def test_tensordot(case, seed):
    a_shape, b_shape, axes = case
    rng = np.random.default_rng(seed)
    check(lambda x, y: engine.tensordot(x, y, axes),
          lambda x, y: np.tensordot(x, y, axes), [normal(rng, a_shape), normal(rng, b_shape)],
          atol32=1e-5)


# --- shape ops ----------------------------------------------------------------------------
small_shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3)


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


@settings(SETTINGS, max_examples=120)
@given(shape=small_shapes, data=st.data(), seed=seeds)
def test_reshape_with_inferred_dimension(shape, data, seed):
    rest, new_shape = math.prod(shape), []
    for _ in range(data.draw(st.integers(0, 3), label="rank - 1")):
        new_shape.append(data.draw(st.sampled_from(divisors(rest))))
        rest //= new_shape[-1]
    new_shape.append(rest)
    new_shape = data.draw(st.permutations(new_shape), label="new shape")
    if data.draw(st.booleans(), label="use -1"):
        new_shape[data.draw(st.integers(0, len(new_shape) - 1))] = -1
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.reshape(t, new_shape), lambda a: np.reshape(a, new_shape), [x])


@settings(SETTINGS, max_examples=120)
@given(shape=small_shapes, data=st.data(), seed=seeds)
def test_transpose_random_permutation(shape, data, seed):
    perm = data.draw(st.permutations(range(len(shape))), label="perm")
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.transpose(t, perm), lambda a: np.transpose(a, perm), [x])


@settings(SETTINGS, max_examples=120)
@given(shape=small_shapes, data=st.data(), seed=seeds)
def test_expand_dims_then_squeeze(shape, data, seed):
    rank = len(shape)
    axis = data.draw(st.integers(-rank - 1, rank), label="expand axis")
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.expand_dims(t, axis), lambda a: np.expand_dims(a, axis), [x])
    y = np.expand_dims(x, axis)
    ones = [i for i, d in enumerate(y.shape) if d == 1]
    squeeze = None
    if data.draw(st.booleans(), label="squeeze given axes"):
        picked = data.draw(st.lists(st.sampled_from(ones), unique=True, min_size=1))
        squeeze = [a - y.ndim if data.draw(st.booleans()) else a for a in picked]
    check(lambda t: engine.squeeze(t, squeeze),
          lambda a: np.squeeze(a, None if squeeze is None else tuple(squeeze)), [y])


@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
       sizes=st.lists(st.integers(0, 3), min_size=1, max_size=3), data=st.data(), seed=seeds)
def test_concat_along_random_axis(shape, sizes, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    rng = np.random.default_rng(seed)
    parts = []
    for size in sizes:
        part_shape = list(shape)
        part_shape[axis] = size
        parts.append(normal(rng, part_shape))
    check(lambda *ts: engine.concat(list(ts), axis),
          lambda *xs: np.concatenate(xs, axis), parts)


@settings(SETTINGS, max_examples=120)
@given(shape=small_shapes, n=st.integers(1, 3), data=st.data(), seed=seeds)
def test_stack_and_unstack_along_random_axis(shape, n, data, seed):
    rank = len(shape)
    axis = data.draw(st.integers(-rank - 1, rank), label="stack axis")
    rng = np.random.default_rng(seed)
    parts = [normal(rng, shape) for _ in range(n)]
    check(lambda *ts: engine.stack(list(ts), axis), lambda *xs: np.stack(xs, axis), parts)
    x = np.stack(parts, axis)
    check(lambda t: engine.unstack(t, axis=axis),
          lambda a: list(np.moveaxis(a, axis, 0)), [x])


@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
       data=st.data(), seed=seeds)
def test_split_along_random_axis(shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    dim = shape[axis]
    if data.draw(st.booleans(), label="equal parts"):
        splits = offsets = data.draw(st.sampled_from(divisors(dim)), label="num")
    else:
        cuts = sorted(data.draw(st.lists(st.integers(0, dim), max_size=3), label="cuts"))
        sizes = np.diff([0, *cuts, dim]).tolist()
        offsets = cuts
        if data.draw(st.booleans(), label="one -1"):
            sizes[data.draw(st.integers(0, len(sizes) - 1))] = -1
        splits = sizes
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.split(t, splits, axis=axis),
          lambda a: np.split(a, offsets, axis=axis), [x])


@settings(SETTINGS, max_examples=120)
@given(shape=small_shapes, data=st.data(), seed=seeds)
def test_tile(shape, data, seed):
    multiples = data.draw(st.lists(st.integers(0, 3), min_size=len(shape),
                                   max_size=len(shape)), label="multiples")
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.tile(t, multiples), lambda a: np.tile(a, multiples), [x])


@settings(SETTINGS, max_examples=180)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       mode=st.sampled_from(["CONSTANT", "REFLECT", "SYMMETRIC"]), data=st.data(),
       value=st.sampled_from([0.0, -1.5, 2.0]), seed=seeds)
def test_pad_three_modes(shape, mode, data, value, seed):
    # REFLECT mirrors without the edge (pads < dim), SYMMETRIC with it (pads <= dim).
    limit = {"CONSTANT": lambda d: 3, "REFLECT": lambda d: d - 1, "SYMMETRIC": lambda d: d}
    paddings = [data.draw(st.tuples(st.integers(0, limit[mode](d)),
                                    st.integers(0, limit[mode](d)))) for d in shape]
    kwargs = {"constant_values": value} if mode == "CONSTANT" else {}
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.pad(t, paddings, mode=mode, **kwargs),
          lambda a: np.pad(a, paddings, mode=mode.lower(), **kwargs), [x])


@settings(SETTINGS, max_examples=120)
@given(target=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3),
       data=st.data(), seed=seeds)
def test_broadcast_to(target, data, seed):
    dropped = data.draw(st.integers(0, len(target)), label="leading dims dropped")
    shape = [1 if data.draw(st.booleans()) else d for d in target[dropped:]]
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.broadcast_to(t, target), lambda a: np.broadcast_to(a, target), [x])


@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3),
       data=st.data(), seed=seeds)
def test_reverse_and_roll(shape, data, seed):
    rank = len(shape)
    axes = data.draw(st.lists(st.integers(-rank, rank - 1), unique_by=lambda a: a % rank,
                              max_size=rank), label="reverse axes")
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.reverse(t, axes), lambda a: np.flip(a, tuple(axes)), [x])
    # Roll axes may repeat: their shifts add up.
    roll_axes = data.draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=3),
                          label="roll axes")
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(roll_axes),
                                max_size=len(roll_axes)), label="shifts")
    check(lambda t: engine.roll(t, shifts, roll_axes),
          lambda a: np.roll(a, shifts, tuple(roll_axes)), [x])


@settings(SETTINGS, max_examples=90)
@given(shape=small_shapes, dtype=st.sampled_from(["int32", "int64", "bool"]),
       data=st.data(), seed=seeds)
def test_shape_ops_keep_integer_and_bool_dtypes(shape, dtype, data, seed):
    rng = np.random.default_rng(seed)
    x = (rng.integers(-5, 5, shape)).astype(dtype)
    perm = data.draw(st.permutations(range(len(shape))), label="perm")
    check(lambda t: engine.transpose(t, perm), lambda a: np.transpose(a, perm), [x])
    check(lambda t: engine.reshape(t, [-1]), lambda a: np.reshape(a, [-1]), [x])
    check(lambda t: engine.tile(engine.expand_dims(t, 0), [2] + [1] * len(shape)),
          lambda a: np.tile(a[None], [2] + [1] * len(shape)), [x])
    if shape:
        check(lambda t: engine.concat([t, t], -1), lambda a: np.concatenate([a, a], -1), [x])
        check(lambda t: engine.reverse(t, [0]), lambda a: np.flip(a, 0), [x])


# --- slicing and gathering ----------------------------------------------------------------
def _draw_item(draw, d):
    kind = draw(st.sampled_from(["int", "slice", "slice", "full"] if d else ["slice", "full"]))
    if kind == "int":
        return draw(st.integers(-d, d - 1))
    if kind == "full":
        return slice(None)
    bound = st.none() | st.integers(-5, 5)
    return slice(draw(bound), draw(bound), draw(st.none() | st.sampled_from([-2, -1, 1, 2, 3])))


@st.composite
def shape_and_key(draw):
    """A shape and a basic-index key with ints, slices (negative steps), `...` and None."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    head = draw(st.integers(0, len(shape)))
    items = [_draw_item(draw, d) for d in shape[:head]]
    if draw(st.booleans()):
        tail = draw(st.integers(0, len(shape) - head))
        items.append(Ellipsis)
        items += [_draw_item(draw, d) for d in shape[len(shape) - tail:]]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    return shape, tuple(items)


def strided_slice_args(key):
    """Translates a basic-index key to `strided_slice` arguments, as `tensor[key]` does."""
    begin, end, strides, masks = [], [], [], dict.fromkeys(
        ["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"], 0)
    for i, item in enumerate(key):
        b, e, s = 0, 0, 1
        if item is Ellipsis:
            masks["ellipsis_mask"] |= 1 << i
        elif item is None:
            masks["new_axis_mask"] |= 1 << i
        elif isinstance(item, int):
            b, e = item, item + 1
            masks["shrink_axis_mask"] |= 1 << i
        else:
            s = 1 if item.step is None else item.step
            if item.start is None:
                masks["begin_mask"] |= 1 << i
            else:
                b = item.start
            if item.stop is None:
                masks["end_mask"] |= 1 << i
            else:
                e = item.stop
        begin.append(b)
        end.append(e)
        strides.append(s)
    return begin, end, strides, masks


@settings(SETTINGS, max_examples=250)
@given(case=shape_and_key(), seed=seeds)
def test_basic_keys_and_strided_slice_gradients(case, seed):
    """Complements test_getitem.py: float32 forward, finite-difference gradients, and the
    same key spelled as `strided_slice` masks."""
    shape, key = case
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: t[key], lambda a: a[key], [x])
    begin, end, strides, masks = strided_slice_args(key)
    check(lambda t: engine.strided_slice(t, begin, end, strides, **masks),
          lambda a: a[key], [x])


@settings(SETTINGS, max_examples=90)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
       data=st.data(), seed=seeds)
def test_slice_with_sizes_and_minus_one(shape, data, seed):
    begin = [data.draw(st.integers(0, d - 1)) for d in shape]
    size = [data.draw(st.integers(-1, d - b)) for b, d in zip(begin, shape)]
    key = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: engine.slice(t, begin, size), lambda a: a[key], [x])


def np_gather(params, indices, axis, batch_dims):
    """TF's gather: for each batch index, `take` along `axis` (shifted past the batch)."""
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    batch = params.shape[:batch_dims]
    out = [np.take(params[b], indices[b], axis=axis - batch_dims) for b in np.ndindex(batch)]
    return np.stack(out).reshape(batch + out[0].shape)


@settings(SETTINGS, max_examples=150)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3),
       index_dtype=st.sampled_from(["int32", "int64"]), data=st.data(), seed=seeds)
def test_gather_random_indices(shape, index_dtype, data, seed):
    rank = len(shape)
    batch_dims = data.draw(st.integers(0, rank - 1), label="batch_dims")
    axis = data.draw(st.integers(batch_dims, rank - 1), label="axis")
    if data.draw(st.booleans(), label="negative axis"):
        axis -= rank
    extra = data.draw(st.lists(st.integers(0, 3), max_size=2), label="index dims")
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, shape[axis], shape[:batch_dims] + tuple(extra))
    x = normal(rng, shape)
    check(lambda p, i: engine.gather(p, i, axis=axis, batch_dims=batch_dims),
          lambda p, i: np_gather(p, i, axis % rank, batch_dims),
          [x, indices.astype(index_dtype)])


@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3),
       data=st.data(), seed=seeds)
def test_gather_nd_random_indices(shape, data, seed):
    depth = data.draw(st.integers(1, len(shape)), label="index depth")
    outer = data.draw(st.lists(st.integers(0, 3), max_size=2), label="index batch")
    rng = np.random.default_rng(seed)
    indices = np.stack([rng.integers(0, d, outer) for d in shape[:depth]], axis=-1)
    x = normal(rng, shape)
    check(lambda p, i: engine.gather_nd(p, i),
          lambda p, i: p[tuple(np.moveaxis(i, -1, 0))], [x, indices])


@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3),
       data=st.data(), seed=seeds)
def test_boolean_mask_random_masks(shape, data, seed):
    axis = data.draw(st.integers(0, len(shape) - 1), label="axis")
    depth = data.draw(st.integers(1, len(shape) - axis), label="mask rank")
    rng = np.random.default_rng(seed)
    mask = rng.random(shape[axis:axis + depth]) < 0.5
    x = normal(rng, shape)
    key = (slice(None),) * axis + (mask,)
    check(lambda t, m: engine.boolean_mask(t, m, axis=axis), lambda a, m: a[key], [x, mask])


# --- nn -----------------------------------------------------------------------------------
@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
       log=st.booleans(), data=st.data(), seed=seeds)
def test_softmax_and_log_softmax_over_random_axis(shape, log, data, seed):
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1), label="axis")
    np_axis = -1 if axis is None else axis
    x = normal(np.random.default_rng(seed), shape) * 2
    if log:
        check(lambda t: nn.log_softmax(t, axis=axis), lambda a: np_log_softmax(a, np_axis), [x])
    else:
        check(lambda t: nn.softmax(t, axis=axis),
              lambda a: np.exp(np_log_softmax(a, np_axis)), [x])


@settings(SETTINGS, max_examples=120)
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4),
       classes=st.integers(1, 5), sparse=st.booleans(), data=st.data(), seed=seeds)
def test_softmax_cross_entropy_random_batch_and_classes(batch, classes, sparse, data, seed):
    rng = np.random.default_rng(seed)
    if sparse:
        batch = batch or (1,)
        logits = normal(rng, batch + (classes,)) * 2
        labels = rng.integers(0, classes, batch)

        def ref(lbl, lg):
            picked = np.take_along_axis(np_log_softmax(lg), lbl[..., None], -1)[..., 0]
            return -picked

        check(lambda lbl, lg: nn.sparse_softmax_cross_entropy_with_logits(lbl, lg), ref,
              [labels, logits])
        return
    shape = (batch or (1,)) + (classes,)  # rank 1: see test_dense_cross_entropy_of_one_row
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    logits = normal(rng, shape) * 2
    labels = np.exp(np_log_softmax(normal(rng, shape), axis))
    check(lambda lbl, lg: nn.softmax_cross_entropy_with_logits(lbl, lg, axis=axis),
          lambda lbl, lg: -np.sum(lbl * np_log_softmax(lg, axis), axis=axis),
          [labels, logits])


@settings(SETTINGS, max_examples=90)
@given(shape=hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=3),
       channels_first=st.booleans(), seed=seeds)
def test_bias_add(shape, channels_first, seed):
    channels_first = channels_first and len(shape) > 2
    rng = np.random.default_rng(seed)
    axis = 1 if channels_first else -1
    x, bias = normal(rng, shape), normal(rng, (shape[axis],))
    data_format = "NCHW" if channels_first else None
    bshape = [1] * len(shape)
    bshape[axis] = shape[axis]
    check(lambda t, b: nn.bias_add(t, b, data_format=data_format),
          lambda a, b: a + b.reshape(bshape), [x, bias])


@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3),
       keepdims=st.booleans(), data=st.data(), seed=seeds)
def test_moments_over_random_axes(shape, keepdims, data, seed):
    rank = len(shape)
    axes = data.draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank,
                              unique_by=lambda a: a % rank), label="axes")
    x = normal(np.random.default_rng(seed), shape)
    check(lambda t: nn.moments(t, axes, keepdims=keepdims),
          lambda a: (np.mean(a, tuple(axes), keepdims=keepdims),
                     np.var(a, tuple(axes), keepdims=keepdims)), [x], atol32=1e-5)


@settings(SETTINGS, max_examples=120)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3),
       data=st.data(), seed=seeds)
def test_l2_normalize_and_clip_by_value(shape, data, seed):
    rank = len(shape)
    axis = data.draw(st.none() | st.integers(-rank, rank - 1)
                     | st.lists(st.integers(0, rank - 1), min_size=1, unique=True).map(tuple),
                     label="axis")
    rng = np.random.default_rng(seed)
    x = signed(0.2, 2)(rng, shape)
    check(lambda t: nn.l2_normalize(t, axis=axis),
          lambda a: a / np.sqrt(np.sum(a * a, axis=axis, keepdims=True)), [x])
    # Bounds on the 0.5-shifted grid, x on the integer grid: never within 0.1 of a bound.
    x = grid(0)(rng, shape)
    lo_shape = data.draw(st.sampled_from([(), shape[-1:], shape]), label="bound shape")
    lo = grid(0.5)(rng, lo_shape) - 0.6
    hi = lo + 0.2 * rng.integers(1, 8, lo_shape)
    check(lambda t, a, b: engine.clip_by_value(t, a, b),
          lambda t, a, b: np.clip(t, a, b), [x, lo, hi])


# --- convolution and pooling (tiny shapes) ------------------------------------------------
def same_pads(size, k, stride, dilation):
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def patches(x, k, strides, dilations, pads, fill=0.0):
    """Windows of NHWC `x` as an array [N, OH, OW, KH, KW, C] (padding with `fill`)."""
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=fill)
    idx = []
    for a in (0, 1):
        n_out = (xp.shape[1 + a] - (k[a] - 1) * dilations[a] - 1) // strides[a] + 1
        idx.append(np.arange(n_out)[:, None] * strides[a] + np.arange(k[a]) * dilations[a])
    return xp[:, idx[0][:, None, :, None], idx[1][None, :, None, :], :]


@st.composite
def conv_geometry(draw, explicit=True, dilated=True):
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilations = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    kinds = ["SAME", "VALID", "EXPLICIT"] if explicit else ["SAME", "VALID"]
    padding = draw(st.sampled_from(kinds))
    if padding == "SAME":
        pads = [same_pads(s, k[a], strides[a], dilations[a]) for a, s in enumerate((h, w))]
    elif padding == "VALID":
        pads = [(0, 0), (0, 0)]
    else:
        pads = [draw(st.tuples(st.integers(0, 2), st.integers(0, 2))) for _ in range(2)]
        padding = [[0, 0], list(pads[0]), list(pads[1]), [0, 0]]
    fits = all(s + sum(p) >= (k[a] - 1) * dilations[a] + 1
               for a, (s, p) in enumerate(zip((h, w), pads)))
    return (h, w), k, strides, dilations, padding, pads, fits


def nchw(fn):
    """`fn` on NHWC arrays, as a function of NCHW arrays (filters stay as they are)."""
    def wrapped(x, *rest):
        return np.transpose(fn(np.transpose(x, (0, 2, 3, 1)), *rest), (0, 3, 1, 2))
    return wrapped


@settings(SETTINGS, max_examples=150)
@given(geometry=conv_geometry(), n=st.integers(1, 2), c_in=st.integers(1, 3),
       c_out=st.integers(1, 3), depthwise=st.booleans(), channels_first=st.booleans(),
       seed=seeds)
def test_conv2d_and_depthwise_random_geometry(geometry, n, c_in, c_out, depthwise,
                                              channels_first, seed):
    (h, w), k, strides, dilations, padding, pads, fits = geometry
    assume(fits)  # a (dilated) window larger than the padded input is an error
    data_format = "NCHW" if channels_first else "NHWC"
    if channels_first and not isinstance(padding, str):
        padding = [[0, 0], [0, 0], *padding[1:3]]
    rng = np.random.default_rng(seed)
    x, f = normal(rng, (n, h, w, c_in)), normal(rng, k + (c_in, c_out))

    if depthwise:
        strides4 = (1, 1, *strides) if channels_first else (1, *strides, 1)

        def fn(t, filt):
            return nn.depthwise_conv2d(t, filt, strides4, padding, data_format=data_format,
                                       dilations=dilations)

        def ref(a, filt):
            p = patches(a, k, strides, dilations, pads)
            out = np.einsum("nijabc,abcm->nijcm", p, filt)
            return out.reshape(out.shape[:3] + (-1,))
    else:
        def fn(t, filt):
            return nn.conv2d(t, filt, strides, padding, data_format=data_format,
                             dilations=dilations)

        def ref(a, filt):
            return np.einsum("nijabc,abco->nijo", patches(a, k, strides, dilations, pads), filt)

    if channels_first:
        x, ref = np.transpose(x, (0, 3, 1, 2)), nchw(ref)
    check(fn, ref, [x, f], atol32=1e-5)


@settings(SETTINGS, max_examples=150)
@given(geometry=conv_geometry(explicit=False, dilated=False), n=st.integers(1, 2),
       c=st.integers(1, 2), kind=st.sampled_from(["max", "avg"]), channels_first=st.booleans(),
       seed=seeds)
def test_pool2d_random_geometry(geometry, n, c, kind, channels_first, seed):
    (h, w), k, strides, _, padding, pads, fits = geometry
    assume(fits)
    data_format = "NCHW" if channels_first else "NHWC"
    x = distinct(np.random.default_rng(seed), (n, h, w, c))
    if kind == "max":
        def fn(t):
            return nn.max_pool2d(t, k, strides, padding, data_format=data_format)

        def ref(a):
            return patches(a, k, strides, (1, 1), pads, fill=-np.inf).max(axis=(3, 4))
    else:
        def fn(t):
            return nn.avg_pool2d(t, k, strides, padding, data_format=data_format)

        def ref(a):  # SAME averages over the in-bounds values only
            total = patches(a, k, strides, (1, 1), pads).sum(axis=(3, 4))
            count = patches(np.ones_like(a), k, strides, (1, 1), pads).sum(axis=(3, 4))
            return total / count

    if channels_first:
        x, ref = np.transpose(x, (0, 3, 1, 2)), nchw(ref)
    check(fn, ref, [x])


# --- regressions found by the properties above ---------------------------------------------
def test_dense_cross_entropy_of_one_row():
    logits, labels = np.array([0.5, -1.0, 2.0]), np.array([0.2, 0.3, 0.5])
    check(lambda lbl, lg: nn.softmax_cross_entropy_with_logits(lbl, lg),
          lambda lbl, lg: -np.sum(lbl * np_log_softmax(lg)), [labels, logits])


def test_atan2_keyword_arguments_follow_tensorflow():
    y, x = engine.constant(1.0), engine.constant(-1.0)
    np.testing.assert_allclose(engine.math.atan2(y=y, x=x).numpy(), np.arctan2(1.0, -1.0))
    np.testing.assert_allclose(engine.raw_ops.Atan2(y=y, x=x).numpy(), np.arctan2(1.0, -1.0))
