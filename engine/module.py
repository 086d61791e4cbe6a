"""`engine.Module`: a container that finds its variables and submodules by itself.

Variables and modules assigned to attributes — directly or inside lists, tuples and dicts —
are tracked without registration, as in `tf.Module`. The walk happens when you ask
(`variables`, `trainable_variables`, `submodules`), in sorted attribute order, and each
object is reported once even if reachable twice.
"""

from __future__ import annotations

import functools
import re

from engine.scopes import name_scope as _name_scope

__all__ = ["Module"]


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Module:
    """Base class for objects that own variables (models, layers, optimizers).

    Example:
        >>> class Dense(engine.Module):
        ...     def __init__(self, n_in, n_out):
        ...         super().__init__()
        ...         self.w = engine.Variable(engine.ones([n_in, n_out]), name="w")
        ...         self.b = engine.Variable(engine.zeros([n_out]), name="b")
        ...     def __call__(self, x):
        ...         return x @ self.w + self.b
        >>> len(Dense(3, 2).trainable_variables)
        2
    """

    def __init__(self, name: str | None = None):
        if name is None:
            name = _snake(type(self).__name__)
        elif not isinstance(name, str) or not re.match(r"^[A-Za-z_][\w.\-]*$", name):
            raise ValueError(f"Module: name {name!r} is not valid; use letters, digits, _ . -, "
                             "starting with a letter or _.")
        self._name = name
        self._scope = _name_scope(name)

    @property
    def name(self) -> str:
        """The module's name (snake_case of the class name by default)."""
        return self._name

    @property
    def name_scope(self) -> _name_scope:
        """A name scope to enter when creating this module's variables."""
        return self._scope

    @property
    def variables(self) -> tuple:
        """Every variable of this module and its submodules."""
        return tuple(self._flatten(lambda o: getattr(o, "_is_variable", False)))

    @property
    def trainable_variables(self) -> tuple:
        """The variables with `trainable=True`."""
        return tuple(self._flatten(
            lambda o: getattr(o, "_is_variable", False) and o.trainable))

    @property
    def non_trainable_variables(self) -> tuple:
        """The variables with `trainable=False`."""
        return tuple(self._flatten(
            lambda o: getattr(o, "_is_variable", False) and not o.trainable))

    @property
    def submodules(self) -> tuple:
        """Every module reachable from this one (not including itself)."""
        return tuple(self._flatten(lambda o: isinstance(o, Module)))

    def _flatten(self, predicate, recursive: bool = True) -> list:
        found: list = []
        seen = {id(self)}
        self._walk(self, predicate, recursive, found, seen)
        return found

    @staticmethod
    def _children(obj):
        if isinstance(obj, Module):
            attrs = vars(obj)
            return [attrs[k] for k in sorted(attrs) if k not in ("_scope",)]
        if isinstance(obj, dict):
            try:
                keys = sorted(obj)
            except TypeError:
                keys = list(obj)
            return [obj[k] for k in keys]
        if isinstance(obj, (list, tuple)):
            return list(obj)
        return []

    def _walk(self, obj, predicate, recursive, found, seen) -> None:
        for child in self._children(obj):
            if isinstance(child, (str, bytes, int, float)) or id(child) in seen:
                continue
            seen.add(id(child))
            if predicate(child):
                found.append(child)
            if isinstance(child, Module):
                if recursive:
                    self._walk(child, predicate, recursive, found, seen)
            elif isinstance(child, (list, tuple, dict)):
                self._walk(child, predicate, recursive, found, seen)

    @classmethod
    def with_name_scope(cls, method):
        """Decorator: runs a method inside the module's name scope.

        Example:
            >>> class M(engine.Module):
            ...     @engine.Module.with_name_scope
            ...     def __call__(self, x):
            ...         return x
        """

        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)

        return wrapper

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self._name!r}>"
