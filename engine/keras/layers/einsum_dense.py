"""`EinsumDense`: a dense layer whose kernel contraction is written as an einsum equation.

`EinsumDense("abc,cde->abde", output_shape=(None, 4, 8))` is a `Dense` that maps the last
axis of `(batch, time, c)` inputs to a `(4, 8)` block, as the projections of multi-head
attention do. The equation names the input's axes, then the kernel's, then the output's,
in one of three forms (`X,Y->Z`, `...X,Y->...Z`, `X...,Y->Z...`); the ellipsis stands for
axes passed through untouched. The kernel's shape follows from the labels: each kernel
label takes its size from the input, or else from `output_shape`.
"""

from __future__ import annotations

import numbers
import re

import engine
from engine.errors import ShapeError
from engine.keras import activations, constraints, initializers, regularizers
from engine.keras.layers.base import Layer
from engine.keras.layers.weight_options import weight_options_config

__all__ = ["EinsumDense"]

_LABELS = "[a-zA-Z]+"
_FORMS = (  # (pattern, where the ellipsis is)
    (re.compile(rf"^({_LABELS}),({_LABELS})->({_LABELS})$"), None),
    (re.compile(rf"^\.\.\.({_LABELS}),({_LABELS})->\.\.\.({_LABELS})$"), "left"),
    (re.compile(rf"^({_LABELS})\.\.\.,({_LABELS})->({_LABELS})\.\.\.$"), "right"),
)


def parse_equation(equation: str) -> tuple:
    """`(input_labels, kernel_labels, output_labels, ellipsis)`; ellipsis is None, "left"
    or "right".

    Args:
        equation: an EinsumDense equation such as `"ab,bc->ac"` or `"...b,bc->...c"`.

    Returns:
        The three label strings and where the ellipsis is.

    Raises:
        ValueError: for an equation of another form.

    Example:
        >>> from engine.keras.layers.einsum_dense import parse_equation
        >>> parse_equation("...b,bc->...c")
        ('b', 'bc', 'c', 'left')
    """
    if not isinstance(equation, str):
        raise TypeError(f"EinsumDense: equation must be a string; got {equation!r}.")
    for pattern, ellipsis in _FORMS:
        match = pattern.match(equation.replace(" ", ""))
        if match:
            return (*match.groups(), ellipsis)
    raise ValueError(f"EinsumDense: got equation={equation!r}; expected one input, one kernel "
                     "and one output term of letters, as 'ab,bc->ac', '...b,bc->...c' or "
                     "'ab...,bc->ac...' (an ellipsis at the start or end of both the input "
                     "and the output).")


def _error(equation: str, message: str) -> ShapeError:
    return ShapeError(f"EinsumDense {equation!r}: {message}")


