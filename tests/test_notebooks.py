"""The tutorial notebooks as files: present, small, checkable by nbval, and small after a run.

nbval itself runs every notebook in `make test` (`--nbval-lax`, comparing the cells marked
`# NBVAL_CHECK_OUTPUT` after `notebooks/nbval_sanitize.cfg`); these tests check what nbval
does not: what is saved.
"""

import json
import pathlib
import re

import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
TUTORIALS = ["00_eager_tour", "01_quickstart", "02_eager_and_gradienttape",
             "03_functions_and_graphs", "04_custom_models_and_debugging",
             "05_data_pipelines", "06_char_lstm", "07_profiling_a_cnn"]
MAX_BYTES = 1_000_000
PLOTLY_BUNDLE = re.compile(r"plotly\.js v\d|window\.PlotlyConfig|define\('plotly'")


def _load(name: str) -> dict:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())


def test_the_tutorials_are_exactly_these():
    found = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == TUTORIALS


@pytest.mark.parametrize("name", TUTORIALS)
def test_a_saved_tutorial_is_small_and_clean(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    text = path.read_text()
    assert len(text.encode()) < MAX_BYTES
    assert not PLOTLY_BUNDLE.search(text), "plotly's JavaScript is embedded"
    nb = json.loads(text)
    assert "widgets" not in nb["metadata"], "saved with widget state"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(
        nb["cells"][0]["source"]).startswith("# ")


@pytest.mark.parametrize("name", TUTORIALS[1:])
def test_a_tutorial_has_outputs_that_nbval_compares(name):
    checked = [c for c in _load(name)["cells"] if c["cell_type"] == "code"
               and "".join(c["source"]).startswith("# NBVAL_CHECK_OUTPUT") and c["outputs"]]
    assert len(checked) >= 3


@pytest.mark.slow
def test_the_quickstart_stays_under_a_megabyte_after_a_run(tmp_path):
    """Runs 01 and saves it as JupyterLab does by default: outputs, no widget state.

    (With "Save Widget State Automatically" turned on, each plotly FigureWidget stores its
    own copy of plotly.js, about 5 MB: ../shared/PLATFORM.md, and the README says so.)
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipywidgets")
    nb = nbformat.read(NOTEBOOKS / "01_quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     store_widget_state=False,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    out = tmp_path / "01.ipynb"
    nbformat.write(nb, out)
    size = out.stat().st_size
    assert size < MAX_BYTES, f"01_quickstart.ipynb is {size} bytes after a run"
    assert not PLOTLY_BUNDLE.search(out.read_text())
