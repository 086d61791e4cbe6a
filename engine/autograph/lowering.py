"""Rewrites `return`, `break` and `continue` into flag variables.

This runs before control flow is converted: a branch or loop body becomes a function,
which a jump cannot leave.

- `return v` inside an `if` or loop: `retval__ = v; do_return__ = True`; the code after it
  runs under `if not do_return__:`, loops stop, and the function ends with one `return`.
- `break` in a loop: `brk__N = True`; the rest of the body runs under `if not brk__N:`,
  the loop condition becomes `not brk__N and <condition>`, and an `else:` clause runs
  under `if not brk__N:`.
- `continue`: `cont__N = True`, reset at the top of every iteration; the rest of the body
  runs under `if not cont__N:`.

The flags are ordinary variables, so they become tensors when a jump depends on one.
"""

from __future__ import annotations

import ast

from engine.autograph.analysis import EXTRA_TEST, SCOPES, contains
from engine.autograph.values import RETURN_VALUE

RETURN_FLAG = "do_return__"
LOOPS = (ast.For, ast.While)
_BLOCKS = ("body", "orelse", "finalbody")


def _name(name: str, store: bool = False) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Store() if store else ast.Load())


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[_name(name, store=True)], value=value)


def _operator(name: str, *args) -> ast.Call:
    return ast.Call(func=ast.Attribute(value=_name("ag__"), attr=name, ctx=ast.Load()),
                    args=list(args), keywords=[])


def _not(expr: ast.expr) -> ast.expr:
    return ast.UnaryOp(op=ast.Not(), operand=expr)


def _sub_blocks(stmt) -> list[list]:
    """The statement lists directly inside a compound statement."""
    blocks = [getattr(stmt, f) for f in _BLOCKS if isinstance(getattr(stmt, f, None), list)]
    blocks += [h.body for h in getattr(stmt, "handlers", ())]
    blocks += [c.body for c in getattr(stmt, "cases", ())]
    return blocks


def _located(stmts: list, origin) -> list:
    for stmt in stmts:
        _stamp(stmt, origin)
    return stmts


def _stamp(node, origin):
    """Gives generated nodes the first line of `origin`, as a one-line span."""
    for child in ast.walk(node):
        if "lineno" in child._attributes and not hasattr(child, "lineno"):
            child.lineno = child.end_lineno = origin.lineno
            child.col_offset = child.end_col_offset = origin.col_offset
    return node


# --- return ---------------------------------------------------------------------------
def needs_return_lowering(function: ast.FunctionDef) -> bool:
    """Whether a `return` sits inside a compound statement of `function`."""
    return any(not isinstance(s, SCOPES) and contains(b, ast.Return)
               for s in function.body for b in _sub_blocks(s))


def always_returns(stmts) -> bool:
    """Whether every path through `stmts` ends in `return` or `raise`."""
    for stmt in stmts:
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return True
        if isinstance(stmt, ast.If) and always_returns(stmt.body) and \
                always_returns(stmt.orelse):
            return True
        if isinstance(stmt, (ast.With, ast.AsyncWith)) and always_returns(stmt.body):
            return True
        if isinstance(stmt, ast.Try):
            if always_returns(stmt.finalbody):
                return True
            if always_returns(stmt.body + stmt.orelse) and all(
                    always_returns(h.body) for h in stmt.handlers):
                return True
    return False


def lower_returns(function: ast.FunctionDef) -> None:
    """Rewrites every `return` of `function` into the return flag and value (in place)."""
    may_fall_through = not always_returns(function.body)
    body = function.body
    docstring = []
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        docstring, body = body[:1], body[1:]
    origin = function
    start = _located([_assign(RETURN_FLAG, ast.Constant(False)),
                      _assign(RETURN_VALUE, _operator("Undefined", ast.Constant(RETURN_VALUE)))],
                     origin)
    end_origin = function.body[-1]
    end = ast.Return(value=_operator("return_value", _name(RETURN_FLAG), _name(RETURN_VALUE),
                                     ast.Constant(may_fall_through)))
    function.body = docstring + start + _returns_block(body, False) + _located([end],
                                                                                end_origin)


def _returns_block(stmts: list, in_loop: bool) -> list:
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Return):
            value = stmt.value if stmt.value is not None else ast.Constant(None)
            jump = [_assign(RETURN_VALUE, value), _assign(RETURN_FLAG, ast.Constant(True))]
            if in_loop:
                jump.append(ast.Break())
            out.extend(_located(jump, stmt))
            return out
        returns = not isinstance(stmt, SCOPES) and any(
            contains(b, ast.Return) for b in _sub_blocks(stmt))
        if returns:
            _returns_children(stmt, in_loop)
        out.append(stmt)
        rest = stmts[i + 1:]
        if not returns or not rest:
            continue
        if in_loop:
            if isinstance(stmt, LOOPS):  # its `break` left only the inner loop
                out.extend(_located([ast.If(test=_name(RETURN_FLAG), body=[ast.Break()],
                                            orelse=[])], stmt))
            continue  # the `break` that ends the return leaves this loop; jumps guard the rest
        if always_returns([stmt]):
            return out
        guard = ast.If(test=_not(_name(RETURN_FLAG)), body=_returns_block(rest, False),
                       orelse=[])
        out.extend(_located([guard], rest[0]))
        return out
    return out


