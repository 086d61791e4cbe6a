"""Keras optimizers: update rules against NumPy references, eager against traced, the API."""

import json
import warnings

import numpy as np
import pytest

import engine
from engine.errors import DTypeError

optimizers = engine.keras.optimizers
schedules = engine.keras.optimizers.schedules

STEPS = 4
SHAPES = [(3,), (2, 2)]


def f32(x):
    """A learning rate as the optimizer holds it (a float32 variable)."""
    return float(np.float32(x))


# --- NumPy references: one function per rule, state in a dict of arrays -------------------
def sgd_rule(lr, momentum=0.0, nesterov=False):
    def step(w, g, s, t):
        if not momentum:
            return w - lr * g
        s["m"] = momentum * s.get("m", 0.0) - lr * g
        return w + (momentum * s["m"] - lr * g if nesterov else s["m"])
    return step


def adam_rule(lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False):
    def step(w, g, s, t):
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
        s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - b2)
        v = s["v"]
        if amsgrad:
            v = s["vhat"] = np.maximum(s.get("vhat", 0.0), v)
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - s["m"] * alpha / (np.sqrt(v) + eps)
    return step


def adamax_rule(lr, b1=0.9, b2=0.999, eps=1e-7):
    def step(w, g, s, t):
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
        s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g))
        return w - lr * s["m"] / ((1 - b1 ** t) * (s["u"] + eps))
    return step


def nadam_rule(lr, b1=0.9, b2=0.999, eps=1e-7):
    def step(w, g, s, t):
        mu = b1 * (1 - 0.5 * 0.96 ** t)
        mu_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        prod = s["prod"] = s.get("prod", 1.0) * mu
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
        s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - b2)
        m_hat = mu_next * s["m"] / (1 - prod * mu_next) + (1 - mu) * g / (1 - prod)
        v_hat = s["v"] / (1 - b2 ** t)
        return w - m_hat * lr / (np.sqrt(v_hat) + eps)
    return step


