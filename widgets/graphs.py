"""`LayerGraph` and `OpGraph`: a model's layers and a traced function's ops, drawn top-down.

Both draw a `widgets.graph_data.ScopedGraph` laid out by `widgets.layout` (no graphviz):
nodes as plotly markers with labels, edges as line segments, hover text with the layer
config or the op's attributes and shapes. Scopes start collapsed into one node each where
the graph is large (a nested model, a layer's ops); `expand(scope)` and `collapse(scope)`
open and close them. `figure()` is a static `go.Figure` (docs, nbval); in a notebook the
widget is a `go.FigureWidget` plus an HTML panel that shows a clicked node's details (a
click on a closed scope also opens it). The text repr is stable.

Sources: a Sequential or functional model's `layer_graph()`; for a subclassed model, which
has no layer wiring, one traced call (`input_spec=`) grouped by name scope (the layer path).
`OpGraph` draws `concrete.graph` (optimized); its "before" graphs are traced again with
the passes up to a point switched off (`stage=`), the optimizer options then restored.
"""

from __future__ import annotations

import html
import json

from widgets.environment import choose_mode
from widgets.graph_data import (
    ScopedGraph,
    from_graph,
    from_layer_graph,
    layer_details,
    layer_paths,
    passes_enabled,
    trace_model,
)
from widgets.layout import layered_layout

__all__ = ["LayerGraph", "OpGraph"]

# (kind, legend name, color, marker symbol), in trace order.
NODE_STYLES = [("input", "input", "#7f7f7f", "circle"), ("layer", "layer", "#1f77b4", "square"),
               ("op", "op", "#1f77b4", "square"), ("fused", "fused op", "#d62728", "diamond"),
               ("model", "nested model (closed)", "#2ca02c", "square-open"),
               ("group", "scope (closed)", "#ff7f0e", "square-open")]
AUTO_COLLAPSE = 200  # graphs with more nodes start with every scope closed


