"""`engine.keras.optimizers.schedules`: learning rates that change with the step.

A schedule is a callable object: `schedule(step)` returns the learning rate at `step`
(a Python int or an integer tensor) as a scalar tensor. Optimizers call it with their
`iterations` counter on every `apply_gradients`, so inside `engine.function` the
schedule is part of the traced graph and follows the counter at run time. Every schedule
is written with engine ops only, with no Python branching on the step, so the same code
runs eagerly and traced.

The formulas are those of Keras 2.11+ (`tf.keras.optimizers.schedules`); each class's
docstring states its own. Schedules serialize as `{"class_name", "config"}` with
`serialize` / `deserialize`, like other Keras objects.
"""

from __future__ import annotations

import math

import engine
from engine.keras import serialization

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]


class LearningRateSchedule:
    """Base class of learning rate schedules: `schedule(step)` -> learning rate.

    Subclasses implement `__call__(step)` with engine ops and `get_config()`.

    Example:
        >>> class Halving(engine.keras.optimizers.schedules.LearningRateSchedule):
        ...     def __init__(self, rate):
        ...         self.rate = rate
        ...     def __call__(self, step):
        ...         return self.rate * engine.pow(0.5, engine.cast(step, "float32"))
        ...     def get_config(self):
        ...         return {"rate": self.rate}
        >>> float(Halving(1.0)(3))
        0.125
    """

    def __call__(self, step):
        """The learning rate at `step`.

        Args:
            step: a Python int or an integer scalar tensor.

        Returns:
            A scalar tensor.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            A dict such that `type(self).from_config(config)` rebuilds the schedule.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement get_config().")

    @classmethod
    def from_config(cls, config: dict):
        """Builds the schedule from `get_config()`'s dict.

        Args:
            config: the dict.

        Returns:
            A new schedule.
        """
        return cls(**config)


def _positive(cls: str, name: str, value) -> None:
    if isinstance(value, (int, float)) and not value > 0:
        raise ValueError(f"{cls}: {name} must be > 0; received {name}={value!r}. "
                         "It is the number of steps the decay spans.")


def _as_float(initial_learning_rate, step):
    """`(initial, step)` as tensors of the initial rate's float dtype."""
    initial = engine.convert_to_tensor(initial_learning_rate)
    return initial, engine.cast(step, initial.dtype)


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    With `staircase=True` the exponent is floored, so the rate drops every `decay_steps`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps over which the rate is multiplied by `decay_rate`.
        decay_rate: the factor per `decay_steps`.
        staircase: floor `step / decay_steps`.
        name: a name scope for the ops.

    Raises:
        ValueError: for `decay_steps <= 0`.

    Example:
        >>> schedule = engine.keras.optimizers.schedules.ExponentialDecay(1.0, 10, 0.5)
        >>> round(float(schedule(20)), 6)
        0.25
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        _positive("ExponentialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        with engine.name_scope(self.name or "ExponentialDecay"):
            initial, step = _as_float(self.initial_learning_rate, step)
            p = step / engine.cast(self.decay_steps, initial.dtype)
            if self.staircase:
                p = engine.floor(p)
            return initial * engine.pow(engine.cast(self.decay_rate, initial.dtype), p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[i]` for `boundaries[i-1] < step <= boundaries[i]`: a step function.

    `values[0]` applies up to and including `boundaries[0]`, `values[-1]` after
    `boundaries[-1]`.

    Args:
        boundaries: increasing step boundaries (Python numbers).
        values: the rates, one more than `boundaries`.
        name: a name scope for the ops.

    Raises:
        ValueError: when `len(values) != len(boundaries) + 1`.

    Example:
        >>> schedule = engine.keras.optimizers.schedules.PiecewiseConstantDecay(
        ...     [10, 20], [1.0, 0.5, 0.1])
        >>> [round(float(schedule(s)), 6) for s in (10, 11, 25)]
        [1.0, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name=None):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"PiecewiseConstantDecay: got {len(boundaries)} boundaries and {len(values)} "
                "values; expected one value more than boundaries (values[0] up to "
                "boundaries[0], values[-1] after boundaries[-1]).")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        with engine.name_scope(self.name or "PiecewiseConstant"):
            step = engine.convert_to_tensor(step)
            values = engine.stack([engine.convert_to_tensor(v) for v in self.values])
            if not self.boundaries:
                return values[0]
            boundaries = engine.cast(engine.constant(self.boundaries), step.dtype)
            # How many boundaries lie strictly below `step` is the index of its value.
            passed = engine.reduce_sum(engine.cast(step > boundaries, engine.int32))
            return engine.gather(values, passed)

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`.

    The step is capped at `decay_steps`; with `cycle=True` the decay restarts instead,
    with `decay_steps` multiplied by `ceil(step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps to reach `end_learning_rate`.
        end_learning_rate: the final rate.
        power: the polynomial's power (1.0: linear).
        cycle: restart after `decay_steps`.
        name: a name scope for the ops.

    Raises:
        ValueError: for `decay_steps <= 0`.

    Example:
        >>> schedule = engine.keras.optimizers.schedules.PolynomialDecay(1.0, 10, 0.0)
        >>> [round(float(schedule(s)), 6) for s in (0, 5, 20)]
        [1.0, 0.5, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name=None):
        _positive("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        with engine.name_scope(self.name or "PolynomialDecay"):
            initial, step = _as_float(self.initial_learning_rate, step)
            dtype = initial.dtype
            end = engine.cast(self.end_learning_rate, dtype)
            decay_steps = engine.cast(self.decay_steps, dtype)
            if self.cycle:
                multiplier = engine.where(step == 0, engine.ones_like(step),
                                          engine.ceil(step / decay_steps))
                decay_steps = decay_steps * multiplier
            else:
                step = engine.minimum(step, decay_steps)
            p = step / decay_steps
            return (initial - end) * engine.pow(1 - p, engine.cast(self.power, dtype)) + end

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    With `staircase=True`, `step / decay_steps` is floored.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the step unit of the decay.
        decay_rate: the decay per `decay_steps`.
        staircase: floor `step / decay_steps`.
        name: a name scope for the ops.

    Raises:
        ValueError: for `decay_steps <= 0`.

    Example:
        >>> schedule = engine.keras.optimizers.schedules.InverseTimeDecay(1.0, 10, 1.0)
        >>> round(float(schedule(10)), 6)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        _positive("InverseTimeDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        with engine.name_scope(self.name or "InverseTimeDecay"):
            initial, step = _as_float(self.initial_learning_rate, step)
            p = step / engine.cast(self.decay_steps, initial.dtype)
            if self.staircase:
                p = engine.floor(p)
            return initial / (1 + engine.cast(self.decay_rate, initial.dtype) * p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


def _cosine(fraction, alpha, pi):
    """`(1 - alpha) * 0.5 * (1 + cos(pi * fraction)) + alpha`."""
    return (1 - alpha) * (0.5 * (1 + engine.cos(pi * fraction))) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate (or, after a linear warmup, the warmup target).

    Without warmup: `initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`
    with `s = min(step, decay_steps)`. With `warmup_target`, the rate first rises linearly
    from `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays from
    `warmup_target` the same way over the next `decay_steps`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps of the cosine decay.
        alpha: the final rate as a fraction of the decay's starting rate.
        name: a name scope for the ops.
        warmup_target: the rate reached after warmup (None: no warmup).
        warmup_steps: the warmup's length in steps.

    Raises:
        ValueError: for `decay_steps <= 0` or a negative `warmup_steps`.

    Example:
        >>> schedule = engine.keras.optimizers.schedules.CosineDecay(1.0, 10)
        >>> [round(float(schedule(s)), 6) for s in (0, 5, 10)]
        [1.0, 0.5, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        _positive("CosineDecay", "decay_steps", decay_steps)
        if warmup_steps < 0:
            raise ValueError(f"CosineDecay: warmup_steps must be >= 0; received "
                             f"warmup_steps={warmup_steps!r}.")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        with engine.name_scope(self.name or "CosineDecay"):
            initial, step = _as_float(self.initial_learning_rate, step)
            dtype = initial.dtype
            decay_steps = engine.cast(self.decay_steps, dtype)
            pi = engine.cast(math.pi, dtype)
            if self.warmup_target is None:
                step = engine.minimum(step, decay_steps)
                return initial * _cosine(step / decay_steps, self.alpha, pi)
            target = engine.cast(self.warmup_target, dtype)
            warmup_steps = engine.cast(self.warmup_steps, dtype)
            step = engine.minimum(step, decay_steps + warmup_steps)
            # Both branches are computed and one selected: no Python branch on the step.
            # The divisor is kept nonzero for warmup_steps=0, where the warmup is never used.
            warmup_fraction = step / engine.cast(max(self.warmup_steps, 1), dtype)
            warming = (target - initial) * warmup_fraction + initial
            decaying = target * _cosine((step - warmup_steps) / decay_steps, self.alpha, pi)
            return engine.where(step < warmup_steps, warming, decaying)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter, 2017).

    The first period lasts `first_decay_steps`; each next one is `t_mul` times longer and
    starts from `m_mul` times the previous starting rate. Within a period the rate follows
    `initial * ((1 - alpha) * m_mul ** i * 0.5 * (1 + cos(pi * f)) + alpha)`, where `i`
    counts restarts and `f` is the fraction of the period done.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: the first period's length in steps.
        t_mul: the factor by which each period is longer than the one before.
        m_mul: the factor by which each period's starting rate is smaller.
        alpha: the minimum rate as a fraction of `initial_learning_rate`.
        name: a name scope for the ops.

    Raises:
        ValueError: for `first_decay_steps <= 0`.

    Example:
        >>> schedule = engine.keras.optimizers.schedules.CosineDecayRestarts(
        ...     1.0, 10, t_mul=1.0)
        >>> [round(float(schedule(s)), 6) for s in (0, 5, 10)]
        [1.0, 0.5, 1.0]
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name=None):
        _positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        with engine.name_scope(self.name or "SGDRDecay"):
            initial, step = _as_float(self.initial_learning_rate, step)
            dtype = initial.dtype
            fraction = step / engine.cast(self.first_decay_steps, dtype)
            t_mul = engine.cast(self._t_mul, dtype)
            if self._t_mul == 1.0:  # a Python value: equal periods
                restarts = engine.floor(fraction)
                fraction = fraction - restarts
            else:  # periods grow geometrically: invert the geometric sum
                restarts = engine.floor(engine.math.log(1.0 - fraction * (1.0 - t_mul))
                                        / engine.math.log(t_mul))
                done = (1.0 - engine.pow(t_mul, restarts)) / (1.0 - t_mul)
                fraction = (fraction - done) / engine.pow(t_mul, restarts)
            m_factor = engine.pow(engine.cast(self._m_mul, dtype), restarts)
            cosine = 0.5 * m_factor * (1.0 + engine.cos(engine.cast(math.pi, dtype) * fraction))
            return initial * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay,
    CosineDecayRestarts)}


