"""A function's source, parsed, with the line numbers of the file it came from.

`inspect` finds the source through the function's code object (so a decorator that wraps
it with `functools.wraps` does not redirect it); `linecache` is the fallback, and also
how notebook cells are found: IPython registers each cell's source in `linecache` under
its cell file name (`<ipython-input-...>` or `/tmp/ipykernel_.../....py`).
"""

from __future__ import annotations

import ast
import inspect
import linecache


class SourceUnavailableError(Exception):
    """The function's source cannot be found or parsed; the message says why."""


def function_definition(function) -> ast.FunctionDef:
    """The `def` of `function` as an AST, decorators removed, lines as in its file.

    Raises:
        SourceUnavailableError: no source (defined with `exec` or `python -c`, or in a REPL), or
            source that does not parse on its own.
    """
    code = function.__code__
    lines, first = _source_lines(function)
    text = "".join(lines)
    indented = text[:1].isspace()
    if indented:  # a method or nested function: wrap it instead of dedenting
        text = "if 1:\n" + text
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise SourceUnavailableError(f"its source (from {code.co_filename}:{first}) does not parse "
                                f"on its own: {exc.msg}") from None
    node = tree.body[0].body[0] if indented else tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
            or node.name != code.co_name:
        raise SourceUnavailableError(f"the source at {code.co_filename}:{first} is not the "
                                f"definition of {code.co_name!r}")
    ast.increment_lineno(node, first - 1 - (1 if indented else 0))
    node.decorator_list = []
    return node


def _source_lines(function) -> tuple[list, int]:
    code = function.__code__
    try:
        lines, first = inspect.getsourcelines(code)
    except (OSError, TypeError):
        lines, first = [], 0
    if lines and first != code.co_firstlineno:
        raise SourceUnavailableError(
            f"the text at {code.co_filename}:{code.co_firstlineno} is not its definition (the "
            "file changed after the function was defined, or the code was compiled from "
            "other text under that file name)")
    if lines:
        return lines, first
    every = linecache.getlines(code.co_filename, getattr(function, "__globals__", None))
    if every and code.co_firstlineno <= len(every):
        lines = inspect.getblock(every[code.co_firstlineno - 1:])
        if lines:
            return lines, code.co_firstlineno
    raise SourceUnavailableError(
        f"its source is not available (it was defined in {code.co_filename!r}, which is "
        "neither a file nor registered in linecache: code run with exec(), `python -c` or "
        "an interactive prompt has no source to read)")