class _GraphView:
    """What `LayerGraph` and `OpGraph` share: expansion state, layout, drawing, display."""

    title = ""
    control_edges = True

    def __init__(self, scoped: ScopedGraph, expanded: set, mode: str | None):
        self.mode = choose_mode(mode)
        self._scoped = scoped
        self._expanded = set(expanded)
        self._widget = None
        self._panel = None
        self._box = None
        self._relayout()

    # --- state --------------------------------------------------------------------------
    @property
    def nodes(self) -> list:
        """The drawn nodes (dicts: `key`, `label`, `kind`, `details`, `members`)."""
        return self._nodes

    @property
    def edges(self) -> list:
        """The drawn edges: `(source key, target key, control)`."""
        return self._edges

    @property
    def scopes(self) -> list:
        """Every scope path ("a/b") that can be expanded or collapsed."""
        return ["/".join(s) for s in self._scoped.scopes]

    def expand(self, scope: str):
        """Opens a scope (and those around it): its nodes are drawn one by one.

        Args:
            scope: a scope path from `scopes`, e.g. "block" or "block/dense_4".

        Returns:
            self, redrawn.

        Raises:
            ValueError: for an unknown scope, listing some known ones.
        """
        path = self._check_scope(scope)
        self._expanded.update(path[:k] for k in range(1, len(path) + 1))
        return self._changed()

    def collapse(self, scope: str):
        """Closes a scope (and those inside it) into one node.

        Args:
            scope: a scope path from `scopes`.

        Returns:
            self, redrawn.

        Raises:
            ValueError: for an unknown scope.
        """
        path = self._check_scope(scope)
        self._expanded = {s for s in self._expanded if s[:len(path)] != path}
        return self._changed()

    def _check_scope(self, scope: str) -> tuple:
        path = tuple(scope.strip("/").split("/"))
        if path not in self._scoped.scopes:
            known = ", ".join(self.scopes[:8]) or "none"
            raise ValueError(f"{type(self).__name__}: got scope {scope!r}, which is not in "
                             f"this graph; expected one of: {known}"
                             f"{' ...' if len(self.scopes) > 8 else ''} (see .scopes).")
        return path

    def _changed(self):
        self._relayout()
        if self._widget is not None:
            _update_traces(self._widget, self._nodes, self._edges, self.layout)
        return self

    def _relayout(self) -> None:
        self._nodes, self._edges = self._scoped.visible(self._expanded, self.control_edges)
        self.layout = layered_layout([n["key"] for n in self._nodes],
                                     [(s, t) for s, t, _ in self._edges])

    # --- drawing ------------------------------------------------------------------------
    def figure(self):
        """The graph as a static plotly `Figure` (for docs, reports and nbval).

        Returns:
            A `plotly.graph_objects.Figure`: one trace of edges, one of control edges,
            then one per node kind (`NODE_STYLES`).

        Raises:
            ImportError: if plotly is not installed.
        """
        return _build_figure(self._nodes, self._edges, self.layout, self.title, live=False)

    def details_html(self, key) -> str:
        """A node's details as an HTML table (what the panel shows on click).

        Args:
            key: a node's `key` (from `nodes`).

        Returns:
            HTML text.
        """
        node = next(n for n in self._nodes if n["key"] == key)
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                       f"<td><code>{html.escape(_text(v))}</code></td></tr>"
                       for k, v in node["details"].items())
        return f"<b>{html.escape(node['id'])}</b><table>{rows}</table>"

    def view(self):
        """The interactive widget: a `FigureWidget` and a details panel (needs ipywidgets).

        Made once; later calls return the same box. Its plain-text repr is this graph's
        (stable, for saved notebooks), not the figure's data.

        Returns:
            A `widgets.view.DashboardBox` (an `ipywidgets.VBox`).
        """
        import ipywidgets  # noqa: PLC0415 - optional
        import plotly.graph_objects as go  # noqa: PLC0415

        from widgets.view import DashboardBox  # noqa: PLC0415 - imports ipywidgets

        if self._box is None:
            self._widget = go.FigureWidget(self.figure())
            self._panel = ipywidgets.HTML("<i>click a node for its details</i>")
            for trace in self._widget.data[2:]:
                trace.on_click(self._clicked)
            self._box = DashboardBox(self, children=self._controls() + [self._widget,
                                                                         self._panel])
        return self._box

    def _controls(self) -> list:
        return []

    def _clicked(self, trace, points, selector) -> None:
        for index in points.point_inds:
            key = _key_from_json(trace.customdata[index])
            self._panel.value = self.details_html(key)
            if key[0] == "group":
                self.expand("/".join(key[1]))

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.mode != "widgets":
            return {"text/plain": repr(self)}
        return self.view()._repr_mimebundle_(include=include, exclude=exclude)


class LayerGraph(_GraphView):
    """A model's layers as a graph: output shapes, parameter counts, nested models.

    Sequential and functional models are drawn from `model.layer_graph()`; nested models
    start closed (`expand("block")` opens one). A subclassed model has no wiring to read,
    so give `input_spec` and it is traced once and its ops grouped by layer (the name
    scopes); each layer then opens into its ops. Without `input_spec` a subclassed model's
    layers are drawn unconnected and `note` says why.

    Args:
        model: a Keras model.
        input_spec: for subclassed models, an `engine.TensorSpec` or an example batch.
        mode: "auto", "widgets" or "static" (see `widgets.environment.choose_mode`).

    Example:
        >>> model = engine.keras.Sequential([engine.keras.layers.Dense(4, input_shape=(3,)),
        ...                                  engine.keras.layers.Dense(2)], name="net")
        >>> LayerGraph(model)
        LayerGraph(model='net', nodes=2, edges=1)
        >>> [n["details"]["output shape"] for n in LayerGraph(model).nodes]
        [[None, 4], [None, 2]]
    """

    control_edges = False  # the order of variable reads says nothing about the layers

    def __init__(self, model, input_spec=None, mode: str | None = None):
        from engine.keras.models.functional import Functional  # noqa: PLC0415
        from engine.keras.models.sequential import Sequential  # noqa: PLC0415

        self.model = model
        self.title = f"model {model.name!r}"
        self.note = ""
        if input_spec is not None:
            scoped = trace_model(model, input_spec)
        else:
            scoped = from_layer_graph(model.layer_graph())
            layers = dict(layer_paths(model))
            for node in scoped.nodes:
                layer = layers.get(tuple(node["id"].split("/")))
                if layer is not None and layer.built:
                    node["details"]["weights"] = layer_details(layer)["weights"]
            if not isinstance(model, (Sequential, Functional)) and len(scoped.nodes) > 1:
                self.note = ("subclassed model: its layers are not wired in data; pass "
                             "input_spec= (a TensorSpec or a batch) to trace one call")
        super().__init__(scoped, set(), mode)

    def __repr__(self) -> str:
        note = ", unconnected" if self.note else ""
        return (f"LayerGraph(model={self.model.name!r}, nodes={len(self.nodes)}, "
                f"edges={len(self.edges)}{note})")