def rmsprop_rule(lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    def step(w, g, s, t):
        s["vel"] = rho * s.get("vel", 0.0) + (1 - rho) * g * g
        denominator = s["vel"] + eps
        if centered:
            s["avg"] = rho * s.get("avg", 0.0) + (1 - rho) * g
            denominator = s["vel"] - s["avg"] ** 2 + eps
        increment = lr * g / np.sqrt(denominator)
        if momentum:
            increment = s["mom"] = momentum * s.get("mom", 0.0) + increment
        return w - increment
    return step


def adagrad_rule(lr, initial=0.1, eps=1e-7):
    def step(w, g, s, t):
        s["acc"] = s.get("acc", initial) + g * g
        return w - lr * g / np.sqrt(s["acc"] + eps)
    return step


def adadelta_rule(lr, rho=0.95, eps=1e-7):
    def step(w, g, s, t):
        s["ag"] = rho * s.get("ag", 0.0) + (1 - rho) * g * g
        delta = -np.sqrt(s.get("ad", 0.0) + eps) * g / np.sqrt(s["ag"] + eps)
        s["ad"] = rho * s.get("ad", 0.0) + (1 - rho) * delta * delta
        return w + lr * delta
    return step


def ftrl_rule(lr, power=-0.5, initial=0.1, l1=0.0, l2=0.0, shrinkage=0.0, beta=0.0):
    def step(w, g, s, t):
        acc = s.get("acc", initial)
        new_acc = acc + g * g
        s["lin"] = s.get("lin", 0.0) + (g + 2 * shrinkage * w) - (
            new_acc ** -power - acc ** -power) / lr * w
        quadratic = new_acc ** -power / lr + 2 * (l2 + beta / (2 * lr))
        s["acc"] = new_acc
        return (np.clip(s["lin"], -l1, l1) - s["lin"]) / quadratic
    return step


def with_decay(rule, lr, decay):
    def step(w, g, s, t):
        return rule(w - w * decay * lr, g, s, t)
    return step


CASES = {
    "sgd": (lambda: optimizers.SGD(0.1), sgd_rule(f32(0.1))),
    "sgd_momentum": (lambda: optimizers.SGD(0.1, momentum=0.9),
                     sgd_rule(f32(0.1), 0.9)),
    "sgd_nesterov": (lambda: optimizers.SGD(0.1, momentum=0.8, nesterov=True),
                     sgd_rule(f32(0.1), 0.8, True)),
    "adam": (lambda: optimizers.Adam(0.01), adam_rule(f32(0.01))),
    "adam_options": (lambda: optimizers.Adam(0.02, beta_1=0.7, beta_2=0.95, epsilon=1e-3),
                     adam_rule(f32(0.02), 0.7, 0.95, 1e-3)),
    "amsgrad": (lambda: optimizers.Adam(0.01, amsgrad=True), adam_rule(f32(0.01), amsgrad=True)),
    "adamw": (lambda: optimizers.AdamW(0.01, weight_decay=0.1),
              with_decay(adam_rule(f32(0.01)), f32(0.01), 0.1)),
    "adamax": (lambda: optimizers.Adamax(0.01, beta_2=0.9), adamax_rule(f32(0.01), b2=0.9)),
    "nadam": (lambda: optimizers.Nadam(0.01), nadam_rule(f32(0.01))),
    "rmsprop": (lambda: optimizers.RMSprop(0.01), rmsprop_rule(f32(0.01))),
    "rmsprop_momentum": (lambda: optimizers.RMSprop(0.01, momentum=0.5),
                         rmsprop_rule(f32(0.01), momentum=0.5)),
    "rmsprop_centered": (lambda: optimizers.RMSprop(0.01, rho=0.8, centered=True),
                         rmsprop_rule(f32(0.01), rho=0.8, centered=True)),
    "rmsprop_both": (lambda: optimizers.RMSprop(0.01, momentum=0.3, centered=True),
                     rmsprop_rule(f32(0.01), momentum=0.3, centered=True)),
    "adagrad": (lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.5),
                adagrad_rule(f32(0.1), 0.5)),
    "adadelta": (lambda: optimizers.Adadelta(1.0, rho=0.9), adadelta_rule(1.0, 0.9)),
    "ftrl": (lambda: optimizers.Ftrl(0.1), ftrl_rule(f32(0.1))),
    "ftrl_regularized": (
        lambda: optimizers.Ftrl(0.1, learning_rate_power=-0.7, initial_accumulator_value=0.3,
                                l1_regularization_strength=0.05,
                                l2_regularization_strength=0.1,
                                l2_shrinkage_regularization_strength=0.2, beta=0.3),
        ftrl_rule(f32(0.1), -0.7, 0.3, 0.05, 0.1, 0.2, 0.3)),
    "sgd_weight_decay": (lambda: optimizers.SGD(0.1, momentum=0.5, weight_decay=0.2),
                         with_decay(sgd_rule(f32(0.1), 0.5), f32(0.1), 0.2)),
    "rmsprop_weight_decay": (lambda: optimizers.RMSprop(0.01, weight_decay=0.5),
                             with_decay(rmsprop_rule(f32(0.01)), f32(0.01), 0.5)),
}


