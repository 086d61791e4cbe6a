# eagerlab: the two commands of the README.
#   make test   create .venv if missing, install the dev extras, lint, run every test
#   make lab    create .venv if missing, install, open JupyterLab on notebooks/
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: test lab lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,widgets]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check engine widgets profiler tests benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env tests notebooks

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

lab: $(STAMP)
	mkdir -p $(dir $(LAB_SETTINGS))
	test -f $(LAB_SETTINGS) || echo '{"@jupyterlab/apputils-extension:notification":{"fetchNews":"false","checkForUpdates":false}}' > $(LAB_SETTINGS)
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=notebooks

bench: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
