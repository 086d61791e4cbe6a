"""Graphs for the graph views as plain data: nodes with name scopes, collapsible by scope.

`ScopedGraph` holds the finest nodes (layers, or ops) and their edges; each node has a
scope path. `visible(expanded)` shows every scope not in `expanded` as one group node, so a
10,000-op graph starts as its top-level scopes and opens one scope at a time.

The builders: `from_layer_graph` (a Sequential or functional model's `layer_graph()`;
nested models become scopes), `from_graph` (a traced `engine.Graph`: ops, grouped by their
name scope, which is the layer path), and `trace_model` (a subclassed model, traced once
on an input spec, since it has no layer wiring of its own).
"""

from __future__ import annotations

import contextlib
import json

import numpy as np

import engine
from engine.graph.passes import get_experimental_options, set_experimental_options

__all__ = ["ScopedGraph", "from_layer_graph", "from_graph", "trace_model", "passes_enabled",
           "layer_paths", "layer_details"]


class ScopedGraph:
    """Nodes with scope paths, and edges; shows scopes collapsed or expanded.

    Args:
        nodes: dicts with `id` (unique str), `scope` (tuple of str), `label`, `kind`
            ("input", "layer", "op" or "fused"), `details` (a dict shown on hover / click).
        edges: `(source id, target id, control)` triples.
        groups: `{scope tuple: details dict}` for scopes with details of their own (a
            nested model's class and parameters).

    Example:
        >>> g = ScopedGraph([{"id": "x", "scope": (), "label": "x", "kind": "input",
        ...                   "details": {}},
        ...                  {"id": "d/MatMul", "scope": ("d",), "label": "MatMul",
        ...                   "kind": "op", "details": {}}], [("x", "d/MatMul", False)])
        >>> nodes, edges = g.visible(set())
        >>> [n["label"] for n in nodes], edges
        (['x', 'd'], [(('node', 'x'), ('group', ('d',)), False)])
    """

    def __init__(self, nodes: list, edges: list, groups: dict | None = None):
        self.nodes = nodes
        self.edges = edges
        self.groups = groups or {}
        self.scopes = sorted({n["scope"][:k] for n in nodes
                              for k in range(1, len(n["scope"]) + 1)})

    def key_of(self, node: dict, expanded: set) -> tuple:
        """The visible node that stands for `node`: itself or its outermost closed scope."""
        scope = node["scope"]
        for k in range(1, len(scope) + 1):
            if scope[:k] not in expanded:
                return ("group", scope[:k])
        return ("node", node["id"])

    def visible(self, expanded: set, control: bool = True) -> tuple[list, list]:
        """The nodes and edges to draw with the scopes in `expanded` open.

        Args:
            expanded: scope tuples to show opened; every other scope is one node.
            control: also return control edges (a data edge wins where both join a pair).

        Returns:
            `(nodes, edges)`: node dicts with `key`, `label`, `kind`, `details`, `members`
            (node count, for groups), in first-appearance order; edges as `(source key,
            target key, control)`, without repeats or self-loops.
        """
        by_id, shown = {}, {}
        for node in self.nodes:
            key = self.key_of(node, expanded)
            by_id[node["id"]] = key
            if key in shown:
                shown[key]["members"] += 1
                continue
            if key[0] == "node":
                shown[key] = dict(node, key=key, members=1)
            else:
                scope = key[1]
                details = dict(self.groups.get(scope, {}))
                details.setdefault("scope", "/".join(scope))
                kind = details.pop("kind", "group")
                shown[key] = {"key": key, "id": "/".join(scope), "scope": scope,
                              "label": scope[-1], "kind": kind, "details": details,
                              "members": 1}
        for item in shown.values():
            if item["key"][0] == "group":
                item["details"]["nodes inside"] = item["members"]
        pairs = {}
        for source, target, is_control in self.edges:
            pair = (by_id[source], by_id[target])
            if pair[0] != pair[1] and (control or not is_control):
                pairs[pair] = pairs.get(pair, True) and is_control
        return list(shown.values()), [(s, t, c) for (s, t), c in pairs.items()]