def _returns_children(stmt, in_loop: bool) -> None:
    if isinstance(stmt, LOOPS):
        stmt.body = _returns_block(stmt.body, True)
        stmt.orelse = _returns_block(stmt.orelse, in_loop)
        return
    for field in _BLOCKS:
        if isinstance(getattr(stmt, field, None), list):
            setattr(stmt, field, _returns_block(getattr(stmt, field), in_loop))
    for part in [*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())]:
        part.body = _returns_block(part.body, in_loop)


# --- break and continue ---------------------------------------------------------------
class JumpLowering:
    """Rewrites the `break` and `continue` statements of one function's loops."""

    def __init__(self):
        self._count = 0

    def block(self, stmts: list) -> list:
        """`stmts` with every loop's jumps rewritten (nested functions keep theirs)."""
        out = []
        for stmt in stmts:
            if isinstance(stmt, SCOPES):
                out.append(stmt)
                continue
            for field in _BLOCKS:
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            for part in [*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())]:
                part.body = self.block(part.body)
            if isinstance(stmt, LOOPS):
                out.extend(self._loop(stmt))
            else:
                out.append(stmt)
        return out

    def _loop(self, loop) -> list:
        kinds = _own_jumps(loop.body)
        if not kinds:
            return [loop]
        self._count += 1
        brk = f"brk__{self._count}" if ast.Break in kinds else None
        cont = f"cont__{self._count}" if ast.Continue in kinds else None
        loop.body = _jumps_block(loop.body, brk, cont)
        before = []
        if cont:
            loop.body = _located([_assign(cont, ast.Constant(False))], loop) + loop.body
        if brk:
            before = _located([_assign(brk, ast.Constant(False))], loop)
            if isinstance(loop, ast.While):
                loop.test = _stamp(
                    ast.BoolOp(op=ast.And(), values=[_not(_name(brk)), loop.test]), loop.test)
            else:
                setattr(loop, EXTRA_TEST, _stamp(_not(_name(brk)), loop.iter))
            if loop.orelse:
                loop.orelse = _located([ast.If(test=_not(_name(brk)), body=loop.orelse,
                                               orelse=[])], loop.orelse[0])
        return before + [_stamp(loop, loop)]


def _own_jumps(stmts) -> set:
    """The kinds of jump (`ast.Break`, `ast.Continue`) in `stmts` that leave their loop."""
    kinds = set()
    for stmt in stmts:
        if isinstance(stmt, (ast.Break, ast.Continue)):
            kinds.add(type(stmt))
        elif isinstance(stmt, LOOPS):
            kinds |= _own_jumps(stmt.orelse)  # `else:` jumps belong to the enclosing loop
        elif not isinstance(stmt, SCOPES):
            for block in _sub_blocks(stmt):
                kinds |= _own_jumps(block)
    return kinds


def _jumps_block(stmts: list, brk: str | None, cont: str | None) -> list:
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, (ast.Break, ast.Continue)):
            flag = brk if isinstance(stmt, ast.Break) else cont
            out.extend(_located([_assign(flag, ast.Constant(True))], stmt))
            return out
        kinds = set() if isinstance(stmt, SCOPES) else _own_jumps([stmt])
        if kinds:
            _jumps_children(stmt, brk, cont)
        out.append(stmt)
        rest = stmts[i + 1:]
        if kinds and rest:
            flags = [_name(f) for f, k in ((brk, ast.Break), (cont, ast.Continue)) if k in kinds]
            test = flags[0] if len(flags) == 1 else ast.BoolOp(op=ast.Or(), values=flags)
            guard = ast.If(test=_not(test), body=_jumps_block(rest, brk, cont), orelse=[])
            out.extend(_located([guard], rest[0]))
            return out
    return out


def _jumps_children(stmt, brk, cont) -> None:
    if isinstance(stmt, LOOPS):
        stmt.orelse = _jumps_block(stmt.orelse, brk, cont)
        return
    for field in _BLOCKS:
        if isinstance(getattr(stmt, field, None), list):
            setattr(stmt, field, _jumps_block(getattr(stmt, field), brk, cont))
    for part in [*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())]:
        part.body = _jumps_block(part.body, brk, cont)
