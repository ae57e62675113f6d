# Forewarn developer entry points. The README's quick start is `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check lint typecheck services-up services-down bench clean

# The virtualenv with Forewarn and its development tools; rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: the whole loop on embedded defaults (no services needed)
demo: $(STAMP)
	$(BIN)/forewarn demo

## test: install/build the real services if missing, lint, then run the whole suite
test: $(STAMP)
	$(BIN)/forewarn services install
	$(MAKE) --no-print-directory check
	$(BIN)/pytest

## check: ruff and mypy
check: lint typecheck
lint: $(STAMP)
	$(BIN)/ruff check .
typecheck: $(STAMP)
	$(BIN)/mypy

services-up: $(STAMP)
	$(BIN)/forewarn services up
services-down: $(STAMP)
	$(BIN)/forewarn services down

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
