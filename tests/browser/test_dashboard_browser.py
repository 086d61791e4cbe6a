"""The dashboard and the step debugger in a real browser: JupyterLab 4 in Chromium.

Each test opens one of `tests/browser/notebooks/` in JupyterLab (see conftest.py), waits
for the kernel, runs all cells, and checks the page itself: what a user sees and clicks.

- `test_dashboard_renders_and_grows`: progress bars, status line, the four buttons, and a
  plotly chart (`svg.main-svg`) whose number of points grows while `fit` runs.
- `test_stop_ends_fit_early`: Stop, clicked while a 1000-epoch `fit` runs in the cell,
  ends it after a few epochs; the next cell shows the trained weights were kept.
- `test_debugger_step_updates_tables`: Step in the `StepDebugger` view runs one batch and
  redraws the layer table.
- `test_quickstart_tutorial_runs`: `notebooks/01_quickstart.ipynb` itself, top to bottom:
  every cell ran without an error, its dashboard finished with a chart, and the layer graph
  drew.

Screenshots land in pytest's temporary folder (`browser_artifacts*`, printed with -s);
with `EAGERLAB_DOCS_SCREENSHOT=1` the dashboard's is also copied to docs/dashboard.png.
"""

import os
import re
import shutil
import time

import pytest

pytestmark = pytest.mark.slow

KERNEL_IDLE = ("() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session"
               "?.kernel?.status === 'idle'")
# The number of points of every trace of the dashboard's plotly chart (plotly keeps the
# figure's data on its graph div).
POINT_COUNTS = """() => {
  const plot = document.querySelector('.eagerlab-charts .js-plotly-plot');
  return plot && plot.data ? plot.data.map(t => (t.x ? t.x.length : 0)) : null;
}"""
DOCS_SCREENSHOT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "dashboard.png")


def open_and_run_all(page, lab, name: str) -> None:
    """Opens a notebook, waits for its kernel to be idle, and runs all its cells."""
    page.goto(lab.notebook_url(name))
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    # The same command as the menu's Run > Run All Cells. Its promise settles only when
    # the last cell ends, so it is not returned (evaluate would wait for it).
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def output_line(page, marker: str, timeout: float) -> str:
    """Waits for a printed line starting with `marker` in the notebook and returns it."""
    locator = page.locator(".jp-OutputArea-output pre", has_text=marker)
    locator.first.wait_for(timeout=timeout * 1000)
    text = locator.first.inner_text()
    return next(line for line in text.splitlines() if line.startswith(marker))


def fields(line: str) -> dict:
    return dict(re.findall(r"(\w+)=(\S+)", line))


def status_text(page) -> str:
    return page.locator(".eagerlab-status").first.inner_text()


def test_dashboard_renders_and_grows(page, jupyter_lab, artifacts):
    start = time.monotonic()
    open_and_run_all(page, jupyter_lab, "dashboard.ipynb")
    dashboard = page.locator(".eagerlab-dashboard")
    dashboard.wait_for(timeout=60_000)
    for part in ("epoch-progress", "batch-progress", "status", "charts"):
        assert dashboard.locator(f".eagerlab-{part}").count() == 1, part
    assert dashboard.locator(".eagerlab-batch-progress .progress-bar").count() == 1
    for button, label in (("pause", "Pause"), ("step", "Step"), ("stop", "Stop"),
                          ("run-eagerly", "run_eagerly")):
        assert dashboard.locator(f"button.eagerlab-{button}").inner_text().strip() == label

    dashboard.locator(".eagerlab-charts svg.main-svg").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => ({POINT_COUNTS})()?.some(n => n > 0)", timeout=30_000)
    first = sum(page.evaluate(POINT_COUNTS))
    assert status_text(page).startswith("running"), status_text(page)
    page.wait_for_function(f"() => ({POINT_COUNTS})().reduce((a, b) => a + b, 0) > {first}",
                           timeout=30_000)
    later = sum(page.evaluate(POINT_COUNTS))
    assert later > first
    # While it runs, Pause and Stop are enabled and Step (only while paused) is not.
    assert dashboard.locator("button.eagerlab-stop").is_enabled()
    assert dashboard.locator("button.eagerlab-pause").is_enabled()
    assert not dashboard.locator("button.eagerlab-step").is_enabled()
    time.sleep(2)  # let the charts fill a little for the screenshot
    cell = page.locator(".jp-CodeCell", has=page.locator(".eagerlab-dashboard"))
    cell.screenshot(path=str(artifacts / "dashboard.png"))
    if os.environ.get("EAGERLAB_DOCS_SCREENSHOT") == "1":
        os.makedirs(os.path.dirname(DOCS_SCREENSHOT), exist_ok=True)
        shutil.copy(artifacts / "dashboard.png", DOCS_SCREENSHOT)

    done = fields(output_line(page, "FIT_DONE", timeout=90))
    assert done["epochs_run"] == "6"
    assert status_text(page).startswith("finished")
    assert sum(page.evaluate(POINT_COUNTS)) >= later
    assert dashboard.locator(".eagerlab-epoch-progress .progress-bar").evaluate(
        "bar => bar.style.width") == "100%"
    print(f"\ndashboard test: {time.monotonic() - start:.1f} s; points {first} -> {later}; "
          f"screenshot {artifacts / 'dashboard.png'}")


