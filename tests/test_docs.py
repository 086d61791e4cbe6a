"""The documentation's promises, checked: examples run, and public names are documented.

1. Every module under `engine/` has its docstring examples run by doctest, with only
   `engine` and `np` in scope, so an example shows exactly what a user would type.
2. Every public name of the public namespaces has a docstring that opens with a one-line
   summary; functions document `Args` (exactly their parameters) and `Returns`; callables
   show an `Example` unless they are on `NO_EXAMPLE` below, which says why. Public names
   are a module's `__all__` where it has one (imports such as `typing.Callable` are not),
   plus the members of sub-namespaces like `engine.config.experimental`.
"""

import contextlib
import doctest
import importlib
import inspect
import pkgutil
import re
import types

import numpy as np
import pytest

import engine

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
MODULES = ["engine"] + sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "engine."))

NAMESPACES = ["engine", "engine.bitwise", "engine.math", "engine.nn", "engine.linalg",
              "engine.image", "engine.io", "engine.signal", "engine.strings",
              "engine.random", "engine.config", "engine.debugging", "engine.nest", "engine.errors",
              "engine.dtypes", "engine.hooks", "engine.autograph", "engine.keras.activations",
              "engine.keras.initializers", "engine.keras.regularizers",
              "engine.keras.constraints", "engine.keras.backend", "engine.keras.utils",
              "engine.keras.callbacks", "engine.keras.losses", "engine.keras.metrics",
              "engine.keras.optimizers", "engine.keras.optimizers.schedules", "engine.data",
              "engine.data.experimental", "engine.keras.datasets.mnist",
              "engine.keras.datasets.fashion_mnist", "engine.keras.datasets.cifar10",
              "engine.keras.datasets.imdb", "engine.keras.datasets.boston_housing",
              "engine.keras.datasets.digits", "engine.keras.datasets.download",
              "engine.keras.layers", "engine.keras.models", "engine.keras.callbacks",
              "engine.keras.layers.preprocessing", "engine.lookup", "engine.lookup.experimental",
              "engine.autodiff", "engine.keras.mixed_precision", "engine.keras.preprocessing",
              "engine.keras.optimizers.legacy"]

# Public names that are values, not callables: a value cannot carry its own docstring.
CONSTANTS = {
    "engine.newaxis": "None, as in NumPy and TensorFlow: `t[:, engine.newaxis]`",
    **{f"engine.data.{ns}{name}": "a sentinel number, as in tf.data"
       for ns in ("", "experimental.")
       for name in ("AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY")},
    "engine.keras.datasets.download.ORIGINS": "the download URLs and hashes, by file",
}

# Callables whose docstrings need no example, and why.
NO_EXAMPLE = {
    # Exceptions are raised by the engine, not called by users; each docstring says when it
    # is raised, and the error tests show the messages.
    **{f"engine.errors.{n}": "an exception class" for n in engine.errors.__all__},
    "engine.keras.datasets.download.DownloadError": "an exception class",
}


@contextlib.contextmanager
def _global_state_restored():
    """Undoes the global switches that some examples flip (devices, seeds, checks)."""
    from engine import context
    from engine.ops import random_generator, random_ops

    cpu = engine.config.list_physical_devices("CPU")[0]
    logical = engine.config.get_logical_device_configuration(cpu)
    generator, seed = random_generator._global_generator, random_ops._SEEDS.global_seed
    strict, numerics = context.GLOBAL.strict, context.GLOBAL.check_numerics
    threads = (engine.config.threading.get_intra_op_parallelism_threads(),
               engine.config.threading.get_inter_op_parallelism_threads())
    try:
        yield
    finally:
        engine.config.set_logical_device_configuration(
            cpu, logical or [engine.config.LogicalDeviceConfiguration()])
        if logical is None:  # never split: the public API cannot say so, so undo it here
            engine.config._logical_cpus.clear()
        random_generator._global_generator = generator
        engine.random.set_seed(seed)
        engine.config.experimental.set_strict_checks(strict)
        if numerics:
            engine.debugging.enable_check_numerics()
        else:
            engine.debugging.disable_check_numerics()
        if engine.config.threading.get_intra_op_parallelism_threads() != threads[0]:
            engine.config.threading.set_intra_op_parallelism_threads(threads[0])
        engine.config.threading.set_inter_op_parallelism_threads(threads[1])


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module, name, globs={"engine": engine, "np": np})
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    for test in sorted(tests, key=lambda t: t.name):
        with _global_state_restored():  # so that each docstring's example stands alone
            runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_has_a_summary(name):
    doc = importlib.import_module(name).__doc__
    assert doc and doc.strip(), f"{name} has no module docstring"
    assert _summary_problem(doc) is None, f"{name}: {_summary_problem(doc)}"


