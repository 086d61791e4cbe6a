"""Where the dashboard runs: widgets or text, and how button clicks reach a busy cell.

A Jupyter kernel handles widget events (button clicks) only between cell executions, so
while `fit` runs in a cell, clicks wait in the kernel's queue. `jupyter-ui-poll` lets the
running cell process them: inside `with ui_events() as poll:`, each `poll(n)` handles up
to n queued messages (comm messages from widgets run their handlers right there; other
cells' execute requests are held and replayed when the cell ends). That was verified on
ipykernel 6 in JupyterLab 4; on ipykernel 7 clicks still wait for the cell to end, so the
dashboard does not poll there and says so (pin `ipykernel>=6.29,<7`, as the `widgets`
extra does).

`choose_mode` picks the view: `EAGERLAB_WIDGETS=static` (or `mode="static"`) forces the
text view; `widgets` forces widgets; by default widgets run inside a Jupyter kernel with
ipywidgets, plotly and anywidget installed, and text runs anywhere else.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading

__all__ = ["choose_mode", "in_kernel", "make_poller", "KernelEventPoller", "NoEventPoller",
           "IdleKernelPoller", "ENV_VAR"]

ENV_VAR = "EAGERLAB_WIDGETS"
_MODES = ("auto", "widgets", "static")
_WIDGET_PACKAGES = ("ipywidgets", "plotly", "anywidget")
INSTALL_HINT = "pip install 'eagerlab[widgets]' (ipywidgets, plotly, anywidget, jupyter-ui-poll)"


def in_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (a notebook), not a terminal or script.

    Returns:
        True inside an IPython kernel (JupyterLab, Notebook, VS Code, Colab).

    Example:
        >>> in_kernel()  # doctests run outside a kernel
        False
    """
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython  # noqa: PLC0415 - only when IPython is loaded already

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def choose_mode(mode: str | None = None) -> str:
    """Picks the dashboard's view: "widgets" or "static".

    Args:
        mode: "auto", "widgets", "static", or None to read `EAGERLAB_WIDGETS` (default
            "auto": widgets inside a kernel with the widget packages installed).

    Returns:
        "widgets" or "static".

    Raises:
        ValueError: for an unknown mode.
        ImportError: for "widgets" when ipywidgets, plotly or anywidget is missing.

    Example:
        >>> choose_mode("static")
        'static'
        >>> choose_mode("auto")  # not in a notebook here
        'static'
    """
    source = "mode"
    if mode is None:
        mode, source = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto", ENV_VAR
    if mode not in _MODES:
        raise ValueError(f"TrainingDashboard: {source} must be one of {_MODES}; got "
                         f"{mode!r}. Use 'static' for text output, 'widgets' for the live "
                         "widget, or 'auto' to pick by environment.")
    missing = [name for name in _WIDGET_PACKAGES if importlib.util.find_spec(name) is None]
    if mode == "widgets" and missing:
        raise ImportError(f"TrainingDashboard: the widget view needs {', '.join(missing)}, "
                          f"which is not installed. Install it with: {INSTALL_HINT}; or set "
                          f"{ENV_VAR}=static for text output.")
    if mode == "auto":
        return "widgets" if in_kernel() and not missing else "static"
    return mode


class NoEventPoller:
    """A poller that delivers nothing: outside a kernel, or where polling cannot work.

    Args:
        reason: why clicks cannot reach a running cell here (shown by the dashboard), or
            "" when there are no controls to reach.

    Example:
        >>> poller = NoEventPoller("not in a notebook")
        >>> poller.open(); poller.poll(); poller.close()
        >>> poller.live
        False
    """

    live = False

    def __init__(self, reason: str = ""):
        self.reason = reason

    def open(self) -> None:
        """Does nothing."""

    def poll(self) -> None:
        """Does nothing."""

    def close(self) -> None:
        """Does nothing."""


class KernelEventPoller:
    """Handles queued widget events while a cell runs, with `jupyter_ui_poll.ui_events`.

    `open()` at the start of `fit`, `poll()` between batches, `close()` at the end. The
    cell's end also closes it (a `post_run_cell` hook), so a `fit` that raises leaves no
    polling thread behind.

    Args:
        events_per_poll: the most messages one `poll()` handles.

    Example:
        >>> poller = KernelEventPoller()
        >>> poller.live
        True
    """

    live = True
    reason = ""

    def __init__(self, events_per_poll: int = 10):
        self.events_per_poll = events_per_poll
        self._context = None
        self._poll = None
        self._shell = None

    def open(self) -> None:
        """Starts intercepting kernel messages for this cell."""
        from IPython import get_ipython  # noqa: PLC0415
        from jupyter_ui_poll import ui_events  # noqa: PLC0415

        self.close()
        self._context = ui_events()
        self._poll = self._context.__enter__()
        self._shell = get_ipython()
        self._shell.events.register("post_run_cell", self._after_cell)

    def poll(self) -> None:
        """Handles up to `events_per_poll` queued messages (button clicks run here)."""
        if self._poll is not None:
            self._poll(self.events_per_poll)

    def close(self) -> None:
        """Stops intercepting (idempotent)."""
        context, self._context, self._poll = self._context, None, None
        if context is not None:
            context.__exit__(None, None, None)
        shell, self._shell = self._shell, None
        if shell is not None:
            try:
                shell.events.unregister("post_run_cell", self._after_cell)
            except ValueError:  # already unregistered
                pass

    def _after_cell(self, *args, **kwargs) -> None:
        self.close()


class IdleKernelPoller(NoEventPoller):
    """For a `fit` on a background thread: the kernel is idle and handles clicks itself.

    Example:
        >>> IdleKernelPoller().live
        True
    """

    live = True

    def __init__(self):
        super().__init__("")


def make_poller(mode: str):
    """The poller for a view: live polling only for widgets in a kernel where it works.

    Args:
        mode: "widgets" or "static" (from `choose_mode`).

    Returns:
        A `KernelEventPoller` (fit runs in the cell), an `IdleKernelPoller` (fit runs on a
        background thread of a kernel), or a `NoEventPoller` whose `reason` says why not.

    Example:
        >>> make_poller("static").live
        False
    """
    if mode != "widgets":
        return NoEventPoller("")
    if not in_kernel():
        return NoEventPoller("not in a Jupyter kernel, so no clicks reach this process")
    if threading.current_thread() is not threading.main_thread():
        return IdleKernelPoller()  # fit runs beside the kernel's own thread, which is free
    major = _major_version("ipykernel")
    if major is not None and major >= 7:
        return NoEventPoller(f"ipykernel {major} does not deliver clicks while a cell runs; "
                             "install 'ipykernel>=6.29,<7' for live controls")
    if importlib.util.find_spec("jupyter_ui_poll") is None:
        return NoEventPoller("jupyter-ui-poll is not installed, so clicks wait for the cell "
                             f"to end; {INSTALL_HINT}")
    return KernelEventPoller()


def _major_version(package: str) -> int | None:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return int(version(package).split(".")[0])
    except (PackageNotFoundError, ValueError):
        return None