def from_layer_graph(data: dict, prefix: tuple = ()) -> ScopedGraph:
    """A model's `layer_graph()` as a `ScopedGraph`; nested models become scopes.

    Edges into a nested model go to its first layers, edges out of it leave its last.

    Args:
        data: `model.layer_graph()`.
        prefix: the scope path of `data` (for nested models).

    Returns:
        A `ScopedGraph` with one node per (innermost) layer.

    Example:
        >>> Dense = engine.keras.layers.Dense
        >>> model = engine.keras.Sequential([Dense(2, input_shape=(3,), name="a"),
        ...                                  Dense(1, name="b")])
        >>> g = from_layer_graph(model.layer_graph())
        >>> [n["id"] for n in g.nodes], [e[:2] for e in g.edges]
        (['a', 'b'], [('a', 'b')])
    """
    nodes, edges, groups = [], [], {}
    entries, exits = {}, {}
    for item in data["nodes"]:
        path = prefix + (item["id"],)
        details = _layer_details(item)
        if "subgraph" in item:
            inner = from_layer_graph(item["subgraph"], path)
            nodes += inner.nodes
            edges += inner.edges
            groups.update(inner.groups)
            groups[path] = dict(details, kind="model")
            targets = {t for _, t, _ in inner.edges}
            sources = {s for s, _, _ in inner.edges}
            ids = [n["id"] for n in inner.nodes]
            entries[item["id"]] = [i for i in ids if i not in targets] or ids[:1]
            exits[item["id"]] = [i for i in ids if i not in sources] or ids[-1:]
            continue
        node_id = "/".join(path)
        kind = "input" if item["class_name"] == "InputLayer" else "layer"
        nodes.append({"id": node_id, "scope": prefix, "label": item["id"], "kind": kind,
                      "details": details})
        entries[item["id"]] = exits[item["id"]] = [node_id]
    for edge in data["edges"]:
        for source in exits[edge["source"]]:
            edges.extend((source, target, False) for target in entries[edge["target"]])
    return ScopedGraph(nodes, edges, groups)


def from_graph(graph, strip_scope: str = "") -> ScopedGraph:
    """A traced `engine.Graph` as a `ScopedGraph` of ops grouped by name scope.

    Args:
        graph: an `engine.Graph` (a `ConcreteFunction`'s `.graph`).
        strip_scope: a leading scope component to drop (a model's own name).

    Returns:
        A `ScopedGraph` with one node per op; fused ops have kind "fused".

    Example:
        >>> f = engine.function(lambda x: engine.nn.relu(x * 2.0))
        >>> g = from_graph(f.get_concrete_function(engine.TensorSpec([3])).graph)
        >>> [n["label"] for n in g.nodes]
        ['x', 'Fused']
    """
    nodes, edges = [], []
    for n in graph.nodes:
        scope = tuple(n.scope.split("/")) if n.scope else ()
        if strip_scope and scope[:1] == (strip_scope,):
            scope = scope[1:]
        members = list(n.info.get("members", ()))
        kind = "input" if n.type == "Placeholder" else "fused" if members else "op"
        details = {"op": n.type, "name": n.name,
                   "shapes": [_shape(t.shape) for t in n.outputs],
                   "dtypes": [t.dtype.name for t in n.outputs]}
        if n.attrs:
            details["attrs"] = {k: _short(v) for k, v in n.attrs.items()}
        if members:
            details["fused ops"] = members
        label = n.name.rsplit("/", 1)[-1] if kind == "input" else n.type
        nodes.append({"id": n.name, "scope": scope, "label": label, "kind": kind,
                      "details": details})
        edges += [(t._node.name, n.name, False) for t in n.inputs]
        edges += [(c.name, n.name, True) for c in n.control_inputs]
    return ScopedGraph(nodes, edges)


@contextlib.contextmanager
def passes_enabled(names):
    """Turns on exactly the optimization passes in `names` (all others off), then restores.

    Args:
        names: pass option names (see `engine.graph.passes.PASSES`).

    Returns:
        A context manager; the previous options come back when it exits.

    Example:
        >>> with passes_enabled([]):
        ...     get_experimental_options()["constant_folding"]
        False
    """
    from engine.graph.passes import PASSES  # noqa: PLC0415

    saved = get_experimental_options()
    set_experimental_options({name: name in names for name, _ in PASSES})
    try:
        yield
    finally:
        set_experimental_options(saved)


