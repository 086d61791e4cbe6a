"""`engine.keras`: the one high-level API (Keras 2 semantics on eagerlab's engine).

Submodules load on first use (`engine.keras.layers`, `.models`, `.optimizers`, `.losses`,
`.metrics`, `.callbacks`, `.activations`, `.initializers`, `.regularizers`,
`.constraints`, `.datasets`, `.utils`, `.backend`); `Model`, `Sequential` and `Input`
are available here directly.
"""

from __future__ import annotations

import importlib

_SUBMODULES = ("layers", "models", "optimizers", "losses", "metrics", "callbacks",
               "activations", "initializers", "regularizers", "constraints", "datasets",
               "utils", "backend")
_FROM_MODELS = ("Model", "Sequential", "Input")


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"engine.keras.{name}")
        globals()[name] = module
        return module
    if name in _FROM_MODELS:
        models = importlib.import_module("engine.keras.models")
        value = getattr(models, name) if name != "Input" else importlib.import_module(
            "engine.keras.layers").Input
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine.keras' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES) + list(_FROM_MODELS))
