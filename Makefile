# The two commands a newcomer needs: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: demo test install install-test chromium lint typecheck bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make demo: install, create the demo school in SQLite, print the logins and serve it
demo: install
	$(BIN)/eschool demo

## Chromium for the browser tests comes from Debian's packages (no browser download).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing: 'sudo apt-get install chromium' to run the browser tests."; \
	fi

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## mypy over the app packages (settings in pyproject.toml; the API's modules strict)
typecheck: install-test
	$(BIN)/mypy

## make test: install with test extras and run the whole suite, browser tests included, in
## TEST_WORKERS processes (pytest-xdist; each has its own databases; 0 runs it in this one)
TEST_WORKERS ?= 2
test: install-test chromium lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS)

## make bench: the quick sizes of every benchmark, figures in bench/results/latest.json
bench: install-test
	$(BIN)/python -m bench.run_all