def serialize(learning_rate_schedule) -> dict:
    """`{"class_name", "config"}` for a schedule.

    Args:
        learning_rate_schedule: a `LearningRateSchedule`.

    Returns:
        A JSON-able dict.

    Raises:
        TypeError: for anything but a schedule.

    Example:
        >>> schedules = engine.keras.optimizers.schedules
        >>> schedules.serialize(schedules.InverseTimeDecay(0.1, 10, 0.5))["class_name"]
        'InverseTimeDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(f"schedules.serialize: expected a LearningRateSchedule; got "
                        f"{learning_rate_schedule!r}.")
    return serialization.serialize_object(learning_rate_schedule)


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """The schedule described by `serialize`'s dict.

    Args:
        config: `{"class_name": ..., "config": {...}}`.
        custom_objects: `{name: class}` for custom schedules.

    Returns:
        A `LearningRateSchedule`.

    Raises:
        ValueError: for an unknown class name (the message lists the known ones).

    Example:
        >>> schedules = engine.keras.optimizers.schedules
        >>> schedule = schedules.deserialize({"class_name": "ExponentialDecay", "config": {
        ...     "initial_learning_rate": 1.0, "decay_steps": 10, "decay_rate": 0.5}})
        >>> round(float(schedule(10)), 6)
        0.5
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"schedules.deserialize: expected a dict with 'class_name' and "
                         f"'config' keys (from schedules.serialize); got {config!r}.")
    cls = serialization.resolve(config["class_name"], _SCHEDULES, "learning rate schedule",
                                custom_objects, instantiate=False)
    return cls.from_config(dict(config.get("config") or {}))
