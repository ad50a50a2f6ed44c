# Two commands for a new user: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve migrate worker beat test lint typecheck unit bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m local_run

# Production: gunicorn on HOST:PORT with src/entrypoints/gunicorn_config.py; needs
# SECRET_KEY and the settings of docs/going-live.md. It never migrates: `make migrate`.
serve: $(STAMP)
	$(BIN)/gunicorn --config python:entrypoints.gunicorn_config 'entrypoints.flask_app:create_app()'

# Background processes on Celery (BROKER_URL, Redis): as many workers as the work needs,
# one beat (it sends the scheduled jobs: reconcile every RECONCILE_INTERVAL_MINUTES).
worker: $(STAMP)
	$(BIN)/python -m entrypoints.celery_app worker --loglevel INFO

beat: $(STAMP)
	$(BIN)/python -m entrypoints.celery_app beat --loglevel INFO

# Create or upgrade the schema (DATABASE_URL); additive, safe while old workers serve.
migrate: $(STAMP)
	$(BIN)/flask --app entrypoints.flask_app migrate

# The service and bare Flask under gunicorn, loaded side by side: docs/performance.md.
# BENCH_ARGS="--duration 2 --rounds 1" for a quick look.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests emulator mailserver bench
	$(BIN)/ruff format --check src tests emulator mailserver bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy mailserver/tests

test: lint typecheck
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

# The README's screenshots (docs/screenshots), taken by the browser journeys (Chromium).
screenshots: $(STAMP)
	SCREENSHOTS=docs/screenshots REQUIRE_BROWSER=1 $(BIN)/pytest tests/e2e/test_browser_journey.py -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
