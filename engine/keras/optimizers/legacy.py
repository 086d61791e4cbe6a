"""`engine.keras.optimizers.legacy`: the optimizers under Keras 2.11+'s legacy names.

Keras 2.11 moved the pre-2.11 optimizers to `tf.keras.optimizers.legacy`; ported code
writes `tf.keras.optimizers.legacy.Adam(...)`. Here they are the same optimizers, and
also accept the legacy arguments: `lr` (the old name of `learning_rate`) and `decay`
(the learning rate at step t is `learning_rate / (1 + decay * t)`, applied as an
`InverseTimeDecay` schedule).

Example:
    >>> opt = engine.keras.optimizers.legacy.SGD(learning_rate=0.1, decay=0.5)
    >>> opt.get_config()["learning_rate"]["class_name"]
    'InverseTimeDecay'
"""

from __future__ import annotations

import inspect
import warnings

from engine.keras.optimizers.adam import Adam, Adamax, Nadam
from engine.keras.optimizers.base import Optimizer
from engine.keras.optimizers.ftrl import Ftrl
from engine.keras.optimizers.rmsprop import Adadelta, Adagrad, RMSprop
from engine.keras.optimizers.schedules import InverseTimeDecay
from engine.keras.optimizers.sgd import SGD as _SGD

__all__ = ["Optimizer", "SGD", "Adam", "Adamax", "Nadam", "RMSprop", "Adagrad", "Adadelta",
           "Ftrl"]

_DOC = """{name} with Keras 2's legacy arguments `lr` and `decay` (see the module docstring).

    Args:
        *args: as for `engine.keras.optimizers.{name}`.
        decay: the legacy inverse-time decay of the learning rate per step (0: none).
        lr: the legacy name of `learning_rate`.
        **kwargs: as for `engine.keras.optimizers.{name}`.

    Example:
        >>> opt = engine.keras.optimizers.legacy.{name}(learning_rate=0.01)
        >>> round(float(opt.learning_rate), 6)
        0.01
    """


def _legacy(cls):
    default = inspect.signature(cls.__init__).parameters["learning_rate"].default

    def __init__(self, *args, decay=0.0, lr=None, **kwargs):  # noqa: N807
        if lr is not None:
            warnings.warn(f"{cls.__name__}: `lr` is deprecated; use `learning_rate`.",
                          DeprecationWarning, stacklevel=2)
            kwargs["learning_rate"] = lr
        if decay:
            if decay < 0:
                raise ValueError(f"{cls.__name__}: decay={decay!r}; expected a number >= 0.")
            rate = args[0] if args else kwargs.get("learning_rate", default)
            schedule = InverseTimeDecay(rate, decay_steps=1, decay_rate=decay)
            if args:
                args = (schedule, *args[1:])
            else:
                kwargs["learning_rate"] = schedule
        cls.__init__(self, *args, **kwargs)

    legacy = type(cls.__name__, (cls,), {"__init__": __init__, "__module__": __name__,
                                         "__doc__": _DOC.format(name=cls.__name__)})
    legacy.__qualname__ = cls.__name__
    return legacy


SGD = _legacy(_SGD)
Adam = _legacy(Adam)
Adamax = _legacy(Adamax)
Nadam = _legacy(Nadam)
RMSprop = _legacy(RMSprop)
Adagrad = _legacy(Adagrad)
Adadelta = _legacy(Adadelta)
Ftrl = _legacy(Ftrl)
