"""`engine.linalg`: matrix products, norms, inverses and solvers (TensorFlow's names)."""

from engine.ops.clip_ops import global_norm  # noqa: F401 - tf.linalg.global_norm
from engine.ops.linalg_more import *  # noqa: F403
from engine.ops.linalg_ops import *  # noqa: F403
