"""engine.keras.metrics: every metric against NumPy over several weighted batches, eager and
traced; AUC against its interpolation and exact references; state, config and names."""

import json

import numpy as np
import pytest

import engine

metrics = engine.keras.metrics
EPS = 1e-7
# The traced tests feed three batch sizes on purpose (retraces must not create variables).
pytestmark = pytest.mark.filterwarnings("ignore:engine.function .* is being traced")


# --- data: three batches of different sizes, with per-sample weights (some zero) ---------------
def _batch(kind, n, rng):
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)), rng.uniform(0, 1, (n, 1))
    if kind == "multilabel":
        return rng.integers(0, 2, (n, 3)), rng.uniform(0, 1, (n, 3))
    if kind == "one_hot":
        return np.eye(4)[rng.integers(0, 4, n)], rng.uniform(0.05, 1, (n, 4))
    if kind == "sparse":
        return rng.integers(0, 4, (n, 1)), rng.uniform(0.05, 1, (n, 4))
    if kind == "labels":
        return rng.integers(0, 3, n), rng.integers(0, 3, n)
    return rng.normal(size=(n, 3)), rng.normal(size=(n, 3))  # "real"


def batches(kind, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for n in (5, 7, 4):
        t, p = _batch(kind, n, rng)
        w = rng.uniform(0, 2, n) * (rng.uniform(size=n) > 0.2)
        out.append((t.astype("float32"), p.astype("float32"), w.astype("float32")))
    return out


# --- NumPy references -----------------------------------------------------------------------
def weighted_mean(values_fn):
    """Sum of w * v over all batches divided by the sum of the broadcast weights."""
    def reference(data):
        num = den = 0.0
        for t, p, w in data:
            v = np.asarray(values_fn(t.astype("float64"), p.astype("float64")))
            w = w.astype("float64").reshape((-1,) + (1,) * (v.ndim - 1))
            num += (v * w).sum()
            den += (w * np.ones_like(v)).sum()
        return num / den
    return reference


def _xent(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p + EPS) + (1 - t) * np.log(1 - p + EPS)).mean(-1)


def _top_k(labels, p, k):
    own = np.take_along_axis(p, labels[:, None].astype(int), -1)
    return ((p > own).sum(-1) < k).astype(float)


def confusion(data, thresholds, top_k=None, class_id=None):
    """(tp, fp, tn, fn) at each threshold, by comparison, in float64."""
    th = np.asarray(thresholds, "float64")
    counts = np.zeros((4, len(th)))
    for t, p, w in data:
        p, w = p.astype("float64"), np.broadcast_to(w.astype("float64")[:, None], p.shape)
        if top_k is not None:
            keep = np.argsort(-p, -1, kind="stable")[:, :top_k]
            mask = np.zeros_like(p)
            np.put_along_axis(mask, keep, 1, -1)
            p = np.where(mask == 1, p, -1e10)
        if class_id is not None:
            t, p, w = t[:, class_id], p[:, class_id], w[:, class_id]
        pos, pred = t.ravel() != 0, p.ravel()[None, :] > th[:, None]
        w = w.ravel()
        counts += [((pred & pos) * w).sum(1), ((pred & ~pos) * w).sum(1),
                   ((~pred & ~pos) * w).sum(1), ((~pred & pos) * w).sum(1)]
    return counts


def _ratio(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))


def precision_reference(thresholds=(0.5,), **kw):
    def reference(data):
        tp, fp, _, _ = confusion(data, thresholds, **kw)
        return _ratio(tp, tp + fp).squeeze()
    return reference


def recall_reference(thresholds=(0.5,), **kw):
    def reference(data):
        tp, _, _, fn = confusion(data, thresholds, **kw)
        return _ratio(tp, tp + fn).squeeze()
    return reference


def auc_thresholds(n):
    return [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]


def auc_from_counts(tp, fp, tn, fn, curve="ROC", summation="interpolation"):
    if curve == "PR" and summation == "interpolation":
        return pr_interpolated_by_quadrature(tp, fp, fn)
    recall = _ratio(tp, tp + fn)
    x, y = (_ratio(fp, fp + tn), recall) if curve == "ROC" else (recall, _ratio(tp, tp + fp))
    heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return ((x[:-1] - x[1:]) * heights).sum()


