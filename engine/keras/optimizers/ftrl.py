"""`Ftrl`: Follow The Regularized Leader (McMahan et al., 2013), Keras 2.11+ rule."""

from __future__ import annotations

from engine.keras.optimizers.base import Optimizer
from engine.keras.optimizers.variables import hyper, read
from engine.ops.clip_ops import clip_by_value
from engine.ops.math_ops import pow as _pow

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """FTRL-Proximal, with L1, L2 and L2-shrinkage regularization, for wide sparse models.

    With slots `accumulator` (starting at `initial_accumulator_value`) and `linear`,
    `p = -learning_rate_power` and `l2 = l2_regularization_strength + beta / (2 * lr)`:

        g2 = g + 2 * l2_shrinkage_regularization_strength * var
        new_accumulator = accumulator + g * g
        linear += g2 - (new_accumulator ** p - accumulator ** p) / lr * var
        quadratic = new_accumulator ** p / lr + 2 * l2
        var = (clip(linear, -l1, l1) - linear) / quadratic
        accumulator = new_accumulator

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        learning_rate_power: how the rate falls with the accumulator (<= 0; -0.5 is
            Adagrad-like, 0 a fixed rate).
        initial_accumulator_value: the accumulators' starting value (>= 0).
        l1_regularization_strength: the L1 strength (>= 0); drives weights to exactly 0.
        l2_regularization_strength: the L2 strength (>= 0).
        l2_shrinkage_regularization_strength: an L2 penalty added to the gradient (>= 0).
        beta: adds `beta / (2 * lr)` to the L2 strength.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Raises:
        ValueError: for a positive `learning_rate_power` or a negative strength or initial
            accumulator value.

    Example:
        >>> w = engine.Variable(1.0)
        >>> opt = engine.keras.optimizers.Ftrl(learning_rate=0.5, l1_regularization_strength=10.0)
        >>> opt.minimize(lambda: w ** 2 / 2, [w])  # a strong L1 sets the weight to zero
        >>> float(w)
        0.0
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="Ftrl", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        if learning_rate_power > 0:
            raise ValueError("Ftrl: learning_rate_power must be <= 0; received "
                             f"learning_rate_power={learning_rate_power!r}.")
        for key, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength",
                            l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ValueError(f"Ftrl: {key} must be >= 0; received {key}={value!r}.")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slot_specs(self) -> tuple:
        return ("accumulator", float(self.initial_accumulator_value)), ("linear", None)

    def _coefficients(self, dtype, lr, iterations):
        l2 = hyper(self.l2_regularization_strength, dtype) + hyper(self.beta, dtype) / (2.0 * lr)
        return (lr, -hyper(self.learning_rate_power, dtype), 2 * l2,
                hyper(self.l1_regularization_strength, dtype),
                2 * hyper(self.l2_shrinkage_regularization_strength, dtype))

    def _update(self, gradient, variable, slots, coefficients) -> None:
        lr, power, two_l2, l1, two_shrinkage = coefficients
        accumulator, value = read(slots[0]), read(variable)
        shrunk = gradient + two_shrinkage * value
        new_accumulator = accumulator + gradient * gradient
        new_power = _pow(new_accumulator, power)
        linear = read(slots[1]) + (
            shrunk - (new_power - _pow(accumulator, power)) / lr * value)
        quadratic = new_power / lr + two_l2
        new_value = (clip_by_value(linear, -l1, l1) - linear) / quadratic
        slots[1].assign(linear)
        slots[0].assign(new_accumulator)
        variable.assign(new_value)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            The config (see `Optimizer.get_config`).
        """
        config = super().get_config()
        config.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta})
        return config
