"""`LossScaleOptimizer`: loss scaling for float16 training (Keras 2 semantics).

Float16 gradients of small magnitude underflow to zero. Multiplying the loss by a large
factor (the loss scale) before differentiating lifts them into float16's range; dividing
the gradients by it afterwards gives the true ones, in float32 (the variables' dtype).

With `dynamic=True` the scale adapts: a step whose gradients contain inf or NaN (the
scale was too large) is skipped and the scale halved (never below 1); after
`dynamic_growth_steps` finite steps in a row it is doubled. The scale and the count of
finite steps are variables, updated with engine ops (`where`, `cond`), so that a step
traced by `engine.function` adapts exactly as an eager one.

`Model.compile` wraps the optimizer in one when the model's policy is `"mixed_float16"`,
and `Model.train_step` goes through `optimizer.minimize`, whose `compute_gradients` here
scales the loss and unscales the gradients.
"""

from __future__ import annotations

import math
import numbers

from engine import dtypes as _dt
from engine.graph.control_flow import cond
from engine.graph.trace import init_scope
from engine.keras import serialization
from engine.keras.optimizers.base import Optimizer
from engine.keras.optimizers.gradients import compute_gradients
from engine.ops import array_ops, fill_ops, join_ops, math_ops, reduce_ops, select_ops
from engine.ops.unary_ops import is_finite, logical_not
from engine.scopes import name_scope
from engine.variable import Variable

__all__ = ["LossScaleOptimizer", "wrap_for_policy"]

_DEFAULT_SCALE = 2.0 ** 15
_DEFAULT_GROWTH_STEPS = 2000


