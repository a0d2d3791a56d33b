# Everyday commands. `make run` starts the service on embedded defaults; `make test` runs every test.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
# The suite runs in one process per core (pytest-xdist); TEST_PROCESSES=0 runs it in this process.
TEST_PROCESSES ?= auto

.PHONY: help venv run test lint chromium

help:
	@echo "make run    start the service with demo data at http://127.0.0.1:8000/"
	@echo "make test   run the whole test suite (extra arguments: PYTEST_ARGS='...')"
	@echo "make lint   ruff, formatting and mypy"
	@echo "make venv   create or refresh .venv"

venv: $(STAMP)

# Reinstalls only when pyproject.toml has changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --progress-bar off -e ".[dev]"
	@touch $(STAMP)

run: venv
	@scripts/run-local.sh

# Browser tests need Debian's Chromium; without it (and without root to install it) they skip.
chromium:
	@if [ -x $(CHROMIUM) ]; then \
		:; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	else \
		echo "$(CHROMIUM) is missing and cannot be installed here: browser tests will be skipped"; \
	fi

test: venv chromium
	@mkdir -p var
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
