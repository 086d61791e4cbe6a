"""Fixtures for the real-browser tests: a headless JupyterLab and Debian's Chromium.

`jupyter_lab` starts `jupyter lab` once per session on 127.0.0.1, on a free port, with a
random token, its root a temporary folder holding copies of `tests/browser/notebooks`,
and its settings and workspaces in temporary folders too (nothing of the user's leaks
in; no news toast, no cell windowing). It is ready when `/api/status` answers and is
stopped by its PID at the end (its kernels go down with it).

`browser` launches `/usr/bin/chromium` through Playwright (installed by `make test`:
`apt-get install chromium`, `pip install playwright`; `playwright install` is never
run). Without either, the tests skip and say why.

The notebooks under `notebooks/` are driven by the tests, not run by nbval
(`collect_ignore_glob`): one of them trains for ten minutes unless Stop is clicked.
"""

import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

collect_ignore_glob = ["notebooks/*.ipynb"]

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# No "Jupyter news?" toast; no windowing of notebook cells (off-screen cells would count
# as hidden for Playwright).
LAB_SETTINGS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                                 "checkForUpdates": False},
                "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}


class Lab:
    """A running JupyterLab: its URL, token, root folder and process."""

    def __init__(self, url: str, token: str, root: pathlib.Path, process):
        self.url, self.token, self.root, self.process = url, token, root, process

    def notebook_url(self, name: str) -> str:
        """The notebook's URL in a workspace of its own (nothing else open, no tabs kept
        from an earlier test)."""
        workspace = name.rsplit(".", 1)[0]
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={self.token}"

    def api(self, method: str, path: str):
        """Calls the server's REST API; returns the decoded JSON (None when empty)."""
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shuts down every kernel, so that one test's training cannot slow the next."""
        for kernel in self.api("GET", "kernels"):
            self.api("DELETE", f"kernels/{kernel['id']}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, token: str, process, log: pathlib.Path, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n"
                               f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                json.load(r)
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            time.sleep(0.25)
    raise RuntimeError(f"jupyter lab did not answer /api/status in {timeout:.0f} s:\n"
                       f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory):
    """A headless JupyterLab serving copies of the test notebooks; stopped by PID at the
    end."""
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    if not jupyter.exists() or shutil.which("jupyter-lab", path=str(jupyter.parent)) is None:
        pytest.skip(f"jupyter lab is not installed next to {sys.executable}; run `make test` "
                    "(pip install -e '.[dev,widgets]')")
    base = tmp_path_factory.mktemp("jupyter_lab")
    root, settings, user = base / "root", base / "settings", base / "user-settings"
    for folder in (root, settings, user, base / "workspaces"):
        folder.mkdir()
    for notebook in (HERE / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, root / notebook.name)
    shutil.copy(ROOT / "notebooks" / "01_quickstart.ipynb", root)  # the real tutorial
    (settings / "overrides.json").write_text(json.dumps(LAB_SETTINGS))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    env.pop("EAGERLAB_WIDGETS", None)  # the tests need the widget view
    env["JUPYTER_CONFIG_DIR"] = str(base / "config")  # ignore the user's Jupyter config
    command = [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
               f"--LabApp.app_settings_dir={settings}", f"--LabApp.user_settings_dir={user}",
               f"--LabApp.workspaces_dir={base / 'workspaces'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "jupyter_lab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, token, process, log)
        yield Lab(url, token, root, process)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)  # the server shuts its kernels down
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (skips, saying why, when either is missing)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found; install it with `apt-get install chromium` "
                    "(make test does this as root)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed; pip install playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory):
    """A folder for screenshots (its path is printed in the test report on failure)."""
    return tmp_path_factory.mktemp("browser_artifacts")


@pytest.fixture
def page(browser, jupyter_lab, artifacts, request):
    """A fresh page, 1400x1000; a screenshot of it is saved if the test fails; the test's
    kernels are shut down after it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            try:
                page.screenshot(path=str(artifacts / f"FAILED-{request.node.name}.png"),
                                full_page=True)
            except Exception:  # noqa: BLE001 - the failure itself is what matters
                pass
        context.close()
        jupyter_lab.shutdown_kernels()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
