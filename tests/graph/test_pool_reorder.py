"""Traced max pooling moves before the bias add and activation that made its input.

`max_pool2d(relu(bias_add(z, b)))` traced becomes `relu(bias_add(max_pool2d(z), b))`:
values and gradients must equal the eager run's (which keeps the written order), and
only chains that commute with a max may move.
"""

import numpy as np
import pytest

import engine

R = np.random.default_rng(29)
F64 = engine.float64


def _leaky(y):
    return engine.nn.leaky_relu(y, alpha=0.2)


CHAINS = {
    "bias_add relu": lambda z, b: engine.nn.relu(engine.nn.bias_add(z, b)),
    "add tanh": lambda z, b: engine.tanh(z + b),
    "bias only": lambda z, b: engine.nn.bias_add(z, b),
    "relu only": lambda z, b: engine.nn.relu(z),
    "leaky relu": lambda z, b: _leaky(b + z),
    "sigmoid": lambda z, b: engine.sigmoid(engine.nn.bias_add(z, b)),
}


def _model(chain, padding="VALID", pool=(2, 2)):
    def step(x, kernel, bias):
        with engine.GradientTape() as tape:
            tape.watch([x, kernel, bias])
            z = engine.nn.conv2d(x, kernel, 1, "VALID")
            y = engine.nn.max_pool2d(chain(z, bias), pool, pool, padding)
            loss = engine.reduce_sum(y * y * engine.range(1.0, 5.0, dtype=F64))
        return [y] + tape.gradient(loss, [x, kernel, bias])
    return step


def _args():
    return [engine.constant(R.standard_normal(s)) for s in [(2, 9, 10, 3), (3, 3, 3, 4), (4,)]]


def _assert_same(got, want, rtol=1e-12):
    for g, w in zip(got, want):
        if w is None:  # a gradient of an unused input
            assert g is None
        else:
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=rtol, atol=1e-12)


def _pool_input_types(fn, args):
    """The op types feeding the MaxPool nodes of `fn` traced, with no pass run after."""
    options = engine.config.optimizer.get_experimental_options()
    engine.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        graph = engine.function(fn).get_concrete_function(*args).graph
    finally:
        engine.config.optimizer.set_experimental_options(options)
    return {node.inputs[0].op.type for node in graph.nodes if node.type == "MaxPool"}


@pytest.mark.parametrize("name", list(CHAINS))
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_traced_pooling_moves_first_and_matches_eager(name, padding):
    step, args = _model(CHAINS[name], padding), _args()
    assert _pool_input_types(step, args) == {"Conv2D"}
    _assert_same(engine.function(step)(*args), step(*args))


@pytest.mark.parametrize("chain, feeds", [
    (lambda z, b: engine.nn.gelu(engine.nn.bias_add(z, b)), "Gelu"),  # gelu dips below zero
    (lambda z, b: engine.nn.leaky_relu(z, alpha=-0.5), "LeakyRelu"),  # decreasing below zero
    (lambda z, b: engine.nn.relu(z * b), "Mul"),          # the relu moves, not the scale,
    (lambda z, b: engine.nn.relu(z + b[0]), "AddV2"),     # nor an add of a scalar,
    (lambda z, b: engine.nn.bias_add(z, b) * 2.0, "Mul"),  # nor anything after a scale
])
def test_only_what_commutes_moves(chain, feeds):
    step, args = _model(chain), _args()
    assert _pool_input_types(step, args) == {feeds}
    _assert_same(engine.function(step)(*args), step(*args))


def test_the_switch_and_a_second_reader():
    args = _args()

    def both(x, kernel, bias):
        h = engine.nn.relu(engine.nn.bias_add(engine.nn.conv2d(x, kernel, 1, "VALID"), bias))
        return engine.nn.max_pool2d(h, 2, 2, "VALID"), engine.reduce_sum(h)  # h read twice

    assert _pool_input_types(both, args) == {"Conv2D"}
    _assert_same(engine.function(both)(*args), both(*args))
    engine.config.optimizer.set_experimental_options({"max_pool_reordering": False})
    try:
        assert _pool_input_types(both, args) == {"Relu"}
    finally:
        engine.config.optimizer.set_experimental_options({"max_pool_reordering": True})
