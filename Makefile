# eagerlab: the two commands of the README.
#   make test   create .venv if missing, install the dev extras, lint, run every test
#   make lab    create .venv if missing, install, open JupyterLab on notebooks/
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: test lab lint bench clean browser

# The browser tests (tests/browser) drive Debian's Chromium through pip's playwright
# (a dev extra); `playwright install` is never run. Installing Chromium needs root and
# apt-get; without them the browser tests skip and say why.
CHROMIUM := /usr/bin/chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,widgets]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check engine widgets profiler tests benchmarks

browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium with apt-get (for tests/browser)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium >/dev/null) || echo "chromium: apt-get failed; tests/browser will skip"; \
	  else \
	    echo "no $(CHROMIUM) and no root apt-get to install it; tests/browser will skip"; \
	  fi; \
	fi

test: $(STAMP) lint browser
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with notebooks/nbval_sanitize.cfg tests notebooks

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
