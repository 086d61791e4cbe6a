"""`Dataset.from_generator`: elements from a Python generator, checked against a signature.

Each iteration calls the generator function anew. Every value it yields is matched to the
signature's structure (a list is accepted where a tuple is expected), converted to the
signature's dtypes with the engine's conversion rules (lossless casts only), copied (a
generator may reuse its buffer), and checked against the signature's shapes.
"""

from __future__ import annotations

from engine import nest
from engine.convert import to_array
from engine.data import recovery, structure
from engine.data.node import Node, close
from engine.errors import DTypeError, ShapeError
from engine.tensor import wrap
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["GeneratorNode", "generator_spec"]


class GeneratorNode(Node):
    """The values a Python generator yields, checked against a signature."""

    kind = "FlatMapDataset"  # TensorFlow's name for from_generator's dataset

    def __init__(self, generator, spec, args: tuple):
        self.generator = generator
        self.spec = spec
        self.args = args
        self._flat_specs = nest.flatten(spec)
        self._pack = structure.packer(spec)

    def _spec(self):
        return self.spec

    def iterate(self, options):
        args = [t.numpy() for t in self.args]
        source = self.generator(*args)
        try:
            items = iter(source)
        except TypeError:
            raise TypeError(f"Dataset.from_generator: the generator function returned "
                            f"{type(source).__name__}, which is not iterable; it must return "
                            "an iterable (write it with `yield`).") from None
        convert = recovery.guarded(self._convert, options, "Dataset.from_generator")
        try:
            for count, value in enumerate(items):
                element = convert(value, count)
                if element is not recovery.SKIPPED:
                    yield element
        finally:
            close(items)

    def _convert(self, value, count: int):
        if type(value) is list and type(self.spec) is tuple:
            value = tuple(value)
        try:
            leaves = nest.flatten_up_to(self.spec, value, check_types=False)
        except (TypeError, ValueError):
            raise TypeError(f"Dataset.from_generator: element {count} does not match "
                            f"output_signature: expected the structure {self.spec}, the "
                            f"generator yielded {_short(value)}.") from None
        flat = []
        for spec, leaf, name in zip(self._flat_specs, leaves, self._names()):
            try:
                array = to_array(leaf, spec.dtype)
            except (TypeError, ValueError) as err:
                raise DTypeError(f"Dataset.from_generator: element {count}, component {name}: "
                                 f"{err} (output_signature says {spec.dtype.name}).") from None
            if array is leaf:
                array = array.copy()  # the generator may reuse its buffer
            if not spec.shape.is_compatible_with(TensorShape(array.shape)):
                raise ShapeError(f"Dataset.from_generator: element {count}, component {name} "
                                 f"has shape {array.shape}; output_signature expects "
                                 f"{spec.shape}. Fix the generator or the signature (None "
                                 "for dimensions that vary).")
            flat.append(wrap(array))
        return self._pack(flat)

    def _names(self):
        return structure.leaf_paths(self.spec)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def generator_spec(output_types, output_shapes, output_signature):
    """The nested `TensorSpec`s from `output_signature`, or from legacy types and shapes."""
    if output_signature is not None:
        if output_types is not None or output_shapes is not None:
            raise TypeError("Dataset.from_generator: give output_signature alone, or the "
                            "legacy output_types (and output_shapes), not both.")
        if type(output_signature) is list:
            output_signature = tuple(output_signature)
        for path, leaf in nest.flatten_with_paths(output_signature):
            if not isinstance(leaf, TensorSpec):
                raise TypeError(f"Dataset.from_generator: output_signature must hold "
                                f"engine.TensorSpec objects; got {type(leaf).__name__} at "
                                f"{structure.path_name(path)}.")
        return output_signature
    if output_types is None:
        raise TypeError("Dataset.from_generator: output_signature is required, e.g. "
                        "output_signature=engine.TensorSpec([None], engine.float32).")
    if type(output_types) is list:
        output_types = tuple(output_types)
    if output_shapes is None:
        shapes = [None] * len(nest.flatten(output_types))
    else:
        try:
            shapes = nest.flatten_up_to(output_types, output_shapes, check_types=False)
        except (TypeError, ValueError):
            raise TypeError(f"Dataset.from_generator: output_shapes {output_shapes} does not "
                            f"match the structure of output_types {output_types}.") from None
    specs = [TensorSpec(shape, dtype) for dtype, shape in zip(nest.flatten(output_types),
                                                               shapes)]
    return nest.pack_sequence_as(output_types, specs)
