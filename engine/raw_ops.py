"""`engine.raw_ops`: every registered op under its TensorFlow raw-op name.

Generated from the registry: `raw_ops.MatMul(a=x, b=y, transpose_a=True)`. Arguments are
keyword-only, as in TensorFlow. Tensor-valued attributes (an `axis` or `shape` passed as
a tensor) are converted to Python values.

Example:
    >>> float(engine.raw_ops.AddV2(x=engine.constant(1.0), y=2.0))
    3.0
"""

from __future__ import annotations

import numpy as np

from engine import registry
from engine.dispatch import dispatch


def _attr_value(value):
    if hasattr(value, "numpy") and hasattr(value, "dtype"):
        value = np.asarray(value).tolist()
    if isinstance(value, list):
        return tuple(value)
    return value


def _make(op: registry.OpDef):
    names = [n.lstrip("*") for n in op.inputs]
    reverse = {ours: theirs for theirs, ours in op.tf_args.items()}

    def raw(name=None, **kwargs):
        inputs = []
        for n, declared in zip(names, op.inputs):
            if n not in kwargs:
                raise TypeError(f"raw_ops.{op.tf_name}: missing input `{n}`; expected "
                                f"inputs {names} and attrs {list(op.attrs)}.")
            value = kwargs.pop(n)
            if declared.startswith("*"):  # a variadic input takes a list
                inputs.extend(value)
            else:
                inputs.append(value)
        attrs = dict(op.attrs)
        for key, value in kwargs.items():
            ours = op.tf_args.get(key, key)
            if ours not in attrs:
                known = [reverse.get(a, a) for a in op.attrs]
                raise TypeError(f"raw_ops.{op.tf_name}: unknown argument `{key}`; expected "
                                f"inputs {names} and attrs {known}.")
            attrs[ours] = _attr_value(value)
        return dispatch(op, tuple(inputs), attrs)

    raw.__name__ = raw.__qualname__ = op.tf_name
    attr_text = ", ".join(f"{reverse.get(a, a)}={d!r}" for a, d in op.attrs.items())
    raw.__doc__ = (f"{op.doc or op.name}\n\n    Inputs: {', '.join(names)}."
                   f"{'  Attrs: ' + attr_text + '.' if attr_text else ''}\n"
                   f"    Same as `engine` op `{op.name}`.\n")
    return raw


def __getattr__(name: str):
    try:
        op = registry.get(name)
    except KeyError:
        raise AttributeError(f"engine.raw_ops has no op {name!r}") from None
    if op.tf_name != name:
        raise AttributeError(f"engine.raw_ops has no op {name!r}; it is called "
                             f"raw_ops.{op.tf_name}")
    fn = _make(op)
    globals()[name] = fn
    return fn


def __dir__():
    return sorted(op.tf_name for op in registry.all_ops())
