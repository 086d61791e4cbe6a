"""Keras 2's backend functions (`K.mean`, `K.dot`, `K.variable`, ...) over engine ops.

`engine.keras.backend` re-exports every name here, so ported code that writes
`from tensorflow.keras import backend as K` works by changing the import. The functions
are thin wrappers with Keras 2 semantics (default axes, dtypes, clipping), grouped by
kind: `elementwise`, `reductions`, `arrays`, `selection`, `variables`, `nn`.

Example:
    >>> K = engine.keras.backend
    >>> K.mean(K.square(K.constant([1.0, 3.0]))).numpy()
    np.float32(5.0)
"""

from engine.keras.backend_ops import (
    arrays,
    elementwise,
    nn,
    reductions,
    selection,
    variables,
)
from engine.keras.backend_ops.arrays import *  # noqa: F401,F403
from engine.keras.backend_ops.elementwise import *  # noqa: F401,F403
from engine.keras.backend_ops.nn import *  # noqa: F401,F403
from engine.keras.backend_ops.reductions import *  # noqa: F401,F403
from engine.keras.backend_ops.selection import *  # noqa: F401,F403
from engine.keras.backend_ops.variables import *  # noqa: F401,F403

__all__ = [*arrays.__all__, *elementwise.__all__, *nn.__all__, *reductions.__all__,
           *selection.__all__, *variables.__all__]
