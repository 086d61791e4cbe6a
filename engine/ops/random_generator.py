"""`engine.random.Generator`: an explicit random-number generator with its state in a Variable.

A Generator holds a Philox address, `state = [counter_lo, counter_hi, key]` (int64, the
layout of TensorFlow's Philox generator), in a non-trainable `Variable` on the CPU, so a
generator can be saved and restored with the model's variables. Each draw is two ops:
`RngReadAndSkip` (`rng_state_ops`) reads the address and advances the counter by one,
and a pure key/counter op (`StatelessRandomNormalV2`, ...) draws at that address. One
counter value names a whole sub-stream, so draws never overlap whatever their sizes;
`skip(n)` skips n draws.

`split(count)` makes generators with keys drawn from this one: different keys are
independent Philox streams. `from_seed` hashes the seed into the key (TensorFlow puts the
seed in the counter instead), so nearby seeds give unrelated streams.

Inside `engine.function` the two ops become graph nodes: `RngReadAndSkip` is stateful, so
it runs on every call of the graph, in program order, and feeds the draw its address as
tensor inputs. A traced function therefore draws the numbers the same calls draw eagerly,
new ones on each call, continuing the generator's one stream whether calls are eager or
traced. A shape holding sizes known only when the graph runs becomes the draw's last
input, as for the other random ops (`stateless_random_ops.shape_inputs`).
"""

from __future__ import annotations

import enum

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import random_kernels as _k
from engine.ops import rng_state_ops as _rs
from engine.ops import stateless_random_ops as _sl
from engine.ops.fill_ops import zeros_like
from engine.ops.join_ops import stack
from engine.registry import FLOAT
from engine.scopes import device
from engine.variable import Variable

__all__ = ["Algorithm", "Generator", "create_rng_state", "get_global_generator",
           "set_global_generator"]

_KC = _k.KEY_COUNTER
_NORMAL = _k.make_op(_KC, _k.NORMAL, "stateless_random_normal_v2", "StatelessRandomNormalV2",
                     "Standard normal numbers at a Philox key and counter.")
_UNIFORM = _k.make_op(_KC, _k.UNIFORM, "stateless_random_uniform_v2",
                      "StatelessRandomUniformV2", "Uniform numbers in [0, 1) at a key/counter.")
_UNIFORM_INT = _k.make_op(_KC, _k.UNIFORM_INT, "stateless_random_uniform_int_v2",
                          "StatelessRandomUniformIntV2",
                          "Uniform integers in [minval, maxval) at a key and counter.")
_FULL_INT = _k.make_op(_KC, _k.FULL_INT, "stateless_random_uniform_full_int_v2",
                       "StatelessRandomUniformFullIntV2",
                       "Integers over the dtype's whole range at a key and counter.")
_TRUNCATED = _k.make_op(_KC, _k.TRUNCATED_NORMAL, "stateless_truncated_normal_v2",
                        "StatelessTruncatedNormalV2",
                        "Standard normal numbers within 2 of 0 at a key and counter.")
_G = context.GLOBAL
_GENERATOR_TAG = 0x67656E  # "gen": keeps from_seed keys apart from other hashed seeds


class Algorithm(enum.Enum):
    """TensorFlow's RNG algorithms; eagerlab implements Philox (AUTO_SELECT picks it).

    Example:
        >>> g = engine.random.Generator.from_seed(1, alg=engine.random.Algorithm.AUTO_SELECT)
        >>> g.algorithm == engine.random.Algorithm.PHILOX.value
        True
    """

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


def _alg(alg) -> int:
    _sl.check_alg(getattr(alg, "value", alg), "Generator")
    return Algorithm.PHILOX.value


def create_rng_state(seed, alg) -> np.ndarray:
    """The state `[0, 0, key]` (int64) that `Generator.from_seed(seed)` starts from.

    Args:
        seed: an int or a 1-D sequence of ints; all of it is hashed into the key.
        alg: 'philox' or 'auto_select'.

    Returns:
        A NumPy int64 array of shape (3,).

    Raises:
        InvalidArgumentError: for an algorithm other than Philox.

    Example:
        >>> engine.random.create_rng_state(1, "philox").shape
        (3,)
    """
    _alg(alg)
    words = np.asarray(seed).reshape(-1).tolist()
    key = _k.mix(_GENERATOR_TAG, len(words), *words)
    return np.array([0, 0, key], np.uint64).view(np.int64)


