# The two commands of the README, and a few more. Every target sets itself up first.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: up test unit faults bench lint setup setup-system

up: setup  ## run the whole pipeline on the embedded broker, replay seeds/, serve the live page
	$(BIN)/newswire up

test: setup-system  ## install everything and run the test suite (unit, integration, e2e, deploy)
	$(BIN)/pytest -m "not faults" tests
	NEWSWIRE_PURE_PYTHON=1 $(BIN)/pytest -q tests/unit -k "projector or compiled"  # the core's sources as they are, uncompiled
	$(BIN)/ruff check newswire ingestor consumers tests bench
	$(BIN)/ruff format --check newswire ingestor consumers tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: setup  ## the fast tests only (no broker, no browser)
	$(BIN)/pytest tests/unit

faults: setup-system  ## the fault and load suite (tests/faults), minutes long
	$(BIN)/pytest -m faults tests/faults -s

bench: setup  ## every benchmark, with figures and ratios against same-run baselines
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check newswire ingestor consumers tests bench
	$(BIN)/ruff format --check newswire ingestor consumers tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

setup:
	scripts/bootstrap

setup-system:
	scripts/bootstrap --system
