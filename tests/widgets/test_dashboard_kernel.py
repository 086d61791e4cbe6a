"""The controls reach a `fit` running in a real kernel cell (no browser needed).

A Jupyter frontend turns a button click into a `comm_msg` on the kernel's shell channel
(`{"method": "custom", "content": {"event": "click"}}` for the button's comm). This test
starts an ipykernel, runs a slow `fit` with the dashboard in a cell, and sends those
messages while the cell is busy, as JupyterLab would: Pause, then Step twice, then Stop.
Without the dashboard's polling the messages would wait until the cell ends (see
PLATFORM.md), and `fit` would run all its batches.
"""

import pathlib
import queue
import re
import time

import pytest

pytest.importorskip("ipykernel")
pytest.importorskip("jupyter_ui_poll")
jupyter_client = pytest.importorskip("jupyter_client")

ROOT = pathlib.Path(__file__).resolve().parents[2]

CELL = """
import time
import numpy as np
from engine import keras
from widgets import TrainingDashboard

class Slow(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.02)

x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = (x.sum(1, keepdims=True) > 0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
board = TrainingDashboard()  # auto: widgets, since this runs in a kernel
states_at_batch_begin = []
class Watch(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        states_at_batch_begin.append(board.state)
history = model.fit(x, y, batch_size=8, epochs=200, verbose=0,
                    callbacks=[Slow(), Watch(), board])
print("RESULT", board.state, board.controller.batches_done, len(history.history["loss"]))
"""


STATUS = re.compile(r"^(running|paused|stepping|stopping|stopped|finished) - ")


def dashboard_state(message, buttons):
    """Notes the buttons' comm ids; returns the state a status label update shows."""
    content = message["content"]
    if message["msg_type"] == "comm_open":
        state = content["data"].get("state", {})
        if state.get("_model_name") == "ButtonModel":
            buttons[state["description"]] = content["comm_id"]
    elif message["msg_type"] == "comm_msg" and content["data"].get("method") == "update":
        match = STATUS.match(str(content["data"].get("state", {}).get("value", "")))
        return match.group(1) if match else None
    return None


def click(client, comm_id):
    message = client.session.msg("comm_msg", {"comm_id": comm_id, "data": {
        "method": "custom", "content": {"event": "click"}}})
    client.shell_channel.send(message)


# (button to click, state the status label must show before the next click)
PLAN = [("Pause", "paused"), ("Step", "stepping"), (None, "paused"), ("Step", "stepping"),
        (None, "paused"), ("Stop", "stopped")]


@pytest.mark.slow
def test_clicks_reach_a_busy_cell():
    manager, client = jupyter_client.manager.start_new_kernel(
        kernel_name="python3", cwd=str(ROOT), startup_timeout=60)
    try:
        client.execute(CELL)
        buttons, stdout, plan, shown, clicked = {}, [], list(PLAN), None, False
        displays = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                message = client.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                continue
            shown = dashboard_state(message, buttons) or shown
            if message["msg_type"] == "stream":
                stdout.append(message["content"]["text"])
            if message["msg_type"] in ("display_data", "update_display_data", "clear_output"):
                displays.append(message["content"].get("data", {}).get("text/plain"))
            if message["msg_type"] == "error":
                pytest.fail("\n".join(message["content"]["traceback"]))
            if (message["msg_type"] == "status"
                    and message["content"]["execution_state"] == "idle"
                    and message["parent_header"].get("msg_type") == "execute_request"):
                break
            if plan and shown == "running" and not clicked:
                click(client, buttons[plan[0][0]])  # the first click, once training runs
                clicked = True
            if plan and shown == plan[0][1]:
                plan.pop(0)
                if plan and plan[0][0] is not None:
                    click(client, buttons[plan[0][0]])
        assert not plan, f"the dashboard never showed {plan[0][1]!r} (last: {shown!r})"
        # One widget displayed once, nothing printed but the cell's own print; at the end
        # the same output is updated so that its text form shows the final state.
        assert displays[0] == "TrainingDashboard(epochs=0/200, batches=0, state=running)"
        assert len(displays) == 2 and re.fullmatch(
            r"TrainingDashboard\(epochs=\d+/200, batches=[1-9]\d*, state=stopped\)",
            displays[1]), displays
        assert "".join(stdout).startswith("RESULT")
        result = re.search(r"RESULT (\w+) (\d+) (\d+)", "".join(stdout))
        assert result, f"no result; output: {''.join(stdout)!r}"
        assert result.group(1) == "stopped"
        assert int(result.group(2)) < 200 * 8, "Stop was not handled while the cell ran"
        client.execute("print('STEPS', states_at_batch_begin.count('stepping'))")
        assert "STEPS 2" in _stdout_of_next_cell(client), "each Step ran exactly one batch"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _stdout_of_next_cell(client):
    text = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message = client.get_iopub_msg(timeout=5)
        if message["msg_type"] == "stream":
            text.append(message["content"]["text"])
        if (message["msg_type"] == "status" and message["content"]["execution_state"] == "idle"
                and message["parent_header"].get("msg_type") == "execute_request"):
            break
    return "".join(text)
