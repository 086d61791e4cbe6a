"""`engine.linalg`: matrix products, norms, inverses and solvers (TensorFlow's names)."""

from engine.ops.linalg_ops import *  # noqa: F403
