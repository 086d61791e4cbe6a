"""Run-time helpers for converted `if` statements, `x if c else y`, `and`/`or`/`not`, `assert`.

Each helper looks at the condition it is given: a Python value (or an eager tensor) runs
plain Python, so converted code behaves exactly like the original; a symbolic tensor (the
function is being traced and the condition depends on its inputs) builds graph control
flow with `engine.cond` or `engine.logical_and` / `logical_or` / `logical_not`.

A graph `if` returns the variables that either branch assigns and that code after the
`if` reads. Both branches must give each of them a value of the same kind: tensors of one
dtype, or one and the same Python value. A Python number in one branch and a tensor in the
other becomes a tensor of the tensor's dtype; two different Python numbers become a tensor.
"""

from __future__ import annotations

from engine import nest
from engine.autograph.values import (
    RETURN_VALUE,
    RetraceError,
    Undefined,
    condition,
    describe,
    find_retry,
    is_number,
    is_symbolic,
    location,
    number_dtype,
    to_tensor,
    truth,
)
from engine.errors import TracingError
from engine.graph.tensor_array import TensorArray
from engine.tensor import Tensor

_MAX_TRACES = 3


def if_stmt(cond, body, orelse, get_state, set_state, names: tuple, outputs: tuple) -> None:
    """Runs a converted `if`: Python `if` for Python conditions, `engine.cond` for tensors.

    Args:
        cond: the evaluated condition.
        body, orelse: the branches, as functions of no arguments that assign the
            statement's variables in the enclosing function.
        get_state, set_state: read and assign the variables named in `names`.
        names: the variables either branch assigns.
        outputs: those of `names` that code after the `if` reads.
    """
    cond = condition(cond)
    if not is_symbolic(cond):
        if cond:
            body()
        else:
            orelse()
        return
    initial = get_state()
    slots = [names.index(n) for n in outputs]

    def branch(fn):
        def run():
            set_state(initial)
            fn()
            values = get_state()
            return tuple(values[i] for i in slots)
        return run

    try:
        merged = cond_values(truth(cond, "if"), branch(body), branch(orelse), outputs)
    except BaseException:
        set_state(initial)
        raise
    final = list(initial)
    for i, value in zip(slots, merged):
        final[i] = value
    set_state(tuple(final))


def if_exp(cond, true_fn, false_fn):
    """Runs a converted `a if cond else b`: `engine.cond` when `cond` is a symbolic tensor.

    Args:
        cond: the evaluated condition.
        true_fn, false_fn: functions of no arguments returning `a` and `b`.

    Returns:
        The chosen value (a tensor from `engine.cond` for a symbolic condition).
    """
    cond = condition(cond)
    if not is_symbolic(cond):
        return true_fn() if cond else false_fn()
    (value,) = cond_values(truth(cond, "`a if cond else b`"), lambda: (true_fn(),),
                           lambda: (false_fn(),), ("<expression>",))
    return value


def cond_values(pred, true_fn, false_fn, names: tuple) -> tuple:
    """`engine.cond` over the values two branch functions return, merged as in `if_stmt`.

    Each branch function returns one value per name. Tensors pass through `engine.cond`;
    the same Python value in both branches stays Python; numbers against tensors become
    tensors. When the first trace reveals that a branch needs a different form (say a
    Python number the other branch returns as a float64 tensor), both branches are traced
    again with that plan.
    """
    from engine.graph import control_flow  # noqa: PLC0415 - may land after this module

    where = location()
    owner = object()
    plan = None
    for _ in range(_MAX_TRACES):
        seen: dict[str, tuple] = {}

        def run(key, other, fn, plan=plan, seen=seen):
            values = fn()
            seen[key] = values
            if plan is None:
                if other in seen:
                    full, changed = _plan(seen["true"], seen["false"], names, where)
                    if changed:
                        raise RetraceError(owner, full)
                plan = _own_plan(values)
            return tuple(_emit(values, plan))

        try:
            result = control_flow.cond(pred, lambda: run("true", "false", true_fn),
                                       lambda: run("false", "true", false_fn))
        except Exception as exc:
            retry = find_retry(exc, owner)
            if retry is None:
                raise
            plan = retry.plan
            continue
        if plan is None:
            plan = _own_plan(seen["true"] if "true" in seen else seen["false"])
        return _collect(plan, _as_tuple(result), names)
    raise TracingError(f"autograph: the branches of the `if` at {where} could not be traced "
                       "into one engine.cond; call engine.cond directly.")


def _as_tuple(result) -> tuple:
    if result is None:
        return ()
    if isinstance(result, Tensor):
        return (result,)
    return tuple(result)


# A plan says, per output, how both branches hand it to engine.cond: None (undefined in
# both), or (template, leaves) where `template` is a value with the output's structure and
# each leaf is ("tensor", dtype, fill_spec) or ("python", value).
def _own_plan(values: tuple) -> list:
    plan = []
    for value in values:
        if isinstance(value, Undefined):
            plan.append(None)
            continue
        leaves = [("tensor", leaf.dtype, None) if isinstance(leaf, (Tensor, TensorArray))
                  else ("python", leaf) for leaf in nest.flatten(value)]
        plan.append((value, leaves))
    return plan


def _plan(true_values: tuple, false_values: tuple, names: tuple, where: str):
    """The plan for both branches, and whether it differs from what each traced alone."""
    plan, changed = [], False
    for name, a, b in zip(names, true_values, false_values):
        a_undefined, b_undefined = isinstance(a, Undefined), isinstance(b, Undefined)
        if a_undefined and b_undefined:
            plan.append(None)
            continue
        if a_undefined or b_undefined:
            if name != RETURN_VALUE:
                which = "false" if a_undefined else "true"
                raise TracingError(
                    f"autograph: {name!r} is assigned in the {which} branch of the `if` at "
                    f"{where} but has no value before the `if` and none from the other branch. "
                    "With a tensor condition both branches must give it a value: assign it "
                    "before the `if`, or in both branches.")
            defined = b if a_undefined else a
            leaves = []
            for leaf in nest.flatten(defined):
                if isinstance(leaf, TensorArray):
                    raise TracingError(
                        f"autograph: the TensorArray returned at {where} is set in one branch "
                        "only; return it on every path.")
                if isinstance(leaf, Tensor):
                    leaves.append(("tensor", leaf.dtype, leaf._value.shape))
                    changed = True
                else:
                    leaves.append(("python", leaf))
            plan.append((defined, leaves))
            continue
        try:
            nest.assert_same_structure(a, b, check_types=False)
        except (ValueError, TypeError):
            raise TracingError(
                f"autograph: {name!r} has a different structure in the two branches of the "
                f"`if` at {where}: {describe(a)} vs {describe(b)}. Give it the same nesting "
                "in both branches.") from None
        leaves = []
        for x, y in zip(nest.flatten(a), nest.flatten(b)):
            leaf, leaf_changed = _plan_leaf(name, x, y, where)
            leaves.append(leaf)
            changed = changed or leaf_changed
        plan.append((a, leaves))
    return plan, changed


def _plan_leaf(name: str, a, b, where: str):
    if isinstance(a, TensorArray) and isinstance(b, TensorArray):
        return ("tensor", a.dtype, None), False  # engine.cond carries its buffer
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a.dtype is not b.dtype:
            raise TracingError(
                f"autograph: {name!r} is {describe(a)} in the true branch and {describe(b)} "
                f"in the false branch of the `if` at {where}; a graph `if` needs one dtype. "
                f"Cast one of them, e.g. engine.cast(value, engine.{a.dtype.name}).")
        return ("tensor", a.dtype, None), False
    if isinstance(a, Tensor) and is_number(b):
        return ("tensor", a.dtype, None), True
    if isinstance(b, Tensor) and is_number(a):
        return ("tensor", b.dtype, None), True
    if _same_python(a, b):
        return ("python", a), False
    if is_number(a) and is_number(b):
        return ("tensor", number_dtype(a, b), None), True
    raise TracingError(
        f"autograph: {name!r} is {describe(a)} in the true branch and {describe(b)} in the "
        f"false branch of the `if` at {where}. With a tensor condition it must be a tensor "
        "in both branches (or the same Python value): assign a tensor in both.")


def _same_python(a, b) -> bool:
    if a is b:
        return True
    if type(a) is not type(b) or not isinstance(a, (bool, int, float, complex, str, bytes)):
        return False
    return a == b


