"""`MultiHeadAttention`, and the mask rules shared with `Attention`/`AdditiveAttention`.

Masks (Keras 2 semantics). A mask says which positions are real (True) and which are
padding. The attention layers read the Keras masks of their inputs (`_keras_mask`, set by
`Embedding(mask_zero=True)`, `Masking`, ...):
- a padded key/value position gets no attention: its score is pushed down by 1e9 (65504
  in float16) before the softmax, so in float32 a row whose every position is masked
  attends uniformly, as in Keras 2;
- `MultiHeadAttention` also masks scores of padded query positions and combines all of
  these with an explicit `attention_mask` (True = may attend) by logical AND;
- `Attention`/`AdditiveAttention` zero the outputs of padded query positions;
- `use_causal_mask=True` lets query position i attend to key positions j <= i only.
The output keeps the query's mask.
"""

from __future__ import annotations

import numbers
import string

import numpy as np

import engine
from engine.errors import ShapeError
from engine.keras import constraints, initializers, regularizers
from engine.keras.activations import softmax as _softmax_over
from engine.keras.layers.base import Layer
from engine.keras.layers.weight_options import weight_options_config

__all__ = ["MultiHeadAttention"]


def _large_negative(dtype) -> float:
    """The score offset of masked positions: -1e9, or float16's most negative -65504."""
    return -65504.0 if dtype.name == "float16" else -1e9


def _masked_softmax(scores, mask, axes):
    """Softmax over `axes` after pushing the scores of masked (False) positions down."""
    if mask is not None:
        scores = scores + (1.0 - engine.cast(mask, scores.dtype)) * _large_negative(
            scores.dtype)
    if len(axes) == 1:
        return engine.nn.softmax(scores, axis=axes[0])
    return _softmax_over(scores, axis=tuple(axes))


def _causal_mask(query, value):
    """`(1, Tq, Tv)` booleans, True where key position j <= query position i."""
    tq, tv = query.shape[1], value.shape[1]
    if tq is not None and tv is not None:
        return engine.constant(np.tril(np.ones((tq, tv), dtype=bool))[None])
    # Unknown lengths (functional models): a (1, Tq, Tv) block of ones, kept lower-triangular.
    rows = engine.ones_like(query[:1, :, 0])
    cols = engine.ones_like(value[:1, :, 0])
    ones = engine.expand_dims(rows, 2) * engine.expand_dims(cols, 1)
    return engine.cast(engine.linalg.band_part(ones, -1, 0), engine.bool)


def _as_input(layer, x, what: str):
    """`x` as a tensor of the layer's dtype (floating inputs), keeping its Keras mask."""
    if x is None:
        return None
    mask = getattr(x, "_keras_mask", None)
    t = x if isinstance(x, engine.Tensor) else engine.convert_to_tensor(
        np.asarray(x, dtype=layer.dtype) if not isinstance(x, engine.Variable) else x)
    if t.dtype.is_floating and t.dtype != layer._dtype:
        t = engine.cast(t, layer._dtype)
        if mask is not None:
            t._keras_mask = mask
    if t.shape.rank is not None and t.shape.rank < 3:
        raise ShapeError(f"{layer.name} ({type(layer).__name__}): {what} must have rank >= 3 "
                         f"(batch, steps, features); got shape {t.shape}.")
    return t


