"""`Optimizer`: the base of Keras optimizers (Keras 2.11+ semantics, TensorFlow 2 names).

An optimizer turns gradients into variable updates. The update is kept apart from the
gradient computation: `apply_gradients(grads_and_vars)` takes gradients from anywhere (a
`GradientTape`, or gradients already all-reduced across replicas), and `minimize` is only
`compute_gradients` followed by `apply_gradients`.

One `apply_gradients` call, in order (Keras' order):
1. evaluate the learning rate when it is a schedule (at `iterations`) or a callable, into
   the `learning_rate` variable;
2. create the slot variables of variables seen for the first time (`build`, lifted out of
   any graph being traced with `init_scope`, so it happens on a function's first trace);
3. drop pairs whose gradient is None (warning once with the variables' names);
4. clip (`clipnorm` per gradient, `global_clipnorm`, or `clipvalue`);
5. per variable: decoupled weight decay `var -= var * weight_decay * lr` if configured,
   then the optimizer's own update rule;
6. update the moving averages if `use_ema`;
7. `iterations += 1`, then apply each variable's `constraint`.

Everything a step reads that users may change between steps is read at run time: the
learning rate lives in a non-trainable variable (setting `optimizer.learning_rate = 0.1`
assigns it), and schedules are evaluated with engine ops from the `iterations` variable.
A step traced by `engine.function` therefore needs no retrace when the rate changes.
`step.py` runs the per-variable part from a plan precomputed per list of variables.
The slot variables (`build`, `add_variable_from_reference`, the moving averages) are
the `OptimizerSlots` mixin's part, in `slots.py`.
"""

from __future__ import annotations

from engine import context
from engine import dtypes as _dt
from engine.graph.trace import init_scope
from engine.keras.optimizers import gradients as _gradients
from engine.keras.optimizers import learning_rate as _rate
from engine.keras.optimizers import schedules
from engine.keras.optimizers import step as _step
from engine.keras.optimizers.slots import OptimizerSlots
from engine.keras.optimizers.variables import CallableList, read
from engine.ops.math_ops import cast
from engine.scopes import name_scope
from engine.variable import Variable

__all__ = ["Optimizer"]

_THREAD = context.THREAD
_UNTRACED = object()  # `_traced_source` before any traced step
_MAX_PLANS = 64  # plans kept, one per distinct list of variables


