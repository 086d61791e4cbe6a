"""User functions inside pipelines (`map`, `filter`, ...): traced once, then run per element.

As in `tf.data`, a function given to `map` is traced with `engine.function` when the
dataset is built, with the input elements' specs (None for dimensions that vary), and
then each element runs the compiled graph. So the output's `element_spec` is known before
any data flows, Python side effects (`print`, appending to a list) happen once while
tracing, and the function's ops run with little Python overhead per element. Python and
NumPy code on the values belongs in `engine.py_function`, which runs at each call.

Speed, per MNIST-sized element of `from_tensor_slices((x, y)).map(f)` (2 CPU cores;
iterating without `map` costs 0.6 us): `f = lambda x, y: (x / 255, y)` costs 2.7 us
traced and 4.5 us eager; a five-op function (scale, shift, reshape, one_hot) 7.4 us
traced and 15.1 us eager. Tracing is faster in both, so it is the default, and running
eagerly is left to debugging.

`engine.data.experimental.enable_debug_mode()` runs functions eagerly instead (prints and
breakpoints see real values, `.numpy()` works); the spec of a function's output is then
taken from its result on the input's first element.

An element that is a tuple is passed as positional arguments (`lambda x, y: ...`), any
other element as one argument, as in `tf.data`. A top-level list returned by the function
becomes a tuple; numbers and arrays become tensors; `None` and other objects are errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine import autograph, nest
from engine.data import structure
from engine.errors import TracingError
from engine.graph.function import function as _engine_function
from engine.scopes import device
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["UserFunction", "enable_debug_mode", "debug_mode_enabled", "call_eagerly"]

_DEBUG = {"on": False}


def enable_debug_mode() -> None:
    """Runs the functions of datasets built from now on eagerly, element by element.

    For debugging only: prints run per element, breakpoints and `.numpy()` work inside
    `map` functions, and pipelines run slower. There is no way back but a restart, as in
    TensorFlow (datasets built before keep their mode).

    Example:
        >>> from engine.data import functions
        >>> saved = functions.debug_mode_enabled()
        >>> engine.data.experimental.enable_debug_mode()
        >>> ds = engine.data.Dataset.range(2).map(lambda x: x.numpy() * 10)
        >>> [int(v) for v in ds]
        [0, 10]
        >>> functions._DEBUG["on"] = saved  # only tests may switch it back off
    """
    _DEBUG["on"] = True


def debug_mode_enabled() -> bool:
    """Whether `enable_debug_mode` was called.

    Returns:
        A bool.

    Example:
        >>> engine.data.experimental.debug_mode_enabled() in (True, False)
        True
    """
    return _DEBUG["on"]


def call_eagerly(func, element, unpack: bool):
    """Calls `func` on an element (tuples unpacked into positional arguments), eagerly."""
    with device("/CPU:0"):
        return func(*element) if unpack else func(element)


class UserFunction:
    """A function over dataset elements, traced once for the input spec.

    Args:
        func: the user's callable.
        input_spec: the nested specs of the elements it receives.
        what: the transformation's name for messages (`"Dataset.map"`).
        first_element: a callable returning the input's first element (debug mode only).
    """

    def __init__(self, func, input_spec, what: str, first_element=None):
        if not callable(func):
            raise TypeError(f"{what}: expected a function; got {type(func).__name__} "
                            f"{func!r}.")
        if structure.has_datasets(input_spec):
            raise TypeError(f"{what}: the elements hold datasets (from window()), which "
                            "cannot be traced; use flat_map(lambda w: w.batch(n)) to turn "
                            "windows into tensors first.")
        self.func = func
        self.what = what
        self.unpack = type(input_spec) is tuple
        self._flatten = structure.flattener(input_spec)
        self._first_element = first_element
        self.eager = _DEBUG["on"]
        if self.eager:
            return
        specs = structure.flat_specs(input_spec)
        self._concrete = _trace(func, input_spec, specs, self.unpack, what)
        self._call = self._concrete._call_flat
        outputs = self._concrete.structured_outputs
        self.output_spec = nest.map_structure(
            lambda t: TensorSpec(t.shape, t.dtype), outputs)

    def __getattr__(self, name):
        if name == "output_spec":  # eager mode: from the first element's result
            if self._first_element is None:
                raise TypeError(f"{self.what}: the output spec is unknown in debug mode.")
            element = self._first_element()
            self.output_spec = structure.spec_of(self.__call__(element))
            return self.output_spec
        raise AttributeError(name)

    def __call__(self, element):
        if self.eager:
            result = call_eagerly(self.func, element, self.unpack)
            return normalize_output(result, self.what)
        return self._call(self._flatten(element))


def _trace(func, input_spec, specs: list, unpack: bool, what: str):
    converted = autograph.convert(func)
    pack = structure.packer(input_spec)

    def traced(*flat):
        element = pack(list(flat))
        result = converted(*element) if unpack else converted(element)
        return normalize_output(result, what)

    name = getattr(func, "__name__", "fn").replace("<lambda>", "lambda")
    try:
        with device("/CPU:0"):
            return _engine_function(traced, autograph=False,
                                    name=f"{what.split('.')[-1]}_{name}"
                                    ).get_concrete_function(*specs)
    except _OutputError:
        raise
    except Exception as err:
        raise _annotated(err, f"{what}: tracing the function {name!r} failed: {err}. "
                         "Dataset functions run as traced graphs, as in TensorFlow: use "
                         "engine ops on their tensors, wrap Python or NumPy code in "
                         "engine.py_function, or call engine.data.experimental."
                         "enable_debug_mode() to run them eagerly while debugging.") from err


class _OutputError(TypeError):
    """A function returned something that is not an element (already explained)."""


def _annotated(err: Exception, message: str) -> Exception:
    try:
        return type(err)(message)
    except Exception:  # an exception class with another constructor
        return TracingError(message)


def normalize_output(value, what: str, path: tuple = (), top: bool = True):
    """A function's result as an element: nested tuples and dicts of tensors."""
    if top and type(value) is list:
        value = tuple(value)  # as tf.data: a returned list is a tuple of components
    if isinstance(value, tuple):
        children = [normalize_output(v, what, path + (i,), False) for i, v in enumerate(value)]
        return type(value)(*children) if hasattr(value, "_fields") else tuple(children)
    if isinstance(value, Mapping):
        return {k: normalize_output(v, what, path + (k,), False) for k, v in value.items()}
    if isinstance(value, Tensor):
        return value
    where = f"at {structure.path_name(path)}" if path else "as the element"
    if value is None:
        raise _OutputError(f"{what}: the function returned None {where}; expected tensors, "
                           "arrays or numbers, nested in tuples and dicts. Return a value "
                           "(did a branch fall through without `return`?).")
    if hasattr(value, "_node") and hasattr(value, "element_spec"):
        raise _OutputError(f"{what}: the function returned a Dataset {where}; use flat_map or "
                           "interleave for functions that return datasets.")
    from engine.convert import convert_to_tensor  # noqa: PLC0415 - numbers, lists, arrays

    try:
        return convert_to_tensor(value)
    except (TypeError, ValueError) as err:
        raise _OutputError(f"{what}: the function returned {type(value).__name__} {where}, "
                           f"which is not a tensor ({err}). Return tensors, arrays or numbers, "
                           "nested in tuples and dicts.") from None