def pr_interpolated_by_quadrature(tp, fp, fn, points=4000):
    """Davis-Goadrich: tp grows linearly in predicted positives between thresholds; integrate
    precision tp/p over recall tp/total numerically (midpoints), segment by segment."""
    total, predicted, area = tp[0] + fn[0], tp + fp, 0.0
    for i in range(len(tp) - 1):
        p0, p1, tp0, tp1 = predicted[i + 1], predicted[i], tp[i + 1], tp[i]
        if p1 <= p0 or total == 0:
            continue
        slope = (tp1 - tp0) / (p1 - p0)
        p = p0 + (np.arange(points) + 0.5) / points * (p1 - p0)
        precision = (tp0 + slope * (p - p0)) / p
        area += (precision * slope / total).sum() * (p1 - p0) / points
    return area


def auc_reference(num_thresholds=200, curve="ROC", summation_method="interpolation"):
    def reference(data):
        counts = confusion(data, auc_thresholds(num_thresholds))
        return auc_from_counts(*counts, curve=curve, summation=summation_method)
    return reference


def mean_iou_reference(num_classes):
    def reference(data):
        cm = np.zeros((num_classes, num_classes))
        for t, p, w in data:
            np.add.at(cm, (t.astype(int), p.astype(int)), w)
        tp = np.diag(cm)
        union = cm.sum(0) + cm.sum(1) - tp
        return _ratio(tp, union).sum() / (union != 0).sum()
    return reference


def rmse_reference(data):
    return np.sqrt(weighted_mean(lambda t, p: (t - p) ** 2)(data))


CASES = [
    ("Accuracy", metrics.Accuracy, "labels", weighted_mean(lambda t, p: t == p)),
    ("BinaryAccuracy", lambda: metrics.BinaryAccuracy(threshold=0.3), "binary",
     weighted_mean(lambda t, p: ((p > 0.3) == t).mean(-1))),
    ("CategoricalAccuracy", metrics.CategoricalAccuracy, "one_hot",
     weighted_mean(lambda t, p: t.argmax(-1) == p.argmax(-1))),
    ("SparseCategoricalAccuracy", metrics.SparseCategoricalAccuracy, "sparse",
     weighted_mean(lambda t, p: t[:, 0] == p.argmax(-1))),
    ("TopKCategoricalAccuracy", lambda: metrics.TopKCategoricalAccuracy(k=2), "one_hot",
     weighted_mean(lambda t, p: _top_k(t.argmax(-1), p, 2))),
    ("SparseTopKCategoricalAccuracy", lambda: metrics.SparseTopKCategoricalAccuracy(k=3),
     "sparse", weighted_mean(lambda t, p: _top_k(t[:, 0], p, 3))),
    ("Precision", metrics.Precision, "binary", precision_reference()),
    ("Precision_thresholds", lambda: metrics.Precision(thresholds=[0.2, 0.5, 0.7]), "multilabel",
     precision_reference((0.2, 0.5, 0.7))),
    ("Precision_top_k", lambda: metrics.Precision(top_k=2), "multilabel",
     precision_reference((-1e10,), top_k=2)),
    ("Recall", metrics.Recall, "multilabel", recall_reference()),
    ("Recall_class_id", lambda: metrics.Recall(class_id=1, thresholds=0.4), "multilabel",
     recall_reference((0.4,), class_id=1)),
    ("AUC", metrics.AUC, "multilabel", auc_reference()),
    ("AUC_PR", lambda: metrics.AUC(num_thresholds=50, curve="PR"), "binary",
     auc_reference(50, "PR")),
    ("AUC_minoring", lambda: metrics.AUC(num_thresholds=30, summation_method="minoring"),
     "binary", auc_reference(30, "ROC", "minoring")),
    ("AUC_PR_majoring", lambda: metrics.AUC(curve="PR", summation_method="majoring"), "binary",
     auc_reference(200, "PR", "majoring")),
    ("MeanSquaredError", metrics.MeanSquaredError, "real",
     weighted_mean(lambda t, p: ((t - p) ** 2).mean(-1))),
    ("RootMeanSquaredError", metrics.RootMeanSquaredError, "real", rmse_reference),
    ("MeanAbsoluteError", metrics.MeanAbsoluteError, "real",
     weighted_mean(lambda t, p: np.abs(t - p).mean(-1))),
    ("MeanAbsolutePercentageError", metrics.MeanAbsolutePercentageError, "real",
     weighted_mean(lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1))),
    ("MeanIoU", lambda: metrics.MeanIoU(num_classes=3), "labels", mean_iou_reference(3)),
    ("BinaryCrossentropy", metrics.BinaryCrossentropy, "binary", weighted_mean(_bce)),
    ("CategoricalCrossentropy", metrics.CategoricalCrossentropy, "one_hot",
     weighted_mean(_xent)),
    ("SparseCategoricalCrossentropy", metrics.SparseCategoricalCrossentropy, "sparse",
     weighted_mean(lambda t, p: _xent(np.eye(4)[t[:, 0].astype(int)], p / p.sum(-1,
                                                                              keepdims=True)))),
    ("MeanMetricWrapper", lambda: metrics.MeanMetricWrapper(metrics.hinge, name="h"), "real",
     weighted_mean(lambda t, p: np.maximum(1 - t * p, 0).mean(-1))),
]
IDS = [c[0] for c in CASES]
TRACED_CASES = CASES


