"""In-place variable updates: a fused kernel writes a variable's new value into its buffer.

After elementwise fusion an optimizer update of one variable looks like

    m_read = ReadVariableOp(m)            # read by F only
    new_m  = Fused(g, m_read, ...)        # or a single elementwise node
    AssignVariableOp(m, new_m)            # new_m read by nothing else

and the assignment only rebinds the variable to the array the kernel allocated. This pass
makes the kernel do the update itself: `new_m`'s member writes into `m`'s buffer, and the
read and the assignment nodes disappear. The kernel reads the variable when it starts (a
member input `["variable", k]`), and writes into its buffer only when nothing else holds
that buffer, by the same reference-count rule as `Variable.assign_add`; otherwise it
allocates a new array and rebinds the variable, so a snapshot read earlier (by the user,
or by a graph output) never changes. `AssignSubVariableOp(p, delta)` and
`AssignAddVariableOp` of a fused result become one more member, `p - delta` (`p + delta`),
written into `p`, as the executor computes them.

Then updates next to each other (only variable reads between them) whose members all have
one shape are merged into one kernel: a read of a variable the first one wrote becomes its
member's value, so Adam's three updates of one weight (m, v, the weight) are one kernel,
which runs in L2-sized chunks (`engine.graph.fused`).

A rewrite moves the variable write from the assignment to the kernel (earlier), and the
variable read from its node to the kernel (later), so it is made only when no node in
between reads or writes that variable, nor any node that might (control flow, Python
functions); on CPU devices, for static shapes, and where the kernel never reads a value it
already overwrote. The switch is `inplace_variable_updates`.

Threads: two concurrent calls that update the same variables race, as `assign_add` in
place does and as TensorFlow's optimizers do without `use_locking`; a snapshot another
thread took before the kernel started is safe (it counts as a reference).
"""

from __future__ import annotations

import bisect

from engine.graph import fused
from engine.graph.ir import VARIABLE_WRITES, Node, SymbolicTensor
from engine.graph.passes import fusion

__all__ = ["run"]

_FOLDED = {"AssignSubVariableOp": "Sub", "AssignAddVariableOp": "AddV2"}


def run(graph) -> list[str]:
    """Rewrites variable updates of `graph` in place; returns what it changed.

    Args:
        graph: a `Graph`, after elementwise fusion.

    Returns:
        One line per absorbed assignment and per merge.
    """
    rewriter = _Rewriter(graph)
    changes = []
    for node in list(rewriter.nodes):
        if node.type in VARIABLE_WRITES and rewriter.present(node):
            change = rewriter.absorb(node)
            if change:
                changes.append(change)
    changes += rewriter.merge_all()
    if changes:
        rewriter.finish()
    return changes


