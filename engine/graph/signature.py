"""Call signatures: what a call's arguments look like to `engine.function`'s cache.

`encode(args, kwargs)` walks the arguments (lists, tuples, dicts, namedtuples, nested)
and gives:
- a hashable key: for each tensor its shape, dtype and device; for each Python value the
  value itself (or its identity when unhashable); for each variable its identity;
- the flat list of tensors (the graph's inputs, in order);
- one `Leaf` per argument leaf, with a readable path (`x`, `batch[1]`, `cfg['lr']`), used
  to explain why a call needed a new trace.
"""

from __future__ import annotations

import inspect

import numpy as np

from engine import dtypes as _dt
from engine import nest
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, SignatureMismatchError
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["Leaf", "encode", "bind_arguments", "differences", "relax", "compatible",
           "relax_against", "check_input_signature", "conform", "mismatch_message"]


class Leaf:
    """One argument leaf: its path and what the cache keys on.

    `kind` is "tensor" (a `spec`), "variable", or "python" (a `value`).
    """

    __slots__ = ("path", "kind", "spec", "value", "device")

    def __init__(self, path: str, kind: str, spec=None, value=None, device=None):
        self.path = path
        self.kind = kind
        self.spec = spec
        self.value = value
        self.device = device

    def describe(self) -> str:
        if self.kind == "tensor":
            return f"tensor {self.spec.shape} {self.spec.dtype.name}"
        if self.kind == "variable":
            return f"variable {self.value.name!r}"
        return f"Python {type(self.value).__name__} {self.value!r}"


def bind_arguments(signature: inspect.Signature | None, args: tuple, kwargs: dict) -> list:
    """`[(path, value, where), ...]` for the call, in the function's parameter order.

    `where` is None for a positional argument and the keyword for a keyword argument.
    """
    if signature is None:
        return [(f"args[{i}]", a, None) for i, a in enumerate(args)] + [
            (k, v, k) for k, v in sorted(kwargs.items())]
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"engine.function: {exc} (the function's signature is "
                        f"{signature}).") from None
    out = []
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            out.extend((f"{name}[{i}]", v, None) for i, v in enumerate(value))
        elif kind is inspect.Parameter.VAR_KEYWORD:
            out.extend((f"{name}[{k!r}]", v, k) for k, v in sorted(value.items()))
        elif kind is inspect.Parameter.KEYWORD_ONLY:
            out.append((name, value, name))
        else:
            out.append((name, value, None))
    return out


def encode(named: list) -> tuple[tuple, list, list]:
    """`(key, tensors, leaves)` for the named arguments (see the module docstring).

    Leaves are taken in `engine.nest`'s order, so `nest.pack_sequence_as` puts
    replacements back where they came from.
    """
    key: list = []
    tensors: list = []
    leaves: list = []
    for name, value, _ in named:
        if nest.is_nested(value):
            parts = tuple(_leaf(v, name + _path_text(p), tensors, leaves)
                          for p, v in nest.flatten_with_paths(value))
            key.append((_fingerprint(value), parts))
        else:
            key.append(_leaf(value, name, tensors, leaves))
    return tuple(key), tensors, leaves


def _path_text(path: tuple) -> str:
    return "".join(f"[{p!r}]" for p in path)


def _fingerprint(value):
    """A hashable description of a nested structure's containers (not its leaves)."""
    if isinstance(value, dict):
        return (type(value), tuple((k, _fingerprint(v)) for k, v in
                                   sorted(value.items(), key=lambda kv: repr(kv[0]))))
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(_fingerprint(v) for v in value))
    return None


def _leaf(value, path: str, tensors: list, leaves: list):
    if isinstance(value, Tensor):
        v = value._value
        tensors.append(value)
        leaves.append(Leaf(path, "tensor", TensorSpec(v.shape, _dt.from_numpy(v.dtype)),
                           device=value._device))
        return (v.shape, v.dtype, value._device)
    if isinstance(value, TensorSpec):  # get_concrete_function(TensorSpec(...))
        tensors.append(value)
        leaves.append(Leaf(path, "tensor", value, device=None))
        dims = value.shape.dims
        return (None if dims is None else tuple(dims), value.dtype._np, None)
    if getattr(value, "_is_variable", False):
        leaves.append(Leaf(path, "variable", value=value))
        return ("var", id(value))
    if isinstance(value, np.ndarray):
        return _leaf(convert_to_tensor(value), path, tensors, leaves)
    leaves.append(Leaf(path, "python", value=value))
    try:
        hash(value)
    except TypeError:
        return ("id", type(value), id(value))
    return ("py", type(value), value)


