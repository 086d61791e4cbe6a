"""Optimizers that scale by accumulated squared gradients: `RMSprop`, `Adagrad`, `Adadelta`.

Keras 2.11+ update rules; each class's docstring states its own.
"""

from __future__ import annotations

from engine.keras.optimizers.base import Optimizer
from engine.keras.optimizers.variables import hyper, read
from engine.ops.unary_ops import rsqrt, sqrt

__all__ = ["RMSprop", "Adagrad", "Adadelta"]


def _base_kwargs(weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                 ema_overwrite_frequency, jit_compile, name, kwargs) -> dict:
    return dict(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile,
                **kwargs)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    With slots `velocity`, and `momentum` (if momentum > 0) and `average_gradient` (if
    centered):

        velocity = rho * velocity + (1 - rho) * g * g
        average_gradient = rho * average_gradient + (1 - rho) * g      # centered
        denominator = velocity - average_gradient ** 2 + epsilon       # centered
        denominator = velocity + epsilon                               # otherwise
        increment = learning_rate * g * rsqrt(denominator)
        momentum_slot = momentum * momentum_slot + increment; var -= momentum_slot
        var -= increment                                               # momentum == 0

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        rho: the discount factor of the moving averages.
        momentum: the momentum (0: none, and no slot).
        epsilon: added inside the square root for numerical stability.
        centered: normalize by the estimated variance instead of the second moment.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Example:
        >>> w = engine.Variable(1.0)
        >>> opt = engine.keras.optimizers.RMSprop(learning_rate=0.01, rho=0.75)
        >>> opt.minimize(lambda: w ** 2 / 2, [w])  # g = 1, velocity = 0.25
        >>> round(float(w), 5)  # 1 - 0.01 / sqrt(0.25)
        0.98
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="RMSprop", **kwargs):
        super().__init__(**_base_kwargs(weight_decay, clipnorm, clipvalue, global_clipnorm,
                                        use_ema, ema_momentum, ema_overwrite_frequency,
                                        jit_compile, name, kwargs))
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = bool(centered)
        self._has_momentum = not (isinstance(momentum, (int, float)) and momentum <= 0)

    def _slot_specs(self) -> tuple:
        specs = [("velocity", None)]
        if self._has_momentum:
            specs.append(("momentum", None))
        if self.centered:
            specs.append(("average_gradient", None))
        return tuple(specs)

    def _coefficients(self, dtype, lr, iterations):
        rho = hyper(self.rho, dtype)
        return lr, rho, 1 - rho, hyper(self.momentum, dtype), hyper(self.epsilon, dtype)

    def _update(self, gradient, variable, slots, coefficients) -> None:
        lr, rho, one_minus_rho, momentum, epsilon = coefficients
        velocity = rho * read(slots[0]) + one_minus_rho * (gradient * gradient)
        updates = [velocity]
        if self.centered:
            average = rho * read(slots[-1]) + one_minus_rho * gradient
            denominator = velocity - average * average + epsilon
        else:
            denominator = velocity + epsilon
        increment = lr * gradient * rsqrt(denominator)
        if self._has_momentum:
            increment = momentum * read(slots[1]) + increment
            updates.append(increment)
        if self.centered:
            updates.append(average)
        for slot, value in zip(slots, updates):
            slot.assign(value)
        variable.assign_sub(increment)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            The config (see `Optimizer.get_config`).
        """
        config = super().get_config()
        config.update({"rho": self._serialize_hyperparameter(self.rho),
                       "momentum": self._serialize_hyperparameter(self.momentum),
                       "epsilon": self.epsilon, "centered": self.centered})
        return config


class Adagrad(Optimizer):
    """Adagrad: per-parameter rates that shrink with the sum of squared gradients.

    With slot `accumulator` (starting at `initial_accumulator_value`):

        accumulator = accumulator + g * g
        var -= learning_rate * g / sqrt(accumulator + epsilon)

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        initial_accumulator_value: the accumulators' starting value (>= 0).
        epsilon: added inside the square root for numerical stability.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Raises:
        ValueError: for a negative `initial_accumulator_value`.

    Example:
        >>> w = engine.Variable(1.0)
        >>> opt = engine.keras.optimizers.Adagrad(learning_rate=0.5,
        ...                                       initial_accumulator_value=3.0)
        >>> opt.minimize(lambda: w ** 2 / 2, [w])  # accumulator = 3 + 1
        >>> round(float(w), 5)  # 1 - 0.5 / sqrt(4)
        0.75
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-07,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name="Adagrad", **kwargs):
        super().__init__(**_base_kwargs(weight_decay, clipnorm, clipvalue, global_clipnorm,
                                        use_ema, ema_momentum, ema_overwrite_frequency,
                                        jit_compile, name, kwargs))
        if initial_accumulator_value < 0:
            raise ValueError("Adagrad: initial_accumulator_value must be >= 0; received "
                             f"initial_accumulator_value={initial_accumulator_value!r}.")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _slot_specs(self) -> tuple:
        return (("accumulator", float(self.initial_accumulator_value)),)

    def _coefficients(self, dtype, lr, iterations):
        return lr, hyper(self.epsilon, dtype)

    def _update(self, gradient, variable, slots, coefficients) -> None:
        lr, epsilon = coefficients
        accumulator = read(slots[0]) + gradient * gradient
        delta = lr * gradient / sqrt(accumulator + epsilon)
        slots[0].assign(accumulator)
        variable.assign_sub(delta)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            The config (see `Optimizer.get_config`).
        """
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config


class Adadelta(Optimizer):
    """Adadelta: step sizes from running averages of squared gradients and updates.

    With slots `accumulated_grad` and `accumulated_delta_var`:

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g * g
        delta = -sqrt(accumulated_delta_var + eps) * g / sqrt(accumulated_grad + eps)
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta * delta
        var += learning_rate * delta

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        rho: the decay rate of the running averages.
        epsilon: added inside the square roots for numerical stability.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Example:
        >>> w = engine.Variable(1.0)
        >>> opt = engine.keras.optimizers.Adadelta(learning_rate=1.0, rho=0.0, epsilon=1.0)
        >>> opt.minimize(lambda: w ** 2 / 2, [w])  # delta = -sqrt(1) * 1 / sqrt(2)
        >>> round(float(w), 5)
        0.29289
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-07, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True,
                 name="Adadelta", **kwargs):
        super().__init__(**_base_kwargs(weight_decay, clipnorm, clipvalue, global_clipnorm,
                                        use_ema, ema_momentum, ema_overwrite_frequency,
                                        jit_compile, name, kwargs))
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.rho = rho
        self.epsilon = epsilon

    def _slot_specs(self) -> tuple:
        return ("accumulated_grad", None), ("accumulated_delta_var", None)

    def _coefficients(self, dtype, lr, iterations):
        rho = hyper(self.rho, dtype)
        return lr, rho, 1 - rho, hyper(self.epsilon, dtype)

    def _update(self, gradient, variable, slots, coefficients) -> None:
        lr, rho, one_minus_rho, epsilon = coefficients
        accumulated_grad = rho * read(slots[0]) + one_minus_rho * gradient * gradient
        accumulated_delta = read(slots[1])
        delta = -sqrt(accumulated_delta + epsilon) * gradient / sqrt(accumulated_grad + epsilon)
        accumulated_delta = rho * accumulated_delta + one_minus_rho * delta * delta
        slots[0].assign(accumulated_grad)
        slots[1].assign(accumulated_delta)
        variable.assign_add(lr * delta)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            The config (see `Optimizer.get_config`).
        """
        config = super().get_config()
        config.update({"rho": self._serialize_hyperparameter(self.rho),
                       "epsilon": self.epsilon})
        return config
