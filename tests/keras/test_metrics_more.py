"""The Keras 2 metrics added beside the first set: mean-wrapped losses, confusion counts,
rates at a constrained rate, IoU variants, F-scores and R2, each against a NumPy reference
over several weighted batches, eagerly and traced; configs, names, errors, and model.fit."""

import json

import numpy as np
import pytest

import engine
from tests.keras.test_metrics import EPS, _ratio, batches, confusion, weighted_mean

metrics = engine.keras.metrics
pytestmark = pytest.mark.filterwarnings("ignore:engine.function .* is being traced")


# --- NumPy references -----------------------------------------------------------------------
def _signed(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _cosine(t, p):
    return (t * p).sum(-1) / (np.linalg.norm(t, axis=-1) * np.linalg.norm(p, axis=-1))


def _kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return (t * np.log(t / p)).sum(-1)


def count_reference(cell, thresholds=(0.5,)):
    def reference(data):
        return confusion(data, thresholds)[cell].squeeze()
    return reference


def even_thresholds(n):
    return [0.5] if n == 1 else [i / (n - 1) for i in range(n)]


def rate_at_rate_reference(target, reported, value, n=200, class_id=None):
    def reference(data):
        tp, fp, tn, fn = confusion(data, even_thresholds(n), class_id=class_id)
        rates = {"recall": _ratio(tp, tp + fn), "precision": _ratio(tp, tp + fp),
                 "specificity": _ratio(tn, tn + fp)}
        feasible = rates[target] >= value
        return rates[reported][feasible].max() if feasible.any() else 0.0
    return reference


def iou_reference(num_classes, targets, to_classes=lambda t, p: (t, p)):
    def reference(data):
        cm = np.zeros((num_classes, num_classes))
        for t, p, w in data:
            t, p = to_classes(t, p)
            np.add.at(cm, (t.astype(int).ravel(), p.astype(int).ravel()), w)
        tp = np.diag(cm)
        union = (cm.sum(0) + cm.sum(1) - tp)[targets]
        return _ratio(tp[targets], union).sum() / (union != 0).sum()
    return reference


def fbeta_reference(average=None, beta=1.0, threshold=None):
    def reference(data):
        tp = fp = fn = support = 0.0
        for t, p, w in data:
            t, p, w = t.astype("float64"), p.astype("float64"), w.astype("float64")[:, None]
            if threshold is None:
                pred = (p >= p.max(-1, keepdims=True)) & (np.abs(p) > 1e-9)
            else:
                pred = p > threshold
            axis = None if average == "micro" else 0
            tp = tp + (w * pred * t).sum(axis)
            fp = fp + (w * pred * (1 - t)).sum(axis)
            fn = fn + (w * ~pred * t).sum(axis)
            support = support + (w * t).sum(axis)
        precision, recall = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
        score = (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall + EPS)
        if average == "weighted":
            return (score * support / (support.sum() + EPS)).sum()
        return score if average is None else score.mean()
    return reference


def r2_reference(aggregation="uniform_average", num_regressors=0):
    def reference(data):
        t = np.concatenate([d[0] for d in data]).astype("float64")
        p = np.concatenate([d[1] for d in data]).astype("float64")
        w = np.concatenate([d[2] for d in data]).astype("float64")[:, None]
        mean = (w * t).sum(0) / w.sum()
        total = (w * (t - mean) ** 2).sum(0)
        raw = 1 - (w * (t - p) ** 2).sum(0) / total
        score = {"uniform_average": raw.mean(), None: raw,
                 "variance_weighted_average": (total * raw).sum() / total.sum()}[aggregation]
        n = t.size
        if num_regressors and n - 1 > num_regressors:
            score = 1 - (1 - score) * (n - 1) / (n - num_regressors - 1)
        return score
    return reference


def _binary_classes(threshold):
    return lambda t, p: (t, (p >= threshold).astype(int))


def _argmax_classes(t, p):
    return t.argmax(-1), p.argmax(-1)


CASES = [
    ("CosineSimilarity", metrics.CosineSimilarity, "real", weighted_mean(_cosine)),
    ("Hinge", metrics.Hinge, "multilabel",
     weighted_mean(lambda t, p: np.maximum(1 - _signed(t) * p, 0).mean(-1))),
    ("SquaredHinge", metrics.SquaredHinge, "real",
     weighted_mean(lambda t, p: (np.maximum(1 - _signed(t) * p, 0) ** 2).mean(-1))),
    ("CategoricalHinge", metrics.CategoricalHinge, "one_hot",
     weighted_mean(lambda t, p: np.maximum((p * (1 - t)).max(-1) - (t * p).sum(-1) + 1, 0))),
    ("KLDivergence", metrics.KLDivergence, "one_hot", weighted_mean(_kld)),
    ("Poisson", metrics.Poisson, "one_hot",
     weighted_mean(lambda t, p: (p - t * np.log(p + EPS)).mean(-1))),
    ("LogCoshError", metrics.LogCoshError, "real",
     weighted_mean(lambda t, p: np.log(np.cosh(p - t)).mean(-1))),
    ("MeanSquaredLogarithmicError", metrics.MeanSquaredLogarithmicError, "one_hot",
     weighted_mean(lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1))),
    ("TruePositives", metrics.TruePositives, "binary", count_reference(0)),
    ("FalsePositives", lambda: metrics.FalsePositives([0.2, 0.7]), "multilabel",
     count_reference(1, (0.2, 0.7))),
    ("TrueNegatives", lambda: metrics.TrueNegatives(0.3), "multilabel", count_reference(2, (0.3,))),
    ("FalseNegatives", lambda: metrics.FalseNegatives([0.1, 0.5, 0.9]), "binary",
     count_reference(3, (0.1, 0.5, 0.9))),
    ("SensitivityAtSpecificity", lambda: metrics.SensitivityAtSpecificity(0.6), "binary",
     rate_at_rate_reference("specificity", "recall", 0.6)),
    ("SpecificityAtSensitivity", lambda: metrics.SpecificityAtSensitivity(0.7, 50), "binary",
     rate_at_rate_reference("recall", "specificity", 0.7, 50)),
    ("PrecisionAtRecall", lambda: metrics.PrecisionAtRecall(0.5, 30, class_id=1), "multilabel",
     rate_at_rate_reference("recall", "precision", 0.5, 30, class_id=1)),
    ("RecallAtPrecision", lambda: metrics.RecallAtPrecision(0.55), "multilabel",
     rate_at_rate_reference("precision", "recall", 0.55)),
    ("RecallAtPrecision_one_threshold", lambda: metrics.RecallAtPrecision(0.2, 1), "binary",
     rate_at_rate_reference("precision", "recall", 0.2, 1)),
    ("IoU", lambda: metrics.IoU(3, target_class_ids=[0, 2]), "labels", iou_reference(3, [0, 2])),
    ("BinaryIoU", metrics.BinaryIoU, "binary", iou_reference(2, [0, 1], _binary_classes(0.5))),
    ("BinaryIoU_one_class", lambda: metrics.BinaryIoU([1], threshold=0.3), "binary",
     iou_reference(2, [1], _binary_classes(0.3))),
    ("OneHotIoU", lambda: metrics.OneHotIoU(4, [1, 3]), "one_hot",
     iou_reference(4, [1, 3], _argmax_classes)),
    ("OneHotMeanIoU", lambda: metrics.OneHotMeanIoU(4), "one_hot",
     iou_reference(4, [0, 1, 2, 3], _argmax_classes)),
    ("F1Score", metrics.F1Score, "multilabel", fbeta_reference()),
    ("F1Score_micro", lambda: metrics.F1Score("micro", threshold=0.4), "multilabel",
     fbeta_reference("micro", threshold=0.4)),
    ("FBetaScore_macro", lambda: metrics.FBetaScore("macro", beta=2.0, threshold=0.5),
     "multilabel", fbeta_reference("macro", 2.0, 0.5)),
    ("FBetaScore_weighted", lambda: metrics.FBetaScore("weighted", beta=0.5), "one_hot",
     fbeta_reference("weighted", 0.5)),
    ("R2Score", metrics.R2Score, "real", r2_reference()),
    ("R2Score_raw", lambda: metrics.R2Score(None), "real", r2_reference(None)),
    ("R2Score_adjusted", lambda: metrics.R2Score("variance_weighted_average", num_regressors=4),
     "real", r2_reference("variance_weighted_average", 4)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name, make, kind, reference", CASES, ids=IDS)
def test_metric_matches_numpy_eagerly_and_traced(name, make, kind, reference):
    data = batches(kind)
    eager, traced_metric = make(), make()
    traced = engine.function(lambda t, p, w: traced_metric(t, p, sample_weight=w))
    for t, p, w in data:  # three batch sizes: three traces
        eager.update_state(t, p, sample_weight=w)
        from_trace = traced(t, p, w)
    expected = reference(data)
    np.testing.assert_allclose(eager.result().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(from_trace.numpy(), eager.result().numpy(), rtol=1e-6, atol=1e-7)
    assert len(eager.variables) == len(traced_metric.variables) > 0
    for a, b in zip(eager.variables, traced_metric.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    # reset, then one batch: the result of that batch alone, with no state carried over
    eager.reset_state()
    traced_metric.reset_state()
    assert all(not np.any(v.numpy()) for v in eager.variables + traced_metric.variables)
    eager.update_state(*data[1][:2], sample_weight=data[1][2])
    traced(*data[1])
    for m in (eager, traced_metric):
        np.testing.assert_allclose(m.result().numpy(), reference(data[1:2]), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("name, make, kind, reference", CASES, ids=IDS)
def test_unweighted_equals_weights_of_one(name, make, kind, reference):
    t, p, w = batches(kind, seed=1)[0]
    plain, ones = make(), make()
    plain.update_state(t, p)
    ones.update_state(t, p, sample_weight=np.ones_like(w))
    np.testing.assert_allclose(plain.result().numpy(), ones.result().numpy(), rtol=1e-6)
    np.testing.assert_allclose(plain.result().numpy(), reference([(t, p, np.ones_like(w))]),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, make, kind, reference", CASES, ids=IDS)
def test_config_round_trips_through_json(name, make, kind, reference):
    metric = make()
    config = json.loads(json.dumps(metrics.serialize(metric)))
    again = metrics.deserialize(config)
    assert type(again) is type(metric) and again.get_config() == metric.get_config()
    assert again.name == metric.name
    t, p, w = batches(kind)[0]
    np.testing.assert_allclose(again(t, p, sample_weight=w).numpy(),
                               metric(t, p, sample_weight=w).numpy(), rtol=1e-6)


# --- values checked against Keras -----------------------------------------------------------
KERAS_VALUES = [
    (metrics.Hinge, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], None, 1.3),
    (metrics.SquaredHinge, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], None, 1.86),
    (metrics.CategoricalHinge, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], None, 1.4),
    (metrics.KLDivergence, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], None, 0.4581),
    (metrics.Poisson, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.5),
    (metrics.LogCoshError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.1084),
    (metrics.MeanSquaredLogarithmicError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.1201),
    (metrics.CosineSimilarity, [[0, 1], [1, 1]], [[1, 0], [1, 1]], None, 0.5),
    (lambda: metrics.SensitivityAtSpecificity(0.5), [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8],
     None, 0.5),
    (lambda: metrics.SpecificityAtSensitivity(0.5), [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8],
     None, 0.6667),
    (lambda: metrics.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.5),
    (lambda: metrics.BinaryIoU([0, 1], threshold=0.3), [0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], None,
     0.3333),
    (metrics.R2Score, [[1], [4], [3]], [[2], [4], [4]], None, 0.5714),
    (lambda: metrics.F1Score("weighted"), [[1, 1, 1], [1, 0, 0], [1, 1, 0]],
     [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], [1.0, 2.0, 0.5], 0.1458),
]


@pytest.mark.parametrize("make, y_true, y_pred, weights, expected", KERAS_VALUES)
def test_values_computed_by_keras(make, y_true, y_pred, weights, expected):
    got = make()(np.asarray(y_true, "float32"), np.asarray(y_pred, "float32"),
                 sample_weight=weights)
    assert float(got) == pytest.approx(expected, abs=1e-4)


def test_f_scores_and_r2_build_on_the_first_trace():
    data = batches("multilabel", seed=2)
    f1 = metrics.F1Score(average="macro")
    assert f1.variables == []  # the number of classes comes with the first batch
    traced = engine.function(lambda t, p, w: f1(t, p, sample_weight=w))
    for t, p, w in data:
        traced(t, p, w)
    assert f1.true_positives.shape == (3,)
    assert float(f1.result()) == pytest.approx(fbeta_reference("macro")(data), rel=1e-5)
    micro = metrics.F1Score(average="micro")
    assert [v.shape for v in micro.variables] == [()] * 4
    r2 = metrics.R2Score()
    assert float(r2.result()) == 0.0
    r2.update_state([1.0, 2.0, 4.0], [[1.0], [2.5], [3.0]])  # (batch,) labels fit (batch, 1)
    assert r2.sum.shape == (1,)


def test_r2_constant_targets_and_too_few_samples():
    m = metrics.R2Score(class_aggregation=None)
    m.update_state([[1.0, 1.0], [2.0, 1.0]], [[1.5, 0.0], [2.0, 1.0]])
    np.testing.assert_allclose(m.result().numpy(), [0.5, 0.0])  # a constant column scores 0
    few = metrics.R2Score(num_regressors=3)
    few.update_state([[1.0], [2.0], [4.0]], [[1.0], [2.5], [3.0]])
    assert float(few.result()) == pytest.approx(float(metrics.R2Score()(
        [[1.0], [2.0], [4.0]], [[1.0], [2.5], [3.0]])))  # n - 1 <= p: not adjusted


def test_cosine_similarity_metric_has_the_opposite_sign_of_the_loss():
    t, p = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[2.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(metrics.cosine_similarity(t, p).numpy(),
                               -engine.keras.losses.cosine_similarity(t, p).numpy())


def test_get_resolves_keras_names():
    assert metrics.get("cosine_similarity") is metrics.cosine_similarity
    assert metrics.get("kullback_leibler_divergence") is engine.keras.losses.kl_divergence
    assert metrics.get("poisson") is engine.keras.losses.poisson
    assert metrics.get("logcosh") is engine.keras.losses.log_cosh
    for name, cls in [("CosineSimilarity", metrics.CosineSimilarity),
                      ("KLDivergence", metrics.KLDivergence),
                      ("true_positives", metrics.TruePositives),
                      ("FalseNegatives", metrics.FalseNegatives),
                      ("F1Score", metrics.F1Score), ("f1_score", metrics.F1Score),
                      ("FBetaScore", metrics.FBetaScore), ("R2Score", metrics.R2Score),
                      ("r2_score", metrics.R2Score), ("LogCoshError", metrics.LogCoshError)]:
        assert type(metrics.get(name)) is cls, name
    assert metrics.KLDivergence().name == "kullback_leibler_divergence"
    assert metrics.LogCoshError().name == "logcosh"
    assert metrics.get({"class_name": "PrecisionAtRecall",
                        "config": {"recall": 0.8, "num_thresholds": 7}}).thresholds[1] == 1 / 6
    iou = metrics.get({"class_name": "OneHotIoU",
                       "config": {"num_classes": 3, "target_class_ids": [2]}})
    assert iou.target_class_ids == [2] and not iou.sparse_y_true
    assert isinstance(metrics.MeanIoU(2), metrics.IoU)
    assert set(metrics.MeanIoU(2).get_config()) == {
        "num_classes", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis", "name",
        "dtype"}


@pytest.mark.parametrize("make, match", [
    (lambda: metrics.TruePositives(thresholds=[0.5, 2.0]),
     r"true_positives: got thresholds=\[0.5, 2.0\]"),
    (lambda: metrics.SensitivityAtSpecificity(1.5), r"specificity=1.5; expected a number in"),
    (lambda: metrics.PrecisionAtRecall(0.5, num_thresholds=0), "num_thresholds=0"),
    (lambda: metrics.RecallAtPrecision("high"), "precision='high'"),
    (lambda: metrics.IoU(3, target_class_ids=[0, 3]),
     r"target_class_ids=\[0, 3\].*\[0, 3\) \(out of range: \[3\]\)"),
    (lambda: metrics.IoU(0, target_class_ids=[0]), "num_classes=0"),
    (lambda: metrics.BinaryIoU(threshold="half"), "threshold='half'"),
    (lambda: metrics.F1Score(average="mean"), "average='mean'; expected one of None"),
    (lambda: metrics.FBetaScore(beta=0), "beta=0; expected a number > 0"),
    (lambda: metrics.F1Score(threshold=1.5), r"threshold=1.5; expected None .* \(0, 1\]"),
    (lambda: metrics.R2Score(class_aggregation="median"), "class_aggregation='median'"),
    (lambda: metrics.R2Score(num_regressors=-1), "num_regressors=-1"),
    (lambda: metrics.CosineSimilarity(axis=1.5), "axis=1.5"),
    (lambda: metrics.F1Score()(np.zeros(3), np.zeros(3)),
     r"f1_score: got y_true of shape \(3,\) .*\(batch_size, num_classes\)"),
    (lambda: metrics.R2Score()(np.zeros((2, 3)), np.zeros((2, 4))),
     r"r2_score: got y_true of shape \(2, 3\) and y_pred of shape \(2, 4\)"),
    (lambda: metrics.TrueNegatives()(np.zeros(4), np.zeros(4), sample_weight=np.ones(3)),
     r"got sample_weight of shape \(3,\)"),
    (lambda: metrics.F1Score()(np.zeros((4, 2)), np.zeros((4, 2)), sample_weight=np.ones(3)),
     r"f1_score: got sample_weight of shape \(3, 1\)"),
])
def test_bad_arguments_are_refused_with_a_clear_message(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_compile_and_fit_with_a_new_metric_and_loss():
    engine.random.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, :1] + x[:, 1:2] > 0).astype("float32")
    keras = engine.keras
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.BinaryFocalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.TruePositives(name="tp"), "cosine_similarity"])
    history = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert set(history) >= {"loss", "tp", "cosine_similarity"}
    assert 0 < history["tp"][-1] <= y.sum()  # a count over one epoch: reset each epoch