def differences(old: list, new: list) -> list[dict]:
    """What changed between two calls' leaves: one dict per changed argument."""
    out = []
    old_by_path = {leaf.path: leaf for leaf in old}
    new_paths = {leaf.path for leaf in new}
    for leaf in new:
        before = old_by_path.get(leaf.path)
        if before is None:
            out.append(_change(leaf.path, "structure", "absent", leaf.describe()))
            continue
        if before.kind != leaf.kind:
            out.append(_change(leaf.path, "type", before.describe(), leaf.describe()))
        elif leaf.kind == "tensor":
            if before.spec.dtype is not leaf.spec.dtype:
                out.append(_change(leaf.path, "dtype", before.spec.dtype.name,
                                   leaf.spec.dtype.name))
            if before.spec.shape != leaf.spec.shape:
                out.append(_change(leaf.path, "shape", str(before.spec.shape),
                                   str(leaf.spec.shape)))
            if before.device is not leaf.device and before.device and leaf.device:
                out.append(_change(leaf.path, "device", before.device.name, leaf.device.name))
        elif leaf.kind == "variable":
            if before.value is not leaf.value:
                out.append(_change(leaf.path, "variable", before.describe(), leaf.describe()))
        elif not _same_python(before.value, leaf.value):
            out.append(_change(leaf.path, "python value", repr(before.value),
                               repr(leaf.value)))
    for leaf in old:
        if leaf.path not in new_paths:
            out.append(_change(leaf.path, "structure", leaf.describe(), "absent"))
    return out


def _same_python(a, b) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - objects with odd __eq__
        return a is b


_FIXES = {
    "shape": ("give engine.function an input_signature with None for the dimension that "
              "varies (e.g. input_signature=[engine.TensorSpec([None, ...], ...)]), or pass "
              "reduce_retracing=True"),
    "dtype": "cast the argument to one dtype before calling (engine.cast)",
    "python value": ("pass a tensor (engine.constant(value)) instead of a Python value: "
                     "every new Python value is baked into a new graph"),
    "variable": "pass the same variable, or read it inside the function instead",
    "structure": "call the function with the same nesting of arguments each time",
    "type": "pass the same kind of value (a tensor, or a Python value) each time",
    "device": "keep the argument on one device",
}


def _change(path: str, kind: str, old: str, new: str) -> dict:
    return {"argument": path, "kind": kind, "old": old, "new": new, "fix": _FIXES[kind]}


def relax(old: list, new: list) -> list | None:
    """Specs that fit both calls (differing dims become None), or None if they differ in
    anything but tensor shapes of the same rank."""
    if len(old) != len(new):
        return None
    out = []
    for a, b in zip(old, new):
        if a.path != b.path or a.kind != b.kind:
            return None
        if a.kind != "tensor":
            if a.kind == "variable" and a.value is not b.value:
                return None
            if a.kind == "python" and not _same_python(a.value, b.value):
                return None
            out.append(None)
            continue
        if a.spec.dtype is not b.spec.dtype or a.spec.shape.rank != b.spec.shape.rank:
            return None
        out.append(TensorSpec(a.spec.shape.most_specific_compatible_shape(b.spec.shape),
                              a.spec.dtype))
    return out


def shape_key(shape: TensorShape) -> tuple | None:
    """A hashable form of a shape."""
    return None if shape.dims is None else tuple(shape.dims)


# --- matching calls against traced signatures ---------------------------------------------
def compatible(specs: list, leaves: list, exact_python: bool) -> bool:
    if len(specs) != len(leaves):
        return False
    for a, b in zip(specs, leaves):
        if a.kind != b.kind:
            return False
        if a.kind == "tensor":
            if a.spec.dtype is not b.spec.dtype or not a.spec.shape.is_compatible_with(
                    b.spec.shape):
                return False
            if a.device is not None and b.device is not None and a.device is not b.device:
                return False
        elif a.kind == "variable":
            if a.value is not b.value:
                return False
        elif exact_python and not _same_python(a.value, b.value):
            return False
    return True