def _state_array(state) -> np.ndarray:
    array = np.asarray(state)
    if array.shape != (3,) or array.dtype.kind not in "iu":
        raise ShapeError(f"Generator: state must be 3 integers [counter_lo, counter_hi, key]; "
                         f"got shape {array.shape} and dtype {array.dtype}.")
    if array.dtype.kind == "i":
        return array.astype(np.int64)
    return array.astype(np.uint64).view(np.int64)


class Generator:
    """A random-number generator whose state is an explicit, savable Variable.

    Args:
        copy_from: another Generator to copy the state of.
        state: `[counter_lo, counter_hi, key]` integers (see `create_rng_state`).
        alg: 'philox' or 'auto_select' (Philox either way).

    Raises:
        ValueError: when neither `copy_from` nor `state` is given.

    Example:
        >>> g = engine.random.Generator.from_seed(1234)
        >>> g.normal([2, 3]).shape
        TensorShape([2, 3])
    """

    def __init__(self, copy_from: Generator | None = None, state=None, alg=None):
        if copy_from is not None:
            state = copy_from.state.numpy()
        elif state is None:
            raise ValueError("Generator: give `state` (with `alg`) or `copy_from`; or use "
                             "Generator.from_seed(seed) / .from_non_deterministic_state().")
        self._alg = _alg(alg)
        with device("/CPU:0"):
            self._state = Variable(_state_array(state), trainable=False, name="rng_state")
        self._name = _rs.register_state(self._state)  # what RngReadAndSkip nodes call it

    # --- construction -----------------------------------------------------------------------
    @classmethod
    def from_seed(cls, seed, alg=None) -> Generator:
        """A generator whose key is a hash of `seed` (an int or a list of ints)."""
        return cls(state=create_rng_state(seed, alg), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None) -> Generator:
        """A generator with a key and counter from OS entropy."""
        words = np.random.SeedSequence().generate_state(3, np.uint64)
        return cls(state=words, alg=alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg) -> Generator:
        """A generator at an explicit key (one int) and counter (two ints)."""
        words = np.concatenate([np.reshape(counter, -1), np.reshape(key, -1)])
        return cls(state=words, alg=alg)

    @classmethod
    def from_state(cls, state, alg) -> Generator:
        """A generator from a state array `[counter_lo, counter_hi, key]`."""
        return cls(state=state, alg=alg)

    def reset(self, state) -> None:
        """Replaces the state."""
        self._state.assign(_state_array(state))

    def reset_from_seed(self, seed) -> None:
        """Resets to the state `from_seed(seed)` starts with."""
        self.reset(create_rng_state(seed, self._alg))

    def reset_from_key_counter(self, key, counter) -> None:
        """Resets to an explicit key and counter."""
        self.reset(np.concatenate([np.reshape(counter, -1), np.reshape(key, -1)]))

    # --- state ------------------------------------------------------------------------------
    @property
    def state(self) -> Variable:
        """The int64 Variable `[counter_lo, counter_hi, key]`."""
        return self._state

    @property
    def algorithm(self) -> int:
        """The RNG algorithm, `Algorithm.PHILOX.value` (1)."""
        return self._alg

    @property
    def key(self):
        """The key part of the state (an int64 scalar tensor)."""
        return convert_to_tensor(self._state.numpy()[2])

    def skip(self, delta: int) -> None:
        """Advances the counter by `delta` draws."""
        self._next_address(int(delta))

    def _next_address(self, delta: int = 1) -> tuple:
        """The (key, counter) of this draw (uint64), from an `RngReadAndSkip` op (a graph
        node when tracing) that advances the counter by `delta` when it runs."""
        if not _G.slow:  # nothing traces or records ops: the kernel's work, skipping dispatch
            return _rs.read_and_skip(self._state, delta)
        attrs = {"generator": self._name, "alg": self._alg, "delta": delta}
        return tuple(dispatch(_rs.READ_AND_SKIP, (), attrs))

    # --- draws ------------------------------------------------------------------------------
    def normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        """Normal numbers with `mean` and `stddev`.

        Example:
            >>> engine.random.Generator.from_seed(1).normal([2]).dtype
            engine.float32
        """
        shape, sizes = _sl.shape_inputs(shape, "Generator.normal")
        attrs = {"shape": shape, "alg": self._alg,
                 "dtype": _k.check_dtype("Generator.normal", dtype, FLOAT)}
        rnd = dispatch(_NORMAL, self._next_address() + sizes, attrs)
        return _sl.scale_and_shift(rnd, stddev, mean)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        """Normal numbers within 2 `stddev` of `mean` (values beyond are re-drawn)."""
        shape, sizes = _sl.shape_inputs(shape, "Generator.truncated_normal")
        attrs = {"shape": shape, "alg": self._alg,
                 "dtype": _k.check_dtype("Generator.truncated_normal", dtype, FLOAT)}
        rnd = dispatch(_TRUNCATED, self._next_address() + sizes, attrs)
        return _sl.scale_and_shift(rnd, stddev, mean)

    def uniform(self, shape, minval=0, maxval=None, dtype=_dt.float32, name=None):
        """Uniform numbers in [minval, maxval); integer dtypes need both bounds or neither.

        Raises:
            ValueError: for an integer dtype with only one bound.
        """
        op = "Generator.uniform"
        dtype, maxval = _sl.check_uniform(op, dtype, minval, maxval, True)
        if dtype.is_integer and minval is None:
            return self.uniform_full_int(shape, dtype)
        shape, sizes = _sl.shape_inputs(shape, op)
        attrs = {"shape": shape, "alg": self._alg}
        key, counter = self._next_address()
        if dtype.is_integer:
            return dispatch(_UNIFORM_INT, (key, counter, _sl.as_input(minval, dtype),
                                           _sl.as_input(maxval, dtype)) + sizes, attrs)
        rnd = dispatch(_UNIFORM, (key, counter) + sizes, {**attrs, "dtype": dtype})
        return _sl.to_range(rnd, minval, maxval)

    def uniform_full_int(self, shape, dtype=_dt.int64, name=None):
        """Integers over the whole range of `dtype` (int32, int64, uint32, uint64)."""
        op = "Generator.uniform_full_int"
        shape, sizes = _sl.shape_inputs(shape, op)
        attrs = {"shape": shape, "alg": self._alg,
                 "dtype": _k.check_dtype(op, dtype, _k.FULL_INT_DTYPES)}
        return dispatch(_FULL_INT, self._next_address() + sizes, attrs)

    def binomial(self, shape, counts, probs, dtype=_dt.int32, name=None):
        """Binomial draws: successes in `counts` trials of probability `probs`.

        Example:
            >>> engine.random.Generator.from_seed(1).binomial([3], 10.0, 0.5).dtype
            engine.int32
        """
        from engine.ops.random_more import stateless_binomial  # noqa: PLC0415 - above us

        seed = self.make_seeds(1)[:, 0]
        return stateless_binomial(shape, seed, counts, probs, output_dtype=dtype)

    def make_seeds(self, count: int = 1):
        """`count` seeds for the stateless ops: an int64 tensor of shape (2, count)."""
        keys = self.uniform_full_int([int(count)], _dt.int64)
        return stack([keys, zeros_like(keys)])

    def split(self, count: int = 1) -> list:
        """`count` new generators, independent of each other and of this one.

        Their keys are drawn from this generator (which advances).

        Example:
            >>> a, b = engine.random.Generator.from_seed(1).split(2)
            >>> bool(engine.reduce_all(a.normal([3]) == b.normal([3])))
            False
        """
        if int(count) < 0:
            raise InvalidArgumentError(f"Generator.split: count must be >= 0; got {count}.")
        keys = self.uniform_full_int([int(count)], _dt.int64).numpy()
        return [Generator(state=[0, 0, int(k)], alg=self._alg) for k in keys]

    # --- Python protocols -------------------------------------------------------------------
    def __reduce__(self):
        return Generator, (None, self._state.numpy().copy(), self._alg)

    def __deepcopy__(self, memo) -> Generator:
        return Generator(copy_from=self)

    def __repr__(self) -> str:
        return f"<engine.random.Generator state={self._state.numpy().tolist()}>"


_global_generator: Generator | None = None


def get_global_generator() -> Generator:
    """The global generator (created from OS entropy on first use).

    Returns:
        The process-wide `engine.random.Generator`.

    Example:
        >>> engine.random.get_global_generator().uniform([2]).shape
        TensorShape([2])
    """
    global _global_generator
    if _global_generator is None:
        _global_generator = Generator.from_non_deterministic_state()
    return _global_generator


def set_global_generator(generator: Generator) -> None:
    """Replaces the global generator (code holding the old one keeps using it).

    Args:
        generator: an `engine.random.Generator`.

    Raises:
        TypeError: if `generator` is not a Generator.

    Example:
        >>> engine.random.set_global_generator(engine.random.Generator.from_seed(0))
    """
    global _global_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"set_global_generator: got {type(generator).__name__}; expected an "
                        "engine.random.Generator.")
    _global_generator = generator
