"""`engine.linalg`: matrix products, norms, inverses and solvers (TensorFlow's names)."""

from engine.ops.clip_ops import (
    global_norm,  # noqa: F401 - tf.linalg.global_norm
    l2_normalize,  # noqa: F401 - tf.linalg.l2_normalize
)
from engine.ops.linalg_decompositions import *  # noqa: F403
from engine.ops.linalg_eigen import *  # noqa: F403
from engine.ops.linalg_functions import *  # noqa: F403
from engine.ops.linalg_more import *  # noqa: F403
from engine.ops.linalg_ops import *  # noqa: F403
from engine.ops.linalg_structured import *  # noqa: F403
from engine.ops.linalg_triangular import *  # noqa: F403