def _emit(values: tuple, plan: list):
    """The tensors a branch hands to engine.cond under `plan`."""
    import engine  # noqa: PLC0415

    for value, entry in zip(values, plan):
        if entry is None:
            continue
        leaves = None if isinstance(value, Undefined) else nest.flatten(value)
        for k, (kind, *info) in enumerate(entry[1]):
            if kind != "tensor":
                continue
            dtype, fill = info
            if leaves is None:
                dims = [0 if d is None else d for d in (fill or ())]
                yield engine.zeros(dims, dtype)
            elif isinstance(leaves[k], TensorArray):
                yield leaves[k]
            else:
                yield to_tensor(leaves[k], dtype)


def _collect(plan: list, tensors: tuple, names: tuple) -> list:
    """The merged output values: engine.cond's tensors and the Python values, packed."""
    it = iter(tensors)
    merged = []
    for name, entry in zip(names, plan):
        if entry is None:
            merged.append(Undefined(name))
            continue
        template, leaves = entry
        flat = [next(it) if kind == "tensor" else info[0] for kind, *info in leaves]
        merged.append(nest.pack_sequence_as(template, flat))
    return merged


def and_(a, b):
    """Converted `a and b`: `engine.logical_and` when `a` is a symbolic tensor.

    Args:
        a: the evaluated left operand.
        b: a function of no arguments returning the right operand (evaluated only when
            Python would evaluate it, or when `a` is symbolic).

    Returns:
        What Python's `and` returns, or a bool tensor.
    """
    a = condition(a)
    if not is_symbolic(a):
        return a and b()
    import engine  # noqa: PLC0415

    return engine.logical_and(truth(a, "and"), _bool_operand(b(), "and"))


def or_(a, b):
    """Converted `a or b`: `engine.logical_or` when `a` is a symbolic tensor.

    Args:
        a: the evaluated left operand.
        b: a function of no arguments returning the right operand.

    Returns:
        What Python's `or` returns, or a bool tensor.
    """
    a = condition(a)
    if not is_symbolic(a):
        return a or b()
    import engine  # noqa: PLC0415

    return engine.logical_or(truth(a, "or"), _bool_operand(b(), "or"))


def not_(a):
    """Converted `not a`: `engine.logical_not` when `a` is a symbolic tensor.

    Args:
        a: the operand.

    Returns:
        A Python bool, or a bool tensor.
    """
    a = condition(a)
    if not is_symbolic(a):
        return not a
    import engine  # noqa: PLC0415

    return engine.logical_not(truth(a, "not"))


def _bool_operand(value, what: str):
    value = condition(value)
    return truth(value, what) if is_symbolic(value) else bool(value)


def assert_stmt(test, message) -> None:
    """Converted `assert test, message`: a graph assertion when `test` is symbolic.

    Args:
        test: the evaluated test.
        message: a function of no arguments returning the message, or None.
    """
    test = condition(test)
    if not is_symbolic(test):
        if not test:
            raise AssertionError(message()) if message is not None else AssertionError
        return
    import engine  # noqa: PLC0415

    graph_assert = getattr(engine.debugging, "Assert", None)
    if graph_assert is None:
        raise TracingError(
            f"autograph: `assert` at {location()} tests a symbolic tensor, and engine has no "
            "graph assertion op (engine.debugging.Assert) yet. Remove the assert or run the "
            "function eagerly (engine.config.run_functions_eagerly(True)) to check it.")
    text = "assertion failed" if message is None else message()
    graph_assert(truth(test, "assert"), [text])


def return_value(did_return, value, may_fall_through: bool):
    """The converted function's result: None when no `return` ran.

    Args:
        did_return: whether a `return` ran (a bool tensor if that depends on tensors).
        value: the returned value.
        may_fall_through: whether some path reaches the end of the function without
            `return`.

    Returns:
        `value`, or None.
    """
    if isinstance(value, Undefined):
        return None
    if may_fall_through and is_symbolic(did_return) and value is not None:
        raise TracingError(
            f"autograph: {location()}: the function returns a value only on some paths "
            "that depend on a tensor, and can also end without a `return` (giving None). "
            "A graph must return the same structure on every path: add a `return` at the "
            "end of the function.")
    return value
