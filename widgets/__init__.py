"""eagerlab's notebook workbench: live training dashboard, step debugger, graph views.

The widgets are built on `engine` (its hooks, Keras callbacks and plain data objects);
`engine` never imports this package. Importing it needs no widget library: ipywidgets,
plotly and anywidget (the `widgets` extra) load only when a widget is drawn, and every
widget falls back to text outside a notebook.

| name                | what it is                                                     |
|---------------------|----------------------------------------------------------------|
| `TrainingDashboard` | a Keras callback: live progress, charts and controls for `fit` |
| `TrainingController`| the dashboard's logic (state machine, timing, chart history)   |
| `MinMaxSeries`      | a bounded, downsampled series for charts of long runs          |
| `LayerGraph`        | a model's layers as a graph (Sequential, functional, subclassed)|
| `OpGraph`           | a traced function's ops, fused nodes marked, before/after passes|
| `ProfileView`       | a `profiler.Profile` as a zoomable timeline and top tables     |
| `StepDebugger`      | `train_step` one batch at a time: every layer, weight, NaN     |
| `NanLocator`        | a Keras callback: the layer and op behind a NaN in graph-mode `fit`|

Inside: `history` (bounded series), `controller` (state machine, timing), `progress` and
`throttle` (its snapshot and rate limit), `formatting` (shared text), `static` (the text
view), `charts`, `controls` and `view` (the ipywidgets + plotly view), `environment`
(which view, and how clicks reach a busy cell), `dashboard` (the callback tying them).
"""

from widgets.controller import TrainingController
from widgets.dashboard import TrainingDashboard
from widgets.debugger import StepDebugger
from widgets.graphs import LayerGraph, OpGraph
from widgets.history import MinMaxSeries
from widgets.nan_locator import NanLocator
from widgets.profile_view import ProfileView

__all__ = ["TrainingDashboard", "TrainingController", "MinMaxSeries", "LayerGraph", "OpGraph",
           "ProfileView", "StepDebugger", "NanLocator"]