def make_problem(seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    initial = [rng.normal(size=s) for s in SHAPES]
    grads = [[rng.normal(size=s) for s in SHAPES] for _ in range(steps)]
    return initial, grads


def reference(rule, initial, grads):
    """The weights after each step, per the NumPy rule."""
    weights = [w.copy() for w in initial]
    states = [{} for _ in weights]
    history = []
    for t, step_grads in enumerate(grads, 1):
        weights = [rule(w, g, s, t) for w, g, s in zip(weights, step_grads, states)]
        history.append([w.copy() for w in weights])
    return history


def traced_step(optimizer, variables):
    """`step(*grads)`: one apply_gradients, traced."""
    @engine.function
    def step(*grads):
        optimizer.apply_gradients(zip(grads, variables))
    return step


def run(optimizer, initial, grads, traced=False):
    variables = [engine.Variable(w, name=f"w{i}") for i, w in enumerate(initial)]

    def step(gs):
        optimizer.apply_gradients(zip(gs, variables))

    fn = engine.function(step) if traced else step
    history = []
    for step_grads in grads:
        fn([engine.constant(g) for g in step_grads])
        history.append([v.numpy().copy() for v in variables])
    return history, variables, fn


@pytest.mark.parametrize("case", sorted(CASES))
def test_update_rule_matches_numpy(case):
    make, rule = CASES[case]
    initial, grads = make_problem()
    expected = reference(rule, initial, grads)
    got, _, _ = run(make(), initial, grads)
    for step, (g_step, e_step) in enumerate(zip(got, expected)):
        for g, e in zip(g_step, e_step):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_traced_step_equals_eager(case):
    make, _ = CASES[case]
    initial, grads = make_problem(seed=1)
    eager, _, _ = run(make(), initial, grads)
    traced, _, fn = run(make(), initial, grads, traced=True)
    assert fn.experimental_get_tracing_count() == 1
    for e_step, t_step in zip(eager, traced):
        for e, t in zip(e_step, t_step):
            np.testing.assert_allclose(t, e, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("options, clip", [
    ({"clipnorm": 0.5}, lambda gs: [g * 0.5 / max(np.linalg.norm(g), 0.5) for g in gs]),
    ({"clipvalue": 0.3}, lambda gs: [np.clip(g, -0.3, 0.3) for g in gs]),
    ({"global_clipnorm": 0.7}, lambda gs: [
        g * 0.7 / max(np.sqrt(sum(np.sum(h * h) for h in gs)), 0.7) for g in gs]),
])
@pytest.mark.parametrize("traced", [False, True])
def test_gradient_clipping(options, clip, traced):
    initial, grads = make_problem(seed=2)
    expected = reference(sgd_rule(f32(0.1), 0.9), initial, [clip(gs) for gs in grads])
    got, _, _ = run(optimizers.SGD(0.1, momentum=0.9, **options), initial, grads, traced)
    np.testing.assert_allclose(got[-1][1], expected[-1][1], rtol=1e-10)
    np.testing.assert_allclose(got[-1][0], expected[-1][0], rtol=1e-10)


def test_only_one_clipping_option():
    with pytest.raises(ValueError, match="only one of clipnorm"):
        optimizers.Adam(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match="clipnorm must be a positive number"):
        optimizers.Adam(clipnorm=-1.0)


def test_learning_rate_changes_between_traced_calls_without_retracing():
    initial, grads = make_problem(seed=3)
    rates = [0.1, 0.05, 0.2, 0.01]
    opt = optimizers.Adam(rates[0])
    variables = [engine.Variable(w) for w in initial]

    @engine.function
    def step(gs):
        opt.apply_gradients(zip(gs, variables))

    states = [{} for _ in variables]
    weights = [w.copy() for w in initial]
    for t, (rate, step_grads) in enumerate(zip(rates, grads), 1):
        opt.learning_rate = rate
        step([engine.constant(g) for g in step_grads])
        weights = [adam_rule(f32(rate))(w, g, s, t)
                   for w, g, s in zip(weights, step_grads, states)]
        assert float(opt.learning_rate) == f32(rate)
    assert step.experimental_get_tracing_count() == 1
    for v, w in zip(variables, weights):
        np.testing.assert_allclose(v.numpy(), w, rtol=1e-10)
    eager_opt = optimizers.Adam(rates[0])
    eager_variables = [engine.Variable(w) for w in initial]
    for rate, step_grads in zip(rates, grads):
        eager_opt.learning_rate = rate
        eager_opt.apply_gradients(zip([engine.constant(g) for g in step_grads], eager_variables))
    for v, e in zip(variables, eager_variables):
        np.testing.assert_allclose(v.numpy(), e.numpy(), rtol=1e-13, atol=1e-15)


def test_bad_learning_rate():
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        optimizers.SGD("fast")
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        optimizers.SGD([0.1, 0.2])


def test_iterations_and_variables():
    with engine.name_scope("dense"):
        kernel = engine.Variable(np.ones((2, 3)), name="kernel")
        bias = engine.Variable(np.zeros(3), name="bias")
    opt = optimizers.Adam()
    assert opt.iterations.dtype == engine.int64
    assert [v.name for v in opt.variables] == ["iteration:0"]
    for step in range(3):
        opt.apply_gradients([(engine.ones_like(kernel), kernel), (engine.ones_like(bias), bias)])
        assert int(opt.iterations) == step + 1
    names = [v.name for v in opt.variables]
    assert names == ["iteration:0", "m/dense/kernel:0", "v/dense/kernel:0", "m/dense/bias:0",
                     "v/dense/bias:0"]
    assert [tuple(v.shape) for v in opt.variables[1:]] == [(2, 3), (2, 3), (3,), (3,)]
    assert all(not v.trainable for v in opt.variables)
    assert opt.variables() == opt.variables  # Keras 2 code calls it
    assert opt.apply_gradients([]) is opt.iterations and int(opt.iterations) == 3
    with pytest.raises(RuntimeError, match="cannot replace `iterations`"):
        opt.iterations = engine.Variable(0, dtype=engine.int64)
    fresh = optimizers.SGD()
    counter = engine.Variable(10, dtype=engine.int64)
    fresh.iterations = counter
    fresh.apply_gradients([(engine.ones_like(bias), bias)])
    assert int(counter) == 11 and fresh.variables[0] is counter


@pytest.mark.parametrize("make, names", [
    (lambda: optimizers.SGD(momentum=0.5), ["m"]),
    (lambda: optimizers.SGD(), []),
    (lambda: optimizers.Adam(amsgrad=True), ["m", "v", "vhat"]),
    (lambda: optimizers.Adamax(), ["m", "u"]),
    (lambda: optimizers.Nadam(), ["m", "v", "u_product"]),
    (lambda: optimizers.RMSprop(momentum=0.1, centered=True),
     ["velocity", "momentum", "average_gradient"]),
    (lambda: optimizers.Adagrad(), ["accumulator"]),
    (lambda: optimizers.Adadelta(), ["accumulated_grad", "accumulated_delta_var"]),
    (lambda: optimizers.Ftrl(), ["accumulator", "linear"]),
    (lambda: optimizers.SGD(use_ema=True), ["average"]),
])
def test_slot_names(make, names):
    w = engine.Variable([1.0, 2.0], name="w")
    opt = make()
    opt.build([w])
    assert [v.name.split("/")[0].split(":")[0] for v in opt.variables[1:]] == names
    assert all(v.name == "u_product:0" or v.name.endswith("/w:0") for v in opt.variables[1:])


def test_slots_are_created_on_the_first_trace():
    opt = optimizers.Adam(0.1)
    w = engine.Variable(np.ones(3))

    @engine.function
    def step():
        with engine.GradientTape() as tape:
            loss = engine.reduce_sum(w * w)
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))

    for _ in range(3):
        step()
    assert step.experimental_get_tracing_count() == 1
    assert len(opt.variables) == 3 and int(opt.iterations) == 3
    eager_w = engine.Variable(np.ones(3))
    eager_opt = optimizers.Adam(0.1)
    for _ in range(3):
        eager_opt.minimize(lambda: engine.reduce_sum(eager_w * eager_w), [eager_w])
    np.testing.assert_allclose(w.numpy(), eager_w.numpy(), rtol=1e-6)


