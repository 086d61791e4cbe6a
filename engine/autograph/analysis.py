"""What converted statements need to know about variables, read off the AST of one function.

- `assigned(nodes)`: the names statements bind in the function's own scope;
- `loaded(node)`: the names an expression or statement reads (nested functions count with
  the names they read from outside);
- `upward_exposed(stmts)`: names read before the statements surely assign them (what a
  loop body needs from the previous iteration);
- `Flow.live_after(stmt)`: names that code after a statement may read (in program order,
  plus the whole enclosing loop, which may run again);
- `Flow.defined_before(stmt)`: names surely assigned whenever a statement starts.

The analysis is conservative where it is simple to be: a name counted as read keeps a
variable in graph control flow, which costs at most an unneeded loop variable.
"""

from __future__ import annotations

import ast

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
GENERATED_PREFIX = "ag__"  # helper functions of converted code, never user variables
# The attribute in which `lowering` leaves a `for` loop's extra stop condition (`not brk`):
# the loop reads it before every iteration.
EXTRA_TEST = "ag_extra_test"


def assigned(nodes) -> set[str]:
    """Names bound by `nodes` (statements or expressions) in the current scope."""
    names: set[str] = set()
    for node in nodes:
        _assigned_into(node, names)
    return {n for n in names if not n.startswith(GENERATED_PREFIX)}


def _assigned_into(node, names: set) -> None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(node.name)
        for child in node.decorator_list:
            _assigned_into(child, names)
        return
    if isinstance(node, (ast.Lambda, *COMPREHENSIONS)):
        return
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        names.add(node.id)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            names.add((alias.asname or alias.name).split(".")[0])
    elif isinstance(node, ast.ExceptHandler) and node.name:
        names.add(node.name)
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        names.add(node.name)
    elif isinstance(node, ast.MatchMapping) and node.rest:
        names.add(node.rest)
    for child in ast.iter_child_nodes(node):
        _assigned_into(child, names)


def loaded(node) -> set[str]:
    """Names `node` reads; a nested function or comprehension counts with its free names."""
    names: set[str] = set()
    _loaded_into(node, names)
    return names


def _loaded_into(node, names: set) -> None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        inner: set[str] = set()
        body = node.body if isinstance(node.body, list) else [node.body]
        for child in body:
            _loaded_into(child, inner)
        local = assigned(body) | {a.arg for a in _arguments(node.args)}
        names.update(inner - local)
        outer = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
        outer += getattr(node, "decorator_list", [])
        for child in outer:
            _loaded_into(child, names)
        return
    if isinstance(node, COMPREHENSIONS):
        inner = set()
        for child in ast.iter_child_nodes(node):
            _loaded_into(child, inner)
        names.update(inner - assigned([g.target for g in node.generators]))
        return
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Load, ast.Del)):
        names.add(node.id)
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        names.add(node.target.id)
    if getattr(node, EXTRA_TEST, None) is not None:
        _loaded_into(getattr(node, EXTRA_TEST), names)
    for child in ast.iter_child_nodes(node):
        _loaded_into(child, names)


def _arguments(args: ast.arguments) -> list[ast.arg]:
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found += [a for a in (args.vararg, args.kwarg) if a is not None]
    return found


def parameters(function: ast.FunctionDef) -> set[str]:
    """The names of a function's parameters."""
    return {a.arg for a in _arguments(function.args)}


def declared(function: ast.FunctionDef, kind: type) -> set[str]:
    """Names a function declares `global` (kind=ast.Global) or `nonlocal` (ast.Nonlocal)."""
    names: set[str] = set()
    for node in _own_nodes(function.body):
        if isinstance(node, kind):
            names.update(node.names)
    return names


