# Two commands for a new user: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m local_run

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
