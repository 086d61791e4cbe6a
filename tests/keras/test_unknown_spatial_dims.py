"""Conv transposes and upsampling traced with unknown height and width (None in a signature).

Each layer runs under `engine.function` with an `input_signature` of unknown batch and
spatial sizes, at two spatial sizes, and must match the eager layer in its output and in
the gradients of its input and weights.
"""

import numpy as np
import pytest

import engine

L = engine.keras.layers


def _input(shape, seed):
    return engine.constant(np.random.default_rng(seed).normal(size=shape).astype("float32"))


def _outputs_and_grads(layer, x):
    """The layer's output and the gradients of a weighted sum of it (input, then weights)."""
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = engine.reduce_sum(y * y)
    return [y] + tape.gradient(loss, [x] + list(layer.trainable_weights))


def _check_traced_matches_eager(layer, spec, shapes):
    traced_shapes = []

    def run(x):
        results = _outputs_and_grads(layer, x)
        traced_shapes.append(results[0].shape.as_list())
        return results

    traced = engine.function(run, input_signature=[engine.TensorSpec(spec)])
    for seed, shape in enumerate(shapes):
        x = _input(shape, seed)
        eager = _outputs_and_grads(layer, x)
        got = traced(x)
        assert len(got) == len(eager)
        for g, e in zip(got, eager):
            assert g.shape == e.shape
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-5)
    return traced_shapes


CONV_TRANSPOSE_CASES = [
    dict(strides=2, padding="same"),
    dict(strides=2, padding="valid"),
    dict(strides=(3, 2), padding="valid", output_padding=1),
    dict(strides=2, padding="same", output_padding=1),
    dict(strides=1, padding="same", dilation_rate=2),
    dict(strides=2, padding="same", data_format="channels_first"),
]


@pytest.mark.parametrize("kwargs", CONV_TRANSPOSE_CASES)
def test_conv2d_transpose_unknown_spatial(kwargs):
    layer = L.Conv2DTranspose(4, 3, **kwargs)
    first = kwargs.get("data_format") == "channels_first"
    spec = [None, 3, None, None] if first else [None, None, None, 3]
    shapes = [(2, 3, 5, 6), (1, 3, 3, 4)] if first else [(2, 5, 6, 3), (1, 3, 4, 3)]
    traced_shapes = _check_traced_matches_eager(layer, spec, shapes)
    assert traced_shapes == [[None, 4, None, None] if first else [None, None, None, 4]]


@pytest.mark.parametrize("kwargs", [dict(strides=2, padding="same"),
                                    dict(strides=3, padding="valid", output_padding=2),
                                    dict(strides=2, padding="same",
                                         data_format="channels_first")])
def test_conv1d_transpose_unknown_steps(kwargs):
    layer = L.Conv1DTranspose(2, 3, **kwargs)
    first = kwargs.get("data_format") == "channels_first"
    spec = [None, 4, None] if first else [None, None, 4]
    shapes = [(2, 4, 5), (3, 4, 2)] if first else [(2, 5, 4), (3, 2, 4)]
    traced_shapes = _check_traced_matches_eager(layer, spec, shapes)
    assert traced_shapes == [[None, 2, None] if first else [None, None, 2]]


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(size=(3, 2)),
    dict(interpolation="bilinear"),
    dict(size=(3, 4), interpolation="bilinear"),
    dict(size=(2, 3), interpolation="bilinear", data_format="channels_first"),
    dict(size=(1, 2), data_format="channels_first"),
])
def test_upsampling2d_unknown_spatial(kwargs):
    layer = L.UpSampling2D(**kwargs)
    first = kwargs.get("data_format") == "channels_first"
    spec = [None, 3, None, None] if first else [None, None, None, 3]
    # a size-1 axis checks the clamped edges of bilinear interpolation
    shapes = [(2, 3, 5, 6), (1, 3, 1, 4)] if first else [(2, 5, 6, 3), (1, 1, 4, 3)]
    traced_shapes = _check_traced_matches_eager(layer, spec, shapes)
    assert traced_shapes == [[None, 3, None, None] if first else [None, None, None, 3]]


def test_upsampling1d_unknown_steps():
    traced_shapes = _check_traced_matches_eager(L.UpSampling1D(3), [None, None, 2],
                                                [(2, 4, 2), (1, 1, 2)])
    assert traced_shapes == [[None, None, 2]]


def test_upsampling2d_known_spatial_keeps_static_shape():
    traced_shapes = _check_traced_matches_eager(
        L.UpSampling2D(2, interpolation="bilinear"), [None, 4, 5, 3], [(2, 4, 5, 3)])
    assert traced_shapes == [[None, 8, 10, 3]]