def test_none_gradients_are_skipped_with_one_warning():
    a, b = engine.Variable(1.0, name="a"), engine.Variable(1.0, name="b")
    opt = optimizers.SGD(0.5)
    with pytest.warns(UserWarning, match=r"\['b:0'\]"):
        opt.apply_gradients([(engine.constant(1.0), a), (None, b)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.apply_gradients([(engine.constant(1.0), a), (None, b)])
    assert float(a) == 0.0 and float(b) == 1.0
    with pytest.raises(ValueError, match="no gradients provided"):
        opt.apply_gradients([(None, a), (None, b)])


def test_constraints_apply_after_the_update():
    w = engine.Variable([0.5, -0.5], constraint=lambda x: engine.maximum(x, 0.0))
    opt = optimizers.SGD(1.0)
    opt.apply_gradients([(engine.constant([1.0, -1.0]), w)])
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.5])
    traced = engine.Variable([0.5, -0.5], constraint=lambda x: engine.maximum(x, 0.0))
    traced_step(optimizers.SGD(1.0), [traced])(engine.constant([1.0, -1.0]))
    np.testing.assert_array_equal(traced.numpy(), [0.0, 0.5])


def test_minimize_with_a_callable_or_a_tape():
    w = engine.Variable(np.array([1.0, -2.0]))
    opt = optimizers.SGD(0.25)
    assert opt.minimize(lambda: 0.5 * engine.reduce_sum(w * w), [w]) is None
    np.testing.assert_allclose(w.numpy(), [0.75, -1.5])
    opt.minimize(lambda: 0.5 * engine.reduce_sum(w * w), lambda: [w])
    np.testing.assert_allclose(w.numpy(), [0.5625, -1.125])
    with engine.GradientTape() as tape:
        loss = engine.reduce_sum(w)
    opt.minimize(loss, [w], tape=tape)
    np.testing.assert_allclose(w.numpy(), [0.3125, -1.375])
    with pytest.raises(ValueError, match="needs the tape"):
        opt.minimize(loss, [w])


