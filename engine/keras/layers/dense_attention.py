"""`Attention` (Luong, dot-product) and `AdditiveAttention` (Bahdanau): single-head attention.

They take `[query, value]` or `[query, value, key]`; masks follow the rules described in
`attention.py` (padded keys get no attention, padded query rows give zero outputs).
"""

from __future__ import annotations

import engine
from engine.errors import ShapeError
from engine.keras.layers.attention import _and, _causal_mask, _large_negative
from engine.keras.layers.base import Layer

__all__ = ["Attention", "AdditiveAttention"]


class _DenseAttention(Layer):
    """Single-head attention of `[query, value]` or `[query, value, key]` (Keras 2 base)."""

    supports_masking = True

    def __init__(self, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1); got "
                             f"{dropout!r}.")
        self.dropout = float(dropout)
        self._returns_scores = False

    def _unpack(self, inputs, mask):
        where = f"{self.name} ({type(self).__name__})"
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            got = (f"a list of {len(inputs)}" if isinstance(inputs, (list, tuple)) else
                   type(inputs).__name__)
            raise ValueError(f"{where}: call the layer on [query, value] or [query, value, "
                             f"key]; got {got}.")
        if mask is not None and (not isinstance(mask, (list, tuple)) or
                                 len(mask) not in (2, 3)):
            raise ValueError(f"{where}: mask must be [query_mask, value_mask] (or None); got "
                             f"{mask!r}.")
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        for what, t in (("query", query), ("value", value), ("key", key)):
            if t.shape.rank != 3:
                raise ShapeError(f"{where}: {what} must have shape (batch, steps, features); "
                                 f"got {t.shape}.")
        if query.shape[-1] is not None and key.shape[-1] is not None and (
                query.shape[-1] != key.shape[-1]):
            raise ShapeError(f"{where}: query and key must have the same last dimension; got "
                             f"shapes {query.shape} and {key.shape}.")
        masks = list(mask) if mask is not None else [None, None]
        return query, value, key, masks[0], masks[1]

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        query, value, key, query_mask, value_mask = self._unpack(inputs, mask)
        scores = self._calculate_scores(query, key)  # (B, Tq, Tv)
        scores_mask = None
        if value_mask is not None:
            scores_mask = engine.expand_dims(engine.cast(value_mask, engine.bool), -2)
        if use_causal_mask:
            scores_mask = _and(scores_mask, _causal_mask(query, value))
        if scores_mask is not None:
            padding = engine.cast(engine.logical_not(scores_mask), scores.dtype)
            scores = scores + padding * _large_negative(scores.dtype)
        weights = engine.nn.softmax(scores, axis=-1)
        dropped = weights
        if training and self.dropout > 0:
            dropped = engine.nn.dropout(weights, rate=self.dropout)
        result = engine.matmul(dropped, value)
        if query_mask is not None:
            result = result * engine.expand_dims(engine.cast(query_mask, result.dtype), -1)
        self._returns_scores = bool(return_attention_scores)
        return (result, weights) if return_attention_scores else result

    def compute_mask(self, inputs, mask=None):
        """The query's mask for the output (and none for the attention scores)."""
        query_mask = mask[0] if isinstance(mask, (list, tuple)) and mask else None
        return [query_mask, None] if self._returns_scores else query_mask

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["dropout"] = self.dropout
        return config


class Attention(_DenseAttention):
    """Dot-product (Luong-style) attention: `softmax(query key^T) value`.

    Call it on `[query, value]` or `[query, value, key]` (key defaults to value), of shapes
    `(batch, Tq, dim)` and `(batch, Tv, dim)`; the output has shape `(batch, Tq, dim_v)`.
    Call arguments: `mask=[query_mask, value_mask]` (default: the inputs' Keras masks),
    `training`, `return_attention_scores`, `use_causal_mask`.

    Args:
        use_scale: learn a scalar `scale` that multiplies the scores.
        score_mode: "dot" (`query . key`) or "concat" (`sum(tanh(query + key))`, scaled
            by a learned scalar `concat_score_weight`).
        dropout: the dropout rate on the attention weights while training.
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> query = engine.constant([[[1.0, 0.0]]])
        >>> value = engine.constant([[[1.0, 0.0], [0.0, 1.0]]])
        >>> engine.keras.layers.Attention()([query, value]).numpy().round(3)
        array([[[0.731, 0.269]]], dtype=float32)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Attention: score_mode must be 'dot' or 'concat'; got "
                             f"{score_mode!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.scale = self.concat_score_weight = None

    def build(self, input_shape):
        if self.use_scale:
            self.scale = self.add_weight("scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = engine.matmul(query, key, transpose_b=True)
            return scores * self.scale if self.scale is not None else scores
        total = engine.expand_dims(query, -2) + engine.expand_dims(key, -3)  # (B, Tq, Tv, d)
        if self.scale is not None:
            total = total * self.scale
        return self.concat_score_weight * engine.reduce_sum(engine.tanh(total), -1)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode})
        return config


class AdditiveAttention(_DenseAttention):
    """Additive (Bahdanau-style) attention: scores `sum(scale * tanh(query + key))`.

    Called like `Attention`: on `[query, value]` or `[query, value, key]`, with the same
    call arguments.

    Args:
        use_scale: learn a per-feature `scale` vector (else the scores are unscaled sums).
        dropout: the dropout rate on the attention weights while training.
        **kwargs: base layer arguments (name, dtype, ...).

    Example:
        >>> layer = engine.keras.layers.AdditiveAttention(use_scale=False)
        >>> query, value = engine.zeros([1, 2, 3]), engine.ones([1, 4, 3])
        >>> layer([query, value]).shape
        TensorShape([1, 2, 3])
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        self.use_scale = bool(use_scale)
        self.scale = None

    def build(self, input_shape):
        # The scale multiplies tanh(query + key), so it has the key's size.
        key_shape = engine.TensorShape(input_shape[-1])
        dim = key_shape[-1] if key_shape.rank else None
        if self.use_scale:
            if dim is None:
                raise ShapeError(f"{self.name} (AdditiveAttention): the key's last dimension "
                                 f"must be known; got shape {key_shape}.")
            self.scale = self.add_weight("scale", shape=(dim,), initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        total = engine.tanh(engine.expand_dims(query, -2) + engine.expand_dims(key, -3))
        if self.scale is not None:
            total = total * self.scale
        return engine.reduce_sum(total, -1)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["use_scale"] = self.use_scale
        return config
