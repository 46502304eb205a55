# Polku: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export POLKU_DATABASE_URL ?= sqlite:///$(CURDIR)/var/polku.db

.PHONY: run test lint bench install db demo serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Create the venv, install, migrate, load fictional demo data on first start, print the demo
## logins, serve on :8000. Demo mode (fictional data, no second factor) unless told otherwise.
run: export POLKU_ENVIRONMENT ?= demo
run: install
	mkdir -p var
	$(BIN)/polku db upgrade
	$(BIN)/polku demo load --if-empty
	$(BIN)/polku demo logins
	$(BIN)/polku serve

## Lint, type-check and run the whole suite (SQLite; PostgreSQL too when POLKU_TEST_DATABASE_URL is set).
test: install lint
	$(BIN)/pytest -n auto --dist loadgroup

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Benchmarks (print ratios measured in one run).
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
