"""eagerlab's notebook workbench: live training dashboard, step debugger, graph views.

The widgets are built on `engine` (its hooks, Keras callbacks and plain data objects) and
arrive with the workbench issue; this package has no public names yet. `engine` never
imports it.
"""

__all__: list[str] = []
