"""What converted code's run-time helpers share: undefined values, conditions, state, errors.

Converted code keeps each converted statement's variables in the user's function and
hands the helpers two closures: `get_state()` returns the variables' values as a tuple,
`set_state(values)` assigns them. A variable that has no value yet holds an `Undefined`.

Graph control flow traces each branch or loop body once; when the helpers learn only
afterwards what a variable must look like (a Python number that the other branch turns
into a tensor, a return value set in one branch only), they abandon the trace with
`RetraceError` and trace again with that knowledge.
"""

from __future__ import annotations

import linecache
import numbers

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import TracingError
from engine.graph.ir import SymbolicTensor
from engine.graph.trace import user_source
from engine.tensor import Tensor

# The variable that return conversion stores a function's result in. When it has a value
# in one branch only, the other branch fills it with zeros (guarded by its return flag, so
# the filler is never seen).
RETURN_VALUE = "retval__"


class Undefined:
    """The value of a variable that converted code reads before Python assigned it."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def _fail(self, *args, **kwargs):
        raise NameError(f"local variable {self.name!r} is used before it is assigned (in a "
                        "function converted by autograph). Assign it on every path before "
                        "this use.")

    def __getattr__(self, attr):
        if attr.startswith("_"):  # probes such as hasattr(v, "_fields") get a plain no
            raise AttributeError(attr)
        self._fail()

    def __repr__(self) -> str:
        return f"<undefined {self.name}>"

    __bool__ = __call__ = __iter__ = __len__ = __getitem__ = __index__ = __float__ = _fail
    __int__ = __neg__ = __abs__ = __invert__ = _fail


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
            "xor", "lshift", "rshift", "lt", "le", "gt", "ge"):
    setattr(Undefined, f"__{_op}__", Undefined._fail)
    setattr(Undefined, f"__r{_op}__", Undefined._fail)


class RetraceError(Exception):
    """Abandons one trace of graph control flow; `owner` traces again with `plan`."""

    def __init__(self, owner, plan):
        super().__init__("autograph: trace again")
        self.owner = owner
        self.plan = plan


def find_retry(exc: BaseException, owner) -> RetraceError | None:
    """`exc`, or an exception it was raised from, when it is `owner`'s `RetraceError`."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, RetraceError) and exc.owner is owner:
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def is_symbolic(value) -> bool:
    """Whether `value` is a tensor of the graph being traced (it has no value yet)."""
    return isinstance(value, SymbolicTensor)


def condition(value):
    """`value` ready to decide a branch: variables are read while tracing."""
    if context.THREAD.graph is not None and getattr(value, "_is_variable", False):
        return context.THREAD.graph.read_variable(value)
    return value


def truth(value: SymbolicTensor, what: str) -> SymbolicTensor:
    """A scalar bool tensor with Python's truth value of `value` (one element, non-zero)."""
    import engine  # noqa: PLC0415 - the ops live above this package's imports

    shape = value._value.shape
    if shape is not None and None not in shape and int(np.prod(shape, dtype=np.int64)) != 1:
        raise TracingError(
            f"{what} at {location()}: the condition is a tensor of shape {value.shape}; its "
            "truth value is ambiguous. Reduce it to one element with engine.reduce_any(t) "
            "or engine.reduce_all(t).")
    if shape is None or len(shape) != 0:
        value = engine.reshape(value, [])
    if value.dtype is not _dt.bool:
        value = engine.not_equal(value, engine.zeros([], value.dtype))
    return value


def is_number(value) -> bool:
    """Python or NumPy numbers and bools, which graph control flow turns into tensors."""
    return isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, Tensor)


def to_tensor(value, dtype=None):
    """A tensor for a loop or branch value (Python numbers become tensors of `dtype`)."""
    if isinstance(value, Tensor):
        return value
    if getattr(value, "_is_variable", False) and context.THREAD.graph is not None:
        return context.THREAD.graph.read_variable(value)
    return convert_to_tensor(value, dtype=dtype)


def number_dtype(*values):
    """The dtype for Python numbers that must become one tensor: float32, int32 or bool."""
    if any(isinstance(v, (float, complex, np.floating)) for v in values):
        return _dt.float32
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return _dt.bool
    return _dt.int32


def describe(value) -> str:
    """A short description of a branch or loop value for error messages."""
    if isinstance(value, Undefined):
        return "undefined"
    if isinstance(value, Tensor):
        return f"a {value.dtype.name} tensor of shape {value.shape}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) < 40 else text[:37] + '...'}"


def location() -> str:
    """`file:line: code` of the innermost user frame (the converted statement's line)."""
    where = user_source(2)
    if where is None:
        return "<unknown>"
    filename, line, _ = where
    code = linecache.getline(filename, line).strip()
    return f"{filename}:{line}" + (f" (`{code}`)" if code else "")
