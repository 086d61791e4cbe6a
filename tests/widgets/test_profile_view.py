"""ProfileView: built from a real profile of a small fit; timeline, tables, text."""

import numpy as np
import pytest

import profiler
from engine import keras
from widgets.profile_view import ProfileView


@pytest.fixture(scope="module")
def fit_profile():
    model = keras.Sequential([keras.layers.Dense(8, input_shape=(4,), activation="relu",
                                                 name="dense"),
                              keras.layers.Dense(1, name="dense_1")], name="net")
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((32, 4), np.float32), np.ones((32, 1), np.float32)
    with profiler.Profile() as prof:
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    return prof


def test_timeline_draws_every_op_on_its_layer_row(fit_profile):
    view = ProfileView(fit_profile, mode="static")
    events = fit_profile.events()
    figure = view.figure()
    assert sum(len(trace.x) for trace in figure.data) == len(events)
    assert {"net/dense", "net/dense_1"} <= set(view.timeline_rows())
    drawn = {(row, base) for trace in figure.data for row, base in zip(trace.y, trace.base)}
    assert ("net/dense", events[[e["scope"] for e in events].index("net/dense")]["start_ns"]
            / 1e6) in drawn
    top_op = fit_profile.by_op()[0]["op"]
    assert figure.data[0].name == top_op
    assert repr(view) == (f"ProfileView(ops={len(events)}, rows='layer', "
                          f"timeline_rows={len(view.timeline_rows())})")


def test_rows_by_thread_or_depth_and_event_cap(fit_profile):
    assert ProfileView(fit_profile, rows="thread", mode="static").timeline_rows() == [
        "thread 0"]
    shallow = ProfileView(fit_profile, depth=1, mode="static").timeline_rows()
    assert "net" in shallow and not any("/" in row for row in shallow)
    capped = ProfileView(fit_profile, max_events=5, mode="static").figure()
    assert sum(len(trace.x) for trace in capped.data) == 5
    longest = sorted((e["dur_ns"] for e in fit_profile.events()), reverse=True)[:5]
    assert sorted((round(x * 1e6) for t in capped.data for x in t.x), reverse=True) == [
        max(d, 1) for d in longest]
    assert "not drawn" in capped.layout.title.text


def test_tables_and_static_text(fit_profile):
    view = ProfileView(fit_profile, top=3, mode="static")
    html = view.tables_html()
    assert "Costliest ops" in html and "Costliest layers" in html
    assert fit_profile.by_op()[0]["op"] in html
    assert html.count("<tr>") == 2 + 3 + 3  # a header and three rows per table
    bundle = view._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "Calls" in bundle["text/plain"] and "Layer" in bundle["text/plain"]


def test_bad_arguments_are_explained(fit_profile):
    with pytest.raises(ValueError, match="got rows='op'"):
        ProfileView(fit_profile, rows="op")
    with profiler.Profile() as empty:
        pass
    with pytest.raises(ValueError, match="recorded no ops"):
        ProfileView(empty)


def test_widget_view_holds_figure_and_tables(fit_profile):
    pytest.importorskip("ipywidgets")
    pytest.importorskip("anywidget")
    box = ProfileView(fit_profile, mode="static").view()
    figure, tables = box.children
    assert len(figure.data) >= 1 and "Costliest ops" in tables.value
