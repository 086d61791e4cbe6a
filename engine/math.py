"""`engine.math`: elementwise math, reductions and related functions (TensorFlow's names).

Example:
    >>> engine.math.reduce_logsumexp(engine.constant([0.0, 0.0])).numpy()
    np.float32(0.6931472)
"""

import types as _types

from engine.ops import special_functions as _special  # noqa: E402
from engine.ops.activation_ops import log_softmax, softmax, softsign  # noqa: F401
from engine.ops.clip_ops import l2_normalize  # noqa: F401
from engine.ops.counting_ops import *  # noqa: F403
from engine.ops.gather_ops import segment_sum, unsorted_segment_sum  # noqa: F401
from engine.ops.math_extras import *  # noqa: F403
from engine.ops.math_more import complex  # noqa: F401
from engine.ops.math_ops import *  # noqa: F403
from engine.ops.misc_extras import cumulative_logsumexp, log_sigmoid, polyval  # noqa: F401
from engine.ops.misc_more import (  # noqa: F401
    erfcinv,
    invert_permutation,
    is_non_decreasing,
    is_strictly_increasing,
    reciprocal_no_nan,
    truncatediv,
    truncatemod,
)
from engine.ops.more_extras import (  # noqa: F401
    angle,
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
    lbeta,
    nextafter,
)
from engine.ops.reduce_composites import *  # noqa: F403
from engine.ops.reduce_ops import *  # noqa: F403
from engine.ops.segment_ops import *  # noqa: F403
from engine.ops.sort_ops import *  # noqa: F403
from engine.ops.sparse_segment_ops import *  # noqa: F403
from engine.ops.special_more import *  # noqa: F403
from engine.ops.special_ops import *  # noqa: F403
from engine.ops.unary_ops import *  # noqa: F403

special = _types.SimpleNamespace(**{n: getattr(_special, n) for n in _special.__all__})
