"""The Adam family: `Adam` (with AMSGrad), `AdamW`, `Adamax` and `Nadam` (Keras 2.11+ rules).

Each keeps first and second moment slots and corrects their bias from the step count
`t = iterations + 1`. The scalar corrections are computed once per step and dtype; the
per-variable rules are a handful of elementwise ops that fuse when traced.
"""

from __future__ import annotations

from engine.graph.trace import init_scope
from engine.keras.optimizers.base import Optimizer
from engine.keras.optimizers.variables import hyper, read
from engine.ops.math_ops import cast, maximum
from engine.ops.math_ops import pow as _pow
from engine.ops.unary_ops import abs as _abs
from engine.ops.unary_ops import sqrt
from engine.scopes import name_scope
from engine.variable import Variable

__all__ = ["Adam", "AdamW", "Adamax", "Nadam"]


def _base_kwargs(weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                 ema_overwrite_frequency, jit_compile, name, kwargs) -> dict:
    return dict(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile,
                **kwargs)


def _moments_config(optimizer, config: dict) -> dict:
    config.update({"beta_1": optimizer._serialize_hyperparameter(optimizer.beta_1),
                   "beta_2": optimizer._serialize_hyperparameter(optimizer.beta_2),
                   "epsilon": optimizer.epsilon})
    return config


