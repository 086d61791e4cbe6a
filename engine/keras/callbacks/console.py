"""Where callbacks print: one place that knows whether a progress bar holds the line.

A terminal progress bar redraws its line with `\\r` and leaves it unfinished. A message
printed in the middle of an epoch (a checkpoint saved every 100 batches, a NaN loss) must
start on a fresh line instead of being glued to the bar, so every callback prints through
`print_msg`, which ends the bar's line first.
"""

from __future__ import annotations

import sys

__all__ = ["print_msg", "is_terminal"]

_STATE = {"partial_line": False}


def is_terminal(stream) -> bool:
    """Whether `stream` is an interactive terminal, where `\\r` redraws a line in place.

    Jupyter's output stream is not a terminal (`isatty()` is False), nor is captured output.
    """
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def print_msg(message: str) -> None:
    """Prints one line to `sys.stdout`, on a line of its own, and flushes."""
    stream = sys.stdout
    prefix = "\n" if _STATE["partial_line"] else ""
    _STATE["partial_line"] = False
    stream.write(f"{prefix}{message}\n")
    stream.flush()


def write_partial(text: str) -> None:
    """Writes text that leaves the line open (a terminal progress bar being redrawn)."""
    sys.stdout.write(text)
    sys.stdout.flush()
    _STATE["partial_line"] = True


def write_line_end(text: str) -> None:
    """Writes text that finishes the open line (the final state of a progress bar)."""
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()
    _STATE["partial_line"] = False
