"""Pass: a sum of many matrix products becomes one product of concatenations.

A weight used at every step of an unrolled loop (an RNN's recurrent kernel) gets one
gradient term per step, `h_t^T @ dg_t`, and the tape adds them up: fifty small GEMMs, then
forty-nine adds over the weight's shape, with all fifty terms alive until the last add
(W4: 13 MB). The same sum is one GEMM over the stacked operands,
`[h_0; ...; h_49]^T @ [dg_0; ...; dg_49]`, which BLAS runs at full speed; the stacking
copies the operands once (and a stack that the graph already has, such as the gradient of
the split that fed the steps, is reused by common-subexpression elimination, which runs
next).

For products `A_i @ B_i` with transposes, the stacking axis is the contraction axis:
rows of `A_i` for `transpose_a`, else its columns; rows of `B_i` unless `transpose_b`.
Only rank-2 MatMuls whose results feed nothing but the sum, at least `MIN_TERMS` of them
with one dtype, device and transposes, and only when the copies cost less than the adds
they replace (`_pays`). The sum's rounding changes (one GEMM's order instead of the tape's
adds), as any BLAS blocking would change it.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.graph.ir import Node, SymbolicTensor
from engine.graph.passes.rewrite import Substitution, is_plain, readers
from engine.registry import get as get_op
from engine.tensor_shape import TensorSpec

__all__ = ["run", "MIN_TERMS"]

MIN_TERMS = 4
_SUMS = ("AddV2", "AddN")


def _is_sum(node: Node) -> bool:
    return node.type in _SUMS and is_plain(node) and not node.control_inputs


def _terms(root: Node, by_tensor: dict) -> list:
    """The tensors `root` adds up, through the sums that feed only the sum above them."""
    terms, stack = [], [(t, root) for t in reversed(root.inputs)]
    while stack:
        t, parent = stack.pop()
        node = t._node
        if _is_sum(node) and len(node.outputs) == 1 and by_tensor.get(id(t)) == [parent]:
            stack.extend((u, node) for u in reversed(node.inputs))
        else:
            terms.append(t)
    return terms


def _product(t, by_tensor: dict):
    """`(a, b, key)` when `t` is a rank-2 MatMul's result read only by a sum, else None."""
    node = t._node
    if (node.type != "MatMul" or not is_plain(node) or node.control_inputs
            or len(by_tensor.get(id(t), ())) != 1):
        return None
    a, b = node.inputs
    if a._value.shape is None or b._value.shape is None or len(a._value.shape) != 2 or len(
            b._value.shape) != 2:
        return None
    if node.attrs.get("adjoint_a") or node.attrs.get("adjoint_b"):
        return None
    flags = (bool(node.attrs.get("transpose_a")), bool(node.attrs.get("transpose_b")))
    return a, b, (flags, a._value.dtype, node.device, tuple(t._value.shape))


def _pays(products: list) -> bool:
    """Whether stacking the operands copies fewer elements than the adds read and write."""
    shape = products[0][2]
    copied = sum(int(_size(p[0])) + int(_size(p[1])) for p in products)
    added = 3 * (len(products) - 1) * shape[0] * shape[1]
    return None not in shape and copied <= added


def _size(t):
    size = 1
    for d in t._value.shape:
        if d is None:
            return float("inf")
        size *= d
    return size


def _op_node(graph, op_name: str, inputs: list, attrs: dict, like: Node) -> Node:
    """A registry op's node (not yet in `graph.nodes`), placed and named like `like`."""
    op = get_op(op_name)
    attrs = {**op.attrs, **attrs}
    specs = [TensorSpec(t._value.shape, _dt.from_numpy(t._value.dtype)) for t in inputs]
    inferred = op.infer(*specs, **attrs)
    if isinstance(inferred, TensorSpec):
        inferred = (inferred,)
    base = f"{like.scope}/{op.tf_name}" if like.scope else op.tf_name
    node = Node(graph, op.tf_name, op, graph.unique_name(base), inputs, attrs, like.device,
                like.source, like.scope, False)
    node.outputs = [SymbolicTensor(node, k, spec, like.device) for k, spec in enumerate(inferred)]
    return node


def run(graph) -> list[str]:
    """Merges sums of at least `MIN_TERMS` rank-2 products in `graph`; returns what it did.

    Args:
        graph: a `Graph` (its nodes in execution order).

    Returns:
        One line per merged sum: its node and how many products became one.
    """
    by_tensor = readers(graph)
    stacks = {}  # the graph's concatenations by their inputs: an order CSE can merge with
    for node in graph.nodes:
        if node.type == "ConcatV2":
            stacks.setdefault((frozenset(map(id, node.inputs)), node.attrs.get("axis")),
                              node)
    sub = Substitution()
    nodes, changes = [], []
    for node in graph.nodes:
        sub.apply_to_node(node)
        above = by_tensor.get(id(node.outputs[0]), [None]) if len(node.outputs) == 1 else ()
        if _is_sum(node) and len(node.outputs) == 1 and not (
                len(above) == 1 and above[0] is not None and _is_sum(above[0])):
            new = _merge(graph, node, by_tensor, stacks, changes)
            if new:
                nodes.extend(new)
                sub.replace(node.outputs[0], new[-1].outputs[0])
                continue
        nodes.append(node)
    if changes:
        graph.nodes = nodes
        sub.apply_to_outputs(graph)
    return changes


def _merge(graph, root: Node, by_tensor: dict, stacks: dict, changes: list) -> list:
    """The nodes that compute `root`'s sum with its products merged, or [] if none merge."""
    terms = _terms(root, by_tensor)
    groups: dict = {}
    for t in terms:
        found = _product(t, by_tensor)
        if found is not None:
            groups.setdefault(found[2], []).append((found[0], found[1], t._value.shape, t))
    new, merged_terms, done = [], [], set()
    for (flags, _, _, _), products in groups.items():
        if len(products) < MIN_TERMS or not _pays(products):
            continue
        a_axis = 0 if flags[0] else 1
        b_axis = 1 if flags[1] else 0
        for axis, side in ((b_axis, 1), (a_axis, 0)):  # follow an existing stack's order
            existing = stacks.get((frozenset(id(p[side]) for p in products), axis))
            if existing is not None and len(existing.inputs) == len(products):
                where = {id(t): k for k, t in enumerate(existing.inputs)}
                products.sort(key=lambda p, side=side: where[id(p[side])])
                break
        like = products[0][3]._node  # the products' device and scope
        stack_a = _op_node(graph, "ConcatV2", [p[0] for p in products], {"axis": a_axis}, like)
        stack_b = _op_node(graph, "ConcatV2", [p[1] for p in products], {"axis": b_axis}, like)
        product = _op_node(graph, "MatMul", [stack_a.outputs[0], stack_b.outputs[0]],
                           {"transpose_a": flags[0], "transpose_b": flags[1]}, like)
        new += [stack_a, stack_b, product]
        merged_terms.append(product.outputs[0])
        done.update(id(p[3]) for p in products)
        changes.append(f"{root.name}: {len(products)} MatMuls -> {product.name}")
    if not merged_terms:
        return []
    rest = merged_terms + [t for t in terms if id(t) not in done]
    total = rest[0]
    for t in rest[1:]:
        add = _op_node(graph, "AddV2", [total, t], {}, root)
        new.append(add)
        total = add.outputs[0]
    return new
