# TicketBuddy: `make run` trains and serves; `make test` runs the test suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
HOST ?= 127.0.0.1
PORT ?= 8000
MLFLOW_PORT ?= 5000

.PHONY: setup data train retrain compare run dev-key serve test lint format bench mlflow-ui clean

## setup: create .venv and install TicketBuddy (CPU torch first, so no CUDA build is pulled)
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

## data: generate the labelled training and test histories (DVC stages synth, synth_test)
data: setup
	$(BIN)/dvc repro synth synth_test

## train: reproduce the model (DVC: synth -> train -> evaluate), log to MLflow, register, promote if no
## worse; then make sure the tracking store in force has a champion (a fresh clone or a deleted
## mlflow.db has none, though DVC sees nothing changed): if not, train once more into it
train: setup
	$(BIN)/dvc repro
	@$(BIN)/ticketbuddy champion || { \
		echo "No champion in this tracking store: training one (dvc repro --force --single-item train)"; \
		$(BIN)/dvc repro --force --single-item train && $(BIN)/dvc repro && $(BIN)/ticketbuddy champion; }

## retrain: the history plus the labels in data/labels (ticketbuddy labels export), through the full gate;
## the DVC stage `retrain` is frozen so that `dvc repro` never runs it: this target runs its command
retrain: setup
	$(BIN)/ticketbuddy retrain --history data/raw/tickets.jsonl --labels data/labels

## compare: train and evaluate the variants in params.yaml (compare:), one MLflow run each
compare: data
	$(BIN)/ticketbuddy compare --data data/raw/tickets.jsonl --test-data data/raw/tickets_test.jsonl

## run: set up, reproduce the model and serve the API on http://$(HOST):$(PORT)
run: train serve

## dev-key: a local all-scope API key in .env (made once; .env is git-ignored)
dev-key: setup
	@grep -qs '^TICKETBUDDY_API_KEYS=' .env || $(BIN)/python -m ticketbuddy.serve.keys score+agent+admin --env >> .env
	@echo "API key (from .env): $$(grep '^TICKETBUDDY_API_KEYS=' .env | cut -d= -f2- | cut -d: -f1)"

## serve: serve the champion model (development: keys from .env, see make dev-key)
serve: setup dev-key
	$(BIN)/ticketbuddy serve --dev --host $(HOST) --port $(PORT)

## test: the whole test suite
test: setup
	$(BIN)/pytest

## lint: ruff lint and format check, and the type check (mypy; strict on the scoring core and domain types)
lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	@mkdir -p build/typecheck && ln -sfn ../../src build/typecheck/ticketbuddy
	$(BIN)/mypy -p ticketbuddy

format: setup
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

## bench: speed and memory benchmarks (never part of the tests)
bench: setup
	$(BIN)/python -m bench

## mlflow-ui: open the MLflow dashboard on http://127.0.0.1:$(MLFLOW_PORT)
mlflow-ui: setup
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(BIN)/mlflow ui --backend-store-uri "$${MLFLOW_TRACKING_URI:-sqlite:///mlflow.db}" \
		--default-artifact-root ./mlartifacts --host 127.0.0.1 --port $(MLFLOW_PORT) --workers 1

clean:
	rm -rf .pytest_cache .ruff_cache
