"""`convert(fn)`: the function with its control flow rewritten, built once per code object.

The converted `def` is compiled nested in a factory whose parameters are the original's
free variables plus `ag__` (the run-time helpers), so that the compiler treats them as
closure variables. The factory never runs: the converted function is built from its code
object with the original's globals and the original's closure cells, so it sees later
changes to globals and to closed-over variables, and assignments through `nonlocal` reach
the same cells.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import functools
import os
import sys
import sysconfig
import types
import warnings
import weakref

from engine import context
from engine.autograph.source import SourceUnavailableError, function_definition
from engine.autograph.transformer import ControlFlowTransformer

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # code -> code or reason
_INSTANCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # function -> converted
_WARNED: weakref.WeakSet = weakref.WeakSet()
_NOTHING = "nothing to convert"
_LIBRARY = "library code"

# Code that is never converted: engine itself, the standard library (not site-packages,
# which may hold the user's own packages), and these packages.
_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_STDLIB_DIRS = tuple({os.path.abspath(sysconfig.get_paths()[k]) + os.sep
                      for k in ("stdlib", "platstdlib")})
_SITE_DIRS = tuple({os.path.abspath(sysconfig.get_paths()[k]) + os.sep
                    for k in ("purelib", "platlib")})
_LIBRARY_PACKAGES = frozenset({
    "engine", "numpy", "scipy", "cupy", "pandas", "jax", "torch", "tensorflow", "keras",
    "IPython", "ipykernel", "ipywidgets", "pytest", "_pytest", "pluggy", "hypothesis"})


def convert(fn):
    """Converts `if`/`while`/`for` on tensors in `fn` into graph control flow (autograph).

    `engine.function` calls this when it traces a function. The converted function runs
    exactly like the original on Python values and eager tensors; on symbolic tensors
    (while tracing) a converted `if` builds `engine.cond` and a converted loop
    `engine.while_loop`. Functions without such statements, engine's own functions and
    functions marked with `do_not_convert` are returned unchanged; so, with a warning, are
    functions whose source cannot be read (defined with `exec` or `python -c`).

    Args:
        fn: a function, bound method, `functools.partial` or callable object.

    Returns:
        The converted callable (or `fn` itself).

    Example:
        >>> def sign(x):
        ...     if x >= 0:
        ...         return 1.0
        ...     return -1.0
        >>> engine.autograph.convert(sign)(-3)
        -1.0
        >>> engine.autograph.convert(lambda x: x) is not None
        True
    """
    return _convert(fn, warn=True)


def converted_call(fn, *args, **kwargs):
    """Calls `fn` from converted code: converted too, when a function is being traced.

    Args:
        fn: what the user's code calls.
        *args, **kwargs: its arguments.

    Returns:
        What `fn` returns.
    """
    if context.THREAD.graph is not None:
        from engine.graph.function import Function  # noqa: PLC0415 - imports autograph lazily

        if isinstance(fn, Function):  # inlined while tracing: convert its Python function
            if not fn._autograph:
                return fn(*args, **kwargs)
            fn = fn.python_function
        fn = _convert(fn, warn=False)
    return fn(*args, **kwargs)


def _convert(fn, warn: bool):
    if isinstance(fn, types.MethodType):
        inner = _convert(fn.__func__, warn)
        return fn if inner is fn.__func__ else types.MethodType(inner, fn.__self__)
    if isinstance(fn, functools.partial):
        inner = _convert(fn.func, warn)
        return fn if inner is fn.func else functools.partial(inner, *fn.args, **fn.keywords)
    if not isinstance(fn, types.FunctionType):
        call = type(fn).__call__  # a callable object: convert its class's __call__
        if isinstance(call, types.FunctionType):
            converted = _convert(call, warn)
            return fn if converted is call else types.MethodType(converted, fn)
        return fn
    hit = _INSTANCES.get(fn)
    if hit is not None:
        return hit
    if getattr(fn, "__autograph_do_not_convert__", False) or fn.__code__.co_name == "<lambda>":
        return fn
    code = fn.__code__
    result = _CACHE.get(code)
    if result is None:
        result = _CACHE[code] = _LIBRARY if _is_library_code(fn) else _convert_code(fn)
    if isinstance(result, str):
        if warn and result not in (_NOTHING, _LIBRARY) and code not in _WARNED:
            _WARNED.add(code)
            warnings.warn_explicit(_unconverted_message(fn, result), UserWarning,
                                   code.co_filename, code.co_firstlineno)
        return fn
    converted = _INSTANCES[fn] = _instantiate(fn, result)
    return converted


def do_not_convert(fn):
    """Marks `fn` so that autograph leaves it as written (Python control flow only).

    Args:
        fn: a function.

    Returns:
        `fn`, marked.

    Example:
        >>> @engine.autograph.do_not_convert
        ... def f(x):
        ...     return x if x > 0 else -x
        >>> engine.autograph.convert(f) is f
        True
    """
    fn.__autograph_do_not_convert__ = True
    return fn


def to_code(fn) -> str:
    """The source autograph makes of `fn`, for reading what a conversion did.

    Args:
        fn: a function or bound method.

    Returns:
        Python source text.

    Example:
        >>> def f(x):
        ...     while x > 1:
        ...         x = x // 2
        ...     return x
        >>> "ag__.while_stmt" in engine.autograph.to_code(f)
        True
    """
    fn = getattr(fn, "__func__", fn)
    node = function_definition(fn)
    ControlFlowTransformer(_library_names(fn)).function(node)
    return ast.unparse(node)


def _is_library_code(fn) -> bool:
    module = getattr(fn, "__module__", None) or ""
    if module.split(".")[0] in _LIBRARY_PACKAGES:
        return True
    filename = os.path.abspath(fn.__code__.co_filename)
    if filename.startswith(_ENGINE_DIR):
        return True
    return filename.startswith(_STDLIB_DIRS) and not filename.startswith(_SITE_DIRS)


def _is_library_object(value) -> bool:
    """Whether calls through `value` (a module, function, class, ...) reach library code."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
        if name.split(".")[0] in _LIBRARY_PACKAGES or name in sys.builtin_module_names:
            return True
        filename = os.path.abspath(getattr(value, "__file__", None) or "")
        return filename.startswith(_ENGINE_DIR) or (
            filename.startswith(_STDLIB_DIRS) and not filename.startswith(_SITE_DIRS))
    if isinstance(value, types.FunctionType):
        return _is_library_code(value)
    module = getattr(value, "__module__", None) or ""
    return module == "builtins" or module.split(".")[0] in _LIBRARY_PACKAGES


