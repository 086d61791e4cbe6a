"""Tests for engine.keras.regularizers and engine.keras.constraints."""

import json

import numpy as np
import pytest

import engine
from engine.keras import backend, constraints, regularizers
from tests.opcheck import check_grad

RNG = np.random.default_rng(0)
W = RNG.standard_normal((5, 4))


def numpy_of(t):
    return np.asarray(t.numpy(), dtype=np.float64)


# --- regularizers ---------------------------------------------------------------------------
def ref_orthogonal(w, factor, mode):
    """Keras' OrthogonalRegularizer: the mean |cosine| over distinct pairs, times factor."""
    vectors = w if mode == "rows" else w.T
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosines = unit @ unit.T
    i, j = np.triu_indices(len(unit), k=1)
    return factor * np.abs(cosines[i, j]).mean()


REGULARIZERS = [  # (regularizer, NumPy reference)
    (regularizers.L1(0.3), lambda w: 0.3 * np.abs(w).sum()),
    (regularizers.L2(0.3), lambda w: 0.3 * np.square(w).sum()),
    (regularizers.L1L2(l1=0.1, l2=0.2),
     lambda w: 0.1 * np.abs(w).sum() + 0.2 * np.square(w).sum()),
    (regularizers.L1L2(l2=0.2), lambda w: 0.2 * np.square(w).sum()),
    (regularizers.l1_l2(), lambda w: 0.01 * np.abs(w).sum() + 0.01 * np.square(w).sum()),
    (regularizers.OrthogonalRegularizer(0.5, "rows"), lambda w: ref_orthogonal(w, 0.5, "rows")),
    (regularizers.OrthogonalRegularizer(0.5, "columns"),
     lambda w: ref_orthogonal(w, 0.5, "columns")),
]
REG_IDS = [repr(r) for r, _ in REGULARIZERS]


@pytest.mark.parametrize("reg, ref", REGULARIZERS, ids=REG_IDS)
def test_regularizer_values_and_gradients(reg, ref):
    for dtype in ("float64", "float32"):
        penalty = reg(engine.constant(W.astype(dtype)))
        assert penalty.shape == () and penalty.dtype == engine.as_dtype(dtype)
        np.testing.assert_allclose(numpy_of(penalty), ref(W), rtol=1e-12 if dtype ==
                                   "float64" else 1e-5)
    check_grad(reg, [W])


@pytest.mark.parametrize("reg, ref", REGULARIZERS, ids=REG_IDS)
def test_regularizers_trace_and_read_variables(reg, ref):
    var = engine.Variable(W)
    traced = engine.function(lambda: reg(var))
    np.testing.assert_allclose(numpy_of(traced()), ref(W), rtol=1e-12)
    var.assign(2 * W)
    np.testing.assert_allclose(numpy_of(traced()), ref(2 * W), rtol=1e-12)


@pytest.mark.parametrize("reg, ref", REGULARIZERS, ids=REG_IDS)
def test_regularizer_serialization_round_trips(reg, ref):
    config = json.loads(json.dumps(regularizers.serialize(reg)))
    back = regularizers.deserialize(config)
    assert type(back) is type(reg) and back.get_config() == reg.get_config()
    np.testing.assert_allclose(numpy_of(back(engine.constant(W))), ref(W), rtol=1e-12)


def test_orthogonal_regularizer_is_zero_for_orthogonal_rows_and_checks_rank():
    reg = regularizers.OrthogonalRegularizer(1.0)
    # Orthogonal rows of different lengths.
    q = np.arange(1, 7)[:, None] * np.linalg.qr(RNG.standard_normal((6, 6)))[0]
    assert abs(float(reg(engine.constant(q)))) < 1e-12
    with pytest.raises(ValueError, match="2-D weights only"):
        reg(engine.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="mode='diagonal'"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


@pytest.mark.parametrize("name, expected", [
    ("l1", regularizers.L1(0.01)), ("L1", regularizers.L1(0.01)),
    ("l2", regularizers.L2(0.01)), ("L2", regularizers.L2(0.01)),
    ("l1_l2", regularizers.L1L2(0.01, 0.01)), ("L1L2", regularizers.L1L2(0.0, 0.0)),
    ("orthogonal_regularizer", regularizers.OrthogonalRegularizer(0.01, "rows")),
    ({"class_name": "l1_l2", "config": {"l1": 0.5}}, regularizers.L1L2(0.5, 0.01)),
    ({"class_name": "L1L2", "config": {"l1": 0.5}}, regularizers.L1L2(0.5, 0.0)),
])
def test_regularizer_names(name, expected):
    got = regularizers.get(name)
    assert type(got) is type(expected) and got.get_config() == expected.get_config()


def test_regularizer_lookup_edge_cases():
    assert regularizers.get(None) is None
    reg = regularizers.L2(0.5)
    assert regularizers.get(reg) is reg
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="l2=-1"):
        regularizers.L2(-1)
    with pytest.raises(TypeError, match="regularizer"):
        regularizers.get(0.5)
    with pytest.raises(NotImplementedError, match="get_config"):
        regularizers.serialize(regularizers.Regularizer())
    assert float(regularizers.Regularizer()(engine.constant(W))) == 0.0


# --- constraints ----------------------------------------------------------------------------
def ref_scale_norms(w, axis, new_norm):
    norms = np.sqrt(np.square(w).sum(axis=axis, keepdims=True))
    return w * new_norm(norms) / (backend.epsilon() + norms)


