"""Tests for engine.hooks: op events, subscriptions and custom events."""

import threading

import pytest

import engine
from engine import context, hooks


def test_op_events_describe_the_op():
    a, b = engine.ones([2, 3]), engine.ones([3, 4])
    events = []
    with hooks.subscribe("op", events.append):
        with engine.name_scope("model"):
            with engine.name_scope("dense"):
                engine.matmul(a, b)
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, hooks.OpEvent)
    assert event.op == "MatMul"
    assert event.scope == "model/dense"
    assert event.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    assert event.input_shapes == ((2, 3), (3, 4))
    assert event.input_dtypes == ("float32", "float32")
    assert 0 < event.start_ns <= event.end_ns
    assert event.bytes_out == 2 * 4 * 4
    assert event.thread_id == threading.get_ident()


def test_operators_and_python_inputs_emit_events():
    x = engine.constant([1.0, 2.0])
    events = []
    with hooks.subscribe("op", events.append):
        y = x * 2.0 + 1.0
        -y  # noqa: B018
    assert [e.op for e in events] == ["Mul", "AddV2", "Neg"]
    assert events[0].input_shapes == ((2,), ())
    assert events[-1].scope == ""


def test_dtypes_are_engine_names():
    events = []
    with hooks.subscribe("op", events.append):
        engine.identity(engine.constant(["a"]))
    assert events[-1].input_dtypes == ("string",)


def test_multiple_outputs_count_all_bytes():
    events = []
    with hooks.subscribe("op", events.append):
        engine.unstack(engine.zeros([3, 5]))
    unpack = [e for e in events if e.op == "Unpack"][0]
    assert unpack.bytes_out == 3 * 5 * 4


def test_unsubscribe_stops_events_and_restores_the_fast_path():
    events = []
    before = context.GLOBAL.slow
    sub = hooks.subscribe("op", events.append)
    assert context.GLOBAL.slow == before + 1
    assert hooks.listeners("op")[-1] == events.append
    engine.constant(1.0) + 1.0  # noqa: B018
    sub.unsubscribe()
    sub.unsubscribe()  # idempotent
    assert context.GLOBAL.slow == before
    engine.constant(1.0) + 1.0  # noqa: B018
    assert len(events) == 1
    assert events.append not in hooks.listeners("op")


def test_several_listeners_each_get_every_event():
    first, second = [], []
    with hooks.subscribe("op", first.append), hooks.subscribe("op", second.append):
        engine.exp(engine.constant(0.0))
    assert [e.op for e in first] == [e.op for e in second] == ["Exp"]


def test_custom_events():
    logs = []
    with hooks.subscribe("epoch_end", logs.append):
        hooks.emit("epoch_end", {"loss": 0.5})
        hooks.emit("step_end", {"loss": 1.0})  # nobody listens
    hooks.emit("epoch_end", {"loss": 0.1})
    assert logs == [{"loss": 0.5}]
    assert hooks.listeners("never_used") == []


def test_subscribe_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        hooks.subscribe("op", "not callable")


def test_events_carry_the_device():
    cpu = engine.config.list_physical_devices("CPU")[0]
    engine.config.set_logical_device_configuration(
        cpu, [engine.config.LogicalDeviceConfiguration()] * 2)
    try:
        events = []
        with hooks.subscribe("op", events.append):
            with engine.device("/CPU:1"):
                engine.constant([1.0]) * 2.0  # noqa: B018
        assert events[-1].device.endswith("CPU:1")
    finally:
        engine.config.set_logical_device_configuration(
            cpu, [engine.config.LogicalDeviceConfiguration()])
