"""`engine.keras.mixed_precision`: float16/bfloat16 computation with float32 weights.

Keras 2's API: `Policy`, `set_global_policy`, `global_policy` and `LossScaleOptimizer`.
Under `"mixed_float16"` or `"mixed_bfloat16"` layers keep float32 weights, cast their
floating inputs to the half-precision compute dtype, and read their weights in it inside
`call` (`autocast.py`). `Model.compile` wraps the optimizer in a `LossScaleOptimizer`
when the model's policy is `"mixed_float16"`, whose gradients would otherwise underflow.

Example:
    >>> mp = engine.keras.mixed_precision
    >>> mp.set_global_policy("mixed_float16")
    >>> layer = engine.keras.layers.Dense(2)
    >>> layer(engine.ones([1, 3])).dtype, layer.dtype
    (engine.float16, 'float32')
    >>> mp.set_global_policy(None)
"""

from engine.keras.mixed_precision.policy import Policy, global_policy, set_global_policy

__all__ = ["Policy", "global_policy", "set_global_policy", "LossScaleOptimizer"]


def __getattr__(name: str):
    # Loaded on first use: the optimizers sit beside the layers, which import this package.
    if name == "LossScaleOptimizer":
        from engine.keras.optimizers.loss_scale_optimizer import LossScaleOptimizer

        globals()[name] = LossScaleOptimizer
        return LossScaleOptimizer
    raise AttributeError(f"module 'engine.keras.mixed_precision' has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__")})