class OpGraph(_GraphView):
    """A traced function's op graph, after optimization, with fused ops marked.

    A node that may run a compiled CPU kernel (`ConcreteFunction.cpu_kernels()`) says in its
    details which one it runs ("compiled", or "numpy: <why>") as of when the widget is made.

    `stages()` names the graph after each pass that changed something (the first stage is
    the graph as traced, no passes); `show(stage)` draws one of them (traced again with
    only the passes before it on). Graphs above `AUTO_COLLAPSE` ops start with every name
    scope closed.

    Args:
        concrete_function: an `engine.function(...).get_concrete_function(...)`.
        mode: "auto", "widgets" or "static".

    Example:
        >>> f = engine.function(lambda x: engine.nn.relu(x * 2.0 + 1.0))
        >>> graph = OpGraph(f.get_concrete_function(engine.TensorSpec([3])))
        >>> graph
        OpGraph(function='<lambda>', nodes=2, edges=1, stage='optimized')
        >>> graph.stages()[0], graph.show("traced").nodes[-1]["label"]
        ('traced', 'Relu')
    """

    def __init__(self, concrete_function, mode: str | None = None):
        self.concrete = concrete_function
        self.stage = "optimized"
        self._toggle = None
        self.title = f"function {concrete_function.graph.name!r}"
        self._graphs = {"optimized": from_graph(concrete_function.graph)}
        scoped = self._graphs["optimized"]
        kernels = {k["node"]: k["status"] for k in concrete_function.cpu_kernels()}
        for node in scoped.nodes:  # which kernel a node runs on the CPU (hover text)
            status = kernels.get(node["details"].get("name"))
            if status is not None:
                node["details"]["cpu kernel"] = status
        super().__init__(scoped, self._default_expanded(scoped), mode)

    @staticmethod
    def _default_expanded(scoped: ScopedGraph) -> set:
        return set() if len(scoped.nodes) > AUTO_COLLAPSE else set(scoped.scopes)

    def stages(self) -> list:
        """The graphs one can show: "traced", "after <pass>" per pass that changed the
        main graph, and "optimized".

        Returns:
            A list of stage names, in pass order.
        """
        passes = [entry["pass"] for entry in self.concrete.pass_report
                  if entry["graph"] == self.concrete.graph.name and entry["changes"]]
        return ["traced"] + [f"after {name}" for name in passes[:-1]] + ["optimized"]

    def show(self, stage: str):
        """Draws the graph at a stage of optimization.

        Args:
            stage: one of `stages()`.

        Returns:
            self, redrawn.

        Raises:
            ValueError: for an unknown stage.
            TypeError: if the function cannot be traced again (its Python function takes
                arguments that are not in the signature).
        """
        names = self.stages()
        if stage not in names:
            raise ValueError(f"OpGraph.show: got stage {stage!r}; expected one of {names}.")
        if stage not in self._graphs:
            self._graphs[stage] = from_graph(self._retrace(stage))
        self.stage = stage
        self._scoped = self._graphs[stage]
        self._expanded = self._default_expanded(self._scoped)
        self._changed()
        if self._toggle is not None:
            # After `self.stage` is set, so `_stage_picked` sees no change: no second redraw.
            self._toggle.value = stage
        return self

    def _retrace(self, stage: str):
        import engine  # noqa: PLC0415
        from engine.graph.passes import PASSES  # noqa: PLC0415

        order = [name for name, _ in PASSES]
        enabled = [] if stage == "traced" else order[:order.index(stage[len("after "):]) + 1]
        args, kwargs = self.concrete.structured_input_signature
        with passes_enabled(enabled):
            function = engine.function(self.concrete._python_function)
            return function.get_concrete_function(*args, **kwargs).graph

    def _controls(self) -> list:
        import ipywidgets  # noqa: PLC0415

        self._toggle = ipywidgets.ToggleButtons(options=self.stages(), value=self.stage,
                                                description="graph:")
        self._toggle.observe(self._stage_picked, names="value")
        return [self._toggle]

    def _stage_picked(self, change: dict) -> None:
        # A click shows the stage; `show` setting the toggle itself changes nothing here.
        if change["new"] != self.stage:
            self.show(change["new"])

    def __repr__(self) -> str:
        ops = len(self._scoped.nodes)
        collapsed = f", ops={ops}, collapsed" if ops != len(self.nodes) else ""
        return (f"OpGraph(function={self.concrete.graph.name!r}, nodes={len(self.nodes)}, "
                f"edges={len(self.edges)}, stage={self.stage!r}{collapsed})")


