"""engine.keras.losses focal cross-entropies: formulas against NumPy, gradients against float64
finite differences, reductions and weights, tracing, configs, names and bad arguments."""

import json

import numpy as np
import pytest

import engine
from tests.opcheck import check_grad

losses = engine.keras.losses
EPS = 1e-7


# --- NumPy references (Keras 2 formulas), per sample -----------------------------------------
def np_binary_focal(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                    from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        prob = 1 / (1 + np.exp(-p))
        bce = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
    else:
        prob, q = p, np.clip(p, EPS, 1 - EPS)
        bce = -(t * np.log(q + EPS) + (1 - t) * np.log(1 - q + EPS))
    p_t = t * prob + (1 - t) * (1 - prob)
    focal = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (t * alpha + (1 - t) * (1 - alpha)) * focal
    return focal.mean(axis)


def np_categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                         axis=-1):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        e = np.exp(p - p.max(axis, keepdims=True))
        p = e / e.sum(axis, keepdims=True)
    p = np.clip(p / p.sum(axis, keepdims=True), EPS, 1 - EPS)
    alpha = np.asarray(alpha)
    if alpha.ndim and axis % t.ndim != t.ndim - 1:
        alpha = alpha.reshape([-1 if i == axis % t.ndim else 1 for i in range(t.ndim)])
    return -(alpha * (1 - p) ** gamma * t * np.log(p)).sum(axis)


