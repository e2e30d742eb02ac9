# Two commands on a fresh machine with Python 3.11 and make:
#   make run    set up, build the default run if absent, open the dashboard
#   make test   set up (Python packages and Chromium) and run every test
SHELL := /bin/bash
PYTHON ?= python3
UV := .tools/bin/uv
VENV := .venv
RUNS ?= runs
DEFAULT_RUN := $(RUNS)/social-credit-n20000-s0
PORT ?= 8501
export OMP_NUM_THREADS ?= 2
export SESAME_RUNS ?= $(abspath $(RUNS))

.PHONY: run test setup browser lint bench default-run clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --quiet
	touch $@

setup: $(VENV)/.synced

# Debian's Chromium for the real-browser tests (never a browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

$(DEFAULT_RUN)/manifest.json: | setup
	$(VENV)/bin/sesame-audit build --policy social-credit --n 20000 --seed 0 --out $(DEFAULT_RUN)

default-run: $(DEFAULT_RUN)/manifest.json

run: setup default-run
	$(VENV)/bin/streamlit run app/main.py --server.port $(PORT) --browser.gatherUsageStats false

lint: setup
	$(VENV)/bin/ruff check .

test: setup browser lint
	$(VENV)/bin/python -m pytest

bench: setup
	for script in bench/bench_*.py; do $(VENV)/bin/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .tools .pytest_cache tests/artifacts
