# s11: `make run` installs and serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The suite runs on every core (up to four) through pytest-xdist, each worker on a database of
# its own (tests/conftest.py). A file's tests stay together and in order on one worker, as
# browser tests share a served demo. `make test PYTEST_WORKERS=-n0` runs it in one process.
PYTEST_WORKERS ?= -n auto --maxprocesses=4 --dist loadfile

.PHONY: run test install install-dev lint format assets clean

# One mail worker beside the app: it stops (SIGTERM) when the app stops.
run: $(VENV)/.installed
	$(BIN)/s11 migrate
	$(BIN)/s11 demo
	$(BIN)/s11 worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; $(BIN)/s11 serve

test: $(VENV)/.installed-dev
	$(BIN)/ruff check app tests bench
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff format app tests bench
	$(BIN)/ruff check --fix app tests bench

# Developers only: rebuild the vendored front-end assets (needs Node.js and npm).
assets:
	npm install --no-save --no-audit --no-fund
	npx sass --pkg-importer=node --style=compressed --no-source-map scss/app.scss static/govuk/app.min.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/govuk/
	cp node_modules/htmx.org/dist/htmx.min.js static/htmx/

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
