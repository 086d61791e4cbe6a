"""TensorFlow's `tf.autograph` helpers around conversion: `to_graph`, `set_verbosity`, `trace`.

Example:
    >>> engine.autograph.get_verbosity()
    0
"""

from __future__ import annotations

import builtins
import logging

from engine.autograph.conversion import convert, do_not_convert

__all__ = ["to_graph", "set_verbosity", "get_verbosity", "trace"]

_STATE = {"verbosity": 0}


def to_graph(entity, recursive=True, experimental_optional_features=None):
    """The autograph-converted version of `entity`, ready for `engine.function`.

    `if`/`while`/`for` on tensors become `engine.cond` / `engine.while_loop` when traced.

    Args:
        entity: a function or method.
        recursive: accepted for TensorFlow parity (calls are converted while tracing).
        experimental_optional_features: accepted for TensorFlow parity.

    Returns:
        The converted callable.

    Example:
        >>> def absolute(x):
        ...     if x < 0:
        ...         x = -x
        ...     return x
        >>> float(engine.function(engine.autograph.to_graph(absolute))(engine.constant(-2.0)))
        2.0
    """
    converted = convert(entity)
    if converted is entity:
        return entity
    return do_not_convert(converted)  # converted once: engine.function must not redo it


def set_verbosity(level, alsologtostdout=False) -> None:
    """Sets how much autograph logs (0: nothing) on the 'engine' logger.

    Args:
        level: an int >= 0.
        alsologtostdout: also print the messages.

    Raises:
        ValueError: for a negative level.

    Example:
        >>> engine.autograph.set_verbosity(0)
    """
    level = int(level)
    if level < 0:
        raise ValueError(f"set_verbosity: got level={level}; expected an int >= 0.")
    _STATE["verbosity"] = level
    _STATE["stdout"] = bool(alsologtostdout)
    logging.getLogger("engine").debug("autograph verbosity set to %d", level)


def get_verbosity() -> int:
    """The level `set_verbosity` set (0 by default).

    Returns:
        An int.

    Example:
        >>> engine.autograph.get_verbosity()
        0
    """
    return _STATE["verbosity"]


def trace(*args) -> None:
    """Prints its arguments when it runs: once per trace inside `engine.function`.

    Use it to see what tracing sees (symbolic tensors, Python values).

    Args:
        *args: the values to print.

    Example:
        >>> engine.autograph.trace("shape", (2, 3))
        shape (2, 3)
    """
    builtins.print(*args)