class _Rewriter:
    """The pass's view of the graph while it edits: node positions (a removed node leaves a
    gap, so positions stay ordered), who reads each tensor, and where each variable is used.
    `finish()` writes the node list back."""

    def __init__(self, graph):
        self.graph = graph
        self.nodes = list(graph.nodes)
        self.position = {id(n): i for i, n in enumerate(self.nodes)}
        self.removed: set = set()
        self.consumers: dict = {}  # tensor id -> the nodes reading it (None: a graph output)
        self.uses: dict = {}       # variable index -> sorted positions of nodes using it
        self.opaque: list = []     # positions of nodes that may use any variable
        for i, node in enumerate(self.nodes):
            for t in node.inputs:
                self.consumers.setdefault(id(t), []).append(node)
            for k in _variables_used(node):
                self.uses.setdefault(k, []).append(i)
            if _opaque(node):
                self.opaque.append(i)
        for t in graph.outputs:
            if isinstance(t, SymbolicTensor):
                self.consumers.setdefault(id(t), []).append(None)

    def present(self, node: Node) -> bool:
        return id(node) in self.position and id(node) not in self.removed

    def remove(self, node: Node) -> None:
        self.removed.add(id(node))

    # --- one assignment ---------------------------------------------------------------
    def absorb(self, assign: Node) -> str | None:
        """Folds `assign` (and the reads of its variable feeding the producer of its value)
        into that producer; returns a description, or None where the rules say no."""
        k = assign.attrs["variable"]
        value = assign.inputs[0]
        producer = value._node
        if not self._candidate(assign, producer):
            return None
        reads = [t for t in producer.inputs if t._node.type == "ReadVariableOp"
                 and t._node.attrs["variable"] == k]
        if any(self.consumers.get(id(t)) != [producer] for t in reads):
            return None  # another reader keeps the old value alive: never in place
        start = min(self.position[id(n)] for n in [producer] + [t._node for t in reads])
        skip = {id(producer)} | {id(t._node) for t in reads}
        if self._used_between(k, start, self.position[id(assign)], skip):
            return None
        single = None
        if producer.type != "Fused":  # one elementwise node: the same as a fused node
            single, inlined = producer, set()
            producer = fusion.fused_node(self.graph, [single], self.consumers, {}, inlined)
            value = producer.outputs[0]
        attrs, inputs = _with_variable_reads(producer, reads, k)
        member = attrs["outputs"].pop(value._index)
        if assign.type in _FOLDED:
            spec = attrs["members"][member]
            attrs["members"].append({"type": _FOLDED[assign.type],
                                     "inputs": [["variable", k], ["member", member]],
                                     "shape": spec["shape"], "dtype": spec["dtype"]})
            member = len(attrs["members"]) - 1
        attrs["writes"].append([member, k])
        if not _plannable(attrs, inputs):
            return None
        if single is not None:
            self._replace(single, producer, inlined)
        self._commit(producer, attrs, inputs, [t for t in producer.outputs if t is not value])
        for node in [assign] + [t._node for t in reads]:
            self.remove(node)
        if assign.type in _FOLDED:
            producer.info["members"].append(assign.name)
            producer.info["sources"].append(list(assign.source) if assign.source else None)
        bisect.insort(self.uses.setdefault(k, []), self.position[id(producer)])
        return f"{producer.name}: writes {self.graph.variables[k].name} in place ({assign.type})"

    def _candidate(self, assign: Node, producer: Node) -> bool:
        value = assign.inputs[0]
        var = self.graph.variables[assign.attrs["variable"]]
        device = assign.device
        if (device.device_type != "CPU" or producer.device is not device
                or var._device is not device or not self.present(producer)
                or self.consumers.get(id(value)) != [assign]):
            return False
        if producer.type == "Fused":
            members = producer.attrs["members"]
            if producer.control_inputs and not producer.stateful:
                return False
        elif fusion.fusable(producer) and not producer.stateful:
            members = [{"shape": list(producer.outputs[0]._value.shape)}]
        else:
            return False
        return (var.shape.is_fully_defined() and tuple(var.shape.as_list()) == value.shape
                and all(fused._static(m["shape"]) for m in members))

    def _used_between(self, k: int, start: int, end: int, skip: set) -> bool:
        """Whether a node at a position in [start, end), not in `skip`, may use variable k."""
        for positions in (self.uses.get(k, []), self.opaque):
            for i in range(bisect.bisect_left(positions, start),
                           bisect.bisect_left(positions, end)):
                node = self.nodes[positions[i]]
                if self.present(node) and id(node) not in skip:
                    return True
        return False

    def _replace(self, node: Node, new: Node, inlined: set) -> None:
        """Puts `new` (made from `node` alone) in `node`'s place; drops the scalar constants
        folded into it that nothing else reads."""
        position = self.position.pop(id(node))
        self.nodes[position] = new
        self.position[id(new)] = position
        for t in node.inputs:
            readers = self.consumers[id(t)]
            if id(t._node) in inlined and readers == [node]:
                self.remove(t._node)
            readers[:] = [new if r is node else r for r in readers]

    def _commit(self, node: Node, attrs: dict, inputs: list, outputs: list) -> None:
        """Gives `node` its new attrs, inputs and outputs: it now changes variables."""
        for t in node.inputs:
            if not any(t is u for u in inputs):
                self.consumers[id(t)] = [r for r in self.consumers[id(t)] if r is not node]
        node.attrs, node.inputs, node.stateful = attrs, inputs, True
        for index, t in enumerate(outputs):
            t._node, t._index = node, index
        node.outputs = outputs

    # --- merging neighbouring updates ------------------------------------------------------
    def merge_all(self) -> list[str]:
        changes = []
        previous, between = None, []
        for node in list(self.nodes):
            if not self.present(node):
                continue
            if node.type == "Fused" and node.attrs.get("writes"):
                if previous is not None and self._merge(previous, node, between):
                    changes.append(f"{node.name}: merged {previous.name} into it")
                previous, between = node, []
            elif previous is not None and node.type == "ReadVariableOp":
                between.append(node)
            else:
                previous, between = None, []
        return changes

    def _merge(self, first: Node, second: Node, between: list) -> bool:
        """Makes `second` compute `first`'s members before its own; False if not allowed."""
        shapes = {tuple(m["shape"]) for m in first.attrs["members"] + second.attrs["members"]}
        if len(shapes) != 1 or first.device is not second.device:
            return False
        written = {k: j for j, k in first.attrs["writes"]}  # variable -> its last writer
        forwarded = {}  # id(read tensor) -> the member of `first` holding that value
        for read in between:
            k = read.attrs["variable"]
            if k in written:
                if self.consumers.get(id(read.outputs[0])) != [second]:
                    return False  # read by another node, which needs the old value now
                forwarded[id(read.outputs[0])] = written[k]
        attrs = _copied(first.attrs)
        inputs = list(first.inputs)
        offset = len(attrs["members"])
        exports = dict(enumerate(first.attrs["outputs"]))  # first's output index -> member
        for m in _copied(second.attrs)["members"]:
            m["inputs"] = [_merged_ref(ref, second, first, inputs, written, forwarded,
                                       exports, offset) for ref in m["inputs"]]
            attrs["members"].append(m)
        outputs = [(t, j) for t, j in zip(first.outputs, first.attrs["outputs"])
                   if any(r is not second for r in self.consumers.get(id(t), []))]
        outputs += [(t, j + offset) for t, j in zip(second.outputs, second.attrs["outputs"])]
        attrs["outputs"] = [j for _, j in outputs]
        attrs["writes"] += [[j + offset, k] for j, k in second.attrs["writes"]]
        if not _plannable(attrs, inputs):
            return False
        info = {key: first.info.get(key, []) + second.info.get(key, [])
                for key in ("members", "sources")}
        for t in first.inputs:
            self.consumers[id(t)] = [second if r is first else r for r in self.consumers[id(t)]]
        self._commit(second, attrs, inputs, [t for t, _ in outputs])
        second.info.update(info)
        self.remove(first)
        for read in between:
            if id(read.outputs[0]) in forwarded:
                self.remove(read)
        return True

    # --- the result ----------------------------------------------------------------------
    def finish(self) -> None:
        """The node list without the removed nodes; control inputs chain the stateful nodes
        in their (unchanged) order again, as tracing made them."""
        graph = self.graph
        graph.nodes = [n for n in self.nodes if id(n) not in self.removed]
        last = None
        for node in graph.nodes:
            if node.stateful:
                node.control_inputs = [last] if last is not None else []
                last = node
            elif any(id(c) in self.removed for c in node.control_inputs):
                node.control_inputs = [c for c in node.control_inputs
                                       if id(c) not in self.removed]
        graph._last_stateful = last


