"""`Policy`: the dtypes a layer computes in and keeps its weights in (Keras 2 semantics).

A policy has a compute dtype (inputs are cast to it, outputs come out in it) and a
variable dtype (the weights' dtype). The plain policies (`"float32"`, `"float16"`,
`"bfloat16"`, `"float64"`, or any other dtype name) use one dtype for both. The mixed
ones, `"mixed_float16"` and `"mixed_bfloat16"`, compute in half precision and keep
float32 weights, which a layer reads in the compute dtype inside `call`
(`autocast.py`).

The global policy is what a layer created without `dtype=` gets; it is read when the
layer is constructed, so set it before building a model. Until one is set, it is the
policy named `engine.keras.backend.floatx()` (so `set_floatx("float64")` changes it too).
"""

from __future__ import annotations

from engine import dtypes as _dt

__all__ = ["Policy", "global_policy", "set_global_policy", "serialize", "deserialize",
           "policy_of"]

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_EXPECTED = ("'float32', 'float16', 'bfloat16', 'float64', 'mixed_float16', "
             "'mixed_bfloat16' (or another dtype name such as 'int32')")
_global = None  # the policy set by set_global_policy, or None (follow floatx)


class Policy:
    """A layer's dtype policy: the dtype it computes in and the dtype of its weights.

    Args:
        name: `"mixed_float16"`, `"mixed_bfloat16"`, or a dtype name (`"float32"`,
            `"float16"`, `"bfloat16"`, `"float64"`, ...) for a plain policy.

    Raises:
        TypeError: when `name` is not a string.
        ValueError: for an unknown name (the message lists the known ones).

    Example:
        >>> policy = engine.keras.mixed_precision.Policy("mixed_float16")
        >>> policy.compute_dtype, policy.variable_dtype
        ('float16', 'float32')
        >>> engine.keras.layers.Dense(2, dtype=policy).dtype_policy
        <Policy "mixed_float16">
    """

    def __init__(self, name: str):
        if not isinstance(name, str):
            raise TypeError(f"Policy: name must be a string such as 'mixed_float16'; got "
                            f"{type(name).__name__} {name!r}. For a dtype object pass its "
                            "name (dtype.name).")
        if name in _MIXED:
            compute, variable = _MIXED[name], "float32"
        else:
            try:
                compute = variable = _dt.as_dtype(name).name
            except (TypeError, ValueError, KeyError):
                raise ValueError(_unknown_message(name)) from None
        self._name = name
        self._compute_dtype = compute
        self._variable_dtype = variable

    @property
    def name(self) -> str:
        """The policy's name, e.g. `"mixed_float16"`."""
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype layers compute in (their inputs are cast to it)."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of layers' weights."""
        return self._variable_dtype

    @property
    def _mixed(self) -> bool:
        """True when weights are read in another (floating) dtype than they are kept in."""
        return self._compute_dtype != self._variable_dtype

    def get_config(self) -> dict:
        """`{"name": ...}`: what `from_config` needs."""
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> Policy:
        """The policy described by `get_config()`'s dict."""
        config = dict(config)
        config.pop("loss_scale", None)  # written by Keras 2.3's experimental policies
        return cls(**config)

    def __repr__(self) -> str:
        return f'<Policy "{self._name}">'


def _unknown_message(name: str) -> str:
    hint = ""
    lowered = name.lower().replace("-", "_")
    if lowered != name and (lowered in _MIXED or lowered in ("float16", "float32", "float64",
                                                             "bfloat16")):
        hint = f" Did you mean {lowered!r}?"
    elif lowered.startswith("mixed"):
        hint = " The mixed policies are 'mixed_float16' and 'mixed_bfloat16' only."
    return (f"Policy: unknown policy name {name!r}; expected one of {_EXPECTED}.{hint} "
            "Pass one of these names, e.g. Policy('mixed_float16').")


def global_policy() -> Policy:
    """The policy of layers created without `dtype=`.

    Returns:
        The policy set by `set_global_policy`, else `Policy(backend.floatx())`.

    Example:
        >>> engine.keras.mixed_precision.global_policy()
        <Policy "float32">
    """
    if _global is not None:
        return _global
    from engine.keras import backend  # noqa: PLC0415 - backend loads layers lazily

    return Policy(backend.floatx())


def set_global_policy(policy) -> None:
    """Sets the policy of layers created from now on without `dtype=`.

    Layers read it when they are constructed: set it before building a model.

    Args:
        policy: a `Policy`, a policy name (`"mixed_float16"`), or None to go back to
            following `engine.keras.backend.floatx()`.

    Raises:
        ValueError: for an unknown name or a policy that does not compute in floats.
        TypeError: for anything but a Policy, a string or None.

    Example:
        >>> engine.keras.mixed_precision.set_global_policy("mixed_float16")
        >>> engine.keras.layers.Dense(2).compute_dtype
        'float16'
        >>> engine.keras.mixed_precision.set_global_policy(None)
    """
    global _global
    if policy is None:
        _global = None
        return
    if isinstance(policy, str):
        policy = Policy(policy)
    elif isinstance(policy, _dt.DType):
        policy = Policy(policy.name)
    if not isinstance(policy, Policy):
        raise TypeError(f"set_global_policy: expected a Policy, a policy name or None; got "
                        f"{type(policy).__name__} {policy!r}.")
    if not _dt.as_dtype(policy.compute_dtype).is_floating:
        raise ValueError(f"set_global_policy: the global policy must compute in floats; got "
                         f"{policy!r} (compute dtype {policy.compute_dtype}). Pass e.g. "
                         "'float32' or 'mixed_float16', and give layers that need another "
                         "dtype their own dtype= argument.")
    _global = policy


def serialize(policy: Policy):
    """A layer config's `"dtype"` entry: the name of a plain policy, else a config dict.

    Example:
        >>> engine.keras.mixed_precision.policy.serialize(
        ...     engine.keras.mixed_precision.Policy("mixed_bfloat16"))
        {'class_name': 'Policy', 'config': {'name': 'mixed_bfloat16'}}
    """
    if not policy._mixed:
        return policy.name
    return {"class_name": "Policy", "config": policy.get_config()}


def deserialize(config) -> Policy:
    """The policy that `serialize` described (a name or a `{"class_name", "config"}`)."""
    if isinstance(config, str):
        return Policy(config)
    if not isinstance(config, dict) or config.get("class_name") != "Policy":
        raise ValueError(f"Policy: cannot read the dtype policy {config!r}; expected a "
                         "policy name or {'class_name': 'Policy', 'config': {'name': ...}} "
                         "(as written by get_config).")
    return Policy.from_config(config.get("config") or {})


def policy_of(dtype) -> Policy:
    """The policy of a layer constructed with `dtype=dtype` (None: the global policy)."""
    if dtype is None:
        return global_policy()
    if isinstance(dtype, Policy):
        return dtype
    if isinstance(dtype, (str, dict)):
        return deserialize(dtype)
    return Policy(_dt.as_dtype(dtype).name)
