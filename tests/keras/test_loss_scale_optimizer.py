"""Tests for engine.keras.mixed_precision.LossScaleOptimizer: scaling and its dynamics."""

import numpy as np
import pytest

import engine
from engine.keras import mixed_precision, optimizers
from engine.keras.mixed_precision import LossScaleOptimizer

K = engine.keras


def _state(opt, w):
    return (float(opt.loss_scale.numpy()), int(opt.dynamic_counter.numpy()),
            w.numpy().tolist(), int(opt.iterations.numpy()))


def _steps(apply, grads):
    for g in grads:
        apply(engine.constant(g, dtype=engine.float32))


@pytest.mark.parametrize("traced", [False, True])
def test_dynamic_scale_grows_halves_and_skips(traced):
    opt = LossScaleOptimizer(optimizers.SGD(0.5), initial_scale=8.0, dynamic_growth_steps=2)
    w = engine.Variable([1.0, 2.0])

    def apply(g):
        opt.apply_gradients([(g, w)])

    if traced:
        apply = engine.function(apply, autograph=False)
    _steps(apply, [[1.0, 1.0]])
    assert _state(opt, w) == (8.0, 1, [0.5, 1.5], 1)
    _steps(apply, [[1.0, 1.0]])  # the second finite step in a row doubles the scale
    assert _state(opt, w) == (16.0, 0, [0.0, 1.0], 2)
    _steps(apply, [[np.inf, 1.0]])  # skipped, halved
    assert _state(opt, w) == (8.0, 0, [0.0, 1.0], 2)
    _steps(apply, [[1.0, 1.0], [np.nan, 0.0]])  # a finite step, then NaN resets the count
    assert _state(opt, w) == (4.0, 0, [-0.5, 0.5], 3)
    for _ in range(5):
        _steps(apply, [[np.inf, 0.0]])
    assert opt.loss_scale.numpy() == 1.0  # never below 1


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_scale_does_not_grow_past_float32_range():
    opt = LossScaleOptimizer(optimizers.SGD(0.0), initial_scale=2.0 ** 127,
                             dynamic_growth_steps=1)
    w = engine.Variable(1.0)
    opt.apply_gradients([(engine.constant(1.0), w)])
    assert opt.loss_scale.numpy() == 2.0 ** 127 and int(opt.dynamic_counter.numpy()) == 0


def test_fixed_scale_always_applies():
    opt = LossScaleOptimizer(optimizers.SGD(1.0), dynamic=False, initial_scale=4.0)
    assert opt.dynamic_counter is None and opt.dynamic_growth_steps is None
    w = engine.Variable(1.0)
    opt.apply_gradients([(engine.constant(0.25), w)])
    assert float(w.numpy()) == 0.75 and float(opt.loss_scale.numpy()) == 4.0


def test_scaled_loss_and_unscaled_gradients():
    opt = LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=1024.0)
    w = engine.Variable(3.0)
    with engine.GradientTape() as tape:
        scaled = opt.get_scaled_loss(w * w)
    assert float(scaled.numpy()) == 9.0 * 1024
    (grad,) = opt.get_unscaled_gradients(tape.gradient(scaled, [w]))
    assert float(grad.numpy()) == 6.0
    assert opt.get_unscaled_gradients([None]) == [None]
    assert float(opt.get_scaled_loss(lambda: engine.constant(2.0))().numpy()) == 2048.0


def test_minimize_with_a_tape_unscales():
    opt = LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=2.0 ** 15)
    w = engine.Variable(engine.constant(1.0, engine.float32))
    with engine.GradientTape() as tape:
        loss = engine.cast(engine.cast(w, engine.float16) * 1e-4, engine.float32)
    pairs = opt.compute_gradients(loss, [w], tape=tape)
    np.testing.assert_allclose(float(pairs[0][0].numpy()), 1e-4, rtol=1e-3)
    opt.minimize(lambda: w * w, [w])
    np.testing.assert_allclose(float(w.numpy()), 0.8)


def test_forwards_the_inner_optimizers_attributes():
    inner = optimizers.SGD(0.1, momentum=0.9)
    opt = LossScaleOptimizer(inner)
    assert opt.inner_optimizer is inner and opt.momentum == 0.9
    opt.learning_rate = 0.25
    assert float(inner.learning_rate.numpy()) == 0.25
    assert opt.iterations is inner.iterations
    assert (opt.initial_scale, opt.dynamic_growth_steps) == (2.0 ** 15, 2000)


def test_config_round_trip():
    opt = LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=64.0,
                             dynamic_growth_steps=10)
    config = opt.get_config()
    assert config["inner_optimizer"]["class_name"] == "Adam"
    again = LossScaleOptimizer.from_config(config)
    assert again.get_config() == config
    via_registry = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(via_registry, LossScaleOptimizer)
    assert via_registry.get_config() == config


def test_bad_arguments_are_explained():
    with pytest.raises(TypeError, match="inner_optimizer must be an optimizer"):
        LossScaleOptimizer("sgd")
    with pytest.raises(TypeError, match="already a LossScaleOptimizer"):
        LossScaleOptimizer(LossScaleOptimizer(optimizers.SGD()))
    with pytest.raises(ValueError, match="initial_scale is required"):
        LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="initial_scale must be a positive"):
        LossScaleOptimizer(optimizers.SGD(), initial_scale=0)
    with pytest.raises(ValueError, match="dynamic_growth_steps must be an int"):
        LossScaleOptimizer(optimizers.SGD(), dynamic_growth_steps=0)


def test_compile_wraps_only_under_mixed_float16():
    try:
        for policy, wrapped in [("mixed_float16", True), ("mixed_bfloat16", False),
                                ("float32", False)]:
            mixed_precision.set_global_policy(policy)
            model = K.Sequential([K.layers.Dense(1, input_shape=(2,))])
            model.compile("sgd", "mse")
            assert isinstance(model.optimizer, LossScaleOptimizer) == wrapped, policy
        mixed_precision.set_global_policy("mixed_float16")
        model = K.Sequential([K.layers.Dense(1, input_shape=(2,))])
        given = LossScaleOptimizer(optimizers.SGD(), initial_scale=8.0)
        model.compile(given, "mse")
        assert model.optimizer is given
    finally:
        mixed_precision.set_global_policy(None)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_fit_skips_overflowing_steps_and_lowers_the_scale():
    try:
        mixed_precision.set_global_policy("mixed_float16")
        model = K.Sequential([K.layers.Dense(1, input_shape=(2,), kernel_initializer="ones")])
        model.compile(optimizers.SGD(0.01), "mse")
        x = np.full((8, 2), 300.0, np.float32)  # (600 - 0) * 2 * 2**15 overflows float16
        before = model.get_weights()
        model.fit(x, np.zeros((8, 1), np.float32), epochs=1, batch_size=8, verbose=0)
        assert float(model.optimizer.loss_scale.numpy()) == 2.0 ** 14
        assert int(model.optimizer.iterations.numpy()) == 0
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)
    finally:
        mixed_precision.set_global_policy(None)