def trace_model(model, input_spec) -> ScopedGraph:
    """Traces `model` once on `input_spec` (passes off) and groups its ops by layer.

    Args:
        model: a Keras model (any kind; meant for subclassed ones).
        input_spec: an `engine.TensorSpec`, or an array whose shape (batch dimension left
            open) and dtype give one.

    Returns:
        A `ScopedGraph` whose top-level scopes are the model's layers.

    Example:
        >>> class Net(engine.keras.Model):
        ...     def __init__(self):
        ...         super().__init__(name="net")
        ...         self.a = engine.keras.layers.Dense(2, name="a")
        ...     def call(self, x):
        ...         return self.a(x)
        >>> g = trace_model(Net(), engine.TensorSpec([None, 3]))
        >>> g.scopes, g.groups[("a",)]["output shape"]
        ([('a',)], [None, 2])
    """
    if not isinstance(input_spec, engine.TensorSpec):
        array = np.asarray(input_spec)
        input_spec = engine.TensorSpec([None] + list(array.shape[1:]), array.dtype)
    with passes_enabled([]):
        concrete = engine.function(lambda x: model(x, training=False)).get_concrete_function(
            input_spec)
    scoped = from_graph(concrete.graph, strip_scope=model.name)
    layers = dict(layer_paths(model))
    outputs = {t._node.name for t in concrete.graph.outputs}
    for scope in scoped.scopes:
        if scope in layers:
            shape = _scope_output_shape(scoped.nodes, scoped.edges, scope, outputs)
            kind = "model" if hasattr(layers[scope], "layer_graph") else "layer"
            scoped.groups[scope] = dict(layer_details(layers[scope], shape), kind=kind)
    return scoped


def layer_paths(layer, prefix: tuple = ()):
    """Every sublayer of `layer` with its scope path (a tuple of names), outer first.

    Args:
        layer: a Keras layer or model.
        prefix: the path of `layer` itself.

    Returns:
        An iterator of `(path, layer)`.

    Example:
        >>> inner = engine.keras.Sequential([engine.keras.layers.Dense(2, name="d")],
        ...                                 name="inner")
        >>> [path for path, _ in layer_paths(engine.keras.Sequential([inner]))]
        [('inner',), ('inner', 'd')]
    """
    for child in layer._flatten_layers(include_self=False, recursive=False):
        path = prefix + (child.name,)
        yield path, child
        yield from layer_paths(child, path)


def _scope_output_shape(nodes: list, edges: list, scope: tuple, outputs: set):
    """The shape of the last tensor that leaves `scope` (to another node or as an output)."""
    inside = {n["id"] for n in nodes if n["scope"][:len(scope)] == scope}
    leaving = {s for s, t, control in edges if s in inside and t not in inside and not control}
    leaving |= inside & outputs
    last = [n for n in nodes if n["id"] in leaving][-1:]
    return last[0]["details"]["shapes"][0] if last and last[0]["details"]["shapes"] else None


def _layer_details(item: dict) -> dict:
    return {"class": item["class_name"], "output shape": item.get("output_shape"),
            "params": item.get("params", 0),
            "trainable params": item.get("trainable_params", 0),
            "config": item.get("config", {})}


def layer_details(layer, output_shape=None) -> dict:
    """What a layer's node shows: class, output shape, parameters, weights, config.

    Args:
        layer: a Keras layer.
        output_shape: its output shape, if known.

    Returns:
        A dict (JSON-able values).

    Example:
        >>> layer_details(engine.keras.layers.Dense(2))["params"]
        0
    """
    details = {"class": type(layer).__name__, "output shape": output_shape,
               "params": sum(int(np.prod(w.shape.as_list())) for w in layer.weights),
               "weights": {w.name: [w.shape.as_list(), "trainable" if w.trainable else
                                    "frozen"] for w in layer.weights}}
    try:
        details["config"] = layer.get_config()
    except NotImplementedError:
        pass
    return details


def _shape(shape) -> list | None:
    return None if shape.rank is None else shape.as_list()


def _short(value, limit: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."
