"""Profile tables: every number agrees with the events it sums."""

import numpy as np
import pytest

import engine
import profiler
from profiler import tables

keras = engine.keras


@pytest.fixture(scope="module")
def prof():
    model = keras.Sequential([keras.Input(shape=(6,)),
                              keras.layers.Dense(5, activation="relu", name="hidden"),
                              keras.layers.Dense(3, name="out")], name="net")
    x = np.random.default_rng(0).random((16, 6), dtype=np.float32)
    model(x)
    other = engine.ones([7])
    with profiler.Profile() as p:
        for _ in range(3):
            p.step()
            model(x)
            _ = engine.exp(other)
    return p


def test_by_op_sums_the_events(prof):
    events = prof.events()
    rows = prof.by_op()
    assert sum(r["calls"] for r in rows) == len(events)
    for r in rows:
        mine = [e for e in events if e["op"] == r["op"]]
        assert r["calls"] == len(mine)
        assert r["total_ns"] == sum(e["dur_ns"] for e in mine)
        assert r["self_ns"] == sum(e["self_ns"] for e in mine)
        assert r["bytes"] == sum(e["bytes"] for e in mine)
        assert r["min_ns"] == min(e["dur_ns"] for e in mine)
        assert r["max_ns"] == max(e["dur_ns"] for e in mine)
        assert r["avg_ns"] == r["total_ns"] // r["calls"]
    assert sum(r["self_percent"] for r in rows) == pytest.approx(100.0)
    assert [r["total_ns"] for r in rows] == sorted((r["total_ns"] for r in rows), reverse=True)
    calls = {r["op"]: r["calls"] for r in rows}
    assert calls["MatMul"] == 6 and calls["Exp"] == 3 and calls["Relu"] == 3


def test_by_op_sort_keys_and_shapes(prof):
    for sort_by, field in tables.OP_SORT_KEYS.items():
        values = [r[field] for r in prof.by_op(sort_by=sort_by)]
        assert values == (sorted(values) if sort_by == "name" else
                          sorted(values, reverse=True))
    shaped = prof.by_op(group_by_shape=True)
    matmuls = {r["input_shapes"]: r["calls"] for r in shaped if r["op"] == "MatMul"}
    assert matmuls == {((16, 6), (6, 5)): 3, ((16, 5), (5, 3)): 3}
    with pytest.raises(ValueError, match="sort_by='fastest'"):
        prof.by_op(sort_by="fastest")


def test_by_layer_is_inclusive_of_sub_scopes(prof):
    events = prof.events()
    rows = {r["layer"]: r for r in prof.by_layer()}
    assert set(rows) == {"", "net", "net/hidden", "net/out"}
    for layer, r in rows.items():
        own = [e for e in events if e["scope"] == layer]
        inside = [e for e in events if e["scope"] == layer
                  or (layer and e["scope"].startswith(layer + "/"))]
        assert r["calls"] == len(own)
        assert r["self_ns"] == sum(e["self_ns"] for e in own)
        assert r["ops"] == len(inside)
        assert r["total_ns"] == sum(e["self_ns"] for e in inside)
        assert r["bytes"] == sum(e["bytes"] for e in inside)
    assert rows["net"]["calls"] == 0
    assert rows["net"]["total_ns"] == rows["net/hidden"]["total_ns"] + rows["net/out"][
        "total_ns"]
    assert rows[""]["ops"] == 3 and rows["net/hidden"]["depth"] == 2
    kernel = prof.time_split()["kernel_ns"]
    assert rows["net"]["total_percent"] == pytest.approx(100 * rows["net"]["total_ns"] / kernel)
    with pytest.raises(ValueError, match="by_layer"):
        prof.by_layer(sort_by="avg")


def test_text_table_shows_the_rows_in_order(prof):
    text = prof.table(sort_by="calls", limit=2)
    lines = text.splitlines()
    assert lines[1].split()[:3] == ["Name", "Calls", "Total"]
    rows = prof.by_op(sort_by="calls")
    assert lines[3].split()[:2] == [rows[0]["op"], str(rows[0]["calls"])]
    assert lines[4].split()[:2] == [rows[1]["op"], str(rows[1]["calls"])]
    assert f"({len(rows) - 2} more rows" in text
    assert f"{len(prof.events())} ops; wall" in text and "Python" in text
    layer_text = prof.table(group_by="layer", limit=None)
    assert "(no scope)" in layer_text and "net/hidden" in layer_text
    shaped = prof.table(group_by_shape=True, limit=None)
    assert "MatMul [[16, 6], [6, 5]]" in shaped
    with pytest.raises(ValueError, match="group_by='thread'"):
        prof.table(group_by="thread")


def test_format_ns():
    assert [tables.format_ns(n) for n in (999, 1_500, 2_000_000, 3_000_000_000)] == [
        "999ns", "1.500us", "2.000ms", "3.000s"]
