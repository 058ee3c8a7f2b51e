# The two commands: `make run` (the whole product locally) and `make test` (every suite).
# Both build their own virtual environment on first use; nothing needs installing by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export AWS_DEFAULT_REGION ?= us-east-1
# Fake credentials: every AWS endpoint the tests and the local stack talk to is on this machine.
export AWS_ACCESS_KEY_ID ?= testing
export AWS_SECRET_ACCESS_KEY ?= testing
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint types unit integration e2e browser web chromium ddblocal simulation soak bench clean

$(BIN)/.installed: requirements-dev.txt layers/shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed web
	$(PY) -m infra.local $(ARGS)

test: lint types unit integration e2e browser simulation
	@echo "make test: every suite passed"

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(PY) -m pytest tests/unit -q

# Every integration test runs on moto and again on DynamoDB Local (installed into .cache/ first),
# plus the template checks (cfn-lint, SAM translation into moto's CloudFormation).
integration: $(BIN)/.installed ddblocal web
	$(PY) -m pytest tests/integration -q --durations=10

ddblocal: $(BIN)/.installed
	$(PY) -m infra.dynamodb_local install

# The web pages' libraries (functions/web/package.json, from npm) into the web function's ignored
# static/vendor/ folder; run it before `sam build` too.
web: $(BIN)/.installed
	$(PY) -m infra.web_assets install

# The portal, the console and the docs page in a real headless Chromium (Debian's chromium and
# chromium-driver, installed here when missing), driven by Selenium against a local stack.
# Screenshots of failures are kept in .cache/screenshots/.
browser: $(BIN)/.installed web chromium ddblocal
	$(PY) -m pytest tests/browser -q

chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

e2e: $(BIN)/.installed web
	$(PY) -m pytest tests/e2e -q

# The deterministic simulation (10,000 operations with injected faults on DynamoDB Local, ~3 min, part
# of `make test`);
# `make soak` runs it longer (SIM_OPERATIONS, default 200,000; SIM_SEED replays a failure).
simulation: $(BIN)/.installed ddblocal
	$(PY) -m pytest tests/simulation -q

soak: $(BIN)/.installed ddblocal
	$(PY) -m tests.simulation.soak

bench: $(BIN)/.installed ddblocal
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis
