"""Tests for engine.keras.initializers: statistics, fans, seeding, dtypes and lookup."""

import json
import math
import warnings

import numpy as np
import pytest

import engine
from engine.keras import backend, initializers
from engine.keras.initializers.initializer import compute_fans
from engine.ops import random_ops

TRUNCATED_STD = 0.87962566103423978  # stddev of a standard normal truncated to [-2, 2]


def values(init, shape, dtype=None):
    return init(shape, dtype=dtype).numpy().astype(np.float64)


# --- constant initializers ------------------------------------------------------------------
def test_zeros_ones_constant():
    assert values(initializers.Zeros(), (2, 3)).tolist() == [[0.0] * 3] * 2
    assert values(initializers.Ones(), (4,)).tolist() == [1.0] * 4
    assert values(initializers.Constant(2.5), (2, 2)).tolist() == [[2.5, 2.5]] * 2
    np.testing.assert_array_equal(values(initializers.Constant([1, 2, 3, 4]), (2, 2)),
                                  [[1, 2], [3, 4]])


def test_constant_rejects_a_value_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"Constant: cannot fill shape \(2, 2\)"):
        initializers.Constant([1.0, 2.0, 3.0])((2, 2))


def test_identity_with_gain_and_rectangular_shapes():
    np.testing.assert_array_equal(values(initializers.Identity(gain=3.0), (2, 3)),
                                  [[3, 0, 0], [0, 3, 0]])
    with pytest.raises(ValueError, match="2-D shape"):
        initializers.Identity()((2, 2, 2))


def test_default_dtype_follows_floatx():
    assert initializers.Ones()((2,)).dtype == engine.float32
    previous = backend.floatx()
    backend.set_floatx("float64")
    try:
        assert initializers.Ones()((2,)).dtype == engine.float64
        assert initializers.GlorotUniform(seed=1)((2, 2)).dtype == engine.float64
    finally:
        backend.set_floatx(previous)
    assert backend.floatx() == previous


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_random_initializers_honour_float_dtypes(dtype):
    for init in (initializers.RandomNormal(seed=1), initializers.HeUniform(seed=1),
                 initializers.Orthogonal(seed=1), initializers.TruncatedNormal(seed=1)):
        assert init((4, 3), dtype=dtype).dtype == engine.as_dtype(dtype)


def test_integer_dtypes():
    assert initializers.Zeros()((2,), dtype="int32").dtype == engine.int32
    ints = initializers.RandomUniform(0, 10, seed=1)((1000,), dtype="int64").numpy()
    assert ints.dtype == np.int64 and ints.min() >= 0 and ints.max() <= 9
    with pytest.raises(ValueError, match="RandomNormal: got dtype int32; expected a floating"):
        initializers.RandomNormal()((2,), dtype="int32")
    with pytest.raises(ValueError, match="GlorotUniform: got dtype int32"):
        initializers.GlorotUniform()((2, 2), dtype="int32")


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="RandomNormal: got shape"):
        initializers.RandomNormal()((2, None))
    with pytest.raises(ValueError, match="dimensions must be >= 0"):
        initializers.Zeros()((2, -1))
    assert initializers.Ones()(engine.TensorShape([2, 1])).shape == (2, 1)


# --- random initializers: statistics --------------------------------------------------------
def test_random_normal_uniform_truncated_statistics():
    x = values(initializers.RandomNormal(mean=1.0, stddev=2.0, seed=3), (200, 500))
    assert abs(x.mean() - 1.0) < 0.02 and abs(x.std() - 2.0) < 0.02
    x = values(initializers.RandomUniform(-3.0, 1.0, seed=3), (200, 500))
    assert x.min() >= -3.0 and x.max() < 1.0
    assert abs(x.mean() + 1.0) < 0.02 and abs(x.std() - 4 / math.sqrt(12)) < 0.02
    x = values(initializers.TruncatedNormal(mean=0.5, stddev=1.0, seed=3), (200, 500))
    assert x.min() >= -1.5 and x.max() <= 2.5
    assert abs(x.mean() - 0.5) < 0.02 and abs(x.std() - TRUNCATED_STD) < 0.02


