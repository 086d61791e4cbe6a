"""The AST rewrite: `if`, `while` and `for` become calls of the run-time helpers.

The helpers live in `engine.autograph.operators`, which converted code knows as `ag__`:

    if x > 0:                       try:
        y = x * 2                       y
    else:                           except NameError:
        y = -x                          y = ag__.Undefined('y')
                                    def ag__if_body():
                                        nonlocal y
                                        y = x * 2
                                    def ag__else_body():
                                        nonlocal y
                                        y = -x
                                    def ag__get_state():
                                        return (y,)
                                    def ag__set_state(ag__values):
                                        nonlocal y
                                        (y,) = ag__values
                                    ag__.if_stmt(x > 0, ag__if_body, ag__else_body,
                                                 ag__get_state, ag__set_state, ('y',), ('y',))

Loops are rewritten the same way (`ag__.while_stmt`, `ag__.for_stmt`), after `lowering`
has turned `return`/`break`/`continue` into flags. `and`/`or`/`not` and `a if c else b`
become `ag__.and_`/`or_`/`not_`/`if_exp` (operands after the first are passed as
lambdas, so Python's short-circuit evaluation is kept), and `assert` becomes
`ag__.assert_stmt`. Calls whose target may be user code become
`ag__.converted_call(f, ...)`, which converts `f` too when it runs while tracing; calls
that resolve, when the function is converted, to engine, NumPy, the standard library or
builtins stay as written. Every generated node carries the line of the statement it
replaces, so tracebacks and graph nodes point at the user's code.
"""

from __future__ import annotations

import ast

from engine.autograph import analysis, lowering

_UNCONVERTIBLE = (ast.Return, ast.Break, ast.Continue, ast.Yield, ast.YieldFrom, ast.Await,
                  ast.Global, ast.Nonlocal)
# Builtins that look at their caller's frame: a call through a helper would break them.
_FRAME_BUILTINS = frozenset({"super", "locals", "globals", "vars", "eval", "exec", "dir",
                             "breakpoint"})


class _Scope:
    def __init__(self, function: ast.FunctionDef):
        self.flow = analysis.Flow(function)
        self.locals = analysis.parameters(function) | analysis.assigned(function.body)
        self.globals = analysis.declared(function, ast.Global)
        self.nonlocals = analysis.declared(function, ast.Nonlocal)


