"""TensorFlow 2's smaller `engine.nn` functions: embedding lookups, space/depth, moments.

`embedding_lookup`, `space_to_depth`, `depth_to_space`, `weighted_moments` and
`scale_regularization_loss`. All are composites of existing ops (gathers, reshapes and
transposes, reductions), so gradients, tracing and GPUs come for free.
"""




from engine import dtypes as _dt
from engine.convert import tensor_or_variable
from engine.errors import DTypeError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops.array_extras import _INDEX
from engine.ops.clip_ops import clip_by_norm
from engine.ops.fill_ops import zeros_like
from engine.ops.gather_ops import gather
from engine.ops.join_ops import concat
from engine.ops.static_args import static_int

__all__ = ["embedding_lookup", "space_to_depth", "depth_to_space", "weighted_moments",
           "scale_regularization_loss"]

_NUM_REPLICAS = 1  # no distribution strategies yet: every loss is computed by one replica


# --- engine.nn: embeddings --------------------------------------------------------------------
def _div_sizes(total: int, shards: int) -> list:
    """The row counts of TF2's "div" sharding: consecutive ids, the first shards one longer."""
    base, extra = divmod(total, shards)
    return [base + 1] * extra + [base] * (shards - extra)


def embedding_lookup(params, ids, max_norm=None, name=None):
    """The rows of an embedding table at `ids`: `gather(params, ids)`, with optional clipping.

    `params` is one table (tensor or variable) or a list of shards of consecutive rows, as
    TensorFlow 2 shards them ("div"): of `N` rows in `P` shards, the first `N % P` shards
    hold `N // P + 1` rows, the others `N // P` (else ShapeError). Gradients reach each
    table or shard as a gather's.

    Args:
        params: a tensor or variable of shape `(rows, ...)`, or a list of them.
        ids: an int32 or int64 tensor of row ids, any shape.
        max_norm: if given, each looked-up embedding whose L2 norm exceeds it is scaled down
            to that norm.

    Returns:
        A tensor of shape `ids.shape + params.shape[1:]`.

    Example:
        >>> table = engine.constant([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
        >>> engine.nn.embedding_lookup(table, [2, 0]).numpy()
        array([[4., 5.],
               [0., 1.]], dtype=float32)
    """
    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    if not shards:
        raise ValueError("embedding_lookup: params is empty; expected a tensor or a list of "
                         "shards.")
    shards = [tensor_or_variable(p) for p in shards]
    ids = tensor_or_variable(ids)
    if ids.dtype not in _INDEX:
        raise DTypeError(f"embedding_lookup: got ids of dtype {ids.dtype.name}; expected int32 "
                         "or int64. Cast them with engine.cast(ids, engine.int32).")
    table = shards[0]
    if len(shards) > 1:
        rows = [p.shape[0] if p.shape.rank else None for p in shards]
        if None not in rows and rows != _div_sizes(sum(rows), len(rows)):
            raise ShapeError(f"embedding_lookup: got shards of {rows} rows; expected "
                             f"{_div_sizes(sum(rows), len(rows))} (TF2's 'div' sharding: "
                             "consecutive ids, the first shards one row longer).")
        table = concat(shards, axis=0)
    out = gather(table, ids)
    if max_norm is None:
        return out
    if ids.shape.rank is None or out.shape.rank is None:
        raise ShapeError("embedding_lookup: max_norm needs ids and params of known rank.")
    return clip_by_norm(out, max_norm, axes=list(range(ids.shape.rank, out.shape.rank)))


# --- engine.nn: space_to_depth / depth_to_space ---------------------------------------------
def _block_layout(op: str, input, block_size, data_format):
    """(x, [batch, height, width, depth] sizes as ints or scalar tensors, block, NHWC?)."""
    x = tensor_or_variable(input)
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{op}: got data_format={data_format!r}; expected 'NHWC' or 'NCHW'.")
    block = static_int(block_size, f"{op} block_size")
    if block < 2:
        raise ValueError(f"{op}: got block_size={block}; expected an int >= 2.")
    if x.shape.rank != 4:
        raise ShapeError(f"{op}: got input of shape {x.shape}; expected rank 4 ({data_format}).")
    sizes = [d if d is not None else _a.shape(x)[i] for i, d in enumerate(x.shape.as_list())]
    nhwc = data_format == "NHWC"
    n, h, w, c = sizes if nhwc else (sizes[0], sizes[2], sizes[3], sizes[1])
    return x, (n, h, w, c), block, nhwc


