"""Tests for engine.keras.backend: settings, their validation, and unique names."""

import threading

import numpy as np
import pytest

import engine
from engine.keras import backend


@pytest.fixture
def restored():
    """Puts every backend setting back after the test."""
    saved = (backend.epsilon(), backend.floatx(), backend.image_data_format(),
             backend.learning_phase())
    yield
    backend.set_epsilon(saved[0])
    backend.set_floatx(saved[1])
    backend.set_image_data_format(saved[2])
    backend.set_learning_phase(saved[3])


def test_defaults_are_keras_defaults():
    assert backend.epsilon() == 1e-7
    assert backend.floatx() == "float32"
    assert backend.image_data_format() == "channels_last"
    assert backend.learning_phase() == 0


def test_setters_change_and_validate(restored):
    backend.set_epsilon(1e-4)
    assert backend.epsilon() == 1e-4
    backend.set_floatx(engine.float64)
    assert backend.floatx() == "float64"
    backend.set_floatx("bfloat16")
    assert backend.floatx() == "bfloat16"
    backend.set_image_data_format("channels_first")
    assert backend.image_data_format() == "channels_first"
    backend.set_learning_phase(1)
    assert backend.learning_phase() == 1
    with pytest.raises(ValueError, match="set_epsilon: got -1"):
        backend.set_epsilon(-1)
    with pytest.raises(ValueError, match="set_epsilon: got 'small'"):
        backend.set_epsilon("small")
    with pytest.raises(ValueError, match=r"set_floatx: got 'int32'; expected one of"):
        backend.set_floatx("int32")
    with pytest.raises(ValueError, match="set_floatx: got 'float'"):
        backend.set_floatx("float")
    with pytest.raises(ValueError, match="set_image_data_format: got 'NHWC'"):
        backend.set_image_data_format("NHWC")
    with pytest.raises(ValueError, match="set_learning_phase: got 2"):
        backend.set_learning_phase(2)
    assert backend.floatx() == "bfloat16"  # failed calls change nothing


def test_cast_to_floatx(restored):
    assert backend.cast_to_floatx([1, 2]).dtype == np.float32
    backend.set_floatx("float64")
    value = backend.cast_to_floatx(3)
    assert value.dtype == np.float64 and value.shape == ()


def test_get_uid_counts_per_prefix():
    backend.reset_uids()
    assert [backend.get_uid("dense") for _ in range(3)] == [1, 2, 3]
    assert backend.get_uid("conv2d") == 1
    assert backend.get_uid() == 1


def test_unique_object_names_restart_after_clear_session():
    backend.clear_session()
    names = [backend.unique_object_name("dense") for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    assert backend.unique_object_name("dense", zero_based=False) == "dense_4"
    assert backend.unique_object_name("model") == "model"
    backend.clear_session()
    assert backend.unique_object_name("dense") == "dense"
    assert backend.unique_object_name("dense_1") == "dense_1"  # a separate counter


def test_clear_session_keeps_settings_and_resets_learning_phase(restored):
    backend.set_epsilon(1e-3)
    backend.set_learning_phase(1)
    backend.clear_session()
    assert backend.epsilon() == 1e-3 and backend.learning_phase() == 0


def test_uids_are_unique_across_threads():
    backend.reset_uids()
    seen = []

    def take():
        seen.extend(backend.get_uid("shared") for _ in range(200))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 801))


def test_clear_session_notifies_hook_listeners():
    calls = []
    with engine.hooks.subscribe("keras_clear_session", calls.append):
        backend.clear_session()
    backend.clear_session()  # after unsubscribing: not called again
    assert calls == [None]
