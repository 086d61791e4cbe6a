"""eagerlab's engine: a TensorFlow-2-style deep-learning framework on NumPy (CuPy for GPUs).

Eager by default; `GradientTape` for gradients; one registry of ops that eager execution,
gradients, devices and (later) graphs share. The public names follow TensorFlow 2, so

    import engine as tf

runs most TF2 eager code unchanged.

Example:
    >>> import engine
    >>> w = engine.Variable([[1.0], [2.0]])
    >>> x = engine.constant([[3.0, 4.0]])
    >>> with engine.GradientTape() as tape:
    ...     loss = engine.reduce_sum(x @ w)
    >>> tape.gradient(loss, w).numpy().ravel()
    array([3., 4.], dtype=float32)
"""

from engine import dtypes, errors, hooks, nest  # noqa: F401
from engine.context import executing_eagerly  # noqa: F401
from engine.convert import constant, convert_to_tensor  # noqa: F401
from engine.custom_grad import custom_gradient  # noqa: F401
from engine.dtypes import (  # noqa: F401
    DType, as_dtype, bfloat16, bool, complex64, complex128, double, float16, float32, float64,
    half, int8, int16, int32, int64, string, uint8, uint16, uint32, uint64,
)
from engine.graph.function import function  # noqa: F401
from engine.graph.ir import Graph  # noqa: F401
from engine.graph.runtime_ops import print, py_function  # noqa: F401,A004
from engine.graph.trace import init_scope  # noqa: F401
from engine.module import Module  # noqa: F401
from engine.scopes import device, name_scope  # noqa: F401
from engine.tape import GradientTape, UnconnectedGradients  # noqa: F401
from engine.tensor import Tensor, is_tensor  # noqa: F401
from engine.tensor_shape import TensorShape, TensorSpec  # noqa: F401
from engine.variable_scatter import IndexedSlices  # noqa: F401
from engine.variable import (  # noqa: F401
    Variable, VariableAggregation, VariableSynchronization,
)

from engine import ops as _ops  # noqa: E402,F401 - registers every op
from engine.ops.array_ops import *  # noqa: E402,F403
from engine.ops.array_extras import (  # noqa: E402,F401
    ensure_shape, get_static_value, histogram_fixed_width, searchsorted, unique,
    unique_with_counts, unravel_index,
)
from engine.ops.clip_ops import *  # noqa: E402,F403
from engine.ops.fill_ops import *  # noqa: E402,F403
from engine.ops.gather_ops import *  # noqa: E402,F403
from engine.ops.join_ops import *  # noqa: E402,F403
from engine.ops.linalg_ops import einsum, eye, matmul, norm, tensordot  # noqa: E402,F401
from engine.ops.manip_ops import *  # noqa: E402,F403
from engine.ops.math_ops import *  # noqa: E402,F403
from engine.ops.math_extras import add_n, scalar_mul  # noqa: E402,F401
from engine.ops.math_more import (  # noqa: E402,F401
    broadcast_dynamic_shape, broadcast_static_shape, complex, identity_n, reverse_sequence,
    saturate_cast, tensor_scatter_nd_max, tensor_scatter_nd_min, tensor_scatter_nd_sub,
)
from engine.ops.more_extras import bitcast, realdiv, timestamp  # noqa: E402,F401
from engine.ops.misc_more import (  # noqa: E402,F401
    get_logger, grad_pass_through, histogram_fixed_width_bins, make_ndarray, shape_n,
    truncatediv, truncatemod,
)
from engine.ops.space_batch_ops import (  # noqa: E402,F401
    batch_to_space, space_to_batch, space_to_batch_nd,
)
from engine.ops.string_convert_ops import as_string  # noqa: E402,F401
from engine.ops.misc_extras import (  # noqa: E402,F401
    constant_initializer, dynamic_partition, dynamic_stitch, no_gradient, numpy_function,
    ones_initializer, random_normal_initializer, random_uniform_initializer, recompute_grad,
    zeros_initializer,
)
from engine.ops.assert_ops import (  # noqa: E402,F401 - TF2's top-level assertions
    Assert, assert_equal, assert_greater, assert_less, assert_rank,
)
from engine.ops.one_hot_ops import *  # noqa: E402,F403
from engine.ops.reduce_composites import *  # noqa: E402,F403
from engine.ops.reduce_ops import *  # noqa: E402,F403
from engine.ops.select_ops import *  # noqa: E402,F403
from engine.ops.sequence_ops import *  # noqa: E402,F403
from engine.ops.slicing_ops import *  # noqa: E402,F403
from engine.ops.slice_update_ops import tensor_strided_slice_update  # noqa: E402,F401
from engine.ops.sort_ops import *  # noqa: E402,F403
from engine.ops.unary_ops import *  # noqa: E402,F403
from engine import (  # noqa: E402,F401
    bitwise, config, debugging, image, io, linalg, math, nn, random, raw_ops, signal, strings,
)
from engine.graph.control_flow import TensorArray, cond, switch_case, while_loop  # noqa: E402,F401
from engine.graph.functional_ops import foldl, foldr, map_fn, scan, vectorized_map  # noqa: E402,F401
from engine.graph.control_deps import control_dependencies  # noqa: E402,F401
from engine.graph.graph_functions import (  # noqa: E402,F401
    case, get_current_name_scope, gradients, group, hessians, inside_function,
    is_symbolic_tensor, no_op, parallel_stack, tuple,
)
from engine import version  # noqa: E402,F401 - TF's tf.version.VERSION
from engine import autodiff  # noqa: E402,F401 - tf.autodiff: tapes and forward mode
from engine import autograph  # noqa: E402,F401 - converts control flow when tracing
from engine import data  # noqa: E402,F401
from engine import lookup  # noqa: E402,F401 - tf.lookup: hash and vocabulary tables
from engine import keras  # noqa: E402,F401 - its submodules load on first use

newaxis = None
__version__ = version.VERSION

# TF2's top-level aliases of Keras modules (`tf.losses`, `tf.metrics`, ...), loaded on use.
_KERAS_ALIASES = ("losses", "metrics", "optimizers", "initializers")


def __getattr__(name: str):
    if name in _KERAS_ALIASES:
        module = getattr(keras, name)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
