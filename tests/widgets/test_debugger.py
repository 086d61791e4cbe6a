"""`StepDebugger`: recorded values against NumPy and a tape, breakpoints, NaN localisation,
and the widget view driven headless (real `Button.click()` on its ipywidgets)."""

import numpy as np
import pytest

import engine
from engine import keras
from widgets.debugger import StepDebugger, tensor_stats

layers = keras.layers


def data(n=16, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    return x, y


def sequential(seed=1):
    engine.random.set_seed(seed)
    model = keras.Sequential([layers.Dense(4, activation="relu", name="dense"),
                              layers.Dense(1, name="dense_1")], name="seq")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return model


class Block(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(3, activation="tanh", name="inner")

    def call(self, x):
        return self.inner(x) * 2.0


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__(name="subclassed")
        self.block = Block(name="block")
        self.head = layers.Dense(1, name="head")

    def call(self, x, training=None):
        return self.head(self.block(x))


class CustomStep(keras.Model):
    """A custom `train_step`: its own loss (sum of squares), minimize() instead of fit's."""

    def __init__(self):
        super().__init__(name="custom")
        self.dense = layers.Dense(1, name="only")

    def call(self, x, training=None):
        return self.dense(x)

    def train_step(self, batch):
        x, y = batch
        with engine.GradientTape() as tape:
            loss = engine.reduce_sum(engine.square(self(x, training=True) - y))
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        return {"loss": loss}


# --- what a step records ----------------------------------------------------------------

def test_layer_stats_match_numpy_and_outputs_are_tensors():
    x, y = data()
    debugger = StepDebugger(sequential(), (x, y), batch_size=8, mode="static")
    record = debugger.step()
    assert list(record) == ["dense", "dense_1"]
    entry = debugger.last_step["dense"]
    out = entry["output"]
    assert isinstance(out, engine.Tensor)
    values = out.numpy().astype(np.float64)
    assert entry["output_shape"] == (8, 4) and entry["input_shape"] == (8, 3)
    np.testing.assert_allclose([entry["mean"], entry["std"], entry["min"], entry["max"]],
                               [values.mean(), values.std(), values.min(), values.max()])
    assert entry["zero_fraction"] == pytest.approx(np.mean(values == 0))
    assert entry["zero_fraction"] > 0  # relu made some zeros: the check is not vacuous
    assert entry["nan_count"] == entry["inf_count"] == 0
    np.testing.assert_allclose(entry["input_stats"]["mean"], x[:8].astype(np.float64).mean())
    # dense_1 ran on dense's output
    np.testing.assert_array_equal(debugger.last_step["dense_1"]["input"].numpy(), values)
    assert set(record.logs) == {"loss", "mae"}  # a metric given as a string keeps its name


def test_tensor_stats_skip_non_finite_values():
    s = tensor_stats(np.array([1.0, np.nan, 3.0, -np.inf, 0.0]))
    assert (s["mean"], s["min"], s["max"]) == (pytest.approx(4 / 3), 0.0, 3.0)
    assert (s["nan_count"], s["inf_count"], s["zero_fraction"]) == (1, 1, 0.2)


def test_gradient_norms_and_update_ratio_match_a_tape():
    x, y = data()
    model = sequential()
    debugger = StepDebugger(model, (x, y), batch_size=8)
    debugger.step()  # builds the model; the next step is checked
    bx, by = engine.constant(x[8:]), engine.constant(y[8:])
    with engine.GradientTape() as tape:
        loss = model.compute_loss(bx, by, model(bx, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    before = [v.numpy().copy() for v in model.trainable_variables]
    record = debugger.step()
    for v, g, w in zip(model.trainable_variables, grads, before):
        entry = record.weights[v.name]
        assert entry["grad_norm"] == pytest.approx(np.linalg.norm(g.numpy()), rel=1e-5)
        change = np.linalg.norm(v.numpy().astype(np.float64) - w)
        assert entry["update_ratio"] == pytest.approx(change / np.linalg.norm(w), rel=1e-5)
        # plain SGD: the update is the learning rate times the gradient
        assert entry["update_norm"] == pytest.approx(0.1 * entry["grad_norm"], rel=1e-4)
    assert record.weights["dense_1/kernel:0"]["layer"] == "dense_1"
    assert record.loss == pytest.approx(float(loss), rel=1e-5)


def test_weights_after_n_steps_equal_n_eager_train_steps():
    x, y = data(n=12)
    reference = sequential(seed=3)
    reference.run_eagerly = True
    reference.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)  # 6 steps
    model = sequential(seed=3)
    debugger = StepDebugger(model, (x, y), batch_size=4)
    debugger.run(6)
    for a, b in zip(model.trainable_variables, reference.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for layer in model._flatten_layers():
        assert "call" not in vars(layer)  # the wraps were removed
    assert "apply_gradients" not in vars(model.optimizer)


def test_functional_model_records_every_layer():
    engine.random.set_seed(0)
    inputs = keras.Input(shape=(3,))
    a = layers.Dense(2, name="left")(inputs)
    b = layers.Dense(5, name="right")(inputs)
    out = layers.Dense(1, name="out")(layers.Concatenate(name="join")([a, b]))
    model = keras.Model(inputs, out)
    model.compile(optimizer="adam", loss="mse")
    record = StepDebugger(model, data(), batch_size=4).step()
    assert {"left", "right", "join", "out"} <= set(record)
    assert record["join"]["input_shape"] == [(4, 2), (4, 5)]
    assert record["join"]["output_shape"] == (4, 7)
    assert all(e["grad_norm"] > 0 for e in record.weights.values())


def test_subclassed_model_records_nested_layers_in_call_order():
    model = Subclassed()
    model.compile(optimizer="sgd", loss="mse")
    record = StepDebugger(model, data(), batch_size=4).step()
    assert list(record) == ["block", "inner", "head"]
    np.testing.assert_allclose(record["block"]["output"].numpy(),
                               2.0 * record["inner"]["output"].numpy())
    assert record.weights["inner/kernel:0"]["layer"] == "inner"


def test_custom_train_step_is_used_and_its_gradients_recorded():
    model = CustomStep()
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    x, y = data()
    debugger = StepDebugger(model, (x, y), batch_size=16)
    debugger.step()
    w = model.dense.kernel.numpy().copy()
    b = model.dense.bias.numpy().copy()
    record = debugger.step()
    residual = x @ w + b - y
    assert record.loss == pytest.approx(float(np.sum(residual ** 2)), rel=1e-5)
    expected = 2 * x.T @ residual  # d/dw of the sum of squares
    assert record.weights["only/kernel:0"]["grad_norm"] == pytest.approx(
        np.linalg.norm(expected), rel=1e-4)


def test_data_can_be_a_dataset_and_cycles_through_epochs():
    x, y = data(n=8)
    dataset = engine.data.Dataset.from_tensor_slices((x, y)).batch(4)
    debugger = StepDebugger(sequential(), dataset)
    batches = [debugger.step().batch[0].numpy() for _ in range(3)]
    np.testing.assert_array_equal(batches[2], x[:4])  # the third step starts epoch two


# --- breakpoints ------------------------------------------------------------------------

def test_break_at_step():
    debugger = StepDebugger(sequential(), data(), batch_size=4, break_at_step=3)
    fired = debugger.run(10)
    assert (fired.kind, fired.step, debugger.steps) == ("step", 3, 3)


def test_grad_norm_threshold_names_the_weight():
    debugger = StepDebugger(sequential(), data(), batch_size=4, grad_norm_threshold=1e-6)
    fired = debugger.run(10)
    assert fired.kind == "grad_norm" and fired.step == 1
    assert fired.where in debugger.last_step.weights
    assert debugger.last_step.weights[fired.where]["grad_norm"] > 1e-6


def test_no_breakpoint_runs_max_steps():
    debugger = StepDebugger(sequential(), data(), batch_size=4)
    assert debugger.run(5) is None and debugger.steps == 5


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_break_on_nan_stops_at_the_poisoned_batch():
    x, y = data()
    x[9, 1] = np.nan  # in the third batch of four
    debugger = StepDebugger(sequential(), (x, y), batch_size=4)
    fired = debugger.run(10)
    assert (fired.kind, fired.step, fired.where) == ("nan", 3, "dense")
    assert debugger.last_step["dense"]["input_stats"]["nan_count"] == 1


def test_bad_arguments_say_what_to_do():
    with pytest.raises(RuntimeError, match="compile"):
        StepDebugger(keras.Sequential([layers.Dense(1)]), data())
    with pytest.raises(ValueError, match="break_at_step"):
        StepDebugger(sequential(), data(), break_at_step=0)
    with pytest.raises(ValueError, match="no step has run"):
        StepDebugger(sequential(), data()).locate_nan()


# --- NaN localisation -------------------------------------------------------------------

def log_model():
    engine.random.set_seed(0)
    model = keras.Sequential([layers.Dense(3, name="dense"),
                              layers.Lambda(lambda t: engine.math.log(t + 100.0), name="log"),
                              layers.Dense(1, name="head")])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_locate_nan_names_the_lambda_layer_and_its_log_op():
    x, y = data(n=12)
    x[8:] *= 1e4  # the third batch drives dense's output below -100: log of a negative
    debugger = StepDebugger(log_model(), (x, y), batch_size=4)
    fired = debugger.run(10)
    assert (fired.kind, fired.step, fired.where) == ("nan", 3, "log")
    report = debugger.locate_nan()
    assert (report.stage, report.layer, report.op) == ("forward", "log", "Log")
    assert report.op_inputs[0]["min"] < 0  # log's input: t + 100 went negative
    assert report.layer_inputs[0]["nan_count"] == 0
    assert "Log" in report.message


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_locate_nan_replays_from_the_weights_the_step_started_with():
    x, y = data(n=12)
    x[8:] *= 1e4
    model = log_model()
    debugger = StepDebugger(model, (x, y), batch_size=4)
    debugger.run(10)
    after = [v.numpy().copy() for v in model.variables]
    assert not all(np.isfinite(w).all() for w in after)  # the NaN step broke the weights
    report = debugger.locate_nan()
    assert report.layer == "log"  # not "dense": the replay used the finite weights
    for v, w in zip(model.variables, after):
        np.testing.assert_array_equal(v.numpy(), w)  # and put the NaN weights back


def test_locate_nan_with_infinite_weights_names_dense_and_matmul():
    x, y = data()
    model = sequential()
    debugger = StepDebugger(model, (x, y), batch_size=4)
    debugger.step()
    model.get_layer("dense_1").kernel.assign(np.full((4, 1), np.inf, "float32"))
    report = debugger.locate_nan((x[:4], y[:4]))
    assert (report.layer, report.op) == ("dense_1", "MatMul")
    assert report.op_inputs[1]["inf_count"] == 4


def test_locate_nan_on_a_finite_batch_finds_nothing():
    x, y = data()
    debugger = StepDebugger(sequential(), (x, y), batch_size=4)
    debugger.step()
    report = debugger.locate_nan()
    assert not report.found and report.stage is None


# --- views ------------------------------------------------------------------------------

def test_text_view_lists_layers_and_weights():
    debugger = StepDebugger(sequential(), data(), batch_size=4, mode="static")
    debugger.step()
    text = debugger._repr_mimebundle_()["text/plain"]
    assert text.startswith("StepDebugger(model=seq, steps=1, breakpoint=None)")
    assert "dense_1/kernel:0" in text and "\ndense_1 " in text


def test_step_button_updates_the_tables_and_histogram():
    pytest.importorskip("ipywidgets")
    pytest.importorskip("anywidget")
    x, y = data()
    debugger = StepDebugger(sequential(), (x, y), batch_size=4, mode="widgets")
    view = debugger.widget()
    assert "no step yet" in view.status.value and view.layer_table.value == ""
    view.step_button.click()
    assert debugger.steps == 1 and "<b>step 1</b>" in view.status.value
    first = view.layer_table.value
    assert "dense_1" in first and "(4,4)" in first
    view.step_button.click()
    assert "<b>step 2</b>" in view.status.value and view.layer_table.value != first
    view.picker.value = "dense"
    np.testing.assert_allclose(np.asarray(view.figure.data[0].x),
                               debugger.last_step["dense"]["output"].numpy().ravel())
    view.source.value = "gradients"
    grads = [e["gradient"].numpy().ravel() for e in debugger.last_step.weights.values()
             if e["layer"] == "dense"]
    np.testing.assert_allclose(np.asarray(view.figure.data[0].x), np.concatenate(grads))
    assert repr(view.box) == "StepDebugger(model=seq, steps=2, breakpoint=None)"


def test_run_button_stops_at_the_breakpoint():
    pytest.importorskip("anywidget")
    debugger = StepDebugger(sequential(), data(), batch_size=4, break_at_step=2,
                            mode="widgets")
    view = debugger.widget()
    view.run_button.click()
    assert debugger.steps == 2 and "breakpoint (step)" in view.status.value