# --- plotly ---------------------------------------------------------------------------
def _trace_data(nodes: list, edges: list, layout) -> list:
    """Per trace (edges, control edges, then each node kind): its x, y, text, hover, keys."""
    pos = layout.positions
    out = []
    for control in (False, True):
        x, y = [], []
        for source, target, is_control in edges:
            if is_control == control:
                x += [pos[source][0], pos[target][0], None]
                y += [pos[source][1], pos[target][1], None]
        out.append({"x": x, "y": y})
    for kind, *_ in NODE_STYLES:
        chosen = [n for n in nodes if n["kind"] == kind]
        out.append({"x": [pos[n["key"]][0] for n in chosen],
                    "y": [pos[n["key"]][1] for n in chosen],
                    "text": [n["label"] for n in chosen],
                    "hovertext": [_hover(n) for n in chosen],
                    "customdata": [json.dumps(n["key"]) for n in chosen]})
    return out


def _build_figure(nodes: list, edges: list, layout, title: str, live: bool):
    import plotly.graph_objects as go  # noqa: PLC0415 - an optional dependency

    data = _trace_data(nodes, edges, layout)
    traces = [go.Scatter(name="edge", mode="lines", hoverinfo="skip", showlegend=False,
                         line={"color": "#b0b0b0", "width": 1}, **data[0]),
              go.Scatter(name="control edge", mode="lines", hoverinfo="skip",
                         line={"color": "#b0b0b0", "width": 1, "dash": "dot"}, **data[1])]
    for (_, name, color, symbol), d in zip(NODE_STYLES, data[2:]):
        traces.append(go.Scatter(name=name, mode="markers+text", textposition="middle right",
                                 hoverinfo="text", marker={"size": 14, "color": color,
                                                           "symbol": symbol}, **d))
    height = min(max(300, 70 * len(layout.layers) + 100), 4000)
    figure = go.Figure(traces)
    figure.update_layout(title=title, height=height, template="plotly_white",
                         margin={"l": 20, "r": 20, "t": 40, "b": 20}, hovermode="closest",
                         xaxis={"visible": False}, yaxis={"visible": False},
                         uirevision="eagerlab")
    return go.FigureWidget(figure) if live else figure


def _update_traces(widget, nodes: list, edges: list, layout) -> None:
    with widget.batch_update():
        for trace, d in zip(widget.data, _trace_data(nodes, edges, layout)):
            trace.update(**d)
        widget.layout.height = min(max(300, 70 * len(layout.layers) + 100), 4000)


def _hover(node: dict) -> str:
    lines = [f"<b>{html.escape(node['id'])}</b>"]
    for key, value in node["details"].items():
        text = _text(value)
        lines.append(f"{html.escape(str(key))}: {html.escape(text[:200])}")
    return "<br>".join(lines)


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _key_from_json(text: str) -> tuple:
    kind, value = json.loads(text)
    return (kind, tuple(value)) if kind == "group" else (kind, value)
