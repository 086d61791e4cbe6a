"""`engine.random`: seeded random tensors and generators (TensorFlow's semantics)."""

from engine.ops.random_more import *  # noqa: F403
from engine.ops.random_more import __all__ as _more
from engine.ops.random_ops import *  # noqa: F403
from engine.ops.random_ops import __all__ as _base

__all__ = [*_base, *_more]
