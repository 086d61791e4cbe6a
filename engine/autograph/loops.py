"""Run-time helpers for converted `while` and `for` loops.

A loop whose condition is a Python value runs as a Python loop (unrolled into the graph
when tracing). Once the condition is a symbolic tensor, the rest of the loop becomes one
`engine.while_loop` whose loop variables are the variables the loop assigns and reads
(`carried`). `for x in t` over a symbolic tensor and `for i in engine.range(n)` while
tracing are `while_loop`s over an index.

Loop variables keep their dtype and structure from one iteration to the next. A Python
number becomes a tensor of the dtype the body makes of it (`total = 0` that accumulates
float64 values starts as a float64 zero), else int32, float32 or bool. A shape that
changes between iterations is relaxed to its common shape (dimensions that differ become
None) and the loop is traced again. A carried variable with no value before the loop is
traced once to learn its type and then starts as zeros, unless the loop reads it before
assigning it (an error). Each retrace reruns the loop body's Python (prints included).
"""

from __future__ import annotations

import builtins
import functools

from engine import nest
from engine.autograph.conditionals import and_, if_stmt
from engine.autograph.values import (
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
from engine.errors import DTypeError, InvalidArgumentError, TracingError
from engine.graph.tensor_array import TensorArray
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape

_MAX_TRACES = 4
_COUNTER = "<loop index>"


def while_stmt(test, body, get_state, set_state, names: tuple, carried: tuple,
               exposed: tuple) -> None:
    """Runs a converted `while`: a Python loop until the condition is a symbolic tensor.

    Args:
        test: a function of no arguments returning the loop condition.
        body: a function of no arguments running one iteration.
        get_state, set_state: read and assign the variables named in `names`.
        names: the variables the loop assigns.
        carried: those of `names` that the loop reads or that code after it reads.
        exposed: those of `carried` that the loop may read before assigning them.
    """
    cond = condition(test())
    while not is_symbolic(cond):
        if not cond:
            return
        body()
        cond = condition(test())
    _graph_loop(test, body, get_state, set_state, names, carried, exposed)


def for_stmt(iterable, extra_test, body, get_state, set_state, names: tuple, carried: tuple,
             exposed: tuple) -> None:
    """Runs a converted `for`: a graph loop over a symbolic tensor or `engine.range`.

    Args:
        iterable: what the loop iterates (a `range_call` result for `engine.range`).
        extra_test: None, or a function of no arguments that is false once the loop must
            stop (after `break` or `return`).
        body: a function of one argument (the item) running one iteration.
        get_state, set_state, names, carried, exposed: as in `while_stmt`.
    """
    if isinstance(iterable, GraphRange):
        _counted_loop(iterable.start, iterable.more, lambda i: i, iterable.advance, extra_test,
                      body, get_state, set_state, names, carried, exposed)
        return
    if is_symbolic(iterable):
        _rows_loop(iterable, extra_test, body, get_state, set_state, names, carried, exposed)
        return
    for item in iterable:
        if extra_test is not None:
            ok = condition(extra_test())
            if is_symbolic(ok):  # a tensor-dependent `break`: the remaining items are guarded
                if_stmt(ok, functools.partial(body, item), _nothing, get_state, set_state,
                        names, carried)
                continue
            if not ok:
                break
        body(item)


def _nothing() -> None:
    return None


def _rows_loop(tensor, extra_test, body, get_state, set_state, names, carried, exposed):
    import engine  # noqa: PLC0415

    shape = tensor._value.shape
    if shape is not None and len(shape) == 0:
        raise TracingError(f"autograph: {location()}: cannot iterate over a scalar tensor "
                           f"({tensor.name}); iterate over a tensor with at least one axis.")
    count = shape[0] if shape is not None and shape[0] is not None else engine.shape(tensor)[0]
    _counted_loop(to_tensor(0, engine.int32), lambda i: i < count,
                  lambda i: engine.gather(tensor, i), lambda i: i + 1, extra_test, body,
                  get_state, set_state, names, carried, exposed)


def _counted_loop(start, more, item_of, advance, extra_test, body, get_state, set_state,
                  names, carried, exposed):
    """A graph loop over a counter: `more(i)` tests it, the body sees `item_of(i)`."""
    box = [start]

    def get():
        return get_state() + (box[0],)

    def put(values):
        set_state(values[:-1])
        box[0] = values[-1]

    def test():
        ok = more(box[0])
        return ok if extra_test is None else and_(ok, extra_test)

    def step():
        counter = box[0]
        body(item_of(counter))
        box[0] = advance(counter)

    _graph_loop(test, step, get, put, names + (_COUNTER,), carried + (_COUNTER,), exposed)


class GraphRange:
    """`engine.range(...)` as a `for` loop sees it while tracing: a counter, not a tensor."""

    def __init__(self, start, limit=None, delta=1, dtype=None, name="range"):
        import engine  # noqa: PLC0415

        if limit is None:
            start, limit = 0, start
        values = [condition(v) for v in (start, limit, delta)]
        if dtype is None:
            order = [engine.int32, engine.int64, engine.float16, engine.float32, engine.float64]
            found = [v.dtype if isinstance(v, Tensor) else
                     engine.float32 if isinstance(v, float) else engine.int32 for v in values]
            dtype = max(found, key=lambda d: order.index(d) if d in order else -1)
        dtype = engine.as_dtype(dtype)
        if not isinstance(delta, Tensor) and delta == 0:
            raise InvalidArgumentError("range: delta is 0; expected a non-zero step.",
                                       op="Range")
        start, limit, step = [engine.cast(v, dtype) if isinstance(v, Tensor) else
                              to_tensor(v, dtype) for v in values]
        self.start, self.limit, self.delta = start, limit, step
        self.sign = None if isinstance(values[2], Tensor) else (1 if values[2] > 0 else -1)

    def more(self, i):
        import engine  # noqa: PLC0415

        if self.sign == 1:
            return i < self.limit
        if self.sign == -1:
            return i > self.limit
        return engine.logical_or(engine.logical_and(self.delta > 0, i < self.limit),
                                 engine.logical_and(self.delta < 0, i > self.limit))

    def advance(self, i):
        return i + self.delta


def range_call(func, *args, **kwargs):
    """Calls `func(*args, **kwargs)`, except `engine.range` while tracing: a `GraphRange`.

    Converted code calls this for the iterable of `for ... in <something>.range(...)`, so
    that `for i in engine.range(n)` becomes a graph loop without building the range. So
    does Python's `range` given a symbolic tensor (`for i in range(n)` with `n` a function
    input): its bounds are known only when the graph runs.

    Args:
        func: the function the user's code calls.
        *args, **kwargs: its arguments.

    Returns:
        `func`'s result, or a `GraphRange`.
    """
    import engine  # noqa: PLC0415
    from engine import context  # noqa: PLC0415

    if context.THREAD.graph is not None and (func is engine.range or (
            func is builtins.range and any(is_symbolic(a) for a in args))):
        return GraphRange(*args, **kwargs)
    return func(*args, **kwargs)


# How each carried variable travels through engine.while_loop (its layout entry): None (no
# value before the loop, none learned yet), or (template, leaves), one leaf per value in
# the variable's structure: ("tensor", dtype, initial tensor, shape invariant, weak),
# ("array", TensorArray) (engine.while_loop carries its buffer), ("python", value) for
# values that must stay as they are, or ("learn", number) for a
# Python number traced as Python to learn what the body makes of it. `weak` marks tensors
# made from Python numbers: their dtype may still change to what the body makes of them.
class _LoopTrace:
    """One converted loop, traced into `engine.while_loop` until its layout is stable."""

    def __init__(self, test, body, get_state, set_state, names, carried, exposed):
        self.test, self.body = test, body
        self.get_state, self.set_state = get_state, set_state
        self.carried, self.exposed = carried, exposed
        self.slots = [names.index(n) for n in carried]
        self.initial = get_state()
        self.where = location()
        self.learned: dict = {}   # slot -> its value after one traced iteration
        self.dtypes: dict = {}    # (slot, leaf) -> the dtype a Python number takes
        self.relaxed: dict = {}   # (slot, leaf) -> a shape wider than the initial shape
        self.learning = False     # trace Python numbers as Python, to learn their dtypes

    def run(self) -> None:
        from engine.graph import control_flow  # noqa: PLC0415 - may land after this module

        for _ in range(_MAX_TRACES):
            self.layout = [self._entry(name, slot) for name, slot in zip(self.carried,
                                                                         self.slots)]
            init, shapes = [], []
            for entry in self.layout:
                for leaf in entry[1] if entry is not None else ():
                    if leaf[0] in _CARRIED:
                        init.append(leaf[2] if leaf[0] == "tensor" else leaf[1])
                        shapes.append(leaf[3] if leaf[0] == "tensor" else None)
            self.dummy = not init  # while_loop needs a loop variable; the loop may carry none
            if self.dummy:
                init, shapes = [to_tensor(0)], [TensorShape([])]
            invariants = None
            if any(s is not None and s != t.shape for s, t in zip(shapes, init)):
                invariants = tuple(shapes)
            try:
                result = control_flow.while_loop(self._cond, self._body, tuple(init),
                                                 shape_invariants=invariants)
            except Exception as exc:
                self.set_state(self.initial)
                if find_retry(exc, self) is None:
                    raise
                continue
            result = (result,) if isinstance(result, Tensor) else tuple(result)
            self.set_state(self._unpack(result[:-1] if self.dummy else result))
            return
        raise TracingError(f"autograph: the loop at {self.where} could not be traced into "
                           "one engine.while_loop; call engine.while_loop directly.")

    def _entry(self, name, slot):
        value = self.initial[slot]
        if isinstance(value, Undefined):
            if name in self.exposed:
                raise TracingError(
                    f"autograph: {name!r} is read in the loop at {self.where} before the "
                    "loop assigns it, and has no value before the loop. Give it a value "
                    "before the loop.")
            if slot not in self.learned:
                return None
            value = self.learned[slot]
            leaves = [("tensor", v.dtype, _zeros(v), self.relaxed.get((slot, k), v.shape),
                       False) if isinstance(v, Tensor) else ("python", v)
                      for k, v in enumerate(nest.flatten(value))]
            return (value, leaves)
        leaves = []
        for k, leaf in enumerate(nest.flatten(value)):
            shape = self.relaxed.get((slot, k))
            if isinstance(leaf, TensorArray):
                leaves.append(("array", leaf))
            elif isinstance(leaf, Tensor) or getattr(leaf, "_is_variable", False):
                tensor = to_tensor(leaf)
                leaves.append(("tensor", tensor.dtype, tensor, shape or tensor.shape, False))
            elif not is_number(leaf):
                leaves.append(("python", leaf))
            elif self.learning and (slot, k) not in self.dtypes:
                leaves.append(("learn", leaf))
            else:
                tensor = to_tensor(leaf, self.dtypes.get((slot, k)))
                leaves.append(("tensor", tensor.dtype, tensor, shape or tensor.shape, True))
        return (value, leaves)

    def _unpack(self, flat) -> tuple:
        state, it = list(self.initial), iter(flat)
        for name, slot, entry in zip(self.carried, self.slots, self.layout):
            if entry is None:
                state[slot] = Undefined(name)
                continue
            values = [next(it) if leaf[0] in _CARRIED else leaf[1] for leaf in entry[1]]
            state[slot] = nest.pack_sequence_as(entry[0], values)
        return tuple(state)

    def _cond(self, *flat):
        self.set_state(self._unpack(flat))
        cond = condition(self.test())
        return truth(cond, "while") if is_symbolic(cond) else to_tensor(bool(cond))

    def _body(self, *flat):
        self.set_state(self._unpack(flat))
        try:
            self.body()
        except DTypeError:
            # A Python number made a tensor of the default dtype (`total = 0` is int32) may
            # meet a tensor of another dtype in the body: trace once with it as Python.
            if self.learning or not any(leaf[0] == "tensor" and leaf[4]
                                        for entry in self.layout if entry is not None
                                        for leaf in entry[1]):
                raise
            self.learning = True
            raise RetraceError(self, None) from None
        out = self._check(self.get_state())
        return tuple(out) + ((flat[-1],) if self.dummy else ())

    def _check(self, values) -> list:
        """The loop variables after one iteration, checked against what entered it."""
        out, retry = [], self.learning
        for name, slot, entry in zip(self.carried, self.slots, self.layout):
            new = values[slot]
            if entry is None:
                if not isinstance(new, Undefined):
                    self.learned[slot] = new
                    retry = True
                continue
            template, leaves = entry
            if isinstance(new, Undefined):
                raise TracingError(f"autograph: loop variable {name!r} has no value at the "
                                   f"end of the loop body at {self.where}.")
            try:
                nest.assert_same_structure(template, new, check_types=False)
            except (ValueError, TypeError):
                raise TracingError(
                    f"autograph: loop variable {name!r} enters the loop at {self.where} as "
                    f"{describe(template)} and the loop body makes it {describe(new)}. A "
                    "loop variable must keep its structure: use a tensor (engine.concat / "
                    "engine.stack) instead of a growing Python list.") from None
            for k, (leaf, value) in enumerate(zip(leaves, nest.flatten(new))):
                tensor = self._check_leaf(name, slot, k, leaf, value)
                if tensor is _RETRY:
                    retry = True
                elif tensor is not None:
                    out.append(tensor)
        if retry:
            self.learning = False
            raise RetraceError(self, None)
        return out

    def _check_leaf(self, name, slot, k, leaf, value):
        kind = leaf[0]
        if kind == "python":
            if value is not leaf[1] and not _equal(value, leaf[1]):
                raise TracingError(
                    f"autograph: loop variable {name!r} is {describe(leaf[1])} before the loop "
                    f"at {self.where} and {describe(value)} after the loop body. A loop "
                    "variable must keep its type: give it a tensor value before the loop.")
            return None
        if kind == "array":
            if not isinstance(value, TensorArray):
                raise TracingError(
                    f"autograph: loop variable {name!r} is a TensorArray before the loop at "
                    f"{self.where} and {describe(value)} after the loop body; keep the array "
                    f"that write() returns ({name} = {name}.write(i, x)).")
            return value
        if kind == "learn":
            self.dtypes[(slot, k)] = value.dtype if isinstance(value, Tensor) else \
                number_dtype(leaf[1], value)
            return _RETRY
        _, dtype, start, invariant, weak = leaf
        if not isinstance(value, Tensor) and not is_number(value):
            raise TracingError(
                f"autograph: loop variable {name!r} is {describe(start)} before the loop at "
                f"{self.where} and {describe(value)} after the loop body; it must stay a "
                "tensor.")
        if isinstance(value, Tensor) and value.dtype is not dtype:
            if weak:
                self.dtypes[(slot, k)] = value.dtype
                return _RETRY
            raise TracingError(
                f"autograph: loop variable {name!r} enters the loop at {self.where} as "
                f"{describe(start)} and the loop body makes it {value.dtype.name}. A loop "
                "variable must keep its dtype: cast it before the loop "
                f"({name} = engine.cast({name}, engine.{value.dtype.name})) or in the body "
                f"(engine.cast(..., engine.{dtype.name})).")
        value = to_tensor(value, dtype)
        if not invariant.is_compatible_with(value.shape):
            self.relaxed[(slot, k)] = invariant.most_specific_compatible_shape(value.shape)
            return _RETRY
        return value


_RETRY = object()
_CARRIED = ("tensor", "array")  # the layout leaves that engine.while_loop carries


def _graph_loop(test, body, get_state, set_state, names, carried, exposed) -> None:
    _LoopTrace(test, body, get_state, set_state, names, carried, exposed).run()


def _zeros(like: Tensor) -> Tensor:
    import engine  # noqa: PLC0415

    return engine.zeros([0 if d is None else d for d in (like._value.shape or ())], like.dtype)


def _equal(a, b) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - objects whose == is not a bool are simply different
        return False
