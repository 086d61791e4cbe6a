"""Tests for importing the engine: fast, no optional heavy modules, and layering."""

import ast
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"
FORBIDDEN_AT_IMPORT = ("cupy", "cupyx", "ipywidgets", "plotly", "anywidget", "widgets", "profiler",
                       "scipy", "threadpoolctl")


def test_import_is_fast_and_light():
    forbidden = set(FORBIDDEN_AT_IMPORT)
    code = ("import sys, time; t = time.perf_counter(); import engine; "
            "print(time.perf_counter() - t); "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {forbidden!r}))")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    wall = time.perf_counter() - start
    import_seconds, loaded = out.stdout.strip().splitlines()
    assert float(import_seconds) < 0.9, f"import engine took {import_seconds}s"  # ~0.12 s here
    assert wall < 3.0
    assert loaded == "[]", f"import engine loaded {loaded}"


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_engine_never_imports_widgets_or_profiler():
    offenders = []
    for path in sorted(ENGINE.rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] in ("widgets", "profiler"):
                offenders.append(f"{path.relative_to(ROOT)}: import {name}")
    assert offenders == []


def test_only_the_cupy_backend_imports_cupy():
    offenders = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name == "cupy_backend.py":
            continue
        for name in _imports(path):
            if name.split(".")[0] in ("cupy", "cupyx"):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []

