"""Learning rate schedules against NumPy formulas, eagerly and traced; config round trips."""

import json
import math
import warnings

import numpy as np
import pytest

import engine

schedules = engine.keras.optimizers.schedules
STEPS = np.concatenate([np.arange(0, 80), [99, 100, 101, 250, 1000, 12345]])
f32 = np.float32


# NumPy references, in float32 like the schedules (the step is cast to the rate's dtype).
def exponential(initial, decay_steps, rate, staircase=False):
    def ref(step):
        p = f32(step) / f32(decay_steps)
        return f32(initial) * f32(rate) ** (np.floor(p) if staircase else p)
    return ref


def piecewise(boundaries, values):
    def ref(step):
        for boundary, value in zip(boundaries, values):
            if step <= boundary:
                return f32(value)
        return f32(values[-1])
    return ref


def polynomial(initial, decay_steps, end, power, cycle=False):
    def ref(step):
        step, steps = f32(step), f32(decay_steps)
        if cycle:
            steps = steps * (f32(1) if step == 0 else np.ceil(step / steps))
        else:
            step = min(step, steps)
        return (f32(initial) - f32(end)) * (f32(1) - step / steps) ** f32(power) + f32(end)
    return ref


def inverse_time(initial, decay_steps, rate, staircase=False):
    def ref(step):
        p = f32(step) / f32(decay_steps)
        return f32(initial) / (f32(1) + f32(rate) * (np.floor(p) if staircase else p))
    return ref