def test_every_module_is_doctested():
    """The walk reaches the nested packages too, so no module's examples go unrun."""
    for name in ("engine.nest", "engine.ops.math_ops", "engine.backend.numpy_backend"):
        assert name in MODULES


def test_public_examples_are_collected():
    """Each public example is found by a module's doctest, so the tests above run it.

    Doctest skips a function that a factory in another module made; this catches that.
    """
    collected = set()
    for name in MODULES:
        module = importlib.import_module(name)
        collected.update(t.docstring for t in doctest.DocTestFinder().find(module, name, globs={}))
    with_examples = {id(obj): (qualname, obj.__doc__) for namespace in NAMESPACES
                     for qualname, obj in _public_names(namespace)
                     if callable(obj) and ">>>" in (obj.__doc__ or "")}
    assert len(with_examples) > 240
    assert sorted(q for q, doc in with_examples.values() if doc not in collected) == []


def _public_names(namespace: str):
    """(qualified name, object) for each public name; `__all__` decides where defined."""
    module = importlib.import_module(namespace)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    for name in sorted(names):
        obj = getattr(module, name)
        if isinstance(obj, (types.ModuleType, engine.DType)):
            continue
        if isinstance(obj, types.SimpleNamespace):  # e.g. engine.config.experimental
            for member, value in sorted(vars(obj).items()):
                yield f"{namespace}.{name}.{member}", value
        else:
            yield f"{namespace}.{name}", obj


def _summary_problem(doc: str) -> str | None:
    lines = inspect.cleandoc(doc).splitlines()
    if not lines[0].rstrip().endswith(".") or (len(lines) > 1 and lines[1].strip()):
        return f"first line is not a one-line summary: {lines[0]!r}"
    return None


def _documented_args(doc: str) -> set[str]:
    """The names an `Args:` section documents (`x:`, `x, y:`, `*args:`, `x (int):`)."""
    names, inside, indent = set(), False, None
    for line in inspect.cleandoc(doc).splitlines():
        if line.strip() == "Args:":
            inside, indent = True, None
            continue
        if not inside or not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            inside = False
            continue
        indent = depth if indent is None else indent
        entry = re.match(r"\s*([\w\s,*]+?)\s*(\(.*\))?:", line)
        if depth == indent and entry:
            names.update(n.strip().lstrip("*") for n in entry.group(1).split(","))
    return names


def _args_problems(obj, doc: str) -> list[str]:
    """Args must name every parameter but `self`/`name`, and nothing else."""
    function = obj.__init__ if inspect.isclass(obj) else obj
    if "Args:" not in doc or not inspect.isfunction(function):
        return []
    params = inspect.signature(function).parameters.values()
    wanted = {p.name for p in params if p.kind is not p.VAR_KEYWORD} - {"self", "name"}
    documented = _documented_args(doc) - {"name"}
    problems = [f"Args does not document {sorted(wanted - documented)}"] * bool(
        wanted - documented)
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
    if documented - wanted and not takes_kwargs:
        problems.append(f"Args documents {sorted(documented - wanted)}, not parameters")
    return problems


def _doc_problems(qualname: str, obj) -> list[str]:
    doc = obj.__doc__ if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if not doc or not doc.strip():
        return ["no docstring"]
    problems = [p for p in [_summary_problem(doc)] if p]
    if qualname not in NO_EXAMPLE and ("Example" not in doc or ">>>" not in doc):
        problems.append("no Example section")
    if inspect.isfunction(obj):
        signature = inspect.signature(obj)
        params = [p for p in signature.parameters if p not in ("self", "name")]
        if params and "Args:" not in doc:
            problems.append(f"no Args section (parameters {params})")
        returns_none = signature.return_annotation in (None, "None")
        if not returns_none and "Returns:" not in doc and "Yields:" not in doc:
            problems.append("no Returns section")
    return problems + _args_problems(obj, doc)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_public_names_are_documented(namespace):
    problems = []
    for qualname, obj in _public_names(namespace):
        if not callable(obj):
            if qualname not in CONSTANTS:
                problems.append(f"{qualname}: a public value; document it in CONSTANTS or "
                                "make it private")
            continue
        problems += [f"{qualname}: {p}" for p in _doc_problems(qualname, obj)]
    assert not problems, "\n".join(problems)