def test_fans_count_the_receptive_field():
    assert compute_fans(()) == (1, 1)
    assert compute_fans((7,)) == (7, 7)
    assert compute_fans((3, 5)) == (3, 5)
    assert compute_fans((3, 3, 16, 32)) == (9 * 16, 9 * 32)
    assert compute_fans((2, 4, 6, 8, 10)) == (8 * 48, 10 * 48)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_has_the_requested_variance(mode, distribution):
    shape = (5, 5, 40, 60)  # fans 1000 and 1500
    n = {"fan_in": 1000, "fan_out": 1500, "fan_avg": 1250}[mode]
    x = values(initializers.VarianceScaling(2.0, mode, distribution, seed=7), shape)
    assert abs(x.mean()) < 0.003
    np.testing.assert_allclose(x.std(), math.sqrt(2.0 / n), rtol=0.02)
    if distribution == "uniform":
        assert np.abs(x).max() <= math.sqrt(3 * 2.0 / n)
    if distribution == "truncated_normal":
        assert np.abs(x).max() <= 2 * math.sqrt(2.0 / n) / TRUNCATED_STD


PRESETS = [  # (class, name, scale, mode, distribution)
    (initializers.GlorotUniform, "glorot_uniform", 1.0, "fan_avg", "uniform"),
    (initializers.GlorotNormal, "glorot_normal", 1.0, "fan_avg", "truncated_normal"),
    (initializers.HeUniform, "he_uniform", 2.0, "fan_in", "uniform"),
    (initializers.HeNormal, "he_normal", 2.0, "fan_in", "truncated_normal"),
    (initializers.LecunUniform, "lecun_uniform", 1.0, "fan_in", "uniform"),
    (initializers.LecunNormal, "lecun_normal", 1.0, "fan_in", "truncated_normal"),
]


@pytest.mark.parametrize("cls, name, scale, mode, distribution", PRESETS)
def test_presets_are_variance_scaling(cls, name, scale, mode, distribution):
    init = cls(seed=5)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    same = initializers.VarianceScaling(scale, mode, distribution, seed=5)
    np.testing.assert_array_equal(values(init, (30, 20)), values(same, (30, 20)))
    fan = {"fan_in": 300, "fan_avg": 350}[mode]
    np.testing.assert_allclose(values(init, (300, 400)).std(), math.sqrt(scale / fan),
                               rtol=0.03)
    assert isinstance(initializers.get(name), cls)
    assert init.get_config() == {"seed": 5}


def test_variance_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="scale=0"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="mode='fan_sum'"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution='gaussian'"):
        initializers.VarianceScaling(distribution="gaussian")
    assert initializers.VarianceScaling(distribution="normal").distribution == \
        "truncated_normal"


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 5)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    q = values(initializers.Orthogonal(gain=2.0, seed=1), shape, dtype="float64")
    assert q.shape == shape
    flat = q.reshape(-1, shape[-1])
    small = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-10)


def test_orthogonal_needs_rank_two():
    with pytest.raises(ValueError, match="rank >= 2"):
        initializers.Orthogonal()((5,))


# --- seeding --------------------------------------------------------------------------------
ALL_RANDOM = [initializers.RandomNormal, initializers.RandomUniform,
              initializers.TruncatedNormal, initializers.VarianceScaling,
              initializers.Orthogonal] + [p[0] for p in PRESETS]


@pytest.mark.parametrize("cls", ALL_RANDOM, ids=lambda c: c.__name__)
def test_seeded_instances_repeat_and_seeds_differ(cls):
    a = values(cls(seed=11), (8, 8))
    np.testing.assert_array_equal(a, values(cls(seed=11), (8, 8)))
    init = cls(seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # seeded instances repeat silently
        np.testing.assert_array_equal(values(init, (8, 8)), values(init, (8, 8)))
    assert not np.array_equal(a, values(cls(seed=12), (8, 8)))


def test_unseeded_instances_are_reproducible_under_the_global_seed():
    previous = random_ops._SEEDS.global_seed
    engine.random.set_seed(42)
    try:
        first = [values(initializers.GlorotUniform(), (4, 4)) for _ in range(2)]
        engine.random.set_seed(42)
        again = [values(initializers.GlorotUniform(), (4, 4)) for _ in range(2)]
    finally:
        engine.random.set_seed(previous)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])  # each instance draws its own seed


