"""One optimizer step over a list of variables, from a plan precomputed for that list.

`apply_gradients` looks the plan up once per call (by the variables' ids): each entry
holds the variable, its slot variables, the index of its dtype group, whether weight
decay applies and its NumPy dtype, so the per-variable loop does no lookups by name. The
subclass's scalar coefficients (bias corrections, learning rate in the dtype, ...) are
computed once per step and dtype, and each variable then costs only its update rule's
elementwise ops.
"""

from __future__ import annotations

from engine.errors import DTypeError
from engine.keras.optimizers.variables import hyper, read
from engine.ops.math_ops import cast, equal
from engine.ops.select_ops import where

__all__ = ["Plan", "make_plan", "run", "update_averages", "check_ema"]


class Plan:
    """What a step over one list of variables needs, computed once for that list.

    Args:
        dtypes: the distinct dtypes of the variables, in order of first appearance.
        entries: per variable, `(variable, slots, dtype index, decays, NumPy dtype)`.
        averaged: `(variable, moving average)` pairs when the optimizer uses EMA.
        constrained: the variables that have a constraint.
    """

    __slots__ = ("dtypes", "entries", "averaged", "constrained")

    def __init__(self, dtypes: list, entries: list, averaged: list, constrained: list):
        self.dtypes = dtypes
        self.entries = entries
        self.averaged = averaged
        self.constrained = constrained


def make_plan(optimizer, variables: list) -> Plan:
    """The plan for `variables`, all of which `optimizer.build` has seen.

    Args:
        optimizer: the optimizer.
        variables: the variables of one step, in the order of their gradients.

    Returns:
        A `Plan`.
    """
    dtypes, entries, averaged = [], [], []
    for variable in variables:
        index = optimizer._index_dict[id(variable)]
        dtype = variable.dtype
        if dtype not in dtypes:
            dtypes.append(dtype)
        entries.append((variable, optimizer._slots[index], dtypes.index(dtype),
                        optimizer._use_weight_decay(variable), variable._value.dtype))
        if optimizer.use_ema:
            averaged.append((variable, optimizer._averages[index]))
    constrained = [v for v in variables if v.constraint is not None]
    return Plan(dtypes, entries, averaged, constrained)


def run(optimizer, grads: list, plan: Plan) -> None:
    """Weight decay and the update rule per variable, then averages, count, constraints.

    Args:
        optimizer: the optimizer.
        grads: the (clipped) gradients, in the plan's order.
        plan: the plan for the variables.

    Raises:
        DTypeError: for a gradient whose dtype differs from its variable's.
    """
    iterations = read(optimizer._iterations)
    lr = None if optimizer._learning_rate is None else read(optimizer._learning_rate)
    coefficients = optimizer._step_coefficients(plan.dtypes, lr, iterations)
    decays = None
    if optimizer.weight_decay is not None:
        decays = [cast(lr, d) * hyper(optimizer.weight_decay, d) for d in plan.dtypes]
    update = optimizer._update
    for gradient, (variable, slots, k, decays_this, np_dtype) in zip(grads, plan.entries):
        if gradient._value.dtype != np_dtype:
            raise DTypeError(f"{optimizer.name}: the gradient for {variable.name!r} has dtype "
                             f"{gradient.dtype.name}, but the variable has "
                             f"{variable.dtype.name}. Cast the gradient with "
                             f"engine.cast(gradient, {variable.dtype.name!r}).")
        if decays is not None and decays_this:
            variable.assign_sub(read(variable) * decays[k])
        update(gradient, variable, slots, coefficients[k])
    if plan.averaged:
        update_averages(plan.averaged, optimizer.ema_momentum,
                        optimizer.ema_overwrite_frequency, iterations)
    optimizer._iterations.assign_add(1)
    for variable in plan.constrained:
        variable.assign(variable.constraint(variable))


def update_averages(averaged: list, momentum: float, overwrite_frequency, iterations) -> None:
    """`average = momentum * average + (1 - momentum) * var`, and the periodic overwrite.

    Args:
        averaged: `(variable, moving average)` pairs.
        momentum: the averages' momentum.
        overwrite_frequency: every this many steps (counting this one) the variables take
            their averages' values; None or 0: never.
        iterations: the step count before this step (an integer tensor).
    """
    news = []
    for variable, average in averaged:
        new = momentum * read(average) + (1 - momentum) * read(variable)
        average.assign(new)
        news.append(new)
    if overwrite_frequency:
        overwrite = equal((iterations + 1) % overwrite_frequency, 0)
        for (variable, _), new in zip(averaged, news):
            variable.assign(where(overwrite, new, read(variable)))


def check_ema(owner: str, ema_momentum, ema_overwrite_frequency) -> None:
    """Checks the moving-average options of an optimizer with `use_ema=True`.

    Args:
        owner: the optimizer's class name, for errors.
        ema_momentum: must be in [0, 1].
        ema_overwrite_frequency: None or an integer >= 1.

    Raises:
        ValueError: for values out of range.
    """
    if not 0 <= ema_momentum <= 1:
        raise ValueError(f"{owner}: ema_momentum must be in [0, 1]; received "
                         f"ema_momentum={ema_momentum!r}.")
    if ema_overwrite_frequency is not None and (
            not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
        raise ValueError(f"{owner}: ema_overwrite_frequency must be an integer >= 1 or None; "
                         f"received ema_overwrite_frequency={ema_overwrite_frequency!r}.")