def cosine(initial, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    def decay(step, start):
        fraction = step / f32(decay_steps)
        return start * ((1 - f32(alpha)) * f32(0.5) * (1 + np.cos(f32(math.pi) * fraction))
                        + f32(alpha))

    def ref(step):
        step = f32(step)
        if warmup_target is None:
            return decay(min(step, f32(decay_steps)), f32(initial))
        step = min(step, f32(decay_steps + warmup_steps))
        if step < warmup_steps:
            return (f32(warmup_target) - f32(initial)) * (step / f32(warmup_steps)) + f32(
                initial)
        return decay(step - f32(warmup_steps), f32(warmup_target))
    return ref


def restarts(initial, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """SGDR by walking the periods (not the closed form the schedule uses)."""
    def ref(step):
        period, start, restart = float(first), 0.0, 0
        while step >= start + period:
            start += period
            period *= t_mul
            restart += 1
        fraction = (step - start) / period
        cosine = 0.5 * m_mul ** restart * (1 + math.cos(math.pi * fraction))
        return initial * ((1 - alpha) * cosine + alpha)
    return ref


CASES = {
    "exponential": (schedules.ExponentialDecay(0.1, 7, 0.5), exponential(0.1, 7, 0.5)),
    "exponential_staircase": (schedules.ExponentialDecay(0.1, 7, 0.5, staircase=True),
                              exponential(0.1, 7, 0.5, True)),
    "piecewise": (schedules.PiecewiseConstantDecay([10, 20, 35], [1.0, 0.5, 0.1, 0.01]),
                  piecewise([10, 20, 35], [1.0, 0.5, 0.1, 0.01])),
    "piecewise_one": (schedules.PiecewiseConstantDecay([5], [0.3, 0.2]),
                      piecewise([5], [0.3, 0.2])),
    "polynomial": (schedules.PolynomialDecay(0.1, 50, 0.001, power=2.0),
                   polynomial(0.1, 50, 0.001, 2.0)),
    "polynomial_cycle": (schedules.PolynomialDecay(0.1, 30, 0.01, power=0.5, cycle=True),
                         polynomial(0.1, 30, 0.01, 0.5, True)),
    "inverse_time": (schedules.InverseTimeDecay(0.1, 10, 0.5), inverse_time(0.1, 10, 0.5)),
    "inverse_time_staircase": (schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
                               inverse_time(0.1, 10, 0.5, True)),
    "cosine": (schedules.CosineDecay(0.1, 60, alpha=0.1), cosine(0.1, 60, 0.1)),
    "cosine_warmup": (schedules.CosineDecay(0.0, 50, warmup_target=0.2, warmup_steps=20),
                      cosine(0.0, 50, 0.0, 0.2, 20)),
    "cosine_restarts_equal": (schedules.CosineDecayRestarts(0.1, 13, t_mul=1.0, m_mul=0.5,
                                                            alpha=0.05),
                              restarts(0.1, 13, 1.0, 0.5, 0.05)),
}


def evaluate(schedule, traced):
    if not traced:
        return np.array([float(schedule(int(s))) for s in STEPS])
    fn = engine.function(schedule.__call__,
                         input_signature=[engine.TensorSpec([], engine.int64)])
    values = np.array([float(fn(engine.constant(s, dtype=engine.int64))) for s in STEPS])
    assert fn.experimental_get_tracing_count() == 1
    return values


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_schedule_matches_numpy(case, traced):
    schedule, ref = CASES[case]
    expected = np.array([float(ref(int(s))) for s in STEPS])
    np.testing.assert_allclose(evaluate(schedule, traced), expected, rtol=2e-6, atol=1e-8)


@pytest.mark.parametrize("t_mul, m_mul", [(2.0, 1.0), (1.5, 0.7)])
def test_cosine_restarts_with_growing_periods(t_mul, m_mul):
    schedule = schedules.CosineDecayRestarts(0.1, 10, t_mul=t_mul, m_mul=m_mul, alpha=0.1)
    ref = restarts(0.1, 10, t_mul, m_mul, 0.1)
    # Away from the restarts, where float32 logarithms may round the period either way.
    steps = [s for s in range(0, 200) if abs(ref(s) - ref(s - 1e-3)) < 1e-3]
    got = np.array([float(schedule(s)) for s in steps])
    np.testing.assert_allclose(got, [ref(s) for s in steps], rtol=1e-4, atol=1e-7)


def test_tensor_steps_of_any_integer_dtype():
    schedule = schedules.PiecewiseConstantDecay([3], [1.0, 2.0])
    for dtype in (engine.int32, engine.int64):
        assert float(schedule(engine.constant(4, dtype=dtype))) == 2.0
    assert schedule(3).dtype == engine.float32


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_round_trip(case):
    schedule, _ = CASES[case]
    config = json.loads(json.dumps(schedules.serialize(schedule)))
    rebuilt = schedules.deserialize(config)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == schedule.get_config()
    for step in (0, 17, 1000):
        assert float(rebuilt(step)) == float(schedule(step))


def test_custom_schedule_through_custom_objects():
    class Constant(schedules.LearningRateSchedule):
        def __init__(self, value):
            self.value = value

        def __call__(self, step):
            return engine.constant(self.value)

        def get_config(self):
            return {"value": self.value}

    config = schedules.serialize(Constant(0.5))
    assert float(schedules.deserialize(config, custom_objects={"Constant": Constant})(3)) == 0.5
    opt = engine.keras.optimizers.SGD(Constant(0.25))
    rebuilt = engine.keras.optimizers.deserialize(engine.keras.optimizers.serialize(opt),
                                                  custom_objects={"Constant": Constant})
    assert float(rebuilt.learning_rate) == 0.25


def test_errors():
    with pytest.raises(ValueError, match="one value more than boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="decay_steps must be > 0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="warmup_steps must be >= 0"):
        schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1)
    with pytest.raises(ValueError, match="Unknown learning rate schedule 'Exponential'"):
        schedules.deserialize({"class_name": "Exponential", "config": {}})
    with pytest.raises(TypeError, match="expected a LearningRateSchedule"):
        schedules.serialize(0.1)
    with pytest.raises(NotImplementedError, match="must implement __call__"):
        schedules.LearningRateSchedule()(1)


# --- schedules and callables as an optimizer's learning rate --------------------------------
@pytest.mark.parametrize("traced", [False, True])
def test_optimizer_evaluates_its_schedule_at_the_step_count(traced):
    opt = engine.keras.optimizers.SGD(schedules.ExponentialDecay(0.1, 2, 0.5))
    w = engine.Variable(np.zeros(3))
    g = np.array([1.0, -2.0, 0.5])

    def step(grad):
        opt.apply_gradients([(grad, w)])

    fn = engine.function(step) if traced else step
    expected = np.zeros(3)
    for k in range(6):
        fn(engine.constant(g))
        rate = float(f32(0.1) * f32(0.5) ** (f32(k) / f32(2)))
        expected -= rate * g
        assert float(opt.learning_rate) == pytest.approx(rate, rel=1e-6)
        np.testing.assert_allclose(w.numpy(), expected, rtol=1e-6)
    if traced:
        assert fn.experimental_get_tracing_count() == 1


def test_callable_learning_rate_is_called_every_step():
    rate = engine.Variable(0.5)
    opt = engine.keras.optimizers.SGD(lambda: rate * 2)
    w = engine.Variable(1.0)
    opt.apply_gradients([(engine.constant(1.0), w)])
    assert float(w) == 0.0
    rate.assign(0.25)
    opt.apply_gradients([(engine.constant(1.0), w)])
    assert float(w) == -0.5 and float(opt.learning_rate) == 0.5


def test_scheduled_optimizer_config_round_trip():
    opt = engine.keras.optimizers.Adam(schedules.CosineDecay(0.1, 100))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    rebuilt = engine.keras.optimizers.Adam.from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config
    w = engine.Variable(1.0)
    for _ in range(51):
        rebuilt.apply_gradients([(engine.constant(1.0), w)])
    assert float(rebuilt.learning_rate) == pytest.approx(0.05, rel=1e-5)  # half-way down


def test_switching_learning_rate_kind_after_tracing_warns():
    opt = engine.keras.optimizers.SGD(0.1)
    w = engine.Variable(1.0)

    @engine.function
    def step(grad):
        opt.apply_gradients([(grad, w)])

    step(engine.constant(1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.learning_rate = 0.2  # a number is assigned to the variable: no warning
    with pytest.warns(UserWarning, match="traced step keeps using the former"):
        opt.learning_rate = schedules.ExponentialDecay(0.1, 10, 0.5)
