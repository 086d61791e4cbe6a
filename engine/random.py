"""`engine.random`: seeded random tensors and generators (TensorFlow's semantics)."""

from engine.ops.random_ops import *  # noqa: F403
