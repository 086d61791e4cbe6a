"""The executor: a graph compiled to a flat instruction list, run as straight-line code.

`Program(graph)` turns the graph's nodes (in order) into `Instruction`s: each names its
kernel (the op's kernel bound to the device's array module and the node's attrs), the
slots it reads and the slots it writes. Slots are preassigned: each tensor gets one, a
constant is bound once, a variable read is `variable._value`. The instruction list is
then emitted as one Python function, one line per instruction with local variables as
the slots, so that running a node costs one Python call and nothing else: no lookup, no
conversion, no tape, no shape check (all done once, while tracing and compiling).

Calls: a registry kernel is called directly with the array module and its attrs as
keyword constants in the generated line (`t3 = k7(x5, t1, axis=(1,), keepdims=True)`,
`x5` being NumPy), and a ufunc op is the ufunc itself (`t3 = k2(t1, t2)`), so no wrapper
runs between the line and NumPy. On the CPU a few hot ops whose kernels only add checks
around one NumPy call run that call (`engine.graph.lowering`: float Sum and Mean, rank-2
MatMul as `matmul(t1.T, t2)`). Only a kernel that may return a NumPy scalar (a 0-d
result) is wrapped in `asarray`. A constant used on another device is copied there once,
at compile time.

On the CPU, where Numba is installed, max pooling, its gradient, lone ReluGrads and the fold
of Conv2DBackpropInput run compiled kernels (`engine.graph.cpu_jit.BUILDERS`), as large
fused nodes do (`engine.graph.fused_jit`).

Buffer planning: after an instruction, every slot that nothing later reads is released
(`del`), so the allocator reuses the memory for the next intermediate, and a variable
update (`assign_add`/`assign_sub`: `engine.graph.variable_writes`) writes in place once
no live slot holds the old value.
A `Fused` node (`engine.graph.fused`) may also write into an input buffer that dies with
it: `Program.donations(node)` names those inputs, decided here at compile time by one
rule. Input `k` is donated when (1) the node is the tensor's only reader and the tensor is
not a graph output, (2) its producer always returns a fresh array of its own (a MatMul, a
ufunc op, another fused node, ...; never a placeholder, constant, variable read, or an op
that may return a view such as Reshape or Identity), and (3) its shape is static with rank
>= 1 and it reaches the node without a device copy. Arrays the user can see (inputs,
variable values, constants, outputs) are thus never overwritten; the fused kernel then
writes there only where the shape and dtype match a member's result. A fused node made by
the in-place pass (`engine.graph.passes.inplace`) writes variables' new values into their
own buffers, checking at run time, by the same reference count, that nothing else holds
them.

Errors: when a kernel fails, the traceback's line in the generated function names the
instruction; the error then names the node, its inputs' shapes, and the user's source
line that created it. With op listeners (the profiler) or `check_numerics` on, the same
instructions run through an instrumented version that times each node and emits events
(both in `engine.graph.diagnostics`).
"""

from __future__ import annotations

from keyword import iskeyword

import numpy as np

from engine import context, hooks
from engine.backend import devices as _devices
from engine.backend import numpy_backend
from engine.errors import InvalidArgumentError
from engine.graph import (  # noqa: F401 - they register their kernels
    conv_jit,
    cpu_jit,
    fused,
    pool_jit,
    segment_jit,
    xent_jit,
)
from engine.graph.diagnostics import ProgramDiagnostics
from engine.graph.ir import Graph, Node, SymbolicTensor
from engine.graph.lowering import _is_literal, _lower
from engine.graph.variable_writes import (
    _ASSIGNS,
    _aliases_user_memory,
    _assign,
    _assign_add,
    _assign_sub,
)

__all__ = ["Program", "Instruction", "NODE_BUILDERS"]

_CPU0 = _devices.CPU0
_G = context.GLOBAL

# type -> builder(node, program) -> callable(*input_arrays) -> output array(s).
NODE_BUILDERS: dict = {}


class Instruction:
    """One step of a program: `outputs = fn(*inputs)` for `node`.

    Attributes:
        node: the graph node.
        fn: the callable (a kernel, a ufunc or a built node), or None for nodes that are
            only an expression (constants, variable reads, placeholders).
        inputs, outputs: slot names.
        leading, keywords: what the generated call passes besides the inputs: names of
            globals before them (the array module) and `name=value` attrs after them.
        suffixes: None, or source appended to each input (`.T` for a lowered MatMul).
        line: the line of the generated function that runs it.
    """

    __slots__ = ("node", "fn", "inputs", "outputs", "line", "expr", "leading", "keywords",
                 "suffixes")

    def __init__(self, node: Node, fn, inputs: list, outputs: list, expr: str | None = None):
        self.node = node
        self.fn = fn
        self.inputs = inputs
        self.outputs = outputs
        self.line = 0
        self.expr = expr
        self.leading: list = []  # globals passed before the inputs (the array module)
        self.keywords: list = []  # `name=value` source of the attrs
        self.suffixes: list | None = None  # source appended to each input (`.T`)

    def __repr__(self) -> str:
        return f"{', '.join(self.outputs) or '_'} = {self.node.type}({', '.join(self.inputs)})"


