"""What an optimizer accepts as a learning rate, and how a per-step rate is evaluated.

A learning rate is a number (or scalar tensor), a `LearningRateSchedule` (called with the
step count) or a zero-argument callable. Optimizers keep the current value in a
non-trainable variable: numbers are assigned to it, schedules and callables are evaluated
into it at the start of each step, so a traced step reads it at run time.
"""

from __future__ import annotations

import warnings

from engine.convert import convert_to_tensor
from engine.keras.optimizers import schedules
from engine.ops.math_ops import cast
from engine.tensor import Tensor

__all__ = ["is_per_step", "check_value", "evaluate", "describe", "warn_traced", "serialize"]


def is_per_step(value) -> bool:
    """Whether a learning rate is recomputed every step (a schedule or a callable).

    Args:
        value: what the user gave as learning rate.

    Returns:
        True for schedules and callables; False for numbers, tensors and variables.
    """
    return callable(value) and not isinstance(value, Tensor) and not hasattr(value, "_read")


def check_value(owner: str, value, dtype):
    """A fixed learning rate as a Python float or a scalar tensor of `dtype`.

    Args:
        owner: the optimizer's class name, for errors.
        value: a number, a scalar tensor or a variable.
        dtype: the learning-rate variable's dtype.

    Returns:
        A float, or a scalar tensor of `dtype`.

    Raises:
        TypeError: for anything else.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        tensor = convert_to_tensor(value)
    except (TypeError, ValueError):
        tensor = None
    numeric = tensor is not None and (tensor.dtype.is_floating or tensor.dtype.is_integer)
    if not numeric or tensor.shape.rank != 0:
        raise TypeError(f"{owner}: learning_rate must be a number, a scalar tensor, a "
                        "LearningRateSchedule or a zero-argument callable; got "
                        f"{value!r} ({type(value).__name__}).")
    return cast(tensor, dtype)


def evaluate(source, iterations, dtype):
    """The current rate of a schedule (at `iterations`) or a callable, as `dtype`.

    Args:
        source: a `LearningRateSchedule` or a zero-argument callable.
        iterations: the step count (an integer tensor).
        dtype: the learning-rate variable's dtype.

    Returns:
        A scalar tensor of `dtype`.
    """
    if isinstance(source, schedules.LearningRateSchedule):
        value = source(iterations)
    else:
        value = source()
    if not isinstance(value, Tensor) and not hasattr(value, "_read"):
        value = convert_to_tensor(value)
    return cast(value, dtype)


def describe(source) -> str:
    """A few words naming a learning-rate source, for messages.

    Args:
        source: a schedule, a callable, or None for a plain number.

    Returns:
        A phrase.
    """
    if source is None:
        return "a number"
    if isinstance(source, schedules.LearningRateSchedule):
        return f"the schedule {type(source).__name__}"
    return f"the callable {source!r}"


def warn_traced(owner: str, before, after) -> None:
    """Warns that a traced step keeps the learning-rate source it was traced with.

    Args:
        owner: the optimizer's name.
        before: the source when the step was traced (None: a number).
        after: the new source.
    """
    warnings.warn(
        f"{owner}: the learning rate changed from {describe(before)} to {describe(after)} "
        "after a step was traced with engine.function; that traced step keeps using the "
        "former. Trace the step again (e.g. wrap it in a new engine.function) to use the new "
        "one. Numbers can be changed freely: they are assigned to a variable.", stacklevel=3)


def serialize(hyperparameter):
    """A hyperparameter as JSON-able data: schedules as config dicts, callables called.

    Args:
        hyperparameter: a number, tensor, variable, schedule or zero-argument callable.

    Returns:
        A number, or a schedule's `{"class_name", "config"}` dict.
    """
    if isinstance(hyperparameter, schedules.LearningRateSchedule):
        return schedules.serialize(hyperparameter)
    if is_per_step(hyperparameter):
        hyperparameter = hyperparameter()
    if isinstance(hyperparameter, Tensor) or hasattr(hyperparameter, "_read"):
        # The shortest decimal that round-trips the value: 0.001, not 0.0010000000474974513.
        return float(str(hyperparameter.numpy()))
    return hyperparameter
