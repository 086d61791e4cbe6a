"""`engine.function`: Python functions traced into optimized graphs, cached per signature.

The first call with a new signature (tensor shapes, dtypes and devices; Python values;
the nesting of both) traces the function: its Python body runs once on symbolic tensors
and every op becomes a node of a graph. The graph is optimized (`engine.graph.passes`)
and compiled (`engine.graph.executor`) into a `ConcreteFunction`. Later calls with the
same signature run that program and do not run the Python body.

When a call needs a new trace, the function records why (which argument changed, from
what to what); from the third trace on it warns once per argument and kind of change,
with the fix. `f.explain_retracing()` returns the same as data.
The record and the warning are `engine.graph.retracing`; each trace's compiled graph is a
`ConcreteFunction` (`engine.graph.concrete_function`).
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref

from engine import context, nest
from engine.backend import devices as _devices
from engine.convert import convert_to_tensor
from engine.errors import OpError
from engine.graph import signature as _sig
from engine.graph.concrete_function import ConcreteFunction
from engine.graph.ir import SymbolicTensor
from engine.graph.retracing import RETRACE_WARNING_AFTER, RetraceLog  # noqa: F401 - re-exported
from engine.graph.settings import (  # noqa: F401 - re-exported
    _SETTINGS,
    debug_replay_enabled,
    functions_run_eagerly,
    run_functions_eagerly,
    set_debug_replay,
)
from engine.graph.trace import FuncGraph, tracing
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["function", "Function", "ConcreteFunction", "run_functions_eagerly",
           "functions_run_eagerly", "set_debug_replay", "debug_replay_enabled"]

_THREAD = context.THREAD


class Function(RetraceLog):
    """A Python function that runs as a traced graph (see `engine.function`)."""

    def __init__(self, python_function, input_signature=None, reduce_retracing=False,
                 jit_compile=None, run_eagerly=None, name=None, autograph=True,
                 experimental_relax_shapes=None):
        if not callable(python_function):
            raise TypeError(f"engine.function: expected a callable; got "
                            f"{type(python_function).__name__}.")
        functools.update_wrapper(self, python_function)
        self._python_function = python_function
        self._name = name or getattr(python_function, "__name__", "function")
        self._reduce_retracing = bool(reduce_retracing or experimental_relax_shapes)
        self._jit_compile = jit_compile
        self._run_eagerly = run_eagerly
        self._autograph = autograph
        try:
            self._signature = inspect.signature(python_function)
        except (TypeError, ValueError):
            self._signature = None
        self._input_signature = None
        if input_signature is not None:
            self._input_signature = _sig.check_input_signature(self._name, input_signature)
        self._cache: dict = {}
        self._fast: dict = {}
        self._general: list[ConcreteFunction] = []
        self._traces: list[list] = []
        self._concretes: list[ConcreteFunction] = []
        self._retraces: list[dict] = []
        self._warned: set = set()
        self._bound: dict = {}
        self._wrapped_cache = None
        # Keras' step functions retrace for a last partial batch by design: no warning.
        self._warn_retracing = True

    # --- configuration ------------------------------------------------------------------
    @property
    def python_function(self):
        """The wrapped Python function."""
        return self._python_function

    @property
    def input_signature(self):
        """The `input_signature` given, or None."""
        return self._input_signature

    @property
    def run_eagerly(self) -> bool | None:
        """This function's own eager switch (None: follow the global setting)."""
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value: bool | None) -> None:
        self._run_eagerly = value

    def _eager(self) -> bool:
        own = self._run_eagerly
        return _SETTINGS["eager"] if own is None else own

    def experimental_get_tracing_count(self) -> int:
        """How many times the Python function has been traced."""
        return len(self._traces)

    # --- calling ------------------------------------------------------------------------
    def __get__(self, instance, owner):
        if instance is None:
            return self
        key = id(instance)
        hit = self._bound.get(key)
        if hit is not None and hit[0]() is instance:
            return hit[1]
        bound = Function(types.MethodType(self._python_function, instance),
                         input_signature=self._input_signature_for_method(),
                         reduce_retracing=self._reduce_retracing, jit_compile=self._jit_compile,
                         run_eagerly=self._run_eagerly, name=self._name,
                         autograph=self._autograph)
        bound._method_of = self
        self._bound[key] = (weakref.ref(instance, lambda _, k=key: self._bound.pop(k, None)),
                            bound)
        return bound

    def _input_signature_for_method(self):
        return self._input_signature

    def __call__(self, *args, **kwargs):
        thread = _THREAD
        if thread.graph is not None:  # inside another trace: inline the (converted) body
            if self._autograph and not self._eager():
                return _autograph_convert(self._python_function)(*args, **kwargs)
            return self._python_function(*args, **kwargs)
        if thread.tapes or self._eager():
            # Under an eager tape the body runs eagerly, so that the tape records every op.
            return self._python_function(*args, **kwargs)
        if not kwargs and self._input_signature is None:
            try:
                key = tuple((a._value.shape, a._value.dtype, a._device) for a in args
                            if type(a) is Tensor)
            except AttributeError:
                key = None
            if key is not None and len(key) == len(args):
                concrete = self._fast.get(key)
                if concrete is not None:
                    return self._run(concrete, list(args), args, kwargs)
            elif len(args) == 1 and type(args[0]) is tuple:
                # One tuple of tensors (Keras passes `(x, y)` batches): keyed the same way.
                items = args[0]
                key = tuple((a._value.shape, a._value.dtype, a._device) for a in items
                            if type(a) is Tensor)
                if len(key) == len(items):
                    concrete = self._fast.get(("tuple",) + key)
                    if concrete is not None:
                        return self._run(concrete, list(items), args, kwargs)
        concrete, tensors = self._concrete_for(args, kwargs)
        return self._run(concrete, tensors, args, kwargs)

    def _run(self, concrete: ConcreteFunction, tensors: list, args, kwargs):
        if not _SETTINGS["replay"]:
            return concrete._call_flat(tensors)
        try:
            return concrete._call_flat(tensors)
        except OpError as graph_error:
            try:
                self._python_function(*args, **kwargs)
            except Exception as eager_error:
                raise eager_error from graph_error
            raise

    def _concrete_for(self, args, kwargs, for_spec: bool = False):
        named = _sig.bind_arguments(self._signature, args, kwargs)
        if self._input_signature is not None:
            return self._pinned(named)
        key, tensors, leaves = _sig.encode(named)
        concrete = self._cache.get(key)
        if concrete is None:
            concrete = next((c for c in self._general
                             if _sig.compatible(c._leaves, leaves, exact_python=True)), None)
            if concrete is None:
                specs = None
                if self._reduce_retracing and self._traces:
                    specs = _sig.relax_against(self._traces, leaves)
                concrete = self._trace(named, leaves, specs)
            self._cache[key] = concrete
        if not for_spec:
            tensors = [t if isinstance(t, Tensor) else convert_to_tensor(t) for t in tensors]
            if len(tensors) == len(named) and all(
                    type(v) is Tensor for _, v, _ in named) and not kwargs:
                self._fast[key] = concrete
            elif (len(named) == 1 and not kwargs and type(named[0][1]) is tuple
                  and all(type(v) is Tensor for v in named[0][1])):
                items = named[0][1]
                self._fast[("tuple",) + tuple((v._value.shape, v._value.dtype, v._device)
                                              for v in items)] = concrete
        return concrete, tensors

    def _pinned(self, named: list):
        specs = self._input_signature
        if not self._traces:
            self._pinned_concrete = self._trace_specs(named, specs)
        concrete = self._pinned_concrete
        tensors = _sig.conform(self._name, specs, named)
        return concrete, tensors

    def get_concrete_function(self, *args, **kwargs) -> ConcreteFunction:
        """The concrete function for these arguments (tensors or `TensorSpec`s), tracing
        if needed. With an `input_signature`, call it without arguments.

        Example:
            >>> f = engine.function(lambda x: x * 2.0)
            >>> c = f.get_concrete_function(engine.TensorSpec([None], engine.float32))
            >>> c(engine.constant([1.0, 2.0])).numpy()
            array([2., 4.], dtype=float32)
        """
        if self._input_signature is not None and not args and not kwargs:
            if not self._traces:
                named = [(f"args[{i}]", s, None) for i, s in enumerate(self._input_signature)]
                self._pinned_concrete = self._trace_specs(named, self._input_signature)
            return self._pinned_concrete
        if self._input_signature is not None:
            return self._concrete_for(args, kwargs)[0]
        named = _sig.bind_arguments(self._signature, args, kwargs)
        key, _, leaves = _sig.encode(named)
        concrete = self._cache.get(key)
        if concrete is None:
            concrete = next((c for c in self._general
                             if _sig.compatible(c._leaves, leaves, exact_python=True)), None)
        if concrete is None:
            concrete = self._trace(named, leaves, None)
            self._cache[key] = concrete
        return concrete

    # --- tracing ------------------------------------------------------------------------
    def _trace_specs(self, named: list, specs) -> ConcreteFunction:
        names = [n for n, _, _ in named] + [f"args[{i}]" for i in range(len(named), len(specs))]
        named_specs = [(n, spec, None) for n, spec in zip(names, specs)]
        _, _, leaves = _sig.encode(named_specs)
        return self._trace(named_specs, leaves, None)

    def _trace(self, named: list, leaves: list, specs: list | None) -> ConcreteFunction:
        self._note_retrace(leaves)
        count = len(self._traces)
        graph = FuncGraph(f"{self._name}" if count == 0 else f"{self._name}_{count}")
        graph.allow_variable_creation = count == 0
        tensor_leaves = [leaf for leaf in leaves if leaf.kind == "tensor"]
        if specs is None:
            specs = [leaf.spec for leaf in tensor_leaves]
        spec_iter = iter(specs)
        leaves = [_sig.Leaf(leaf.path, "tensor", next(spec_iter), device=leaf.device)
                  if leaf.kind == "tensor" else leaf for leaf in leaves]
        with tracing(graph):
            placeholders = []
            for i, leaf in enumerate(tensor_leaves):
                spec = specs[i]
                device = leaf.device or (_THREAD.devices[-1] if _THREAD.devices
                                         else _devices.CPU0)
                name = "".join(c if c.isalnum() or c == "_" else "_" for c in leaf.path)
                placeholders.append(graph.placeholder(spec, name.strip("_") or "input",
                                                      device))
            call_args, call_kwargs = _substitute(named, placeholders)
            python_function = self._python_function
            if self._autograph:
                python_function = _autograph_convert(python_function)
            result = python_function(*call_args, **call_kwargs)
            flat, output_map = [], []
            for leaf in nest.flatten(result):
                if getattr(leaf, "_is_variable", False):
                    leaf = graph.read_variable(leaf)
                elif isinstance(leaf, Tensor) and not isinstance(leaf, SymbolicTensor):
                    leaf = graph.constant(leaf)
                elif isinstance(leaf, SymbolicTensor) and leaf._node.graph is not graph:
                    leaf = graph.capture_foreign(leaf)
                if isinstance(leaf, SymbolicTensor):
                    output_map.append(("t", len(flat)))
                    flat.append(leaf)
                else:
                    output_map.append(("py", leaf))
        graph.outputs = flat
        from engine.graph import passes  # noqa: PLC0415 - passes import the executor's types

        report = passes.optimize(graph)
        structured_inputs = _structured_inputs(named, specs)
        concrete = ConcreteFunction(graph, leaves, structured_inputs, result, output_map,
                                    self._python_function, report)
        if any(not s.shape.is_fully_defined() for s in specs):
            self._general.append(concrete)
        self._traces.append(leaves)
        self._concretes.append(concrete)
        return concrete

    def pretty_printed_concrete_signatures(self) -> str:
        """The signature of every graph traced so far, one per paragraph, in trace order.

        Example:
            >>> f = engine.function(lambda x: x + 1)
            >>> _ = f(engine.constant(1.0))
            >>> print(f.pretty_printed_concrete_signatures())
            <lambda>(x: tensor () float32) -> (() float32)
        """
        return "\n\n".join(c.pretty_printed_signature() for c in self._concretes)

    def __repr__(self) -> str:
        return f"<engine.function {self._name!r}, {len(self._traces)} traces>"


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_relax_shapes=None, run_eagerly=None,
             name=None, **unused):
    """Compiles a Python function into a graph: `@engine.function` or `engine.function(f)`.

    The first call with a new signature traces `func` (its Python body runs once, on
    symbolic tensors); later calls with the same signature run the optimized graph.
    Python side effects such as `print` happen only while tracing; use `engine.print` to
    print on every call. Variables are read and written by reference.

    Args:
        func: the function (omit it to use `engine.function(...)` as a decorator factory).
        input_signature: a list of `engine.TensorSpec` (nested structures allowed) that
            pins one graph; None dimensions accept any size.
        autograph: convert Python `if`/`while`/`for` over tensors into graph control flow.
        jit_compile: accepted for TensorFlow compatibility (the executor always compiles).
        reduce_retracing: after a retrace, trace with shapes generalized to None where
            calls differed, so one graph serves them all.
        experimental_relax_shapes: the old name of `reduce_retracing`.
        run_eagerly: True runs this function's Python eagerly on every call (debugging);
            None follows `engine.config.run_functions_eagerly`.
        name: the graph's name (default: the function's).

    Returns:
        A `Function`.

    Example:
        >>> @engine.function
        ... def f(x, y):
        ...     return engine.matmul(x, y) + 1.0
        >>> f(engine.ones([2, 2]), engine.ones([2, 2])).numpy()
        array([[3., 3.],
               [3., 3.]], dtype=float32)
        >>> f.experimental_get_tracing_count()
        1
    """
    def wrap_function(f):
        return Function(f, input_signature=input_signature, reduce_retracing=reduce_retracing,
                        jit_compile=jit_compile, run_eagerly=run_eagerly, name=name,
                        autograph=autograph,
                        experimental_relax_shapes=experimental_relax_shapes)

    return wrap_function if func is None else wrap_function(func)


