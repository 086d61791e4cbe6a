"""Checks shared by the Keras layer tests: gradients through a layer, config round trips."""

from __future__ import annotations

import numpy as np

import engine
from engine import nest


def check_layer_gradients(run, variables, eps=1e-6, rtol=1e-6, atol=1e-9, seed=0):
    """Compares the tape's gradients of `run()` with float64 central differences.

    `run()` computes the layer's output from `variables` (float64 `engine.Variable`s: the
    inputs and the layer's weights). One random cotangent and one random direction:
    <grad(u), v> must equal <u, (run(w + eps v) - run(w - eps v)) / (2 eps)>.
    """
    rng = np.random.default_rng(seed)
    with engine.GradientTape() as tape:
        tape.watch(variables)
        outputs = nest.flatten(run())
    cotangents = [rng.standard_normal(o.shape.as_list()) for o in outputs]
    grads = tape.gradient(outputs, variables,
                          output_gradients=[engine.constant(u) for u in cotangents])
    assert all(g is not None for g in grads), "a variable got no gradient"
    directions = [rng.standard_normal(v.shape.as_list()) for v in variables]
    analytic = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(grads, directions))
    start = [v.numpy().copy() for v in variables]

    def value_at(sign):
        for v, w, d in zip(variables, start, directions):
            v.assign(w + sign * eps * d)
        return sum(float(np.sum(o.numpy() * u)) for o, u in zip(nest.flatten(run()),
                                                                 cotangents))

    numeric = (value_at(1) - value_at(-1)) / (2 * eps)
    for v, w in zip(variables, start):
        v.assign(w)
    assert abs(analytic - numeric) <= atol + rtol * 10 * max(1.0, abs(numeric)), (
        f"gradient mismatch: analytic {analytic!r} vs numeric {numeric!r}")


def check_config_round_trip(layer, *args, **kwargs):
    """A layer rebuilt from its config (via `layers.deserialize`) and given the same weights
    computes the same outputs on `layer(*args, **kwargs)`; returns the new layer."""
    import json

    config = json.loads(json.dumps(engine.keras.layers.serialize(layer)))
    clone = engine.keras.layers.deserialize(config)
    assert type(clone) is type(layer)
    assert clone.get_config() == layer.get_config()
    expected = layer(*args, **kwargs)
    clone(*args, **kwargs)
    clone.set_weights(layer.get_weights())
    for a, b in zip(nest.flatten(clone(*args, **kwargs)), nest.flatten(expected)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    return clone
