# The README's two commands: `make e2e` (the SSO journey suite) and `make test` (all of the project's tests).
# Both install what is missing first: the virtual env and Python packages, Okta's Sign-In Widget from npm,
# and a Chromium.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WIDGET_DIR := emulators/okta/widget
PYTEST_ARGS ?=

.PHONY: install python widget browser e2e test lint stack bench stress stress-short clean

install: python widget browser

python: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "python: installing the packages of pyproject.toml into $(VENV) (log: $(VENV)/pip.log)"
	@$(PY) -m pip install --disable-pip-version-check --upgrade pip > $(VENV)/pip.log 2>&1 \
	  && $(PY) -m pip install --disable-pip-version-check -e '.[dev]' >> $(VENV)/pip.log 2>&1 \
	  || { tail -30 $(VENV)/pip.log >&2; echo "python: pip install failed (see $(VENV)/pip.log)" >&2; exit 1; }
	touch $@

widget: $(WIDGET_DIR)/node_modules/.installed
$(WIDGET_DIR)/node_modules/.installed: $(WIDGET_DIR)/package.json $(WIDGET_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 18+ with npm (Debian: apt-get install nodejs npm) so that Okta's Sign-In Widget can be installed" >&2; exit 1; }
	npm ci --prefix $(WIDGET_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

browser: python
	@scripts/ensure-browser.sh $(PY)

e2e: install
	$(PY) -m pytest e2e $(PYTEST_ARGS)

lint: python
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: install lint
	$(PY) -m pytest $(PYTEST_ARGS)

stack: install
	$(PY) -m e2e.fixtures.stack

bench: install
	$(PY) benchmarks/journey.py $(BENCH_ARGS)

# The browser tests on a loaded machine: 5 CPU-burning processes per core, then CPU throttling x4 (README: Soak).
stress: install
	$(PY) benchmarks/stress.py $(STRESS_ARGS)

# What CI can afford (about 10 minutes on 2 cores): one run of each mode over the journeys and the
# one-request-per-action proofs.
stress-short: install
	$(PY) benchmarks/stress.py --short $(STRESS_ARGS)

clean:
	rm -rf $(VENV) $(WIDGET_DIR)/node_modules test-results
