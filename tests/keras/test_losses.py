"""engine.keras.losses: formulas against NumPy, reductions and weights, gradients, tracing,
bad labels, and (de)serialization."""

import json

import numpy as np
import pytest

import engine
from tests.opcheck import check_grad

losses = engine.keras.losses
EPS = 1e-7
RNG = np.random.default_rng(0)


# --- NumPy references (Keras 2 formulas), per sample -----------------------------------------
def np_bce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:  # the exact logistic loss
        return np.mean(np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p))), axis=axis)
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p + EPS) + (1 - t) * np.log(1 - p + EPS)), axis=axis)


def np_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        e = np.exp(p - p.max(axis=axis, keepdims=True))
        p = e / e.sum(axis=axis, keepdims=True)
    else:
        p = np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(p), axis=axis)


def np_scce(t, p, from_logits=False):
    t = np.asarray(t).astype(int)
    if from_logits:
        logp = p - p.max(-1, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    else:
        q = np.log(np.clip(p, EPS, 1 - EPS))
        logp = q - np.log(np.exp(q).sum(-1, keepdims=True))
    return -np.take_along_axis(logp, t[..., None], -1)[..., 0]


def _signed(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


NP_FUNCTIONS = {
    "mean_squared_error": lambda t, p: np.mean((t - p) ** 2, -1),
    "mean_absolute_error": lambda t, p: np.mean(np.abs(t - p), -1),
    "mean_absolute_percentage_error":
        lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1),
    "mean_squared_logarithmic_error": lambda t, p: np.mean(
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, -1),
    "huber": lambda t, p: np.mean(np.where(np.abs(p - t) <= 1.0, 0.5 * (p - t) ** 2,
                                           np.abs(p - t) - 0.5), -1),
    "log_cosh": lambda t, p: np.mean(np.log(np.cosh(p - t)), -1),
    "kl_divergence": lambda t, p: np.sum(np.clip(t, EPS, 1) * np.log(
        np.clip(t, EPS, 1) / np.clip(p, EPS, 1)), -1),
    "poisson": lambda t, p: np.mean(p - t * np.log(p + EPS), -1),
    "hinge": lambda t, p: np.mean(np.maximum(1 - _signed(t) * p, 0), -1),
    "squared_hinge": lambda t, p: np.mean(np.maximum(1 - _signed(t) * p, 0) ** 2, -1),
    "categorical_hinge": lambda t, p: np.maximum(
        np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0),
    "cosine_similarity": lambda t, p: -np.sum(
        t / np.linalg.norm(t, axis=-1, keepdims=True)
        * p / np.linalg.norm(p, axis=-1, keepdims=True), -1),
    "binary_crossentropy": np_bce,
    "categorical_crossentropy": np_cce,
}


def _inputs(name, shape=(5, 4), rng=RNG):
    """Inputs away from the kinks and clipping edges of each loss."""
    t = rng.uniform(0.1, 0.9, shape)
    p = rng.uniform(0.1, 0.9, shape)
    if name in ("mean_absolute_error", "mean_absolute_percentage_error"):
        p = t + rng.choice([-1, 1], shape) * rng.uniform(0.1, 0.5, shape)
    if name == "huber":
        p = t + rng.choice([-1, 1], shape) * rng.choice([0.3, 1.7], shape)
    if name in ("hinge", "squared_hinge"):
        t = rng.choice([-1.0, 1.0], shape)
        p = rng.choice([-1, 1], shape) * rng.uniform(0.2, 0.8, shape) + rng.choice([0, 2], shape)
    if name in ("categorical_hinge", "categorical_crossentropy"):
        t = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
        p = rng.permuted(np.broadcast_to(np.linspace(0.1, 0.9, shape[-1]), shape), axis=-1)
    if name in ("binary_crossentropy", "kl_divergence"):
        t = rng.choice([0.0, 1.0, 0.3], shape) if name == "binary_crossentropy" else t
    if name == "cosine_similarity":
        t, p = rng.normal(size=shape), rng.normal(size=shape)
    return t, p


@pytest.mark.parametrize("name", sorted(NP_FUNCTIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_functions_match_numpy(name, dtype):
    t, p = _inputs(name)
    got = getattr(losses, name)(engine.constant(t.astype(dtype)), engine.constant(p.astype(dtype)))
    assert got.dtype == engine.as_dtype(dtype) and got.shape == (5,)
    expected = NP_FUNCTIONS[name](t.astype(dtype).astype("float64"),
                                  p.astype(dtype).astype("float64"))
    rtol = 1e-10 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got.numpy(), expected, rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("name", sorted(NP_FUNCTIONS))
def test_function_gradients_match_finite_differences(name):
    t, p = _inputs(name, shape=(3, 4), rng=np.random.default_rng(1))
    check_grad(getattr(losses, name), [t, p], wrt=[1])


@pytest.mark.parametrize("kwargs", [{"from_logits": True}, {"label_smoothing": 0.2},
                                    {"from_logits": True, "label_smoothing": 0.1},
                                    {"axis": 0},
                                    # smoothing counts the classes on `axis` (6 here), not
                                    # the last axis as Keras does: labels still sum to 1
                                    {"axis": 0, "label_smoothing": 0.2}])
def test_crossentropy_options(kwargs):
    rng = np.random.default_rng(2)
    t = np.eye(4)[rng.integers(0, 4, 6)]
    p = rng.normal(size=(6, 4)) if kwargs.get("from_logits") else rng.uniform(0.1, 0.9, (6, 4))
    for fn, ref in ((losses.categorical_crossentropy, np_cce),
                    (losses.binary_crossentropy, np_bce)):
        np.testing.assert_allclose(fn(t, p, **kwargs).numpy(), ref(t, p, **kwargs), rtol=1e-10)
        check_grad(lambda a, b, fn=fn: fn(a, b, **kwargs), [t, p], wrt=[1])


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_crossentropy_matches_numpy_and_its_gradient(from_logits):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 5, (2, 3))
    p = rng.normal(size=(2, 3, 5)) if from_logits else rng.uniform(0.05, 0.9, (2, 3, 5))
    got = losses.sparse_categorical_crossentropy(labels, p, from_logits=from_logits)
    np.testing.assert_allclose(got.numpy(), np_scce(labels, p, from_logits), rtol=1e-10)
    # float labels holding integers and a trailing axis of 1 give the same losses
    again = losses.sparse_categorical_crossentropy(labels[..., None].astype("float64"), p,
                                                   from_logits=from_logits)
    np.testing.assert_allclose(again.numpy(), got.numpy())
    check_grad(lambda x: losses.sparse_categorical_crossentropy(
        engine.constant(labels), x, from_logits=from_logits), [p])


def test_sparse_crossentropy_class_axis_first():
    rng = np.random.default_rng(4)
    labels, p = rng.integers(0, 3, (4,)), rng.uniform(0.1, 0.9, (3, 4))
    got = losses.sparse_categorical_crossentropy(labels, p, axis=0)
    np.testing.assert_allclose(got.numpy(), np_scce(labels, p.T), rtol=1e-10)


def test_logits_are_stable_for_huge_values():
    logits = engine.constant([[1000.0, -1000.0, 0.0]])
    with engine.GradientTape() as tape:
        tape.watch(logits)
        total = (losses.categorical_crossentropy([[0.0, 1.0, 0.0]], logits, from_logits=True)
                 + losses.sparse_categorical_crossentropy([1], logits, from_logits=True)
                 + losses.binary_crossentropy([[1.0, 0.0, 1.0]], logits, from_logits=True))
    assert np.isfinite(total.numpy()).all()
    assert np.isfinite(tape.gradient(total, logits).numpy()).all()
    # probabilities of exactly 0 and 1 are clipped: a large but finite loss
    p = losses.binary_crossentropy([[1.0, 0.0]], [[0.0, 1.0]])
    assert 15 < float(p) < 17


# --- Keras documentation's numbers ------------------------------------------------------------
KERAS_DOCS = [
    (losses.BinaryCrossentropy(), [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.815),
    (losses.CategoricalCrossentropy(), [[0, 1, 0], [0, 0, 1]],
     [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.177),
    (losses.SparseCategoricalCrossentropy(), [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.177),
    (losses.MeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [1, 0]], 0.5),
    (losses.MeanAbsoluteError(), [[0, 1], [0, 0]], [[1, 1], [1, 0]], 0.5),
    (losses.MeanAbsolutePercentageError(), [[2, 1], [2, 3]], [[1, 1], [1, 0]], 50.0),
    (losses.MeanSquaredLogarithmicError(), [[0, 1], [0, 0]], [[1, 1], [1, 0]], 0.240),
    (losses.Huber(), [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.155),
    (losses.LogCosh(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.108),
    (losses.KLDivergence(), [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.458),
    (losses.Poisson(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.5),
    (losses.Hinge(), [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 1.3),
    (losses.SquaredHinge(), [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 1.86),
    (losses.CategoricalHinge(), [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 1.4),
    (losses.CosineSimilarity(), [[0, 1], [1, 1]], [[1, 0], [1, 1]], -0.5),
]


@pytest.mark.parametrize("loss, y_true, y_pred, expected", KERAS_DOCS,
                         ids=[type(c[0]).__name__ for c in KERAS_DOCS])
def test_values_from_the_keras_documentation(loss, y_true, y_pred, expected):
    got = loss(np.array(y_true, "float32"), np.array(y_pred, "float32"))
    assert got.dtype == engine.float32 and got.shape == ()
    assert float(got) == pytest.approx(expected, abs=1e-3)


# --- reduction and sample weights -------------------------------------------------------------
@pytest.mark.parametrize("weight_shape", [None, (), (6,), (6, 1)])
@pytest.mark.parametrize("reduction", ["auto", "sum_over_batch_size", "sum", "none"])
def test_reductions_and_sample_weights(reduction, weight_shape):
    rng = np.random.default_rng(5)
    t, p = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    w = None if weight_shape is None else rng.uniform(0, 2, weight_shape)
    per_sample = np.mean((t - p) ** 2, -1)
    weighted = per_sample * (1.0 if w is None else np.reshape(w, (-1,) if w.ndim else ()))
    expected = {"none": weighted, "sum": weighted.sum()}.get(reduction, weighted.mean())
    got = losses.MeanSquaredError(reduction=reduction)(t, p, sample_weight=w)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    check_grad(lambda a, b: losses.MeanSquaredError(reduction=reduction)(
        a, b, sample_weight=w), [t, p], wrt=[1])


def test_per_step_losses_take_per_sample_and_per_step_weights():
    rng = np.random.default_rng(6)
    labels, p = rng.integers(0, 4, (3, 5)), rng.uniform(0.1, 0.9, (3, 5, 4))
    per_step = np_scce(labels, p)  # (3, 5)
    loss = losses.SparseCategoricalCrossentropy(reduction="sum_over_batch_size")
    w = rng.uniform(0, 1, 3)
    np.testing.assert_allclose(float(loss(labels, p, sample_weight=w)),
                               (per_step * w[:, None]).mean(), rtol=1e-10)
    w = rng.uniform(0, 1, (3, 5))
    np.testing.assert_allclose(float(loss(labels, p, sample_weight=w)),
                               (per_step * w).mean(), rtol=1e-10)


def test_ignore_class_leaves_samples_out_of_the_mean():
    rng = np.random.default_rng(7)
    labels = np.array([0, -1, 2, 1, -1])
    p = rng.uniform(0.1, 0.9, (5, 3))
    keep = labels != -1
    per_sample = np_scce(np.where(keep, labels, 0), p) * keep
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    np.testing.assert_allclose(float(loss(labels, p)), per_sample.sum() / keep.sum(), rtol=1e-10)
    w = rng.uniform(0, 1, 5)
    np.testing.assert_allclose(float(loss(labels, p, sample_weight=w)),
                               (per_sample * w).sum() / keep.sum(), rtol=1e-10)
    none = losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="none")
    np.testing.assert_allclose(none(labels, p).numpy(), per_sample, rtol=1e-10)
    check_grad(lambda x: loss(engine.constant(labels), x), [p])


def test_labels_and_predictions_line_up_instead_of_broadcasting():
    bce = losses.BinaryCrossentropy()
    t, p = np.array([1.0, 0.0, 1.0]), np.array([[0.8], [0.3], [0.4]])
    expected = np_bce(t[:, None], p).mean()
    assert float(bce(t, p)) == pytest.approx(expected, rel=1e-12)
    assert float(bce(t[:, None], p[:, 0])) == pytest.approx(expected, rel=1e-12)


def test_integer_predictions_and_labels_become_floats():
    got = losses.MeanSquaredError()([[1, 2]], [[2, 4]])
    assert got.dtype == engine.float32 and float(got) == 2.5


# --- tracing ----------------------------------------------------------------------------------
CLASS_CASES = [
    (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), "binary"),
    (losses.CategoricalCrossentropy(label_smoothing=0.1), "one_hot"),
    (losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0), "sparse"),
    (losses.MeanSquaredError(reduction="sum"), "real"),
    (losses.MeanAbsoluteError(), "real"), (losses.MeanAbsolutePercentageError(), "real"),
    (losses.MeanSquaredLogarithmicError(), "real"), (losses.Huber(delta=0.5), "real"),
    (losses.LogCosh(), "real"), (losses.KLDivergence(), "real"), (losses.Poisson(), "real"),
    (losses.Hinge(), "binary"), (losses.SquaredHinge(), "binary"),
    (losses.CategoricalHinge(), "one_hot"), (losses.CosineSimilarity(reduction="none"), "real"),
]


def _case_data(kind, rng):
    p = rng.uniform(0.1, 0.9, (4, 3)).astype("float32")
    t = {"binary": rng.integers(0, 2, (4, 3)).astype("float32"),
         "one_hot": np.eye(3, dtype="float32")[rng.integers(0, 3, 4)],
         "sparse": rng.integers(0, 3, (4,)).astype("int32"),
         "real": rng.uniform(0.1, 0.9, (4, 3)).astype("float32")}[kind]
    return t, p, rng.uniform(0.5, 1.5, (4,)).astype("float32")


@pytest.mark.parametrize("loss, kind", CLASS_CASES, ids=[type(c[0]).__name__ for c in CLASS_CASES])
def test_traced_equals_eager_with_unknown_batch(loss, kind):
    t, p, w = _case_data(kind, np.random.default_rng(8))
    spec = [engine.TensorSpec([None, *t.shape[1:]], t.dtype),
            engine.TensorSpec([None, 3], "float32"), engine.TensorSpec([None], "float32")]

    def step(y_true, y_pred, weight):
        with engine.GradientTape() as tape:
            tape.watch(y_pred)
            value = loss(y_true, y_pred, sample_weight=weight)
        return value, tape.gradient(value, y_pred)

    traced = engine.function(step, input_signature=spec)
    for got, want in zip(traced(t, p, w), step(engine.constant(t), engine.constant(p),
                                               engine.constant(w))):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


# --- bad input ---------------------------------------------------------------------------------
def test_one_hot_labels_with_a_sparse_loss_are_refused():
    one_hot = np.eye(3)[[0, 2]]
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*\(2, 3\).*one-hot.*"
                                         r"CategoricalCrossentropy"):
        losses.SparseCategoricalCrossentropy()(one_hot, np.full((2, 3), 1 / 3))


@pytest.mark.parametrize("labels", [[0, 2], [[0], [2]]])
def test_integer_labels_with_a_categorical_loss_are_refused(labels):
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*integer class indices.*"
                                         r"SparseCategoricalCrossentropy.*one_hot"):
        losses.CategoricalCrossentropy()(labels, np.full((2, 3), 1 / 3))


def test_mismatched_shapes_and_weights_are_refused():
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(4, 2\).*\(4, 3\)"):
        losses.MeanSquaredError()(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"huber_loss: got sample_weight of shape \(3,\) for "
                                         r"losses of shape \(4,\).*\(4,\) or \(4, 1\)"):
        losses.Huber()(np.zeros((4, 2)), np.zeros((4, 2)), sample_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="got reduction='mean'; expected one of"):
        losses.MeanSquaredError(reduction="mean")
    with pytest.raises(ValueError, match="label_smoothing=1.5"):
        losses.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta=0"):
        losses.Huber(delta=0)


def test_out_of_range_sparse_labels_are_reported():
    with pytest.raises(engine.errors.InvalidArgumentError, match="label value of 3"):
        losses.SparseCategoricalCrossentropy()([0, 3], np.full((2, 3), 1 / 3))


# --- custom losses and serialization ------------------------------------------------------------
class FourthPower(losses.Loss):
    def __init__(self, scale=1.0, reduction="auto", name="fourth_power"):
        super().__init__(reduction=reduction, name=name)
        self.scale = scale

    def call(self, y_true, y_pred):
        return self.scale * engine.reduce_mean((y_pred - y_true) ** 4, axis=-1)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def test_custom_loss_subclass_weights_reduces_traces_and_round_trips():
    rng = np.random.default_rng(9)
    t, p, w = rng.normal(size=(5, 2)), rng.normal(size=(5, 2)), rng.uniform(size=5)
    loss = FourthPower(scale=2.0, reduction="sum")
    expected = (2.0 * np.mean((p - t) ** 4, -1) * w).sum()
    assert float(loss(t, p, sample_weight=w)) == pytest.approx(expected, rel=1e-12)
    traced = engine.function(lambda a, b, c: loss(a, b, sample_weight=c))
    assert float(traced(t, p, w)) == pytest.approx(expected, rel=1e-12)
    again = losses.deserialize(losses.serialize(loss), custom_objects={"FourthPower": FourthPower})
    assert isinstance(again, FourthPower) and again.get_config() == loss.get_config()
    with pytest.raises(NotImplementedError, match="Override call"):
        losses.Loss()(t, p)


@pytest.mark.parametrize("loss", [c[0] for c in CLASS_CASES] + [
    losses.LossFunctionWrapper(losses.huber, delta=2.0, name="h")])
def test_config_round_trips_through_json(loss):
    config = json.loads(json.dumps(losses.serialize(loss)))
    again = losses.deserialize(config)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    t, p, _ = _case_data("real", np.random.default_rng(10))
    if type(loss).__name__ in ("MeanSquaredError", "Huber", "LossFunctionWrapper"):
        np.testing.assert_allclose(again(t, p).numpy(), loss(t, p).numpy())


def test_get_resolves_names_aliases_classes_and_functions():
    assert losses.get("mse") is losses.mean_squared_error is losses.MSE
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("logcosh") is losses.log_cosh
    assert losses.get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.Poisson()
    assert losses.get(instance) is instance and losses.get(None) is None
    assert losses.serialize(losses.mae) == "mean_absolute_error"
    with pytest.raises(ValueError, match=r"Unknown loss 'mean_sqared_error'.*Did you mean "
                                         r"'mean_squared_error'"):
        losses.get("mean_sqared_error")
    with pytest.raises(TypeError, match="as a loss"):
        losses.get(42)