def space_to_depth(input, block_size, data_format="NHWC", name=None):
    """Moves each `block_size x block_size` spatial block into the depth (channel) axis.

    Output depth index `(by * block_size + bx) * depth + c` for the pixel at `(by, bx)` of its
    block, as TensorFlow orders it. A reshape and transpose, so differentiable; the inverse
    of `depth_to_space`.

    Args:
        input: a rank-4 tensor, NHWC or NCHW, height and width divisible by `block_size`.
        block_size: an int >= 2.
        data_format: 'NHWC' or 'NCHW'.

    Returns:
        A tensor of shape `(n, h / b, w / b, c * b * b)` (NHWC; NCHW likewise).

    Example:
        >>> x = engine.reshape(engine.range(4), [1, 2, 2, 1])
        >>> engine.nn.space_to_depth(x, 2).numpy().ravel()
        array([0, 1, 2, 3], dtype=int32)
    """
    x, (n, h, w, c), b, nhwc = _block_layout("space_to_depth", input, block_size, data_format)
    for what, size in (("height", h), ("width", w)):
        if isinstance(size, int) and size % b:
            raise ShapeError(f"space_to_depth: got input of shape {x.shape} whose {what} "
                             f"{size} is not divisible by block_size {b}.")
    if nhwc:  # (n, h/b, by, w/b, bx, c) -> (n, h/b, w/b, by, bx, c)
        blocks = _a.reshape(x, [n, h // b, b, w // b, b, c])
        return _a.reshape(_a.transpose(blocks, [0, 1, 3, 2, 4, 5]), [n, h // b, w // b, -1])
    blocks = _a.reshape(x, [n, c, h // b, b, w // b, b])  # -> (n, by, bx, c, h/b, w/b)
    return _a.reshape(_a.transpose(blocks, [0, 3, 5, 1, 2, 4]), [n, -1, h // b, w // b])


def depth_to_space(input, block_size, data_format="NHWC", name=None):
    """Moves depth (channel) values into `block_size x block_size` spatial blocks.

    TensorFlow's "DCR" order: input channel `(by * block_size + bx) * (c / b^2) + k` goes to
    the pixel at `(by, bx)` of its block, channel `k`. The inverse of `space_to_depth`.

    Args:
        input: a rank-4 tensor, NHWC or NCHW, depth divisible by `block_size ** 2`.
        block_size: an int >= 2.
        data_format: 'NHWC' or 'NCHW'.

    Returns:
        A tensor of shape `(n, h * b, w * b, c / (b * b))` (NHWC; NCHW likewise).

    Example:
        >>> x = engine.reshape(engine.range(4), [1, 1, 1, 4])
        >>> engine.nn.depth_to_space(x, 2).numpy()[0, :, :, 0]
        array([[0, 1],
               [2, 3]], dtype=int32)
    """
    x, (n, h, w, c), b, nhwc = _block_layout("depth_to_space", input, block_size, data_format)
    if isinstance(c, int) and c % (b * b):
        raise ShapeError(f"depth_to_space: got input of shape {x.shape} whose depth {c} is "
                         f"not divisible by block_size ** 2 = {b * b}.")
    if nhwc:  # (n, h, w, by, bx, k) -> (n, h, by, w, bx, k)
        blocks = _a.reshape(x, [n, h, w, b, b, c // (b * b)])
        return _a.reshape(_a.transpose(blocks, [0, 1, 3, 2, 4, 5]), [n, h * b, w * b, -1])
    blocks = _a.reshape(x, [n, b, b, c // (b * b), h, w])  # -> (n, k, h, by, w, bx)
    return _a.reshape(_a.transpose(blocks, [0, 3, 4, 1, 5, 2]), [n, -1, h * b, w * b])


# --- engine.nn: weighted statistics and losses ------------------------------------------------
def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """The frequency-weighted mean and variance of `x` over `axes`.

    `mean = sum(w * x) / sum(w)` and `variance = sum(w * (x - mean)^2) / sum(w)`, with `w`
    broadcast against `x`. Half-precision inputs are computed in float32 and cast back.

    Args:
        x: a float tensor.
        axes: an int or list of ints, the axes to reduce.
        frequency_weights: non-negative weights that broadcast against `x`.
        keepdims: keep the reduced axes with size 1.

    Returns:
        `(weighted_mean, weighted_variance)`.

    Example:
        >>> mean, var = engine.nn.weighted_moments([1.0, 2.0, 4.0], 0, [1.0, 1.0, 2.0])
        >>> float(mean), float(var)
        (2.75, 1.6875)
    """
    x = tensor_or_variable(x)
    dtype = x.dtype
    half = dtype in (_dt.float16, _dt.bfloat16)
    if half:
        x = _m.cast(x, _dt.float32)
    weights = tensor_or_variable(frequency_weights)
    if weights.dtype is not x.dtype:
        weights = _m.cast(weights, x.dtype)
    axes = _r.axis_attr(axes)
    total = _r.reduce_sum(_m.add(weights, zeros_like(x)), axes, keepdims=True)  # w broadcast
    divisor = _m.divide(1, total)
    mean = _m.multiply(_r.reduce_sum(_m.multiply(weights, x), axes, keepdims=True), divisor)
    spread = _m.multiply(weights, _m.squared_difference(x, mean))
    variance = _m.multiply(_r.reduce_sum(spread, axes, keepdims=True), divisor)
    if not keepdims:
        mean, variance = _a.squeeze(mean, axes), _a.squeeze(variance, axes)
    if half:
        mean, variance = _m.cast(mean, dtype), _m.cast(variance, dtype)
    return mean, variance


def scale_regularization_loss(regularization_loss):
    """The sum of `regularization_loss` divided by the number of replicas (1 here).

    With a distribution strategy TensorFlow divides by `num_replicas_in_sync`, so that the
    replicas' summed gradients count the penalty once. eagerlab has no distribution
    strategies yet: every loss is computed by one replica, and this is the plain sum.

    Args:
        regularization_loss: a tensor (any shape) of penalties.

    Returns:
        A scalar.

    Example:
        >>> float(engine.nn.scale_regularization_loss([0.5, 0.25]))
        0.75
    """
    total = _r.reduce_sum(tensor_or_variable(regularization_loss))
    return _m.truediv(total, _NUM_REPLICAS)