class ControlFlowTransformer:
    """Converts one function definition (and the functions defined inside it) in place.

    Args:
        is_library: given a global or closure name of the function, True when it refers to
            code that is never converted (then calls through it stay as written).

    Attributes:
        converted: how many statements and expressions were rewritten.
    """

    def __init__(self, is_library=None):
        self.is_library = is_library or (lambda name: False)
        self.converted = 0
        self._scopes: list[_Scope] = []
        self._expressions = _Expressions(self)

    # --- functions and blocks -----------------------------------------------------------
    def function(self, node: ast.FunctionDef) -> None:
        """Converts the body of `node` (in place)."""
        if isinstance(node, ast.AsyncFunctionDef) or analysis.contains(
                node.body, (ast.Yield, ast.YieldFrom, ast.Await)):
            return  # generators and coroutines run their body lazily: not converted
        if lowering.needs_return_lowering(node):
            lowering.lower_returns(node)
        node.body = lowering.JumpLowering().block(node.body)
        self._scopes.append(_Scope(node))
        try:
            node.body = self.block(node.body)
        finally:
            self._scopes.pop()

    def block(self, stmts: list) -> list:
        """The converted statements."""
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt) -> list:
        """One statement, converted into one or more."""
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(stmt)
            return [stmt]
        if isinstance(stmt, ast.ClassDef):
            return [stmt]  # class bodies run once, at definition: left as written
        if isinstance(stmt, ast.If):
            return self._if(stmt)
        if isinstance(stmt, ast.While):
            return self._while(stmt)
        if isinstance(stmt, ast.For):
            return self._for(stmt)
        if isinstance(stmt, ast.Assert):
            return self._assert(stmt)
        for field, value in ast.iter_fields(stmt):
            if field in ("body", "orelse", "finalbody"):
                setattr(stmt, field, self.block(value))
            elif field in ("handlers", "cases"):
                for part in value:
                    part.body = self.block(part.body)
            else:
                setattr(stmt, field, self._expressions.visit_field(value))
        return [stmt]

    def expression(self, node):
        """An expression with `and`/`or`/`not`/`if-else` and calls converted."""
        return self._expressions.visit(node)

    def converts_call(self, func) -> bool:
        """Whether a call of `func` goes through `ag__.converted_call`."""
        if isinstance(func, ast.Name) and func.id in _FRAME_BUILTINS:
            return False
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id.startswith(analysis.GENERATED_PREFIX):
            return not isinstance(root, ast.Name)
        if any(root.id in scope.locals for scope in self._scopes):
            return True
        return not self.is_library(root.id)

    # --- statements ---------------------------------------------------------------------
    def _convertible(self, stmts) -> bool:
        if analysis.contains(stmts, _UNCONVERTIBLE):
            return False
        return not any(isinstance(n, ast.Delete) and any(isinstance(t, ast.Name)
                                                         for t in n.targets)
                       for n in analysis._own_nodes(stmts))

    def _if(self, node: ast.If) -> list:
        scope = self._scopes[-1]
        if not self._convertible(node.body + node.orelse):
            node.test = self.expression(node.test)
            node.body, node.orelse = self.block(node.body), self.block(node.orelse)
            return [node]
        names = sorted(analysis.assigned(node.body + node.orelse))
        live = scope.flow.live_after(node)
        outputs = [n for n in names if n in live]
        test = self.expression(node.test)
        body, orelse = self.block(node.body), self.block(node.orelse)
        self.converted += 1
        call = _operator("if_stmt", test, _load("ag__if_body"), _load("ag__else_body"),
                         _load("ag__get_state"), _load("ag__set_state"), _strings(names),
                         _strings(outputs))
        stmts = (self._initialize(names, node)
                 + [self._helper("ag__if_body", [], names, body),
                    self._helper("ag__else_body", [], names, orelse)]
                 + self._state(names) + [ast.Expr(value=call)])
        return _located(stmts, node)

    def _while(self, node: ast.While) -> list:
        scope = self._scopes[-1]
        if not self._convertible(node.body + node.orelse):
            node.test = self.expression(node.test)
            node.body, node.orelse = self.block(node.body), self.block(node.orelse)
            return [node]
        names = sorted(analysis.assigned(node.body) | analysis.assigned([node.test]))
        reads = analysis.loaded(node.test) | analysis.upward_exposed(node.body)
        live = scope.flow.live_after(node)
        carried = [n for n in names if n in live or n in reads]
        exposed = [n for n in carried if n in reads]
        test = self.expression(node.test)
        body, orelse = self.block(node.body), self.block(node.orelse)
        self.converted += 1
        call = _operator("while_stmt", _load("ag__loop_test"), _load("ag__loop_body"),
                         _load("ag__get_state"), _load("ag__set_state"), _strings(names),
                         _strings(carried), _strings(exposed))
        stmts = (self._initialize(names, node)
                 + [_function("ag__loop_test", [], [ast.Return(value=test)]),
                    self._helper("ag__loop_body", [], names, body)]
                 + self._state(names) + [ast.Expr(value=call)])
        return _located(stmts, node) + orelse

    def _for(self, node: ast.For) -> list:
        scope = self._scopes[-1]
        extra = getattr(node, analysis.EXTRA_TEST, None)
        if not self._convertible(node.body + node.orelse):
            node.iter = self.expression(node.iter)
            node.body, node.orelse = self.block(node.body), self.block(node.orelse)
            return [node]
        targets = analysis.assigned([node.target])
        names = sorted(analysis.assigned(node.body) | targets)
        reads = analysis.upward_exposed(node.body, targets)
        if extra is not None:
            reads |= analysis.loaded(extra)
        live = scope.flow.live_after(node)
        carried = [n for n in names if n in live or n in reads]
        exposed = [n for n in carried if n in reads]
        iterable = self._iterable(node.iter)
        body, orelse = self.block(node.body), self.block(node.orelse)
        self.converted += 1
        bind = ast.Assign(targets=[node.target], value=_load("ag__item"))
        stmts = self._initialize(names, node) + [
            self._helper("ag__loop_body", ["ag__item"], names, [bind] + body)]
        test = ast.Constant(None)
        if extra is not None:
            stmts.append(_function("ag__extra_test", [],
                                   [ast.Return(value=self.expression(extra))]))
            test = _load("ag__extra_test")
        call = _operator("for_stmt", iterable, test, _load("ag__loop_body"),
                         _load("ag__get_state"), _load("ag__set_state"), _strings(names),
                         _strings(carried), _strings(exposed))
        stmts += self._state(names) + [ast.Expr(value=call)]
        return _located(stmts, node) + orelse

    def _iterable(self, node):
        """`for ... in x.range(...)` calls through `ag__.range_call` (engine.range: a loop)."""
        if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "range")
                or (isinstance(node.func, ast.Name) and node.func.id == "range")):
            args = [self.expression(a) for a in node.args]
            call = _operator("range_call", self.expression(node.func), *args)
            call.keywords = [self.expression(k) for k in node.keywords]
            return _located_expr(call, node)
        return self.expression(node)

    def _assert(self, node: ast.Assert) -> list:
        self.converted += 1
        message = ast.Constant(None)
        if node.msg is not None:
            message = _lambda(self.expression(node.msg))
        call = _operator("assert_stmt", self.expression(node.test), message)
        return _located([ast.Expr(value=call)], node)

    # --- generated code -----------------------------------------------------------------
    def _declaration(self, names: list) -> list:
        scope = self._scopes[-1]
        found = [ast.Global(names=[n for n in names if n in scope.globals])]
        found.append(ast.Nonlocal(names=[n for n in names if n not in scope.globals]))
        return [d for d in found if d.names]

    def _initialize(self, names: list, node) -> list:
        """`try: n / except NameError: n = ag__.Undefined('n')` for names that may be unset."""
        scope = self._scopes[-1]
        defined = scope.flow.defined_before(node) | scope.globals | scope.nonlocals
        stmts = []
        for name in names:
            if name in defined:
                continue
            undefined = _operator("Undefined", ast.Constant(name))
            handler = ast.ExceptHandler(type=_load("NameError"), name=None,
                                        body=[_assign(name, undefined)])
            stmts.append(ast.Try(body=[ast.Expr(value=_load(name))], handlers=[handler],
                                 orelse=[], finalbody=[]))
        return stmts

    def _helper(self, name: str, params: list, names: list, body: list) -> ast.FunctionDef:
        return _function(name, params, self._declaration(names) + (body or [ast.Pass()]))

    def _state(self, names: list) -> list:
        values = ast.Tuple(elts=[_load(n) for n in names], ctx=ast.Load())
        getter = _function("ag__get_state", [], [ast.Return(value=values)])
        if names:
            target = ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Store()) for n in names],
                               ctx=ast.Store())
            body = self._declaration(names) + [
                ast.Assign(targets=[target], value=_load("ag__values"))]
        else:
            body = [ast.Pass()]
        return [getter, _function("ag__set_state", ["ag__values"], body)]