def test_mixed_dtypes_in_one_step():
    w32 = engine.Variable(np.float32([1.0, 2.0]))
    w64 = engine.Variable(np.float64([1.0, 2.0]))
    for make in (optimizers.Adam, optimizers.Nadam, lambda: optimizers.AdamW(0.01)):
        a32, a64 = engine.Variable(w32), engine.Variable(w64)
        opt = make()
        for _ in range(2):
            opt.apply_gradients([(engine.constant(np.float32([0.5, -1.0])), a32),
                                 (engine.constant(np.float64([0.5, -1.0])), a64)])
        assert a32.dtype == engine.float32 and a64.dtype == engine.float64
        np.testing.assert_allclose(a32.numpy(), a64.numpy(), rtol=1e-6)


def test_bad_gradients_and_pairs():
    w = engine.Variable([1.0, 2.0])
    opt = optimizers.SGD()
    with pytest.raises(DTypeError, match="Cast the gradient"):
        opt.apply_gradients([(engine.constant([1.0, 2.0], dtype=engine.float64), w)])
    with pytest.raises(TypeError, match=r"\(gradient, engine.Variable\) pairs"):
        opt.apply_gradients([(engine.constant([1.0, 2.0]), np.ones(2))])
    with pytest.raises(TypeError, match="iterable of"):
        opt.apply_gradients(3)
    opt.apply_gradients([(np.array([1.0, 1.0]), w)])  # arrays are converted
    np.testing.assert_allclose(w.numpy(), [0.99, 1.99])
    w64 = engine.Variable(np.float64([1.0, 1.0]))
    optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([([2.0, -2.0], w64)])  # before clipping
    np.testing.assert_array_equal(w64.numpy(), [0.5, 1.5])


def test_unknown_keyword_arguments():
    with pytest.raises(TypeError, match="lr: use learning_rate="):
        optimizers.Adam(lr=0.1)
    with pytest.raises(TypeError, match="decay: use a learning rate schedule"):
        optimizers.SGD(decay=0.1)


def test_weight_decay_exclusions():
    kernel, bias = engine.Variable(1.0, name="kernel"), engine.Variable(1.0, name="bias")
    other = engine.Variable(1.0, name="other")
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    zero = engine.constant(0.0)
    opt.apply_gradients([(zero, kernel), (zero, bias), (zero, other)])
    assert float(kernel) == pytest.approx(0.95) and float(bias) == 1.0 and float(other) == 1.0
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])
    with pytest.raises(ValueError, match="weight_decay must be a float"):
        optimizers.AdamW(weight_decay=None)


@pytest.mark.parametrize("traced", [False, True])
def test_moving_average_and_overwrite(traced):
    initial, grads = make_problem(seed=5, steps=4)
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=3)
    got, variables, _ = run(opt, initial, grads, traced)
    weights = [w.copy() for w in initial]
    averages = [w.copy() for w in initial]
    for t, step_grads in enumerate(grads, 1):
        weights = [w - f32(0.1) * g for w, g in zip(weights, step_grads)]
        averages = [0.8 * a + 0.2 * w for a, w in zip(averages, weights)]
        if t % 3 == 0:
            weights = [a.copy() for a in averages]
        np.testing.assert_allclose(got[t - 1][0], weights[0], rtol=1e-10)
    opt.finalize_variable_values(variables)
    np.testing.assert_allclose(variables[1].numpy(), averages[1], rtol=1e-10)
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.SGD(use_ema=True, ema_momentum=2.0)


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "adamax", "nadam", "rmsprop",
                                  "adagrad", "adadelta", "ftrl"])
