"""eagerlab's profiler: records the ops the engine runs, tabulates them, exports timelines.

It listens to the engine's op hook (`engine.hooks.subscribe("op", ...)`), which reports
every eagerly dispatched op and every node of a traced graph; `engine` never imports this
package. While no profile is active nothing is subscribed, so profiling costs nothing
when off.

- `Profile`: `with profiler.Profile() as prof: ...` records; then `prof.table()`,
  `prof.by_op()`, `prof.by_layer()`, `prof.time_split()` (kernels vs Python),
  `prof.memory()`, `prof.steps()`, `prof.events()` (plain data for widgets) and
  `prof.export_chrome_trace(path)` (Perfetto / chrome://tracing).
- `ProfileCallback`: profiles a range of batches during `model.fit`.
- `profiler.overhead`: measures what profiling costs (`python -m profiler.overhead`).

Example:
    >>> x = engine.ones([64, 64])
    >>> with profiler.Profile() as prof:
    ...     y = engine.nn.relu(x @ x)
    >>> sorted(row["op"] for row in prof.by_op())
    ['MatMul', 'Relu']
"""

from engine import hooks as _hooks
from profiler.callback import ProfileCallback
from profiler.profile import Profile

__all__ = ["Profile", "ProfileCallback"]


def _answer_profile_request(request: dict) -> None:
    """Gives `engine.keras.callbacks.TensorBoard(profile_batch=...)` its profiler."""
    try:
        request["callback"] = ProfileCallback(batches=request["batches"],
                                              log_dir=request["log_dir"])
    except ValueError as exc:
        request["error"] = exc


_hooks.subscribe("keras_profile_request", _answer_profile_request)