def relax_against(traces: list, leaves: list):
    """Tensor specs that fit this call and the latest compatible earlier one, or None."""
    for old in reversed(traces):
        relaxed = relax(old, leaves)
        if relaxed is not None:
            return [s for s in relaxed if s is not None]
    return None


def check_input_signature(name: str, signature) -> list:
    if not isinstance(signature, (list, tuple)):
        raise TypeError(f"engine.function {name!r}: input_signature must be a list or tuple "
                        f"of engine.TensorSpec; got {type(signature).__name__}.")
    for leaf in nest.flatten(list(signature)):
        if not isinstance(leaf, TensorSpec):
            raise TypeError(f"engine.function {name!r}: input_signature holds {leaf!r}; "
                            "expected engine.TensorSpec(shape, dtype) entries (nested lists, "
                            "tuples and dicts of them are fine).")
    return list(signature)


def conform(name: str, specs: list, named: list) -> list:
    """The call's tensors, checked against a pinned input signature."""
    if len(named) != len(specs):
        raise TypeError(f"{name}: the input_signature has {len(specs)} arguments "
                        f"({_specs_text(specs)}); the call gave {len(named)}: "
                        f"{_values_text(named)}.")
    tensors = []
    for (path, value, _), spec in zip(named, specs):
        if isinstance(spec, TensorSpec) and nest.is_nested(value):
            # A list for a TensorSpec is one tensor's value (`f([1.0, 2.0])`), not nesting.
            value = _converted(name, specs, path, value, spec)
        try:
            nest.assert_same_structure(spec, value, check_types=False)
        except (ValueError, TypeError):
            raise TypeError(f"{name}: argument `{path}` is {_value_text(value)}, which does "
                            f"not have the structure of its input_signature entry {spec}."
                            ) from None
        for s, v in zip(nest.flatten(spec), nest.flatten(value)):
            if not isinstance(v, Tensor):
                v = _converted(name, specs, path, v, s)
            if v.dtype is not s.dtype or not s.shape.is_compatible_with(v.shape):
                error = DTypeError if v.dtype is not s.dtype else SignatureMismatchError
                raise error(f"{name}: argument `{path}` is a {v.dtype.name} tensor of shape "
                            f"{v.shape}; the input_signature expects {s.shape} {s.dtype.name}"
                            f" (whole signature: {_specs_text(specs)}). Pass a matching "
                            "tensor, or change the input_signature.")
            tensors.append(v)
    return tensors


def _converted(name: str, specs: list, path: str, value, spec: TensorSpec) -> Tensor:
    """Argument `path`'s `value` as a tensor of `spec`'s dtype, for a pinned signature."""
    try:
        return convert_to_tensor(value, dtype=spec.dtype)
    except (DTypeError, ValueError, TypeError) as exc:
        raise DTypeError(f"{name}: argument `{path}` ({_value_text(value)}) cannot be "
                         f"converted to {spec.dtype.name} for the input_signature "
                         f"{_specs_text(specs)}: {exc}") from None


def _specs_text(specs) -> str:
    return "[" + ", ".join(
        f"TensorSpec({s.shape}, {s.dtype.name})" if isinstance(s, TensorSpec) else repr(s)
        for s in specs) + "]"


def _value_text(value) -> str:
    if isinstance(value, Tensor):
        return f"a {value.dtype.name} tensor of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:80]


def _values_text(named: list) -> str:
    return ", ".join(f"{p}={_value_text(v)}" for p, v, _ in named)


def mismatch_message(name: str, expected: list, given: list) -> str:
    want = ", ".join(f"{leaf.path}: {leaf.describe()}" for leaf in expected)
    got = ", ".join(f"{leaf.path}: {leaf.describe()}" for leaf in given)
    return (f"ConcreteFunction {name}: the arguments ({got}) do not match its signature "
            f"({want}). Call the Function (which traces new signatures) or pass matching "
            "tensors.")