def test_config_round_trip(name):
    opt = optimizers.get(name)
    config = json.loads(json.dumps(optimizers.serialize(opt)))
    rebuilt = optimizers.deserialize(config)
    assert type(rebuilt) is type(opt)
    assert rebuilt.get_config() == opt.get_config()


def test_config_keeps_hyperparameters():
    opt = optimizers.RMSprop(0.003, rho=0.8, momentum=0.2, centered=True, clipnorm=1.0,
                             name="rms")
    config = opt.get_config()
    assert config["learning_rate"] == 0.003 and config["rho"] == 0.8
    assert config["centered"] is True and config["clipnorm"] == 1.0 and config["name"] == "rms"
    assert optimizers.RMSprop.from_config(config).get_config() == config


def test_string_and_dict_identifiers():
    assert type(optimizers.get("adam")) is optimizers.Adam
    assert type(optimizers.get("Adam")) is optimizers.Adam
    assert type(optimizers.get("RMSprop")) is optimizers.RMSprop
    opt = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5,
                                                         "nesterov": True, "momentum": 0.9}})
    assert float(opt.learning_rate) == 0.5 and opt.nesterov and opt.momentum == 0.9
    same = optimizers.Adam()
    assert optimizers.get(same) is same
    assert type(optimizers.get(optimizers.Ftrl)) is optimizers.Ftrl
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'.*Did you mean 'adam'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(3)


def test_keras_style_custom_optimizer():
    class Sign(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, name="Sign", **kwargs):
            super().__init__(name=name, **kwargs)
            self._learning_rate = self._build_learning_rate(learning_rate)

        def build(self, var_list):  # Keras 2.11's pattern
            super().build(var_list)
            if getattr(self, "_built", False):
                return
            self._built = True
            self.counts = [self.add_variable_from_reference(v, "count") for v in var_list]

        def update_step(self, gradient, variable):
            count = self.counts[self._index_dict[self._var_key(variable)]]
            count.assign_add(engine.ones_like(count))
            variable.assign_sub(engine.cast(self.learning_rate, variable.dtype)
                                * engine.sign(gradient))

    w = engine.Variable([1.0, -1.0])
    opt = Sign()
    opt.apply_gradients([(engine.constant([3.0, -0.5]), w)])
    traced_step(opt, [w])(engine.constant([3.0, -0.5]))
    np.testing.assert_allclose(w.numpy(), [0.8, -0.8])
    np.testing.assert_array_equal(opt.counts[0].numpy(), [2.0, 2.0])
    assert opt.get_config()["learning_rate"] == 0.1

    class Nothing(optimizers.Optimizer):
        def __init__(self):
            super().__init__(name="nothing")

    with pytest.raises(NotImplementedError, match="must implement update_step"):
        Nothing().apply_gradients([(engine.constant(1.0), engine.Variable(1.0))])


@pytest.mark.parametrize("traced", [False, True])
def test_slots_live_on_the_variables_device(gpu, traced):
    initial, grads = make_problem(seed=6)
    want, _, _ = run(optimizers.Adam(0.01, amsgrad=True), initial, grads, traced)
    with engine.device("/GPU:0"):
        variables = [engine.Variable(w) for w in initial]
    opt = optimizers.Adam(0.01, amsgrad=True)
    step = traced_step(opt, variables) if traced else (
        lambda *gs: opt.apply_gradients(zip(gs, variables)))
    for step_grads in grads:
        step(*[engine.constant(g) for g in step_grads])
    assert all("GPU:0" in v.device for v in opt.variables[1:] + variables)
    for v, w in zip(variables, want[-1]):
        np.testing.assert_allclose(v.numpy(), w, rtol=1e-13)
