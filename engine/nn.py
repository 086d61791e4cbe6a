"""`engine.nn`: activations, losses, convolutions, pooling, normalization and dropout.

Example:
    >>> engine.nn.relu(engine.constant([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
"""

import types as _types

from engine.ops.clip_ops import l2_normalize  # noqa: F401
from engine.ops.conv3d_ops import *  # noqa: F403
from engine.ops.conv_ops import *  # noqa: F403
from engine.ops.depthwise_conv_ops import *  # noqa: F403
from engine.ops.math_extras import zero_fraction  # noqa: F401
from engine.ops.misc_extras import local_response_normalization  # noqa: F401
from engine.ops.more_extras import atrous_conv2d, atrous_conv2d_transpose, conv_transpose  # noqa: F401
from engine.ops.nn_extras import *  # noqa: F403
from engine.ops.nn_more import *  # noqa: F403
from engine.ops.nn_ops import *  # noqa: F403
from engine.ops.pool3d_ops import *  # noqa: F403
from engine.ops.random_ops import dropout  # noqa: F401
from engine.ops.random_ops import stateless_dropout as _stateless_dropout
from engine.ops.sort_ops import in_top_k, top_k  # noqa: F401
from engine.ops.unary_ops import sigmoid, softplus, tanh  # noqa: F401

experimental = _types.SimpleNamespace(stateless_dropout=_stateless_dropout)