class Adam(Optimizer):
    """Adam: adaptive moment estimation (Kingma & Ba, 2015), optionally AMSGrad.

    With `t = iterations + 1` and slots `m`, `v` (and `vhat` for AMSGrad):

        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        vhat = maximum(vhat, v); v = vhat               # amsgrad=True
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        var -= m * alpha / (sqrt(v) + epsilon)

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        beta_1: the decay rate of the first moment.
        beta_2: the decay rate of the second moment.
        epsilon: added to the denominator for numerical stability.
        amsgrad: use the maximum of past second moments (Reddi et al., 2018).
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Example:
        >>> w = engine.Variable(1.0)
        >>> opt = engine.keras.optimizers.Adam(learning_rate=0.1)
        >>> opt.minimize(lambda: w ** 2, [w])  # Adam's first step is lr * sign(g)
        >>> round(float(w), 4)
        0.9
        >>> [v.name for v in opt.variables]
        ['iteration:0', 'm/Variable:0', 'v/Variable:0']
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="Adam", **kwargs):
        super().__init__(**_base_kwargs(weight_decay, clipnorm, clipvalue, global_clipnorm,
                                        use_ema, ema_momentum, ema_overwrite_frequency,
                                        jit_compile, name, kwargs))
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = bool(amsgrad)

    def _slot_specs(self) -> tuple:
        return (("m", None), ("v", None)) + ((("vhat", None),) if self.amsgrad else ())

    def _coefficients(self, dtype, lr, iterations):
        t = cast(iterations + 1, dtype)
        beta_1, beta_2 = hyper(self.beta_1, dtype), hyper(self.beta_2, dtype)
        alpha = lr * sqrt(1 - _pow(beta_2, t)) / (1 - _pow(beta_1, t))
        return 1 - beta_1, 1 - beta_2, alpha, hyper(self.epsilon, dtype)

    def _update(self, gradient, variable, slots, coefficients) -> None:
        one_minus_beta_1, one_minus_beta_2, alpha, epsilon = coefficients
        m, v = read(slots[0]), read(slots[1])
        m = m + (gradient - m) * one_minus_beta_1
        v = v + (gradient * gradient - v) * one_minus_beta_2
        v_used = maximum(read(slots[2]), v) if self.amsgrad else v
        delta = m * alpha / (sqrt(v_used) + epsilon)
        slots[0].assign(m)
        slots[1].assign(v)
        if self.amsgrad:
            slots[2].assign(v_used)
        variable.assign_sub(delta)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            The config (see `Optimizer.get_config`).
        """
        config = _moments_config(self, super().get_config())
        config["amsgrad"] = self.amsgrad
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Each step first does `var -= var * weight_decay * learning_rate`, then Adam's update
    (see `Adam`). Exclude variables (biases, norms) with `exclude_from_weight_decay`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        weight_decay: the decay per unit of learning rate (required).
        beta_1: the decay rate of the first moment.
        beta_2: the decay rate of the second moment.
        epsilon: added to the denominator for numerical stability.
        amsgrad: use the maximum of past second moments.
        clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Raises:
        ValueError: for `weight_decay=None`.

    Example:
        >>> w = engine.Variable(1.0)
        >>> opt = engine.keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> _ = opt.apply_gradients([(engine.constant(0.0), w)])  # a zero gradient
        >>> round(float(w), 6)  # decayed by 1 - 0.5 * 0.1
        0.95
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-07, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="AdamW", **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a float; received weight_decay=None. "
                             "For Adam without weight decay use engine.keras.optimizers.Adam.")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, name=name, **kwargs)


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the second moment.

    With `t = iterations + 1` and slots `m`, `u`:

        m = m + (g - m) * (1 - beta_1)
        u = maximum(beta_2 * u, abs(g))
        var -= learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        beta_1: the decay rate of the first moment.
        beta_2: the decay rate of the infinity norm.
        epsilon: added to the denominator for numerical stability.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Example:
        >>> w = engine.Variable(1.0)
        >>> engine.keras.optimizers.Adamax(learning_rate=0.1).minimize(lambda: w ** 2, [w])
        >>> round(float(w), 4)
        0.9
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name="Adamax", **kwargs):
        super().__init__(**_base_kwargs(weight_decay, clipnorm, clipvalue, global_clipnorm,
                                        use_ema, ema_momentum, ema_overwrite_frequency,
                                        jit_compile, name, kwargs))
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _slot_specs(self) -> tuple:
        return ("m", None), ("u", None)

    def _coefficients(self, dtype, lr, iterations):
        beta_1 = hyper(self.beta_1, dtype)
        bias_correction = 1 - _pow(beta_1, cast(iterations + 1, dtype))
        return lr, 1 - beta_1, hyper(self.beta_2, dtype), bias_correction, hyper(
            self.epsilon, dtype)

    def _update(self, gradient, variable, slots, coefficients) -> None:
        lr, one_minus_beta_1, beta_2, bias_correction, epsilon = coefficients
        m, u = read(slots[0]), read(slots[1])
        m = m + (gradient - m) * one_minus_beta_1
        u = maximum(beta_2 * u, _abs(gradient))
        delta = lr * m / (bias_correction * (u + epsilon))
        slots[0].assign(m)
        slots[1].assign(u)
        variable.assign_sub(delta)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            The config (see `Optimizer.get_config`).
        """
        return _moments_config(self, super().get_config())


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Dozat, 2016), with the momentum schedule.

    With `t = iterations + 1`, `mu_t = beta_1 * (1 - 0.5 * 0.96 ** t)` and the running
    product `prod_t = mu_1 * ... * mu_t` (kept in the variable `u_product`):

        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        m_hat = mu_{t+1} * m / (1 - prod_t * mu_{t+1}) + (1 - mu_t) * g / (1 - prod_t)
        v_hat = v / (1 - beta_2 ** t)
        var -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    `prod_t` advances once per `apply_gradients`, so apply all variables' gradients of a
    step in one call.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a zero-argument callable.
        beta_1: the decay rate of the first moment.
        beta_2: the decay rate of the second moment.
        epsilon: added to the denominator for numerical stability.
        weight_decay, clipnorm, clipvalue, global_clipnorm: see `Optimizer`.
        use_ema, ema_momentum, ema_overwrite_frequency, jit_compile: see `Optimizer`.
        name: the optimizer's name.
        **kwargs: see `Optimizer`.

    Example:
        >>> w = engine.Variable(1.0)
        >>> engine.keras.optimizers.Nadam(learning_rate=0.1).minimize(lambda: w ** 2, [w])
        >>> round(float(w), 4)  # a bit more than Adam's 0.1: the Nesterov look-ahead
        0.8937
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name="Nadam", **kwargs):
        super().__init__(**_base_kwargs(weight_decay, clipnorm, clipvalue, global_clipnorm,
                                        use_ema, ema_momentum, ema_overwrite_frequency,
                                        jit_compile, name, kwargs))
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = None

    def _slot_specs(self) -> tuple:
        return ("m", None), ("v", None)

    def build(self, var_list) -> None:
        """Creates the slots `m`, `v` of new variables and, once, the `u_product` scalar.

        Args:
            var_list: the variables the optimizer will update.
        """
        super().build(var_list)
        if self._u_product is None and self._built_for:
            with init_scope(), name_scope("/"):
                self._u_product = Variable(1.0, name="u_product", trainable=False,
                                           dtype=self._built_for[0].dtype)
            self._variables.append(self._u_product)

    def _step_coefficients(self, dtypes, lr, iterations) -> list:
        # The momentum product advances once per step, in u_product's dtype (Keras: the
        # first variable's), then every dtype group uses it.
        product_dtype = self._u_product.dtype
        beta_1 = hyper(self.beta_1, product_dtype)
        mu_t = beta_1 * (1.0 - 0.5 * _pow(0.96, cast(iterations + 1, product_dtype)))
        product = read(self._u_product) * mu_t
        self._u_product.assign(product)
        coefficients = []
        for dtype in dtypes:
            t = cast(iterations + 1, dtype)
            beta_1, beta_2 = hyper(self.beta_1, dtype), hyper(self.beta_2, dtype)
            mu_t = beta_1 * (1.0 - 0.5 * _pow(0.96, t))
            mu_next = beta_1 * (1.0 - 0.5 * _pow(0.96, t + 1))
            product_t = cast(product, dtype)
            coefficients.append((
                cast(lr, dtype), 1 - beta_1, 1 - beta_2,
                mu_next / (1 - product_t * mu_next), (1 - mu_t) / (1 - product_t),
                1 - _pow(beta_2, t), hyper(self.epsilon, dtype)))
        return coefficients

    def _update(self, gradient, variable, slots, coefficients) -> None:
        lr, one_minus_beta_1, one_minus_beta_2, m_scale, g_scale, v_correction, epsilon = (
            coefficients)
        m, v = read(slots[0]), read(slots[1])
        m = m + (gradient - m) * one_minus_beta_1
        v = v + (gradient * gradient - v) * one_minus_beta_2
        m_hat = m * m_scale + gradient * g_scale
        delta = m_hat * lr / (sqrt(v / v_correction) + epsilon)
        slots[0].assign(m)
        slots[1].assign(v)
        variable.assign_sub(delta)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict.

        Returns:
            The config (see `Optimizer.get_config`).
        """
        return _moments_config(self, super().get_config())