def _own_nodes(stmts):
    """Every node of `stmts`, not descending into nested functions, lambdas or classes."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def contains(stmts, kinds) -> bool:
    """Whether `stmts` hold a node of `kinds` in the current scope."""
    return any(isinstance(node, kinds) for node in _own_nodes(stmts))


def surely_assigned(stmts) -> set[str]:
    """Names that running `stmts` to the end assigns on every path."""
    names: set[str] = set()
    for stmt in stmts:
        names |= _surely_assigned_stmt(stmt)
    return names


def _surely_assigned_stmt(stmt) -> set[str]:
    if isinstance(stmt, ast.If):
        return surely_assigned(stmt.body) & surely_assigned(stmt.orelse)
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        return set()
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return assigned([i.optional_vars for i in stmt.items if i.optional_vars]) | \
            surely_assigned(stmt.body)
    if isinstance(stmt, ast.Try):
        paths = [surely_assigned(stmt.body + stmt.orelse)]
        paths += [surely_assigned(h.body) for h in stmt.handlers]
        return set.intersection(*paths) | surely_assigned(stmt.finalbody)
    if isinstance(stmt, ast.Match):
        return set()
    return assigned([stmt])


def upward_exposed(stmts, defined=frozenset()) -> set[str]:
    """Names `stmts` may read before they assign them (given `defined` on entry)."""
    exposed: set[str] = set()
    defined = set(defined)
    for stmt in stmts:
        exposed |= _exposed_stmt(stmt, defined)
        defined |= _surely_assigned_stmt(stmt)
    return exposed


def _exposed_stmt(stmt, defined: set) -> set[str]:
    if isinstance(stmt, ast.If):
        return (loaded(stmt.test) - defined) | upward_exposed(stmt.body, defined) | \
            upward_exposed(stmt.orelse, defined)
    if isinstance(stmt, ast.While):
        return (loaded(stmt.test) - defined) | upward_exposed(stmt.body, defined) | \
            upward_exposed(stmt.orelse, defined)
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        inside = defined | assigned([stmt.target])
        return (loaded(stmt.iter) - defined) | upward_exposed(stmt.body, inside) | \
            upward_exposed(stmt.orelse, defined)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        heads = set().union(*(loaded(i.context_expr) for i in stmt.items))
        inside = defined | assigned([i.optional_vars for i in stmt.items if i.optional_vars])
        return (heads - defined) | upward_exposed(stmt.body, inside)
    if isinstance(stmt, ast.Try):
        found = upward_exposed(stmt.body + stmt.orelse, defined)
        for handler in stmt.handlers:
            found |= upward_exposed(handler.body, defined | assigned([handler]))
        return found | upward_exposed(stmt.finalbody, defined)
    return loaded(stmt) - defined


class Flow:
    """Which names are set before, and read after, each statement of `function`.

    Built once per function, before any statement of it is rewritten: statements are
    looked up by identity.
    """

    def __init__(self, function: ast.FunctionDef):
        self._parents: dict[int, tuple] = {}
        self._function = function
        self._index(function, "body")
        self._closures: set[str] = set()
        for node in _own_nodes(function.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                self._closures |= loaded(node)

    def _index(self, parent, field: str) -> None:
        for i, stmt in enumerate(getattr(parent, field)):
            self._parents[id(stmt)] = (parent, field, i)
            if isinstance(stmt, SCOPES):
                continue
            for child_field in ("body", "orelse", "finalbody", "handlers", "cases"):
                if isinstance(getattr(stmt, child_field, None), list):
                    self._index(stmt, child_field)

    def defined_before(self, stmt) -> set[str]:
        """Names surely assigned when `stmt` starts (parameters included)."""
        names = parameters(self._function)
        node = stmt
        while node is not self._function:
            parent, field, i = self._parents[id(node)]
            if field in ("body", "orelse", "finalbody"):
                names |= surely_assigned(getattr(parent, field)[:i])
            if isinstance(parent, (ast.For, ast.AsyncFor)) and field == "body":
                names |= assigned([parent.target])
            elif isinstance(parent, (ast.With, ast.AsyncWith)):
                names |= assigned([i.optional_vars for i in parent.items if i.optional_vars])
            elif isinstance(parent, ast.ExceptHandler):
                names |= assigned([parent])
            node = parent
        return names

    def live_after(self, stmt) -> set[str]:
        """Names that may be read after `stmt` runs (nested functions' reads included)."""
        names = set(self._closures)
        node = stmt
        while node is not self._function:
            parent, field, i = self._parents[id(node)]
            if field in ("handlers", "cases"):
                names |= loaded(parent)  # a handler is followed by the `finally` block
                node = parent
                continue
            for later in getattr(parent, field)[i + 1:]:
                names |= loaded(later)
            if isinstance(parent, (ast.For, ast.AsyncFor, ast.While, ast.Try)):
                names |= loaded(parent)  # the loop may run again; try has handlers/finally
            node = parent
        return names
