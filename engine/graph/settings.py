"""Debugging switches for `engine.function`: run eagerly, replay failing calls eagerly."""

from __future__ import annotations

__all__ = ["run_functions_eagerly", "functions_run_eagerly", "set_debug_replay",
           "debug_replay_enabled"]

_SETTINGS = {"eager": False, "replay": False}


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Makes every `engine.function` run its Python body eagerly (for debugging).

    Args:
        run_eagerly: True to run eagerly, False to trace and run graphs again.

    Example:
        >>> engine.config.run_functions_eagerly(True)
        >>> engine.config.functions_run_eagerly()
        True
        >>> engine.config.run_functions_eagerly(False)
    """
    _SETTINGS["eager"] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """Whether `run_functions_eagerly(True)` is in effect.

    Returns:
        A bool.

    Example:
        >>> engine.config.functions_run_eagerly()
        False
    """
    return _SETTINGS["eager"]


def set_debug_replay(enabled: bool) -> None:
    """When a graph fails, re-run the failing call eagerly for a real Python traceback.

    The eager run raises at the user's own line, with the graph's error attached as its
    context. Side effects before the failing op (variable updates) happen twice.

    Args:
        enabled: True to replay failing calls eagerly.

    Example:
        >>> engine.config.set_debug_replay(True)
        >>> engine.config.set_debug_replay(False)
    """
    _SETTINGS["replay"] = bool(enabled)


def debug_replay_enabled() -> bool:
    """Whether `set_debug_replay(True)` is in effect.

    Returns:
        A bool.

    Example:
        >>> engine.config.debug_replay_enabled()
        False
    """
    return _SETTINGS["replay"]
