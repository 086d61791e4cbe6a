"""`engine.keras`: the one high-level API (Keras 2 semantics on eagerlab's engine).

Submodules load on first use (`engine.keras.layers`, `.models`, `.optimizers`, `.losses`,
`.metrics`, `.callbacks`, `.activations`, `.initializers`, `.regularizers`,
`.constraints`, `.datasets`, `.utils`, `.backend`, `.preprocessing`,
`.mixed_precision`); `Model`, `Sequential` and `Input` are available here directly.
"""

import importlib as _importlib

_SUBMODULES = ("layers", "models", "optimizers", "losses", "metrics", "callbacks",
               "activations", "initializers", "regularizers", "constraints", "datasets",
               "utils", "backend", "preprocessing", "mixed_precision")
_FROM_MODELS = ("Model", "Sequential", "Input")

__all__ = [*_FROM_MODELS, *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = _importlib.import_module(f"engine.keras.{name}")
        globals()[name] = module
        return module
    if name in _FROM_MODELS:
        if name == "Input":
            value = _importlib.import_module("engine.keras.layers").Input
        else:
            value = getattr(_importlib.import_module("engine.keras.models"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine.keras' has no attribute {name!r}")


def __dir__():
    # The public API (loaded or not) and the module's dunders; not the private helpers,
    # nor submodules Python binds here when they are imported (they are all in __all__).
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__")})