class Optimizer(OptimizerSlots):
    """The base of the Keras optimizers: applies gradients, owns slots and the step count.

    Subclasses set their learning rate with `self._learning_rate =
    self._build_learning_rate(learning_rate)` and implement either Keras' public hooks
    (`build(var_list)` creating slots with `add_variable_from_reference`, and
    `update_step(gradient, variable)`) or the faster internal trio: `_slot_specs()`,
    `_coefficients(dtype, lr, iterations)` and `_update(gradient, variable, slots, coef)`.

    Args:
        name: the optimizer's name (also the name scope of its ops).
        weight_decay: decoupled weight decay: each step first does
            `var -= var * weight_decay * learning_rate` (None: off).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to `[-clipvalue, clipvalue]`.
        global_clipnorm: clip all gradients together to this global L2 norm.
        use_ema: keep an exponential moving average of each variable
            (`average = ema_momentum * average + (1 - ema_momentum) * var` after each step).
        ema_momentum: the moving average's momentum, in [0, 1].
        ema_overwrite_frequency: with `use_ema`, every this many steps the variables are
            overwritten with their averages (None: only by `finalize_variable_values`).
        jit_compile: accepted for Keras compatibility; traced steps are compiled by
            `engine.function` (fusion) whatever its value.
        **kwargs: rejected, with advice for Keras 1 names (`lr`, `decay`).

    Raises:
        ValueError: for more than one clipping option, a negative clipping value, or EMA
            settings out of range.

    Example:
        >>> class PlainSGD(engine.keras.optimizers.Optimizer):
        ...     def __init__(self, learning_rate=0.1, name="PlainSGD", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self._learning_rate = self._build_learning_rate(learning_rate)
        ...     def update_step(self, gradient, variable):
        ...         variable.assign_sub(gradient * engine.cast(self.learning_rate,
        ...                                                    variable.dtype))
        >>> w = engine.Variable(1.0)
        >>> _ = PlainSGD().apply_gradients([(engine.constant(2.0), w)])
        >>> round(float(w), 6)
        0.8
    """

    def __init__(self, name, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, **kwargs):
        owner = type(self).__name__
        _reject_kwargs(owner, kwargs)
        _gradients.check_clipping(owner, clipnorm, clipvalue, global_clipnorm)
        if use_ema:
            _step.check_ema(owner, ema_momentum, ema_overwrite_frequency)
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.jit_compile = bool(jit_compile)
        self._variables = CallableList()
        with init_scope(), name_scope("/"):
            self._iterations = Variable(0, name="iteration", dtype=_dt.int64, trainable=False)
        self._variables.append(self._iterations)
        self._learning_rate = None
        self._learning_rate_source = None  # a schedule or callable, else None
        self._traced_source = _UNTRACED
        self._built = False  # for Keras-style subclasses' build(); the base never sets it
        self._index_dict: dict[int, int] = {}  # id(variable) -> its index in the lists below
        self._built_for: list = []  # the variables built for (keeps their ids unique)
        self._slots: list[tuple] = []
        self._averages: list = []
        self._exclude_from_weight_decay: list[int] = []
        self._exclude_from_weight_decay_names: list[str] = []
        self._plans: dict[tuple, _step.Plan] = {}
        self._warned_missing: set[tuple] = set()

    # --- learning rate and step count ---------------------------------------------------
    def _build_learning_rate(self, learning_rate):
        """Creates the learning-rate variable and sets it to `learning_rate`; returns it."""
        from engine.keras import backend  # noqa: PLC0415 - a sibling that may load later

        if self._learning_rate is None:
            with init_scope(), name_scope("/"):
                self._learning_rate = Variable(0.0, name="learning_rate",
                                               dtype=backend.floatx(), trainable=False)
        self.learning_rate = learning_rate
        return self._learning_rate

    @property
    def learning_rate(self) -> Variable:
        """The current learning rate, a non-trainable float variable.

        Set it to a number, a `LearningRateSchedule` (evaluated at `iterations` on each
        step) or a zero-argument callable (called on each step), at any time. A number
        is assigned to the variable, so steps traced with `engine.function` see it without
        retracing; switching between a number and a schedule or callable needs a retrace.
        """
        if self._learning_rate is None:
            raise ValueError(f"{type(self).__name__} has no learning rate: its __init__ must "
                             "call self._learning_rate = self._build_learning_rate(lr).")
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate) -> None:
        if self._learning_rate is None:
            self._build_learning_rate(learning_rate)
            return
        source = learning_rate if _rate.is_per_step(learning_rate) else None
        if self._traced_source is not _UNTRACED and source is not self._traced_source:
            _rate.warn_traced(self.name, self._traced_source, source)
            self._traced_source = source
        self._learning_rate_source = source
        if source is None:
            self._learning_rate.assign(_rate.check_value(
                type(self).__name__, learning_rate, self._learning_rate.dtype))
        else:
            self._update_learning_rate()

    lr = learning_rate

    def _update_learning_rate(self) -> None:
        """Assigns the schedule's (or callable's) current value to the learning rate."""
        self._learning_rate.assign(_rate.evaluate(
            self._learning_rate_source, read(self._iterations), self._learning_rate.dtype))

    @property
    def iterations(self) -> Variable:
        """The number of steps applied so far: an int64 variable, +1 per `apply_gradients`."""
        return self._iterations

    @iterations.setter
    def iterations(self, variable) -> None:
        if self._built_for or self._built:
            raise RuntimeError(f"{self.name}: cannot replace `iterations` after the "
                               "optimizer's variables were created; set it before the first "
                               "apply_gradients.")
        if not getattr(variable, "_is_variable", False) or variable.dtype != _dt.int64:
            raise TypeError(f"{self.name}: iterations must be an int64 engine.Variable; "
                            f"got {variable!r}.")
        self._variables[0] = self._iterations = variable  # variables lists it first

    @property
    def variables(self) -> list:
        """The optimizer's variables: `iterations`, then slots in creation order."""
        return CallableList(self._variables)

    # --- applying gradients -------------------------------------------------------------
    def compute_gradients(self, loss, var_list, tape=None) -> list:
        """`(gradient, variable)` pairs of `loss` with respect to `var_list`.

        Args:
            loss: a zero-argument callable returning the loss, or a loss tensor computed
                under `tape`.
            var_list: the variables, or a callable returning them (called after `loss`).
            tape: the `GradientTape` that recorded a tensor `loss`.

        Returns:
            A list of `(gradient or None, variable)`.

        Example:
            >>> w = engine.Variable(3.0)
            >>> opt = engine.keras.optimizers.SGD()
            >>> [float(g) for g, _ in opt.compute_gradients(lambda: w * w, [w])]
            [6.0]
        """
        return _gradients.compute_gradients(self.name, loss, var_list, tape)

    def minimize(self, loss, var_list, tape=None) -> None:
        """Computes the gradients of `loss` and applies them (one step).

        Args:
            loss: a zero-argument callable returning the loss, or a loss tensor computed
                under `tape`.
            var_list: the variables to update, or a callable returning them.
            tape: the `GradientTape` that recorded a tensor `loss`.

        Example:
            >>> w = engine.Variable(1.0)
            >>> engine.keras.optimizers.SGD(learning_rate=0.1).minimize(lambda: w * w, [w])
            >>> round(float(w), 6)
            0.8
        """
        self.apply_gradients(self.compute_gradients(loss, var_list, tape))

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False,
                        **kwargs) -> Variable:
        """Applies one step of updates to the variables (see the module docstring).

        Args:
            grads_and_vars: `(gradient, variable)` pairs (any iterable, e.g. a `zip`);
                None gradients are skipped with a warning.
            name: the name scope of the update ops (default: the optimizer's name).
            skip_gradients_aggregation: accepted for Keras compatibility: the gradients
                are used as given (a distribution strategy passes them all-reduced).
            **kwargs: `experimental_aggregate_gradients`, the older spelling of the above.

        Returns:
            The `iterations` variable, after its increment.

        Raises:
            TypeError: for pairs that are not `(gradient, engine.Variable)`.
            ValueError: when every gradient is None.
            DTypeError: for a gradient whose dtype differs from its variable's.

        Example:
            >>> w = engine.Variable([1.0, 2.0])
            >>> opt = engine.keras.optimizers.SGD(learning_rate=0.5)
            >>> int(opt.apply_gradients([(engine.constant([1.0, 1.0]), w)]))
            1
            >>> w.numpy()
            array([0.5, 1.5], dtype=float32)
        """
        kwargs.pop("experimental_aggregate_gradients", None)
        _reject_kwargs(f"{type(self).__name__}.apply_gradients", kwargs)
        pairs = _gradients.as_pairs(self.name, grads_and_vars)
        if not pairs:
            return self._iterations
        with name_scope(name or self.name):
            if self._learning_rate_source is not None:
                self._update_learning_rate()
            if _THREAD.graph is not None:
                self._traced_source = self._learning_rate_source
            grads, variables = _gradients.drop_missing(self.name, pairs, self._warned_missing)
            key = tuple(map(id, variables))
            plan = self._plans.get(key)
            if plan is None:
                self.build([v for _, v in pairs])
                if len(self._plans) >= _MAX_PLANS:
                    self._plans.clear()
                plan = self._plans[key] = _step.make_plan(self, variables)
            grads = _gradients.clip(grads, self.clipnorm, self.clipvalue, self.global_clipnorm)
            _step.run(self, grads, plan)
        return self._iterations

    def _step_coefficients(self, dtypes: list, lr, iterations) -> list:
        """`_coefficients` for each dtype of this step (computed once per step)."""
        return [self._coefficients(d, None if lr is None else cast(lr, d), iterations)
                for d in dtypes]

    def _coefficients(self, dtype, lr, iterations):
        """The per-step scalars the update rule needs for variables of `dtype`."""
        return None

    def _update(self, gradient, variable, slots: tuple, coefficients) -> None:
        """The update rule for one variable; by default Keras' `update_step`."""
        self.update_step(gradient, variable)

    def update_step(self, gradient, variable) -> None:
        """Applies the update rule to one variable (no clipping, decay or step count).

        Subclasses written in Keras' style override this method.

        Args:
            gradient: the variable's gradient.
            variable: the variable to update.

        Raises:
            NotImplementedError: in a subclass that defines no update rule.
        """
        if type(self)._update is Optimizer._update:
            raise NotImplementedError(f"{type(self).__name__} must implement "
                                      "update_step(gradient, variable).")
        self.build([variable])
        lr = read(self.learning_rate)
        coefficients = self._step_coefficients([variable.dtype], lr, read(self._iterations))
        self._update(gradient, variable, self._slots[self._index_dict[id(variable)]],
                     coefficients[0])

    # --- configuration ------------------------------------------------------------------
    def _serialize_hyperparameter(self, hyperparameter):
        """A hyperparameter as JSON-able data (schedules as their config dicts)."""
        return _rate.serialize(hyperparameter)

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict (no variable values).

        Returns:
            A dict such that `type(self).from_config(config)` builds an equal optimizer.

        Example:
            >>> engine.keras.optimizers.SGD(learning_rate=0.5).get_config()["learning_rate"]
            0.5
        """
        config = {"name": self.name, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                  "ema_momentum": self.ema_momentum,
                  "ema_overwrite_frequency": self.ema_overwrite_frequency,
                  "jit_compile": self.jit_compile, "is_legacy_optimizer": False}
        if self._learning_rate is not None:
            config["learning_rate"] = self._serialize_hyperparameter(
                self._learning_rate_source or self._learning_rate)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """Builds an optimizer from `get_config()`'s dict.

        Args:
            config: the dict.
            custom_objects: `{name: class}` for custom learning rate schedules.

        Returns:
            A new optimizer (without the original's variable values).

        Example:
            >>> opt = engine.keras.optimizers.Adam(learning_rate=0.01)
            >>> engine.keras.optimizers.Adam.from_config(opt.get_config()).get_config() == (
            ...     opt.get_config())
            True
        """
        config = dict(config)
        config.pop("is_legacy_optimizer", None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects=custom_objects)
        return cls(**config)


def _reject_kwargs(owner: str, kwargs: dict) -> None:
    if not kwargs:
        return
    advice = {"lr": "use learning_rate=", "decay": "use a learning rate schedule "
              "(engine.keras.optimizers.schedules) instead"}
    hints = "; ".join(f"{k}: {advice[k]}" for k in kwargs if k in advice)
    raise TypeError(f"{owner}: unexpected keyword argument(s) {sorted(kwargs)}."
                    + (f" {hints}." if hints else ""))

