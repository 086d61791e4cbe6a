"""What the image preprocessing layers share: seeds, image sizes and argument checks.

`RandomImageLayer` is the base of the augmentation layers. As in Keras 2, each layer owns
a random generator (`engine.random.Generator`) made from its `seed` when the layer is
created (a seed drawn from Python's `random` when `seed` is None, so
`engine.keras.utils.set_random_seed` makes unseeded layers repeatable too). Two layers with
the same seed draw the same numbers call by call, eagerly, in traced functions and in
`Dataset.map`; the generator's state is not one of the layer's weights.

Keras 2 defaults `training` to True in these layers' `call`: called directly they augment;
`model.predict` and `model.evaluate` (and `training=False`) pass images through.
"""

from __future__ import annotations

import numbers
import random as _pyrandom

from engine import dtypes as _dt
from engine.convert import tensor_or_variable
from engine.errors import ShapeError
from engine.keras.layers.base import Layer
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops.random_generator import Generator
from engine.tensor import Tensor

__all__ = ["RandomImageLayer"]


def image_tensor(layer: str, inputs, dtype=None):
    """`inputs` as a tensor of rank 3 or 4 (cast to `dtype` if given)."""
    x = tensor_or_variable(inputs)
    if x.shape.rank not in (3, 4):
        got = "an unknown rank" if x.shape.rank is None else f"shape {x.shape}"
        raise ShapeError(f"{layer}: got images of {got}; expected rank 3 (height, width, "
                         "channels) or 4 (batch, height, width, channels).")
    if dtype is not None and x.dtype is not dtype:
        x = _m.cast(x, dtype)
    return x


def sizes(x) -> list:
    """The dims of 4-D `x`: ints where known, scalar int32 tensors elsewhere."""
    static = x.shape.as_list()
    if None not in static:
        return static
    dynamic = _a.shape(x)
    return [dynamic[i] if d is None else d for i, d in enumerate(static)]


def as_float(value):
    """An int or scalar int tensor as a float32 scalar (tensors) or a float."""
    return _m.cast(value, _dt.float32) if isinstance(value, Tensor) else float(value)


def check_size(layer: str, what: str, value) -> int:
    """A positive int argument (`height`, `width`)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{layer}: got {what}={value!r}; expected a positive int (pixels).")
    return int(value)


def number_arg(layer: str, what: str, value) -> float:
    """A real-number argument as a float; ValueError naming the layer otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{layer}: got {what}={value!r}; expected a number or a tuple of "
                         "two numbers (lower, upper).")
    return float(value)


def factor_range(layer: str, what: str, factor, low=None, high=None) -> tuple:
    """(lower, upper) of a Keras factor: a number f means (-f, f), a pair is (lower, upper).

    `low`/`high` bound both values; raises ValueError naming the layer and argument.
    """
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{layer}: got {what}={factor!r}; expected a number or a tuple of "
                             "two numbers (lower, upper).")
        lower, upper = (number_arg(layer, what, f) for f in factor)
    else:
        upper = number_arg(layer, what, factor)
        lower = -upper
    if upper < lower:
        raise ValueError(f"{layer}: got {what}={factor!r}, whose upper bound {upper} is below "
                         f"its lower bound {lower}; expected lower <= upper. Swap the values "
                         "(a single number f means (-f, f), so give a positive number).")
    if (low is not None and lower < low) or (high is not None and upper > high):
        raise ValueError(f"{layer}: got {what}={factor!r}; expected values in "
                         f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
                         ".")
    return lower, upper


FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def check_choice(layer: str, what: str, value, choices: tuple) -> str:
    """`value` if it is one of `choices`, else a ValueError listing them."""
    if value not in choices:
        raise ValueError(f"{layer}: got {what}={value!r}; expected one of "
                         f"{', '.join(repr(c) for c in choices)}.")
    return value


class RandomImageLayer(Layer):
    """Base of the image augmentation layers: a seeded generator and batch handling.

    Subclasses implement `augment(images)` for a 4-D batch in the compute dtype; `call`
    casts the inputs, adds and removes the batch axis of 3-D images, and returns the
    inputs (cast) when not training.

    Args:
        seed: an int seed (None: one drawn from Python's `random`).

    Example:
        >>> layer = engine.keras.layers.RandomFlip("horizontal", seed=1)
        >>> layer(np.ones([4, 4, 3]), training=False).shape
        TensorShape([4, 4, 3])
    """

    # Whether inference casts the inputs to the compute dtype (Keras 2's RandomHeight and
    # RandomWidth return them as they are).
    _cast_when_inferring = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(
                seed, numbers.Integral)):
            raise ValueError(f"{type(self).__name__}: got seed={seed!r}; expected an int or "
                             "None.")
        self.seed = None if seed is None else int(seed)
        start = self.seed if seed is not None else _pyrandom.randint(1, 10**9)
        self._generator = Generator.from_seed(start)

    def _uniform(self, shape, minval, maxval, dtype=_dt.float32):
        """Uniform draws in [minval, maxval); the one place the layer draws numbers."""
        return self._generator.uniform(shape, minval=minval, maxval=maxval, dtype=dtype)

    def call(self, inputs, training=True):
        name = type(self).__name__
        if not _is_training(training):
            if not self._cast_when_inferring:
                return image_tensor(name, inputs)
            return image_tensor(name, inputs, self._dtype)
        x = image_tensor(name, inputs, self._dtype)
        unbatched = x.shape.rank == 3
        out = self.augment(_a.expand_dims(x, 0) if unbatched else x)
        return _a.squeeze(out, [0]) if unbatched else out

    def augment(self, images):
        """The augmented 4-D batch; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement augment.")

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["seed"] = self.seed
        return config


def _is_training(training) -> bool:
    if isinstance(training, Tensor):
        from engine.ops.shape_tensors import is_symbolic  # noqa: PLC0415

        if is_symbolic(training):
            raise ValueError("image preprocessing layers: got training as a tensor known only "
                             "when the graph runs; expected a Python bool. Pass "
                             "training=True or training=False.")
        return bool(training.numpy())
    return bool(training)
