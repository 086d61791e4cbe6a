"""What every random op shares: Philox addresses, host samplers, and the op factory.

Every random op draws its numbers on the host with NumPy's counter-based Philox-4x64 bit
generator placed at an *address* (a 64-bit key and a 128-bit counter), then copies them
to the op's device. One address gives the same numbers on every platform, and on CPU and
GPU alike. A counter names a whole sub-stream: it fills the two high words of NumPy's
256-bit Philox counter, and NumPy advances the two low words within one draw, so draws at
two counters never overlap, whatever their sizes.

A random op is one *sampler* (what to draw: normal, uniform, multinomial, ...) under one
*addressing mode* (where its address comes from); `make_op` registers the pair as an
`OpDef`. The modes:

- `STATEFUL` (TF's `RandomStandardNormal`, ..., attrs `seed` and `seed2`): the key is a
  hash of the op type and the seed pair, the counter counts the calls. The counters live
  in `STREAMS`, keyed by (op type, seed, seed2): the kernel-side state that TensorFlow
  keeps in its eager kernel cache, so repeated calls with the same seeds continue one
  stream, and `set_seed` clears them. The op is a pure function of its attrs plus this
  table, so a traced graph node (static attrs) draws fresh numbers on every run. seed ==
  seed2 == 0 means "not seeded": the numbers then come from OS entropy.
- `STATELESS` (`StatelessRandomNormal`, ..., input `seed` of shape [2]): key hashed from
  the seed, counter 0. The same seed gives the same numbers, always.
- `KEY_COUNTER` (`StatelessRandomNormalV2`, ..., inputs `key` uint64[1] and `counter`
  uint64[2], TensorFlow's layout for Philox): the address given explicitly;
  `engine.random.Generator` keeps it in its state variable.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine import dtypes as _dt
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.registry import FLOAT, INTEGER, OpDef, register
from engine.tensor_shape import TensorShape, TensorSpec

M64 = (1 << 64) - 1
_LOCAL = threading.local()
_EMPTY_BUFFER = np.zeros(4, np.uint64)


# --- addresses ------------------------------------------------------------------------------
def _splitmix64(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def mix(*words: int) -> int:
    """A 64-bit hash of integers (chained splitmix64): turns seeds into Philox keys."""
    h = 0
    for w in words:
        h = _splitmix64(h ^ (int(w) & M64))
    return h


def philox(key: int, counter: tuple) -> np.random.Generator:
    """A NumPy Generator at the start of sub-stream `counter` (two words) of key `key`.

    The Generator is reused per thread (resetting its state costs a fifth of building a
    new one), so use it before the next call.
    """
    gen = getattr(_LOCAL, "gen", None)
    if gen is None:
        gen = _LOCAL.gen = np.random.Generator(np.random.Philox(key=0))
    gen.bit_generator.state = {
        "bit_generator": "Philox",
        "state": {"counter": np.array([0, 0, counter[0] & M64, counter[1] & M64], np.uint64),
                  "key": np.array([key & M64, 0], np.uint64)},
        "buffer": _EMPTY_BUFFER, "buffer_pos": 4, "has_uint32": 0, "uinteger": 0}
    return gen


def entropy() -> np.random.Generator:
    """A per-thread Generator seeded from OS entropy: for ops without any seed."""
    gen = getattr(_LOCAL, "entropy", None)
    if gen is None:
        gen = _LOCAL.entropy = np.random.Generator(np.random.Philox())
    return gen


class Streams:
    """Per-(op type, seed, seed2) call counters of the stateful random ops."""

    def __init__(self):
        self._lock = threading.Lock()
        self._streams: dict = {}

    def next(self, tf_name: str, tag: int, seed: int, seed2: int) -> tuple:
        """The (key, counter) of this call, and advances the stream."""
        k = (tf_name, seed, seed2)
        with self._lock:
            entry = self._streams.get(k)
            if entry is None:
                entry = self._streams[k] = [mix(tag, seed, seed2), 0]
            count = entry[1]
            entry[1] = count + 1
        return entry[0], (count, 0)

    def reset(self) -> None:
        """Forgets every stream (`set_seed` calls it)."""
        with self._lock:
            self._streams.clear()

    def __len__(self) -> int:
        return len(self._streams)


STREAMS = Streams()


# --- samplers: host NumPy functions of a Generator ------------------------------------------
_PRECISION = {np.dtype(np.float16): 11}
if _dt.bfloat16 is not None:
    _PRECISION[_dt.bfloat16._np] = 8


def _work(dtype: _dt.DType) -> type:
    """The float type NumPy draws in for `dtype` (float16 and bfloat16 draw in float32)."""
    if not dtype.is_floating:
        raise TypeError(f"not a floating dtype: {dtype.name}")
    return np.float64 if dtype is _dt.float64 else np.float32


def draw_normal(gen, shape=(), dtype=_dt.float32):
    out = gen.standard_normal(shape, dtype=_work(dtype))
    return np.asarray(out).astype(dtype._np, copy=False)


def draw_uniform(gen, shape=(), dtype=_dt.float32):
    bits = _PRECISION.get(dtype._np)
    if bits is None:
        return np.asarray(gen.random(shape, dtype=_work(dtype)))
    # k / 2**bits is exact in the narrow type, so rounding can never reach 1.0.
    k = gen.integers(0, 1 << bits, size=shape, dtype=np.int32)
    return (k.astype(np.float32) * np.float32(2.0 ** -bits)).astype(dtype._np)


def draw_truncated_normal(gen, shape=(), dtype=_dt.float32):
    work = _work(dtype)
    out = np.asarray(gen.standard_normal(shape, dtype=work))
    flat = out.reshape(-1)
    redo = np.flatnonzero(np.abs(flat) > 2)
    while redo.size:  # about 4.6% per round: a handful of rounds for any size
        fresh = gen.standard_normal(redo.size, dtype=work)
        flat[redo] = fresh
        redo = redo[np.abs(fresh) > 2]
    return out.astype(dtype._np, copy=False)


def draw_uniform_int(gen, minval, maxval, shape=()):
    lo, hi = minval.item(), maxval.item()
    if not lo < hi:
        raise InvalidArgumentError(
            f"uniform: got minval={lo} and maxval={hi} for integers; expected minval < maxval "
            "(maxval is excluded, so maxval = minval + 1 draws minval only).")
    return np.asarray(gen.integers(lo, hi, size=shape, dtype=minval.dtype))


def draw_full_int(gen, shape=(), dtype=_dt.int64):
    info = np.iinfo(dtype._np)
    return np.asarray(gen.integers(info.min, info.max, size=shape, dtype=dtype._np,
                                   endpoint=True))


def draw_multinomial(gen, logits, num_samples=1, output_dtype=_dt.int64):
    """Inverse-CDF sampling of every row at once, as TF's CPU kernel does per row.

    Non-finite logits get probability 0; a row with no finite logit yields `num_classes`
    (TensorFlow's behaviour). The rows are searched as one sorted array by adding the row
    index to each normalized CDF.
    """
    logits = np.asarray(logits, np.float64)
    batch, classes = logits.shape
    out = np.empty((batch, num_samples), output_dtype._np)
    if out.size == 0:
        return out
    if classes == 0:
        raise InvalidArgumentError("multinomial: logits have 0 classes; expected at least 1.")
    finite = np.isfinite(logits)
    top = np.max(np.where(finite, logits, -np.inf), axis=1, keepdims=True)
    p = np.exp(np.where(finite, logits - np.where(np.isfinite(top), top, 0), -np.inf))
    cdf = np.cumsum(p, axis=1)
    total = cdf[:, -1:]
    valid = total > 0
    cdf = np.divide(cdf, total, out=np.zeros_like(cdf), where=valid)
    rows = np.arange(batch, dtype=np.float64)[:, None]
    u = gen.random((batch, num_samples))
    idx = np.searchsorted((cdf + rows).ravel(), (u + rows).ravel(), side="right")
    idx = idx.reshape(batch, num_samples) - (rows * classes).astype(np.int64)
    # u + row can round up to row + 1: cap at the last class with a nonzero probability.
    last = classes - 1 - np.argmax((p > 0)[:, ::-1], axis=1)
    np.minimum(idx, np.where(valid[:, 0], last, classes)[:, None], out=idx)
    out[...] = idx
    return out


def draw_shuffle(gen, xp, value):
    """Permutes the first axis of `value` (left on its device) with a host permutation."""
    if value.ndim == 0 or value.shape[0] <= 1:
        return value.copy()
    perm = gen.permutation(value.shape[0])
    return value[perm if xp is np else xp.asarray(perm)]


def draw_gamma(gen, alpha, shape=()):
    dtype = _dt.from_numpy(alpha.dtype)
    if not np.all(alpha >= 0):
        raise InvalidArgumentError(f"gamma: alpha must be >= 0; got min(alpha) = "
                                   f"{np.min(alpha)}.")
    work = _work(dtype)
    out = gen.standard_gamma(alpha.astype(work, copy=False), size=tuple(shape) + alpha.shape,
                             dtype=work)
    return np.asarray(out).astype(alpha.dtype, copy=False)


def draw_poisson(gen, rate, shape=(), dtype=_dt.float32):
    if np.any(rate < 0) or np.any(np.isnan(rate)):
        raise InvalidArgumentError("poisson: lam (the rate) must be >= 0; got a negative or "
                                   "NaN rate.")
    out = gen.poisson(rate.astype(np.float64, copy=False), size=tuple(shape) + rate.shape)
    return np.asarray(out).astype(dtype._np, copy=False)


# --- shape inference ------------------------------------------------------------------------
def check_shape(op: str, shape) -> tuple | None:
    """`shape` as a tuple of non-negative ints; ShapeError otherwise.

    None entries (and None for the whole shape) stand for sizes known only when a graph
    runs: the node then takes the shape as a tensor input too (see `make_op`).
    """
    if shape is None:
        return None
    try:
        dims = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise ShapeError(f"{op}: shape must be a list of ints; got {shape!r}.") from None
    if any(d is not None and d < 0 for d in dims):
        raise ShapeError(f"{op}: shape {list(dims)} has a negative dimension; expected sizes "
                         ">= 0 (random ops cannot infer a -1).")
    return dims


def check_dtype(op: str, dtype, allowed, what: str = "dtype") -> _dt.DType:
    """`dtype` as a DType that is in `allowed`; DTypeError otherwise."""
    dtype = _dt.as_dtype(dtype)
    if dtype not in allowed:
        names = ", ".join(sorted(d.name for d in allowed))
        raise DTypeError(f"{op}: got {what} {dtype.name}; expected one of: {names}.")
    return dtype


def _scalar(op: str, s: TensorSpec, what: str) -> None:
    if s.shape.rank not in (None, 0):
        raise ShapeError(f"{op}: {what} must be a scalar; got shape {s.shape}.")


def infer_float(op, shape=(), dtype=_dt.float32):
    return TensorSpec(check_shape(op, shape), check_dtype(op, dtype, FLOAT))


def infer_uniform_int(op, minval, maxval, shape=()):
    _scalar(op, minval, "minval")
    _scalar(op, maxval, "maxval")
    if minval.dtype is not maxval.dtype:
        raise DTypeError(f"{op}: minval is {minval.dtype.name} and maxval is "
                         f"{maxval.dtype.name}; expected one integer dtype.")
    return TensorSpec(check_shape(op, shape), check_dtype(op, minval.dtype, INTEGER, "minval"))


FULL_INT_DTYPES = frozenset((_dt.int32, _dt.int64, _dt.uint32, _dt.uint64))
INDEX_DTYPES = frozenset((_dt.int32, _dt.int64))


def infer_full_int(op, shape=(), dtype=_dt.int64):
    return TensorSpec(check_shape(op, shape), check_dtype(op, dtype, FULL_INT_DTYPES))


def infer_multinomial(op, logits, num_samples=1, output_dtype=_dt.int64):
    check_dtype(op, logits.dtype, FLOAT, "logits of dtype")
    if logits.shape.rank not in (None, 2):
        raise ShapeError(f"{op}: logits must be 2-D (batch, num_classes); got shape "
                         f"{logits.shape}. Add a batch axis with engine.expand_dims(logits, 0).")
    if num_samples is not None and int(num_samples) < 0:
        raise ShapeError(f"{op}: num_samples must be >= 0; got {num_samples}.")
    dtype = check_dtype(op, output_dtype, INDEX_DTYPES, "output dtype")
    count = None if num_samples is None else int(num_samples)
    return TensorSpec([logits.shape[0], count], dtype)


def infer_shuffle(op, value):
    return value


def _batched(op, shape, param: TensorSpec) -> TensorShape:
    return TensorShape(check_shape(op, shape)).concatenate(param.shape)


def infer_gamma(op, alpha, shape=()):
    check_dtype(op, alpha.dtype, FLOAT, "alpha of dtype")
    return TensorSpec(_batched(op, shape, alpha), alpha.dtype)


POISSON_DTYPES = FLOAT | {_dt.int32, _dt.int64}


def infer_poisson(op, rate, shape=(), dtype=_dt.float32):
    check_dtype(op, rate.dtype, POISSON_DTYPES, "lam of dtype")
    return TensorSpec(_batched(op, shape, rate), check_dtype(op, dtype, POISSON_DTYPES))


@dataclass(frozen=True)
class Sampler:
    """What a random op draws: the host function, its tensor inputs, attrs and `infer`."""

    name: str
    draw: Callable
    infer: Callable
    inputs: tuple = ()
    attrs: tuple = (("shape", ()), ("dtype", _dt.float32))
    on_device: bool = False  # True: `draw(gen, xp, *inputs)` works on the device arrays
    size: str | None = "shape"  # the attr a size known only when a graph runs replaces


_SHAPE = (("shape", ()),)
NORMAL = Sampler("normal", draw_normal, infer_float)
UNIFORM = Sampler("uniform", draw_uniform, infer_float)
TRUNCATED_NORMAL = Sampler("truncated_normal", draw_truncated_normal, infer_float)
UNIFORM_INT = Sampler("uniform_int", draw_uniform_int, infer_uniform_int,
                      ("minval", "maxval"), _SHAPE)
FULL_INT = Sampler("full_int", draw_full_int, infer_full_int,
                   attrs=(("shape", ()), ("dtype", _dt.int64)))
MULTINOMIAL = Sampler("multinomial", draw_multinomial, infer_multinomial, ("logits",),
                      (("num_samples", 1), ("output_dtype", _dt.int64)), size="num_samples")
SHUFFLE = Sampler("shuffle", draw_shuffle, infer_shuffle, ("value",), (), on_device=True,
                  size=None)
GAMMA = Sampler("gamma", draw_gamma, infer_gamma, ("alpha",), _SHAPE)
POISSON = Sampler("poisson", draw_poisson, infer_poisson, ("rate",),
                  (("shape", ()), ("dtype", _dt.float32)))


# --- addressing modes -----------------------------------------------------------------------
def _host(xp, array):
    return array if xp is np else xp.asnumpy(array)


def _words(array) -> list:
    return [int(w) for w in np.asarray(array).reshape(-1)]


def _stateful_address(op, specs, attrs):
    for key in ("seed", "seed2"):
        if not isinstance(attrs.get(key, 0), (int, np.integer)):
            raise DTypeError(f"{op}: {key} must be an int; got {attrs[key]!r}.")


def _stateful_generator(xp, tf_name, tag, arrays, attrs):
    seed, seed2 = attrs["seed"], attrs["seed2"]
    if seed == 0 and seed2 == 0:
        return entropy()
    return philox(*STREAMS.next(tf_name, tag, seed, seed2))


def _check_vector(op, s: TensorSpec, what: str, size: int, allowed) -> None:
    if s.shape.rank is not None and (s.shape.rank != 1 or s.shape[0] not in (None, size)):
        raise ShapeError(f"{op}: {what} must have shape [{size}]; got shape {s.shape}.")
    if s.dtype not in allowed:
        names = ", ".join(sorted(d.name for d in allowed))
        raise DTypeError(f"{op}: {what} has dtype {s.dtype.name}; expected one of: {names}.")


def _stateless_address(op, specs, attrs):
    _check_vector(op, specs[0], "seed", 2, {_dt.int32, _dt.int64})


def _stateless_generator(xp, tf_name, tag, arrays, attrs):
    s0, s1 = _words(_host(xp, arrays[0]))
    return philox(mix(tag, s0, s1), (0, 0))


def _key_counter_address(op, specs, attrs):
    _check_vector(op, specs[0], "key", 1, {_dt.uint64})
    _check_vector(op, specs[1], "counter", 2, {_dt.uint64})
    if attrs.get("alg", 1) != 1:
        raise InvalidArgumentError(f"{op}: alg={attrs['alg']!r}; eagerlab implements only "
                                   "Philox (alg=1).")


def _key_counter_generator(xp, tf_name, tag, arrays, attrs):
    (key,) = _words(_host(xp, arrays[0]))
    return philox(key, _words(_host(xp, arrays[1])))


@dataclass(frozen=True)
class Mode:
    """Where a random op's address comes from (see the module docstring)."""

    inputs: tuple
    attrs: tuple
    check: Callable
    generator: Callable
    stateful: bool


STATEFUL = Mode((), (("seed", 0), ("seed2", 0)), _stateful_address, _stateful_generator, True)
STATELESS = Mode(("seed",), (), _stateless_address, _stateless_generator, False)
KEY_COUNTER = Mode(("key", "counter"), (("alg", 1),), _key_counter_address,
                   _key_counter_generator, False)


def make_op(mode: Mode, sampler: Sampler, name: str, tf_name: str, doc: str) -> OpDef:
    """Registers the op that draws `sampler` at addresses from `mode`.

    The op's inputs are the mode's (seed, key and counter), then the sampler's. A size
    known only when a graph runs (`uniform([engine.shape(x)[0]])`) is one more, last input
    (a 1-D shape or a scalar count, as in TensorFlow's `RandomUniform(shape)`), and the
    sampler's size attr (`shape`, `num_samples`) keeps what tracing knew of it.
    """
    n = len(mode.inputs)
    m = n + len(sampler.inputs)
    own = tuple(k for k, _ in sampler.attrs)
    tag = zlib.crc32(sampler.name.encode())
    draw = sampler.draw
    size = sampler.size

    def kernel(xp, *arrays, **attrs):
        if len(arrays) > m:  # the size, known only now that the graph runs
            value = run_time_size(name, tf_name, size, _host(xp, arrays[m]), attrs[size])
            attrs = {**attrs, size: value}
            arrays = arrays[:m]
        gen = mode.generator(xp, tf_name, tag, arrays[:n], attrs)
        kwargs = {k: attrs[k] for k in own}
        if sampler.on_device:
            return draw(gen, xp, *arrays[n:], **kwargs)
        data = arrays[n:] if xp is np else [xp.asnumpy(a) for a in arrays[n:]]
        out = draw(gen, *data, **kwargs)
        return out if xp is np else xp.asarray(out)

    def infer(*specs, **attrs):
        mode.check(name, specs[:n], attrs)
        if len(specs) > m:
            _check_size_input(name, size, specs[m])
        elif size is not None and not _fully_known(attrs.get(size, 0)):
            raise ShapeError(f"{name}: {size} is {attrs[size]!r}, known only in part, and "
                             f"the node has no {size} input; expected a fully known {size}, "
                             f"or the {size} tensor as the last input.")
        return sampler.infer(name, *specs[n:m], **{k: attrs[k] for k in own if k in attrs})

    data_inputs = tuple(range(n, m))
    return register(OpDef(
        name, tf_name, mode.inputs + sampler.inputs, infer, kernel, vjp=None,
        attrs=dict(sampler.attrs + mode.attrs), same_dtype=data_inputs,
        stateful=mode.stateful, doc=doc))


# --- sizes known only when a graph runs -----------------------------------------------------
def _fully_known(value) -> bool:
    return value is not None and (not isinstance(value, (tuple, list)) or None not in value)


def _check_size_input(op: str, size: str | None, spec: TensorSpec) -> None:
    rank = 1 if size == "shape" else 0
    if size is None or spec.dtype not in INDEX_DTYPES or spec.shape.rank not in (None, rank):
        kind = "a 1-D" if rank else "a scalar"
        raise ShapeError(f"{op}: got a {spec.dtype.name} tensor of shape {spec.shape} for "
                         f"{size or 'an extra input'}; expected {kind} int32 or int64 tensor.")


def run_time_size(op: str, tf_name: str, size: str, array, known):
    """A size input's value (a shape tuple or a count), checked against what tracing knew.

    Raises:
        InvalidArgumentError: a negative size, or one that contradicts the static shape.
    """
    if size != "shape":
        count = int(array.reshape(()))
        if count < 0:
            raise InvalidArgumentError(f"{op}: {size} is {count} when the graph runs; "
                                       "expected a count >= 0.", op=tf_name)
        return count
    dims = tuple(int(d) for d in array.reshape(-1).tolist())
    if array.ndim != 1 or any(d < 0 for d in dims) or (known is not None and (
            len(known) != len(dims) or any(k not in (None, d) for k, d in zip(known, dims)))):
        expected = "sizes >= 0" if known is None else f"a shape like {list(known)} (sizes >= 0)"
        raise InvalidArgumentError(f"{op}: shape is {list(dims)} when the graph runs; "
                                   f"expected {expected}.", op=tf_name)
    return dims
