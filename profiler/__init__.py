"""eagerlab's profiler: listens to `engine.hooks` op events and exports timelines.

It arrives with the workbench issue; this package has no public names yet. `engine`
never imports it.
"""

__all__: list[str] = []
