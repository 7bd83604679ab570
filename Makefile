# portal — the two commands: `make run` and `make test`. Needs only Python 3.11+ (and, for the browser
# tests, Debian's chromium package, which `make test` installs when it runs as root).
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/lib/chromium/chromium
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
# The end-to-end files' order: name, reverse, or random (with a printed seed; .ci/run uses it).
E2E_ORDER ?= name

.PHONY: run test test-in-process test-unit test-integration test-e2e lint format install browser clean bench

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --locked --python $(PYTHON) --quiet
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/portal run

browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the end-to-end tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The end-to-end tests need Chromium at $(CHROMIUM): run 'sudo apt-get install chromium'" \
	         "(or set CHROMIUM=/path/to/chromium)."; exit 1; \
	  fi; \
	fi

# Every test: the in-process ones (unit and integration), then the end-to-end ones. .ci/run runs the two
# steps as phases of their own.
test: install browser test-in-process test-e2e

test-in-process: install
	$(PYTEST) tests

test-unit: install
	$(PYTEST) tests/unit

test-integration: install
	$(PYTEST) tests/integration

test-e2e: install browser
	CHROMIUM=$(CHROMIUM) $(PYTEST) e2e --file-order $(E2E_ORDER) --tracing retain-on-failure --output test-results

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks of issue 4 (bench/README.md); never part of `make test`. BENCH_PG=postgresql://… uses that
# server instead of the embedded one; BENCH_LOAD=python uses the Python load generator instead of wrk.
bench: install
	$(BIN)/python bench/pdf_render.py
	$(BIN)/python bench/my_bills.py
	$(BIN)/python bench/explain_my_bills.py

clean:
	rm -rf $(VENV) $(TOOLS) var/files
