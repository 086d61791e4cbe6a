"""The profiler's docstring examples run, and its public names are documented."""

import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import engine
import profiler

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
MODULES = ["profiler"] + sorted(m.name for m in pkgutil.walk_packages(profiler.__path__,
                                                                      "profiler."))


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in finder.find(module, name, globs={"engine": engine, "np": np,
                                                 "profiler": profiler}):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {name}"


def test_public_names_have_documented_signatures():
    for name in profiler.__all__:
        obj = getattr(profiler, name)
        doc = inspect.getdoc(obj)
        assert doc and doc.splitlines()[0].endswith("."), name
        assert "Example:" in doc and "Args:" in doc, name
        for member_name, member in vars(obj).items():
            if member_name.startswith("_") or not callable(member):
                continue
            assert inspect.getdoc(member), f"{name}.{member_name}"

