"""The widgets' documentation: examples run, public names documented (as for `engine`)."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import engine
import widgets
from tests.test_docs import FLAGS, _doc_problems, _public_names, _summary_problem

MODULES = ["widgets"] + sorted(m.name for m in pkgutil.walk_packages(widgets.__path__,
                                                                       "widgets."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    # The module's own names are in scope (doctest's default), plus `engine` and `np`.
    globs = dict(vars(module), engine=engine, np=np)
    tests = doctest.DocTestFinder().find(module, name, globs=globs)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=report.append)
    assert runner.summarize(verbose=False).failed == 0, "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_public_names_are_documented(name):
    doc = importlib.import_module(name).__doc__
    assert doc and _summary_problem(doc) is None, f"{name}: module docstring"
    problems = []
    for qualname, obj in _public_names(name):
        if callable(obj):
            problems += [f"{qualname}: {p}" for p in _doc_problems(qualname, obj)]
    assert not problems, "\n".join(problems)


def test_importing_widgets_loads_no_widget_library():
    import subprocess
    import sys

    code = ("import sys, widgets; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'ipywidgets', 'plotly', 'anywidget', 'IPython', 'jupyter_ui_poll'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert out.stdout.strip() == "[]"