class Program(ProgramDiagnostics):
    """A compiled graph: call it with the input arrays; returns the output arrays."""

    def __init__(self, graph: Graph, instrumented: bool = False):
        self.graph = graph
        self.instructions: list[Instruction] = []
        self._globals: dict = {"_asarray": np.asarray, "_tr": _devices.transfer,
                               "_assign": _assign, "_assign_add": _assign_add,
                               "_assign_sub": _assign_sub}
        self._slot: dict[int, str] = {}
        self._moved: dict = {}  # (tensor id, device) -> its copy there (a global or a slot)
        self._counter = 0  # slots t1, t2, ... in order of creation
        self._uses = _count_uses(graph)
        self._build()
        self.source = self._emit(instrumented=False)
        self._fn = self._compile(self.source, "run")
        self._instrumented = None
        self._line_to_instruction: dict = {}

    # --- compiling ----------------------------------------------------------------------
    def _name(self, prefix: str, value) -> str:
        name = f"{prefix}{len(self._globals)}"
        self._globals[name] = value
        return name

    def _build(self) -> None:
        graph = self.graph
        for i, t in enumerate(graph.inputs):
            self._slot[id(t)] = f"a{i}"
        for node in graph.nodes:
            if node.type == "Placeholder":
                continue
            if node.type == "Const":
                array = graph.arrays[node.attrs["array"]]
                if node.device is not _CPU0:
                    array = _devices.transfer(array, _CPU0, node.device)
                self._slot[id(node.outputs[0])] = self._name("c", array)
                continue
            ins = [self._input_expr(t, node) for t in node.inputs]
            outs = []
            for t in node.outputs:
                self._counter += 1
                name = f"t{self._counter}"
                self._slot[id(t)] = name
                outs.append(name)
            if node.type == "ReadVariableOp":
                var = self._name("v", graph.variables[node.attrs["variable"]])
                self.instructions.append(Instruction(node, None, [], outs, f"{var}._value"))
                continue
            if node.type in _ASSIGNS:
                var = self._name("v", graph.variables[node.attrs["variable"]])
                value = ins[0]
                if node.type == "AssignVariableOp" and _aliases_user_memory(node.inputs[0]):
                    value = f"{value}.copy()"
                fn = _ASSIGNS[node.type]
                self.instructions.append(
                    Instruction(node, None, ins, outs, f"{fn}({var}, {value})"))
                continue
            fn, leading, keywords, suffixes = self._kernel(node)
            instruction = Instruction(node, fn, ins, outs)
            instruction.leading = [self._name("x", x) for x in leading]
            instruction.suffixes = suffixes
            if all(k.isidentifier() and not iskeyword(k) for k in keywords):
                instruction.keywords = [f"{k}={self._literal(v)}" for k, v in keywords.items()]
            elif keywords:
                instruction.keywords = [f"**{self._name('a', dict(keywords))}"]
            self.instructions.append(instruction)

    def _input_expr(self, t: SymbolicTensor, node: Node) -> str:
        name = self._slot[id(t)]
        src, dst = t._device, self._run_device(node)
        if src is dst:
            return name
        if t._node.type == "Const":  # copied once, here, rather than on every call
            key = (id(t), dst)
            if key not in self._moved:
                self._moved[key] = self._name(
                    "c", _devices.transfer(self._globals[name], src, dst))
            return self._moved[key]
        # Copied once, on its first use there; later readers on `dst` share the copy.
        key = (id(t), dst)
        moved = self._moved.get(key)
        if moved is None:
            self._counter += 1
            moved = self._moved[key] = f"t{self._counter}"
            expr = f"_tr({name}, {self._name('d', src)}, {self._name('d', dst)})"
            self.instructions.append(Instruction(node, None, [name], [moved], expr))
        return moved

    def _run_device(self, node: Node):
        device = node.device
        if node.op is not None and not node.op.gpu and device.device_type == "GPU":
            return _CPU0
        return device

    def _kernel(self, node: Node):
        """`(fn, leading, keywords, suffixes)`: the call is
        `fn(*leading, *(input + suffix), **keywords)`."""
        builder = NODE_BUILDERS.get(node.type)
        if builder is not None:
            return builder(node, self), (), {}, None
        op = node.op
        if op is None:
            raise InvalidArgumentError(f"The executor cannot run node {node.name!r} of type "
                                       f"{node.type}: no kernel and no builder is known.")
        run_on = self._run_device(node)
        if run_on.backend is numpy_backend:
            lowered = _lower(node)
            if lowered is not None:
                return lowered
            build = cpu_jit.BUILDERS.get(node.type)  # Numba-compiled, when installed
            if build is not None and cpu_jit.enabled():
                fn = build(node)
                if fn is not None:
                    return fn, (), {}, None
        if op.ufunc is not None:
            return getattr(run_on.xp, op.ufunc), (), node.attrs, None
        return op.kernel, (run_on.xp,), node.attrs, None

    def donations(self, node: Node) -> frozenset:
        """Indices of `node`'s inputs whose buffers it may overwrite (see the module doc).

        Args:
            node: a node of this program's graph.

        Returns:
            A frozenset of input indices.
        """
        run_on = self._run_device(node)
        outputs = {id(t) for t in self.graph.outputs if isinstance(t, SymbolicTensor)}
        donate = set()
        for k, t in enumerate(node.inputs):
            producer = t._node
            shape = t._value.shape
            if (self._uses.get(id(t), 0) == 1 and id(t) not in outputs
                    and _returns_fresh(producer) and t._device is run_on
                    and producer.device is run_on and shape
                    and all(d is not None for d in shape)):
                donate.add(k)
        return frozenset(donate)

    def _literal(self, value) -> str:
        """`value` as source: a literal where its repr reads back the same, else a global."""
        if _is_literal(value):
            return repr(value)
        return self._name("lit", value)

    def _emit(self, instrumented: bool) -> str:
        last_use: dict[str, int] = {}
        protected = {self._slot[id(t)] for t in self.graph.outputs
                     if isinstance(t, SymbolicTensor)}
        for k, ins in enumerate(self.instructions):
            for name in ins.inputs:
                if name.startswith(("t", "a")):
                    last_use[name] = k
        args = ", ".join(f"a{i}" for i in range(len(self.graph.inputs)))
        lines = [f"def run({args}):"]
        for k, ins in enumerate(self.instructions):
            target = ", ".join(ins.outputs)
            if ins.expr is not None:
                call = ins.expr
            else:
                fname = self._name("k", ins.fn)
                inputs = ins.inputs if ins.suffixes is None else [
                    name + suffix for name, suffix in zip(ins.inputs, ins.suffixes)]
                args = ", ".join(ins.leading + inputs + ins.keywords)
                if instrumented:
                    call = f"_step({k}, {fname}, {args})".replace(", )", ")")
                else:
                    call = f"{fname}({args})"
                # NumPy kernels may return NumPy scalars for 0-d results: wrap them back
                # (outputs of unknown rank may be 0-d too).
                if len(ins.outputs) == 1 and ins.node.outputs[0]._value.shape in ((), None) and (
                        ins.node.device is _CPU0):
                    call = f"_asarray({call})"
            lines.append(f"    {target} = {call}" if target else f"    {call}")
            ins.line = len(lines)
            dead = [n for n in ins.inputs
                    if last_use.get(n) == k and n not in protected]
            dead += [n for n in ins.outputs if n not in last_use and n not in protected]
            if dead:
                lines.append(f"    del {', '.join(sorted(set(dead)))}")
        outs = [self._slot[id(t)] if isinstance(t, SymbolicTensor) else "None"
                for t in self.graph.outputs]
        lines.append(f"    return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
        return "\n".join(lines) + "\n"

    def _compile(self, source: str, name: str):
        filename = f"<engine.function {self.graph.name}>"
        code = compile(source, filename, "exec")
        namespace = dict(self._globals)
        exec(code, namespace)  # noqa: S102 - the program is generated from the graph
        self._filename = filename
        return namespace[name]

    # --- running ------------------------------------------------------------------------
    def __call__(self, arrays: list) -> tuple:
        """Runs the program on `arrays` (one per graph input); returns the outputs."""
        if _G.slow and (hooks._listeners.get("op") or _G.check_numerics or _G.strict):
            return self._run_instrumented(arrays)
        try:
            return self._fn(*arrays)
        except Exception as exc:  # noqa: BLE001 - explained with the failing node below
            error = self._explain(exc)
            if error is exc:
                raise
            raise error from exc


def _count_uses(graph: Graph) -> dict:
    """How many node inputs (and graph outputs) read each tensor, by tensor id."""
    uses: dict = {}
    for node in graph.nodes:
        for t in node.inputs:
            uses[id(t)] = uses.get(id(t), 0) + 1
    for t in graph.outputs:
        if isinstance(t, SymbolicTensor):
            uses[id(t)] = uses.get(id(t), 0) + 1
    return uses


# Producers whose kernels always return a new array that nothing else holds (for rank >= 1).
_FRESH = frozenset({"MatMul", "Conv2D", "Fused", "BiasAdd", "Relu", "ReluGrad", "Sigmoid",
                    "Rsqrt", "Softplus", "SquaredDifference"})


def _returns_fresh(node: Node) -> bool:
    return node.type in _FRESH or (node.op is not None and node.op.ufunc is not None)


NODE_BUILDERS["Fused"] = fused.build
