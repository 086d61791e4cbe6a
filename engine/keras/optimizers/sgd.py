"""`SGD`: gradient descent, with optional (Nesterov) momentum (Keras 2.11+ rule)."""

from __future__ import annotations

from engine.keras.optimizers.base import Optimizer
from engine.keras.optimizers.variables import hyper, read

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent with optional momentum and Nesterov momentum.

    Without momentum: `var -= learning_rate * g`. With momentum (slot `m`):

        m = momentum * m - learning_rate * g
        var += m                                        # nesterov=False
        var += momentum * m - learning_rate * g         # nesterov=True

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        momentum: the momentum, in [0, 1] (0: plain gradient descent, no slot).
        nesterov: use Nesterov momentum.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Raises:
        ValueError: for a momentum outside [0, 1].

    Example:
        >>> w = engine.Variable(1.0)
        >>> opt = engine.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> opt.minimize(lambda: w ** 2 / 2, [w])  # grad = w = 1
        >>> opt.minimize(lambda: w ** 2 / 2, [w])  # grad = 0.9; m = 0.9 * -0.1 - 0.09
        >>> round(float(w), 6)
        0.72
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True,
                 name="SGD", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        if isinstance(momentum, (int, float)) and not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be in [0, 1]; received momentum={momentum!r}.")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.momentum = momentum
        self.nesterov = bool(nesterov)
        self._has_momentum = not (isinstance(momentum, (int, float)) and momentum == 0)

    def _slot_specs(self) -> tuple:
        return (("m", None),) if self._has_momentum else ()

    def _coefficients(self, dtype, lr, iterations):
        return lr, hyper(self.momentum, dtype)

    def _update(self, gradient, variable, slots, coefficients) -> None:
        lr, momentum = coefficients
        step = gradient * lr
        if not slots:
            variable.assign_sub(step)
            return
        m = slots[0]
        m_new = read(m) * momentum - step
        m.assign(m_new)
        variable.assign_add(m_new * momentum - step if self.nesterov else m_new)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            The config (see `Optimizer.get_config`).
        """
        config = super().get_config()
        config.update({"momentum": self._serialize_hyperparameter(self.momentum),
                       "nesterov": self.nesterov})
        return config
