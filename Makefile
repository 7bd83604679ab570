# portal — the two commands: `make run` and `make test`. Needs only Python 3.11+ (and, for the browser
# tests, Debian's chromium package, which `make test` installs when it runs as root).
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/lib/chromium/chromium
# The Nu HTML Checker, run by the end-to-end harness on every page (e2e/checks.py); Java runs it.
VNU_VERSION := 26.9.27
VNU_JAR := $(TOOLS)/node_modules/vnu-jar/build/dist/vnu.jar
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
# The tests run in parallel (pytest-xdist), one worker per core, at most 4: each worker has databases of
# its own on the run's one PostgreSQL (and, for the end-to-end tests, a live portal of its own).
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 4 ] && n=4; echo $$n)
# The end-to-end files' order: name, reverse, or random (with a printed seed; .ci/run uses it).
E2E_ORDER ?= name

# The translations (README, Languages): each language's catalogue is committed as .po; its compiled .mo
# is built here, by `make install`, and never committed.
LOCALE := src/portal/locale
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po))

.PHONY: run test test-in-process test-unit test-integration test-e2e lint format install browser validator redis clean bench bench-load \
	messages-extract messages-update messages-compile

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode compiled once here: every `portal` process (and each test's) starts from it, instead of compiling
# ≈ 800 modules on each start where PYTHONDONTWRITEBYTECODE keeps Python from caching them (≈ 1.3 s a start).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --locked --python $(PYTHON) --quiet --compile-bytecode
	touch $@

install: $(VENV)/.installed $(MO_FILES)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel -q compile --domain messages --input-file $< --output-file $@

# Every message of the code and templates into $(LOCALE)/messages.pot (not committed) ...
messages-extract: $(VENV)/.installed
	$(BIN)/pybabel -q extract --mapping-file babel.cfg --keywords gettext_noop --sort-by-file \
	  --project portal --copyright-holder "portal contributors" --no-wrap --output-file $(LOCALE)/messages.pot src jobs templates

# ... merged into every language's catalogue (new messages untranslated, changed ones fuzzy: translate
# them, then `make messages-compile`; tests/unit/test_i18n.py fails until every one is done) ...
messages-update: messages-extract
	$(BIN)/pybabel -q update --domain messages --input-file $(LOCALE)/messages.pot --output-dir $(LOCALE) \
	  --no-wrap --ignore-obsolete

# ... and compiled (also done by `make install` whenever a .po changed).
messages-compile: $(MO_FILES)

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

$(VNU_JAR):
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's npm to fetch the Nu HTML Checker…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else \
	    echo "The end-to-end tests need npm to install the Nu HTML Checker: run 'sudo apt-get install npm'."; \
	    exit 1; \
	  fi; \
	fi
	npm install --prefix $(TOOLS) --no-save --no-audit --no-fund --ignore-scripts vnu-jar@$(VNU_VERSION)

validator: $(VNU_JAR)
	@if ! command -v java >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's Java runtime for the Nu HTML Checker…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else \
	    echo "The end-to-end tests need Java for the Nu HTML Checker: run" \
	         "'sudo apt-get install default-jre-headless'."; exit 1; \
	  fi; \
	fi

# Every test: the in-process ones (unit and integration), then the end-to-end ones. .ci/run runs the two
# steps as phases of their own.
test: install browser validator test-in-process test-e2e

# The queue outage tests start a Redis server of their own (tests/processes.py).
redis:
	@if ! command -v redis-server >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's redis-server for the queue outage tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "The queue outage tests need redis-server: run 'sudo apt-get install redis-server'."; exit 1; \
	  fi; \
	fi

test-in-process: install redis
	$(PYTEST) -n $(TEST_WORKERS) tests

test-unit: install
	$(PYTEST) tests/unit

test-integration: install redis
	$(PYTEST) -n $(TEST_WORKERS) tests/integration

test-e2e: install browser validator
	CHROMIUM=$(CHROMIUM) $(PYTEST) -n $(TEST_WORKERS) e2e --file-order $(E2E_ORDER) --tracing retain-on-failure --output test-results

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

# The load test (bench/README.md "Load test") against a running portal (`make run` in another terminal): headless
# locust, bounded in users and time, CSV output. `make bench-load LOAD_USERS=10 LOAD_TIME=30s` for a short run.
LOAD_HOST ?= http://127.0.0.1:8000
LOAD_USERS ?= 200
LOAD_TIME ?= 5m
bench-load: install
	$(BIN)/python bench/load/run.py --host $(LOAD_HOST) --users $(LOAD_USERS) --time $(LOAD_TIME)

clean:
	rm -rf $(VENV) $(TOOLS) var/files