def test_unseeded_instance_repeats_its_values_with_a_warning():
    init = initializers.HeNormal()
    a = values(init, (3, 3))
    with pytest.warns(UserWarning, match="HeNormal is unseeded and is being called again"):
        b = values(init, (3, 3))
    np.testing.assert_array_equal(a, b)
    clone = init.clone()
    assert not np.array_equal(a, values(clone, (3, 3)))


def test_initializers_work_inside_a_traced_function():
    glorot, ortho = initializers.GlorotUniform(seed=3), initializers.Orthogonal(seed=3)

    @engine.function
    def build(x):
        return x + glorot((3, 3)) + ortho((3, 3))

    zero = engine.zeros((3, 3))
    np.testing.assert_array_equal(build(zero).numpy(), (glorot((3, 3)) + ortho((3, 3))).numpy())
    np.testing.assert_array_equal(build(zero).numpy(), build(zero).numpy())


def test_seed_must_be_an_int():
    with pytest.raises(TypeError, match="seed=1.5"):
        initializers.RandomNormal(seed=1.5)


# --- lookup and serialization ---------------------------------------------------------------
CONFIGURED = [initializers.Zeros(), initializers.Ones(), initializers.Constant(0.5),
              initializers.RandomNormal(0.1, 0.2, seed=1), initializers.RandomUniform(-1, 2),
              initializers.TruncatedNormal(stddev=3.0, seed=2),
              initializers.VarianceScaling(0.5, "fan_out", "uniform", seed=3),
              initializers.Orthogonal(gain=1.5, seed=4), initializers.Identity(gain=0.5)]
CONFIGURED += [p[0](seed=9) for p in PRESETS]


@pytest.mark.parametrize("init", CONFIGURED, ids=lambda i: type(i).__name__)
def test_serialize_round_trips_through_json(init):
    config = json.loads(json.dumps(initializers.serialize(init)))
    assert config["class_name"] == type(init).__name__
    back = initializers.deserialize(config)
    assert type(back) is type(init) and back.get_config() == init.get_config()
    assert initializers.get(config).get_config() == init.get_config()
    rebuilt = type(init).from_config(init.get_config())
    if getattr(init, "seed", 0) is not None:  # unseeded ones draw new values
        np.testing.assert_array_equal(values(rebuilt, (4, 4)), values(init, (4, 4)))


@pytest.mark.parametrize("name, cls", [
    ("zeros", initializers.Zeros), ("Zeros", initializers.Zeros), ("zero", initializers.Zeros),
    ("ones", initializers.Ones), ("one", initializers.Ones),
    ("constant", initializers.Constant), ("random_normal", initializers.RandomNormal),
    ("normal", initializers.RandomNormal), ("uniform", initializers.RandomUniform),
    ("RandomUniform", initializers.RandomUniform),
    ("truncated_normal", initializers.TruncatedNormal),
    ("variance_scaling", initializers.VarianceScaling),
    ("orthogonal", initializers.Orthogonal), ("identity", initializers.Identity),
    ("GlorotUniform", initializers.GlorotUniform)])
def test_names(name, cls):
    first, second = initializers.get(name), initializers.get(name)
    assert type(first) is cls and first is not second  # a new instance each time


def test_get_passes_instances_and_callables_and_builds_classes():
    init = initializers.Ones()
    assert initializers.get(init) is init
    assert initializers.get(None) is None
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)

    def custom(shape, dtype=None):
        return engine.ones(shape, dtype=dtype or "float32")

    assert initializers.get(custom) is custom


def test_unknown_names_and_bad_types():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot_unifrom'.*glorot_uniform"):
        initializers.get("glorot_unifrom")
    with pytest.raises(TypeError, match="as a initializer|as an initializer"):
        initializers.get(3.0)
    with pytest.raises(TypeError, match="expected a name"):
        initializers.deserialize(initializers.Ones())


def test_from_config_ignores_legacy_dtype():
    init = initializers.RandomNormal.from_config({"mean": 0.0, "stddev": 1.0, "seed": None,
                                                  "dtype": "float32"})
    assert init.get_config() == {"mean": 0.0, "stddev": 1.0, "seed": None}
