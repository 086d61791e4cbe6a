"""The serialized weight options of a layer: initializers, regularizers and constraints.

Dense, Conv, MultiHeadAttention and the recurrent layers take the same per-weight options
(`kernel_initializer`, `bias_regularizer`, ...); `weight_options_config` writes them into
a `get_config` dict in one place.
"""

from __future__ import annotations

from engine.keras import constraints, initializers, regularizers

__all__ = ["weight_options_config"]


def weight_options_config(layer, weights=("kernel", "bias"), activity: bool = True) -> dict:
    """`{"<weight>_initializer": ..., "<weight>_regularizer": ..., "<weight>_constraint":
    ...}` for each of `weights`, serialized, plus `activity_regularizer` with `activity`.

    Args:
        layer: a layer with those attributes.
        weights: the weight names, e.g. `("kernel", "recurrent", "bias")`.
        activity: include the layer's `activity_regularizer`.

    Returns:
        A dict to merge into the layer's config.

    Example:
        >>> dense = engine.keras.layers.Dense(2, kernel_regularizer="l2")
        >>> from engine.keras.layers.weight_options import weight_options_config
        >>> weight_options_config(dense)["kernel_regularizer"]["class_name"]
        'L2'
    """
    config = {}
    for kind, module in (("initializer", initializers), ("regularizer", regularizers),
                         ("constraint", constraints)):
        for name in weights:
            config[f"{name}_{kind}"] = module.serialize(getattr(layer, f"{name}_{kind}"))
        if kind == "regularizer" and activity:
            config["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    return config
