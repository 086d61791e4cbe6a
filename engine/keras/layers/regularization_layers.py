"""Pass-through layers: `ActivityRegularization` (adds a penalty on its inputs) and `Identity`.

Both return their inputs unchanged. `ActivityRegularization` adds
`(l1 * sum(|x|) + l2 * sum(x ** 2)) / batch_size` to the layer's `losses` on every call, in
training and inference alike (as Keras 2 does), through the base layer's
`activity_regularizer`; `Model.fit` adds it to the loss it minimizes.
"""

from __future__ import annotations

import numbers

from engine import nest
from engine.keras import regularizers
from engine.keras.layers.base import Layer
from engine.ops import array_ops

__all__ = ["ActivityRegularization", "Identity"]


def _factor(arg: str, value) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"ActivityRegularization: {arg} must be a number >= 0; got "
                         f"{arg}={value!r}. Pass 0 to turn the {arg} term off.")
    return float(value)


class ActivityRegularization(Layer):
    """Adds an L1/L2 penalty on its inputs to the layer's losses; returns them unchanged.

    The penalty is `l1 * sum(|x|) + l2 * sum(x ** 2)`, divided by the batch size.

    Args:
        l1: the L1 factor (>= 0).
        l2: the L2 factor (>= 0).
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.ActivityRegularization(l1=0.5, l2=1.0)
        >>> layer(engine.constant([[1.0, -2.0]])).numpy()
        array([[ 1., -2.]], dtype=float32)
        >>> float(layer.losses[0])  # 0.5 * 3 + 1.0 * 5, over a batch of one
        6.5
    """

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        if "activity_regularizer" in kwargs:
            raise TypeError("ActivityRegularization: got an activity_regularizer argument; "
                            "this layer builds its own from l1 and l2. Pass l1=... and "
                            "l2=... instead.")
        l1, l2 = _factor("l1", l1), _factor("l2", l2)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2

    def call(self, inputs):
        return inputs

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config


class Identity(Layer):
    """Returns its inputs (a tensor or a nest of them) unchanged; a placeholder layer.

    Useful where a layer is expected but nothing should happen, e.g. to switch a block off
    without rewiring a model. Masks pass through.

    Args:
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> engine.keras.layers.Identity()(engine.constant([1.0, 2.0])).numpy()
        array([1., 2.], dtype=float32)
    """

    supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        return nest.map_structure(array_ops.identity, inputs)