@pytest.mark.parametrize("name, make, kind, reference", TRACED_CASES, ids=IDS)
def test_metric_matches_numpy_eagerly_and_traced(name, make, kind, reference):
    data = batches(kind)
    eager, traced_metric = make(), make()
    assert traced_metric.variables, "state is created at construction"
    traced = engine.function(lambda t, p, w: traced_metric(t, p, sample_weight=w))
    for t, p, w in data:  # three batch sizes: three traces, no new variables
        eager.update_state(t, p, sample_weight=w)
        from_trace = traced(t, p, w)
    expected = reference(data)
    np.testing.assert_allclose(eager.result().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(from_trace.numpy(), eager.result().numpy(), rtol=1e-6,
                               atol=1e-7)
    for a, b in zip(eager.variables, traced_metric.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    # reset: back to a fresh metric's result, then accumulating again from zero
    fresh = make().result().numpy()
    eager.reset_state()
    traced_metric.reset_states()
    np.testing.assert_array_equal(eager.result().numpy(), fresh)
    eager.update_state(*data[0][:2], sample_weight=data[0][2])
    traced(*data[0])
    np.testing.assert_allclose(eager.result().numpy(), reference(data[:1]), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(traced_metric.result().numpy(), reference(data[:1]), rtol=1e-5,
                               atol=1e-6)


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


# --- AUC in depth ------------------------------------------------------------------------------
def test_roc_auc_approaches_the_exact_weighted_rank_statistic():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 2, 300)
    p = np.clip(rng.normal(0.4 + 0.2 * t, 0.2), 0, 1)
    w = rng.uniform(0.5, 2, 300)
    m = metrics.AUC(num_thresholds=4000, dtype="float64")
    m.update_state(t, p, sample_weight=w)
    pos, neg = t == 1, t == 0
    pairs = w[pos][:, None] * w[neg][None, :]
    above = (p[pos][:, None] > p[neg][None, :]) + 0.5 * (p[pos][:, None] == p[neg][None, :])
    assert float(m.result()) == pytest.approx((pairs * above).sum() / pairs.sum(), abs=1e-3)


def test_pr_interpolation_closed_form_equals_quadrature():
    data = batches("binary", seed=3)
    m = metrics.AUC(num_thresholds=20, curve="PR", dtype="float64")
    for t, p, w in data:
        m.update_state(t, p, sample_weight=w)
    counts = [v.numpy() for v in (m.true_positives, m.false_positives, m.true_negatives,
                                  m.false_negatives)]
    np.testing.assert_allclose(counts, confusion(data, auc_thresholds(20)), rtol=1e-10)
    assert float(m.result()) == pytest.approx(pr_interpolated_by_quadrature(
        counts[0], counts[1], counts[3]), rel=1e-6)


@pytest.mark.parametrize("label_weights", [None, [0.2, 1.0, 3.0]])
def test_multi_label_auc_averages_per_label_and_builds_on_first_trace(label_weights):
    data = batches("multilabel", seed=4)
    lazy = metrics.AUC(multi_label=True, num_thresholds=50, label_weights=label_weights)
    assert lazy.variables == []  # no num_labels: built on the first update
    traced = engine.function(lambda t, p, w: lazy(t, p, sample_weight=w))
    for t, p, w in data:
        traced(t, p, w)
    per_label = [auc_from_counts(*confusion([(t[:, [k]], p[:, [k]], w) for t, p, w in data],
                                            auc_thresholds(50))) for k in range(3)]
    expected = np.average(per_label, weights=label_weights)
    assert float(lazy.result()) == pytest.approx(expected, rel=1e-5)
    eager = metrics.AUC(multi_label=True, num_labels=3, num_thresholds=50,
                        label_weights=label_weights)
    assert eager.true_positives.shape == (50, 3)
    for t, p, w in data:
        eager.update_state(t, p, sample_weight=w)
    assert float(eager.result()) == pytest.approx(float(lazy.result()), rel=1e-6)


def test_auc_from_logits_and_explicit_thresholds():
    t, p, w = batches("binary", seed=5)[1]
    logits = np.log(p / (1 - p))
    a, b = metrics.AUC(from_logits=True), metrics.AUC()
    assert float(a(t, logits, sample_weight=w)) == pytest.approx(float(b(t, p, sample_weight=w)),
                                                                 abs=1e-6)
    uneven = metrics.AUC(thresholds=[0.1, 0.5, 0.55, 0.9])
    assert uneven.num_thresholds == 6 and uneven.thresholds[1:-1] == [0.1, 0.5, 0.55, 0.9]
    counts = confusion([(t, p, w)], uneven.thresholds)
    assert float(uneven(t, p, sample_weight=w)) == pytest.approx(auc_from_counts(*counts),
                                                                 rel=1e-5)
    assert metrics.AUC.from_config(uneven.get_config()).thresholds == uneven.thresholds


# --- values from the Keras documentation ---------------------------------------------------------
KERAS_DOCS = [
    (metrics.Accuracy, [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.75, 0.5),
    (metrics.BinaryAccuracy, [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1],
     0.75, 0.5),
    (metrics.CategoricalAccuracy, [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.5, 0.3),
    (metrics.SparseCategoricalAccuracy, [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.5, 0.3),
    (lambda: metrics.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.5, 0.3),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=1), [2, 1],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.5, 0.3),
    (metrics.Precision, [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 0.6667, 1.0),
    (metrics.Recall, [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 0.6667, 1.0),
    (lambda: metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1],
     0.75, 1.0),
    (lambda: metrics.MeanIoU(num_classes=2), [0, 0, 1, 1], [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.1],
     0.3333, 0.2381),
    (metrics.RootMeanSquaredError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.5, 0.7071),
    (metrics.MeanSquaredError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.25, 0.5),
    (metrics.MeanAbsoluteError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.25, 0.5),
    (metrics.MeanAbsolutePercentageError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0],
     2.5e8, 5e8),
    (metrics.BinaryCrossentropy, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], [1, 0],
     0.8149, 0.9163),
    (metrics.CategoricalCrossentropy, [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
     [0.3, 0.7], 1.1769, 1.6272),
    (metrics.SparseCategoricalCrossentropy, [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
     [0.3, 0.7], 1.1769, 1.6272),
]


@pytest.mark.parametrize("make, y_true, y_pred, weights, plain, weighted", KERAS_DOCS)
def test_values_from_the_keras_documentation(make, y_true, y_pred, weights, plain, weighted):
    m = make()
    assert float(m(y_true, y_pred)) == pytest.approx(plain, rel=1e-3)
    m.reset_state()
    assert float(m(y_true, y_pred, sample_weight=weights)) == pytest.approx(weighted, rel=1e-3)


def test_top_k_precision_eagerly():
    data = batches("multilabel", seed=7)
    m = metrics.Precision(top_k=2)
    for t, p, w in data:
        m.update_state(t, p, sample_weight=w)
    expected = precision_reference((-1e10,), top_k=2)(data)
    assert float(m.result()) == pytest.approx(float(expected), rel=1e-6)


def test_top_k_precision_breaks_ties_by_index_as_keras():
    assert float(metrics.Precision(top_k=2)([[0, 0, 1, 1]], [[1, 1, 1, 1]])) == 0.0
    assert float(metrics.Precision(top_k=4)([[0, 0, 1, 1]], [[1, 1, 1, 1]])) == 0.5


def test_mean_and_sum_with_weights_of_every_shape():
    values = np.arange(6.0).reshape(2, 3)
    cases = [(None, 15.0, 6.0), (2.0, 30.0, 12.0), ([1.0, 0.0], 3.0, 3.0),
             ([[1.0], [0.5]], 9.0, 4.5), ([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]], 13.0, 5.0)]
    for weight, total, count in cases:
        s, m = metrics.Sum(), metrics.Mean()
        s.update_state(values, sample_weight=weight)
        m.update_state(values, sample_weight=weight)
        assert float(s.result()) == total and float(m.result()) == pytest.approx(total / count)
    with pytest.raises(ValueError, match=r"mean: got sample_weight of shape \(3,\) for values "
                                         r"of shape \(2,\)"):
        metrics.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 1.0, 1.0])


def test_sparse_crossentropy_metric_skips_ignored_labels():
    m = metrics.SparseCategoricalCrossentropy(ignore_class=-1)
    p = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    m.update_state([1, -1, 2], p, sample_weight=[1.0, 5.0, 3.0])
    expected = (-np.log(0.95) - 3 * np.log(0.4)) / 4
    assert float(m.result()) == pytest.approx(expected, rel=1e-5)


# --- custom metrics, names, errors ---------------------------------------------------------------
class WeightedCount(metrics.Metric):
    def __init__(self, name="weighted_count", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.count = self.add_weight("count")
        self.batches = self.add_weight("batches", dtype="int64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        right = engine.cast(engine.equal(engine.cast(y_true, "int64"), engine.argmax(y_pred, -1)),
                            self.dtype)
        if sample_weight is not None:
            right = right * engine.cast(sample_weight, self.dtype)
        self.count.assign_add(engine.reduce_sum(right))
        self.batches.assign_add(engine.constant(1, "int64"))

    def result(self):
        return self.count / engine.cast(self.batches, self.dtype)


def test_custom_metric_subclass_eager_traced_reset_and_config():
    data = batches("sparse", seed=6)
    eager, traced_metric = WeightedCount(), WeightedCount()
    traced = engine.function(lambda t, p, w: traced_metric(t[:, 0], p, sample_weight=w))
    for t, p, w in data:
        eager(t[:, 0], p, sample_weight=w)
        traced(t, p, w)
    expected = sum(((t[:, 0] == p.argmax(-1)) * w).sum() for t, p, w in data) / 3
    assert float(eager.result()) == pytest.approx(expected, rel=1e-6)
    assert float(traced_metric.result()) == pytest.approx(expected, rel=1e-6)
    assert [v.name for v in eager.variables] == ["count:0", "batches:0"]
    assert not any(v.trainable for v in eager.variables) and eager.trainable_weights == []
    eager.reset_state()
    assert eager.batches.numpy() == 0 and eager.batches.dtype == engine.int64
    assert WeightedCount.from_config(eager.get_config()).get_config() == {
        "name": "weighted_count", "dtype": "float32"}


def test_get_resolves_names_and_aliases():
    assert metrics.get("accuracy") is metrics.accuracy is metrics.acc
    assert metrics.get("mse") is engine.keras.losses.mean_squared_error
    assert metrics.get("sparse_top_k_categorical_accuracy") is \
        metrics.sparse_top_k_categorical_accuracy
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("root_mean_squared_error"), metrics.RootMeanSquaredError)
    assert metrics.get({"class_name": "Recall", "config": {"thresholds": [0.3, 0.6]}}
                       ).thresholds == [0.3, 0.6]
    wrapper = metrics.MeanMetricWrapper(metrics.categorical_accuracy)
    again = metrics.deserialize(metrics.serialize(wrapper))
    assert again._fn is metrics.categorical_accuracy and again.name == "categorical_accuracy"


def test_unknown_names_and_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'.*Did you mean 'accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="'ce' depends on the model.*resolve_crossentropy"):
        metrics.get("ce")
    with pytest.raises(ValueError, match=r"precision: got thresholds=\[0.5, 1.5\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="curve='ROCK'"):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="sparse_categorical_accuracy.*looks one-hot"):
        metrics.SparseCategoricalAccuracy()(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match="categorical_accuracy.*sparse_categorical_accuracy"):
        metrics.CategoricalAccuracy()([0, 2], np.eye(3)[:2])
    with pytest.raises(ValueError, match=r"precision: got y_true of shape \(2, 3\)"):
        metrics.Precision()(np.zeros((2, 3)), np.zeros((2, 4)))


@pytest.mark.parametrize("loss, output, labels, accuracy, crossentropy", [
    ("binary_crossentropy", (None, 3), None, "BinaryAccuracy", "BinaryCrossentropy"),
    (engine.keras.losses.BinaryCrossentropy(from_logits=True), (None, 4), None,
     "BinaryAccuracy", "BinaryCrossentropy"),
    ("mse", (None, 1), None, "BinaryAccuracy", "BinaryCrossentropy"),
    ("sparse_categorical_crossentropy", (None, 10), None, "SparseCategoricalAccuracy",
     "SparseCategoricalCrossentropy"),
    (engine.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
     engine.TensorShape([None, 5]), None, "SparseCategoricalAccuracy",
     "SparseCategoricalCrossentropy"),
    ("categorical_crossentropy", (None, 10), None, "CategoricalAccuracy",
     "CategoricalCrossentropy"),
    (None, (None, 10), (None,), "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy"),
    (None, (None, 10), (None, 1), "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy"),
    (None, (None, 10), (None, 10), "CategoricalAccuracy", "CategoricalCrossentropy"),
])
def test_accuracy_and_crossentropy_follow_keras_rule(loss, output, labels, accuracy,
                                                     crossentropy):
    acc = metrics.resolve_accuracy(loss, output, y_true_shape=labels)
    assert type(acc).__name__ == accuracy and acc.name == "accuracy"
    ce = metrics.resolve_crossentropy(loss, output, labels, name="ce")
    assert type(ce).__name__ == crossentropy and ce.name == "ce"