def _binary_data(rng, shape=(5, 4), from_logits=False):
    t = rng.choice([0.0, 1.0, 0.3], shape)
    p = rng.normal(size=shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    return t, p


def _categorical_data(rng, shape=(5, 4), from_logits=False, axis=-1):
    classes = shape[axis]
    t = np.moveaxis(np.eye(classes)[rng.integers(0, classes, shape[:axis % len(shape)] +
                                                shape[axis % len(shape) + 1:])], -1, axis)
    p = rng.normal(size=shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    return t, p


BINARY_OPTIONS = [{}, {"gamma": 0.0}, {"gamma": 3.5}, {"apply_class_balancing": True},
                  {"apply_class_balancing": True, "alpha": 0.8, "from_logits": True},
                  {"from_logits": True}, {"label_smoothing": 0.2},
                  {"from_logits": True, "label_smoothing": 0.1, "gamma": 1.0}, {"axis": 0}]
CATEGORICAL_OPTIONS = [{}, {"gamma": 0.0, "alpha": 1.0}, {"gamma": 4.0, "alpha": 0.5},
                       {"alpha": [0.1, 0.2, 0.5, 2.0]}, {"from_logits": True},
                       {"label_smoothing": 0.2}, {"from_logits": True, "label_smoothing": 0.1},
                       {"axis": 0}, {"axis": 0, "alpha": [0.3, 0.1, 1.0, 2.0, 0.5]}]


@pytest.mark.parametrize("kwargs", BINARY_OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_focal_matches_numpy(kwargs, dtype):
    t, p = _binary_data(np.random.default_rng(0), from_logits=kwargs.get("from_logits", False))
    t, p = t.astype(dtype), p.astype(dtype)
    got = losses.binary_focal_crossentropy(t, p, **kwargs)
    assert got.dtype == engine.as_dtype(dtype)
    expected = np_binary_focal(t.astype("float64"), p.astype("float64"), **kwargs)
    rtol = 1e-10 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got.numpy(), expected, rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("kwargs", CATEGORICAL_OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_categorical_focal_matches_numpy(kwargs, dtype):
    t, p = _categorical_data(np.random.default_rng(1), from_logits=kwargs.get("from_logits"),
                             axis=kwargs.get("axis", -1))
    t, p = t.astype(dtype), p.astype(dtype)
    got = losses.categorical_focal_crossentropy(t, p, **kwargs)
    assert got.dtype == engine.as_dtype(dtype)
    expected = np_categorical_focal(t.astype("float64"), p.astype("float64"), **kwargs)
    rtol = 1e-10 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got.numpy(), expected, rtol=rtol, atol=1e-7)


def test_gamma_zero_gives_the_plain_crossentropies():
    rng = np.random.default_rng(2)
    t, p = _binary_data(rng)
    np.testing.assert_allclose(losses.binary_focal_crossentropy(t, p, gamma=0.0).numpy(),
                               losses.binary_crossentropy(t, p).numpy(), rtol=1e-12)
    t, p = _categorical_data(rng)
    np.testing.assert_allclose(
        losses.categorical_focal_crossentropy(t, p, alpha=1.0, gamma=0.0).numpy(),
        losses.categorical_crossentropy(t, p).numpy(), rtol=1e-12)


@pytest.mark.parametrize("kwargs", BINARY_OPTIONS, ids=str)
def test_binary_focal_gradient_matches_finite_differences(kwargs):
    t, p = _binary_data(np.random.default_rng(3), (3, 4), kwargs.get("from_logits", False))
    check_grad(lambda a, b: losses.binary_focal_crossentropy(a, b, **kwargs), [t, p], wrt=[1])


@pytest.mark.parametrize("kwargs", CATEGORICAL_OPTIONS, ids=str)
def test_categorical_focal_gradient_matches_finite_differences(kwargs):
    t, p = _categorical_data(np.random.default_rng(4), (5, 4), kwargs.get("from_logits"),
                             axis=kwargs.get("axis", -1))
    check_grad(lambda a, b: losses.categorical_focal_crossentropy(a, b, **kwargs), [t, p],
               wrt=[1])


@pytest.mark.parametrize("reduction", ["auto", "sum", "none", "sum_over_batch_size"])
@pytest.mark.parametrize("weights", [None, 2.0, [1.0, 0.0, 0.5, 2.0, 1.0]])
def test_classes_weight_and_reduce_like_keras(reduction, weights):
    rng = np.random.default_rng(5)
    for loss, reference, (t, p) in [
            (losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=1.5,
                                            reduction=reduction),
             lambda a, b: np_binary_focal(a, b, True, gamma=1.5), _binary_data(rng)),
            (losses.CategoricalFocalCrossentropy(alpha=[0.5, 1.0, 1.5, 2.0],
                                                 reduction=reduction),
             lambda a, b: np_categorical_focal(a, b, alpha=[0.5, 1.0, 1.5, 2.0]),
             _categorical_data(rng))]:
        per_sample = reference(t, p) * (1.0 if weights is None else np.asarray(weights))
        expected = {"none": per_sample, "sum": per_sample.sum()}.get(reduction,
                                                                     per_sample.mean())
        got = loss(t, p, sample_weight=weights)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
        check_grad(lambda b, loss=loss, t=t: loss(engine.constant(t), b, sample_weight=weights),
                   [p])


def test_traced_equals_eager_with_unknown_batch():
    rng = np.random.default_rng(6)
    spec = [engine.TensorSpec([None, 4], "float32")] * 2 + [engine.TensorSpec([None], "float32")]
    for loss, (t, p) in [(losses.BinaryFocalCrossentropy(from_logits=True, label_smoothing=0.1),
                          _binary_data(rng, from_logits=True)),
                         (losses.CategoricalFocalCrossentropy(label_smoothing=0.1),
                          _categorical_data(rng))]:
        t, p, w = t.astype("float32"), p.astype("float32"), rng.uniform(0, 2, 5).astype("float32")

        def step(y_true, y_pred, weight, loss=loss):
            with engine.GradientTape() as tape:
                tape.watch(y_pred)
                value = loss(y_true, y_pred, sample_weight=weight)
            return value, tape.gradient(value, y_pred)

        traced = engine.function(step, input_signature=spec)
        for size in (5, 3):  # two batch sizes through one trace
            want = step(engine.constant(t[:size]), engine.constant(p[:size]),
                        engine.constant(w[:size]))
            for got, expected in zip(traced(t[:size], p[:size], w[:size]), want):
                np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


# Values computed with Keras (tf.keras 2 and Keras 3 agree on these formulas).
def test_values_computed_by_keras():
    np.testing.assert_allclose(losses.binary_focal_crossentropy(
        [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).numpy(), [0.32986466, 0.20579838],
        rtol=1e-6)
    np.testing.assert_allclose(losses.categorical_focal_crossentropy(
        [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).numpy(),
        [3.20583090e-05, 4.66273481e-01], rtol=1e-5)
    bfce = losses.BinaryFocalCrossentropy(apply_class_balancing=True, from_logits=True)
    assert float(bfce([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [-0.4, 3.6]])) == pytest.approx(
        0.74610984, rel=1e-6)
    cfce = losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.5, 2.0], from_logits=True,
                                               label_smoothing=0.1)
    assert float(cfce([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                      [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])) == pytest.approx(0.79361355,
                                                                               rel=1e-6)


@pytest.mark.parametrize("loss", [
    losses.BinaryFocalCrossentropy(),
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0,
                                   from_logits=True, label_smoothing=0.1, axis=0,
                                   reduction="sum", name="bf"),
    losses.CategoricalFocalCrossentropy(),
    losses.CategoricalFocalCrossentropy(alpha=[0.2, 0.3, 0.5, 1.0], gamma=3.0, from_logits=True,
                                        label_smoothing=0.05, reduction="none", name="cf"),
], ids=["binary", "binary_options", "categorical", "categorical_options"])
def test_config_round_trips_through_json(loss):
    config = json.loads(json.dumps(losses.serialize(loss)))
    again = losses.deserialize(config)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    rng = np.random.default_rng(7)
    t, p = _categorical_data(rng)
    np.testing.assert_allclose(again(t, p).numpy(), loss(t, p).numpy(), rtol=1e-12)


def test_get_resolves_keras_names():
    assert losses.get("binary_focal_crossentropy") is losses.binary_focal_crossentropy
    assert losses.get("categorical_focal_crossentropy") is losses.categorical_focal_crossentropy
    assert isinstance(losses.get("BinaryFocalCrossentropy"), losses.BinaryFocalCrossentropy)
    assert isinstance(losses.get("CategoricalFocalCrossentropy"),
                      losses.CategoricalFocalCrossentropy)
    config = losses.BinaryFocalCrossentropy(gamma=3.0).get_config()
    assert config == {"reduction": "auto", "name": "binary_focal_crossentropy",
                      "apply_class_balancing": False, "alpha": 0.25, "gamma": 3.0,
                      "from_logits": False, "label_smoothing": 0.0, "axis": -1}


@pytest.mark.parametrize("make, match", [
    (lambda: losses.BinaryFocalCrossentropy(alpha=1.5), r"alpha=1.5; expected a number in \[0"),
    (lambda: losses.BinaryFocalCrossentropy(alpha=[0.2, 0.8]), r"alpha=\[0.2, 0.8\]"),
    (lambda: losses.BinaryFocalCrossentropy(gamma=-1.0), "gamma=-1.0; expected a number >= 0"),
    (lambda: losses.BinaryFocalCrossentropy(label_smoothing=2), "label_smoothing=2"),
    (lambda: losses.CategoricalFocalCrossentropy(alpha=[0.5, -1.0]),
     r"alpha=\[0.5, -1.0\]; expected a number >= 0 or a list"),
    (lambda: losses.CategoricalFocalCrossentropy(gamma="two"), "gamma='two'"),
    (lambda: losses.CategoricalFocalCrossentropy(axis=True), "axis=True"),
    (lambda: losses.CategoricalFocalCrossentropy(reduction="mean"), "reduction='mean'"),
    (lambda: losses.categorical_focal_crossentropy([0, 2], np.eye(3)[:2]),
     "categorical_focal_crossentropy.*integer class indices"),
    (lambda: losses.binary_focal_crossentropy(np.zeros((2, 3)), np.zeros((2, 4))),
     r"binary_focal_crossentropy: got y_true of shape \(2, 3\)"),
    (lambda: losses.BinaryFocalCrossentropy()(np.zeros((4, 1)), np.zeros((4, 1)),
                                              sample_weight=np.ones(3)),
     r"got sample_weight of shape \(3,\)"),
])
def test_bad_arguments_are_refused_with_a_clear_message(make, match):
    with pytest.raises(ValueError, match=match):
        make()
