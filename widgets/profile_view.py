"""`ProfileView`: a `profiler.Profile` as a zoomable timeline and its top tables.

The timeline is a plotly bar chart: one bar per recorded op, from its start to its end
(milliseconds since the profile started), on one row per layer (the op's name scope, cut
to `depth` components) or per thread, coloured by op type (the costliest `COLORED_OPS`
types get a colour each, the rest share one). Zoom with the mouse; hover shows the op, its
layer, input shapes and duration. Long profiles keep the `max_events` longest ops, and
the title says how many were left out. Beside it: the costliest ops and layers as HTML
tables. Outside a notebook (or with `EAGERLAB_WIDGETS=static`) the view shows
`prof.table()` as text.
"""

from __future__ import annotations

import html

from profiler.tables import format_ns
from widgets.environment import choose_mode

__all__ = ["ProfileView"]

COLORED_OPS = 10
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#bcbd22", "#17becf", "#7f7f7f"]
_OTHER_COLOR = "#c7c7c7"


class ProfileView:
    """A timeline of a profile's ops and tables of the costliest ops and layers.

    Args:
        profile: a stopped `profiler.Profile`.
        rows: "layer" (one timeline row per name scope) or "thread".
        depth: with rows="layer", how many scope components name a row (None: all).
        max_events: the most bars drawn (the longest ops are kept).
        top: rows in each table.
        mode: "auto", "widgets" or "static" (see `widgets.environment.choose_mode`).

    Raises:
        ValueError: for an unknown `rows`, or a profile with no ops recorded.

    Example:
        >>> import profiler
        >>> x = engine.ones([8, 8])
        >>> with profiler.Profile() as prof:
        ...     with engine.name_scope("dense"):
        ...         y = engine.nn.relu(x @ x)
        >>> view = ProfileView(prof)
        >>> view
        ProfileView(ops=2, rows='layer', timeline_rows=1)
        >>> sorted(trace.name for trace in view.figure().data)
        ['MatMul', 'Relu']
    """

    def __init__(self, profile, rows: str = "layer", depth: int | None = None,
                 max_events: int = 20_000, top: int = 15, mode: str | None = None):
        if rows not in ("layer", "thread"):
            raise ValueError(f"ProfileView: got rows={rows!r}; expected 'layer' (one row per "
                             "name scope) or 'thread'.")
        events = profile.events()
        if not events:
            raise ValueError("ProfileView: the profile recorded no ops; run some engine ops "
                             "inside `with profiler.Profile() as prof:` first.")
        self.profile = profile
        self.rows = rows
        self.depth = depth
        self.max_events = max_events
        self.top = top
        self.mode = choose_mode(mode)
        self._events = events

    def row_of(self, event: dict) -> str:
        """The timeline row an event is drawn on.

        Args:
            event: one of `profile.events()`.

        Returns:
            The layer path (cut to `depth`) or "thread N"; "(no scope)" for ops outside
            any layer.
        """
        if self.rows == "thread":
            return f"thread {event['thread']}"
        scope = event["scope"] or "(no scope)"
        return "/".join(scope.split("/")[:self.depth]) if self.depth else scope

    def timeline_rows(self) -> list:
        """The timeline's rows, in order of their first op."""
        return list(dict.fromkeys(self.row_of(e) for e in self._events))

    def figure(self):
        """The timeline as a static plotly `Figure` (one bar trace per coloured op type).

        Returns:
            A `plotly.graph_objects.Figure`.

        Raises:
            ImportError: if plotly is not installed.
        """
        import plotly.graph_objects as go  # noqa: PLC0415 - an optional dependency

        events = self._events
        dropped = max(len(events) - self.max_events, 0)
        if dropped:
            events = sorted(events, key=lambda e: e["dur_ns"], reverse=True)[:self.max_events]
        colored = [row["op"] for row in self.profile.by_op()[:COLORED_OPS]]
        groups: dict = {}
        for event in events:
            name = event["op"] if event["op"] in colored else "other"
            groups.setdefault(name, []).append(event)
        traces = []
        for name in colored + ["other"]:
            chosen = groups.get(name)
            if not chosen:
                continue
            color = _PALETTE[colored.index(name) % len(_PALETTE)] if name != "other" \
                else _OTHER_COLOR
            traces.append(go.Bar(
                name=name, orientation="h", marker_color=color,
                base=[e["start_ns"] / 1e6 for e in chosen],
                x=[max(e["dur_ns"], 1) / 1e6 for e in chosen],
                y=[self.row_of(e) for e in chosen],
                hovertext=[_hover(e) for e in chosen], hoverinfo="text"))
        rows = self.timeline_rows()
        title = f"{len(self._events)} ops"
        if dropped:
            title += f" ({dropped} shortest not drawn)"
        figure = go.Figure(traces)
        figure.update_layout(title=title, barmode="overlay", template="plotly_white",
                             height=min(max(250, 28 * len(rows) + 120), 2000),
                             xaxis={"title": "ms since the profile started"},
                             yaxis={"categoryorder": "array", "categoryarray": rows[::-1]},
                             margin={"l": 20, "r": 20, "t": 40, "b": 40},
                             uirevision="eagerlab")
        return figure

    def tables_html(self) -> str:
        """The costliest ops and layers as two HTML tables.

        Returns:
            HTML text.
        """
        ops = [[r["op"], r["calls"], format_ns(r["total_ns"]), format_ns(r["self_ns"]),
                f"{r['self_percent']:.1f}%"] for r in self.profile.by_op()[:self.top]]
        layers = [[r["layer"], r["ops"], format_ns(r["total_ns"]), format_ns(r["self_ns"]),
                   f"{r['total_percent']:.1f}%"] for r in self.profile.by_layer()[:self.top]]
        return (_table("Costliest ops", ["op", "calls", "total", "self", "self %"], ops)
                + _table("Costliest layers", ["layer", "ops", "total", "self", "total %"],
                         layers))

    def text(self) -> str:
        """The static fallback: `profile.table()` by op and by layer.

        Returns:
            Text.
        """
        return (self.profile.table(limit=self.top) + "\n\n"
                + self.profile.table(group_by="layer", limit=self.top))

    def view(self):
        """The widget: the timeline as a `FigureWidget` and the tables (needs ipywidgets).

        Returns:
            A `widgets.view.DashboardBox` (an `ipywidgets.VBox`) whose plain-text repr is
            this view's, without timings (what a notebook saves as `text/plain`).
        """
        import ipywidgets  # noqa: PLC0415 - optional
        import plotly.graph_objects as go  # noqa: PLC0415

        from widgets.view import DashboardBox  # noqa: PLC0415 - imports ipywidgets

        return DashboardBox(self, children=[go.FigureWidget(self.figure()),
                                            ipywidgets.HTML(self.tables_html())])

    def __repr__(self) -> str:
        return (f"ProfileView(ops={len(self._events)}, rows={self.rows!r}, "
                f"timeline_rows={len(self.timeline_rows())})")

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.mode != "widgets":
            return {"text/plain": self.text()}
        return self.view()._repr_mimebundle_(include=include, exclude=exclude)


def _hover(event: dict) -> str:
    shapes = ", ".join(str(tuple(s)) for s in event["input_shapes"])
    return (f"<b>{html.escape(event['op'])}</b> {format_ns(event['dur_ns'])}<br>"
            f"layer: {html.escape(event['scope'] or '(no scope)')}<br>"
            f"inputs: {html.escape(shapes)}<br>bytes: {event['bytes']}")


def _table(title: str, header: list, rows: list) -> str:
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<h4>{html.escape(title)}</h4><table><tr>{head}</tr>{body}</table>"
