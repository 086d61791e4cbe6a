"""engine.ops.init_aliases: TensorFlow 2's initializer classes (zeros_initializer, ...):
dtypes, seeds, configs, Keras layers, and their re-export from engine.ops.misc_extras."""

import numpy as np
import pytest

import engine
from engine.ops import init_aliases, misc_extras
from engine.ops.init_aliases import (
    constant_initializer,
    ones_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    zeros_initializer,
)

F32, F64, I32 = engine.float32, engine.float64, engine.int32


def test_constant_initializers():
    z = zeros_initializer()([2, 3])
    assert z.dtype is F32 and z.shape == [2, 3] and not z.numpy().any()
    assert ones_initializer()((2,), engine.int64).numpy().tolist() == [1, 1]
    assert ones_initializer()(engine.TensorShape([1]), dtype="bool").numpy().tolist() == [True]
    init = constant_initializer(np.arange(4))
    np.testing.assert_array_equal(init([2, 2], F64).numpy(), [[0, 1], [2, 3]])
    assert constant_initializer(2.5)([3]).numpy().tolist() == [2.5, 2.5, 2.5]
    assert constant_initializer(engine.constant([1, 2]))([2]).numpy().tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"constant_initializer: cannot fill shape \(3,\)"):
        constant_initializer([1, 2])([3])
    with pytest.raises(ValueError, match="Zeros: got dtype string"):
        zeros_initializer()([1], engine.string)


def test_random_initializers():
    seeded = random_normal_initializer(mean=1.0, stddev=2.0, seed=7)
    a, b = seeded([2000]), seeded([2000])
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert abs(float(engine.reduce_mean(a)) - 1.0) < 0.15
    assert abs(float(engine.math.reduce_std(a)) - 2.0) < 0.15
    unseeded = random_normal_initializer()
    assert not np.array_equal(unseeded([5]).numpy(), unseeded([5]).numpy())
    u = random_uniform_initializer(-1.0, 3.0, seed=2)([1000], F64)
    assert u.dtype is F64 and -1.0 <= float(engine.reduce_min(u))
    assert float(engine.reduce_max(u)) < 3.0
    ints = random_uniform_initializer(0, 4)([100], engine.int32)
    assert set(ints.numpy().tolist()) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="RandomNormal: got dtype int32; expected a floating"):
        seeded([2], I32)


def test_initializers_configure_and_serve_keras_layers():
    init = random_uniform_initializer(minval=0.0, maxval=1.0, seed=3)
    assert init.get_config() == {"minval": 0.0, "maxval": 1.0, "seed": 3}
    assert repr(init) == "RandomUniform(minval=0.0, maxval=1.0, seed=3)"
    clone = type(init).from_config(init.get_config())
    np.testing.assert_array_equal(clone([4]).numpy(), init([4]).numpy())
    assert constant_initializer(3).get_config() == {"value": 3}
    layer = engine.keras.layers.Dense(2, kernel_initializer=constant_initializer(0.5),
                                      bias_initializer=zeros_initializer())
    out = layer(engine.ones([1, 3]))
    np.testing.assert_allclose(out.numpy(), [[1.5, 1.5]])
    config = engine.keras.initializers.serialize(init)
    rebuilt = engine.keras.initializers.deserialize(config)
    assert type(rebuilt).__name__ == "RandomUniform" and rebuilt.get_config()["seed"] == 3


def test_misc_extras_re_exports_the_initializers():
    assert set(init_aliases.__all__) <= set(misc_extras.__all__)
    for name in init_aliases.__all__:
        assert getattr(misc_extras, name) is getattr(init_aliases, name)