CONSTRAINTS = [  # (constraint, NumPy reference)
    (constraints.MaxNorm(1.5), lambda w: ref_scale_norms(w, 0, lambda n: np.minimum(n, 1.5))),
    (constraints.MaxNorm(2.0, axis=1),
     lambda w: ref_scale_norms(w, 1, lambda n: np.minimum(n, 2.0))),
    (constraints.NonNeg(), lambda w: np.maximum(w, 0)),
    (constraints.UnitNorm(), lambda w: ref_scale_norms(w, 0, lambda n: 1.0)),
    (constraints.UnitNorm(axis=(0, 1)), lambda w: ref_scale_norms(w, (0, 1), lambda n: 1.0)),
    (constraints.MinMaxNorm(1.0, 2.0),
     lambda w: ref_scale_norms(w, 0, lambda n: np.clip(n, 1.0, 2.0))),
    (constraints.MinMaxNorm(2.5, 3.0, rate=0.25, axis=1),
     lambda w: ref_scale_norms(w, 1, lambda n: 0.25 * np.clip(n, 2.5, 3.0) + 0.75 * n)),
]
CON_IDS = [repr(c) for c, _ in CONSTRAINTS]


@pytest.mark.parametrize("con, ref", CONSTRAINTS, ids=CON_IDS)
def test_constraint_values_eager_and_traced(con, ref):
    for dtype in ("float64", "float32"):
        got = con(engine.constant(W.astype(dtype)))
        assert got.dtype == engine.as_dtype(dtype)
        np.testing.assert_allclose(numpy_of(got), ref(W), rtol=1e-12 if dtype == "float64"
                                   else 1e-5, atol=1e-7)
    var = engine.Variable(W, constraint=con)

    @engine.function
    def step():
        var.assign_add(engine.ones_like(var))
        var.assign(var.constraint(var))

    step()
    np.testing.assert_allclose(var.numpy(), ref(W + 1), rtol=1e-12)


def test_constraints_enforce_their_bounds():
    w = engine.constant(RNG.standard_normal((6, 3)) * 5)
    norms = np.linalg.norm(constraints.MaxNorm(1.0)(w).numpy(), axis=0)
    assert norms.max() <= 1.0 + 1e-6
    np.testing.assert_allclose(np.linalg.norm(constraints.UnitNorm()(w).numpy(), axis=0), 1.0,
                               rtol=1e-5)
    norms = np.linalg.norm(constraints.MinMaxNorm(7.0, 8.0)(w).numpy(), axis=0)
    assert norms.min() >= 7.0 - 1e-4 and norms.max() <= 8.0 + 1e-4
    assert constraints.NonNeg()(w).numpy().min() == 0.0


def test_conv_kernel_max_norm_over_three_axes():
    kernel = RNG.standard_normal((3, 3, 4, 2)) * 3
    out = constraints.MaxNorm(1.0, axis=[0, 1, 2])(engine.constant(kernel)).numpy()
    np.testing.assert_allclose(np.sqrt(np.square(out).sum(axis=(0, 1, 2))), 1.0, rtol=1e-6)


@pytest.mark.parametrize("con, ref", CONSTRAINTS, ids=CON_IDS)
def test_constraint_serialization_round_trips(con, ref):
    config = json.loads(json.dumps(constraints.serialize(con)))
    back = constraints.get(config)
    assert type(back) is type(con)
    np.testing.assert_allclose(numpy_of(back(engine.constant(W))), ref(W), rtol=1e-12)


@pytest.mark.parametrize("name, cls", [
    ("max_norm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm),
    ("maxnorm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
    ("NonNeg", constraints.NonNeg), ("nonneg", constraints.NonNeg),
    ("unit_norm", constraints.UnitNorm), ("unitnorm", constraints.UnitNorm),
    ("min_max_norm", constraints.MinMaxNorm), ("MinMaxNorm", constraints.MinMaxNorm)])
def test_constraint_names(name, cls):
    assert type(constraints.get(name)) is cls


def test_constraint_lookup_edge_cases():
    assert constraints.get(None) is None
    con = constraints.UnitNorm()
    assert constraints.get(con) is con

    def clip(w):
        return engine.clip_by_value(w, -1.0, 1.0)

    assert constraints.get(clip) is clip
    with pytest.raises(ValueError, match="Unknown constraint 'max_nrom'.*'max_norm'"):
        constraints.get("max_nrom")
    with pytest.raises(ValueError, match="min_value=2.0 > max_value=1.0"):
        constraints.MinMaxNorm(2.0, 1.0)
    assert constraints.Constraint()(engine.constant(W)).numpy().tolist() == W.tolist()


def test_epsilon_is_read_when_called():
    previous = backend.epsilon()
    w = engine.constant([[0.0], [0.0]], dtype="float64")
    backend.set_epsilon(0.5)
    try:
        got = constraints.UnitNorm()(engine.constant([[3.0], [4.0]], dtype="float64"))
        np.testing.assert_allclose(got.numpy(), [[3 / 5.5], [4 / 5.5]])
        assert constraints.UnitNorm()(w).numpy().tolist() == [[0.0], [0.0]]
    finally:
        backend.set_epsilon(previous)
    assert backend.epsilon() == previous