def analyze_shapes(equation: str, bias_axes, input_shape, output_shape) -> tuple:
    """`(kernel_shape, bias_shape or None, full_output_shape)` for inputs of `input_shape`.

    `output_shape` (without the batch axis) gives the sizes of the output labels after the
    batch label, or of every output label with a leading ellipsis (which holds the batch).
    """
    in_labels, kernel_labels, out_labels, ellipsis = parse_equation(equation)
    dims = list(input_shape)
    elided = len(dims) - len(in_labels)
    if elided < 0 or (ellipsis is None and elided):
        raise _error(equation, f"the input term {in_labels!r} has {len(in_labels)} axes; got "
                     f"inputs of shape {tuple(dims)}. Match the equation to the input rank.")
    offset = elided if ellipsis == "left" else 0
    in_sizes = {label: dims[offset + i] for i, label in enumerate(in_labels)}
    named = out_labels if ellipsis == "left" else out_labels[1:]
    if len(output_shape) != len(named):
        raise _error(equation, f"got output_shape={list(output_shape)}; expected "
                     f"{len(named)} sizes, one per output label {named!r} (None for a size "
                     "taken from the input).")
    if ellipsis != "left" and out_labels[0] != in_labels[0]:
        raise _error(equation, f"the first output label {out_labels[0]!r} must be the batch "
                     f"label {in_labels[0]!r} (the first input label): output_shape leaves "
                     "out the batch axis. Put the batch label first in both terms.")
    out_given = dict(zip(named, output_shape))
    sizes = {}
    for label in out_labels:
        given = out_given.get(label)
        if label in in_sizes:
            if given is not None and in_sizes[label] is not None and given != in_sizes[label]:
                raise _error(equation, f"output label {label!r} is shared with the input, "
                             f"whose size there is {in_sizes[label]}; got output size {given}. "
                             "Pass None or the input's size in output_shape.")
            sizes[label] = in_sizes[label]
        elif label in kernel_labels:
            sizes[label] = given
        else:
            raise _error(equation, f"output label {label!r} is in neither the input term "
                         f"{in_labels!r} nor the kernel term {kernel_labels!r}.")
    kernel_shape = []
    for label in kernel_labels:
        size = in_sizes.get(label, sizes.get(label))
        if label not in in_sizes and label not in sizes:
            raise _error(equation, f"kernel label {label!r} is in neither the input term "
                         f"{in_labels!r} nor the output term {out_labels!r}; every kernel "
                         "axis needs a size from one of them.")
        if size is None:
            raise _error(equation, f"kernel label {label!r} has an unknown size (inputs of "
                         f"shape {tuple(dims)}, output_shape={list(output_shape)}); give it "
                         "in output_shape or build with that input axis known.")
        kernel_shape.append(int(size))
    bias_shape = None
    if bias_axes is not None:
        for label in bias_axes:
            if label not in out_labels:
                raise _error(equation, f"bias_axes={bias_axes!r} has {label!r}, which is not "
                             f"an output label of {out_labels!r}; pick labels from it.")
        first = min(out_labels.index(label) for label in bias_axes)
        bias_shape = [sizes[label] if label in bias_axes else 1 for label in out_labels[first:]]
        if None in bias_shape:
            raise _error(equation, f"bias_axes={bias_axes!r} includes an output axis of unknown "
                         f"size (inputs of shape {tuple(dims)}); the bias needs known sizes, "
                         "so leave that label out of bias_axes.")
        if ellipsis == "right":
            bias_shape += [1] * elided
    head, tail = dims[:elided] if ellipsis == "left" else [], dims[len(in_labels):]
    full = head + [sizes[label] for label in out_labels] + (tail if ellipsis == "right" else [])
    return kernel_shape, bias_shape, full


class EinsumDense(Layer):
    """A dense layer that contracts its inputs with its kernel by an einsum equation.

    Computes `activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: `"<input>,<kernel>-><output>"` with letter labels, optionally with an
            ellipsis leading both the input and output terms (`"...b,bc->...c"`) or
            trailing them (`"ab...,bc->ac..."`).
        output_shape: the output's sizes without the batch axis (an int for one), None
            where the size comes from the input. With a leading ellipsis, the sizes of the
            output labels only.
        activation: an activation (name or function), default none.
        bias_axes: the output labels that the bias varies over (a string), or None for no
            bias.
        kernel_initializer, bias_initializer: initializers (names or objects).
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 8),
        ...                                         bias_axes="de")
        >>> layer(engine.ones([2, 5, 3])).shape, layer.kernel.shape, layer.bias.shape
        (TensorShape([2, 5, 4, 8]), TensorShape([3, 4, 8]), TensorShape([4, 8]))
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        parse_equation(equation)
        shape = [output_shape] if isinstance(output_shape, numbers.Integral) else output_shape
        if not isinstance(shape, (list, tuple)) or not all(
                d is None or isinstance(d, numbers.Integral) and d > 0 for d in shape):
            raise ValueError(f"EinsumDense: output_shape must be a positive int or a list of "
                             f"positive ints and None; got output_shape={output_shape!r}.")
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise TypeError(f"EinsumDense: bias_axes must be a string of output labels or "
                            f"None; got bias_axes={bias_axes!r}.")
        self.equation = equation
        self.partial_output_shape = [None if d is None else int(d) for d in shape]
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None

    def build(self, input_shape):
        kernel_shape, bias_shape, full = analyze_shapes(
            self.equation, self.bias_axes, input_shape.as_list(), self.partial_output_shape)
        self.full_output_shape = full
        self.kernel = self.add_weight("kernel", shape=kernel_shape,
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.bias = self.add_weight("bias", shape=bias_shape,
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        out = engine.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out) if self.activation is not None else out

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({
            "equation": self.equation, "output_shape": self.partial_output_shape,
            "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
            **weight_options_config(self)})
        return config