# --- helpers ----------------------------------------------------------------------------
def _autograph_convert(python_function):
    try:
        from engine.autograph import convert  # noqa: PLC0415 - optional until it exists
    except ImportError:
        return python_function
    return convert(python_function)


def _substitute(named: list, placeholders: list):
    """The call's `(args, kwargs)` with each tensor leaf replaced by its placeholder."""
    it = iter(placeholders)

    def swap(value):
        if nest.is_nested(value):
            flat = [next(it) if _is_tensor_leaf(v) else v for v in nest.flatten(value)]
            return nest.pack_sequence_as(value, flat)
        return next(it) if _is_tensor_leaf(value) else value

    args, kwargs = [], {}
    for _, value, keyword in named:
        if keyword is None:
            args.append(swap(value))
        else:
            kwargs[keyword] = swap(value)
    return args, kwargs


def _is_tensor_leaf(value) -> bool:
    import numpy as np  # noqa: PLC0415

    return isinstance(value, (Tensor, TensorSpec, np.ndarray))


def _structured_inputs(named: list, specs: list) -> tuple:
    it = iter(specs)

    def swap(value):
        if nest.is_nested(value):
            return nest.pack_sequence_as(value, [next(it) if _is_tensor_leaf(v) else v
                                                 for v in nest.flatten(value)])
        return next(it) if _is_tensor_leaf(value) else value

    args = tuple(swap(v) for _, v, k in named if k is None)
    kwargs = {k: swap(v) for _, v, k in named if k is not None}
    return args, kwargs