def _variables_used(node: Node) -> set:
    if node.type == "ReadVariableOp" or node.type in VARIABLE_WRITES:
        return {node.attrs["variable"]}
    if node.type == "Fused":
        return fused.variables_of(node.attrs)
    return set()


def _opaque(node: Node) -> bool:
    """Whether `node` may use variables in ways the graph does not show: control flow
    (its branches and loop bodies), Python functions, prints. A registry kernel sees only
    its inputs."""
    known = node.type == "ReadVariableOp" or node.type in VARIABLE_WRITES or (
        node.type == "Fused")
    return node.stateful and node.op is None and not known


def _with_variable_reads(node: Node, reads: list, k: int) -> tuple[dict, list]:
    """`node`'s attrs and inputs with the inputs in `reads` turned into `["variable", k]`."""
    attrs = _copied(node.attrs)
    gone = {i for i, t in enumerate(node.inputs) if any(t is r for r in reads)}
    renumber, inputs = {}, []
    for i, t in enumerate(node.inputs):
        if i not in gone:
            renumber[i] = len(inputs)
            inputs.append(t)
    for m in attrs["members"]:
        m["inputs"] = [(["variable", k] if ref[1] in gone else ["input", renumber[ref[1]]])
                       if ref[0] == "input" else ref for ref in m["inputs"]]
    return attrs, inputs


def _copied(attrs: dict) -> dict:
    """A copy of a fused node's attrs that may be edited (members and their inputs)."""
    members = [{**m, "inputs": [list(ref) for ref in m["inputs"]]} for m in attrs["members"]]
    return {**attrs, "members": members, "outputs": list(attrs["outputs"]),
            "writes": [list(w) for w in attrs.get("writes", [])]}


def _plannable(attrs: dict, inputs: list) -> bool:
    """Whether the kernel can write each variable without losing a value it still reads."""
    specs = [(t._value.shape, t._value.dtype.name) for t in inputs]
    writes = {j: k for j, k in attrs["writes"]}
    try:
        fused._plan(attrs["members"], attrs["outputs"], specs, frozenset(), writes)
    except ValueError:
        return False
    return True


def _merged_ref(ref, second: Node, first: Node, inputs: list, written: dict, forwarded: dict,
                exports: dict, offset: int) -> list:
    """A member reference of `second` as a reference of the merged node."""
    kind, index = ref[0], ref[1]
    if kind == "member":
        return ["member", index + offset]
    if kind == "variable":
        return ["member", written[index]] if index in written else ref
    if kind != "input":
        return ref
    t = second.inputs[index]
    if id(t) in forwarded:
        return ["member", forwarded[id(t)]]
    if t._node is first:
        return ["member", exports[t._index]]
    for i, known in enumerate(inputs):
        if known is t:
            return ["input", i]
    inputs.append(t)
    return ["input", len(inputs) - 1]
