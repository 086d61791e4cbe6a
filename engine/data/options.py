"""`engine.data.Options`: pipeline-wide settings, attached with `Dataset.with_options`.

Options apply to the whole pipeline that produces a dataset, as in `tf.data`: setting
`deterministic = False` on the final dataset lets every parallel `map` and `interleave`
upstream hand out elements in the order they finish. Setting an option that does not exist
raises, so a typo cannot pass silently.
"""

from __future__ import annotations

import os

__all__ = ["Options", "ThreadingOptions"]


class _OptionsBase:
    """Attribute storage that refuses unknown names and remembers what was set."""

    _DEFAULTS: dict = {}

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        defaults = type(self)._DEFAULTS
        if name in defaults:
            return self._values.get(name, defaults[name])
        raise AttributeError(f"{type(self).__name__} has no option {name!r}; the options are "
                             f"{sorted(defaults)}.")

    def __setattr__(self, name, value):
        if name not in type(self)._DEFAULTS:
            raise AttributeError(f"{type(self).__name__} has no option {name!r}; the options "
                                 f"are {sorted(type(self)._DEFAULTS)}.")
        self._values[name] = value

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other._values == self._values

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in sorted(self._DEFAULTS))
        return f"{type(self).__name__}({fields})"


class ThreadingOptions(_OptionsBase):
    """How many threads a pipeline's parallel steps may use.

    Attributes:
        private_threadpool_size: the most threads a parallel `map`, `interleave` or
            `batch` uses when given `num_parallel_calls=AUTOTUNE` (0: the number of CPUs).
        max_intra_op_parallelism: accepted for TensorFlow compatibility (no effect).

    Example:
        >>> options = engine.data.Options()
        >>> options.threading.private_threadpool_size = 2
        >>> options.threading.private_threadpool_size
        2
    """

    _DEFAULTS = {"private_threadpool_size": 0, "max_intra_op_parallelism": None}

    def autotune_threads(self) -> int:
        """The number of threads `AUTOTUNE` means: the pool size, or the CPU count.

        Returns:
            A positive int.

        Example:
            >>> engine.data.ThreadingOptions().autotune_threads() >= 1
            True
        """
        size = self.private_threadpool_size
        return size if size and size > 0 else max(1, os.cpu_count() or 1)


class Options(_OptionsBase):
    """Settings for a whole input pipeline (`Dataset.with_options`).

    Attributes:
        deterministic: whether parallel steps keep the input order (None: True). False
            lets a parallel `map` yield each result as soon as it is ready.
        experimental_deterministic: the older name of `deterministic`.
        threading: a `ThreadingOptions`.

    Example:
        >>> options = engine.data.Options()
        >>> options.deterministic = False
        >>> ds = engine.data.Dataset.range(3).with_options(options)
        >>> ds.options().deterministic
        False
    """

    _DEFAULTS = {"deterministic": None, "threading": None}

    def __init__(self):
        super().__init__()
        self._values["threading"] = ThreadingOptions()

    def __getattr__(self, name):
        if name == "experimental_deterministic":
            return self.deterministic
        return super().__getattr__(name)

    def __setattr__(self, name, value):
        if name == "experimental_deterministic":
            name = "deterministic"
        if name == "deterministic" and value is not None and not isinstance(value, bool):
            raise TypeError(f"Options.deterministic: got {value!r}; expected True, False or "
                            "None.")
        if name == "threading" and not isinstance(value, ThreadingOptions):
            raise TypeError(f"Options.threading: got {type(value).__name__}; expected an "
                            "engine.data.ThreadingOptions.")
        super().__setattr__(name, value)

    def merge(self, options: Options) -> Options:
        """Returns new options: these, overridden by what `options` set explicitly.

        Args:
            options: an `Options` whose explicitly set values win.

        Returns:
            A new `Options`.

        Example:
            >>> a, b = engine.data.Options(), engine.data.Options()
            >>> b.deterministic = False
            >>> a.merge(b).deterministic
            False
        """
        merged = Options()
        merged._values.update({k: v for k, v in self._values.items() if k != "threading"})
        merged._values.update({k: v for k, v in options._values.items() if k != "threading"})
        threading = ThreadingOptions()
        threading._values.update(self.threading._values)
        threading._values.update(options.threading._values)
        merged._values["threading"] = threading
        return merged

    @property
    def is_deterministic(self) -> bool:
        """Whether parallel steps must keep the input order (True unless set to False)."""
        return self.deterministic is not False