def _library_names(fn):
    """The `is_library(name)` test for the transformer: globals, closure cells, builtins."""
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    namespace = fn.__globals__
    builtin_names = namespace.get("__builtins__", builtins)
    if isinstance(builtin_names, types.ModuleType):
        builtin_names = vars(builtin_names)

    def is_library(name: str) -> bool:
        if name in cells:
            try:
                value = cells[name].cell_contents
            except ValueError:  # an empty cell: assigned later
                return False
        elif name in namespace:
            value = namespace[name]
        elif name in builtin_names:
            return True
        else:
            return False
        return _is_library_object(value)

    return is_library


def _convert_code(fn):
    """The converted function's code object, or why there is none."""
    try:
        node = function_definition(fn)
    except SourceUnavailableError as exc:
        return str(exc)
    transformer = ControlFlowTransformer(_library_names(fn))
    transformer.function(node)
    if not transformer.converted:
        return _NOTHING
    code = fn.__code__
    _mangle_private_names(node, fn.__qualname__)
    if "__class__" in code.co_freevars:
        _explicit_super(node)
    params = ["ag__", *code.co_freevars]
    factory = ast.FunctionDef(
        name="ag__factory", args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None, kwonlyargs=[],
            kw_defaults=[], kwarg=None, defaults=[]),
        body=[node], decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:
        factory.type_params = []
    ast.copy_location(factory, node)
    module = ast.fix_missing_locations(ast.Module(body=[factory], type_ignores=[]))
    try:
        compiled = compile(module, code.co_filename, "exec",
                           flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
    except SyntaxError as exc:
        return f"the converted code does not compile ({exc.msg}, line {exc.lineno})"
    factory_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    return next(c for c in factory_code.co_consts
                if isinstance(c, types.CodeType) and c.co_name == code.co_name)


def _instantiate(fn, code: types.CodeType):
    from engine.autograph import operators  # noqa: PLC0415 - operators import this module

    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    helpers = types.CellType(operators)
    closure = tuple(helpers if name == "ag__" else cells[name] for name in code.co_freevars)
    converted = types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__,
                                   closure)
    converted.__kwdefaults__ = fn.__kwdefaults__
    converted.__qualname__ = fn.__qualname__
    converted.__doc__ = fn.__doc__
    converted.__module__ = fn.__module__
    converted.__dict__.update(fn.__dict__)

    return functools.wraps(fn)(converted)


def _unconverted_message(fn, reason: str) -> str:
    code = fn.__code__
    return (f"autograph could not convert {fn.__qualname__} ({code.co_filename}:"
            f"{code.co_firstlineno}): {reason}. It runs unconverted: Python `if`/`while`/"
            "`for` statements whose condition is a tensor will raise a TracingError while "
            "tracing. Define the function in a file or notebook cell, or use engine.cond / "
            "engine.while_loop explicitly.")


def _mangle_private_names(node: ast.FunctionDef, qualname: str) -> None:
    """Mangles `self.__x` as the class body would have (the factory is not in a class)."""
    parts = qualname.split(".")
    owner = parts[-2] if len(parts) > 1 else "<locals>"
    prefix = "_" + owner.lstrip("_")
    if owner == "<locals>" or prefix == "_":
        return
    for child in ast.walk(node):
        for field in ("attr", "id", "name"):
            value = getattr(child, field, None)
            if isinstance(value, str) and value.startswith("__") and \
                    not value.endswith("__") and isinstance(child, (ast.Attribute, ast.Name)):
                setattr(child, field, prefix + value)


def _explicit_super(node: ast.FunctionDef) -> None:
    """`super()` needs its class cell, which the compiler adds only inside a class."""
    args = node.args.posonlyargs + node.args.args
    if not args:
        return
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and \
                child.func.id == "super" and not child.args:
            child.args = [ast.Name(id="__class__", ctx=ast.Load()),
                          ast.Name(id=args[0].arg, ctx=ast.Load())]
            ast.fix_missing_locations(child)
