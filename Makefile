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

# Debian packages the tests need: Chromium for the browser tests, Pango and fonts for the
# PDF report (WeasyPrint), an emoji font for the page icons in screenshots, poppler-utils to
# render a report page to PNG.
DEBIAN_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
	libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core fonts-noto-color-emoji poppler-utils

.PHONY: run test setup system lint bench default-run clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

# Byte-compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on CI), every process
# would otherwise compile pandas, scikit-learn and streamlit from source at each start
# (20 s against 3.6 s for their imports, measured).
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --quiet --compile-bytecode
	$(VENV)/bin/python -m compileall -q -j 0 app model datasets
	touch $@

setup: $(VENV)/.synced

# Installs only what is missing, from Debian's archive (never a browser download).
system:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# Builds the default run when it is missing, damaged or of an older format.
default-run: setup
	@$(VENV)/bin/python -c "from sesame_audit.model.runs.store import load_run; load_run('$(DEFAULT_RUN)')" \
	  2>/dev/null || $(VENV)/bin/sesame-audit build --policy social-credit --n 20000 \
	  --seed 0 --out $(DEFAULT_RUN) --replace

run: setup default-run
	$(VENV)/bin/streamlit run app/main.py --server.port $(PORT) --browser.gatherUsageStats false

# ruff, and the import contract of pyproject.toml: the rooms of model/ in layers, streamlit
# only in app/, the synthetic world never read by the audits.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Two test workers, one thread each: on two cores, more threads than cores makes OpenMP
# spin and the suite crawl.
test: setup system lint
	OMP_NUM_THREADS=1 $(VENV)/bin/python -m pytest -n 2

bench: setup
	for script in bench/bench_*.py; do $(VENV)/bin/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .tools .pytest_cache tests/artifacts