def _and(a, b):
    return b if a is None else a if b is None else engine.logical_and(a, b)


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Vaswani et al., 2017), as in Keras 2.

    The query, key and value are projected to `num_heads` heads of size `key_dim`
    (values: `value_dim`); each head computes `softmax(q k^T / sqrt(key_dim)) v` over the
    attention axes; the heads are projected back to `output_shape` (default: the query's
    feature size). Weights: `query/kernel` `(query_dim, num_heads, key_dim)`,
    `query/bias` `(num_heads, key_dim)`, likewise `key/...` and `value/...`, and
    `attention_output/kernel` `(num_heads, value_dim, *output_shape)`,
    `attention_output/bias` `output_shape`. They are created on the first call, when the
    value's shape is known (or by `build(query_shape, value_shape)`).

    Args:
        num_heads: the number of attention heads.
        key_dim: the size of each head for query and key.
        value_dim: the size of each head for value (default `key_dim`).
        dropout: the dropout rate on the attention probabilities while training.
        use_bias: whether the projections add biases.
        output_shape: the output's trailing shape (an int or tuple), default the query's
            last dimension.
        attention_axes: the axes attended over (default: every axis between the batch
            axis and the features, e.g. the sequence axis).
        kernel_initializer, bias_initializer: initializers (each weight gets its own copy).
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.
        **kwargs: base layer arguments (name, dtype, ...).

    Call arguments: `query` `(batch, Tq, dim)`, `value` `(batch, Tv, dim)`, `key`
    (default `value`), `attention_mask` (booleans `(batch, Tq, Tv)`, True = may attend),
    `return_attention_scores` (also return the `(batch, heads, Tq, Tv)` probabilities),
    `training`, `use_causal_mask`.

    Example:
        >>> layer = engine.keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = engine.ones([3, 5, 8])
        >>> out, scores = layer(x, x, return_attention_scores=True)
        >>> out.shape, scores.shape
        (TensorShape([3, 5, 8]), TensorShape([3, 2, 5, 5]))
    """

    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for arg, val in (("num_heads", num_heads), ("key_dim", key_dim),
                         ("value_dim", key_dim if value_dim is None else value_dim)):
            if not isinstance(val, numbers.Integral) or val <= 0:
                raise ValueError(f"MultiHeadAttention: {arg} must be a positive integer; got "
                                 f"{val!r}.")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1); got {dropout!r}.")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(value_dim) if value_dim is not None else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if isinstance(output_shape, numbers.Integral):
            output_shape = (int(output_shape),)
        self._output_shape = None if output_shape is None else tuple(int(d) for d in
                                                                     output_shape)
        if isinstance(attention_axes, numbers.Integral):
            attention_axes = (int(attention_axes),)
        self._attention_axes = None if attention_axes is None else tuple(
            int(a) for a in attention_axes)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._built_from_signature = False
        self._returns_scores = False

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the weights now if `value_shape` is given, else on the first call.

        Args:
            query_shape: the query's shape.
            value_shape: the value's shape, or None to wait for the first call.
            key_shape: the key's shape (default `value_shape`).
        """
        if value_shape is not None:
            self._build_from_signature(engine.TensorShape(query_shape),
                                       engine.TensorShape(value_shape),
                                       engine.TensorShape(key_shape or value_shape))
        self.built = True

    def _weight(self, name, shape, kernel: bool):
        init = self.kernel_initializer if kernel else self.bias_initializer
        clone = getattr(init, "clone", None)
        return self.add_weight(name, shape=shape, initializer=clone() if clone else init,
                               regularizer=self.kernel_regularizer if kernel else
                               self.bias_regularizer,
                               constraint=self.kernel_constraint if kernel else
                               self.bias_constraint)

    def _build_from_signature(self, query_shape, value_shape, key_shape) -> None:
        shapes = {"query": query_shape, "key": key_shape, "value": value_shape}
        for what, shape in shapes.items():
            if shape.rank is None or shape.rank < 3 or shape[-1] is None:
                raise ShapeError(f"{self.name} (MultiHeadAttention): the {what} must have a "
                                 f"known rank >= 3 and a known last dimension; got shape "
                                 f"{shape}.")
        rank = query_shape.rank
        if key_shape.rank != rank or value_shape.rank != rank:
            raise ShapeError(f"{self.name} (MultiHeadAttention): query, key and value must "
                             f"have the same rank; got shapes {query_shape}, {key_shape}, "
                             f"{value_shape}.")
        axes = self._attention_axes or tuple(range(1, rank - 1))
        axes = tuple(sorted(a + rank if a < 0 else a for a in axes))
        if any(not 1 <= a < rank - 1 for a in axes):
            raise ValueError(f"{self.name} (MultiHeadAttention): attention_axes="
                             f"{self._attention_axes} must name axes between the batch axis "
                             f"and the feature axis of inputs of rank {rank}.")
        self._axes = axes
        self._rank = rank
        self._set_equations(rank, axes)
        heads = (self.num_heads, self.key_dim)
        value_heads = (self.num_heads, self.value_dim)
        out_shape = self._output_shape or (query_shape[-1],)
        self.query_kernel = self._weight("query/kernel", (query_shape[-1],) + heads, True)
        self.query_bias = self._weight("query/bias", heads, False) if self.use_bias else None
        self.key_kernel = self._weight("key/kernel", (key_shape[-1],) + heads, True)
        self.key_bias = self._weight("key/bias", heads, False) if self.use_bias else None
        self.value_kernel = self._weight("value/kernel", (value_shape[-1],) + value_heads,
                                         True)
        self.value_bias = self._weight("value/bias", value_heads,
                                       False) if self.use_bias else None
        self.output_kernel = self._weight("attention_output/kernel", value_heads + out_shape,
                                          True)
        self.output_bias = self._weight("attention_output/bias", out_shape,
                                        False) if self.use_bias else None
        self._built_from_signature = True

    def _set_equations(self, rank: int, axes: tuple) -> None:
        """Einsum equations for the scores and the weighted sum, for any attention axes."""
        letters = iter(string.ascii_lowercase)
        q = [next(letters) for _ in range(rank - 1)]  # batch and position axes
        heads, dim, value_dim = next(letters), next(letters), next(letters)
        k = [next(letters) if i in axes else q[i] for i in range(rank - 1)]
        batch = [q[i] for i in range(rank - 1) if i not in axes]
        scores = "".join(batch + [heads] + [q[i] for i in axes] + [k[i] for i in axes])
        q, k = "".join(q), "".join(k)
        self._score_equation = f"{k}{heads}{dim},{q}{heads}{dim}->{scores}"
        self._combine_equation = f"{scores},{k}{heads}{value_dim}->{q}{heads}{value_dim}"
        count = len(scores)
        self._softmax_axes = list(range(count - len(axes), count))

    def _check_feature_sizes(self, **inputs) -> None:
        for what, x in inputs.items():
            size = getattr(self, f"{what}_kernel").shape[0]
            if x.shape.rank != self._rank or x.shape[-1] not in (None, size):
                raise ShapeError(f"{self.name} (MultiHeadAttention): the layer was built for "
                                 f"a {what} of rank {self._rank} with {size} features; got "
                                 f"shape {x.shape}. Pass inputs like the first call's, or "
                                 "create a new layer.")

    def _project(self, x, kernel, bias):
        out = engine.tensordot(x, kernel, [[x.shape.rank - 1], [0]])
        return out + bias if bias is not None else out

    def _attention_mask(self, query, value, key, attention_mask, use_causal_mask):
        """The explicit mask AND the inputs' Keras masks AND the causal mask (or None)."""
        mask = None
        query_mask = getattr(query, "_keras_mask", None)
        if query_mask is not None:
            mask = engine.expand_dims(engine.cast(query_mask, engine.bool), -1)  # (B, Tq, 1)
        for m in (getattr(value, "_keras_mask", None), getattr(key, "_keras_mask", None)):
            if m is not None:
                mask = _and(mask, engine.expand_dims(engine.cast(m, engine.bool), -2))
        if use_causal_mask:
            if len(self._axes) != 1:
                raise ValueError(f"{self.name} (MultiHeadAttention): use_causal_mask needs a "
                                 f"single attention axis; got attention_axes={self._axes}.")
            mask = _and(mask, _causal_mask(query, value))
        if attention_mask is not None:
            attention_mask = engine.convert_to_tensor(attention_mask)
            self._check_mask_shape(attention_mask, query, key)
            mask = _and(engine.cast(attention_mask, engine.bool), mask)
        return mask

    def _check_mask_shape(self, mask, query, key) -> None:
        want = [query.shape[a] for a in self._axes] + [key.shape[a] for a in self._axes]
        got = mask.shape.as_list() if mask.shape.rank is not None else None
        if got is None:
            return
        tail = got[-len(want):]
        if len(got) < len(want) or any(g is not None and w is not None and g not in (1, w)
                                        for g, w in zip(tail, want)):
            raise ShapeError(f"{self.name} (MultiHeadAttention): attention_mask has shape "
                             f"{mask.shape}; expected (batch, query positions, key "
                             f"positions) ending in {tuple(want)}.")

    def call(self, query, value, key=None, attention_mask=None, return_attention_scores=False,
             training=None, use_causal_mask=False):
        value = _as_input(self, value, "value")
        key = value if key is None else _as_input(self, key, "key")
        if not self._built_from_signature:
            self._build_from_signature(query.shape, value.shape, key.shape)
        self._check_feature_sizes(query=query, value=value, key=key)
        mask = self._attention_mask(query, value, key, attention_mask, use_causal_mask)
        q = self._project(query, self.query_kernel, self.query_bias)  # (B, Tq, N, H)
        k = self._project(key, self.key_kernel, self.key_bias)  # (B, Tv, N, H)
        v = self._project(value, self.value_kernel, self.value_bias)  # (B, Tv, N, Hv)
        q = q * float(1.0 / np.sqrt(self.key_dim))
        scores = engine.einsum(self._score_equation, k, q)  # (B, N, Tq, Tv)
        if mask is not None:
            for _ in range(scores.shape.rank - mask.shape.rank):
                mask = engine.expand_dims(mask, -2 * len(self._axes) - 1)
        probabilities = _masked_softmax(scores, mask, self._softmax_axes)
        dropped = probabilities
        if training and self.dropout > 0:
            dropped = engine.nn.dropout(probabilities, rate=self.dropout)
        out = engine.einsum(self._combine_equation, dropped, v)  # (B, Tq, N, Hv)
        out = engine.tensordot(out, self.output_kernel, [[out.shape.rank - 2,
                                                          out.shape.rank - 1], [0, 1]])
        if self.output_bias is not None:
            out = out + self.output_bias
        self._returns_scores = bool(return_attention_scores)
        return (out, probabilities) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        """The query's mask for the output (and none for the attention scores)."""
        return [mask, None] if self._returns_scores else mask

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        """The output's shape: the query's, with the last axis `output_shape` if given.

        Args:
            query_shape: `(batch, Tq, ..., dim)`.
            value_shape: `(batch, Tv, ..., dim_v)`.
            key_shape: the key's shape (default `value_shape`); its steps must match the
                value's.

        Returns:
            A `TensorShape`.

        Raises:
            ValueError: if the key's and the value's step axes differ.
        """
        query_shape = engine.TensorShape(query_shape)
        value_shape = engine.TensorShape(value_shape)
        key_shape = value_shape if key_shape is None else engine.TensorShape(key_shape)
        if not value_shape[1:-1].is_compatible_with(key_shape[1:-1]):
            raise ValueError(f"{self.name} (MultiHeadAttention): the key and the value must "
                             f"have the same steps; got key_shape={key_shape} and "
                             f"value_shape={value_shape}. Pass a key with the value's steps.")
        if self._output_shape is not None:
            return query_shape[:-1].concatenate(self._output_shape)
        return query_shape

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({
            "num_heads": self.num_heads, "key_dim": self.key_dim,
            "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": None if self._attention_axes is None else list(
                self._attention_axes),
            **weight_options_config(self)})
        return config