class _Expressions(ast.NodeTransformer):
    """Converts `and`, `or`, `not` and `a if c else b` inside expressions."""

    def __init__(self, owner: ControlFlowTransformer):
        self._owner = owner

    def visit_field(self, value):
        if isinstance(value, ast.AST):
            return self.visit(value)
        if isinstance(value, list):
            return [self.visit(v) if isinstance(v, ast.AST) else v for v in value]
        return value

    def visit_BoolOp(self, node: ast.BoolOp):
        self.generic_visit(node)
        self._owner.converted += 1
        helper = "and_" if isinstance(node.op, ast.And) else "or_"
        result = node.values[-1]
        for value in reversed(node.values[:-1]):
            result = _operator(helper, value, _lambda(result))
        return _located_expr(result, node)

    def visit_UnaryOp(self, node: ast.UnaryOp):
        self.generic_visit(node)
        if not isinstance(node.op, ast.Not):
            return node
        self._owner.converted += 1
        return _located_expr(_operator("not_", node.operand), node)

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        if not self._owner.converts_call(node.func):
            return node
        self._owner.converted += 1
        call = _operator("converted_call", node.func, *node.args)
        call.keywords = node.keywords
        return _located_expr(call, node)

    def visit_IfExp(self, node: ast.IfExp):
        self.generic_visit(node)
        self._owner.converted += 1
        call = _operator("if_exp", node.test, _lambda(node.body), _lambda(node.orelse))
        return _located_expr(call, node)

    def visit_FunctionDef(self, node):
        self._owner.function(node)
        return node

    def visit_AsyncFunctionDef(self, node):
        return node  # coroutines are not converted

    def visit_ClassDef(self, node):
        return node


def _load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _assign(name: str, value) -> ast.Assign:
    return ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value)


def _strings(names: list) -> ast.Tuple:
    return ast.Tuple(elts=[ast.Constant(n) for n in names], ctx=ast.Load())


def _operator(name: str, *args) -> ast.Call:
    return ast.Call(func=ast.Attribute(value=_load("ag__"), attr=name, ctx=ast.Load()),
                    args=list(args), keywords=[])


def _lambda(body) -> ast.Lambda:
    return ast.Lambda(args=_arguments([]), body=body)


def _arguments(params: list) -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])


def _function(name: str, params: list, body: list) -> ast.FunctionDef:
    node = ast.FunctionDef(name=name, args=_arguments(params), body=body, decorator_list=[],
                           returns=None)
    if "type_params" in ast.FunctionDef._fields:  # Python 3.12+
        node.type_params = []
    return node


def _located(stmts: list, origin) -> list:
    for stmt in stmts:
        _located_expr(stmt, origin)
    return stmts


def _located_expr(node, origin):
    """Gives generated nodes the first line of `origin` (a one-line span, so that Python
    reports that line, not the last line of a multi-line statement, for calls in it)."""
    for child in ast.walk(node):
        if "lineno" in child._attributes and not hasattr(child, "lineno"):
            child.lineno = child.end_lineno = origin.lineno
            child.col_offset = child.end_col_offset = origin.col_offset
    return node
