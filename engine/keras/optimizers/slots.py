"""An optimizer's variables besides its step count: `OptimizerSlots`, a mixin of `Optimizer`.

`build(var_list)` gives each variable seen for the first time its slot variables (one per
`(name, fill value)` of `_slot_specs()`, created with `add_variable_from_reference` outside
any traced graph) and, with `use_ema`, its moving average. The variables are indexed by
`id` in `_index_dict`; `_slots[i]` and `_averages[i]` belong to `_built_for[i]`. Weight
decay exclusions (`exclude_from_weight_decay`) are decided per variable here too, and
`finalize_variable_values` copies the averages into the variables.

The mixin uses state that `Optimizer.__init__` sets (`_variables`, `_index_dict`,
`_built_for`, `_slots`, `_averages`, `_plans`, `use_ema`, ...).
"""

from __future__ import annotations

import re

from engine.keras.optimizers.variables import new_variable, slot_variable
from engine.variable import Variable

__all__ = ["OptimizerSlots"]


class OptimizerSlots:
    """Slot variables, moving averages and weight-decay exclusions of `Optimizer`."""

    def _var_key(self, variable) -> int:
        """The key under which the optimizer knows `variable` (its id)."""
        return id(variable)

    def _slot_specs(self) -> tuple:
        """`(name, initial fill value)` of each slot a variable gets (subclasses override)."""
        return ()

    def build(self, var_list) -> None:
        """Creates the slot variables for each variable of `var_list` not seen before.

        Called by `apply_gradients`; call it yourself to create the slots before the first
        step (for instance to restore them). Slots are created outside any traced graph.

        Args:
            var_list: the variables the optimizer will update.
        """
        new = [v for v in var_list if id(v) not in self._index_dict]
        if not new:
            return
        specs = self._slot_specs()
        for variable in new:
            self._index_dict[id(variable)] = len(self._built_for)
            self._built_for.append(variable)
            self._slots.append(tuple(
                self.add_variable_from_reference(variable, slot, initial_value=fill_value)
                for slot, fill_value in specs))
            if self.use_ema:
                self._averages.append(self.add_variable_from_reference(
                    variable, "average", initial_value=variable))

    def add_variable(self, shape, dtype=None, initializer="zeros", name=None) -> Variable:
        """Creates a non-trainable optimizer variable (listed in `variables`).

        Args:
            shape: its shape (a list or tuple of ints; None or () for a scalar).
            dtype: its dtype (default: `engine.keras.backend.floatx()`).
            initializer: "zeros", "ones", another initializer name, or a callable
                `initializer(shape, dtype)`.
            name: its name.

        Returns:
            The new variable.

        Example:
            >>> opt = engine.keras.optimizers.SGD()
            >>> opt.add_variable([2], name="extra").numpy()
            array([0., 0.], dtype=float32)
        """
        variable = new_variable(shape, dtype, initializer, name)
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, model_variable, variable_name, shape=None,
                                    initial_value=None) -> Variable:
        """Creates a slot variable for `model_variable`, named `{variable_name}/{its name}`.

        The slot has the variable's dtype and device, and its shape unless `shape` is given.

        Args:
            model_variable: the variable the slot belongs to.
            variable_name: the slot's name prefix (e.g. "m").
            shape: the slot's shape (default: the variable's).
            initial_value: a number to fill it with, a tensor or variable to copy, or None
                for zeros.

        Returns:
            The new slot variable (listed in `variables`).

        Example:
            >>> w = engine.Variable([1.0, 2.0], name="w")
            >>> slot = engine.keras.optimizers.SGD().add_variable_from_reference(w, "m")
            >>> slot.name, slot.numpy()
            ('m/w:0', array([0., 0.], dtype=float32))
        """
        variable = slot_variable(model_variable, variable_name, shape, initial_value)
        self._variables.append(variable)
        return variable

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Excludes variables from weight decay; call it before the first step.

        Args:
            var_list: variables to exclude.
            var_names: regular expressions; a variable whose name matches one is excluded
                (e.g. `["bias"]`).

        Raises:
            ValueError: once the optimizer has created its variables.

        Example:
            >>> opt = engine.keras.optimizers.AdamW()
            >>> opt.exclude_from_weight_decay(var_names=["bias"])
        """
        if self._built_for or self._built:
            raise ValueError(f"{self.name}: exclude_from_weight_decay() must be called before "
                             "the optimizer is built (before the first apply_gradients).")
        self._exclude_from_weight_decay = [id(v) for v in var_list or ()]
        self._exclude_from_weight_decay_names = list(var_names or ())
        self._plans.clear()

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_from_weight_decay:
            return False
        return not any(re.search(p, variable.name) for p in self._exclude_from_weight_decay_names)

    def finalize_variable_values(self, var_list) -> None:
        """Overwrites the variables with their moving averages when `use_ema`; else nothing.

        Args:
            var_list: the variables (those the optimizer updated).

        Example:
            >>> w = engine.Variable(1.0)
            >>> opt = engine.keras.optimizers.SGD(use_ema=True, ema_momentum=0.5)
            >>> _ = opt.apply_gradients([(engine.constant(1.0), w)])
            >>> opt.finalize_variable_values([w])
            >>> round(float(w), 6)  # the average of 1.0 and 0.99
            0.995
        """
        if not self.use_ema:
            return
        for variable in var_list:
            index = self._index_dict.get(id(variable))
            if index is not None:
                variable.assign(self._averages[index])