class LossScaleOptimizer(Optimizer):
    """Scales the loss and unscales the gradients around an inner optimizer.

    Args:
        inner_optimizer: the optimizer that applies the (unscaled) gradients.
        dynamic: adapt the scale (skip and halve on inf/NaN gradients, double after
            `dynamic_growth_steps` finite steps), else keep `initial_scale` fixed.
        initial_scale: the starting scale (default 2**15 when dynamic; required when
            not).
        dynamic_growth_steps: finite steps between doublings (default 2000; dynamic
            only).

    Raises:
        TypeError: for an inner optimizer that is not an `Optimizer`, or is already a
            `LossScaleOptimizer`.
        ValueError: for a missing or non-positive scale or growth step count.

    Example:
        >>> opt = engine.keras.mixed_precision.LossScaleOptimizer(
        ...     engine.keras.optimizers.SGD(0.1), initial_scale=8.0)
        >>> w = engine.Variable(1.0)
        >>> with engine.GradientTape() as tape:
        ...     loss = opt.get_scaled_loss(w * w)
        >>> grads = opt.get_unscaled_gradients(tape.gradient(loss, [w]))
        >>> float(grads[0])
        2.0
        >>> _ = opt.apply_gradients(zip(grads, [w]))
        >>> round(float(w), 6)
        0.8
    """

    def __init__(self, inner_optimizer, dynamic=True, initial_scale=None,
                 dynamic_growth_steps=None):
        # The inner optimizer owns iterations, the learning rate and the slots: the base
        # __init__ (which would create its own) is deliberately not called.
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"LossScaleOptimizer: inner_optimizer must be an optimizer such "
                            f"as engine.keras.optimizers.SGD(); got {inner_optimizer!r}.")
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError("LossScaleOptimizer: inner_optimizer is already a "
                            "LossScaleOptimizer; wrap the plain optimizer once.")
        self.__dict__["_optimizer"] = inner_optimizer
        self.name = "LossScaleOptimizer"
        self._dynamic = bool(dynamic)
        if initial_scale is None:
            if not self._dynamic:
                raise ValueError("LossScaleOptimizer: initial_scale is required when "
                                 "dynamic=False; pass the fixed scale, e.g. "
                                 "initial_scale=1024.")
            initial_scale = _DEFAULT_SCALE
        if not isinstance(initial_scale, numbers.Real) or not (
                0 < float(initial_scale) < math.inf):
            raise ValueError(f"LossScaleOptimizer: initial_scale must be a positive finite "
                             f"number; got {initial_scale!r}.")
        if dynamic_growth_steps is not None and not self._dynamic:
            raise ValueError(f"LossScaleOptimizer: dynamic_growth_steps="
                             f"{dynamic_growth_steps!r} needs dynamic=True; drop it or set "
                             "dynamic=True.")
        steps = _DEFAULT_GROWTH_STEPS if dynamic_growth_steps is None else dynamic_growth_steps
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
            raise ValueError(f"LossScaleOptimizer: dynamic_growth_steps must be an int >= 1; "
                             f"got {dynamic_growth_steps!r}.")
        self._initial_scale = float(initial_scale)
        self._growth_steps = int(steps)
        with init_scope(), name_scope("/"):
            self._loss_scale = Variable(self._initial_scale, name="current_loss_scale",
                                        dtype=_dt.float32, trainable=False)
            self._counter = Variable(0, name="good_steps", dtype=_dt.int64, trainable=False)

    # --- the inner optimizer's attributes -----------------------------------------------
    def __getattr__(self, name):
        # Only for names this object lacks: hyperparameters (momentum, beta_1, ...),
        # clipping options and the like are the inner optimizer's.
        inner = self.__dict__.get("_optimizer")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    @property
    def inner_optimizer(self) -> Optimizer:
        """The wrapped optimizer."""
        return self._optimizer

    @property
    def learning_rate(self):
        """The inner optimizer's learning rate (settable)."""
        return self._optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._optimizer.learning_rate = value

    lr = learning_rate

    @property
    def iterations(self) -> Variable:
        """The inner optimizer's step count (skipped steps do not count)."""
        return self._optimizer.iterations

    @iterations.setter
    def iterations(self, variable) -> None:
        self._optimizer.iterations = variable

    @property
    def variables(self) -> list:
        """The inner optimizer's variables."""
        return self._optimizer.variables

    def build(self, var_list) -> None:
        """Creates the inner optimizer's slots for `var_list`."""
        self._optimizer.build(var_list)

    # --- loss scale ---------------------------------------------------------------------
    @property
    def dynamic(self) -> bool:
        """Whether the scale adapts to the gradients."""
        return self._dynamic

    @property
    def loss_scale(self) -> Variable:
        """The current loss scale: a float32 variable."""
        return self._loss_scale

    @property
    def dynamic_counter(self) -> Variable | None:
        """Finite steps since the scale last changed (an int64 variable; None if fixed)."""
        return self._counter if self._dynamic else None

    @property
    def initial_scale(self) -> float:
        """The scale the optimizer started with."""
        return self._initial_scale

    @property
    def dynamic_growth_steps(self) -> int | None:
        """Finite steps between doublings (None if fixed)."""
        return self._growth_steps if self._dynamic else None

    def get_scaled_loss(self, loss):
        """`loss` times the loss scale (a callable gives a callable).

        Example:
            >>> opt = engine.keras.mixed_precision.LossScaleOptimizer(
            ...     engine.keras.optimizers.SGD(), initial_scale=4.0)
            >>> float(opt.get_scaled_loss(engine.constant(0.5)))
            2.0
        """
        if callable(loss):
            return lambda: self.get_scaled_loss(loss())
        loss = array_ops.convert_to_tensor(loss) if not hasattr(loss, "dtype") else loss
        return loss * self._scale_as(loss.dtype)

    def get_unscaled_gradients(self, grads) -> list:
        """The gradients divided by the loss scale (None stays None).

        Example:
            >>> opt = engine.keras.mixed_precision.LossScaleOptimizer(
            ...     engine.keras.optimizers.SGD(), initial_scale=4.0)
            >>> [float(g) for g in opt.get_unscaled_gradients([engine.constant(2.0)])]
            [0.5]
        """
        reciprocal = 1.0 / math_ops.cast(self._loss_scale, _dt.float32)
        return [None if g is None else g * _as(reciprocal, g.dtype) for g in grads]

    def _scale_as(self, dtype):
        return _as(self._loss_scale.read_value(), dtype)

    # --- the step -----------------------------------------------------------------------
    def compute_gradients(self, loss, var_list, tape=None) -> list:
        """`(gradient, variable)` pairs of `loss`, computed scaled and returned unscaled."""
        if callable(loss) or tape is None:
            pairs = compute_gradients(self.name, self.get_scaled_loss(loss), var_list, tape)
        else:
            # The gradients of `scale * loss` are those of `loss` with `scale` flowing in:
            # no need to record the product on the (finished) tape.
            var_list = list(var_list() if callable(var_list) else var_list)
            seed = fill_ops.ones_like(loss) * self._scale_as(loss.dtype)
            pairs = list(zip(tape.gradient(loss, var_list, output_gradients=seed), var_list))
        grads = self.get_unscaled_gradients([g for g, _ in pairs])
        return list(zip(grads, [v for _, v in pairs]))

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False,
                        **kwargs) -> Variable:
        """Applies unscaled gradients with the inner optimizer; with `dynamic`, skips the
        step when any gradient is inf or NaN and updates the loss scale.

        Returns:
            The inner optimizer's `iterations`.
        """
        pairs = list(grads_and_vars)
        inner = self._optimizer
        if not self._dynamic:
            return inner.apply_gradients(pairs, name, skip_gradients_aggregation, **kwargs)
        grads = [g for g, _ in pairs if g is not None]
        finite = _all_finite(grads)
        self._update_scale(finite)
        inner.build([v for g, v in pairs if g is not None])  # slots outside the branch

        def apply():
            inner.apply_gradients(pairs, name, skip_gradients_aggregation, **kwargs)
            return fill_ops.zeros([], _dt.int32)

        def skip():
            return fill_ops.zeros([], _dt.int32)

        cond(finite, apply, skip)
        return inner.iterations

    def _update_scale(self, finite) -> None:
        """Halve on non-finite gradients (not below 1); double after enough finite steps."""
        scale = self._loss_scale.read_value()
        count = self._counter.read_value() + 1
        grow = math_ops.logical_and(finite, math_ops.greater_equal(count, self._growth_steps))
        doubled = scale * 2.0
        grown = select_ops.where(math_ops.logical_and(grow, is_finite(doubled)), doubled, scale)
        halved = math_ops.maximum(scale * 0.5, 1.0)
        self._loss_scale.assign(select_ops.where(finite, grown, halved))
        keep = math_ops.logical_and(finite, logical_not(grow))
        self._counter.assign(select_ops.where(keep, count, fill_ops.zeros_like(count)))

    # --- configuration ------------------------------------------------------------------
    def get_config(self) -> dict:
        """The inner optimizer's config and the scaling settings."""
        from engine.keras import optimizers  # noqa: PLC0415 - the package imports this module

        return {"inner_optimizer": optimizers.serialize(self._optimizer),
                "dynamic": self._dynamic, "initial_scale": self._initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """Rebuilds the optimizer (and its inner one) from `get_config()`'s dict."""
        from engine.keras import optimizers  # noqa: PLC0415

        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = optimizers.deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)


def _as(tensor, dtype):
    return tensor if tensor.dtype == dtype else math_ops.cast(tensor, dtype)


def _all_finite(grads):
    """A scalar bool tensor: every element of every gradient is finite."""
    if not grads:
        return array_ops.convert_to_tensor(True)
    flags = [reduce_ops.reduce_all(is_finite(g)) for g in grads]
    return reduce_ops.reduce_all(join_ops.stack(flags)) if len(flags) > 1 else flags[0]


def wrap_for_policy(optimizer, policy):
    """`optimizer` in a `LossScaleOptimizer` when `policy` is mixed_float16 (as
    `Model.compile` does in Keras 2), else unchanged."""
    if getattr(policy, "name", None) == "mixed_float16" and not isinstance(
            optimizer, LossScaleOptimizer):
        return LossScaleOptimizer(optimizer)
    return optimizer


# Found by name ("LossScaleOptimizer") in optimizer configs, written under the plain name.
serialization.register_keras_serializable("keras.mixed_precision")(LossScaleOptimizer)
del LossScaleOptimizer._keras_registered_name