def test_stop_ends_fit_early(page, jupyter_lab, artifacts):
    start = time.monotonic()
    open_and_run_all(page, jupyter_lab, "stop.ipynb")
    stop = page.locator(".eagerlab-dashboard button.eagerlab-stop")
    stop.wait_for(timeout=60_000)
    # Click once the chart is drawn and a full epoch has run (so the weights moved).
    page.locator(".eagerlab-charts svg.main-svg").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => /^running/.test(document.querySelector('.eagerlab-status')?.innerText || '')"
        " && !document.querySelector('.eagerlab-dashboard button.eagerlab-stop').disabled",
        timeout=30_000)
    clicked = time.monotonic()
    stop.click()
    result = fields(output_line(page, "STOP_RESULT", timeout=60))
    latency = time.monotonic() - clicked
    page.screenshot(path=str(artifacts / "stopped.png"))
    assert status_text(page).startswith("stopped"), status_text(page)
    assert result["state"] == "stopped"
    assert 1 <= int(result["epochs_run"]) < int(result["epochs"]) == 1000
    assert result["weights_changed"] == "True"
    assert float(result["loss_after"]) < float(result["loss_before"])
    print(f"\nstop test: {time.monotonic() - start:.1f} s; click to result {latency:.1f} s; "
          f"{result}")


def test_debugger_step_updates_tables(page, jupyter_lab, artifacts):
    start = time.monotonic()
    open_and_run_all(page, jupyter_lab, "debugger.ipynb")
    view = page.locator(".eagerlab-debugger")
    view.wait_for(timeout=60_000)
    status = view.locator(".eagerlab-debugger-status")
    rows = view.locator(".eagerlab-debugger-layers tbody tr")
    assert "no step yet" in status.inner_text()
    assert rows.count() == 0
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)  # the cell ended: clicks go through

    step = view.locator("button.eagerlab-debugger-step")
    step.click()
    status.filter(has_text="step 1").wait_for(timeout=30_000)
    assert rows.count() == 2  # the two Dense layers
    names = [rows.nth(i).locator("td").first.inner_text() for i in range(2)]
    assert all(name.startswith("dense") for name in names), names
    assert view.locator(".eagerlab-debugger-weights tbody tr").count() == 4  # kernels, biases
    first_table = view.locator(".eagerlab-debugger-layers").inner_text()

    step.click()
    status.filter(has_text="step 2").wait_for(timeout=30_000)
    second_table = view.locator(".eagerlab-debugger-layers").inner_text()
    assert second_table != first_table  # a new batch: new activation statistics
    assert "loss" in status.inner_text()
    view.screenshot(path=str(artifacts / "debugger.png"))
    print(f"\ndebugger test: {time.monotonic() - start:.1f} s")


ALL_CELLS_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.innerText));
}"""


def test_quickstart_tutorial_runs(page, jupyter_lab, artifacts):
    start = time.monotonic()
    open_and_run_all(page, jupyter_lab, "01_quickstart.ipynb")
    page.wait_for_function(ALL_CELLS_RAN, timeout=120_000)
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
    assert not [text for text in outputs if "Traceback" in text or "Error" in text[:200]]
    dashboard = page.locator(".eagerlab-dashboard")
    assert dashboard.count() == 1
    assert status_text(page).startswith("finished"), status_text(page)
    dashboard.locator(".eagerlab-charts svg.main-svg").first.wait_for(timeout=30_000)
    assert sum(page.evaluate(POINT_COUNTS)) > 0
    # the LayerGraph's figure: a second plotly plot, outside the dashboard
    assert page.locator(".js-plotly-plot").count() >= 2
    page.screenshot(path=str(artifacts / "quickstart.png"), full_page=True)
    print(f"\nquickstart test: {time.monotonic() - start:.1f} s")
